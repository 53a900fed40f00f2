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
from datastore.resources.felix import (
    FelixConfiguration,
    FelixConfigurationSpec,
    HealthTimeoutOverride,
    ProtoPort,
    RouteTableIDRange,
    RouteTableRange,
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
from datastore.resources.bgp import (
    BGPConfiguration,
    BGPConfigurationSpec,
    BGPFilter,
    BGPFilterPrefixLength,
    BGPFilterRule,
    BGPFilterSpec,
    BGPPassword,
    BGPPeer,
    BGPPeerSpec,
    Community,
    PrefixAdvertisement,
    SecretKeySelector,
    ServiceIPBlock,
)
from datastore.resources.cluster import (
    AutoHostEndpointConfig,
    ClusterInformation,
    ClusterInformationSpec,
    ControllersConfig,
    KubeControllersConfiguration,
    KubeControllersConfigurationSpec,
    KubeControllersConfigurationStatus,
    NodeControllerConfig,
    ReconcilerConfig,
)
from datastore.resources.endpoints import (
    IPNAT,
    EndpointPort,
    HostEndpoint,
    HostEndpointSpec,
    WorkloadEndpoint,
    WorkloadEndpointPort,
    WorkloadEndpointSpec,
    workload_endpoint_name,
)
from datastore.resources.node import (
    CalicoNodeStatus,
    CalicoNodeStatusSpec,
    CalicoNodeStatusStatus,
    Node,
    NodeAddress,
    NodeBGPSpec,
    NodeSpec,
    NodeStatus,
    NodeWireguardSpec,
    OrchRef,
)
from datastore.resources.policy import (
    EntityRule,
    GlobalNetworkPolicy,
    GlobalNetworkPolicySpec,
    HTTPMatch,
    HTTPPath,
    ICMPFields,
    NetworkPolicy,
    NetworkPolicySpec,
    Profile,
    ProfileSpec,
    Rule,
    RuleMetadata,
    ServiceAccountMatch,
    ServiceMatch,
    Tier,
    TierSpec,
    default_allow_profile,
)
from datastore.resources.scalars import Duration, Port, parse_asn
from datastore.resources.serde import FrozenMap
from datastore.resources.sets import GlobalNetworkSet, GlobalNetworkSetSpec, NetworkSet, NetworkSetSpec

register(
    IPPool, IPReservation, IPAMConfiguration, BlockAffinity,
    BGPPeer, BGPConfiguration, BGPFilter,
    Node, CalicoNodeStatus,
    NetworkPolicy, GlobalNetworkPolicy, Profile, Tier,
    HostEndpoint, WorkloadEndpoint,
    NetworkSet, GlobalNetworkSet,
    ClusterInformation, KubeControllersConfiguration, FelixConfiguration,
)
