"""The embedded ``local`` datastore: one sqlite file with etcd's revision and CAS semantics.

Layout: ``kv`` holds each live key with its create/mod revision and version; ``meta`` holds the
store-wide revision; ``events`` is the change log a watch reads (one row per written key, keyed by the
revision it created and its position in that revision's transaction, as etcd's sub-revision). Every write
is one ``BEGIN IMMEDIATE`` transaction that bumps the revision, changes ``kv`` and appends to ``events``
(``commit`` writes several keys at one revision), so several processes can share the file (WAL journal,
busy timeout) without lost updates. A watch polls the change log by revision; writers in the same
process wake it at once. The change log is trimmed to the last ``history`` revisions, as etcd compacts.
``batch()`` runs many writes in one transaction (each still its own savepoint and CAS outcome) for bulk
loads. ``":memory:"`` gives a private, fast store for tests. sqlite failures surface as Unavailable.
"""
from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import threading
import time
from typing import Callable, Iterator, Sequence, TypeVar

from datastore.backend.base import EventType, KeyValue, Read, WatchEvent, WriteOp, check_distinct_keys, first_failure
from datastore.backend import WatchCompacted
from datastore.errors import AlreadyExists, Conflict, NotFound, Unavailable

MEMORY = ":memory:"
DEFAULT_HISTORY = 100_000
_TRIM_EVERY = 1000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY,
    value BLOB NOT NULL,
    create_revision INTEGER NOT NULL,
    mod_revision INTEGER NOT NULL,
    version INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL,
    compact_revision INTEGER NOT NULL
);
INSERT OR IGNORE INTO meta (id, revision, compact_revision) VALUES (1, 1, 0);
CREATE TABLE IF NOT EXISTS events (
    revision INTEGER NOT NULL,
    sub INTEGER NOT NULL,
    type TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    create_revision INTEGER NOT NULL,
    PRIMARY KEY (revision, sub)
) WITHOUT ROWID;
"""

# Files written before multi-key transactions kept one change per revision in ``changes``.
_MIGRATE_CHANGES = """
INSERT INTO events (revision, sub, type, key, value, create_revision)
    SELECT revision, 0, type, key, value, create_revision FROM changes;
DROP TABLE changes;
"""


T = TypeVar("T")


def _sqlite_errors(method: Callable[..., T]) -> Callable[..., T]:
    """Report a failing sqlite (disk full, locked beyond the busy timeout, corrupt file) as Unavailable."""

    @functools.wraps(method)
    def wrapper(self: "LocalBackend", *args, **kwargs) -> T:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise Unavailable(f"local datastore {self.path}: {exc}") from exc

    return wrapper


def _prefix_clause(prefix: str) -> tuple[str, tuple[str, ...]]:
    """SQL condition (and parameters) selecting keys that start with ``prefix``."""
    if not prefix:
        return "1", ()
    end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return "key >= ? AND key < ?", (prefix, end)


def _switch_to_wal(db: sqlite3.Connection, deadline: float) -> None:
    """``PRAGMA journal_mode=WAL``, retried until ``deadline``: switching a new file takes an exclusive
    lock, and sqlite answers "database is locked" at once (without its busy wait) while another
    connection opening the same file holds it."""
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.005)


class LocalBackend:
    """datastore.backend.base.Backend on sqlite (a file path, or ``:memory:``)."""

    def __init__(self, path: str = MEMORY, *, busy_timeout: float = 30.0, poll_interval: float = 0.05,
                 history: int = DEFAULT_HISTORY):
        self.path = path
        self.poll_interval = poll_interval
        self.history = history
        if path != MEMORY:
            parent = os.path.dirname(os.path.abspath(path))
            try:
                os.makedirs(parent, exist_ok=True)
            except OSError as exc:
                raise Unavailable(f"cannot create datastore directory {parent}: {exc.strerror}") from exc
        try:
            self._db = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
            if path != MEMORY:
                _switch_to_wal(self._db, time.monotonic() + busy_timeout)
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._migrate()
        except sqlite3.Error as exc:
            raise Unavailable(f"cannot open local datastore {path}: {exc}") from exc
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._writes = 0
        self._in_batch = False

    def _migrate(self) -> None:
        """Move an older file's ``changes`` log into ``events`` (once, under the write lock)."""
        old = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'changes'"
        if self._db.execute(old).fetchone() is None:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if self._db.execute(old).fetchone() is not None:
                for statement in filter(str.strip, _MIGRATE_CHANGES.split(";")):
                    self._db.execute(statement)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    # -- reads -------------------------------------------------------------------------------------

    @_sqlite_errors
    def get(self, key: str) -> KeyValue:
        with self._lock:
            kv = self._select(key)
        if kv is None:
            raise NotFound(key)
        return kv

    @_sqlite_errors
    def list(self, prefix: str) -> tuple[list[KeyValue], int]:
        with self._lock, self._snapshot():
            return self._select_prefix(prefix), self._revision()

    @_sqlite_errors
    def list_keys(self, prefix: str) -> tuple[list[tuple[str, int]], int]:
        with self._lock, self._snapshot():
            return self._select_prefix_keys(prefix), self._revision()

    @_sqlite_errors
    def read(self, reads: Sequence[Read]) -> tuple[list, int]:
        select = {"get": self._select, "list": self._select_prefix, "list_keys": self._select_prefix_keys}
        with self._lock, self._snapshot():
            return [select[read.kind](read.key) for read in reads], self._revision()

    def _select(self, key: str) -> KeyValue | None:
        row = self._db.execute("SELECT key, value, mod_revision, create_revision FROM kv WHERE key = ?",
                               (key,)).fetchone()
        return None if row is None else KeyValue(row[0], bytes(row[1]), row[2], row[3])

    def _select_prefix(self, prefix: str) -> list[KeyValue]:
        where, params = _prefix_clause(prefix)
        rows = self._db.execute(
            f"SELECT key, value, mod_revision, create_revision FROM kv WHERE {where} ORDER BY key", params
        ).fetchall()
        return [KeyValue(r[0], bytes(r[1]), r[2], r[3]) for r in rows]

    def _select_prefix_keys(self, prefix: str) -> list[tuple[str, int]]:
        where, params = _prefix_clause(prefix)
        rows = self._db.execute(f"SELECT key, mod_revision FROM kv WHERE {where} ORDER BY key", params).fetchall()
        return [(r[0], r[1]) for r in rows]

    @_sqlite_errors
    def current_revision(self) -> int:
        with self._lock:
            return self._revision()

    def _revision(self) -> int:
        return self._db.execute("SELECT revision FROM meta WHERE id = 1").fetchone()[0]

    # -- writes ------------------------------------------------------------------------------------

    @_sqlite_errors
    def _write(self, key: str, check, apply):
        """Run ``check(row)`` then ``apply(row, revision)`` in one immediate transaction."""
        return self._transaction([key], lambda rows: check(rows[0]), lambda rows, revision: apply(rows[0], revision))

    def _transaction(self, keys: Sequence[str], check, apply):
        """Read the rows of ``keys``, run ``check(rows)`` then ``apply(rows, revision)`` at one new store
        revision, in one immediate transaction (a savepoint inside a batch); any exception rolls back."""
        with self._lock:
            begin, commit, rollback = (("SAVEPOINT write", "RELEASE write", ("ROLLBACK TO write", "RELEASE write"))
                                       if self._in_batch else ("BEGIN IMMEDIATE", "COMMIT", ("ROLLBACK",)))
            self._db.execute(begin)
            try:
                rows = [self._db.execute(
                    "SELECT value, mod_revision, create_revision, version FROM kv WHERE key = ?", (key,)
                ).fetchone() for key in keys]
                check(rows)
                revision = self._revision() + 1
                result = apply(rows, revision)
                self._db.execute("UPDATE meta SET revision = ? WHERE id = 1", (revision,))
                self._trim(revision)
                self._db.execute(commit)
            except BaseException:
                for statement in rollback:
                    self._db.execute(statement)
                raise
            if not self._in_batch:
                self._changed.notify_all()
            return result

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Group many writes into one sqlite transaction (one commit instead of one per write).

        Each write keeps its own compare-and-swap outcome (a failed one is rolled back alone); other
        processes and watchers see all of the batch's writes at once when the block ends. An exception
        escaping the block discards the whole batch.
        """
        with self._lock:
            if self._in_batch:
                yield
                return
            self._begin_batch()
            try:
                yield
            except BaseException:
                self._end_batch(commit=False)
                raise
            self._end_batch(commit=True)

    @_sqlite_errors
    def _begin_batch(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")
        self._in_batch = True

    @_sqlite_errors
    def _end_batch(self, commit: bool) -> None:
        self._in_batch = False
        if not self._db.in_transaction:
            if commit:
                raise Unavailable(f"local datastore {self.path}: the batch was rolled back by sqlite")
            return
        self._db.execute("COMMIT" if commit else "ROLLBACK")
        if commit:
            self._changed.notify_all()

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[None]:
        """A consistent read of several statements (inside a batch, the batch's own view)."""
        if self._in_batch:
            yield
            return
        self._db.execute("BEGIN")
        try:
            yield
        finally:
            self._db.execute("COMMIT")

    def _trim(self, revision: int) -> None:
        self._writes += 1
        if self._writes % _TRIM_EVERY:
            return
        floor = revision - self.history
        if floor > 0:
            self._db.execute("DELETE FROM events WHERE revision <= ?", (floor,))
            self._db.execute("UPDATE meta SET compact_revision = MAX(compact_revision, ?) WHERE id = 1", (floor,))

    def _put(self, key: str, value: bytes, row, revision: int, sub: int = 0) -> KeyValue:
        create_revision = row[2] if row else revision
        version = row[3] + 1 if row else 1
        self._db.execute(
            "INSERT OR REPLACE INTO kv (key, value, create_revision, mod_revision, version) VALUES (?, ?, ?, ?, ?)",
            (key, value, create_revision, revision, version),
        )
        self._db.execute(
            "INSERT INTO events (revision, sub, type, key, value, create_revision) VALUES (?, ?, 'PUT', ?, ?, ?)",
            (revision, sub, key, value, create_revision),
        )
        return KeyValue(key, bytes(value), revision, create_revision)

    def create(self, key: str, value: bytes) -> KeyValue:
        def check(row):
            if row is not None:
                raise AlreadyExists(key, row[1])

        return self._write(key, check, lambda row, rev: self._put(key, value, row, rev))

    def update(self, key: str, value: bytes, revision: int) -> KeyValue:
        def check(row):
            if row is None:
                raise NotFound(key)
            if row[1] != revision:
                raise Conflict(key, row[1])

        return self._write(key, check, lambda row, rev: self._put(key, value, row, rev))

    def put(self, key: str, value: bytes) -> KeyValue:
        """Unconditional write (creates or overwrites)."""
        return self._write(key, lambda row: None, lambda row, rev: self._put(key, value, row, rev))

    def delete(self, key: str, revision: int | None = None) -> KeyValue:
        def check(row):
            if row is None:
                raise NotFound(key)
            if revision is not None and row[1] != revision:
                raise Conflict(key, row[1])

        return self._write(key, check, lambda row, rev: self._remove(key, row, rev))

    def _remove(self, key: str, row, revision: int, sub: int = 0) -> KeyValue:
        """Delete a present key at ``revision``; returns the KeyValue it had."""
        self._db.execute("DELETE FROM kv WHERE key = ?", (key,))
        self._db.execute(
            "INSERT INTO events (revision, sub, type, key, value, create_revision) VALUES (?, ?, 'DELETE', ?, ?, ?)",
            (revision, sub, key, row[0], 0),
        )
        return KeyValue(key, bytes(row[0]), row[1], row[2])

    @_sqlite_errors
    def commit(self, ops: Sequence[WriteOp]) -> list[KeyValue]:
        """All of ``ops`` in one sqlite transaction at one new revision (see Backend.commit)."""
        check_distinct_keys(ops)
        if not ops:
            return []

        def check(rows):
            error = first_failure(ops, [row[1] if row else None for row in rows])
            if error is not None:
                raise error

        def apply(rows, revision):
            written = []
            for sub, (op, row) in enumerate(zip(ops, rows)):
                if op.kind == "delete":
                    self._remove(op.key, row, revision, sub)
                    written.append(KeyValue(op.key, b"", revision, 0))
                else:
                    kv = self._put(op.key, op.value, row, revision, sub)
                    written.append(kv if op.kind == "create" else KeyValue(op.key, op.value, revision, 0))
            return written

        return self._transaction([op.key for op in ops], check, apply)

    # -- watch -------------------------------------------------------------------------------------

    def watch(self, prefix: str, from_revision: int) -> "LocalWatch":
        return LocalWatch(self, prefix, from_revision)

    @_sqlite_errors
    def _changes_after(self, prefix: str, after: int, wait: float) -> tuple[list[WatchEvent], int]:
        """Events under ``prefix`` with revision > ``after`` and the revision the scan covered."""
        where, params = _prefix_clause(prefix)
        with self._lock:
            if wait and self._revision() <= after:
                self._changed.wait(wait)
            with self._snapshot():
                revision, compact = self._db.execute(
                    "SELECT revision, compact_revision FROM meta WHERE id = 1"
                ).fetchone()
                if after < compact:
                    raise WatchCompacted(compact)
                rows = self._db.execute(
                    "SELECT revision, type, key, value, create_revision FROM events"
                    f" WHERE revision > ? AND {where} ORDER BY revision, sub",
                    (after, *params),
                ).fetchall()
        events = [WatchEvent(EventType(r[1]), KeyValue(r[2], bytes(r[3]), r[0], r[4])) for r in rows]
        return events, revision

    def close(self) -> None:
        with self._lock:
            self._db.close()


class LocalWatch:
    """Polls the change log for events under a prefix after a revision; ``cancel()`` ends it."""

    def __init__(self, backend: LocalBackend, prefix: str, from_revision: int):
        self._backend = backend
        self._prefix = prefix
        self._after = from_revision
        self._cancelled = threading.Event()

    def __iter__(self) -> Iterator[WatchEvent]:
        while not self._cancelled.is_set():
            events, scanned = self._backend._changes_after(self._prefix, self._after, self._backend.poll_interval)
            for event in events:
                if self._cancelled.is_set():
                    return
                self._after = event.kv.mod_revision
                yield event
            self._after = max(self._after, scanned)

    def cancel(self) -> None:
        self._cancelled.set()
        with self._backend._changed:
            self._backend._changed.notify_all()
