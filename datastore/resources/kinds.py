"""The registry of v3 kinds: canonical name, plural (etcd path segment), scope and CLI aliases.

Aliases follow calicoctl v3.29 (reference/calicoctl.md §2.2). Kinds calicoctl 3.29 cannot manage
(CalicoNodeStatus, IPAMConfiguration, BlockAffinity) are registered for the datastore with
``manageable=False`` and are not resolved by :func:`lookup_kind`.
"""
from __future__ import annotations

from dataclasses import dataclass

from datastore.errors import ParseError

API_VERSION = "projectcalico.org/v3"


@dataclass(frozen=True)
class KindInfo:
    """Static facts about one kind."""

    kind: str
    plural: str
    namespaced: bool
    aliases: tuple[str, ...]
    list_kind: str
    manageable: bool = True


def _kind(kind: str, plural: str, *aliases: str, namespaced: bool = False, manageable: bool = True) -> KindInfo:
    return KindInfo(kind, plural, namespaced, tuple(aliases), kind + "List", manageable)


KINDS: dict[str, KindInfo] = {
    info.kind: info
    for info in (
        _kind("BGPConfiguration", "bgpconfigurations",
              "bgpconfiguration", "bgpconfigurations", "bgpconfig", "bgpconfigs"),
        _kind("BGPFilter", "bgpfilters", "bgpfilter", "bgpfilters", "bgpf", "bgpfs", "bf", "bfs"),
        _kind("BGPPeer", "bgppeers", "bgppeer", "bgppeers", "bgpp", "bgpps", "bp", "bps"),
        _kind("ClusterInformation", "clusterinformations",
              "clusterinformation", "clusterinformations", "clusterinfo", "clusterinfos"),
        _kind("FelixConfiguration", "felixconfigurations",
              "felixconfiguration", "felixconfigurations", "felixconfig", "felixconfigs"),
        _kind("GlobalNetworkPolicy", "globalnetworkpolicies",
              "globalnetworkpolicy", "globalnetworkpolicies", "gnp", "gnps"),
        _kind("GlobalNetworkSet", "globalnetworksets", "globalnetworkset", "globalnetworksets", "gnetsets"),
        _kind("HostEndpoint", "hostendpoints", "hostendpoint", "hostendpoints", "hep", "heps"),
        _kind("IPPool", "ippools", "ippool", "ippools", "ipp", "ipps", "pool", "pools"),
        _kind("IPReservation", "ipreservations",
              "ipreservation", "ipreservations", "reservation", "reservations"),
        _kind("KubeControllersConfiguration", "kubecontrollersconfigurations",
              "kubecontrollersconfiguration", "kubecontrollersconfigurations",
              "kubecontrollersconfig", "kubecontrollersconfigs"),
        _kind("NetworkPolicy", "networkpolicies",
              "networkpolicy", "networkpolicies", "policy", "np", "policies", "pol", "pols", namespaced=True),
        _kind("NetworkSet", "networksets", "networkset", "networksets", "netsets", namespaced=True),
        _kind("Node", "nodes", "node", "nodes", "no", "nos"),
        _kind("Profile", "profiles", "profile", "profiles", "pro", "pros"),
        _kind("Tier", "tiers", "tier", "tiers"),
        _kind("WorkloadEndpoint", "workloadendpoints",
              "workloadendpoint", "workloadendpoints", "wep", "weps", namespaced=True),
        _kind("CalicoNodeStatus", "caliconodestatuses", manageable=False),
        _kind("IPAMConfiguration", "ipamconfigurations", manageable=False),
        _kind("BlockAffinity", "blockaffinities", manageable=False),
    )
}

_ALIASES: dict[str, KindInfo] = {}
for _info in KINDS.values():
    if _info.manageable:
        for _name in (_info.kind.lower(), _info.plural, *_info.aliases):
            _ALIASES[_name] = _info


def lookup_kind(name: str) -> KindInfo:
    """Resolve a kind, plural or alias as typed on calicoctl's command line (case-insensitive)."""
    info = _ALIASES.get(name.lower())
    if info is None:
        raise ParseError(f"resource type '{name}' is not supported")
    return info


def kind_info(kind: str) -> KindInfo:
    """The KindInfo of a canonical kind name (exact, any kind including non-manageable ones)."""
    try:
        return KINDS[kind]
    except KeyError:
        raise ParseError(f"resource type '{kind}' is not supported") from None


def cli_kind_names() -> tuple[str, ...]:
    """The lower-case kind names calicoctl lists in its help texts, sorted."""
    return tuple(sorted(info.kind.lower() for info in KINDS.values() if info.manageable))
