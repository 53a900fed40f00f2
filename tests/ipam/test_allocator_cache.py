"""The allocator's per-process optimistic caches never cause a wrong allocation: two IPAM instances on
one store stand for two processes, each acting on what the other changed behind its back."""
import ipaddress

from datastore.ipam.allocator import IPAM, AssignRequest, PoolInfo

net = ipaddress.ip_network
POOL = PoolInfo("pool", net("10.80.0.0/24"), 29)


def req(handle, host="node-a"):
    return AssignRequest(count=1, handle_id=handle, hostname=host, attrs={"node": host})


def pair(backend):
    return IPAM(backend, lambda: [POOL]), IPAM(backend, lambda: [POOL])


def test_stale_block_copy_loses_its_cas_and_retries(backend):
    a, b = pair(backend)
    first = a.auto_assign(req("a1"), 4)[0]
    taken_by_b = b.auto_assign(req("b1"), 4)[0]
    second = a.auto_assign(req("a2"), 4)[0]
    assert len({first.ip, taken_by_b.ip, second.ip}) == 3
    block = a.block_of(first.ip)[1]
    assert block.in_use == 3 and {h.handle_id for h in a.handles()} == {"a1", "b1", "a2"}
    assert all(h.total == 1 for h in a.handles())


def test_space_freed_by_another_process_is_used_before_claiming_a_block(backend):
    a, b = pair(backend)
    got = [a.auto_assign(req(f"a{n}"), 4)[0] for n in range(8)]
    assert len({g.network for g in got}) == 1, "one /29 block filled"
    b.release_ips([got[3].ip])
    again = a.auto_assign(req("a8"), 4)[0]
    assert again.ip == got[3].ip
    assert len(a.blocks(4)) == 1, "no second block claimed"


def test_affinity_released_elsewhere_is_not_trusted(backend):
    a, b = pair(backend)
    first = a.auto_assign(req("a0"), 4)[0]
    b.release_block_affinity("node-a", first.network)
    assert a.block_of(first.ip)[1].affinity is None
    second = a.auto_assign(req("a1"), 4)[0]
    assert second.network != first.network
    assert a.block_of(second.ip)[1].affinity == "host:node-a"
    assert a.block_of(first.ip)[1].in_use == 1, "the un-owned block is not allocated from"


def test_block_deleted_elsewhere_is_reclaimed_fresh(backend):
    a, b = pair(backend)
    first = a.auto_assign(req("a0"), 4)[0]
    b.release_by_handle("a0")
    b.release_block_affinity("node-a", first.network)
    assert a.blocks(4) == []
    second = a.auto_assign(req("a1"), 4)[0]
    assert a.block_of(second.ip)[1].affinity == "host:node-a"
    assert [h.handle_id for h in a.handles()] == ["a1"]
