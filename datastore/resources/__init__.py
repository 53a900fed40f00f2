"""Calico v3 resources: one frozen dataclass per kind, strict parsing, Calico's JSON shape, defaults.

Public contract: ``API_VERSION``, ``KindInfo``, ``KINDS``, ``lookup_kind``, ``Metadata``, the kind
classes, ``from_dict``, ``to_dict``, ``with_defaults`` (see the modules for details).
"""
from datastore.resources.base import Metadata, OwnerReference, Resource
from datastore.resources.codec import (
    RESOURCE_TYPES,
    dumps,
    from_dict,
    from_dict_many,
    register,
    resource_class,
    to_dict,
    to_list_dict,
    with_defaults,
)
from datastore.resources.kinds import API_VERSION, KINDS, KindInfo, cli_kind_names, kind_info, lookup_kind
from datastore.resources.network import (
    BlockAffinity,
    BlockAffinitySpec,
    IPAMConfiguration,
    IPAMConfigurationSpec,
    IPIPConfiguration,
    IPPool,
    IPPoolSpec,
    IPReservation,
    IPReservationSpec,
)
from datastore.resources.scalars import Duration, Port
from datastore.resources.serde import FrozenMap

register(IPPool, IPReservation, IPAMConfiguration, BlockAffinity)
