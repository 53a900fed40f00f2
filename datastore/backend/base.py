"""The one protocol every backend implements, and the value types it traffics in.

Semantics (identical for etcd and local; the conformance suite in tests/datastore checks them):
- revisions are one store-wide, strictly increasing counter (etcd's revision); a key's
  ``mod_revision`` is the store revision of its last write, ``create_revision`` of its creation;
- ``create`` fails with AlreadyExists when the key exists; ``update`` fails with Conflict when the
  stored mod_revision differs from the given one and NotFound when the key is absent;
- ``delete`` with a revision is a compare-and-delete (Conflict on mismatch);
- ``list`` returns keys under a prefix sorted by key, plus the store revision the snapshot was read at;
- ``watch`` yields every change under a prefix after ``from_revision`` (exclusive), in order.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Iterator, Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class KeyValue:
    """One stored key: raw value bytes (Calico JSON) and its etcd-style revisions."""

    key: str
    value: bytes
    mod_revision: int
    create_revision: int = 0


class EventType(Enum):
    PUT = "PUT"
    DELETE = "DELETE"


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """A change seen by a watch. For DELETE, ``kv.value`` is the previous value when known (else b"")
    and ``kv.mod_revision`` is the revision of the delete."""

    type: EventType
    kv: KeyValue


@runtime_checkable
class Watch(Protocol):
    """An iterator of WatchEvents that blocks for the next change; ``cancel()`` ends the iteration."""

    def __iter__(self) -> Iterator[WatchEvent]: ...

    def cancel(self) -> None: ...


@runtime_checkable
class Backend(Protocol):
    """Key-value store with revisions and compare-and-swap."""

    def get(self, key: str) -> KeyValue:
        """The key's current value; NotFound if absent."""
        ...

    def list(self, prefix: str) -> tuple[list[KeyValue], int]:
        """All keys starting with ``prefix`` (sorted) and the store revision of that snapshot."""
        ...

    def create(self, key: str, value: bytes) -> KeyValue:
        """Write a key that must not exist; AlreadyExists otherwise."""
        ...

    def update(self, key: str, value: bytes, revision: int) -> KeyValue:
        """Write a key whose mod_revision must equal ``revision``; Conflict / NotFound otherwise."""
        ...

    def delete(self, key: str, revision: int | None = None) -> KeyValue:
        """Delete a key (at ``revision`` if given); returns the deleted KeyValue. NotFound / Conflict."""
        ...

    def watch(self, prefix: str, from_revision: int) -> Watch:
        """Changes under ``prefix`` with store revision > ``from_revision``."""
        ...

    def current_revision(self) -> int:
        """The store's current revision."""
        ...

    def close(self) -> None: ...
