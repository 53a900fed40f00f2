"""OPEN capabilities (RFC 5492) with a registry keyed by capability code.

A Capabilities optional parameter (type 2) holds a run of TLVs::

    +--------+--------+-------------------------+
    |  code  | length |  value (length octets)  |
    +--------+--------+-------------------------+

Values we understand:

* 1  Multiprotocol (RFC 4760):   AFI (2) | reserved (1) | SAFI (1)
* 2  Route Refresh (RFC 2918):   empty
* 64 Graceful Restart (RFC 4724): R|N|rsv (4 bits) + restart time (12 bits), then per family
                                  AFI (2) | SAFI (1) | flags (1, bit 0x80 = forwarding state kept)
* 65 4-octet AS (RFC 6793):      AS number (4)
* 70 Enhanced Route Refresh (RFC 7313): empty

Anything else is kept verbatim as ``UnknownCapability`` so it can be logged or echoed.
"""
from __future__ import annotations

import struct
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Callable, ClassVar

from .constants import CapabilityCode, OpenSubcode
from .errors import OpenMessageError


class Capability(ABC):
    """Base class: subclasses set CODE and implement ``encode_value``; registered ones also have a
    ``decode_value(value) -> Capability`` classmethod raising OpenMessageError when malformed."""

    CODE: ClassVar[int]

    @property
    def code(self) -> int:
        """Capability code octet."""
        return self.CODE

    @abstractmethod
    def encode_value(self) -> bytes:
        """The value octets of this capability."""

    def encode(self) -> bytes:
        """The full TLV."""
        value = self.encode_value()
        return bytes((self.code, len(value))) + value


_REGISTRY: dict[int, Callable[[bytes], Capability]] = {}


def _register(cls: type) -> type:
    _REGISTRY[cls.CODE] = cls.decode_value
    return cls


def _bad(cls: type, value: bytes) -> OpenMessageError:
    return OpenMessageError(OpenSubcode.UNSPECIFIC, b"",
                            f"malformed capability {cls.__name__} ({len(value)} octets)")


@_register
@dataclass(frozen=True)
class Multiprotocol(Capability):
    """Support for one (AFI, SAFI)."""

    CODE: ClassVar[int] = CapabilityCode.MULTIPROTOCOL
    afi: int
    safi: int

    @classmethod
    def decode_value(cls, value: bytes) -> "Multiprotocol":
        if len(value) != 4:
            raise _bad(cls, value)
        afi, _reserved, safi = struct.unpack("!HBB", value)
        return cls(afi, safi)

    def encode_value(self) -> bytes:
        return struct.pack("!HBB", self.afi, 0, self.safi)


class _EmptyCapability(Capability):
    """A capability that carries no value octets (any value is malformed)."""

    @classmethod
    def decode_value(cls, value: bytes) -> "_EmptyCapability":
        if value:
            raise _bad(cls, value)
        return cls()

    def encode_value(self) -> bytes:
        return b""


@_register
@dataclass(frozen=True)
class RouteRefresh(_EmptyCapability):
    """The peer accepts ROUTE-REFRESH messages."""

    CODE: ClassVar[int] = CapabilityCode.ROUTE_REFRESH


@_register
@dataclass(frozen=True)
class EnhancedRouteRefresh(_EmptyCapability):
    """RFC 7313: the peer brackets refreshes with BoRR/EoRR."""

    CODE: ClassVar[int] = CapabilityCode.ENHANCED_ROUTE_REFRESH


@_register
@dataclass(frozen=True)
class FourOctetAs(Capability):
    """RFC 6793: the speaker's real AS number."""

    CODE: ClassVar[int] = CapabilityCode.FOUR_OCTET_AS
    asn: int

    @classmethod
    def decode_value(cls, value: bytes) -> "FourOctetAs":
        if len(value) != 4:
            raise _bad(cls, value)
        return cls(struct.unpack("!I", value)[0])

    def encode_value(self) -> bytes:
        return struct.pack("!I", self.asn)


@dataclass(frozen=True)
class GracefulRestartFamily:
    """One family in the Graceful Restart capability."""

    afi: int
    safi: int
    forwarding_preserved: bool = False


@_register
@dataclass(frozen=True)
class GracefulRestart(Capability):
    """RFC 4724 (+ RFC 8538 N bit): restart state, restart time and per-family forwarding flags."""

    CODE: ClassVar[int] = CapabilityCode.GRACEFUL_RESTART
    restart_time: int
    restarting: bool = False
    notification: bool = False
    families: tuple[GracefulRestartFamily, ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.restart_time <= 0xFFF:
            raise ValueError(f"restart time {self.restart_time} does not fit in 12 bits")

    @classmethod
    def decode_value(cls, value: bytes) -> "GracefulRestart":
        if len(value) < 2 or (len(value) - 2) % 4:
            raise _bad(cls, value)
        flags_time = struct.unpack_from("!H", value)[0]
        families = tuple(
            GracefulRestartFamily(afi, safi, bool(flags & 0x80))
            for afi, safi, flags in struct.iter_unpack("!HBB", value[2:])
        )
        return cls(flags_time & 0xFFF, bool(flags_time & 0x8000), bool(flags_time & 0x4000), families)

    def encode_value(self) -> bytes:
        head = self.restart_time | (0x8000 if self.restarting else 0) | (0x4000 if self.notification else 0)
        return struct.pack("!H", head) + b"".join(
            struct.pack("!HBB", f.afi, f.safi, 0x80 if f.forwarding_preserved else 0) for f in self.families
        )


@dataclass(frozen=True)
class UnknownCapability(Capability):
    """A capability we do not implement, kept verbatim."""

    CODE: ClassVar[int] = -1
    unknown_code: int
    value: bytes = b""

    @property
    def code(self) -> int:
        return self.unknown_code

    def encode_value(self) -> bytes:
        return self.value


def decode_capabilities(data: bytes) -> tuple[Capability, ...]:
    """Decode the TLVs of one Capabilities optional parameter."""
    caps: list[Capability] = []
    i, end = 0, len(data)
    while i < end:
        if i + 2 > end:
            raise OpenMessageError(OpenSubcode.UNSPECIFIC, b"", "truncated capability header")
        code, length = data[i], data[i + 1]
        if i + 2 + length > end:
            raise OpenMessageError(OpenSubcode.UNSPECIFIC, b"", f"capability {code} overruns its parameter")
        value = bytes(data[i + 2:i + 2 + length])
        decoder = _REGISTRY.get(code)
        caps.append(decoder(value) if decoder else UnknownCapability(code, value))
        i += 2 + length
    return tuple(caps)


def encode_capabilities(caps: tuple[Capability, ...] | list[Capability]) -> bytes:
    """Encode capabilities as consecutive TLVs (the value of one optional parameter)."""
    return b"".join(c.encode() for c in caps)
