"""Pure utilisation and ownership views of IPAM data (what `calicoctl ipam show` reports).

* `utilization(pools, blocks)`: per pool (list order) its blocks and their use; blocks outside every
  pool are grouped under a nameless pseudo-pool `0.0.0.0/0` at the end (libcalico-go GetUtilization).
* `borrowed(blocks)`: allocations whose `node` attribute differs from the block's affine host.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Sequence

from datastore.ipam.allocator import PoolInfo
from datastore.ipam.block import AllocationAttribute, AllocationBlock, IPAddress, IPNetwork

UNMATCHED_CIDR = ipaddress.ip_network("0.0.0.0/0")


@dataclass(frozen=True)
class BlockUsage:
    """One block: its size and how many addresses are free."""

    cidr: IPNetwork
    capacity: int
    available: int

    @property
    def in_use(self) -> int:
        return self.capacity - self.available


@dataclass(frozen=True)
class PoolUsage:
    """One pool (``name`` empty for the pseudo-pool of blocks outside every pool) and its blocks."""

    name: str
    cidr: IPNetwork
    blocks: tuple[BlockUsage, ...]

    @property
    def size(self) -> int:
        return self.cidr.num_addresses

    @property
    def in_use(self) -> int:
        return sum(b.in_use for b in self.blocks)


def utilization(pools: Sequence[PoolInfo], blocks: Sequence[AllocationBlock]) -> list[PoolUsage]:
    """Per-pool block utilisation; each block is counted under the first pool containing it."""
    grouped: dict[int, list[BlockUsage]] = {i: [] for i in range(len(pools))}
    unmatched: list[BlockUsage] = []
    for block in blocks:
        usage = BlockUsage(block.cidr, block.size, len(block.unallocated))
        index = next((i for i, p in enumerate(pools)
                      if p.cidr.version == block.cidr.version and block.cidr.subnet_of(p.cidr)), None)
        (unmatched if index is None else grouped[index]).append(usage)
    result = [PoolUsage(p.name, p.cidr, tuple(grouped[i])) for i, p in enumerate(pools)]
    if unmatched:
        result.append(PoolUsage("", UNMATCHED_CIDR, tuple(unmatched)))
    return result


@dataclass(frozen=True)
class BorrowedIP:
    """An allocation made by a node other than the block's owner."""

    address: IPAddress
    borrowing_node: str
    block: IPNetwork
    block_owner: str
    attribute: AllocationAttribute

    @property
    def type(self) -> str:
        attrs = self.attribute.attrs
        return "pod" if "pod" in attrs else attrs.get("type", "")

    @property
    def allocated_to(self) -> str:
        attrs = self.attribute.attrs
        if "pod" in attrs:
            return f"{attrs.get('namespace', '')}/{attrs['pod']}"
        return ""


def borrowed(blocks: Sequence[AllocationBlock]) -> tuple[list[BorrowedIP], int]:
    """(borrowed allocations in block then ordinal order, number of allocations without a node attribute)."""
    found: list[BorrowedIP] = []
    unknown = 0
    for block in blocks:
        for address, attribute in block.allocated():
            node = attribute.attrs.get("node")
            if node is None:
                unknown += 1
            elif node != block.host:
                found.append(BorrowedIP(address, node, block.cidr, block.host, attribute))
    return found, unknown


def split_cidr(cidr: IPNetwork, parts: int) -> list[IPNetwork]:
    """``cidr`` cut into ``parts`` equal CIDRs in ascending order (`calicoctl ipam split`'s wording on errors)."""
    if parts < 2 or parts & (parts - 1):
        raise ValueError(f"Number to split CIDR into is not a valid power of 2: {parts}")
    extra = parts.bit_length() - 1
    if cidr.prefixlen + extra > cidr.max_prefixlen:
        raise ValueError(f"The CIDR {cidr} is not large enough to be split into {parts} parts")
    return list(cidr.subnets(prefixlen_diff=extra))
