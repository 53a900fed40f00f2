"""BGP-4 messages (RFC 4271 §4, RFC 2918, RFC 7313, RFC 4760 §3-4, RFC 9072): header + 5 messages.

Header (19 octets)::

    +----------------------------------+------------+--------+
    | marker: 16 x 0xff                | length (2) | type(1)|
    +----------------------------------+------------+--------+

OPEN:          version(1) | my AS(2) | hold time(2) | BGP identifier(4) | opt param len(1) | params
               (param = type(1) len(1) value; RFC 9072: len byte 255 + type 255 → 2-octet lengths)
UPDATE:        withdrawn len(2) | withdrawn prefixes | attr len(2) | attributes | NLRI (IPv4 unicast)
               MP_REACH_NLRI value:   AFI(2) SAFI(1) nh len(1) next hop | reserved(1) | NLRI
               MP_UNREACH_NLRI value: AFI(2) SAFI(1) | withdrawn NLRI
NOTIFICATION:  code(1) | subcode(1) | data
KEEPALIVE:     header only
ROUTE-REFRESH: AFI(2) | subtype(1) | SAFI(1)

Decoding checks the RFC 4271 §6.1-6.3 errors and raises the exact NotificationError; UPDATE
attribute errors follow RFC 7606: only session-reset ones are raised, the rest are listed in
``Update.problems`` (``Update.treat_as_withdraw`` tells the receiver to withdraw the NLRI).
"""
from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar, Iterator, NamedTuple, Union

from . import nlri as nlri_codec
from .attributes import (
    MP_FLAGS,
    DecodedAttributes,
    PathAttributes,
    decode_attributes,
    encode_attributes,
    encode_tlv,
    problem,
)
from .capabilities import Capability, FourOctetAs, decode_capabilities, encode_capabilities
from .constants import (
    AFI,
    AS_TRANS,
    BGP_VERSION,
    HEADER_LEN,
    IPV4_UNICAST,
    MARKER,
    MAX_MESSAGE_LEN,
    SAFI,
    AttrType,
    ErrorCode,
    HeaderSubcode,
    MessageType,
    OpenSubcode,
    OptionalParameter,
    RouteRefreshSubcode,
    RouteRefreshType,
    UpdateSubcode,
)
from .errors import (
    ErrorAction,
    MessageHeaderError,
    OpenMessageError,
    RouteRefreshMessageError,
    UpdateMessageError,
)
from .negotiate import Negotiated
from .nlri import NlriError, Prefix

Family = tuple[int, int]
_MIN_LEN = {
    MessageType.OPEN: 29,
    MessageType.UPDATE: 23,
    MessageType.NOTIFICATION: 21,
    MessageType.KEEPALIVE: 19,
    MessageType.ROUTE_REFRESH: 23,
}
_TYPES = {int(t): t for t in MessageType}


def frame(msg_type: int, body: bytes) -> bytes:
    """Prefix ``body`` with the marker, length and type."""
    length = HEADER_LEN + len(body)
    if length > MAX_MESSAGE_LEN:
        raise ValueError(f"message of {length} octets exceeds {MAX_MESSAGE_LEN}")
    return MARKER + struct.pack("!HB", length, msg_type) + body


def parse_header(header: bytes) -> tuple[int, MessageType]:
    """Validate a 19-octet header (RFC 4271 §6.1); return (total length, type)."""
    if len(header) != HEADER_LEN:
        raise ValueError("a header is exactly 19 octets")
    if header[:16] != MARKER:
        raise MessageHeaderError(HeaderSubcode.CONNECTION_NOT_SYNCHRONIZED, b"", "marker is not all ones")
    length = (header[16] << 8) | header[17]
    if not HEADER_LEN <= length <= MAX_MESSAGE_LEN:
        raise MessageHeaderError(HeaderSubcode.BAD_MESSAGE_LENGTH, header[16:18], f"length {length}")
    msg_type = _TYPES.get(header[18])
    if msg_type is None:
        raise MessageHeaderError(HeaderSubcode.BAD_MESSAGE_TYPE, header[18:19], f"type {header[18]}")
    if length < _MIN_LEN[msg_type] or (msg_type == MessageType.KEEPALIVE and length != HEADER_LEN):
        raise MessageHeaderError(HeaderSubcode.BAD_MESSAGE_LENGTH, header[16:18],
                                 f"length {length} for {msg_type.name}")
    return length, msg_type


@dataclass(frozen=True)
class Open:
    """OPEN. ``my_as`` is the 2-octet field (AS_TRANS for big AS numbers); ``asn`` the real AS."""

    TYPE: ClassVar[MessageType] = MessageType.OPEN
    my_as: int
    hold_time: int
    router_id: ipaddress.IPv4Address
    capabilities: tuple[Capability, ...] = ()
    version: int = BGP_VERSION

    @classmethod
    def build(cls, asn: int, hold_time: int, router_id: "ipaddress.IPv4Address | str",
              capabilities: tuple[Capability, ...] = ()) -> "Open":
        """An OPEN for ``asn``, filling the 2-octet field with AS_TRANS when needed."""
        return cls(asn if asn <= 0xFFFF else AS_TRANS, hold_time, ipaddress.IPv4Address(router_id),
                   tuple(capabilities))

    @property
    def four_octet_asn(self) -> int | None:
        """The AS from the 4-octet AS capability, if present."""
        return next((c.asn for c in self.capabilities if isinstance(c, FourOctetAs)), None)

    @property
    def asn(self) -> int:
        """The speaker's AS: the 4-octet capability if present, else the 2-octet field."""
        four = self.four_octet_asn
        return self.my_as if four is None else four

    def encode(self, neg: Negotiated | None = None) -> bytes:
        """Full OPEN message."""
        caps = encode_capabilities(self.capabilities)
        if not caps:
            params = b""
            head = b"\x00"
        elif len(caps) + 2 <= 255:
            params = bytes((OptionalParameter.CAPABILITIES, len(caps))) + caps
            head = bytes((len(params),))
        else:
            params = struct.pack("!BH", OptionalParameter.CAPABILITIES, len(caps)) + caps
            head = struct.pack("!BBH", 255, OptionalParameter.EXTENDED_LENGTH, len(params))
        return frame(MessageType.OPEN, struct.pack("!BHH", self.version, self.my_as, self.hold_time)
                     + self.router_id.packed + head + params)

    @classmethod
    def decode_body(cls, body: bytes, neg: Negotiated | None = None) -> "Open":
        """Parse an OPEN body (after the header)."""
        version, my_as, hold = struct.unpack_from("!BHH", body)
        router_id = ipaddress.IPv4Address(bytes(body[5:9]))
        opt_len = body[9]
        start, width = 10, 1
        if opt_len == 255 and len(body) >= 13 and body[10] == OptionalParameter.EXTENDED_LENGTH:
            opt_len = (body[11] << 8) | body[12]
            start, width = 13, 2
        if start + opt_len != len(body):
            raise OpenMessageError(OpenSubcode.UNSPECIFIC, b"",
                                   f"optional parameters length {opt_len} disagrees with message length")
        caps: list[Capability] = []
        i, end = start, len(body)
        while i < end:
            if i + 1 + width > end:
                raise OpenMessageError(OpenSubcode.UNSPECIFIC, b"", "truncated optional parameter")
            ptype = body[i]
            plen = body[i + 1] if width == 1 else (body[i + 1] << 8) | body[i + 2]
            vstart = i + 1 + width
            if vstart + plen > end:
                raise OpenMessageError(OpenSubcode.UNSPECIFIC, b"", "optional parameter overruns the OPEN")
            if ptype != OptionalParameter.CAPABILITIES:
                raise OpenMessageError(OpenSubcode.UNSUPPORTED_OPTIONAL_PARAMETER, b"", f"parameter type {ptype}")
            caps.extend(decode_capabilities(bytes(body[vstart:vstart + plen])))
            i = vstart + plen
        return cls(my_as, hold, router_id, tuple(caps), version)


@dataclass(frozen=True)
class Keepalive:
    """KEEPALIVE: the header alone."""

    TYPE: ClassVar[MessageType] = MessageType.KEEPALIVE

    def encode(self, neg: Negotiated | None = None) -> bytes:
        """Full KEEPALIVE message."""
        return KEEPALIVE_BYTES

    @classmethod
    def decode_body(cls, body: bytes, neg: Negotiated | None = None) -> "Keepalive":
        """A KEEPALIVE has no body (the header check enforced that)."""
        return cls()


KEEPALIVE_BYTES = MARKER + struct.pack("!HB", HEADER_LEN, MessageType.KEEPALIVE)


@dataclass(frozen=True)
class Notification:
    """NOTIFICATION: error code, subcode and data."""

    TYPE: ClassVar[MessageType] = MessageType.NOTIFICATION
    code: int
    subcode: int
    data: bytes = b""

    def encode(self, neg: Negotiated | None = None) -> bytes:
        """Full NOTIFICATION message."""
        return frame(MessageType.NOTIFICATION, bytes((self.code, self.subcode)) + self.data)

    @classmethod
    def decode_body(cls, body: bytes, neg: Negotiated | None = None) -> "Notification":
        """Parse a NOTIFICATION body."""
        return cls(body[0], body[1], bytes(body[2:]))

    @classmethod
    def cease(cls, subcode: int, text: str = "") -> "Notification":
        """A Cease, with an RFC 8203 shutdown communication for subcodes 2 and 4 when ``text`` is given."""
        data = b""
        if text:
            raw = text.encode("utf-8")[:255]
            data = bytes((len(raw),)) + raw
        return cls(ErrorCode.CEASE, subcode, data)


@dataclass(frozen=True)
class RouteRefresh:
    """ROUTE-REFRESH (RFC 2918) with the RFC 7313 subtype."""

    TYPE: ClassVar[MessageType] = MessageType.ROUTE_REFRESH
    afi: int
    safi: int
    subtype: int = RouteRefreshType.NORMAL

    def encode(self, neg: Negotiated | None = None) -> bytes:
        """Full ROUTE-REFRESH message."""
        return frame(MessageType.ROUTE_REFRESH, struct.pack("!HBB", self.afi, self.subtype, self.safi))

    @classmethod
    def decode_body(cls, body: bytes, neg: Negotiated | None = None) -> "RouteRefresh":
        """Parse a ROUTE-REFRESH body; a wrong length is a ROUTE-REFRESH Message Error (RFC 7313 §5)."""
        if len(body) != 4:
            raise RouteRefreshMessageError(RouteRefreshSubcode.INVALID_MESSAGE_LENGTH,
                                           frame(MessageType.ROUTE_REFRESH, bytes(body)),
                                           f"body of {len(body)} octets")
        afi, subtype, safi = struct.unpack("!HBB", body)
        return cls(afi, safi, subtype)


@dataclass(frozen=True)
class MpReach:
    """MP_REACH_NLRI: family, next hop (and IPv6 link-local), announced prefixes."""

    afi: int
    safi: int
    next_hop: ipaddress.IPv4Address | ipaddress.IPv6Address
    nlri: tuple[Prefix, ...]
    link_local: ipaddress.IPv6Address | None = None

    def encode_value(self) -> bytes:
        """The attribute value."""
        nh = self.next_hop.packed + (self.link_local.packed if self.link_local is not None else b"")
        return (struct.pack("!HBB", self.afi, self.safi, len(nh)) + nh + b"\x00"
                + nlri_codec.encode_prefixes(self.nlri, self.afi))


@dataclass(frozen=True)
class MpUnreach:
    """MP_UNREACH_NLRI: family and withdrawn prefixes."""

    afi: int
    safi: int
    withdrawn: tuple[Prefix, ...] = ()

    def encode_value(self) -> bytes:
        """The attribute value."""
        return struct.pack("!HB", self.afi, self.safi) + nlri_codec.encode_prefixes(self.withdrawn, self.afi)


_SUPPORTED = frozenset({(AFI.IPV4, SAFI.UNICAST), (AFI.IPV6, SAFI.UNICAST)})


@dataclass(frozen=True)
class Update:
    """UPDATE. ``attributes`` is None when the message carries no path attribute (besides MP_*)."""

    TYPE: ClassVar[MessageType] = MessageType.UPDATE
    withdrawn: tuple[Prefix, ...] = ()
    attributes: PathAttributes | None = None
    nlri: tuple[Prefix, ...] = ()
    mp_reach: MpReach | None = None
    mp_unreach: MpUnreach | None = None
    problems: tuple[UpdateMessageError, ...] = field(default=(), compare=False)

    @property
    def treat_as_withdraw(self) -> bool:
        """RFC 7606: the announced prefixes must be handled as withdrawn."""
        return bool(self.problems) and any(p.action is ErrorAction.TREAT_AS_WITHDRAW for p in self.problems)

    @property
    def end_of_rib(self) -> Family | None:
        """The family this UPDATE marks as End-of-RIB (RFC 4724 §2), or None."""
        if self.withdrawn or self.nlri or self.attributes is not None or self.mp_reach is not None:
            return None
        if self.mp_unreach is None:
            return IPV4_UNICAST
        if not self.mp_unreach.withdrawn:
            return (self.mp_unreach.afi, self.mp_unreach.safi)
        return None

    def announced(self) -> Iterator[tuple[Family, tuple[Prefix, ...], PathAttributes]]:
        """(family, prefixes, attributes with that family's next hop) for reachable NLRI.

        Yields nothing when the UPDATE must be treated as withdraw.
        """
        if self.treat_as_withdraw or self.attributes is None:
            return
        if self.nlri:
            yield IPV4_UNICAST, self.nlri, self.attributes
        mp = self.mp_reach
        if mp is not None and mp.nlri:
            attrs = self.attributes.replace(next_hop=mp.next_hop, next_hop_link_local=mp.link_local)
            yield (mp.afi, mp.safi), mp.nlri, attrs

    def withdrawals(self) -> Iterator[tuple[Family, tuple[Prefix, ...]]]:
        """(family, prefixes) to withdraw, including announced ones under treat-as-withdraw."""
        if self.withdrawn:
            yield IPV4_UNICAST, self.withdrawn
        if self.mp_unreach is not None and self.mp_unreach.withdrawn:
            yield (self.mp_unreach.afi, self.mp_unreach.safi), self.mp_unreach.withdrawn
        if self.treat_as_withdraw:
            if self.nlri:
                yield IPV4_UNICAST, self.nlri
            if self.mp_reach is not None and self.mp_reach.nlri:
                yield (self.mp_reach.afi, self.mp_reach.safi), self.mp_reach.nlri

    def encode(self, neg: Negotiated) -> bytes:
        """Full UPDATE message (ValueError if it does not fit in 4096 octets)."""
        tlvs: list[tuple[int, bytes]] = []
        if self.attributes is not None:
            tlvs = encode_attributes(self.attributes, neg, with_next_hop=bool(self.nlri))
        if self.mp_reach is not None:
            tlvs.append((AttrType.MP_REACH_NLRI, encode_tlv(MP_FLAGS, AttrType.MP_REACH_NLRI,
                                                            self.mp_reach.encode_value())))
        if self.mp_unreach is not None:
            tlvs.append((AttrType.MP_UNREACH_NLRI, encode_tlv(MP_FLAGS, AttrType.MP_UNREACH_NLRI,
                                                              self.mp_unreach.encode_value())))
        tlvs.sort(key=lambda t: t[0])
        attrs = b"".join(t for _, t in tlvs)
        withdrawn = nlri_codec.encode_prefixes(self.withdrawn, AFI.IPV4)
        return frame(MessageType.UPDATE, struct.pack("!H", len(withdrawn)) + withdrawn
                     + struct.pack("!H", len(attrs)) + attrs + nlri_codec.encode_prefixes(self.nlri, AFI.IPV4))

    @classmethod
    def decode_body(cls, body: bytes, neg: Negotiated) -> "Update":
        """Parse an UPDATE body with RFC 4271 §6.3 / RFC 7606 error handling."""
        return decode_update(bytes(body), neg)


class _Block(NamedTuple):
    """Everything about an attribute field that does not depend on the NLRI around it."""

    decoded: DecodedAttributes
    attributes: PathAttributes | None
    reset: UpdateMessageError | None
    classic_checks: tuple[UpdateMessageError, ...]
    mp_checks: tuple[UpdateMessageError, ...]


@lru_cache(maxsize=512)
def _attribute_block(data: bytes, neg: Negotiated) -> _Block:
    """Decode and check an attribute field once; identical fields (common in bulk) hit the cache."""
    decoded = decode_attributes(data, neg)
    reset = next((p for p in decoded.problems if p.action is ErrorAction.SESSION_RESET), None)
    plain = bool(decoded.present - {AttrType.MP_REACH_NLRI, AttrType.MP_UNREACH_NLRI})
    return _Block(decoded, decoded.attributes if plain else None, reset,
                  tuple(_semantic_checks(decoded, True, neg)), tuple(_semantic_checks(decoded, False, neg)))


def _prefixes(data: bytes, afi: int, start: int, end: int, subcode: int, tlv: bytes, what: str) -> list[Prefix]:
    try:
        return nlri_codec.decode_prefixes(data, afi, start, end)
    except NlriError as exc:
        raise UpdateMessageError(subcode, tlv, f"{what}: {exc}") from None


def _mp_reach(value: bytes, tlv: bytes, neg: Negotiated, problems: list) -> MpReach | None:
    bad = UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR
    if len(value) < 5:
        raise UpdateMessageError(bad, tlv, f"MP_REACH_NLRI of {len(value)} octets")
    afi, safi, nh_len = struct.unpack_from("!HBB", value)
    if 5 + nh_len > len(value):
        raise UpdateMessageError(bad, tlv, f"MP_REACH_NLRI next hop length {nh_len} overruns the attribute")
    if (afi, safi) not in _SUPPORTED or (afi, safi) not in neg.families:
        problems.append(problem(bad, tlv, f"MP_REACH_NLRI for unnegotiated family {afi}/{safi}",
                                ErrorAction.ATTRIBUTE_DISCARD, AttrType.MP_REACH_NLRI))
        return None
    nh = value[4:4 + nh_len]
    link_local = None
    if afi == AFI.IPV4 and nh_len == 4:
        next_hop: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.IPv4Address(nh)
    elif afi == AFI.IPV6 and nh_len in (16, 32):
        next_hop = ipaddress.IPv6Address(nh[:16])
        if nh_len == 32:
            link_local = ipaddress.IPv6Address(nh[16:])
    else:
        raise UpdateMessageError(bad, tlv, f"MP_REACH_NLRI next hop length {nh_len} for AFI {afi}")
    prefixes = _prefixes(value, afi, 5 + nh_len, len(value), bad, tlv, "MP_REACH_NLRI")
    return MpReach(afi, safi, next_hop, tuple(prefixes), link_local)


def _mp_unreach(value: bytes, tlv: bytes, neg: Negotiated, problems: list) -> MpUnreach | None:
    bad = UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR
    if len(value) < 3:
        raise UpdateMessageError(bad, tlv, f"MP_UNREACH_NLRI of {len(value)} octets")
    afi, safi = struct.unpack_from("!HB", value)
    if (afi, safi) not in _SUPPORTED or (afi, safi) not in neg.families:
        problems.append(problem(bad, tlv, f"MP_UNREACH_NLRI for unnegotiated family {afi}/{safi}",
                                ErrorAction.ATTRIBUTE_DISCARD, AttrType.MP_UNREACH_NLRI))
        return None
    return MpUnreach(afi, safi, tuple(_prefixes(value, afi, 3, len(value), bad, tlv, "MP_UNREACH_NLRI")))


def decode_update(body: bytes, neg: Negotiated) -> Update:
    """Decode an UPDATE body. Raises the session-reset UpdateMessageError; milder ones go in ``problems``."""
    n = len(body)
    wlen = (body[0] << 8) | body[1]
    if 4 + wlen > n:
        raise UpdateMessageError(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, b"", f"withdrawn length {wlen} too large")
    astart = 4 + wlen
    aend = astart + ((body[2 + wlen] << 8) | body[3 + wlen])
    if aend > n:
        raise UpdateMessageError(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, b"", f"attribute length {aend - astart} too large")
    try:
        withdrawn = tuple(nlri_codec.decode_prefixes(body, AFI.IPV4, 2, 2 + wlen)) if wlen else ()
        announced = tuple(nlri_codec.decode_prefixes(body, AFI.IPV4, aend, n)) if aend < n else ()
    except NlriError as exc:
        raise UpdateMessageError(UpdateSubcode.INVALID_NETWORK_FIELD, b"", str(exc)) from None
    if aend == astart:
        if announced:
            err = problem(UpdateSubcode.MISSING_WELL_KNOWN_ATTRIBUTE, bytes((AttrType.ORIGIN,)),
                          "NLRI without path attributes", ErrorAction.TREAT_AS_WITHDRAW, AttrType.ORIGIN)
            return Update(withdrawn, None, announced, problems=(err,))
        return Update(withdrawn)
    raw = body[astart:aend]
    block = _attribute_block(raw, neg)
    if block.reset is not None:
        p = block.reset
        raise UpdateMessageError(p.subcode, p.data, p.reason, p.action, p.attr_type)
    decoded = block.decoded
    if decoded.mp_reach is None and decoded.mp_unreach is None:
        problems = decoded.problems + block.classic_checks if announced else decoded.problems
        return Update(withdrawn, block.attributes, announced, problems=problems)
    found: list[UpdateMessageError] = list(decoded.problems)
    mp_reach = mp_unreach = None
    if decoded.mp_reach is not None:
        tlv_start, start, end = decoded.mp_reach
        mp_reach = _mp_reach(raw[start:end], raw[tlv_start:end], neg, found)
    if decoded.mp_unreach is not None:
        tlv_start, start, end = decoded.mp_unreach
        mp_unreach = _mp_unreach(raw[start:end], raw[tlv_start:end], neg, found)
    if announced:
        found.extend(block.classic_checks)
    elif mp_reach is not None and mp_reach.nlri:
        found.extend(block.mp_checks)
    return Update(withdrawn, block.attributes, announced, mp_reach, mp_unreach, tuple(found))


def _semantic_checks(decoded: DecodedAttributes, classic: bool, neg: Negotiated) -> list[UpdateMessageError]:
    """Missing well-known mandatory attributes and the eBGP first-AS rule (both treat-as-withdraw).

    ``classic``: the NLRI field is not empty, so NEXT_HOP is mandatory too.
    """
    out = []
    present = decoded.present
    required = (AttrType.ORIGIN, AttrType.AS_PATH, AttrType.NEXT_HOP) if classic else (
        AttrType.ORIGIN, AttrType.AS_PATH)
    for t in required:
        if t not in present:
            out.append(problem(UpdateSubcode.MISSING_WELL_KNOWN_ATTRIBUTE, bytes((t,)),
                               f"missing {t.name}", ErrorAction.TREAT_AS_WITHDRAW, t))
    path_ok = AttrType.AS_PATH in present and not any(p.attr_type == AttrType.AS_PATH for p in decoded.problems)
    if neg.ebgp and neg.enforce_first_as and path_ok:
        first = decoded.attributes.as_path.first_as()
        if first != neg.peer_asn:
            out.append(problem(UpdateSubcode.MALFORMED_AS_PATH, b"",
                               f"first AS {first} is not the neighbour AS {neg.peer_asn}",
                               ErrorAction.TREAT_AS_WITHDRAW, AttrType.AS_PATH))
    return out


Message = Union[Open, Update, Notification, Keepalive, RouteRefresh]
_CLASSES: dict[MessageType, type] = {
    MessageType.OPEN: Open,
    MessageType.UPDATE: Update,
    MessageType.NOTIFICATION: Notification,
    MessageType.KEEPALIVE: Keepalive,
    MessageType.ROUTE_REFRESH: RouteRefresh,
}


def decode_body(msg_type: MessageType, body: bytes, neg: Negotiated) -> Message:
    """Decode the body of a message whose header ``parse_header`` accepted."""
    return _CLASSES[msg_type].decode_body(body, neg)


def decode(data: bytes, neg: Negotiated) -> Message:
    """Decode one complete message (header included); its length must match the header."""
    if len(data) < HEADER_LEN:
        raise ValueError("shorter than a header")
    length, msg_type = parse_header(bytes(data[:HEADER_LEN]))
    if length != len(data):
        raise ValueError(f"header says {length} octets, got {len(data)}")
    return decode_body(msg_type, bytes(data[HEADER_LEN:]), neg)


def split_messages(buffer: bytes) -> tuple[list[tuple[MessageType, bytes]], int]:
    """Cut complete messages out of a byte stream: ([(type, body), ...], octets consumed).

    Validates each header; an incomplete trailing message is left for the next read.
    """
    out = []
    i, n = 0, len(buffer)
    while n - i >= HEADER_LEN:
        length, msg_type = parse_header(bytes(buffer[i:i + HEADER_LEN]))
        if n - i < length:
            break
        out.append((msg_type, bytes(buffer[i + HEADER_LEN:i + length])))
        i += length
    return out, i


def _pack(prefixes: list[Prefix] | tuple[Prefix, ...], fixed: int) -> Iterator[list[Prefix]]:
    """Split prefixes into chunks whose encoding fits next to ``fixed`` octets in one message."""
    room = MAX_MESSAGE_LEN - fixed
    chunk: list[Prefix] = []
    used = 0
    for p in prefixes:
        size = 1 + ((p[1] + 7) >> 3)
        if used + size > room and chunk:
            yield chunk
            chunk, used = [], 0
        chunk.append(p)
        used += size
    if chunk:
        yield chunk


def pack_updates(family: Family, prefixes: list[Prefix] | tuple[Prefix, ...], attrs: PathAttributes,
                 neg: Negotiated) -> list[bytes]:
    """As few UPDATE messages as possible announcing ``prefixes`` with ``attrs`` (next hop included)."""
    if not prefixes:
        return []
    if family == IPV4_UNICAST:
        fixed = len(Update(attributes=attrs, nlri=((0, 0),)).encode(neg)) - 1
        return [Update(attributes=attrs, nlri=tuple(c)).encode(neg) for c in _pack(prefixes, fixed)]
    afi, safi = family
    if attrs.next_hop is None:
        raise ValueError("an MP_REACH_NLRI announcement needs a next hop")
    base = attrs.replace(next_hop=None, next_hop_link_local=None)

    def build(chunk: tuple[Prefix, ...]) -> Update:
        return Update(attributes=base, mp_reach=MpReach(afi, safi, attrs.next_hop, chunk, attrs.next_hop_link_local))

    fixed = len(build(()).encode(neg)) + 2
    return [build(tuple(c)).encode(neg) for c in _pack(prefixes, fixed)]


def pack_withdrawals(family: Family, prefixes: list[Prefix] | tuple[Prefix, ...], neg: Negotiated) -> list[bytes]:
    """As few UPDATE messages as possible withdrawing ``prefixes``."""
    if family == IPV4_UNICAST:
        return [Update(withdrawn=tuple(c)).encode(neg) for c in _pack(prefixes, HEADER_LEN + 4)]
    afi, safi = family
    fixed = len(Update(mp_unreach=MpUnreach(afi, safi)).encode(neg)) + 2
    return [Update(mp_unreach=MpUnreach(afi, safi, tuple(c))).encode(neg) for c in _pack(prefixes, fixed)]


def end_of_rib(family: Family, neg: Negotiated) -> bytes:
    """The End-of-RIB marker for ``family`` (RFC 4724 §2)."""
    if family == IPV4_UNICAST:
        return Update().encode(neg)
    return Update(mp_unreach=MpUnreach(family[0], family[1])).encode(neg)
