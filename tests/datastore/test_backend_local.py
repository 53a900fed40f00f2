"""local (sqlite) backend specifics: file creation, sharing between processes, compaction."""
from __future__ import annotations

import itertools
import multiprocessing
import os
import sqlite3

import pytest

from datastore.backend import WatchCompacted
from datastore.backend.base import WriteOp
from datastore.backend.local import LocalBackend
from datastore.errors import Conflict


def _increment(path: str, key: str, times: int) -> int:
    """CAS-increment a counter ``times`` times, retrying on conflict; returns the number of conflicts."""
    store = LocalBackend(path)
    conflicts = 0
    for _ in range(times):
        while True:
            kv = store.get(key)
            try:
                store.update(key, str(int(kv.value) + 1).encode(), kv.mod_revision)
                break
            except Conflict:
                conflicts += 1
    store.close()
    return conflicts


def test_creates_parent_directory_and_persists(tmp_path):
    path = str(tmp_path / "a" / "b" / "datastore.db")
    store = LocalBackend(path)
    kv = store.create("/calico/x", b"1")
    store.close()
    assert os.path.exists(path)
    again = LocalBackend(path)
    assert again.get("/calico/x") == kv
    assert again.current_revision() == kv.mod_revision
    again.close()


def test_processes_doing_cas_increments_lose_no_update(local_datastore_path):
    store = LocalBackend(local_datastore_path)
    store.create("/counter", b"0")
    workers, times = 4, 50
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers) as pool:
        pool.starmap(_increment, [(local_datastore_path, "/counter", times)] * workers)
    kv = store.get("/counter")
    assert int(kv.value) == workers * times
    assert kv.mod_revision == 2 + workers * times
    store.close()


def test_watch_sees_writes_of_another_connection(local_datastore_path):
    writer = LocalBackend(local_datastore_path)
    reader = LocalBackend(local_datastore_path, poll_interval=0.01)
    start = reader.current_revision()
    writer.create("/calico/a", b"1")
    watch = reader.watch("/calico/", start)
    event = next(iter(watch))
    watch.cancel()
    assert (event.kv.key, event.kv.value) == ("/calico/a", b"1")
    writer.close()
    reader.close()


def test_watch_from_trimmed_history_raises_compacted(monkeypatch):
    monkeypatch.setattr("datastore.backend.local._TRIM_EVERY", 1)
    store = LocalBackend(history=3)
    for i in range(10):
        store.put("/calico/a", str(i).encode())
    with pytest.raises(WatchCompacted) as err:
        next(iter(store.watch("/calico/", 1)))
    assert err.value.compact_revision == store.current_revision() - 3
    events = iter(store.watch("/calico/", store.current_revision() - 1))
    assert next(events).kv.value == b"9"
    store.close()


def test_unwritable_location_is_unavailable(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    from datastore.errors import Unavailable

    with pytest.raises(Unavailable) as err:
        LocalBackend(str(blocker / "sub" / "datastore.db"))
    assert str(blocker / "sub") in str(err.value)


def test_a_store_locked_beyond_the_busy_timeout_is_unavailable(local_datastore_path):
    import sqlite3

    from datastore.errors import Unavailable

    store = LocalBackend(local_datastore_path, busy_timeout=0.1)
    blocker = sqlite3.connect(local_datastore_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(Unavailable) as err:
            store.create("/calico/a", b"1")
        assert str(err.value) == f"local datastore {local_datastore_path}: database is locked"
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.create("/calico/a", b"1").value == b"1"
    store.close()


def test_a_file_that_is_not_a_database_is_unavailable(tmp_path):
    from datastore.errors import Unavailable

    path = tmp_path / "datastore.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(Unavailable) as err:
        LocalBackend(str(path))
    assert str(err.value) == f"cannot open local datastore {path}: file is not a database"


def test_batch_commits_once_and_keeps_per_write_outcomes(local_datastore_path):
    from datastore.errors import AlreadyExists

    store = LocalBackend(local_datastore_path)
    other = LocalBackend(local_datastore_path)
    store.create("/calico/existing", b"0")
    start = store.current_revision()
    with store.batch():
        store.create("/calico/a", b"1")
        with pytest.raises(AlreadyExists):
            store.create("/calico/existing", b"x")
        kv = store.update("/calico/a", b"2", store.get("/calico/a").mod_revision)
        assert [k.key for k in store.list("/calico/")[0]] == ["/calico/a", "/calico/existing"]
        assert other.list("/calico/")[0][0].key == "/calico/existing"
    assert kv.mod_revision == start + 2
    assert other.get("/calico/a") == kv
    assert other.get("/calico/existing").value == b"0"
    events = iter(other.watch("/calico/", start))
    assert [next(events).kv.value for _ in range(2)] == [b"1", b"2"]
    store.close()
    other.close()


def test_batch_is_discarded_when_an_exception_escapes():
    store = LocalBackend()
    start = store.current_revision()
    with pytest.raises(RuntimeError):
        with store.batch():
            store.create("/calico/a", b"1")
            raise RuntimeError("boom")
    assert store.list("/calico/") == ([], start)
    assert store.create("/calico/a", b"1").mod_revision == start + 1
    store.close()


def test_batch_lost_by_sqlite_is_reported_not_silently_dropped():
    from datastore.errors import Unavailable

    store = LocalBackend()
    with pytest.raises(Unavailable) as err:
        with store.batch():
            store.create("/calico/a", b"1")
            store._db.execute("ROLLBACK")  # what sqlite does by itself on e.g. SQLITE_FULL
    assert str(err.value) == "local datastore :memory:: the batch was rolled back by sqlite"
    assert store.list("/calico/")[0] == []
    store.close()


def test_opens_a_file_with_the_older_one_change_per_revision_log(tmp_path):
    path = str(tmp_path / "old.db")
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB NOT NULL, create_revision INTEGER NOT NULL,
                         mod_revision INTEGER NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE meta (id INTEGER PRIMARY KEY CHECK (id = 1), revision INTEGER NOT NULL,
                           compact_revision INTEGER NOT NULL);
        INSERT INTO meta VALUES (1, 3, 0);
        CREATE TABLE changes (revision INTEGER PRIMARY KEY, type TEXT NOT NULL, key TEXT NOT NULL,
                              value BLOB NOT NULL, create_revision INTEGER NOT NULL);
        INSERT INTO kv VALUES ('/calico/a', X'31', 2, 2, 1);
        INSERT INTO changes VALUES (2, 'PUT', '/calico/a', X'31', 2), (3, 'DELETE', '/calico/b', X'32', 0);
    """)
    db.commit()
    db.close()
    store = LocalBackend(path)
    try:
        store.commit([WriteOp.create("/calico/c", b"3"), WriteOp.create("/calico/d", b"4")])
        events = list(itertools.islice(store.watch("/calico/", 0), 4))
        assert [(e.type.value, e.kv.key, e.kv.mod_revision) for e in events] == [
            ("PUT", "/calico/a", 2), ("DELETE", "/calico/b", 3), ("PUT", "/calico/c", 4), ("PUT", "/calico/d", 4)]
        tables = {row[0] for row in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")}
        assert "changes" not in tables
    finally:
        store.close()


def _open_and_create(path, index, start, results):
    start.wait()
    try:
        backend = LocalBackend(path)
        backend.create(f"/calico/opened/{index}", b"x")
        backend.close()
        results.put(None)
    except Exception as exc:  # reported to the test, which names it
        results.put(repr(exc))


def test_processes_opening_a_new_file_at_the_same_moment_all_get_it(tmp_path):
    """Switching a new file to WAL takes an exclusive lock that sqlite refuses at once (no busy wait)
    while another connection holds the file: every opener still gets the datastore."""
    ctx = multiprocessing.get_context("fork")
    for round_no in range(20):
        path = str(tmp_path / f"fresh-{round_no}.db")
        start, results = ctx.Event(), ctx.Queue()
        procs = [ctx.Process(target=_open_and_create, args=(path, i, start, results)) for i in range(8)]
        for proc in procs:
            proc.start()
        start.set()
        errors = [results.get(timeout=60) for _ in procs]
        for proc in procs:
            proc.join(30)
        assert errors == [None] * 8, f"round {round_no}: {[e for e in errors if e]}"
        backend = LocalBackend(path)
        assert len(backend.list("/calico/opened/")[0]) == 8
        backend.close()
