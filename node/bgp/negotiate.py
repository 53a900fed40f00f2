"""Session negotiation (RFC 4271 §6.2, RFC 5492, RFC 4760, RFC 6793, RFC 4724, RFC 6286): pure.

``check_open`` validates a received OPEN against what we expect of the peer and raises the
exact OPEN Message Error; ``negotiate`` combines our OPEN and the peer's into the frozen
``Negotiated`` context every UPDATE codec takes.
"""
from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .capabilities import (
    EnhancedRouteRefresh,
    FourOctetAs,
    GracefulRestart,
    Multiprotocol,
    RouteRefresh,
)
from .constants import AS_TRANS, BGP_VERSION, IPV4_UNICAST, MIN_HOLD_TIME, OpenSubcode
from .errors import OpenMessageError

if TYPE_CHECKING:
    from .message import Open

Family = tuple[int, int]


@dataclass(frozen=True)
class Negotiated:
    """What both ends agreed on; every UPDATE encode/decode depends on it and nothing else.

    ``families`` are the (AFI, SAFI) pairs both sides announced; ADD-PATH is never negotiated,
    so NLRI carry no path identifiers. ``hold_time`` 0 means no keepalives and no hold timer.
    """

    local_asn: int = 0
    peer_asn: int = 0
    four_octet_as: bool = True
    families: frozenset[Family] = frozenset({IPV4_UNICAST})
    hold_time: int = 90
    route_refresh: bool = False
    enhanced_route_refresh: bool = False
    peer_graceful_restart: GracefulRestart | None = None
    local_router_id: ipaddress.IPv4Address = ipaddress.IPv4Address(0)
    peer_router_id: ipaddress.IPv4Address = ipaddress.IPv4Address(0)
    enforce_first_as: bool = True

    def __hash__(self) -> int:
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = hash(tuple(getattr(self, f) for f in self.__dataclass_fields__))
            object.__setattr__(self, "_hash", cached)
        return cached

    @property
    def ebgp(self) -> bool:
        """True when the peer is in another AS."""
        return self.local_asn != self.peer_asn

    @property
    def keepalive_time(self) -> int:
        """Seconds between KEEPALIVEs: a third of the hold time (0 = none)."""
        return self.hold_time // 3


def open_families(msg: "Open") -> frozenset[Family]:
    """Families announced in an OPEN; IPv4 unicast is implied when none is (RFC 4760 §8)."""
    fams = frozenset((c.afi, c.safi) for c in msg.capabilities if isinstance(c, Multiprotocol))
    return fams or frozenset({IPV4_UNICAST})


def check_open(
    msg: "Open",
    *,
    peer_asn: int | None,
    local_asn: int,
    local_router_id: ipaddress.IPv4Address,
) -> None:
    """Raise the RFC 4271 §6.2 OPEN Message Error for an unacceptable OPEN from the peer.

    ``peer_asn`` None accepts any AS (a dynamic peer).
    """
    if msg.version != BGP_VERSION:
        raise OpenMessageError(OpenSubcode.UNSUPPORTED_VERSION_NUMBER, struct.pack("!H", BGP_VERSION),
                               f"version {msg.version}")
    four = msg.four_octet_asn
    if four is not None and four <= 0xFFFF and msg.my_as != four:
        raise OpenMessageError(OpenSubcode.BAD_PEER_AS, b"", f"AS {msg.my_as} differs from 4-octet AS {four}")
    if four is not None and four > 0xFFFF and msg.my_as != AS_TRANS:
        raise OpenMessageError(OpenSubcode.BAD_PEER_AS, b"", f"AS {msg.my_as} instead of AS_TRANS")
    asn = msg.asn
    if asn == 0 or (peer_asn is not None and asn != peer_asn):
        raise OpenMessageError(OpenSubcode.BAD_PEER_AS, b"", f"AS {asn}, expected {peer_asn}")
    if 0 < msg.hold_time < MIN_HOLD_TIME:
        raise OpenMessageError(OpenSubcode.UNACCEPTABLE_HOLD_TIME, b"", f"hold time {msg.hold_time}")
    if int(msg.router_id) == 0 or (asn == local_asn and msg.router_id == local_router_id):
        raise OpenMessageError(OpenSubcode.BAD_BGP_IDENTIFIER, b"", f"BGP identifier {msg.router_id}")


def negotiate(local: "Open", remote: "Open", *, enforce_first_as: bool = True) -> Negotiated:
    """The session context from our OPEN and the peer's (already checked) OPEN."""
    def has(msg: "Open", cls: type) -> bool:
        return any(isinstance(c, cls) for c in msg.capabilities)

    gr = next((c for c in remote.capabilities if isinstance(c, GracefulRestart)), None)
    return Negotiated(
        local_asn=local.asn,
        peer_asn=remote.asn,
        four_octet_as=has(local, FourOctetAs) and has(remote, FourOctetAs),
        families=open_families(local) & open_families(remote),
        hold_time=min(local.hold_time, remote.hold_time),
        route_refresh=has(local, RouteRefresh) and has(remote, RouteRefresh),
        enhanced_route_refresh=has(local, EnhancedRouteRefresh) and has(remote, EnhancedRouteRefresh),
        peer_graceful_restart=gr,
        local_router_id=local.router_id,
        peer_router_id=remote.router_id,
        enforce_first_as=enforce_first_as,
    )
