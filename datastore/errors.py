"""Typed datastore errors; each carries the one-line, user-facing text calicoctl would print.

Message wording follows libcalico-go (`lib/errors/errors.go`):
``resource already exists: IPPool(name)``, ``resource does not exist: IPPool(name) with error: <nil>``,
``update conflict: IPPool(name)``, ``error with field X = 'v' (reason)``.
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, TypeVar

    T = TypeVar("T")


class DatastoreError(Exception):
    """Base class: ``str(err)`` is the user-facing message."""


class FrozenRecord:
    """A small immutable value record (fields = ``__slots__``), compared and hashed by value like a
    frozen dataclass (also the base of ``datastore.config.DatastoreConfig``). Plain classes: these
    modules are on the CLI's cold-start path, where importing ``dataclasses`` (and ``inspect``) costs
    more than the whole fast ``get``."""

    __slots__ = ()

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field '{name}'")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field '{name}'")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in zip(self.__slots__, self._values()))
        return f"{type(self).__name__}({fields})"


class ResourceId(FrozenRecord):
    """Identifies a resource in messages: ``Kind(name)`` or ``Kind(namespace/name)``; for raw keys, the key."""

    __slots__ = ("kind", "name", "namespace")
    kind: str
    name: str
    namespace: str

    def __init__(self, kind: str, name: str, namespace: str = ""):
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "namespace", namespace)

    def __str__(self) -> str:
        if not self.kind:
            return self.name
        if self.namespace:
            return f"{self.kind}({self.namespace}/{self.name})"
        return f"{self.kind}({self.name})"


def _ident(identifier: "ResourceId | str") -> str:
    return str(identifier)


class NotFound(DatastoreError):
    """The resource (or raw key) does not exist."""

    def __init__(self, identifier: "ResourceId | str"):
        self.identifier = identifier
        super().__init__(f"resource does not exist: {_ident(identifier)} with error: <nil>")


class AlreadyExists(DatastoreError):
    """Create of something that already exists."""

    def __init__(self, identifier: "ResourceId | str", current_revision: int = 0):
        self.identifier = identifier
        self.current_revision = current_revision
        super().__init__(f"resource already exists: {_ident(identifier)}")


class Conflict(DatastoreError):
    """A compare-and-swap failed: the stored revision is not the one given."""

    def __init__(self, identifier: "ResourceId | str", current_revision: int = 0):
        self.identifier = identifier
        self.current_revision = current_revision
        super().__init__(f"update conflict: {_ident(identifier)}")


class OperationNotSupported(DatastoreError):
    """``operation <op> is not supported on <id>[: <reason>]``."""

    def __init__(self, operation: str, identifier: "ResourceId | str", reason: str = ""):
        self.operation = operation
        self.identifier = identifier
        suffix = f": {reason}" if reason else ""
        super().__init__(f"operation {operation} is not supported on {_ident(identifier)}{suffix}")


class Unavailable(DatastoreError):
    """The datastore cannot be reached (names the endpoint)."""


class FieldError(FrozenRecord):
    """One invalid field: Go-style field path (``IPPool.Spec.CIDR``), the offending value, the reason."""

    __slots__ = ("field", "value", "reason", "has_value")
    field: str
    value: object
    reason: str
    has_value: bool

    def __init__(self, field: str, value: object = None, reason: str = "", has_value: bool = True):
        object.__setattr__(self, "field", field)
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "reason", reason)
        object.__setattr__(self, "has_value", has_value)

    def __str__(self) -> str:
        text = f"error with field {self.field}"
        if self.has_value and self.value is not None:
            text += f" = '{_format_value(self.value)}'"
        if self.reason:
            text += f" ({self.reason})"
        return text


def _format_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class ValidationError(DatastoreError):
    """All the field errors of one resource, reported together in libcalico-go's format."""

    def __init__(self, errors: "list[FieldError] | tuple[FieldError, ...]"):
        self.errors = tuple(errors)
        if not self.errors:
            raise ValueError("ValidationError needs at least one FieldError")
        if len(self.errors) == 1:
            text = str(self.errors[0])
        else:
            text = "error with the following fields:\n" + "".join(
                f"-  {str(e)[len('error with field '):]}\n" for e in self.errors
            )
        super().__init__(text)


class ParseError(DatastoreError):
    """A document could not be parsed (bad YAML/JSON, unknown kind, unknown field, wrong type)."""


def retry_on_conflict(operation: Callable[[], T], attempts: int = 5, backoff: float = 0.0) -> T:
    """Run ``operation`` again (fresh read inside it) when it raises Conflict or AlreadyExists.

    Bounded: after ``attempts`` tries the last error propagates.
    """
    if attempts < 1:
        raise ValueError("attempts must be >= 1")
    for attempt in range(attempts):
        try:
            return operation()
        except (Conflict, AlreadyExists):
            if attempt == attempts - 1:
                raise
            if backoff:
                import time

                time.sleep(backoff * (attempt + 1))
    raise AssertionError("unreachable")
