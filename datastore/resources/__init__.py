"""Calico v3 resources: one frozen dataclass per kind, strict parsing, Calico's JSON shape, defaults.

Public contract: ``API_VERSION``, ``KindInfo``, ``KINDS``, ``lookup_kind``, ``Metadata``, the kind
classes, ``from_dict``, ``to_dict``, ``with_defaults`` (see the modules for details).

The kind modules load lazily: importing this package builds only the kind table, metadata and the
codec; a kind's dataclasses are built when the kind is first parsed or one of its names is used
(PEP 562 ``__getattr__``), so a CLI call about IPPools never builds the policy or felix classes.
"""
from __future__ import annotations

from importlib import import_module

from datastore.resources.base import Metadata, OwnerReference, Resource
from datastore.resources.codec import (
    dumps,
    from_dict,
    from_dict_many,
    load_all,
    resource_class,
    to_dict,
    to_list_dict,
    with_defaults,
)
from datastore.resources.kinds import API_VERSION, KINDS, KindInfo, cli_kind_names, kind_info, lookup_kind
from datastore.resources.scalars import Duration, Port, parse_asn
from datastore.resources.serde import FrozenMap

# Public names of the kind modules, imported on first access.
_LAZY: dict[str, tuple[str, ...]] = {
    "felix": ("FelixConfiguration", "FelixConfigurationSpec", "HealthTimeoutOverride", "ProtoPort",
              "RouteTableIDRange", "RouteTableRange"),
    "network": ("IPIPConfiguration", "IPPool", "IPPoolSpec"),
    "ipam": ("BlockAffinity", "BlockAffinitySpec", "IPAMConfiguration", "IPAMConfigurationSpec", "IPReservation",
             "IPReservationSpec"),
    "bgp": ("BGPConfiguration", "BGPConfigurationSpec", "BGPFilter", "BGPFilterPrefixLength", "BGPFilterRule",
            "BGPFilterSpec", "BGPPassword", "BGPPeer", "BGPPeerSpec", "Community", "PrefixAdvertisement",
            "SecretKeySelector", "ServiceIPBlock"),
    "cluster": ("ClusterInformation", "ClusterInformationSpec"),
    "kubecontrollers": ("AutoHostEndpointConfig", "ControllersConfig", "KubeControllersConfiguration",
                        "KubeControllersConfigurationSpec", "KubeControllersConfigurationStatus",
                        "NodeControllerConfig", "ReconcilerConfig"),
    "endpoints": ("IPNAT", "EndpointPort", "HostEndpoint", "HostEndpointSpec", "WorkloadEndpoint",
                  "WorkloadEndpointPort", "WorkloadEndpointSpec", "workload_endpoint_name"),
    "node": ("CalicoNodeStatus", "CalicoNodeStatusSpec", "CalicoNodeStatusStatus", "Node", "NodeAddress",
             "NodeBGPSpec", "NodeSpec", "NodeStatus", "NodeWireguardSpec", "OrchRef"),
    "policy": ("EntityRule", "GlobalNetworkPolicy", "GlobalNetworkPolicySpec", "HTTPMatch", "HTTPPath",
               "ICMPFields", "NetworkPolicy", "NetworkPolicySpec", "Profile", "ProfileSpec", "Rule",
               "RuleMetadata", "ServiceAccountMatch", "ServiceMatch", "Tier", "TierSpec", "default_allow_profile"),
    "sets": ("GlobalNetworkSet", "GlobalNetworkSetSpec", "NetworkSet", "NetworkSetSpec"),
}
_LAZY_MODULE: dict[str, str] = {name: module for module, names in _LAZY.items() for name in names}


def __getattr__(name: str) -> object:
    """Import the kind module that defines ``name`` on first use (PEP 562)."""
    module = _LAZY_MODULE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Eager and lazy public names alike."""
    return sorted({*globals(), *_LAZY_MODULE})
