"""Route import checks and export rules (RFC 4271 §5.1, §9.1.2; RFC 4456; RFC 1997). Pure.

``import_problem`` says why a received route must be ignored (AS loop, our ORIGINATOR_ID, our
cluster id in CLUSTER_LIST). ``export_attributes`` gives the attributes a route is advertised
with to a peer, or None when it must not be advertised: iBGP split horizon, route reflection
(clients / non-clients, ORIGINATOR_ID, CLUSTER_LIST), eBGP AS_PATH prepend, next-hop rules,
LOCAL_PREF and MED scoping, NO_EXPORT / NO_ADVERTISE, and the Partial bit on unknown attributes.
An IPv6 link-local next hop (RFC 2545) is only meaningful on the link it was learned over, so it
is never passed on.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from .attributes import PathAttributes, UnknownAttribute
from .constants import AFI, AttrFlag, WellKnownCommunity

DEFAULT_LOCAL_PREF = 100
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class LocalSpeaker:
    """Our own identity as the RIB sees it."""

    asn: int
    router_id: ipaddress.IPv4Address
    cluster_id: ipaddress.IPv4Address | None = None

    @property
    def effective_cluster_id(self) -> ipaddress.IPv4Address:
        """The cluster id we use when reflecting (RFC 4456 §7: the router id unless configured)."""
        return self.cluster_id if self.cluster_id is not None else self.router_id


@dataclass(frozen=True)
class PeerInfo:
    """An established peer as routing sees it.

    ``key`` identifies the peer in the RIB (normally its address). ``local_v4`` / ``local_v6`` are
    our addresses on the session, used as next hop where we set ourselves as next hop.
    ``allow_local_as`` is how many times our own AS may appear in a received AS_PATH.
    """

    key: object
    address: IPAddress
    asn: int
    router_id: ipaddress.IPv4Address
    rr_client: bool = False
    next_hop_self: bool = False
    next_hop_keep: bool = False
    local_v4: ipaddress.IPv4Address | None = None
    local_v6: ipaddress.IPv6Address | None = None
    allow_local_as: int = 0


def import_problem(attrs: PathAttributes, source: PeerInfo, local: LocalSpeaker) -> str | None:
    """Why a route from ``source`` must not enter the Loc-RIB, or None if it may."""
    if attrs.as_path.contains(local.asn):
        count = sum(asns.count(local.asn) for _, asns in attrs.as_path.segments)
        if count > source.allow_local_as:
            return f"AS loop: local AS {local.asn} in AS_PATH"
    if attrs.originator_id is not None and attrs.originator_id == local.router_id:
        return "ORIGINATOR_ID is our router id"
    if attrs.cluster_list and local.effective_cluster_id in attrs.cluster_list:
        return f"cluster id {local.effective_cluster_id} in CLUSTER_LIST"
    return None


def _local_next_hop(target: PeerInfo, family_afi: int) -> IPAddress | None:
    return target.local_v4 if family_afi == AFI.IPV4 else target.local_v6


def _with_partial(unknown: tuple[UnknownAttribute, ...]) -> tuple[UnknownAttribute, ...]:
    return tuple(u if u.flags & AttrFlag.PARTIAL else UnknownAttribute(u.type_code, u.flags | AttrFlag.PARTIAL, u.value)
                 for u in unknown)


def export_attributes(
    attrs: PathAttributes,
    afi: int,
    source: PeerInfo | None,
    target: PeerInfo,
    local: LocalSpeaker,
) -> PathAttributes | None:
    """Attributes to advertise a route to ``target`` with, or None if it is not advertised.

    ``source`` None means the route is originated by this speaker. A route whose AS_PATH already
    holds an eBGP peer's AS is not sent to it (the peer would drop it as a loop); in particular an
    eBGP peer never gets its own routes back.
    """
    communities = attrs.communities
    if WellKnownCommunity.NO_ADVERTISE in communities:
        return None
    target_ebgp = target.asn != local.asn
    if target_ebgp and (WellKnownCommunity.NO_EXPORT in communities
                        or WellKnownCommunity.NO_EXPORT_SUBCONFED in communities):
        return None
    source_ibgp = source is not None and source.asn == local.asn
    unknown = _with_partial(attrs.unknown) if source is not None and attrs.unknown else attrs.unknown
    own_next_hop = _local_next_hop(target, afi)
    if target_ebgp:
        if attrs.as_path.contains(target.asn):
            return None
        next_hop = attrs.next_hop if (target.next_hop_keep and attrs.next_hop is not None) else own_next_hop
        if next_hop is None:
            return None
        return attrs.replace(
            as_path=attrs.as_path.prepend(local.asn),
            next_hop=next_hop,
            next_hop_link_local=None,
            local_pref=None,
            med=attrs.med if source is None else None,
            originator_id=None,
            cluster_list=(),
            unknown=unknown,
        )
    local_pref = attrs.local_pref if attrs.local_pref is not None else DEFAULT_LOCAL_PREF
    if source_ibgp:
        if not (source.rr_client or target.rr_client):
            return None
        next_hop = own_next_hop if target.next_hop_self else attrs.next_hop
        return attrs.replace(
            originator_id=attrs.originator_id or source.router_id,
            cluster_list=(local.effective_cluster_id,) + attrs.cluster_list,
            local_pref=local_pref,
            next_hop=next_hop,
            next_hop_link_local=None,
            unknown=unknown,
        )
    if source is None:
        next_hop = own_next_hop if (target.next_hop_self or attrs.next_hop is None) else attrs.next_hop
    else:
        next_hop = own_next_hop if target.next_hop_self else attrs.next_hop
    if next_hop is None:
        return None
    return attrs.replace(local_pref=local_pref, next_hop=next_hop, next_hop_link_local=None, unknown=unknown)
