"""Pure AllocationBlock and record logic: assignment order, release, attributes, sequence numbers, JSON."""
import ipaddress
import json

import pytest

from datastore.ipam.block import AllocationBlock, BlockError
from datastore.ipam.records import AffinityState, AllocationHandle, HostAffinity, IPAMConfig

ip = ipaddress.ip_address
V4 = ipaddress.ip_network("10.244.42.64/26")
V6 = ipaddress.ip_network("fd00:10::/122")


def new_block(cidr=V4, host="node-b", seq=100):
    return AllocationBlock.new(cidr, f"host:{host}", seq)


def test_new_block_every_ordinal_free_in_order_including_network_address():
    block = new_block()
    assert block.size == 64
    assert block.unallocated == tuple(range(64))
    assert block.is_empty and block.host == "node-b"
    assignment = block.assign(1, "ipip-tunnel-addr-node-b", {"node": "node-b", "type": "ipipTunnelAddress"})
    assert assignment.addresses == (ip("10.244.42.64"),)


def test_assign_pops_head_and_records_sequence_numbers():
    block = new_block(seq=7)
    a = block.assign(3, "h1", {"node": "node-b"})
    assert a.addresses == (ip("10.244.42.64"), ip("10.244.42.65"), ip("10.244.42.66"))
    assert a.block.unallocated[:2] == (3, 4)
    assert a.block.in_use == 3
    assert [a.block.sequence_of(o) for o in range(3)] == [7, 7, 7]
    assert block.in_use == 0, "the original block is never mutated"


def test_assign_skips_reserved_ordinals_but_keeps_them_free():
    block = new_block()
    a = block.assign(2, "h", reserved=frozenset({0, 1}))
    assert a.addresses == (ip("10.244.42.66"), ip("10.244.42.67"))
    assert a.block.unallocated[:2] == (0, 1)


def test_assign_more_than_free_returns_what_there_is():
    block = AllocationBlock.new(ipaddress.ip_network("10.0.0.0/30"), None, 1)
    a = block.assign(10, "h")
    assert len(a.addresses) == 4 and a.block.unallocated == ()
    assert a.block.assign(1, "h").addresses == ()


def test_attributes_are_deduplicated_and_compacted_on_release():
    block = new_block()
    b = block.assign(2, "h1", {"node": "n"}).block
    b = b.assign(1, "h2", {"node": "n"}).block
    b = b.assign(1, "h1", {"node": "n"}).block
    assert [a.handle_id for a in b.attributes] == ["h1", "h2"]
    assert b.allocations[:4] == (0, 0, 1, 0)
    r = b.release_handle("h1")
    assert r.released == (ip("10.244.42.64"), ip("10.244.42.65"), ip("10.244.42.67"))
    assert r.handle_counts == (("h1", 3),)
    assert [a.handle_id for a in r.block.attributes] == ["h2"]
    assert r.block.allocations[:4] == (None, None, 0, None)


def test_release_appends_to_tail_fifo():
    b = new_block().assign(2, "h").block
    r = b.release([ip("10.244.42.64")])
    assert r.block.unallocated[-1] == 0 and r.block.unallocated[0] == 2
    assert r.block.sequence_of(0) is None and r.block.sequence_of(1) is not None


def test_release_of_unallocated_is_reported_not_error():
    r = new_block().release([ip("10.244.42.70")])
    assert r.released == () and r.unallocated == (ip("10.244.42.70"),)


def test_release_with_stale_sequence_number_keeps_address():
    b = new_block(seq=5).assign(1, "h").block
    r = b.release([ip("10.244.42.64")], sequence_numbers={ip("10.244.42.64"): 4})
    assert r.released == () and r.block.in_use == 1
    r = b.release([ip("10.244.42.64")], sequence_numbers={ip("10.244.42.64"): 5})
    assert r.released == (ip("10.244.42.64"),)


def test_release_with_other_handle_keeps_address():
    b = new_block().assign(1, "h").block
    assert b.release([ip("10.244.42.64")], handle_id="other").released == ()


def test_assign_specific_address_and_double_assignment():
    b = new_block().assign_address(ip("10.244.42.100"), "h")
    assert b.attribute_of(ip("10.244.42.100")).handle_id == "h"
    assert 36 not in b.unallocated
    with pytest.raises(BlockError, match="already assigned"):
        b.assign_address(ip("10.244.42.100"), "h2")
    with pytest.raises(BlockError, match="not in block"):
        b.assign_address(ip("10.244.43.1"), "h2")


def test_for_write_bumps_sequence_number():
    assert new_block(seq=9).for_write().sequence_number == 10


def test_json_matches_calico_layout_and_round_trips():
    b = new_block(seq=1714557600123456789).assign(
        1, "ipip-tunnel-addr-node-b", {"node": "node-b", "type": "ipipTunnelAddress"}).block
    data = json.loads(b.to_bytes())
    assert list(data) == ["cidr", "affinity", "allocations", "unallocated", "attributes",
                          "sequenceNumber", "sequenceNumberForAllocation", "deleted"]
    assert data["cidr"] == "10.244.42.64/26" and data["affinity"] == "host:node-b"
    assert data["allocations"][:2] == [0, None] and data["unallocated"][:2] == [1, 2]
    assert data["attributes"] == [{"handle_id": "ipip-tunnel-addr-node-b",
                                   "secondary": {"node": "node-b", "type": "ipipTunnelAddress"}}]
    assert data["sequenceNumberForAllocation"] == {"0": 1714557600123456789}
    assert AllocationBlock.from_json(b.to_bytes()) == b


def test_sequence_map_keys_sorted_as_go_sorts_strings():
    b = new_block(seq=1).assign(11, "h").block
    keys = list(json.loads(b.to_bytes())["sequenceNumberForAllocation"])
    assert keys == sorted(str(i) for i in range(11))


def test_legacy_host_affinity_field_is_understood():
    raw = {"cidr": "10.0.0.0/30", "affinity": None, "hostAffinity": "old", "allocations": [None] * 4,
           "unallocated": [0, 1, 2, 3], "attributes": [], "sequenceNumber": 0, "deleted": False}
    assert AllocationBlock.from_json(raw).host == "old"


def test_malformed_block_json_is_a_block_error():
    with pytest.raises(BlockError):
        AllocationBlock.from_json(b'{"nocidr": 1}')


def test_ipv6_block():
    b = AllocationBlock.new(V6, "host:n", 1)
    assert b.size == 64
    a = b.assign(2, "h")
    assert a.addresses == (ip("fd00:10::"), ip("fd00:10::1"))


def test_handle_counts():
    h = AllocationHandle("k8s-pod-network.abc").increment("10.0.0.0/26", 2).increment("10.0.1.0/26", 1)
    assert h.total == 3 and json.loads(h.to_bytes()) == {"block": {"10.0.0.0/26": 2, "10.0.1.0/26": 1},
                                                         "deleted": False}
    h = h.decrement("10.0.0.0/26", 2)
    assert h.blocks == (("10.0.1.0/26", 1),)
    assert h.decrement("10.0.1.0/26", 1).is_empty
    with pytest.raises(ValueError):
        h.decrement("10.0.1.0/26", 5)
    assert AllocationHandle.from_json("x", h.to_bytes()) == AllocationHandle("x", h.blocks)


def test_affinity_json_and_legacy_empty_value():
    assert json.loads(HostAffinity(AffinityState.PENDING).to_bytes()) == {"state": "pending", "deleted": False}
    assert HostAffinity.from_json(b"").state is AffinityState.CONFIRMED


def test_ipam_config_defaults_and_rules():
    cfg = IPAMConfig()
    assert cfg.effective_max_blocks == 20 and json.loads(cfg.to_bytes()) == {"auto_allocate_blocks": True}
    assert IPAMConfig.from_json(b'{"strict_affinity":true,"maxBlocksPerHost":4}') == IPAMConfig(True, False, 4)
    assert IPAMConfig(False, False).problems()
    assert IPAMConfig(False, True, 3).problems()
    assert not IPAMConfig(True, True, 3).problems()


def test_to_bytes_is_the_compact_json_of_to_json_byte_for_byte():
    block = AllocationBlock.new(ipaddress.ip_network("10.9.0.0/28"), "host:n\u00e9", 7)
    raw = json.loads(block.to_bytes())
    raw["hostAffinity"] = "legacy"
    samples = [block, AllocationBlock.from_json(raw)]
    for n in range(12):
        handle = None if n % 5 == 0 else f"h\u00fcandle-{n % 4}"
        block = block.assign(1 + n % 2, handle, {"node": "n", "pod": f"p{n}"} if n % 3 else None).block.for_write()
        samples.append(block)
    samples.append(block.release([block.address_of(1), block.address_of(2)]).block.for_write())
    for sample in samples:
        assert sample.to_bytes() == json.dumps(sample.to_json(), separators=(",", ":")).encode()
        assert AllocationBlock.from_json(sample.to_bytes()) == sample


def _model_step(model, op):
    """Apply ``op`` to the reference model: ordinal -> (handle, sequence number), free list, sequence."""
    owners, free, seq = model
    kind, arg, handle = op
    if kind == "assign":
        chosen = [o for o in free if o not in arg[1]][:arg[0]]
        for o in chosen:
            owners[o] = (handle, seq)
        return (owners, [o for o in free if o not in chosen], seq), chosen
    if kind == "assign_address":
        owners[arg] = (handle, seq)
        return (owners, [o for o in free if o != arg], seq), [arg]
    freed = [o for o in arg if o in owners]
    for o in freed:
        del owners[o]
    return (owners, free + freed, seq), freed


@pytest.mark.parametrize("seed", range(40))
def test_random_assign_release_sequences_match_a_simple_model_and_encode_as_json(seed):
    """Whatever order of assigns (some skipping reserved ordinals), specific assigns and releases: the
    block holds what a plain model says, and its incremental encoding equals a full JSON encoding."""
    import random

    rng = random.Random(seed)
    block = new_block(seq=rng.randrange(1000))
    model = ({}, list(range(64)), block.sequence_number)
    for _ in range(60):
        handle = rng.choice(["h1", "h2", "h3", None])
        roll = rng.random()
        if roll < 0.5:
            count, reserved = rng.randrange(1, 5), frozenset(rng.sample(range(64), rng.randrange(0, 4)))
            assignment = block.assign(count, handle, {"node": "node-b"}, reserved)
            model, expected = _model_step(model, ("assign", (count, reserved), handle))
            assert [block.ordinal_of(a) for a in assignment.addresses] == expected
            block = assignment.block
        elif roll < 0.65 and model[1]:
            ordinal = rng.choice(model[1])
            block = block.assign_address(block.address_of(ordinal), handle, {"node": "node-b"})
            model, _ = _model_step(model, ("assign_address", ordinal, handle))
        else:
            ordinals = rng.sample(range(64), rng.randrange(1, 6))
            release = block.release([block.address_of(o) for o in ordinals])
            model, expected = _model_step(model, ("release", ordinals, handle))
            assert sorted(block.ordinal_of(a) for a in release.released) == sorted(expected)
            block = release.block
        if rng.random() < 0.3:
            block = block.for_write()
            model = (model[0], model[1], block.sequence_number)
        owners, free, _ = model
        assert list(block.unallocated) == free
        assert {o: (block.attributes[i].handle_id, block.sequence_of(o))
                for o, i in enumerate(block.allocations) if i is not None} == owners
        assert [o for o, _ in block.sequence_number_for_allocation] == sorted(owners)
        assert block.to_bytes() == json.dumps(block.to_json(), separators=(",", ":")).encode()
        assert AllocationBlock.from_json(block.to_bytes()) == block


@pytest.mark.parametrize("per_assign", [1, 3])
def test_a_block_filled_to_the_last_address_encodes_as_json_at_every_step(per_assign):
    """The carried encodings of the allocations and the free list stay exact down to an empty free list."""
    block = new_block(seq=7)
    block.to_bytes()
    while block.unallocated:
        block = block.assign(per_assign, f"h{len(block.unallocated)}", {"node": "node-b"}).block.for_write()
        assert block.to_bytes() == json.dumps(block.to_json(), separators=(",", ":")).encode()
    assert b'"unallocated":[]' in block.to_bytes()
