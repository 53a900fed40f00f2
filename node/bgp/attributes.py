"""Path attributes (RFC 4271 §4.3, §5; RFC 1997, 4456, 6793, 7607) and their RFC 7606 handling.

Every attribute is a TLV::

    +-------+------+-------------------+----------------------------------+
    | flags | type | length (1 or 2*)  | value                            |
    +-------+------+-------------------+----------------------------------+
    flags: 0x80 optional, 0x40 transitive, 0x20 partial, 0x10 extended length (*2-octet length)

In memory one UPDATE's attributes (all but MP_REACH/MP_UNREACH, which carry NLRI) become ONE
frozen ``PathAttributes`` shared by every prefix of that UPDATE. Its ``next_hop`` holds the route's
next hop whatever the family (NEXT_HOP for IPv4, the MP_REACH next hop for IPv6); where it goes on
the wire is message.py's business. AS numbers are always 4-octet in memory: on a 2-octet session
AS4_PATH / AS4_AGGREGATOR are merged in on decode (RFC 6793 §4.2.3) and generated on encode.

The codecs live in ``REGISTRY`` (type code → ``AttrCodec``); types not in it fall back to
``UnknownAttribute`` (optional transitive: kept and passed on with the Partial bit; optional
non-transitive: dropped; well-known: a session-reset error).
"""
from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterator, NamedTuple

from .constants import (
    AS_TRANS,
    AttrFlag,
    AttrType,
    OriginCode,
    SegmentType,
    UpdateSubcode,
)
from .errors import ErrorAction, UpdateMessageError
from .negotiate import Negotiated

IPv4 = ipaddress.IPv4Address
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

WELL_KNOWN = AttrFlag.TRANSITIVE
OPTIONAL_TRANSITIVE = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE
OPTIONAL_NON_TRANSITIVE = AttrFlag.OPTIONAL

_ALL_SEGMENT_TYPES = frozenset(int(t) for t in SegmentType)


@dataclass(frozen=True)
class AsPath:
    """AS_PATH as segments ``((SegmentType, (asn, ...)), ...)``, 4-octet AS numbers."""

    segments: tuple[tuple[int, tuple[int, ...]], ...] = ()

    @classmethod
    def sequence(cls, *asns: int) -> "AsPath":
        """A path made of one AS_SEQUENCE (or empty)."""
        return cls(((SegmentType.AS_SEQUENCE, tuple(asns)),) if asns else ())

    def length(self) -> int:
        """Path length for best-path selection: an AS_SET counts 1, confederation segments 0."""
        n = 0
        for kind, asns in self.segments:
            if kind == SegmentType.AS_SEQUENCE:
                n += len(asns)
            elif kind == SegmentType.AS_SET:
                n += 1
        return n

    def first_as(self) -> int | None:
        """Leftmost AS of a leading AS_SEQUENCE (the neighbour AS for eBGP routes), if any."""
        for kind, asns in self.segments:
            if kind == SegmentType.AS_SEQUENCE:
                return asns[0]
            if kind == SegmentType.AS_SET:
                return None
        return None

    def contains(self, asn: int) -> bool:
        """True if ``asn`` appears anywhere in the path (loop detection)."""
        for _, asns in self.segments:
            if asn in asns:
                return True
        return False

    def prepend(self, asn: int, count: int = 1) -> "AsPath":
        """The path with ``asn`` prepended ``count`` times (RFC 4271 §5.1.2)."""
        if count <= 0:
            return self
        segs = self.segments
        if segs and segs[0][0] == SegmentType.AS_SEQUENCE and len(segs[0][1]) + count <= 255:
            return AsPath(((SegmentType.AS_SEQUENCE, (asn,) * count + segs[0][1]),) + segs[1:])
        return AsPath(((SegmentType.AS_SEQUENCE, (asn,) * count),) + segs)

    def __str__(self) -> str:
        parts = []
        for kind, asns in self.segments:
            text = " ".join(str(a) for a in asns)
            if kind == SegmentType.AS_SEQUENCE:
                parts.append(text)
            elif kind == SegmentType.AS_SET:
                parts.append("{" + ",".join(str(a) for a in asns) + "}")
            elif kind == SegmentType.AS_CONFED_SEQUENCE:
                parts.append(f"({text})")
            else:
                parts.append("[" + ",".join(str(a) for a in asns) + "]")
        return " ".join(parts)


@dataclass(frozen=True)
class Aggregator:
    """AGGREGATOR: the AS and router that formed the aggregate."""

    asn: int
    address: IPv4


@dataclass(frozen=True)
class UnknownAttribute:
    """An optional transitive attribute we do not implement, kept verbatim (flags as received).

    The codec does not touch the flags so that wire round-trips are exact; whoever passes the
    attribute on to another peer sets the Partial bit (``policy.export_attributes``).
    """

    type_code: int
    flags: int
    value: bytes


@dataclass(frozen=True)
class PathAttributes:
    """The attributes of a route (shared by all prefixes of one UPDATE). Immutable."""

    origin: int = OriginCode.IGP
    as_path: AsPath = field(default_factory=AsPath)
    next_hop: IPAddress | None = None
    next_hop_link_local: ipaddress.IPv6Address | None = None
    med: int | None = None
    local_pref: int | None = None
    atomic_aggregate: bool = False
    aggregator: Aggregator | None = None
    communities: tuple[int, ...] = ()
    originator_id: IPv4 | None = None
    cluster_list: tuple[IPv4, ...] = ()
    unknown: tuple[UnknownAttribute, ...] = ()

    def replace(self, **changes: Any) -> "PathAttributes":
        """A copy with some fields changed."""
        return replace(self, **changes)


class AttrCodec(NamedTuple):
    """Registry entry: how one attribute type is checked, decoded, encoded and handled when bad."""

    type_code: AttrType
    flags: int
    field: str
    decode: Callable[[bytes, Negotiated], Any]
    encode: Callable[[Any, Negotiated], bytes]
    on_error: ErrorAction


class Malformed(Exception):
    """Raised by a value decoder: (subcode, reason); the caller adds data and the RFC 7606 action."""

    def __init__(self, subcode: UpdateSubcode, reason: str):
        super().__init__(reason)
        self.subcode = subcode
        self.reason = reason


def _fixed(value: bytes, n: int, name: str) -> None:
    if len(value) != n:
        raise Malformed(UpdateSubcode.ATTRIBUTE_LENGTH_ERROR, f"{name} length {len(value)}, expected {n}")


def _dec_origin(value: bytes, neg: Negotiated) -> int:
    _fixed(value, 1, "ORIGIN")
    if value[0] > OriginCode.INCOMPLETE:
        raise Malformed(UpdateSubcode.INVALID_ORIGIN_ATTRIBUTE, f"ORIGIN value {value[0]}")
    return OriginCode(value[0])


def _enc_origin(origin: int, neg: Negotiated) -> bytes:
    return bytes((origin,))


def decode_as_path(value: bytes, asn_size: int, subcode: UpdateSubcode = UpdateSubcode.MALFORMED_AS_PATH) -> AsPath:
    """Decode AS_PATH / AS4_PATH segments with 2- or 4-octet AS numbers (RFC 7606 §7.2 checks)."""
    fmt = "I" if asn_size == 4 else "H"
    segs = []
    i, n = 0, len(value)
    while i < n:
        if i + 2 > n:
            raise Malformed(subcode, "AS_PATH segment header underrun")
        kind, count = value[i], value[i + 1]
        if kind not in _ALL_SEGMENT_TYPES:
            raise Malformed(subcode, f"AS_PATH segment type {kind}")
        if count == 0:
            raise Malformed(subcode, "empty AS_PATH segment")
        end = i + 2 + count * asn_size
        if end > n:
            raise Malformed(subcode, "AS_PATH segment overrun")
        asns = struct.unpack(f"!{count}{fmt}", value[i + 2:end])
        if 0 in asns:
            raise Malformed(subcode, "AS 0 in AS_PATH (RFC 7607)")
        segs.append((SegmentType(kind), asns))
        i = end
    return AsPath(tuple(segs))


def encode_as_path(path: AsPath, asn_size: int) -> bytes:
    """AS_PATH value; on 2-octet sessions AS numbers above 65535 become AS_TRANS."""
    out = bytearray()
    fmt = "I" if asn_size == 4 else "H"
    for kind, asns in path.segments:
        if asn_size == 2:
            asns = tuple(a if a <= 0xFFFF else AS_TRANS for a in asns)
        for start in range(0, len(asns), 255):
            chunk = asns[start:start + 255]
            out += struct.pack(f"!BB{len(chunk)}{fmt}", kind, len(chunk), *chunk)
    return bytes(out)


def _dec_as_path(value: bytes, neg: Negotiated) -> AsPath:
    return decode_as_path(value, 4 if neg.four_octet_as else 2)


def _enc_as_path(path: AsPath, neg: Negotiated) -> bytes:
    return encode_as_path(path, 4 if neg.four_octet_as else 2)


def _dec_next_hop(value: bytes, neg: Negotiated) -> IPv4:
    _fixed(value, 4, "NEXT_HOP")
    addr = IPv4(value)
    if addr.is_unspecified or addr.is_multicast or int(addr) == 0xFFFFFFFF:
        raise Malformed(UpdateSubcode.INVALID_NEXT_HOP_ATTRIBUTE, f"NEXT_HOP {addr}")
    return addr


def _enc_ipv4(addr: IPAddress, neg: Negotiated) -> bytes:
    if addr.version != 4:
        raise ValueError(f"{addr} cannot be encoded as an IPv4 address")
    return addr.packed


def _dec_u32(name: str) -> Callable[[bytes, Negotiated], int]:
    def dec(value: bytes, neg: Negotiated) -> int:
        _fixed(value, 4, name)
        return struct.unpack("!I", value)[0]
    return dec


def _enc_u32(v: int, neg: Negotiated) -> bytes:
    return struct.pack("!I", v)


def _dec_atomic(value: bytes, neg: Negotiated) -> bool:
    _fixed(value, 0, "ATOMIC_AGGREGATE")
    return True


def _enc_atomic(v: bool, neg: Negotiated) -> bytes:
    return b""


def decode_aggregator(value: bytes, asn_size: int) -> Aggregator:
    """AGGREGATOR / AS4_AGGREGATOR value: AS (2 or 4 octets) then an IPv4 address."""
    _fixed(value, asn_size + 4, "AGGREGATOR")
    asn = int.from_bytes(value[:asn_size], "big")
    if asn == 0:
        raise Malformed(UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR, "AS 0 in AGGREGATOR (RFC 7607)")
    return Aggregator(asn, IPv4(value[asn_size:]))


def _dec_aggregator(value: bytes, neg: Negotiated) -> Aggregator:
    return decode_aggregator(value, 4 if neg.four_octet_as else 2)


def _enc_aggregator(agg: Aggregator, neg: Negotiated) -> bytes:
    if neg.four_octet_as:
        return struct.pack("!I", agg.asn) + agg.address.packed
    return struct.pack("!H", agg.asn if agg.asn <= 0xFFFF else AS_TRANS) + agg.address.packed


def _dec_u32_list(name: str) -> Callable[[bytes, Negotiated], tuple[int, ...]]:
    def dec(value: bytes, neg: Negotiated) -> tuple[int, ...]:
        if not value or len(value) % 4:
            raise Malformed(UpdateSubcode.ATTRIBUTE_LENGTH_ERROR, f"{name} length {len(value)}")
        return struct.unpack(f"!{len(value) // 4}I", value)
    return dec


def _enc_u32_list(values: tuple[int, ...], neg: Negotiated) -> bytes:
    return struct.pack(f"!{len(values)}I", *values)


def _dec_originator(value: bytes, neg: Negotiated) -> IPv4:
    _fixed(value, 4, "ORIGINATOR_ID")
    return IPv4(value)


def _dec_cluster_list(value: bytes, neg: Negotiated) -> tuple[IPv4, ...]:
    return tuple(IPv4(v) for v in _dec_u32_list("CLUSTER_LIST")(value, neg))


def _enc_cluster_list(ids: tuple[IPv4, ...], neg: Negotiated) -> bytes:
    return b"".join(i.packed for i in ids)


def _codec(t: AttrType, flags: int, fld: str, dec: Callable, enc: Callable, on_error: ErrorAction) -> AttrCodec:
    return AttrCodec(t, int(flags), fld, dec, enc, on_error)


_W = ErrorAction.TREAT_AS_WITHDRAW
_D = ErrorAction.ATTRIBUTE_DISCARD
_R = ErrorAction.SESSION_RESET

REGISTRY: dict[int, AttrCodec] = {c.type_code: c for c in (
    _codec(AttrType.ORIGIN, WELL_KNOWN, "origin", _dec_origin, _enc_origin, _W),
    _codec(AttrType.AS_PATH, WELL_KNOWN, "as_path", _dec_as_path, _enc_as_path, _W),
    _codec(AttrType.NEXT_HOP, WELL_KNOWN, "next_hop", _dec_next_hop, _enc_ipv4, _W),
    _codec(AttrType.MULTI_EXIT_DISC, OPTIONAL_NON_TRANSITIVE, "med", _dec_u32("MULTI_EXIT_DISC"), _enc_u32, _W),
    _codec(AttrType.LOCAL_PREF, WELL_KNOWN, "local_pref", _dec_u32("LOCAL_PREF"), _enc_u32, _W),
    _codec(AttrType.ATOMIC_AGGREGATE, WELL_KNOWN, "atomic_aggregate", _dec_atomic, _enc_atomic, _D),
    _codec(AttrType.AGGREGATOR, OPTIONAL_TRANSITIVE, "aggregator", _dec_aggregator, _enc_aggregator, _D),
    _codec(AttrType.COMMUNITIES, OPTIONAL_TRANSITIVE, "communities", _dec_u32_list("COMMUNITIES"), _enc_u32_list, _W),
    _codec(AttrType.ORIGINATOR_ID, OPTIONAL_NON_TRANSITIVE, "originator_id", _dec_originator, _enc_ipv4, _W),
    _codec(AttrType.CLUSTER_LIST, OPTIONAL_NON_TRANSITIVE, "cluster_list", _dec_cluster_list, _enc_cluster_list, _W),
)}

# Attributes handled outside the registry: MP_* carry NLRI (message.py), AS4_* are merged here.
MP_FLAGS = int(OPTIONAL_NON_TRANSITIVE)
AS4_FLAGS = int(OPTIONAL_TRANSITIVE)
_IBGP_ONLY = frozenset((AttrType.LOCAL_PREF, AttrType.ORIGINATOR_ID, AttrType.CLUSTER_LIST))


def encode_tlv(flags: int, type_code: int, value: bytes) -> bytes:
    """One attribute TLV, using the extended length form only when needed."""
    if len(value) > 255:
        return struct.pack("!BBH", flags | AttrFlag.EXTENDED_LENGTH, type_code, len(value)) + value
    return struct.pack("!BBB", flags & ~AttrFlag.EXTENDED_LENGTH, type_code, len(value)) + value


def iter_tlvs(data: bytes) -> Iterator[tuple[int, int, int, int, int]]:
    """Yield (flags, type, value_start, value_end, tlv_start) for each attribute in ``data``.

    Raises ``Malformed`` (MALFORMED_ATTRIBUTE_LIST) when an attribute header or value overruns the
    attribute field (RFC 7606 §4); attributes before the overrun have been yielded already.
    """
    i, n = 0, len(data)
    while i < n:
        if i + 3 > n:
            raise Malformed(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, "attribute header overruns the attribute field")
        flags, type_code = data[i], data[i + 1]
        if flags & AttrFlag.EXTENDED_LENGTH:
            if i + 4 > n:
                raise Malformed(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, "attribute header overruns the attribute field")
            length = (data[i + 2] << 8) | data[i + 3]
            start = i + 4
        else:
            length = data[i + 2]
            start = i + 3
        end = start + length
        if end > n:
            raise Malformed(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST,
                            f"attribute {type_code} length {length} overruns the attribute field")
        yield flags, type_code, start, end, i
        i = end


def flags_ok(flags: int, expected: int) -> bool:
    """Optional/Transitive bits as specified, and Partial only on optional transitive attributes."""
    if flags & 0xC0 != expected:
        return False
    return not (flags & AttrFlag.PARTIAL) or expected == OPTIONAL_TRANSITIVE


def problem(subcode: int, tlv: bytes, reason: str, action: ErrorAction, attr_type: int | None) -> UpdateMessageError:
    """An UpdateMessageError whose data is the offending attribute (RFC 4271 §6.3)."""
    return UpdateMessageError(subcode, tlv, reason, action, attr_type)


class DecodedAttributes(NamedTuple):
    """Result of decoding an attribute field: shared attributes, raw MP TLVs and the errors found."""

    attributes: PathAttributes
    present: frozenset[int]
    mp_reach: tuple[int, int, int] | None
    mp_unreach: tuple[int, int, int] | None
    problems: tuple[UpdateMessageError, ...]


def decode_attributes(data: bytes, neg: Negotiated) -> DecodedAttributes:
    """Decode an UPDATE's path attribute field (everything but the NLRI inside MP_* attributes).

    MP_REACH/MP_UNREACH are returned as (tlv_start, value_start, value_end) for message.py.
    Problems of every RFC 7606 action are returned; the caller raises SESSION_RESET ones and
    checks for missing mandatory attributes (which depends on the NLRI).
    """
    values: dict[str, Any] = {}
    unknown: list[UnknownAttribute] = []
    seen: set[int] = set()
    problems: list[UpdateMessageError] = []
    mp: dict[int, tuple[int, int, int]] = {}
    as4_path: bytes | None = None
    as4_agg: bytes | None = None
    try:
        for flags, t, start, end, tlv_start in iter_tlvs(data):
            if t in seen:
                if t in (AttrType.MP_REACH_NLRI, AttrType.MP_UNREACH_NLRI):
                    problems.append(problem(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, b"",
                                            f"attribute {t} appears twice", _R, t))
                continue
            seen.add(t)
            value = data[start:end]
            codec = REGISTRY.get(t)
            if codec is not None:
                if neg.ebgp and t in _IBGP_ONLY:
                    problems.append(problem(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, data[tlv_start:end],
                                            f"{codec.type_code.name} from an external peer", _D, t))
                    continue
                if not flags_ok(flags, codec.flags):
                    problems.append(problem(UpdateSubcode.ATTRIBUTE_FLAGS_ERROR, data[tlv_start:end],
                                            f"flags 0x{flags:02x} for {codec.type_code.name}", codec.on_error, t))
                    continue
                try:
                    values[codec.field] = codec.decode(value, neg)
                except Malformed as exc:
                    problems.append(problem(exc.subcode, data[tlv_start:end], exc.reason, codec.on_error, t))
            elif t in (AttrType.MP_REACH_NLRI, AttrType.MP_UNREACH_NLRI):
                if not flags_ok(flags, MP_FLAGS):
                    problems.append(problem(UpdateSubcode.ATTRIBUTE_FLAGS_ERROR, data[tlv_start:end],
                                            f"flags 0x{flags:02x} for {AttrType(t).name}", _R, t))
                    continue
                mp[t] = (tlv_start, start, end)
            elif t in (AttrType.AS4_PATH, AttrType.AS4_AGGREGATOR):
                if not flags_ok(flags, AS4_FLAGS):
                    problems.append(problem(UpdateSubcode.ATTRIBUTE_FLAGS_ERROR, data[tlv_start:end],
                                            f"flags 0x{flags:02x} for {AttrType(t).name}", _D, t))
                    continue
                if neg.four_octet_as:
                    problems.append(problem(UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR, data[tlv_start:end],
                                            f"{AttrType(t).name} on a 4-octet AS session", _D, t))
                    continue
                if t == AttrType.AS4_PATH:
                    as4_path = data[tlv_start:end]
                else:
                    as4_agg = data[tlv_start:end]
            elif not flags & AttrFlag.OPTIONAL:
                problems.append(problem(UpdateSubcode.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE, data[tlv_start:end],
                                        f"unrecognized well-known attribute {t}", _R, t))
            elif flags & AttrFlag.TRANSITIVE:
                unknown.append(UnknownAttribute(t, flags & 0xE0, bytes(value)))
    except Malformed as exc:
        problems.append(problem(exc.subcode, b"", exc.reason, _W, None))
    if as4_path is not None or as4_agg is not None:
        _merge_as4(values, as4_path, as4_agg, problems)
    attrs = PathAttributes(unknown=tuple(unknown), **values)
    return DecodedAttributes(attrs, frozenset(seen), mp.get(AttrType.MP_REACH_NLRI),
                             mp.get(AttrType.MP_UNREACH_NLRI), tuple(problems))


def _tlv_value(tlv: bytes) -> bytes:
    return tlv[4:] if tlv[0] & AttrFlag.EXTENDED_LENGTH else tlv[3:]


def _merge_as4(values: dict[str, Any], as4_path: bytes | None, as4_agg: bytes | None,
               problems: list[UpdateMessageError]) -> None:
    """RFC 6793 §4.2.3: rebuild 4-octet AS_PATH / AGGREGATOR from the AS4_* attributes (2-octet session)."""
    if as4_agg is not None:
        agg = values.get("aggregator")
        try:
            agg4 = decode_aggregator(_tlv_value(as4_agg), 4)
        except Malformed as exc:
            problems.append(problem(UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR, as4_agg, exc.reason, _D,
                                    AttrType.AS4_AGGREGATOR))
        else:
            if agg is not None and agg.asn != AS_TRANS:
                return
            values["aggregator"] = agg4
    if as4_path is None:
        return
    try:
        path4 = decode_as_path(_tlv_value(as4_path), 4)
    except Malformed as exc:
        problems.append(problem(UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR, as4_path, exc.reason, _D, AttrType.AS4_PATH))
        return
    if any(k in (SegmentType.AS_CONFED_SEQUENCE, SegmentType.AS_CONFED_SET) for k, _ in path4.segments):
        problems.append(problem(UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR, as4_path, "confederation segment in AS4_PATH",
                                _D, AttrType.AS4_PATH))
        return
    path2: AsPath = values.get("as_path", AsPath())
    keep = path2.length() - path4.length()
    if keep < 0:
        return
    head: list[tuple[int, tuple[int, ...]]] = []
    for kind, asns in path2.segments:
        if kind in (SegmentType.AS_CONFED_SEQUENCE, SegmentType.AS_CONFED_SET):
            head.append((kind, asns))
        elif keep <= 0:
            break
        elif kind == SegmentType.AS_SET:
            head.append((kind, asns))
            keep -= 1
        else:
            take = asns[:keep]
            head.append((kind, take))
            keep -= len(take)
    tail = list(path4.segments)
    if (head and tail and head[-1][0] == tail[0][0] == SegmentType.AS_SEQUENCE
            and len(head[-1][1]) + len(tail[0][1]) <= 255):
        head[-1] = (SegmentType.AS_SEQUENCE, head[-1][1] + tail.pop(0)[1])
    values["as_path"] = AsPath(tuple(head + tail))


def encode_attributes(attrs: PathAttributes, neg: Negotiated, *, with_next_hop: bool) -> list[tuple[int, bytes]]:
    """(type code, TLV) for every attribute present, AS4_* added on 2-octet sessions.

    ``with_next_hop`` False leaves NEXT_HOP out (the next hop travels in MP_REACH_NLRI).
    """
    out: list[tuple[int, bytes]] = []
    for t, codec in REGISTRY.items():
        v = getattr(attrs, codec.field)
        if v is None or v is False or (isinstance(v, tuple) and not v and t != AttrType.AS_PATH):
            continue
        if t == AttrType.NEXT_HOP and (not with_next_hop or v.version != 4):
            continue
        out.append((t, encode_tlv(codec.flags, t, codec.encode(v, neg))))
    if not neg.four_octet_as:
        if any(a > 0xFFFF for _, asns in attrs.as_path.segments for a in asns):
            path4 = AsPath(tuple((k, a) for k, a in attrs.as_path.segments
                                 if k in (SegmentType.AS_SEQUENCE, SegmentType.AS_SET)))
            out.append((AttrType.AS4_PATH, encode_tlv(AS4_FLAGS, AttrType.AS4_PATH, encode_as_path(path4, 4))))
        if attrs.aggregator is not None and attrs.aggregator.asn > 0xFFFF:
            value = struct.pack("!I", attrs.aggregator.asn) + attrs.aggregator.address.packed
            out.append((AttrType.AS4_AGGREGATOR, encode_tlv(AS4_FLAGS, AttrType.AS4_AGGREGATOR, value)))
    for u in attrs.unknown:
        out.append((u.type_code, encode_tlv(u.flags, u.type_code, u.value)))
    return out
