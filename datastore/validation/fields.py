"""Field-level primitives on plain values: AS numbers, ports, protocols, enums, interfaces, MACs.

Parsers (``parse_asn``, ``parse_port``, ``parse_protocol``) raise ValueError with the text
libcalico-go's ``numorstring`` / Go's JSON decoder produce; predicates (``is_*``) mirror the
validator's field tags. All pure.
"""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from datastore.validation.netparse import parse_ip

MAX_ASN = 0xFFFFFFFF

ACTION_RE = re.compile("Allow|Deny|Log|Pass")
PROTOCOL_NAME_RE = re.compile("TCP|UDP|ICMP|ICMPv6|SCTP|UDPLite")
ENCAP_MODE_RE = re.compile("Always|CrossSubnet|Never")
LOG_LEVEL_RE = re.compile("Trace|Debug|Info|Warning|Error|Fatal")
INTERFACE_RE = re.compile("[a-zA-Z0-9_.-]{1,15}")
BGP_FILTER_INTERFACE_RE = re.compile("[a-zA-Z0-9_.*-]{1,15}")
IGNORED_INTERFACE_RE = re.compile("[a-zA-Z0-9_.*-]{1,15}")
IFACE_FILTER_RE = re.compile("[a-zA-Z0-9:._+-]{1,15}")
PROMETHEUS_HOST_RE = re.compile("[a-zA-Z0-9:._+-]{1,64}")
SOURCE_ADDRESS_RE = re.compile("UseNodeIP|None")
FILTER_ACTION_RE = re.compile("Accept|Reject")
MATCH_OPERATOR_RE = re.compile("Equal|In|NotEqual|NotIn")
BGP_FILTER_PREFIX_V4_RE = re.compile("([0-9]|[12][0-9]|3[0-2])")
BGP_FILTER_PREFIX_V6_RE = re.compile("([0-9]|[1-9][0-9]|1[0-1][0-9]|12[0-8])")
STANDARD_COMMUNITY_RE = re.compile("([0-9]+):([0-9]+)")
LARGE_COMMUNITY_RE = re.compile("([0-9]+):([0-9]+):([0-9]+)")

_DIGITS_RE = re.compile("[0-9]+")
_PORT_RANGE_RE = re.compile("([0-9]+):([0-9]+)")
_NAMED_PORT_RE = re.compile("[a-zA-Z0-9_.-]{1,128}")
_MAC_RE = re.compile(
    "(?:[0-9A-Fa-f]{2}(?P<s>[:-])(?:[0-9A-Fa-f]{2}(?P=s)){4,18}[0-9A-Fa-f]{2})"
    "|(?:[0-9A-Fa-f]{4}\\.(?:[0-9A-Fa-f]{4}\\.){1,8}[0-9A-Fa-f]{4})"
)
_IPV4_PORT_RE = re.compile("([0-9]+).([0-9]+).([0-9]+).([0-9]+):([0-9]+)")
_IPV6_PORT_RE = re.compile("\\[[0-9a-fA-F:.]+\\]:([0-9]+)")


def _parse_uint(text: str, bits: int) -> int | None:
    """Go ``strconv.ParseUint(text, 10, bits)``: the value, or None on syntax/range error."""
    if not _DIGITS_RE.fullmatch(text):
        return None
    value = int(text)
    return value if value < (1 << bits) else None


def parse_asn(value: object) -> int:
    """numorstring ``ASNumber`` from decoded JSON: an integer 0–4294967295 or ``"A.B"`` (16 bits each)."""
    if isinstance(value, bool):
        raise ValueError("cannot unmarshal bool into Go value of type string")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not value.is_integer():
            raise ValueError("cannot unmarshal number into Go value of type string")
        if 0 <= value <= MAX_ASN:
            return int(value)
        raise ValueError("cannot unmarshal number into Go value of type string")
    if not isinstance(value, str):
        raise ValueError(f"cannot unmarshal {type(value).__name__} into Go value of type string")
    number = _parse_uint(value, 32)
    if number is not None:
        return number
    parts = value.split(".")
    high = _parse_uint(parts[0], 16) if len(parts) == 2 else None
    low = _parse_uint(parts[1], 16) if len(parts) == 2 else None
    if high is None or low is None:
        raise ValueError(f"invalid AS Number format ({value})")
    return (high << 16) + low


@dataclass(frozen=True)
class Port:
    """numorstring ``Port``: a numeric range (``min_port``..``max_port``) or a named port."""

    min_port: int = 0
    max_port: int = 0
    name: str = ""

    def __str__(self) -> str:
        if self.name:
            return self.name
        if self.min_port == self.max_port:
            return str(self.min_port)
        return f"{self.min_port}:{self.max_port}"


def parse_port(value: object) -> Port:
    """numorstring ``Port`` from decoded JSON (an int, ``"n"``, ``"min:max"`` or a name)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError("cannot unmarshal into Go value of type uint16")
    if isinstance(value, int):
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"cannot unmarshal number {value} into Go value of type uint16")
        return Port(value, value)
    if _DIGITS_RE.fullmatch(value):
        number = _parse_uint(value, 16)
        if number is None:
            raise ValueError(f"invalid port format ({value})")
        return Port(number, number)
    match = _PORT_RANGE_RE.fullmatch(value)
    if match:
        low = _parse_uint(match.group(1), 16)
        if low is None:
            raise ValueError(f"invalid minimum port number in range ({value})")
        high = _parse_uint(match.group(2), 16)
        if high is None:
            raise ValueError(f"invalid maximum port number in range ({value})")
        if low > high:
            raise ValueError(
                f"minimum port number ({low}) is greater than maximum port number ({high}) in port range"
            )
        return Port(low, high)
    if not _NAMED_PORT_RE.fullmatch(value):
        raise ValueError(f"invalid name for named port ({value})")
    return Port(name=value)


@dataclass(frozen=True)
class Protocol:
    """numorstring ``Protocol``: ``number`` set for numeric forms, else ``name``."""

    number: int | None = None
    name: str = ""

    def __str__(self) -> str:
        return str(self.number) if self.number is not None else self.name

    @property
    def supports_ports(self) -> bool:
        """TCP, UDP or SCTP by number or (v3 or v1 spelling) name."""
        if self.number is not None:
            return self.number in (6, 17, 132)
        return self.name in ("TCP", "UDP", "tcp", "udp", "SCTP", "sctp")

    def same_as(self, name: str) -> bool:
        """Go ``*rule.Protocol == ProtocolFromString(name)`` (a name, compared as written)."""
        return self.number is None and self.name == name


def parse_protocol(value: object) -> Protocol:
    """numorstring ``Uint8OrString`` from decoded JSON: ints 0–255, numeric strings become numbers."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError("cannot unmarshal into Go value of type uint8")
    if isinstance(value, int):
        if not 0 <= value <= 255:
            raise ValueError(f"cannot unmarshal number {value} into Go value of type uint8")
        return Protocol(number=value)
    number = _parse_uint(value, 8)
    if number is not None:
        return Protocol(number=number)
    return Protocol(name=value)


def protocol_error(protocol: Protocol) -> str | None:
    """libcalico-go ``validateProtocol``: the reason, or None when the protocol is valid."""
    if protocol.number is not None:
        return "protocol number invalid" if protocol.number == 0 else None
    return None if PROTOCOL_NAME_RE.fullmatch(protocol.name) else "protocol name invalid"


def is_mac(text: str) -> bool:
    """Go ``net.ParseMAC``: EUI-48/EUI-64/20-octet IPoIB in colon, hyphen or dotted forms."""
    if not isinstance(text, str) or not _MAC_RE.fullmatch(text):
        return False
    octets = len(re.sub("[:.-]", "", text)) // 2
    return octets in (6, 8, 20)


def is_interface_name(text: str, allow_wildcard: bool = True) -> bool:
    """Calico tag ``interface``: ``*`` or ``[a-zA-Z0-9_.-]{1,15}``."""
    return (allow_wildcard and text == "*") or INTERFACE_RE.fullmatch(text) is not None


def ip_port_split(text: str) -> tuple[str, int] | None:
    """libcalico-go ``processIPPort``: ``IP``, ``IPv4:port`` or ``[IPv6]:port`` → (ip, port) or None."""
    if not text:
        return None
    host, port = text, 0
    if _IPV4_PORT_RE.fullmatch(text) or _IPV6_PORT_RE.fullmatch(text):
        host, _, port_text = text.rpartition(":")
        if host.startswith("["):
            host = host[1:-1]
        elif ":" in host:
            return None
        number = _parse_uint(port_text, 16)
        if number is None or number < 1:
            return None
        port = number
    if parse_ip(host) is None:
        return None
    return host, port


def is_wireguard_key(text: str) -> bool:
    """wgtypes ``ParseKey``: standard base64 of exactly 32 bytes."""
    try:
        return len(base64.b64decode(text, validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


def community_errors(value: str) -> tuple[bool, list[str]]:
    """libcalico-go community check: (well-formed, per-part range reasons) for ``aa:nn`` / ``aa:nn:mm``."""
    if STANDARD_COMMUNITY_RE.fullmatch(value):
        bits = 16
    elif LARGE_COMMUNITY_RE.fullmatch(value):
        bits = 32
    else:
        return False, []
    reasons = [
        f"invalid community value, expected {bits} bit value"
        for part in value.split(":")
        if _parse_uint(part, bits) is None
    ]
    return True, reasons
