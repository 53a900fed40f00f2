"""Pure printers for `calicoctl ipam show` (reference/calicoctl.md §5): text in, text out.

The tables are tablewriter's bordered tables (shared with `node status`, see
:func:`pycalicoctl.nodestatus.render_table`). Pool rows format numbers as Go `%.5g` and percentages as
`%.f` (round half to even); block rows print plain integers, as calicoctl's `show.go` does.
"""
from __future__ import annotations

from typing import Mapping, Sequence

from datastore.ipam.block import AllocationAttribute, IPAddress
from datastore.ipam.check import TOP_NODES, CheckResult
from datastore.ipam.records import IPAMConfig
from datastore.ipam.usage import BorrowedIP, PoolUsage
from pycalicoctl.nodestatus import render_table

UTILIZATION_HEADERS = ("GROUPING", "CIDR", "IPs TOTAL", "IPs IN USE", "IPs FREE")
BORROWED_HEADERS = ("IP", "BORROWING-NODE", "BLOCK", "BLOCK OWNER", "TYPE", "ALLOCATED-TO")
CONFIG_HEADERS = ("PROPERTY", "VALUE")


def go_g5(value: float) -> str:
    """Go's ``%.5g`` (same exponent form as C: ``1.0486e+06``)."""
    return "%.5g" % value


def percent(part: float, total: float) -> str:
    """Go's ``%.f%%`` of 100*part/total (round half to even)."""
    return "%.f%%" % (100 * part / total)


def utilization_table(usage: Sequence[PoolUsage], show_blocks: bool) -> str:
    """``ipam show`` / ``ipam show --show-blocks``."""
    rows: list[tuple[str, ...]] = []
    for pool in usage:
        if pool.name:
            size, used = float(pool.size), float(pool.in_use)
            rows.append(("IP Pool", str(pool.cidr), go_g5(size),
                         f"{go_g5(used)} ({percent(used, size)})",
                         f"{go_g5(size - used)} ({percent(size - used, size)})"))
        if show_blocks:
            for block in pool.blocks:
                rows.append(("Block", str(block.cidr), str(block.capacity),
                             f"{block.in_use} ({percent(block.in_use, block.capacity)})",
                             f"{block.available} ({percent(block.available, block.capacity)})"))
    return render_table(UTILIZATION_HEADERS, rows)


def borrowed_table(items: Sequence[BorrowedIP], without_node: int) -> str:
    """``ipam show --show-borrowed``, with calicoctl's note about allocations lacking a node."""
    rows = [(str(b.address), b.borrowing_node, str(b.block), b.block_owner, b.type, b.allocated_to)
            for b in items]
    text = render_table(BORROWED_HEADERS, rows)
    if without_node:
        text += (f"\nNote: found {without_node} IP allocations without an explicit node association. "
                 "Unable to determine if they are borrowed.\n")
    return text


def config_table(config: IPAMConfig) -> str:
    """``ipam show --show-configuration``: the IPAMConfig fields with Go ``%#v`` values."""
    rows = [("StrictAffinity", _go_bool(config.strict_affinity)),
            ("AutoAllocateBlocks", _go_bool(config.auto_allocate_blocks)),
            ("MaxBlocksPerHost", str(config.max_blocks_per_host))]
    return render_table(CONFIG_HEADERS, rows)


def ip_report(address: IPAddress, attribute: AllocationAttribute | None) -> str:
    """``ipam show --ip=<IP>``: whether it is assigned and its attributes (sorted by key)."""
    if attribute is None:
        return f"{address} is not assigned\n"
    text = f"IP {address} is in use\n"
    attrs: Mapping[str, str] = attribute.attrs
    if not attrs:
        return text + "No attributes defined\n"
    return text + "Attributes:\n" + "".join(f"  {k}: {v}\n" for k, v in sorted(attrs.items()))


def check_text(result: CheckResult, show_problems: bool, show_all: bool) -> str:
    """The progress report of ``ipam check`` after its first line (calicoctl's exact line formats)."""
    data = result.data
    out = ["Loading all IPAM blocks...", f"Found {len(data.blocks)} IPAM blocks."]
    for block in data.blocks:
        out.append(f" IPAM block {block.cidr} affinity={block.affinity or '<none>'}:")
        if show_all:
            for address, _ in block.allocated():
                for allocation in result.allocations[address]:
                    if allocation.block == block.cidr:
                        out.append(f"  {address} allocated; attrs {allocation.describe()}")
    out += [f"IPAM blocks record {result.allocation_count} allocations.", "",
            "Loading all IPAM pools..."]
    out += [f"  {cidr}" for cidr in data.active_pools]
    out += [f"Found {len(data.active_pools)} active IP pools.", "",
            "Loading all nodes.", f"Found {len(data.node_ips)} node tunnel IPs.", "",
            "Loading all workload endpoints.", f"Found {len(data.workload_ips)} workload IPs.",
            f"Workloads and nodes are using {len(result.owners)} IPs.", ""]
    if show_all:
        for address, owners in result.owners.items():
            out += [f"  {address} belongs to {owner}" for owner in owners]
    out += ["Loading all handles", f"Looking for top (up to {TOP_NODES}) nodes by allocations..."]
    out += [f"  {node} has {count} allocations" for node, count in result.top_nodes()]
    if result.node_counts:
        median = result.median_allocations()
        median_text = str(int(median)) if median == int(median) else str(median)
        out.append(f"Node with most allocations has {result.node_counts[0][1]}; median is {median_text}")
    out += ["", "Scanning for IPs that are allocated but not actually in use..."]
    if show_problems:
        out += [f"  {a.address} leaked; attrs {a.describe()}" for a in result.leaked]
        out += [f"  {address} has multiple owners." for address in result.multiple_owners]
    out += [f"Found {len(result.leaked)} IPs that are allocated in IPAM but not actually in use.",
            "Scanning for IPs that are in use by a workload or node but not allocated in IPAM..."]
    if show_problems:
        out += [f"  {address} in use by {owner} is not in any active IP pool." for address, owner in result.not_in_pool]
        out += [f"  {address} in use by {owner} and in active IPAM pool but has no IPAM allocation."
                for address, owner in result.no_allocation]
    out += [f"Found {len(result.not_in_pool)} in-use IPs that are not in active IP pools.",
            f"Found {len(result.no_allocation)} in-use IPs that are in active IP pools but have no "
            "corresponding IPAM allocation.", "",
            "Scanning for IPAM handles with no matching IPs..."]
    if show_all:
        out += [f"  {h.handle_id} doesn't have any active IPs." for h in result.leaked_handles]
    out += [f"Found {len(result.leaked_handles)} handles with no matching IPs (and "
            f"{result.handles_with_matches} handles with matches).",
            "Scanning for IPs with missing handle..."]
    if show_problems:
        out += [f"  {handle} is in use in a block but doesn't exist." for handle in result.missing_handles]
    out += [f"Found {len(result.missing_handles)} handles mentioned in blocks with no matching handle resource.",
            f"Check complete; found {result.problems} problems."]
    return "\n".join(out) + "\n"


def _go_bool(value: bool) -> str:
    return "true" if value else "false"
