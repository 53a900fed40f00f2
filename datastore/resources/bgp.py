"""BGP kinds: BGPPeer, BGPConfiguration, BGPFilter (v3.29 field sets, Go struct order)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from datastore.resources.base import Metadata, Resource, meta_field
from datastore.resources.kinds import KINDS
from datastore.resources.scalars import ASNumber, GoDuration
from datastore.resources.serde import jfield

DEFAULT_AS_NUMBER = 64512
DEFAULT_LISTEN_PORT = 179
DEFAULT_LOG_SEVERITY = "Info"


@dataclass(frozen=True)
class SecretKeySelector:
    """core/v1 SecretKeySelector: a key of a secret in calico-node's namespace."""

    name: str = jfield("name", "")
    key: str = jfield("key", "", omitempty=False)
    optional: bool | None = jfield("optional", None)


@dataclass(frozen=True)
class BGPPassword:
    """A BGP session password source."""

    secret_key_ref: SecretKeySelector | None = jfield("secretKeyRef", None)


@dataclass(frozen=True)
class BGPPeerSpec:
    """BGPPeer.spec."""

    node: str = jfield("node", "")
    node_selector: str = jfield("nodeSelector", "")
    peer_ip: str = jfield("peerIP", "")
    as_number: ASNumber = jfield("asNumber", 0)
    peer_selector: str = jfield("peerSelector", "")
    keep_original_next_hop: bool = jfield("keepOriginalNextHop", False)
    password: BGPPassword | None = jfield("password", None)
    source_address: str = jfield("sourceAddress", "", go="v3.SourceAddress")
    max_restart_time: GoDuration | None = jfield("maxRestartTime", None)
    num_allowed_local_as_numbers: int | None = jfield("numAllowedLocalASNumbers", None, go="int32")
    ttl_security: int | None = jfield("ttlSecurity", None, go="uint8")
    reachable_by: str = jfield("reachableBy", "")
    filters: tuple[str, ...] = jfield("filters", ())


@dataclass(frozen=True)
class BGPPeer(Resource):
    """A BGP peering for some or all nodes."""

    KIND: ClassVar = KINDS["BGPPeer"]
    metadata: Metadata = meta_field()
    spec: BGPPeerSpec = jfield("spec", BGPPeerSpec())


@dataclass(frozen=True)
class ServiceIPBlock:
    """A CIDR of Service cluster/external/LoadBalancer IPs to advertise."""

    cidr: str = jfield("cidr", "")


@dataclass(frozen=True)
class Community:
    """A named BGP community value (``aa:nn`` or ``aa:nn:mm``)."""

    name: str = jfield("name", "")
    value: str = jfield("value", "")


@dataclass(frozen=True)
class PrefixAdvertisement:
    """Communities to attach when advertising a CIDR."""

    cidr: str = jfield("cidr", "")
    communities: tuple[str, ...] = jfield("communities", ())


@dataclass(frozen=True)
class BGPConfigurationSpec:
    """BGPConfiguration.spec. Unset fields stay unset (calicoctl writes no defaults); the ``effective_*``
    methods give the values calico/node uses."""

    log_severity_screen: str = jfield("logSeverityScreen", "")
    node_to_node_mesh_enabled: bool | None = jfield("nodeToNodeMeshEnabled", None)
    as_number: ASNumber | None = jfield("asNumber", None)
    service_load_balancer_ips: tuple[ServiceIPBlock, ...] = jfield(
        "serviceLoadBalancerIPs", (), go="[]v3.ServiceLoadBalancerIPBlock")
    service_external_ips: tuple[ServiceIPBlock, ...] = jfield(
        "serviceExternalIPs", (), go="[]v3.ServiceExternalIPBlock")
    service_cluster_ips: tuple[ServiceIPBlock, ...] = jfield(
        "serviceClusterIPs", (), go="[]v3.ServiceClusterIPBlock")
    communities: tuple[Community, ...] = jfield("communities", ())
    prefix_advertisements: tuple[PrefixAdvertisement, ...] = jfield("prefixAdvertisements", ())
    listen_port: int = jfield("listenPort", 0, go="uint16")
    node_mesh_password: BGPPassword | None = jfield("nodeMeshPassword", None)
    node_mesh_max_restart_time: GoDuration | None = jfield("nodeMeshMaxRestartTime", None)
    bind_mode: str | None = jfield("bindMode", None, go="*v3.BindMode")
    ignored_interfaces: tuple[str, ...] = jfield("ignoredInterfaces", ())

    def effective_mesh_enabled(self) -> bool:
        """Node-to-node mesh: on unless explicitly disabled."""
        return True if self.node_to_node_mesh_enabled is None else self.node_to_node_mesh_enabled

    def effective_as_number(self) -> int:
        """The cluster default AS number (64512 when unset)."""
        return DEFAULT_AS_NUMBER if self.as_number is None else self.as_number

    def effective_listen_port(self) -> int:
        """The BGP listen port (179 when unset)."""
        return self.listen_port or DEFAULT_LISTEN_PORT

    def effective_log_severity(self) -> str:
        """The BGP daemon log level (Info when unset)."""
        return self.log_severity_screen or DEFAULT_LOG_SEVERITY

    def effective_bind_mode(self) -> str:
        """The listen bind mode (None when unset)."""
        return self.bind_mode or "None"


@dataclass(frozen=True)
class BGPConfiguration(Resource):
    """Cluster (``default``) or per-node (``node.<name>``) BGP settings."""

    KIND: ClassVar = KINDS["BGPConfiguration"]
    metadata: Metadata = meta_field()
    spec: BGPConfigurationSpec = jfield("spec", BGPConfigurationSpec())


@dataclass(frozen=True)
class BGPFilterPrefixLength:
    """Prefix-length bounds of a BGPFilter rule."""

    GO_NAME: ClassVar[str] = "BGPFilterPrefixLengthV4"

    min: int | None = jfield("min", None, go="int32")
    max: int | None = jfield("max", None, go="int32")


@dataclass(frozen=True)
class BGPFilterRule:
    """One BGPFilter rule (the V4 and V6 rule types have the same fields)."""

    GO_NAME: ClassVar[str] = "BGPFilterRuleV4"

    cidr: str = jfield("cidr", "")
    prefix_length: BGPFilterPrefixLength | None = jfield("prefixLength", None)
    source: str = jfield("source", "", go="v3.BGPFilterMatchSource")
    interface: str = jfield("interface", "")
    match_operator: str = jfield("matchOperator", "", go="v3.BGPFilterMatchOperator")
    action: str = jfield("action", "", omitempty=False, go="v3.BGPFilterAction")


@dataclass(frozen=True)
class BGPFilterSpec:
    """BGPFilter.spec."""

    export_v4: tuple[BGPFilterRule, ...] = jfield("exportV4", (), go="[]v3.BGPFilterRuleV4")
    import_v4: tuple[BGPFilterRule, ...] = jfield("importV4", (), go="[]v3.BGPFilterRuleV4")
    export_v6: tuple[BGPFilterRule, ...] = jfield("exportV6", (), go="[]v3.BGPFilterRuleV6")
    import_v6: tuple[BGPFilterRule, ...] = jfield("importV6", (), go="[]v3.BGPFilterRuleV6")


@dataclass(frozen=True)
class BGPFilter(Resource):
    """Import/export route filters referenced by BGPPeers."""

    KIND: ClassVar = KINDS["BGPFilter"]
    metadata: Metadata = meta_field()
    spec: BGPFilterSpec = jfield("spec", BGPFilterSpec())
