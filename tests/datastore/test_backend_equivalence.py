"""Random operation sequences give identical results on real etcd and on the local sqlite backend
(values, revisions, errors and final listings), multi-key commits included, so `local` is a faithful stand-in for etcd."""
from __future__ import annotations

import shutil

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datastore.backend.base import WriteOp
from datastore.backend.etcd import EtcdBackend, EtcdClient
from datastore.backend.local import LocalBackend
from datastore.errors import DatastoreError
from tests.conftest import require, wipe_etcd

KEYS = ["/calico/a", "/calico/b", "/calico/b/c", "/calico/bb", "/other"]

operation = st.one_of(
    st.tuples(st.just("create"), st.sampled_from(KEYS), st.binary(max_size=8)),
    st.tuples(st.just("update"), st.sampled_from(KEYS), st.binary(max_size=8), st.integers(0, 3)),
    st.tuples(st.just("delete"), st.sampled_from(KEYS), st.integers(-1, 3)),
    st.tuples(st.just("put"), st.sampled_from(KEYS), st.binary(max_size=8)),
    st.tuples(st.just("get"), st.sampled_from(KEYS)),
    st.tuples(st.just("list"), st.sampled_from(["/calico/", "/calico/b", "/calico/b/", ""])),
    st.tuples(st.just("commit"), st.lists(st.tuples(st.sampled_from(["create", "update", "delete"]),
                                                    st.sampled_from(KEYS), st.binary(max_size=8),
                                                    st.integers(-1, 2)), max_size=4)),
)


def _run(store, start: int, ops) -> list:
    """Apply ``ops``; revisions in results are relative to ``start`` so both stores compare equal.

    Update/delete revisions are chosen relative to the key's current mod revision (0 = the current one,
    n = n revisions older), so the sequences exercise both successful and failing compare-and-swaps.
    """
    def rel(kv):
        return (kv.key, kv.value, kv.mod_revision - start, kv.create_revision and kv.create_revision - start)

    def current_rev(key):
        try:
            return store.get(key).mod_revision
        except DatastoreError:
            return start + 1

    def write_op(kind, key, value, age):
        if kind == "create":
            return WriteOp.create(key, value)
        revision = current_rev(key) - max(age, 0)
        if kind == "update":
            return WriteOp.update(key, value, revision)
        return WriteOp.delete(key, None if age < 0 else revision)

    results = []
    for op in ops:
        try:
            if op[0] == "create":
                results.append(rel(store.create(op[1], op[2])))
            elif op[0] == "update":
                results.append(rel(store.update(op[1], op[2], current_rev(op[1]) - op[3])))
            elif op[0] == "delete":
                revision = None if op[2] < 0 else current_rev(op[1]) - op[2]
                results.append(rel(store.delete(op[1], revision)))
            elif op[0] == "put":
                results.append(rel(store.put(op[1], op[2])))
            elif op[0] == "commit":
                results.append([rel(kv) for kv in store.commit([write_op(*sub) for sub in op[1]])])
            elif op[0] == "get":
                results.append(rel(store.get(op[1])))
            else:
                items, revision = store.list(op[1])
                results.append(([rel(kv) for kv in items], revision - start))
        except ValueError as exc:
            results.append(("ValueError", str(exc)))
        except DatastoreError as exc:
            results.append((type(exc).__name__, str(exc), getattr(exc, "current_revision", 0) and
                            exc.current_revision - start))
    results.append(store.current_revision() - start)
    return results


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, max_size=25))
def test_etcd_and_local_agree(etcd_server, ops):
    require(shutil.which("etcd") is not None, "etcd-server")
    wipe_etcd(etcd_server.url)
    etcd = EtcdBackend(EtcdClient(etcd_server.url))
    local = LocalBackend()
    try:
        assert _run(local, local.current_revision(), ops) == _run(etcd, etcd.current_revision(), ops)
    finally:
        etcd.close()
        local.close()
