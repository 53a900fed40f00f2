"""Calico's custom scalar types (libcalico-go ``numorstring`` and metav1 types) and their JSON codecs.

- AS numbers: an integer 0–4294967295 or dotted ``A.B``; always written as the integer.
- Ports: a number, a ``"min:max"`` range or a named port (:class:`Port`).
- Protocols: a number 0–255 or a name; a numeric string becomes the number (zero value ``0``,
  as Go's Uint8OrString marshals it).
- Durations (metav1.Duration): Go duration text, re-written canonically (``90s`` → ``1m30s``).
- Timestamps (metav1.Time): RFC 3339, written in UTC at second precision; zero is ``null``.
"""
from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Annotated

from datastore.resources.serde import TypeMismatch, decode_int, format_timestamp, json_kind

_MAX_ASN = 2**32 - 1


def parse_asn(text: str) -> int:
    """An AS number from text: plain integer or dotted ``A.B``; ValueError with Calico's wording."""
    if re.fullmatch(r"[0-9]+", text) and int(text) <= _MAX_ASN:
        return int(text)
    parts = text.split(".")
    if len(parts) == 2 and all(re.fullmatch(r"[0-9]+", p) and int(p) <= 0xFFFF for p in parts):
        return (int(parts[0]) << 16) + int(parts[1])
    raise ValueError(f"invalid AS Number format ({text})")


class _ASNCodec:
    go_type = "numorstring.ASNumber"

    def decode(self, value: object) -> int:
        if value is None:
            return 0
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if isinstance(value, int) or value.is_integer():
                if 0 <= value <= _MAX_ASN:
                    return int(value)
            raise TypeMismatch(message="cannot unmarshal number into Go value of type string")
        if not isinstance(value, str):
            raise TypeMismatch(message=f"cannot unmarshal {json_kind(value)} into Go value of type string")
        try:
            return parse_asn(value)
        except ValueError as err:
            raise TypeMismatch(message=str(err)) from None

    def encode(self, value: object) -> object:
        return value

    def is_empty(self, value: object) -> bool:
        return value == 0


ASN = _ASNCodec()
ASNumber = Annotated[int, ASN]


@dataclass(frozen=True)
class Port:
    """A port, a port range (``min_port:max_port``) or a named port."""

    min_port: int = 0
    max_port: int = 0
    name: str = ""

    @classmethod
    def parse(cls, text: str) -> "Port":
        """A port from its string form; ValueError with Calico's wording."""
        if re.fullmatch(r"[0-9]+", text) and int(text) <= 0xFFFF:
            return cls(int(text), int(text))
        match = re.fullmatch(r"([0-9]+):([0-9]+)", text)
        if match:
            low, high = int(match.group(1)), int(match.group(2))
            if low > 0xFFFF:
                raise ValueError(f"invalid minimum port number in range ({text})")
            if high > 0xFFFF:
                raise ValueError(f"invalid maximum port number in range ({text})")
            if low > high:
                raise ValueError(
                    f"minimum port number ({low}) is greater than maximum port number ({high}) in port range"
                )
            return cls(low, high)
        if not text or ":" in text:
            raise ValueError(f"invalid name for named port ({text})")
        return cls(name=text)

    def to_json(self) -> int | str:
        """The JSON form: a number for a single port, else ``"min:max"`` or the name."""
        if self.name:
            return self.name
        if self.min_port == self.max_port:
            return self.min_port
        return f"{self.min_port}:{self.max_port}"

    def __str__(self) -> str:
        return str(self.to_json())


class _PortCodec:
    go_type = "numorstring.Port"

    def decode(self, value: object) -> Port:
        if value is None:
            return Port()
        if isinstance(value, str):
            try:
                return Port.parse(value)
            except ValueError as err:
                raise TypeMismatch(message=str(err)) from None
        try:
            number = decode_int(value, "uint16")
        except TypeMismatch as err:
            detail = err.detail or json_kind(value)
            raise TypeMismatch(message=f"cannot unmarshal {detail} into Go value of type uint16") from None
        return Port(number, number)

    def encode(self, value: object) -> object:
        return value.to_json()

    def is_empty(self, value: object) -> bool:
        return value == Port()


PORT = _PortCodec()
PortValue = Annotated[Port, PORT]


class _ProtocolCodec:
    go_type = "numorstring.Protocol"

    def decode(self, value: object) -> int | str:
        if value is None:
            return 0
        if isinstance(value, str):
            if re.fullmatch(r"[0-9]+", value) and int(value) <= 255:
                return int(value)
            return value
        try:
            return decode_int(value, "uint8")
        except TypeMismatch as err:
            detail = err.detail or json_kind(value)
            raise TypeMismatch(message=f"cannot unmarshal {detail} into Go value of type uint8") from None

    def encode(self, value: object) -> object:
        return value

    def is_empty(self, value: object) -> bool:
        return False


PROTOCOL = _ProtocolCodec()
Protocol = Annotated[int | str, PROTOCOL]


# --- Go durations ---------------------------------------------------------------------------------

_UNITS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
_DURATION_NUMBER = re.compile(r"[0-9]*(?:\.[0-9]*)?")
_DURATION_UNIT = re.compile(r"[^0-9.]*")


@dataclass(frozen=True, order=True)
class Duration:
    """A Go ``time.Duration`` (nanoseconds); ``str()`` is Go's canonical text."""

    nanoseconds: int = 0

    @classmethod
    def parse(cls, text: str) -> "Duration":
        """Parse Go duration text (``1h2m3.5s``, ``300ms``, ``0``); ValueError with Go's wording."""
        error = ValueError(f'time: invalid duration "{text}"')
        body = text
        sign = 1
        if body[:1] in ("-", "+"):
            sign = -1 if body[0] == "-" else 1
            body = body[1:]
        if body == "0":
            return cls(0)
        if not body:
            raise error
        total = 0
        pos = 0
        while pos < len(body):
            number = _DURATION_NUMBER.match(body, pos).group()
            if number in ("", "."):
                raise error
            pos += len(number)
            unit = _DURATION_UNIT.match(body, pos).group()
            if not unit:
                raise ValueError(f'time: missing unit in duration "{text}"')
            if unit not in _UNITS:
                raise ValueError(f'time: unknown unit "{unit}" in duration "{text}"')
            pos += len(unit)
            whole, _, frac = number.partition(".")
            scale = _UNITS[unit]
            total += int(whole or "0") * scale
            if frac:
                total += int(frac) * scale // 10 ** len(frac)
        if total > 2**63 - 1:
            raise error
        return cls(sign * total)

    @classmethod
    def of(cls, *, hours: int = 0, minutes: int = 0, seconds: float = 0) -> "Duration":
        """A duration from hours, minutes and seconds."""
        return cls(hours * 3600 * 10**9 + minutes * 60 * 10**9 + round(seconds * 10**9))

    def total_seconds(self) -> float:
        """The duration in seconds."""
        return self.nanoseconds / 10**9

    def __str__(self) -> str:
        ns = self.nanoseconds
        if ns == 0:
            return "0s"
        sign = "-" if ns < 0 else ""
        ns = abs(ns)
        if ns < 10**9:
            for unit, scale in (("ms", 10**6), ("µs", 10**3), ("ns", 1)):
                if ns >= scale:
                    return sign + _fraction(ns, scale) + unit
        hours, rest = divmod(ns, 3600 * 10**9)
        minutes, rest = divmod(rest, 60 * 10**9)
        text = _fraction(rest, 10**9) + "s"
        if hours:
            return f"{sign}{hours}h{minutes}m{text}"
        if minutes:
            return f"{sign}{minutes}m{text}"
        return sign + text


def _fraction(value: int, scale: int) -> str:
    whole, frac = divmod(value, scale)
    if not frac:
        return str(whole)
    digits = str(frac).rjust(len(str(scale)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"


class _DurationCodec:
    go_type = "v1.Duration"

    def decode(self, value: object) -> Duration:
        if value is None:
            return Duration()
        if not isinstance(value, str):
            raise TypeMismatch(message=f"cannot unmarshal {json_kind(value)} into Go value of type string")
        try:
            return Duration.parse(value)
        except ValueError as err:
            raise TypeMismatch(message=str(err)) from None

    def encode(self, value: object) -> object:
        return str(value)

    def is_empty(self, value: object) -> bool:
        return False


DURATION = _DurationCodec()
GoDuration = Annotated[Duration, DURATION]

# --- timestamps -----------------------------------------------------------------------------------


def parse_timestamp(text: str) -> str:
    """Normalise RFC 3339 text to UTC second precision; ValueError with Go's wording."""
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        parsed = None
    if parsed is None or "T" not in text.upper() or parsed.tzinfo is None:
        raise ValueError(f'parsing time "{text}" as "2006-01-02T15:04:05Z07:00": cannot parse "{text}" as "2006"')
    return format_timestamp(parsed)


class _TimestampCodec:
    go_type = "v1.Time"

    def decode(self, value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime.datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=datetime.timezone.utc)
            return format_timestamp(value)
        if not isinstance(value, str):
            raise TypeMismatch(message=f"cannot unmarshal {json_kind(value)} into Go value of type string")
        if value == "":
            return ""
        try:
            return parse_timestamp(value)
        except ValueError as err:
            raise TypeMismatch(message=str(err)) from None

    def encode(self, value: object) -> object:
        return value or None

    def is_empty(self, value: object) -> bool:
        return value == ""


TIMESTAMP = _TimestampCodec()
Timestamp = Annotated[str, TIMESTAMP]
