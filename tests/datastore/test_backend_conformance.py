"""One conformance suite for every Backend: real etcd, local sqlite file, local :memory:."""
from __future__ import annotations

import threading

import pytest

from datastore.backend.base import Backend, EventType, KeyValue, Read, WriteOp
from datastore.errors import AlreadyExists, Conflict, NotFound


def _collect(watch, count: int, timeout: float = 5.0):
    """Read ``count`` events from ``watch`` in a thread; cancel it on timeout."""
    events = []
    done = threading.Event()

    def reader():
        for event in watch:
            events.append(event)
            if len(events) >= count:
                break
        done.set()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    finished = done.wait(timeout)
    watch.cancel()
    thread.join(timeout)
    assert finished, f"got only {len(events)} of {count} events: {events}"
    return events


def test_implements_protocol(backend):
    assert isinstance(backend, Backend)


def test_get_missing_raises_not_found(backend):
    with pytest.raises(NotFound) as err:
        backend.get("/calico/x")
    assert str(err.value) == "resource does not exist: /calico/x with error: <nil>"


def test_create_then_get(backend):
    start = backend.current_revision()
    kv = backend.create("/calico/a", b'{"x":1}')
    assert kv.mod_revision == kv.create_revision == start + 1
    assert backend.current_revision() == start + 1
    got = backend.get("/calico/a")
    assert got == kv
    assert got.value == b'{"x":1}'


def test_create_existing_raises_already_exists_with_current_revision(backend):
    kv = backend.create("/calico/a", b"1")
    with pytest.raises(AlreadyExists) as err:
        backend.create("/calico/a", b"2")
    assert err.value.current_revision == kv.mod_revision
    assert backend.get("/calico/a").value == b"1"


def test_update_at_revision(backend):
    kv = backend.create("/calico/a", b"1")
    new = backend.update("/calico/a", b"2", kv.mod_revision)
    assert new.mod_revision == kv.mod_revision + 1
    assert new.create_revision == kv.create_revision
    assert backend.get("/calico/a") == new


def test_update_stale_revision_conflicts_and_leaves_value(backend):
    kv = backend.create("/calico/a", b"1")
    current = backend.update("/calico/a", b"2", kv.mod_revision)
    with pytest.raises(Conflict) as err:
        backend.update("/calico/a", b"3", kv.mod_revision)
    assert err.value.current_revision == current.mod_revision
    assert backend.get("/calico/a").value == b"2"


def test_update_missing_raises_not_found(backend):
    with pytest.raises(NotFound):
        backend.update("/calico/a", b"2", 5)


def test_put_creates_and_overwrites(backend):
    first = backend.put("/calico/a", b"1")
    second = backend.put("/calico/a", b"2")
    assert second.create_revision == first.mod_revision
    assert second.mod_revision == first.mod_revision + 1
    assert backend.get("/calico/a").value == b"2"


def test_delete_returns_deleted_value(backend):
    kv = backend.create("/calico/a", b"1")
    deleted = backend.delete("/calico/a")
    assert deleted.value == b"1"
    assert deleted.mod_revision == kv.mod_revision
    with pytest.raises(NotFound):
        backend.get("/calico/a")
    assert backend.current_revision() == kv.mod_revision + 1


def test_delete_missing_raises_not_found(backend):
    with pytest.raises(NotFound):
        backend.delete("/calico/a")
    with pytest.raises(NotFound):
        backend.delete("/calico/a", revision=3)


def test_delete_at_revision(backend):
    kv = backend.create("/calico/a", b"1")
    newer = backend.update("/calico/a", b"2", kv.mod_revision)
    with pytest.raises(Conflict) as err:
        backend.delete("/calico/a", revision=kv.mod_revision)
    assert err.value.current_revision == newer.mod_revision
    assert backend.get("/calico/a").value == b"2"
    assert backend.delete("/calico/a", revision=newer.mod_revision).value == b"2"


def test_recreate_after_delete_gets_new_create_revision(backend):
    first = backend.create("/calico/a", b"1")
    backend.delete("/calico/a")
    second = backend.create("/calico/a", b"2")
    assert second.create_revision == first.create_revision + 2


def test_list_prefix_sorted_with_snapshot_revision(backend):
    for key in ("/calico/b/2", "/calico/b/1", "/calico/a", "/calico/bb", "/calico/b/10", "/other"):
        backend.create(key, key.encode())
    items, revision = backend.list("/calico/b/")
    assert [kv.key for kv in items] == ["/calico/b/1", "/calico/b/10", "/calico/b/2"]
    assert [kv.value for kv in items] == [b"/calico/b/1", b"/calico/b/10", b"/calico/b/2"]
    assert revision == backend.current_revision()
    everything, _ = backend.list("")
    assert [kv.key for kv in everything][-1] == "/other"
    assert len(everything) == 6


def test_list_keys_gives_keys_and_mod_revisions_without_values(backend):
    for key in ("/calico/b/2", "/calico/b/1", "/calico/a", "/calico/bb"):
        backend.create(key, b"v" * 2000)
    updated = backend.update("/calico/b/1", b"new", backend.get("/calico/b/1").mod_revision)
    keys, revision = backend.list_keys("/calico/b/")
    assert keys == [("/calico/b/1", updated.mod_revision), ("/calico/b/2", backend.get("/calico/b/2").mod_revision)]
    assert revision == backend.current_revision()
    assert backend.list_keys("/calico/none/") == ([], revision)


def test_read_answers_gets_and_lists_from_one_snapshot(backend):
    for key in ("/calico/b/2", "/calico/b/1", "/calico/bb", "/calico/cfg"):
        backend.create(key, key.encode())
    updated = backend.update("/calico/b/1", b"new", backend.get("/calico/b/1").mod_revision)
    results, revision = backend.read([Read.list_keys("/calico/b/"), Read.list("/calico/b/"), Read.get("/calico/cfg"),
                                      Read.get("/calico/absent"), Read.list("/calico/none/")])
    assert revision == backend.current_revision() == updated.mod_revision
    keys, kvs, config, absent, empty = results
    assert keys == [("/calico/b/1", updated.mod_revision), ("/calico/b/2", backend.get("/calico/b/2").mod_revision)]
    assert kvs == [backend.get("/calico/b/1"), backend.get("/calico/b/2")]
    assert config == backend.get("/calico/cfg") and config.value == b"/calico/cfg"
    assert absent is None and empty == []
    assert backend.read([]) == ([], revision)


def test_list_empty_prefix_result(backend):
    items, revision = backend.list("/calico/none/")
    assert items == []
    assert revision == backend.current_revision()


def test_list_revision_moves_with_writes(backend):
    backend.create("/calico/a", b"1")
    _, before = backend.list("/calico/")
    backend.create("/other", b"1")
    _, after = backend.list("/calico/")
    assert after == before + 1


def test_watch_from_revision_replays_history_then_live(backend):
    start = backend.current_revision()
    a = backend.create("/calico/w/a", b"1")
    backend.create("/elsewhere", b"x")
    b = backend.update("/calico/w/a", b"2", a.mod_revision)
    watch = backend.watch("/calico/w/", start)

    def later():
        backend.delete("/calico/w/a")
        backend.create("/calico/w/b", b"3")

    threading.Timer(0.2, later).start()
    events = _collect(watch, 4)
    assert [(e.type, e.kv.key, e.kv.value) for e in events] == [
        (EventType.PUT, "/calico/w/a", b"1"),
        (EventType.PUT, "/calico/w/a", b"2"),
        (EventType.DELETE, "/calico/w/a", b"2"),
        (EventType.PUT, "/calico/w/b", b"3"),
    ]
    assert [e.kv.mod_revision for e in events] == [a.mod_revision, b.mod_revision, b.mod_revision + 1,
                                                   b.mod_revision + 2]
    assert events[1].kv.create_revision == a.mod_revision


def test_watch_is_exclusive_of_from_revision(backend):
    a = backend.create("/calico/w/a", b"1")
    backend.update("/calico/w/a", b"2", a.mod_revision)
    events = _collect(backend.watch("/calico/w/", a.mod_revision), 1)
    assert events[0].kv.value == b"2"


def test_watch_cancel_ends_iteration(backend):
    watch = backend.watch("/calico/", backend.current_revision())
    ended = threading.Event()

    def reader():
        for _ in watch:
            pass
        ended.set()

    threading.Thread(target=reader, daemon=True).start()
    watch.cancel()
    assert ended.wait(5)


def test_watch_everything_with_empty_prefix(backend):
    start = backend.current_revision()
    backend.create("/a", b"1")
    backend.create("/z/z", b"2")
    events = _collect(backend.watch("", start), 2)
    assert [e.kv.key for e in events] == ["/a", "/z/z"]


# -- commit: several conditional writes as one transaction -----------------------------------------


def test_commit_writes_every_op_at_one_new_revision(backend):
    kept = backend.create("/calico/u", b"old")
    gone = backend.create("/calico/d", b"bye")
    start = backend.current_revision()
    written = backend.commit([
        WriteOp.create("/calico/c", b"new"),
        WriteOp.update("/calico/u", b"changed", kept.mod_revision),
        WriteOp.delete("/calico/d", gone.mod_revision),
    ])
    assert backend.current_revision() == start + 1
    assert written == [
        KeyValue("/calico/c", b"new", start + 1, start + 1),
        KeyValue("/calico/u", b"changed", start + 1, 0),
        KeyValue("/calico/d", b"", start + 1, 0),
    ]
    assert backend.get("/calico/c") == written[0]
    assert backend.get("/calico/u") == KeyValue("/calico/u", b"changed", start + 1, kept.create_revision)
    with pytest.raises(NotFound):
        backend.get("/calico/d")


def test_commit_delete_without_revision_deletes_any_version(backend):
    backend.create("/calico/d", b"x")
    backend.commit([WriteOp.delete("/calico/d")])
    with pytest.raises(NotFound):
        backend.get("/calico/d")


@pytest.mark.parametrize("failing, error, current", [
    ("create-existing", AlreadyExists, True),
    ("update-stale", Conflict, True),
    ("update-missing", NotFound, False),
    ("delete-stale", Conflict, True),
    ("delete-missing", NotFound, False),
])
def test_commit_is_all_or_nothing_and_names_the_failing_key(backend, failing, error, current):
    existing = backend.create("/calico/e", b"1")
    stale = existing.mod_revision - 1
    bad = {
        "create-existing": WriteOp.create("/calico/e", b"2"),
        "update-stale": WriteOp.update("/calico/e", b"2", stale),
        "update-missing": WriteOp.update("/calico/missing", b"2", existing.mod_revision),
        "delete-stale": WriteOp.delete("/calico/e", stale),
        "delete-missing": WriteOp.delete("/calico/missing"),
    }[failing]
    start = backend.current_revision()
    with pytest.raises(error) as err:
        backend.commit([WriteOp.create("/calico/first", b"x"), bad, WriteOp.create("/calico/last", b"y")])
    assert bad.key in str(err.value)
    if current:
        assert err.value.current_revision == existing.mod_revision
    assert backend.current_revision() == start
    assert backend.get("/calico/e") == existing
    assert backend.list("/calico/")[0] == [existing]


def test_commit_reports_the_first_failing_op_in_order(backend):
    a = backend.create("/calico/a", b"1")
    with pytest.raises(NotFound) as err:
        backend.commit([WriteOp.update("/calico/b", b"2", a.mod_revision), WriteOp.create("/calico/a", b"2")])
    assert "/calico/b" in str(err.value)


def test_commit_rejects_a_key_written_twice(backend):
    with pytest.raises(ValueError, match="duplicate key"):
        backend.commit([WriteOp.create("/calico/a", b"1"), WriteOp.delete("/calico/a")])
    with pytest.raises(NotFound):
        backend.get("/calico/a")


def test_commit_of_nothing_writes_nothing(backend):
    start = backend.current_revision()
    assert backend.commit([]) == []
    assert backend.current_revision() == start


def test_watch_sees_every_key_of_a_commit_at_its_revision_in_op_order(backend):
    old = backend.create("/calico/z", b"0")
    start = backend.current_revision()
    watch = backend.watch("/calico/", start)
    backend.commit([WriteOp.create("/calico/y", b"1"), WriteOp.delete("/calico/z", old.mod_revision),
                    WriteOp.create("/calico/x", b"2")])
    events = _collect(watch, 3)
    assert [(e.type, e.kv.key, e.kv.mod_revision) for e in events] == [
        (EventType.PUT, "/calico/y", start + 1),
        (EventType.DELETE, "/calico/z", start + 1),
        (EventType.PUT, "/calico/x", start + 1),
    ]
    assert events[1].kv.value == b"0"
