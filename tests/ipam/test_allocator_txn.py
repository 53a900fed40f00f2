"""Block and handle records are written together in one transaction: one round trip per allocation in
steady state, one revision for the pair, and no handle left changed when a block write loses its race."""
import ipaddress
import json

from datastore.backend.base import WriteOp
from datastore.ipam.allocator import IPAM, AssignRequest, PoolInfo
from datastore.ipam.block import AllocationBlock
from datastore.keys import BlockAffinityKey, BlockKey, HandleKey, block_affinity_prefix

net = ipaddress.ip_network
POOL = PoolInfo("pool", net("10.90.0.0/24"), 28)


class Counting:
    """A Backend wrapper recording each call by name (``commit`` with the kinds of its ops)."""

    def __init__(self, inner):
        self.inner = inner
        self.calls = []

    def __getattr__(self, name):
        method = getattr(self.inner, name)

        def call(*args, **kwargs):
            self.calls.append(name if name != "commit" else ("commit", tuple(op.kind for op in args[0])))
            return method(*args, **kwargs)

        return call


class BlockRacer(Counting):
    """Before its first commit, another writer changes the block the commit is about to CAS."""

    def __init__(self, inner, raced_key):
        super().__init__(inner)
        self.raced_key = raced_key
        self.raced = False

    def commit(self, ops):
        if not self.raced:
            self.raced = True
            current = self.inner.get(self.raced_key)
            self.inner.update(self.raced_key, current.value, current.mod_revision)
        self.calls.append(("commit", tuple(op.kind for op in ops)))
        return self.inner.commit(ops)


def req(handle, count=1, host="node-a"):
    return AssignRequest(count=count, handle_id=handle, hostname=host, attrs={"node": host})


def test_steady_state_allocation_is_one_transaction_writing_block_and_new_handle(backend):
    counting = Counting(backend)
    ipam = IPAM(counting, lambda: [POOL])
    ipam.auto_assign(req("claims-the-block"), 4)
    counting.calls.clear()
    got = ipam.auto_assign(req("second"), 4)
    assert counting.calls == [("commit", ("update", "create"))]
    block = backend.get(BlockKey(got[0].network).path)
    handle = backend.get(HandleKey("second").path)
    assert block.mod_revision == handle.mod_revision


def test_allocation_for_an_existing_handle_updates_it_at_its_revision(backend):
    ipam = IPAM(backend, lambda: [POOL])
    first = ipam.auto_assign(req("pod"), 4)
    second = ipam.auto_assign(req("pod"), 4)
    assert first[0].ip != second[0].ip
    [handle] = ipam.handles()
    assert handle.total == 2 and handle.count_in(str(first[0].network)) == 2


def test_lost_block_race_retries_without_touching_the_handle(backend):
    cidr = IPAM(backend, lambda: [POOL]).auto_assign(req("first"), 4)[0].network
    racer = BlockRacer(backend, BlockKey(cidr).path)
    racer.raced = True
    ipam = IPAM(racer, lambda: [POOL])
    ipam.auto_assign(req("warm"), 4)
    racer.raced = False
    racer.calls.clear()
    got = ipam.auto_assign(req("new"), 4)
    assert racer.calls == [("commit", ("update", "create")), "get", ("commit", ("update", "create"))]
    handle = backend.get(HandleKey("new").path)
    assert handle.create_revision == handle.mod_revision == backend.get(BlockKey(cidr).path).mod_revision
    assert [h.total for h in ipam.handles() if h.handle_id == "new"] == [1]
    assert ipam.block_of(got[0].ip)[1].in_use == 3


def test_a_handle_created_elsewhere_is_read_and_updated(backend):
    ipam = IPAM(backend, lambda: [POOL])
    ipam.auto_assign(req("warm"), 4)
    cidr = ipam.auto_assign(req("other"), 4)[0].network
    backend.commit([WriteOp.create(HandleKey("shared").path,
                                   b'{"block":{"' + str(cidr).encode() + b'":0}}')])
    got = ipam.auto_assign(req("shared"), 4)
    [handle] = [h for h in ipam.handles() if h.handle_id == "shared"]
    assert handle.total == 1 and ipam.block_of(got[0].ip)[1].attribute_of(got[0].ip).handle_id == "shared"


def test_release_writes_block_and_deletes_the_emptied_handle_in_one_transaction(backend):
    ipam = IPAM(backend, lambda: [POOL])
    [kept] = ipam.auto_assign(req("keep"), 4)
    [gone] = ipam.auto_assign(req("gone"), 4)
    counting = Counting(backend)
    releaser = IPAM(counting, lambda: [POOL])
    assert releaser.release_ips([gone.ip]) == []
    assert [c for c in counting.calls if c[0] == "commit"] == [("commit", ("update", "delete"))]
    assert [h.handle_id for h in ipam.handles()] == ["keep"]
    assert ipam.block_of(kept.ip)[1].in_use == 1


def test_release_by_handle_of_a_multi_address_handle(backend):
    ipam = IPAM(backend, lambda: [POOL])
    got = ipam.auto_assign(req("multi", count=3), 4)
    assert ipam.release_by_handle("multi") == 3
    assert ipam.handles() == []
    assert ipam.block_of(got[0].ip)[1].in_use == 0


def test_assign_ip_writes_block_and_handle_together(backend):
    ipam = IPAM(backend, lambda: [POOL])
    address = ipaddress.ip_address("10.90.0.77")
    ipam.assign_ip(address, "fixed", {"node": "node-a"}, "node-a")
    block = backend.get(BlockKey(net("10.90.0.64/28")).path)
    assert backend.get(HandleKey("fixed").path).mod_revision == block.mod_revision
    ipam.assign_ip(ipaddress.ip_address("10.90.0.78"), None, {}, "node-a")
    assert [h.total for h in ipam.handles()] == [1]


def test_a_full_host_checks_its_blocks_by_revision_and_claims_without_rereading_them(backend):
    counting = Counting(backend)
    ipam = IPAM(counting, lambda: [POOL])
    first = [ipam.auto_assign(req(f"fill-{n}"), 4)[0] for n in range(16)]
    assert len({a.network for a in first}) == 1, "one /28 block filled"
    counting.calls.clear()
    [got] = ipam.auto_assign(req("next"), 4)
    assert got.network != first[0].network
    # one snapshot read (keys-only block listing, affinity listing, IPAM config), the pending affinity,
    # then the block created holding the allocation, the affinity confirmed and the handle created, in
    # one txn: the full block is not read again and the new one not read back
    assert counting.calls == ["read", "create", ("commit", ("create", "update", "create"))]
    counting.calls.clear()
    [after] = ipam.auto_assign(req("after"), 4)
    assert after.network == got.network
    assert counting.calls == [("commit", ("update", "create"))], "the claimed affinity is known without listing"


class AffinityRacer(Counting):
    """Before the first commit that confirms an affinity, another writer rewrites that affinity."""

    def __init__(self, inner):
        super().__init__(inner)
        self.raced = False

    def commit(self, ops):
        affinity = [op.key for op in ops if "/host/" in op.key]
        if affinity and not self.raced:
            self.raced = True
            current = self.inner.get(affinity[0])
            self.inner.update(affinity[0], current.value, current.mod_revision)
        self.calls.append(("commit", tuple(op.kind for op in ops)))
        return self.inner.commit(ops)


CLAIMED = net("10.90.0.32/28")


def test_claim_writes_the_affinity_pending_then_creates_the_block_and_confirms_it_together(backend):
    affinity_key = BlockAffinityKey("node-a", CLAIMED).path
    seen = []

    class Watching(Counting):
        def create(self, key, value):
            seen.append(("create", key, json.loads(value)["state"]))
            return self.inner.create(key, value)

        def commit(self, ops):
            seen.append(("commit", [(op.kind, op.key) for op in ops]))
            return self.inner.commit(ops)

    assert IPAM(Watching(backend), lambda: [POOL]).claim_block(CLAIMED, "node-a")
    assert seen == [("create", affinity_key, "pending"),
                    ("commit", [("create", BlockKey(CLAIMED).path), ("update", affinity_key)])]
    affinity, block = backend.get(affinity_key), backend.get(BlockKey(CLAIMED).path)
    assert json.loads(affinity.value) == {"state": "confirmed", "deleted": False}
    assert affinity.mod_revision == block.mod_revision
    assert AllocationBlock.from_json(block.value).affinity == "host:node-a"


def test_claim_of_a_block_another_host_created_drops_the_pending_affinity(backend):
    assert IPAM(backend, lambda: [POOL]).claim_block(CLAIMED, "node-b")
    assert not IPAM(backend, lambda: [POOL]).claim_block(CLAIMED, "node-a")
    assert backend.list(block_affinity_prefix("node-a", 4))[0] == []
    assert AllocationBlock.from_json(backend.get(BlockKey(CLAIMED).path).value).affinity == "host:node-b"


def test_claim_of_a_block_this_host_created_before_confirms_the_affinity(backend):
    """A claim that stopped after creating the block (no affinity left) is completed by the next one."""
    block = AllocationBlock.new(CLAIMED, "host:node-a", 1)
    created = backend.create(BlockKey(CLAIMED).path, block.to_bytes())
    assert IPAM(backend, lambda: [POOL]).claim_block(CLAIMED, "node-a")
    assert json.loads(backend.get(BlockAffinityKey("node-a", CLAIMED).path).value)["state"] == "confirmed"
    assert backend.get(BlockKey(CLAIMED).path).mod_revision == created.mod_revision


def test_claim_whose_pending_affinity_changed_creates_the_block_then_confirms_as_stored(backend):
    racer = AffinityRacer(backend)
    assert IPAM(racer, lambda: [POOL]).claim_block(CLAIMED, "node-a")
    assert racer.calls == ["create", ("commit", ("create", "update")), "create", "get", "update"]
    affinity = json.loads(backend.get(BlockAffinityKey("node-a", CLAIMED).path).value)
    assert affinity == {"state": "confirmed", "deleted": False}
    assert AllocationBlock.from_json(backend.get(BlockKey(CLAIMED).path).value).affinity == "host:node-a"


def test_a_claimed_block_is_created_holding_the_first_allocation_as_an_allocation_would_leave_it(backend):
    ipam = IPAM(backend, lambda: [POOL], clock_ns=lambda: 500)
    [got] = ipam.auto_assign(req("first"), 4)
    stored = backend.get(BlockKey(got.network).path)
    block = AllocationBlock.from_json(stored.value)
    expected = AllocationBlock.new(got.network, "host:node-a", 500).assign(1, "first", {"node": "node-a"}).block
    expected = expected.for_write()
    assert block == expected and stored.value == expected.to_bytes()
    assert block.sequence_number == 501 and block.sequence_of(block.ordinal_of(got.ip)) == 500
    handle = backend.get(HandleKey("first").path)
    affinity = backend.get(BlockAffinityKey("node-a", got.network).path)
    assert handle.mod_revision == affinity.mod_revision == stored.mod_revision
    assert json.loads(handle.value) == {"block": {str(got.network): 1}, "deleted": False}
    assert json.loads(affinity.value)["state"] == "confirmed"


def test_a_claim_whose_first_allocation_loses_its_handle_race_claims_bare_and_allocates_after(backend):
    """The handle appears between the claim's read and its write: nothing of that txn is written, the
    block is claimed empty and the allocation then updates the handle found."""

    class HandleRacer(Counting):
        def commit(self, ops):
            if len(ops) == 3 and not self.inner.list(HandleKey("pod").path)[0]:
                self.inner.create(HandleKey("pod").path, b'{"block":{},"deleted":false}')
            self.calls.append(("commit", tuple(op.kind for op in ops)))
            return self.inner.commit(ops)

    racer = HandleRacer(backend)
    [got] = IPAM(racer, lambda: [POOL]).auto_assign(req("pod"), 4)
    assert racer.calls == ["list", "read", "create", ("commit", ("create", "update", "create")),
                           ("commit", ("create", "update")), ("commit", ("update", "create")), "get",
                           ("commit", ("update", "update"))]
    assert json.loads(backend.get(HandleKey("pod").path).value) == {"block": {str(got.network): 1}, "deleted": False}
    block = AllocationBlock.from_json(backend.get(BlockKey(got.network).path).value)
    assert block.in_use == 1 and block.attribute_of(got.ip).handle_id == "pod"
