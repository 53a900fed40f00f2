"""Generic serde between frozen dataclasses and Calico's v3 JSON, with Go ``encoding/json`` semantics.

A resource type is a tree of frozen dataclasses whose fields are declared with :func:`jfield`
(JSON name, ``omitempty``, Go type name for error messages). Python annotations give the shape:

- ``str`` / ``bool`` / ``int`` / ``float``: Go scalars (``go`` names the exact Go type, e.g. ``uint16``
  for range checks); a number or bool given for a string field becomes its text, as calicoctl's
  YAML→JSON step does;
- ``X | None``: a Go pointer (``None`` = nil, omitted; a set value is always written);
- ``tuple[X, ...]``: a Go slice (empty = omitted under omitempty);
- ``FrozenMap``: a Go ``map[string]string`` (written with sorted keys, as Go does);
- a nested dataclass: a Go struct (never omitted: Go's omitempty does not apply to structs);
- ``Annotated[T, codec]``: a custom scalar (AS numbers, ports, protocols, durations, timestamps).

Decoding is strict: type errors are reported first (ranked as calicoctl's pipeline ranks them), then
every unknown key in the whole document together, in calicoctl's wording; field names match
case-insensitively (exact match preferred).
"""
from __future__ import annotations

import dataclasses
import datetime
import math
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from types import NoneType, UnionType
from typing import Annotated, Any, NamedTuple, Protocol

from datastore.errors import ParseError

_META = "pycalico.json"


class FrozenMap(Mapping[str, str]):
    """An immutable, hashable ``map[string]string`` (labels, annotations, selectors' label maps)."""

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[str, str] | None = None, **kwargs: str):
        merged = dict(data or {})
        merged.update(kwargs)
        self._data = merged
        self._hash: int | None = None

    def __getitem__(self, key: str) -> str:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return dict(self._data) == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def set(self, key: str, value: str) -> "FrozenMap":
        """A copy with ``key`` set to ``value``."""
        return FrozenMap({**self._data, key: value})


@dataclass(frozen=True)
class JsonField:
    """How one dataclass field appears in JSON."""

    name: str
    omitempty: bool = True
    go: str = ""


def jfield(name: str, default: Any = dataclasses.MISSING, *, omitempty: bool = True, go: str = "") -> Any:
    """Declare a dataclass field with its JSON name, Go ``omitempty`` and (optional) Go type name."""
    return dataclasses.field(default=default, metadata={_META: JsonField(name, omitempty, go)})


class Codec(Protocol):
    """A custom scalar: decode a JSON value (raising :class:`TypeMismatch`) and encode it back."""

    go_type: str

    def decode(self, value: object) -> object: ...

    def encode(self, value: object) -> object: ...

    def is_empty(self, value: object) -> bool: ...


# Which of several type errors calicoctl reports: the YAML→JSON conversion step runs over the whole
# document first; then Go's decoder stops at the first error of a custom unmarshaler but only records
# (and keeps going after) a plain type mismatch. Unknown fields are checked after a clean decode.
PHASE_CONVERT = 0
PHASE_ABORT = 1
PHASE_SAVED = 2


class TypeMismatch(Exception):
    """A JSON value does not fit the Go type.

    ``message`` is a complete Go error text; otherwise ``detail`` (e.g. ``number 65536``) replaces the
    JSON kind in the generic ``cannot unmarshal <detail> into Go struct field …`` text. ``phase`` ranks
    the error (see PHASE_*): complete messages default to a custom unmarshaler's (abort) error.
    """

    def __init__(self, *, message: str = "", detail: str = "", phase: int | None = None):
        super().__init__(message or detail)
        self.message = message
        self.detail = detail
        self.phase = phase if phase is not None else (PHASE_ABORT if message else PHASE_SAVED)


class UnknownFieldsError(ParseError):
    """Unknown or misplaced fields: ``fields`` as calicoctl names them, ``paths`` from the document root."""

    def __init__(self, fields: tuple[str, ...], paths: tuple[str, ...]):
        self.fields = fields
        self.paths = paths
        if len(fields) == 1:
            text = f"field in document is not recognized or is in the wrong location: {fields[0]}"
        else:
            more = f" (+ {len(fields) - 4} more)" if len(fields) > 4 else ""
            text = f"fields in document are not recognized or are in the wrong location: {', '.join(fields[:4])}{more}"
        super().__init__(f"error parsing document: {text}")


class _Context:
    """Decoding state: unknown keys (name, path) in document order and the type error to report.

    (Plain classes and NamedTuples here: each dataclass built at import costs every CLI start ~1 ms.)
    """

    __slots__ = ("unknown", "type_error", "type_error_phase")

    def __init__(self) -> None:
        self.unknown: list[tuple[str, str]] = []
        self.type_error = ""
        self.type_error_phase = PHASE_SAVED + 1


# --- type introspection ---------------------------------------------------------------------------

class _Shape(NamedTuple):
    """The decoded meaning of a Python annotation."""

    kind: str  # "str" "bool" "int" "float" "ptr" "list" "map" "struct" "codec"
    inner: "_Shape | None" = None
    cls: type | None = None
    codec: Codec | None = None


@cache
def _fields(cls: type) -> tuple[tuple[dataclasses.Field, JsonField, _Shape], ...]:
    hints = typing.get_type_hints(cls, include_extras=True)
    out = []
    for f in dataclasses.fields(cls):
        meta = f.metadata.get(_META)
        if meta is None:
            raise ValueError(f"{cls.__name__}.{f.name} is not declared with jfield()")
        out.append((f, meta, _shape(hints[f.name])))
    return tuple(out)


@cache
def _lookup(cls: type) -> tuple[dict[str, int], dict[str, int]]:
    exact: dict[str, int] = {}
    folded: dict[str, int] = {}
    for index, (_f, meta, _s) in enumerate(_fields(cls)):
        exact[meta.name] = index
        folded.setdefault(meta.name.lower(), index)
    return exact, folded


def _shape(hint: Any) -> _Shape:
    origin = typing.get_origin(hint)
    if origin is Annotated:
        base, codec = typing.get_args(hint)[:2]
        if typing.get_origin(base) in (UnionType, typing.Union) and NoneType in typing.get_args(base):
            return _Shape("ptr", inner=_shape(Annotated[_non_none(base), codec]))
        return _Shape("codec", codec=codec)
    if origin in (UnionType, typing.Union):
        return _Shape("ptr", inner=_shape(_non_none(hint)))
    if origin is tuple:
        return _Shape("list", inner=_shape(typing.get_args(hint)[0]))
    if hint is FrozenMap:
        return _Shape("map")
    if hint in (str, bool, int, float):
        return _Shape(hint.__name__)
    if dataclasses.is_dataclass(hint):
        return _Shape("struct", cls=hint)
    raise ValueError(f"unsupported field type {hint!r}")


def _non_none(hint: Any) -> Any:
    args = [a for a in typing.get_args(hint) if a is not NoneType]
    if len(args) != 1:
        raise ValueError(f"only 'X | None' unions are supported, got {hint!r}")
    return args[0]


def go_name(cls: type) -> str:
    """The Go struct name used in type errors (``GO_NAME`` class attribute, else the class name)."""
    return getattr(cls, "GO_NAME", cls.__name__)


# --- decoding -------------------------------------------------------------------------------------

_INT_RANGES = {
    "int": (-(2**63), 2**63 - 1), "int64": (-(2**63), 2**63 - 1), "int32": (-(2**31), 2**31 - 1),
    "uint8": (0, 255), "uint16": (0, 65535), "uint32": (0, 2**32 - 1), "uint64": (0, 2**64 - 1),
}


def json_kind(value: object) -> str:
    """The JSON kind Go names in ``cannot unmarshal <kind>`` messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return "string"


def go_number_text(value: int | float) -> str:
    """A number as Go's JSON decoder quotes it in errors (``65536``, ``1.5``)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


def decode_int(value: object, go: str) -> int:
    """A JSON number into a Go integer type; TypeMismatch with Go's wording when it does not fit."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeMismatch()
    low, high = _INT_RANGES[go]
    if isinstance(value, float) and not value.is_integer() or not low <= value <= high:
        raise TypeMismatch(detail=f"number {go_number_text(value)}")
    return int(value)


def _scalar_text(value: object) -> str | None:
    """What calicoctl's YAML→JSON step makes of a non-string scalar given for a string field."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime.datetime):
        return format_timestamp(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return None


def _go_type(shape: _Shape, meta_go: str = "") -> str:
    """The Go type named in type errors; Go reports a pointer's element type, so pointers are dropped."""
    if meta_go:
        return meta_go.lstrip("*")
    if shape.kind == "ptr":
        return _go_type(shape.inner)
    if shape.kind == "list":
        return "[]" + _go_type(shape.inner)
    if shape.kind == "map":
        return "map[string]string"
    if shape.kind == "struct":
        return "v3." + go_name(shape.cls)
    if shape.kind == "codec":
        return shape.codec.go_type
    if shape.kind == "float":
        return "float64"
    return shape.kind if shape.kind != "str" else "string"


def _decode(value: object, shape: _Shape, ctx: _Context, where: tuple[str, str, str]) -> object:
    """Decode one JSON value. ``where`` = (Go struct name, JSON field path, Go type) for errors."""
    kind = shape.kind
    if value is None:
        return None if kind == "ptr" else _zero(shape)
    try:
        if kind == "ptr":
            return _decode(value, shape.inner, ctx, where)
        if kind == "str":
            if isinstance(value, str):
                return value
            text = _scalar_text(value)
            if text is None:
                raise TypeMismatch()
            return text
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str):
                raise TypeMismatch(message=_parse_string_error(value, where, "bool"), phase=PHASE_CONVERT)
            raise TypeMismatch()
        if kind == "int":
            if isinstance(value, str):
                raise TypeMismatch(message=_parse_string_error(value, where, where[2]), phase=PHASE_CONVERT)
            return decode_int(value, where[2] if where[2] in _INT_RANGES else "int")
        if kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeMismatch()
            return float(value)
        if kind == "codec":
            return shape.codec.decode(value)
        if kind == "list":
            if not isinstance(value, (list, tuple)):
                raise TypeMismatch()
            inner_where = (where[0], where[1], _go_type(shape.inner))
            return tuple(_decode(item, shape.inner, ctx, inner_where) for item in value)
        if kind == "map":
            if not isinstance(value, Mapping):
                raise TypeMismatch()
            out = {}
            for key, item in value.items():
                text = item if isinstance(item, str) else _scalar_text(item)
                if text is None:
                    _record_type_error(ctx, item, (where[0], where[1], "string"), TypeMismatch())
                    continue
                out[str(key)] = text
            return FrozenMap(out)
        if kind == "struct":
            if not isinstance(value, Mapping):
                raise TypeMismatch()
            return _decode_struct(value, shape.cls, ctx, where[1])
    except TypeMismatch as err:
        _record_type_error(ctx, value, where, err)
        return None if kind == "ptr" else _zero(shape)
    raise AssertionError(kind)


def _parse_string_error(value: str, where: tuple[str, str, str], go_type: str) -> str:
    field = where[1].rsplit(".", 1)[-1]
    return f"cannot parse string '{value}' into field {where[0]}.{field} of type {go_type}"


def _record_type_error(ctx: _Context, value: object, where: tuple[str, str, str], err: TypeMismatch) -> None:
    if err.phase >= ctx.type_error_phase:
        return
    ctx.type_error_phase = err.phase
    if err.message:
        ctx.type_error = err.message
    else:
        detail = err.detail or json_kind(value)
        ctx.type_error = f"cannot unmarshal {detail} into Go struct field {where[0]}.{where[1]} of type {where[2]}"


def _zero(shape: _Shape) -> object:
    kind = shape.kind
    if kind == "str":
        return ""
    if kind == "bool":
        return False
    if kind == "int":
        return 0
    if kind == "float":
        return 0.0
    if kind == "list":
        return ()
    if kind == "map":
        return FrozenMap()
    if kind == "struct":
        return shape.cls()
    if kind == "codec":
        return shape.codec.decode(None)
    return None


def _decode_struct(data: Mapping, cls: type, ctx: _Context, path: str) -> Any:
    fields = _fields(cls)
    exact, folded = _lookup(cls)
    values: dict[str, object] = {}
    for key, value in data.items():
        key = str(key)
        index = exact.get(key)
        if index is None:
            index = folded.get(key.lower())
        if index is None:
            ctx.unknown.append((key, f"{path}.{key}" if path else key))
            continue
        f, meta, shape = fields[index]
        sub = f"{path}.{meta.name}" if path else meta.name
        values[f.name] = _decode(value, shape, ctx, (go_name(cls), sub, _go_type(shape, meta.go)))
    return cls(**values)


def decode_fields(data: Mapping, cls: type, ctx: _Context, path: str) -> Any:
    """Decode into ``cls`` collecting problems in ``ctx`` (the caller raises them via :func:`raise_for`)."""
    return _decode_struct(data, cls, ctx, path)


def new_context() -> _Context:
    """A fresh decoding context."""
    return _Context()


def note_unknown(ctx: _Context, key: str) -> None:
    """Record an unknown top-level key found by a caller that walks the document itself."""
    ctx.unknown.append((key, key))


def raise_for(ctx: _Context) -> None:
    """Raise the ParseError calicoctl would print for the problems collected in ``ctx``, if any:
    the type error that wins (see PHASE_*), else all unknown fields together."""
    if ctx.type_error:
        raise ParseError(ctx.type_error)
    if ctx.unknown:
        raise UnknownFieldsError(tuple(n for n, _ in ctx.unknown), tuple(p for _, p in ctx.unknown))


# --- encoding -------------------------------------------------------------------------------------

def _is_empty(value: object, shape: _Shape) -> bool:
    kind = shape.kind
    if kind == "ptr":
        return value is None
    if kind == "struct":
        return False
    if kind == "codec":
        return shape.codec.is_empty(value)
    if kind == "float":
        return value == 0.0
    if kind in ("list", "map", "str"):
        return len(value) == 0
    return not value


def _encode(value: object, shape: _Shape) -> object:
    kind = shape.kind
    if kind == "ptr":
        return None if value is None else _encode(value, shape.inner)
    if kind == "list":
        return [_encode(item, shape.inner) for item in value]
    if kind == "map":
        return {key: value[key] for key in sorted(value)}
    if kind == "struct":
        return encode_struct(value)
    if kind == "codec":
        return shape.codec.encode(value)
    if kind == "float":
        return go_float(value)
    return value


def go_float(value: float) -> int | float:
    """A float64 as Go's JSON encoder writes it: integral values without a fraction."""
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    return value


def encode_struct(obj: Any) -> dict[str, object]:
    """A dataclass as a JSON object in Go field order, applying omitempty."""
    out: dict[str, object] = {}
    for f, meta, shape in _fields(type(obj)):
        value = getattr(obj, f.name)
        if meta.omitempty and _is_empty(value, shape):
            continue
        out[meta.name] = _encode(value, shape)
    return out


def format_timestamp(value: datetime.datetime) -> str:
    """RFC 3339 in UTC at second precision, as metav1.Time marshals (``2024-05-01T10:00:00Z``)."""
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value.replace(microsecond=0).isoformat() + "Z"
