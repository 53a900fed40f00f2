"""Pure IPAM analyses: check (leaks, orphans, report round trip) and utilisation/borrowing."""
import ipaddress

from datastore.ipam.allocator import PoolInfo
from datastore.ipam.block import AllocationBlock
from datastore.ipam.check import (
    CheckInput,
    HandleRecord,
    ReportMeta,
    analyse,
    common_leaked_handles,
    common_leaks,
    parse_report,
    report_json,
)
from datastore.ipam.usage import borrowed, utilization

net = ipaddress.ip_network
ip = ipaddress.ip_address
META = ReportMeta("v3.29.7", "guid", True, "42", "typha")


def block_with(cidr, host, owners):
    block = AllocationBlock.new(net(cidr), f"host:{host}" if host else None, 100)
    for address, handle, attrs in owners:
        block = block.assign_address(ip(address), handle, attrs)
    return block


def test_analyse_finds_leaks_multiple_owners_and_orphans():
    block = block_with("10.0.0.0/30", "a", [("10.0.0.0", "h0", {"node": "a"}), ("10.0.0.1", "h1", {"node": "b"})])
    data = CheckInput((block,), (net("10.0.0.0/16"),), (("a", ip("10.0.0.0")),),
                      (("default/w", ip("10.0.0.0")), ("default/x", ip("10.0.0.2"))),
                      (HandleRecord("h0", 5), HandleRecord("gone", 7)))
    result = analyse(data)
    assert [str(a.address) for a in result.leaked] == ["10.0.0.1"]
    assert result.leaked[0].borrowed and result.leaked[0].sequence_number == 100
    assert result.multiple_owners == (ip("10.0.0.0"),)
    assert [str(a) for a, _ in result.no_allocation] == ["10.0.0.2"]
    assert [h.handle_id for h in result.leaked_handles] == ["gone"]
    assert result.missing_handles == ("h1",)
    assert result.problems == 3
    assert result.node_counts == (("a", 1), ("b", 1))


def test_report_round_trip_and_common_entries():
    block = block_with("10.0.0.0/30", "a", [("10.0.0.1", "h1", {"node": "a", "pod": "p", "namespace": "n"})])
    result = analyse(CheckInput((block,), (net("10.0.0.0/16"),), (), (), (HandleRecord("gone", 7),)))
    report = parse_report(report_json(result, META))
    assert report.meta == META
    assert [(str(l.address), l.handle, l.sequence_number) for l in report.leaked_ips] == [("10.0.0.1", "h1", 100)]
    assert report.leaked_handles == (HandleRecord("gone", 7),)
    other = parse_report(report_json(analyse(CheckInput((), (), (), (), ())), META))
    assert common_leaks([report, other]) == () and common_leaked_handles([report, other]) == ()
    assert common_leaks([report, report]) == report.leaked_ips


def test_utilization_groups_blocks_by_pool_and_unmatched_last():
    pools = [PoolInfo("p", net("10.0.0.0/24"), 28)]
    inside = block_with("10.0.0.16/28", "a", [("10.0.0.16", "h", {})])
    outside = block_with("10.9.0.0/30", "a", [])
    usage = utilization(pools, [inside, outside])
    assert [(u.name, str(u.cidr), u.in_use) for u in usage] == [("p", "10.0.0.0/24", 1), ("", "0.0.0.0/0", 0)]
    assert usage[0].blocks[0].available == 15


def test_borrowed_lists_foreign_nodes_and_counts_unknown():
    block = block_with("10.0.0.0/30", "a", [("10.0.0.0", "h", {"node": "a"}), ("10.0.0.1", "h2", {"node": "b"}),
                                            ("10.0.0.2", "h3", {})])
    found, unknown = borrowed([block])
    assert [(str(b.address), b.borrowing_node, b.block_owner) for b in found] == [("10.0.0.1", "b", "a")]
    assert unknown == 1
