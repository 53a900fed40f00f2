"""The small IPAM records next to blocks: handles, host affinities and the IPAM config (exact JSON).

    /calico/ipam/v2/handle/<id>                      {"block":{"10.244.42.64/26":2},"deleted":false}
    /calico/ipam/v2/host/<node>/ipv4/block/<cidr>    {"state":"confirmed","deleted":false}
    /calico/ipam/v2/config                           {"strict_affinity":true,"auto_allocate_blocks":true,"maxBlocksPerHost":4}
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Mapping

DEFAULT_MAX_BLOCKS_PER_HOST = 20


def _load(raw: bytes | str | Mapping) -> Mapping:
    if isinstance(raw, (bytes, str)):
        return json.loads(raw) if raw else {}
    return raw


ENCODE_JSON = json.JSONEncoder(separators=(",", ":")).encode  # compact, as Go's json.Marshal
ENCODE_TEXT = json.encoder.encode_basestring_ascii  # one JSON string


def _dump(data: Mapping) -> bytes:
    return ENCODE_JSON(data).encode()


@dataclass(frozen=True, slots=True)
class AllocationHandle:
    """How many addresses a handle (one workload or tunnel) holds in each block."""

    handle_id: str
    blocks: tuple[tuple[str, int], ...] = ()
    deleted: bool = False

    @classmethod
    def from_json(cls, handle_id: str, raw: bytes | str | Mapping) -> "AllocationHandle":
        data = _load(raw)
        return cls(handle_id, tuple(sorted((data.get("block") or {}).items())), bool(data.get("deleted", False)))

    def to_bytes(self) -> bytes:
        """``{"block":{...},"deleted":false}`` as Go marshals it (map keys sorted, as ``blocks`` is)."""
        counts = ",".join([f"{ENCODE_TEXT(cidr)}:{count}" for cidr, count in self.blocks])
        return f'{{"block":{{{counts}}},"deleted":{"true" if self.deleted else "false"}}}'.encode()

    @property
    def total(self) -> int:
        return sum(n for _, n in self.blocks)

    @property
    def is_empty(self) -> bool:
        return not self.blocks

    def count_in(self, block_cidr: str) -> int:
        return dict(self.blocks).get(block_cidr, 0)

    def increment(self, block_cidr: str, count: int) -> "AllocationHandle":
        if not self.blocks:
            return AllocationHandle(self.handle_id, ((block_cidr, count),), self.deleted)
        counts = dict(self.blocks)
        counts[block_cidr] = counts.get(block_cidr, 0) + count
        return AllocationHandle(self.handle_id, tuple(sorted(counts.items())), self.deleted)

    def decrement(self, block_cidr: str, count: int) -> "AllocationHandle":
        """Fewer addresses in ``block_cidr``; a count that reaches zero drops the block from the map."""
        counts = dict(self.blocks)
        remaining = counts.get(block_cidr, 0) - count
        if remaining < 0:
            raise ValueError(f"handle {self.handle_id} holds fewer than {count} addresses in {block_cidr}")
        if remaining:
            counts[block_cidr] = remaining
        else:
            counts.pop(block_cidr, None)
        return AllocationHandle(self.handle_id, tuple(sorted(counts.items())), self.deleted)


class AffinityState(str, Enum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    PENDING_DELETION = "pendingDeletion"


@dataclass(frozen=True, slots=True)
class HostAffinity:
    """A host's claim on a block (an empty stored value means confirmed, as very old data had)."""

    state: AffinityState = AffinityState.CONFIRMED
    deleted: bool = False

    @classmethod
    def from_json(cls, raw: bytes | str | Mapping) -> "HostAffinity":
        data = _load(raw)
        return cls(AffinityState(data.get("state") or "confirmed"), bool(data.get("deleted", False)))

    def to_bytes(self) -> bytes:
        return _dump({"state": self.state.value, "deleted": self.deleted})


@dataclass(frozen=True, slots=True)
class IPAMConfig:
    """The IPAM library's settings (`/calico/ipam/v2/config`); the defaults apply when the key is absent."""

    strict_affinity: bool = False
    auto_allocate_blocks: bool = True
    max_blocks_per_host: int = 0

    @classmethod
    def from_json(cls, raw: bytes | str | Mapping) -> "IPAMConfig":
        data = _load(raw)
        return cls(bool(data.get("strict_affinity", False)), bool(data.get("auto_allocate_blocks", False)),
                   int(data.get("maxBlocksPerHost", 0) or 0))

    def to_bytes(self) -> bytes:
        data: dict = {}
        if self.strict_affinity:
            data["strict_affinity"] = True
        if self.auto_allocate_blocks:
            data["auto_allocate_blocks"] = True
        if self.max_blocks_per_host:
            data["maxBlocksPerHost"] = self.max_blocks_per_host
        return _dump(data)

    @property
    def effective_max_blocks(self) -> int:
        """The per-host block cap: 0 means libcalico-go's default of 20."""
        return self.max_blocks_per_host or DEFAULT_MAX_BLOCKS_PER_HOST

    def problems(self) -> list[str]:
        """Why this configuration would be rejected when set (empty when valid)."""
        issues = []
        if not self.strict_affinity and not self.auto_allocate_blocks:
            issues.append("Cannot disable 'StrictAffinity' and 'AutoAllocateBlocks' at the same time")
        if self.max_blocks_per_host < 0:
            issues.append("maxBlocksPerHost must be >= 0")
        if self.max_blocks_per_host > 0 and not self.strict_affinity:
            issues.append("MaxBlocksPerHost requires StrictAffinity to be enabled")
        return issues
