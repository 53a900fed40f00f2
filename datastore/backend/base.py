"""The one protocol every backend implements, and the value types it traffics in.

Semantics (identical for etcd and local; the conformance suite in tests/datastore checks them):
- revisions are one store-wide, strictly increasing counter (etcd's revision); a key's
  ``mod_revision`` is the store revision of its last write, ``create_revision`` of its creation;
- ``create`` fails with AlreadyExists when the key exists; ``update`` fails with Conflict when the
  stored mod_revision differs from the given one and NotFound when the key is absent;
- ``delete`` with a revision is a compare-and-delete (Conflict on mismatch);
- ``commit`` applies several of those conditional writes (``WriteOp``) as one all-or-nothing transaction:
  every condition holds and every write lands at one new store revision, or nothing is written and the
  error of the first failing op (in the given order) is raised;
- ``list`` returns keys under a prefix sorted by key, plus the store revision the snapshot was read at;
- ``read`` does several gets and lists (``Read``) against one snapshot, in one round trip;
- ``watch`` yields every change under a prefix after ``from_revision`` (exclusive), in order.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Iterator, Protocol, Sequence, runtime_checkable

from datastore.errors import AlreadyExists, Conflict, DatastoreError, NotFound


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


@dataclass(frozen=True, slots=True)
class WriteOp:
    """One conditional write of a ``commit``: build with ``WriteOp.create`` / ``.update`` / ``.delete``.

    ``revision`` is the mod_revision an update or delete requires (None on a delete: any revision).
    """

    kind: str
    key: str
    value: bytes = b""
    revision: int | None = None

    @classmethod
    def create(cls, key: str, value: bytes) -> "WriteOp":
        """Write ``key`` only if it does not exist (else AlreadyExists)."""
        return cls("create", key, value)

    @classmethod
    def update(cls, key: str, value: bytes, revision: int) -> "WriteOp":
        """Write ``key`` only if its mod_revision is ``revision`` (else Conflict, or NotFound when absent)."""
        return cls("update", key, value, revision)

    @classmethod
    def delete(cls, key: str, revision: int | None = None) -> "WriteOp":
        """Delete ``key`` (only at ``revision`` if given; else Conflict, or NotFound when absent)."""
        return cls("delete", key, b"", revision)


@dataclass(frozen=True, slots=True)
class Read:
    """One read of a ``Backend.read`` snapshot: build with ``Read.get`` / ``.list`` / ``.list_keys``.
    A list is answered in one piece (``Backend.list`` pages through etcd): meant for bounded prefixes
    such as one host's affinities or the block keys."""

    kind: str
    key: str

    @classmethod
    def get(cls, key: str) -> "Read":
        """One key: its KeyValue, or None when absent."""
        return cls("get", key)

    @classmethod
    def list(cls, prefix: str) -> "Read":
        """Every key under ``prefix`` (sorted) as KeyValues."""
        return cls("list", prefix)

    @classmethod
    def list_keys(cls, prefix: str) -> "Read":
        """Every key under ``prefix`` (sorted) as (key, mod_revision), without values."""
        return cls("list_keys", prefix)


def check_distinct_keys(ops: Sequence[WriteOp]) -> None:
    """A transaction may write each key once (etcd rejects a txn that puts one key twice)."""
    seen: set[str] = set()
    for op in ops:
        if op.key in seen:
            raise ValueError(f"duplicate key given in txn request: {op.key}")
        seen.add(op.key)


def first_failure(ops: Sequence[WriteOp], current: Sequence[int | None]) -> DatastoreError | None:
    """The error of the first op whose condition fails, given each op key's current mod_revision
    (None when absent); None when every condition holds."""
    for op, revision in zip(ops, current):
        if op.kind == "create":
            if revision is not None:
                return AlreadyExists(op.key, revision)
        elif revision is None:
            return NotFound(op.key)
        elif op.revision is not None and revision != op.revision:
            return Conflict(op.key, revision)
    return None


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

    def list_keys(self, prefix: str) -> tuple[list[tuple[str, int]], int]:
        """``list`` without the values: (key, mod_revision) for every key under ``prefix`` (sorted) and
        the store revision of that snapshot."""
        ...

    def read(self, reads: Sequence[Read]) -> tuple[list, int]:
        """Every read's result from one snapshot (a get: KeyValue or None; a list: its KeyValues; a
        list_keys: its (key, mod_revision) pairs), and the store revision of that snapshot."""
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

    def commit(self, ops: Sequence[WriteOp]) -> list[KeyValue]:
        """Apply ``ops`` atomically at one new revision; one KeyValue per op, in order: the key, the value
        written (empty for a delete) and the commit's revision as mod_revision; create_revision is that
        revision for a create and 0 otherwise (reporting an update's would cost etcd a read). On a failed
        condition nothing is written and the first failing op's AlreadyExists / Conflict / NotFound is raised."""
        ...

    def watch(self, prefix: str, from_revision: int) -> Watch:
        """Changes under ``prefix`` with store revision > ``from_revision``."""
        ...

    def current_revision(self) -> int:
        """The store's current revision."""
        ...

    def close(self) -> None: ...
