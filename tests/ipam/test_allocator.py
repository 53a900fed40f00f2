"""IPAM operations on real backends (etcd, local file, local :memory:): the datastore contents are the oracle."""
import ipaddress
import json

import pytest

from datastore.errors import NotFound
from datastore.ipam.allocator import IPAM, AssignRequest, BlockLimitError, IPAMError, PoolInfo
from datastore.ipam.block import AllocationBlock
from datastore.ipam.records import IPAMConfig
from datastore.keys import BlockAffinityKey, BlockKey, HandleKey

net = ipaddress.ip_network
ip = ipaddress.ip_address

POOL4 = PoolInfo("pool4", net("10.65.0.0/24"), 26)
POOL6 = PoolInfo("pool6", net("fd00:65::/120"), 122)


def make_ipam(backend, pools=(POOL4, POOL6), labels=None, reservations=()):
    return IPAM(backend, lambda: list(pools), lambda host: (labels or {}).get(host, {}), lambda: list(reservations))


def req(count, handle="h1", host="node-a", **kw):
    return AssignRequest(count=count, handle_id=handle, hostname=host, attrs={"node": host}, **kw)


def stored_block(backend, cidr):
    return AllocationBlock.from_json(backend.get(BlockKey(net(cidr)).path).value)


def test_first_assignment_claims_a_block_with_confirmed_affinity(backend):
    ipam = make_ipam(backend)
    got = ipam.auto_assign(req(2), 4)
    assert len(got) == 2 and all(a.network.prefixlen == 26 for a in got)
    block_cidr = got[0].network
    assert all(a.ip in block_cidr for a in got)
    block = stored_block(backend, block_cidr)
    assert block.affinity == "host:node-a" and block.in_use == 2
    assert got[0].ip == block_cidr.network_address, "first ordinal (network address) is allocatable"
    affinity = json.loads(backend.get(BlockAffinityKey("node-a", block_cidr).path).value)
    assert affinity == {"state": "confirmed", "deleted": False}
    handle = json.loads(backend.get(HandleKey("h1").path).value)
    assert handle == {"block": {str(block_cidr): 2}, "deleted": False}


def test_second_assignment_uses_the_affine_block(backend):
    ipam = make_ipam(backend)
    first = ipam.auto_assign(req(1, "a"), 4)
    second = ipam.auto_assign(req(1, "b"), 4)
    assert second[0].network == first[0].network
    assert int(second[0].ip) == int(first[0].ip) + 1


def test_hosts_get_different_blocks_and_a_full_block_claims_another(backend):
    ipam = make_ipam(backend)
    a = ipam.auto_assign(req(1, host="node-a"), 4)[0].network
    b = ipam.auto_assign(req(1, host="node-b"), 4)[0].network
    assert a != b
    got = ipam.auto_assign(req(70, "big", host="node-a"), 4)
    assert len(got) == 70 and len({g.network for g in got}) == 2
    assert len(ipam.host_affinities("node-a", 4)) == 2


def test_borrowing_when_pool_is_exhausted_and_not_with_strict_affinity(backend):
    small = PoolInfo("small", net("10.66.0.0/25"), 26)  # two blocks
    ipam = make_ipam(backend, pools=[small])
    ipam.auto_assign(req(60, "a1", host="node-a"), 4)
    ipam.auto_assign(req(60, "b1", host="node-b"), 4)
    borrowed = ipam.auto_assign(req(6, "c1", host="node-c"), 4)
    assert len(borrowed) == 6, "node-c borrows from other hosts' blocks"
    ipam.set_config(IPAMConfig(strict_affinity=True))
    assert ipam.auto_assign(req(1, "d1", host="node-d"), 4) == []


def test_block_limit(backend):
    ipam = make_ipam(backend)
    ipam.set_config(IPAMConfig(strict_affinity=True, auto_allocate_blocks=True, max_blocks_per_host=1))
    ipam.auto_assign(req(64, "x"), 4)
    with pytest.raises(BlockLimitError, match="per host block limit"):
        ipam.auto_assign(req(1, "y"), 4)


def test_reservations_are_skipped(backend):
    ipam = make_ipam(backend, pools=[PoolInfo("p", net("10.67.0.0/26"), 26)],
                     reservations=[net("10.67.0.0/30")])
    got = ipam.auto_assign(req(2), 4)
    assert [str(g.ip) for g in got] == ["10.67.0.4", "10.67.0.5"]


def test_node_selector_filters_pools_and_explicit_pools_ignore_it(backend):
    selective = PoolInfo("sel", net("10.68.0.0/26"), 26, node_selector='rack == "r1"')
    ipam = make_ipam(backend, pools=[selective], labels={"node-a": {"rack": "r1"}, "node-b": {"rack": "r2"}})
    assert ipam.auto_assign(req(1, host="node-a"), 4)
    with pytest.raises(IPAMError, match="no configured Calico pools"):
        ipam.auto_assign(req(1, "h2", host="node-b"), 4)
    assert ipam.auto_assign(req(1, "h3", host="node-b", pools=("sel",)), 4)


def test_node_is_read_only_when_a_pool_selects_nodes(backend):
    """A node's labels matter only to a pool with a real nodeSelector; with all() pools it is not read,
    and a node that does not exist (labels None) still gets addresses from them."""
    asked = []
    everyone = PoolInfo("all", net("10.69.0.0/26"), 26)
    selective = PoolInfo("sel", net("10.69.1.0/26"), 26, node_selector='rack == "r1"')
    pools = [everyone]
    ipam = IPAM(backend, lambda: list(pools), lambda host: asked.append(host))
    assert ipam.auto_assign(req(1, host="ghost"), 4)[0].ip in everyone.cidr
    assert asked == []
    pools.append(selective)
    assert [p.name for p in ipam.usable_pools(4, req(1, host="ghost"))] == ["all"]
    assert asked == ["ghost"]


def test_ipv6(backend):
    got = make_ipam(backend).auto_assign(req(3), 6)
    assert len(got) == 3 and got[0].network.prefixlen == 122 and got[0].version == 6


def test_release_by_handle_and_by_ip(backend):
    ipam = make_ipam(backend)
    a = ipam.auto_assign(req(3, "h-a"), 4)
    b = ipam.auto_assign(req(2, "h-b"), 4)
    assert ipam.release_by_handle("h-a") == 3
    with pytest.raises(NotFound):
        backend.get(HandleKey("h-a").path)
    block = stored_block(backend, a[0].network)
    assert block.in_use == 2 and block.affinity == "host:node-a", "affine empty-ish blocks are kept"
    unallocated = ipam.release_ips([b[0].ip, ip("10.65.0.200")])
    assert unallocated == [ip("10.65.0.200")]
    assert json.loads(backend.get(HandleKey("h-b").path).value)["block"] == {str(b[0].network): 1}
    ipam.release_ips([b[1].ip])
    with pytest.raises(NotFound):
        backend.get(HandleKey("h-b").path)
    assert stored_block(backend, a[0].network).is_empty


def test_released_address_goes_to_the_tail(backend):
    ipam = make_ipam(backend)
    first = ipam.auto_assign(req(1, "x"), 4)[0].ip
    ipam.release_ips([first])
    again = ipam.auto_assign(req(1, "y"), 4)[0].ip
    assert again != first


def test_assign_specific_ip(backend):
    ipam = make_ipam(backend)
    ipam.assign_ip(ip("10.65.0.77"), "fixed", {"node": "node-a"}, "node-a")
    block = stored_block(backend, "10.65.0.64/26")
    assert block.attribute_of(ip("10.65.0.77")).handle_id == "fixed"
    with pytest.raises(IPAMError, match="already assigned"):
        ipam.assign_ip(ip("10.65.0.77"), "other", {}, "node-a")
    with pytest.raises(IPAMError, match="not in a configured pool"):
        ipam.assign_ip(ip("192.0.2.1"), "other", {}, "node-a")


def test_release_block_affinity(backend):
    ipam = make_ipam(backend)
    got = ipam.auto_assign(req(1), 4)[0]
    ipam.release_host_affinities("node-a")
    with pytest.raises(NotFound):
        backend.get(BlockAffinityKey("node-a", got.network).path)
    assert stored_block(backend, got.network).affinity is None, "a non-empty block is kept, un-owned"
    ipam.release_by_handle("h1")
    with pytest.raises(NotFound):
        backend.get(BlockKey(got.network).path)


def test_config_round_trip_and_rejection(backend):
    ipam = make_ipam(backend)
    assert ipam.get_config() == IPAMConfig()
    ipam.set_config(IPAMConfig(strict_affinity=True, max_blocks_per_host=5))
    assert ipam.get_config() == IPAMConfig(True, True, 5)
    with pytest.raises(IPAMError, match="at the same time"):
        ipam.set_config(IPAMConfig(False, False))
