"""Several processes allocating at once: no duplicate address, handles and blocks agree afterwards."""
import ipaddress
import multiprocessing
import sys

import pytest

from datastore.backend.etcd import EtcdBackend, EtcdClient
from datastore.backend.local import LocalBackend
from datastore.ipam.allocator import IPAM, AssignRequest, PoolInfo
from datastore.ipam.check import CheckInput, HandleRecord, analyse
from datastore.keys import HANDLE_PREFIX

POOLS = [PoolInfo("pool", ipaddress.ip_network("10.70.0.0/22"), 26)]
WORKERS = 4
PER_WORKER = 40


def open_store(spec):
    kind, where = spec
    return EtcdBackend(EtcdClient(where)) if kind == "etcd" else LocalBackend(where)


def worker(spec, index, queue):
    store = open_store(spec)
    ipam = IPAM(store, lambda: POOLS)
    host = f"node-{index % 2}"  # two processes per host: they contend for the same blocks
    got = []
    for n in range(PER_WORKER):
        got += [str(a.ip) for a in ipam.auto_assign(
            AssignRequest(count=1, handle_id=f"w{index}-{n}", hostname=host, attrs={"node": host}), 4)]
    store.close()
    queue.put(got)


@pytest.fixture(params=["etcd", "local-file"])
def store_spec(request, tmp_path):
    if request.param == "etcd":
        return ("etcd", request.getfixturevalue("etcd").url)
    return ("local", str(tmp_path / "ipam.db"))


def test_concurrent_allocators_never_hand_out_an_address_twice(store_spec):
    ctx = multiprocessing.get_context("spawn" if sys.platform != "linux" else "fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(store_spec, i, queue)) for i in range(WORKERS)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    addresses = [a for r in results for a in r]
    assert len(addresses) == WORKERS * PER_WORKER
    assert len(set(addresses)) == len(addresses), "duplicate addresses handed out"

    store = open_store(store_spec)
    ipam = IPAM(store, lambda: POOLS)
    allocated = {str(a) for _, block in ipam.blocks(4) for a, _ in block.allocated()}
    assert allocated == set(addresses)
    handles = ipam.handles()
    assert sum(h.total for h in handles) == len(addresses)
    for _, block in ipam.blocks(4):
        assert block.affinity in ("host:node-0", "host:node-1")
    blocks = tuple(block for _, block in ipam.blocks(4))
    kvs, _ = store.list(HANDLE_PREFIX)
    check = analyse(CheckInput(blocks, (POOLS[0].cidr,), (), tuple(("default/w", ipaddress.ip_address(a))
                                                                    for a in addresses),
                               tuple(HandleRecord(kv.key[len(HANDLE_PREFIX):], kv.mod_revision) for kv in kvs)))
    assert (check.problems, check.missing_handles, check.multiple_owners) == (0, (), ()), "ipam check is clean"
    store.close()
