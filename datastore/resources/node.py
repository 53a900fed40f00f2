"""Node kinds: Node (with status) and CalicoNodeStatus."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from datastore.resources.base import Metadata, Resource, meta_field
from datastore.resources.kinds import KINDS
from datastore.resources.scalars import ASNumber, Timestamp
from datastore.resources.serde import jfield


@dataclass(frozen=True)
class NodeBGPSpec:
    """Node.spec.bgp: the node's BGP identity."""

    as_number: ASNumber | None = jfield("asNumber", None)
    ipv4_address: str = jfield("ipv4Address", "")
    ipv6_address: str = jfield("ipv6Address", "")
    ipv4_ipip_tunnel_addr: str = jfield("ipv4IPIPTunnelAddr", "")
    route_reflector_cluster_id: str = jfield("routeReflectorClusterID", "")


@dataclass(frozen=True)
class OrchRef:
    """The node's name in an orchestrator."""

    node_name: str = jfield("nodeName", "")
    orchestrator: str = jfield("orchestrator", "", omitempty=False)


@dataclass(frozen=True)
class NodeWireguardSpec:
    """Node.spec.wireguard."""

    interface_ipv4_address: str = jfield("interfaceIPv4Address", "")
    interface_ipv6_address: str = jfield("interfaceIPv6Address", "")


@dataclass(frozen=True)
class NodeAddress:
    """An address of the node and its type (CalicoNodeIP, InternalIP, ExternalIP)."""

    address: str = jfield("address", "", omitempty=False)
    type: str = jfield("type", "", go="v3.NodeAddressType")


@dataclass(frozen=True)
class NodeSpec:
    """Node.spec."""

    bgp: NodeBGPSpec | None = jfield("bgp", None)
    ipv4_vxlan_tunnel_addr: str = jfield("ipv4VXLANTunnelAddr", "")
    vxlan_tunnel_mac_addr: str = jfield("vxlanTunnelMACAddr", "")
    ipv6_vxlan_tunnel_addr: str = jfield("ipv6VXLANTunnelAddr", "")
    vxlan_tunnel_mac_addr_v6: str = jfield("vxlanTunnelMACAddrV6", "")
    orch_refs: tuple[OrchRef, ...] = jfield("orchRefs", ())
    wireguard: NodeWireguardSpec | None = jfield("wireguard", None)
    addresses: tuple[NodeAddress, ...] = jfield("addresses", ())


@dataclass(frozen=True)
class NodeStatus:
    """Node.status (written by calico-node)."""

    wireguard_public_key: str = jfield("wireguardPublicKey", "")
    wireguard_public_key_v6: str = jfield("wireguardPublicKeyV6", "")
    pod_cidrs: tuple[str, ...] = jfield("podCIDRs", ())


@dataclass(frozen=True)
class Node(Resource):
    """A Calico node."""

    KIND: ClassVar = KINDS["Node"]
    metadata: Metadata = meta_field()
    spec: NodeSpec = jfield("spec", NodeSpec())
    status: NodeStatus = jfield("status", NodeStatus())


@dataclass(frozen=True)
class CalicoNodeStatusSpec:
    """CalicoNodeStatus.spec: which node, what to report, how often."""

    node: str = jfield("node", "")
    classes: tuple[str, ...] = jfield("classes", (), go="[]v3.NodeStatusClassType")
    update_period_seconds: int | None = jfield("updatePeriodSeconds", None, go="uint32")


@dataclass(frozen=True)
class BGPDaemonStatus:
    """State of one BGP daemon (v4 or v6)."""

    state: str = jfield("state", "", go="v3.BGPDaemonState")
    version: str = jfield("version", "")
    router_id: str = jfield("routerID", "")
    last_boot_time: str = jfield("lastBootTime", "")
    last_reconfiguration_time: str = jfield("lastReconfigurationTime", "")


@dataclass(frozen=True)
class CalicoNodeAgentStatus:
    """Agent status of the node's BGP daemons."""

    bird_v4: BGPDaemonStatus = jfield("birdV4", BGPDaemonStatus())
    bird_v6: BGPDaemonStatus = jfield("birdV6", BGPDaemonStatus())


@dataclass(frozen=True)
class CalicoNodePeer:
    """One BGP peer's session state."""

    peer_ip: str = jfield("peerIP", "")
    type: str = jfield("type", "", go="v3.BGPPeerType")
    state: str = jfield("state", "", go="v3.BGPSessionState")
    since: str = jfield("since", "")


@dataclass(frozen=True)
class CalicoNodeBGPStatus:
    """Session counts and peers."""

    number_established_v4: int = jfield("numberEstablishedV4", 0, omitempty=False)
    number_not_established_v4: int = jfield("numberNotEstablishedV4", 0, omitempty=False)
    number_established_v6: int = jfield("numberEstablishedV6", 0, omitempty=False)
    number_not_established_v6: int = jfield("numberNotEstablishedV6", 0, omitempty=False)
    peers_v4: tuple[CalicoNodePeer, ...] = jfield("peersV4", ())
    peers_v6: tuple[CalicoNodePeer, ...] = jfield("peersV6", ())


@dataclass(frozen=True)
class CalicoNodeRouteLearnedFrom:
    """Where a route came from."""

    source_type: str = jfield("sourceType", "", go="v3.CalicoNodeRouteSourceType")
    peer_ip: str = jfield("peerIP", "")


@dataclass(frozen=True)
class CalicoNodeRoute:
    """One route known to the BGP daemon."""

    type: str = jfield("type", "", go="v3.CalicoNodeRouteType")
    destination: str = jfield("destination", "")
    gateway: str = jfield("gateway", "")
    interface: str = jfield("interface", "")
    learned_from: CalicoNodeRouteLearnedFrom = jfield("learnedFrom", CalicoNodeRouteLearnedFrom())


@dataclass(frozen=True)
class CalicoNodeBGPRouteStatus:
    """Routes per address family."""

    routes_v4: tuple[CalicoNodeRoute, ...] = jfield("routesV4", ())
    routes_v6: tuple[CalicoNodeRoute, ...] = jfield("routesV6", ())


@dataclass(frozen=True)
class CalicoNodeStatusStatus:
    """CalicoNodeStatus.status (written by calico-node)."""

    last_updated: Timestamp = jfield("lastUpdated", "", omitempty=False)
    agent: CalicoNodeAgentStatus = jfield("agent", CalicoNodeAgentStatus())
    bgp: CalicoNodeBGPStatus = jfield("bgp", CalicoNodeBGPStatus())
    routes: CalicoNodeBGPRouteStatus = jfield("routes", CalicoNodeBGPRouteStatus())


@dataclass(frozen=True)
class CalicoNodeStatus(Resource):
    """A request for, and the report of, one node's agent/BGP/route status."""

    KIND: ClassVar = KINDS["CalicoNodeStatus"]
    metadata: Metadata = meta_field()
    spec: CalicoNodeStatusSpec = jfield("spec", CalicoNodeStatusSpec())
    status: CalicoNodeStatusStatus = jfield("status", CalicoNodeStatusStatus())
