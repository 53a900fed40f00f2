"""Pure IPAM consistency analysis (`calicoctl ipam check`, reference/internals.md §2.8) and its report JSON.

Inputs are plain values already read from the datastore: blocks, active pools, the IPs nodes use as
tunnel addresses, the IPs workload endpoints use, and the handle records. Findings:

* leaked IPs: allocated in a block but used by no workload endpoint or node;
* in-use IPs outside every active pool, and in-use IPs inside an active pool with no allocation;
* leaked handles: handle records no allocation refers to; missing handles: the reverse (not counted).
"""
from __future__ import annotations

import ipaddress
import json
import statistics
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from datastore.ipam.block import AllocationAttribute, AllocationBlock, IPAddress, IPNetwork

TOP_NODES = 20


@dataclass(frozen=True)
class Owner:
    """Something using an IP: a Node (tunnel address) or a Workload endpoint (``namespace/name``)."""

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}({self.name})"


@dataclass(frozen=True)
class Allocation:
    """One allocated ordinal of a block."""

    address: IPAddress
    block: IPNetwork
    block_host: str
    attribute: AllocationAttribute
    sequence_number: int | None

    @property
    def handle(self) -> str | None:
        return self.attribute.handle_id

    @property
    def node(self) -> str:
        return self.attribute.attrs.get("node", "")

    @property
    def borrowed(self) -> bool:
        return bool(self.node) and self.node != self.block_host

    def describe(self) -> str:
        """``Main:<handle> Extra:<k=v,…>`` as calicoctl prints an allocation's attributes."""
        extra = ",".join(f"{k}={v}" for k, v in sorted(self.attribute.attrs.items()))
        return f"Main:{self.handle or '<none>'} Extra:{extra}"


@dataclass(frozen=True)
class HandleRecord:
    """A handle key as stored: its id and mod revision."""

    handle_id: str
    revision: int


@dataclass(frozen=True)
class CheckInput:
    """Everything `ipam check` reads."""

    blocks: tuple[AllocationBlock, ...]
    active_pools: tuple[IPNetwork, ...]
    node_ips: tuple[tuple[str, IPAddress], ...]                 # (node name, tunnel address)
    workload_ips: tuple[tuple[str, IPAddress], ...]             # ("namespace/name", address)
    handles: tuple[HandleRecord, ...]


@dataclass(frozen=True)
class CheckResult:
    """The analysis; ``problems`` counts what calicoctl counts."""

    data: CheckInput
    allocations: Mapping[IPAddress, tuple[Allocation, ...]]
    owners: Mapping[IPAddress, tuple[Owner, ...]]
    leaked: tuple[Allocation, ...]
    multiple_owners: tuple[IPAddress, ...]
    not_in_pool: tuple[tuple[IPAddress, Owner], ...]
    no_allocation: tuple[tuple[IPAddress, Owner], ...]
    leaked_handles: tuple[HandleRecord, ...]
    handles_with_matches: int
    missing_handles: tuple[str, ...]
    node_counts: tuple[tuple[str, int], ...] = field(default=())

    @property
    def allocation_count(self) -> int:
        return sum(len(a) for a in self.allocations.values())

    @property
    def problems(self) -> int:
        return len(self.leaked) + len(self.not_in_pool) + len(self.no_allocation) + len(self.leaked_handles)

    def top_nodes(self) -> tuple[tuple[str, int], ...]:
        return self.node_counts[:TOP_NODES]

    def median_allocations(self) -> float:
        return statistics.median(n for _, n in self.node_counts)


def analyse(data: CheckInput) -> CheckResult:
    """Find leaks, orphans and unallocated in-use IPs."""
    allocations: dict[IPAddress, list[Allocation]] = {}
    per_node: dict[str, int] = {}
    for block in data.blocks:
        for address, attribute in block.allocated():
            ordinal = block.ordinal_of(address)
            allocation = Allocation(address, block.cidr, block.host, attribute, block.sequence_of(ordinal))
            allocations.setdefault(address, []).append(allocation)
            if allocation.node:
                per_node[allocation.node] = per_node.get(allocation.node, 0) + 1
    owners: dict[IPAddress, list[Owner]] = {}
    for name, address in data.node_ips:
        owners.setdefault(address, []).append(Owner("Node", name))
    for name, address in data.workload_ips:
        owners.setdefault(address, []).append(Owner("Workload", name))

    leaked = tuple(a for address, allocs in allocations.items() if address not in owners for a in allocs)
    multiple = tuple(a for a, o in owners.items() if len(o) > 1)
    not_in_pool, no_allocation = [], []
    for address, users in owners.items():
        in_pool = any(address.version == p.version and address in p for p in data.active_pools)
        for owner in users:
            if not in_pool:
                not_in_pool.append((address, owner))
            elif address not in allocations:
                no_allocation.append((address, owner))
    referenced = {a.handle for allocs in allocations.values() for a in allocs if a.handle}
    stored = {h.handle_id for h in data.handles}
    leaked_handles = tuple(h for h in data.handles if h.handle_id not in referenced)
    counts = tuple(sorted(per_node.items(), key=lambda kv: (-kv[1], kv[0])))
    return CheckResult(
        data=data,
        allocations={k: tuple(v) for k, v in allocations.items()},
        owners={k: tuple(v) for k, v in owners.items()},
        leaked=leaked,
        multiple_owners=multiple,
        not_in_pool=tuple(not_in_pool),
        no_allocation=tuple(no_allocation),
        leaked_handles=leaked_handles,
        handles_with_matches=len(data.handles) - len(leaked_handles),
        missing_handles=tuple(sorted(referenced - stored)),
        node_counts=counts,
    )


@dataclass(frozen=True)
class ReportMeta:
    """The cluster facts a report records so that `ipam release --from-report` can refuse stale reports."""

    version: str
    cluster_guid: str
    datastore_locked: bool
    cluster_information_revision: str
    cluster_type: str


def report_json(result: CheckResult, meta: ReportMeta) -> str:
    """The machine-readable report `ipam check -o` writes (2-space indent): leaked IPs and handles."""
    allocations: dict[str, list[dict]] = {}
    for allocation in result.leaked:
        attrs = allocation.attribute.attrs
        entry = {"ip": str(allocation.address), "handle": allocation.handle or ""}
        if allocation.sequence_number is not None:
            entry["sequenceNumber"] = allocation.sequence_number
        for key in ("pod", "namespace", "node", "type"):
            if attrs.get(key):
                entry[key] = attrs[key]
        entry["inUse"] = False
        entry["borrowed"] = allocation.borrowed
        allocations.setdefault(str(allocation.address), []).append(entry)
    document = {
        "version": meta.version,
        "clusterGUID": meta.cluster_guid,
        "datastoreLocked": meta.datastore_locked,
        "clusterInformationRevision": meta.cluster_information_revision,
        "clusterType": meta.cluster_type,
        "allocations": allocations,
        "leakedHandles": [{"ID": h.handle_id, "UID": "", "Revision": str(h.revision)}
                          for h in result.leaked_handles],
    }
    return json.dumps(document, indent=2) + "\n"


@dataclass(frozen=True)
class LeakedIP:
    """A leaked allocation named by a report: released only if still owned by the same handle and sequence."""

    address: IPAddress
    handle: str
    sequence_number: int | None


@dataclass(frozen=True)
class Report:
    """A parsed `ipam check` report."""

    meta: ReportMeta
    leaked_ips: tuple[LeakedIP, ...]
    leaked_handles: tuple[HandleRecord, ...]


class ReportError(ValueError):
    """A report file that cannot be parsed."""


def parse_report(text: str) -> Report:
    """Parse a report written by :func:`report_json` (or by calicoctl)."""
    try:
        data = json.loads(text)
        meta = ReportMeta(str(data.get("version", "")), str(data.get("clusterGUID", "")),
                          bool(data.get("datastoreLocked", False)),
                          str(data.get("clusterInformationRevision", "")), str(data.get("clusterType", "")))
        leaked = tuple(
            LeakedIP(ipaddress.ip_address(entry["ip"]), entry.get("handle", ""), entry.get("sequenceNumber"))
            for entries in (data.get("allocations") or {}).values() for entry in entries
            if not entry.get("inUse", False))
        handles = tuple(HandleRecord(h["ID"], int(h.get("Revision") or 0)) for h in data.get("leakedHandles") or ())
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ReportError(f"failed to parse report: {exc}") from None
    return Report(meta, leaked, handles)


def common_leaks(reports: Sequence[Report]) -> tuple[LeakedIP, ...]:
    """The leaked IPs present (same IP, handle and sequence number) in every report."""
    if not reports:
        return ()
    common = set(reports[0].leaked_ips)
    for report in reports[1:]:
        common &= set(report.leaked_ips)
    return tuple(sorted(common, key=lambda leak: (leak.address.version, leak.address)))


def common_leaked_handles(reports: Sequence[Report]) -> tuple[HandleRecord, ...]:
    """The leaked handles (same id and revision) present in every report."""
    if not reports:
        return ()
    common = set(reports[0].leaked_handles)
    for report in reports[1:]:
        common &= set(report.leaked_handles)
    return tuple(sorted(common, key=lambda h: h.handle_id))


def addresses(texts: Iterable[str]) -> list[IPAddress]:
    """The addresses of CIDR/IP strings (``10.0.0.1/32`` → ``10.0.0.1``); unparsable entries skipped."""
    found = []
    for text in texts:
        try:
            found.append(ipaddress.ip_interface(text).ip)
        except ValueError:
            continue
    return found
