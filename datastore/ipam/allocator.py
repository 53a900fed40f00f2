"""IPAM operations over a Backend: auto-assign, assign a specific IP, release, affinities (libcalico-go `lib/ipam`).

Every write is a compare-and-swap on the key's mod_revision with a bounded retry (Calico's 100);
blocks are only changed as new immutable values that are written before anything relies on them.
An allocation or release writes the block and its handle record(s) in ONE transaction
(``Backend.commit``: block update-at-revision, handle create-if-absent / update- or delete-at-revision),
so the pair is always consistent and an allocation costs one round trip in steady state (Calico writes
the handle first and decrements it again when the block write loses; the transaction makes that
repair unnecessary). Claiming a block is two-phase: affinity `pending`, block created, affinity
`confirmed` (pending affinities count as absent for everyone else).
"""
from __future__ import annotations

import ipaddress
import random
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, NamedTuple, Sequence

from datastore.backend.base import Backend, KeyValue, Read, WriteOp
from datastore.errors import AlreadyExists, Conflict, DatastoreError, NotFound
from datastore.ipam.block import AllocationBlock, IPAddress, IPNetwork
from datastore.ipam.records import AffinityState, AllocationHandle, HostAffinity, IPAMConfig
from datastore.keys import (
    HANDLE_PREFIX,
    BlockAffinityKey,
    BlockKey,
    HandleKey,
    IPAMConfigKey,
    block_affinity_prefix,
    block_prefix,
)

DATASTORE_RETRIES = 100

# What an allocation believes about a handle record: (mod_revision, value), or None for "absent".
KnownHandle = tuple[int, AllocationHandle] | None
USE_WORKLOAD = "Workload"
USE_TUNNEL = "Tunnel"


class IPAMError(DatastoreError):
    """An IPAM request that cannot be satisfied; the text is Calico's."""


class BlockLimitError(IPAMError):
    def __init__(self):
        super().__init__("cannot allocate new block due to per host block limit")


@dataclass(frozen=True)
class PoolInfo:
    """What IPAM needs of an IPPool."""

    name: str
    cidr: IPNetwork
    block_size: int
    node_selector: str = "all()"
    disabled: bool = False
    allowed_uses: tuple[str, ...] = (USE_WORKLOAD, USE_TUNNEL)
    assignment_mode: str = "Automatic"

    @classmethod
    def from_resource(cls, pool) -> "PoolInfo":
        """From a (defaulted) v3 IPPool resource."""
        spec = pool.spec
        cidr = ipaddress.ip_network(spec.cidr, strict=False)
        return cls(
            name=pool.metadata.name,
            cidr=cidr,
            block_size=spec.block_size or (26 if cidr.version == 4 else 122),
            node_selector=spec.node_selector or "all()",
            disabled=spec.disabled,
            allowed_uses=tuple(spec.allowed_uses) or (USE_WORKLOAD, USE_TUNNEL),
            assignment_mode=getattr(spec, "assignment_mode", "") or "Automatic",
        )

    def block_cidrs_count(self) -> int:
        return 1 << (self.block_size - self.cidr.prefixlen)

    def block_at(self, index: int) -> IPNetwork:
        step = 1 << ((32 if self.cidr.version == 4 else 128) - self.block_size)
        return ipaddress.ip_network((int(self.cidr.network_address) + index * step, self.block_size))


@dataclass(frozen=True)
class AssignRequest:
    """One family's share of an auto-assign request."""

    count: int
    handle_id: str
    hostname: str
    attrs: Mapping[str, str] = field(default_factory=dict)
    pools: tuple[str, ...] = ()        # explicit pool names or CIDRs (CNI ipv4_pools); nodeSelector ignored
    intended_use: str = USE_WORKLOAD
    max_blocks_per_host: int = 0


class FirstAllocation(NamedTuple):
    """What a claim may allocate with the block's creation: ``count`` addresses for ``request``
    (skipping ``reserved``), its handle as ``handles`` knows it (updated when written)."""

    request: AssignRequest
    count: int
    reserved: Sequence[IPNetwork]
    handles: dict[str, KnownHandle]


def _interface(address: IPAddress, prefixlen: int) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface:
    """``ip_interface((address, prefixlen))``, built from the integer (a third of the cost)."""
    kind = ipaddress.IPv4Interface if address.version == 4 else ipaddress.IPv6Interface
    return kind((int(address), prefixlen))


def _affinities(prefix: str, kvs: Sequence[KeyValue]) -> list[tuple[IPNetwork, HostAffinity]]:
    """A host's listed affinity keys under ``prefix`` as (block CIDR, affinity)."""
    result = []
    for kv in kvs:
        address, _, length = kv.key[len(prefix):].rpartition("-")
        result.append((ipaddress.ip_network(f"{address}/{length}"), HostAffinity.from_json(kv.value)))
    return result


def fnv1_32(text: str) -> int:
    """FNV-1 32-bit hash (as Go's hash/fnv New32), Calico's seed for a host's block walk."""
    value = 0x811C9DC5
    for byte in text.encode():
        value = (value * 0x01000193) & 0xFFFFFFFF
        value ^= byte
    return value


class IPAM:
    """Calico IPAM against one backend.

    ``pools`` returns the IPPools (PoolInfo, in name order), ``node_labels(hostname)`` the labels of
    that Calico Node (None if no such node), ``reservations`` the reserved CIDRs of all IPReservations.
    """

    def __init__(
        self,
        backend: Backend,
        pools: Callable[[], Sequence[PoolInfo]],
        node_labels: Callable[[str], Mapping[str, str] | None] = lambda host: {},
        reservations: Callable[[], Sequence[IPNetwork]] = lambda: (),
        clock_ns: Callable[[], int] = time.time_ns,
    ):
        self.backend = backend
        self._pools = pools
        self._node_labels = node_labels
        self._reservations = reservations
        self._clock_ns = clock_ns
        # Optimistic caches (never trusted for a decision that writes without a CAS): the last block
        # value this process read or wrote per key, and each host's confirmed affine block CIDRs.
        self._block_cache: dict[str, tuple[int, AllocationBlock]] = {}  # by block key
        self._affinity_cache: dict[tuple[str, int], tuple[IPNetwork, ...]] = {}
        self._in_pools: dict[tuple[str, int], tuple[tuple[IPNetwork, ...], tuple[IPNetwork, ...],
                                                     tuple[tuple[IPNetwork, str], ...]]] = {}
        self._names: dict[IPNetwork, tuple[str, str]] = {}

    # --- configuration -----------------------------------------------------------------------
    def get_config(self) -> IPAMConfig:
        try:
            return IPAMConfig.from_json(self.backend.get(IPAMConfigKey().path).value)
        except NotFound:
            return IPAMConfig()

    def set_config(self, config: IPAMConfig) -> None:
        problems = config.problems()
        if problems:
            raise IPAMError(problems[0])
        key = IPAMConfigKey().path
        for _ in range(DATASTORE_RETRIES):
            try:
                current = self.backend.get(key)
            except NotFound:
                try:
                    self.backend.create(key, config.to_bytes())
                    return
                except AlreadyExists:
                    continue
            try:
                self.backend.update(key, config.to_bytes(), current.mod_revision)
                return
            except (Conflict, NotFound):
                continue
        raise IPAMError("too many conflicts updating the IPAM configuration")

    # --- reading -----------------------------------------------------------------------------
    def blocks(self, version: int | None = None) -> list[tuple[KeyValue, AllocationBlock]]:
        """Every allocation block (of one IP version, or both), in key order."""
        versions = (version,) if version else (4, 6)
        found = []
        for v in versions:
            kvs, _ = self.backend.list(block_prefix(v))
            found.extend((kv, AllocationBlock.from_json(kv.value)) for kv in kvs)
        return found

    def handles(self) -> list[AllocationHandle]:
        kvs, _ = self.backend.list(HANDLE_PREFIX)
        return [AllocationHandle.from_json(kv.key[len(HANDLE_PREFIX):], kv.value) for kv in kvs]

    def host_affinities(self, hostname: str, version: int) -> list[tuple[IPNetwork, HostAffinity]]:
        prefix = block_affinity_prefix(hostname, version)
        kvs, _ = self.backend.list(prefix)
        return _affinities(prefix, kvs)

    def _claim_view(self, hostname: str, version: int
                    ) -> tuple[dict[str, int], list[tuple[IPNetwork, HostAffinity]], IPAMConfig]:
        """What a claim decides on, read from one snapshot in one round trip: every stored block of the
        version (key and mod_revision, no values), the host's affinities and the IPAM config."""
        prefix = block_affinity_prefix(hostname, version)
        (keys, affinities, config), _ = self.backend.read(
            [Read.list_keys(block_prefix(version)), Read.list(prefix), Read.get(IPAMConfigKey().path)])
        return (dict(keys), _affinities(prefix, affinities),
                IPAMConfig() if config is None else IPAMConfig.from_json(config.value))

    def block_of(self, address: IPAddress) -> tuple[KeyValue, AllocationBlock] | None:
        """The block containing ``address``, if one exists."""
        for pool in self._pools():
            if address in pool.cidr:
                cidr = ipaddress.ip_network((int(address), pool.block_size), strict=False)
                try:
                    kv = self.backend.get(BlockKey(cidr).path)
                except NotFound:
                    return None
                return kv, AllocationBlock.from_json(kv.value)
        for kv, block in self.blocks(address.version):
            if address in block.cidr:
                return kv, block
        return None

    # --- pool selection ----------------------------------------------------------------------
    def usable_pools(self, version: int, request: AssignRequest) -> list[PoolInfo]:
        pools = [p for p in self._pools() if p.cidr.version == version and not p.disabled]
        if request.pools:
            wanted = set(request.pools)
            chosen = [p for p in pools if p.name in wanted or str(p.cidr) in wanted]
            missing = wanted - {p.name for p in chosen} - {str(p.cidr) for p in chosen}
            if missing:
                raise IPAMError(f"the given pool ({sorted(missing)[0]}) does not exist, or is not enabled")
            return [p for p in chosen if request.intended_use in p.allowed_uses]
        candidates = [p for p in pools if p.assignment_mode == "Automatic" and request.intended_use in p.allowed_uses]
        selective = [p for p in candidates if p.node_selector.strip() not in ("", "all()")]
        if not selective:
            return candidates  # every node matches: the node's labels are not needed (not read)
        labels = self._node_labels(request.hostname)
        from datastore.selector import parse

        return [pool for pool in candidates
                if pool.node_selector.strip() in ("", "all()")
                or (labels is not None and parse(pool.node_selector).evaluate(labels))]

    # --- auto-assign -------------------------------------------------------------------------
    def auto_assign(self, request: AssignRequest, version: int) -> list[ipaddress.IPv4Interface | ipaddress.IPv6Interface]:
        """Assign ``request.count`` addresses of one IP version (with the block's mask), as AutoAssign does."""
        if request.count <= 0:
            return []
        pools = self.usable_pools(version, request)
        if not pools:
            raise IPAMError(f"no configured Calico pools for node {request.hostname}")
        reserved = tuple(self._reservations())
        assigned: list[tuple[IPAddress, int]] = []  # with the block's prefix length
        handles: dict[str, KnownHandle] = {}

        def take(block_cidr: IPNetwork, require_affinity: bool, fresh: bool = True,
                 stored: Mapping[str, int] | None = None) -> None:
            got = self._assign_from_block(block_cidr, request, request.count - len(assigned),
                                          reserved, require_affinity, handles, fresh, stored)
            assigned.extend((address, block_cidr.prefixlen) for address in got)

        # Fast path from what this process last saw; then, before claiming anything, a fresh pass
        # over the host's affine blocks as stored now (one keys-only listing says which cached
        # blocks are still current; only the others are read).
        for cidr, key in self._affine_blocks(request.hostname, version, pools):
            if len(assigned) >= request.count:
                break
            cached = self._block_cache.get(key)
            if cached is None or cached[1].unallocated:  # a full host skips its full blocks cheaply
                take(cidr, True, fresh=False)
        if len(assigned) >= request.count:
            return [_interface(address, prefixlen) for address, prefixlen in assigned]
        stored, affinities, config = self._claim_view(request.hostname, version)
        for cidr, _ in self._affine_blocks(request.hostname, version, pools, affinities):
            if len(assigned) >= request.count:
                break
            take(cidr, True, stored=stored)
        if len(assigned) >= request.count:
            return [_interface(address, prefixlen) for address, prefixlen in assigned]
        max_blocks = config.effective_max_blocks
        if request.max_blocks_per_host:
            max_blocks = min(max_blocks, request.max_blocks_per_host)
        pools_exhausted = False
        while len(assigned) < request.count and config.auto_allocate_blocks:
            if affinities is None:
                stored, affinities, _ = self._claim_view(request.hostname, version)
            if len(affinities) >= max_blocks:
                raise BlockLimitError()
            claimed = self._claim_new_block(pools, request.hostname, reserved, stored,
                                            FirstAllocation(request, request.count - len(assigned), reserved, handles))
            affinities = None
            if claimed is None:
                pools_exhausted = True
                break
            cidr, got = claimed
            assigned.extend((address, cidr.prefixlen) for address in got)
            if len(assigned) < request.count:
                take(cidr, True, fresh=False)
        if len(assigned) < request.count and pools_exhausted and not config.strict_affinity:
            for pool in pools:
                for cidr in self._walk(pool, request.hostname):
                    if len(assigned) >= request.count:
                        break
                    take(cidr, False)
        return [_interface(address, prefixlen) for address, prefixlen in assigned]

    def _affine_blocks(self, hostname: str, version: int, pools: Sequence[PoolInfo],
                       affinities: Sequence[tuple[IPNetwork, HostAffinity]] | None = None
                       ) -> tuple[tuple[IPNetwork, str], ...]:
        """The host's confirmed affine blocks inside ``pools`` with their block keys, in list order: from
        ``affinities`` (as just listed) when given, else from the last listing (listed now if there was none)."""
        key = (hostname, version)
        if affinities is None and key not in self._affinity_cache:
            affinities = self.host_affinities(hostname, version)
        if affinities is not None:
            self._affinity_cache[key] = tuple(cidr for cidr, aff in affinities
                                              if aff.state is AffinityState.CONFIRMED)
        affine = self._affinity_cache[key]
        pool_cidrs = tuple(p.cidr for p in pools)
        filtered = self._in_pools.get(key)
        if filtered is None or filtered[0] is not affine or filtered[1] != pool_cidrs:
            # Memoised: the fast path asks for the same host's blocks on every request.
            filtered = self._in_pools[key] = (affine, pool_cidrs, tuple(
                (cidr, self._block_names(cidr)[0]) for cidr in affine if any(cidr.subnet_of(pool) for pool in pool_cidrs)))
        return filtered[2]

    def _walk(self, pool: PoolInfo, hostname: str) -> Iterable[IPNetwork]:
        """The pool's block CIDRs from a per-host pseudo-random start, wrapping around."""
        count = pool.block_cidrs_count()
        start = random.Random(fnv1_32(hostname)).randrange(count) if count > 1 else 0
        for i in range(count):
            yield pool.block_at((start + i) % count)

    def _claim_new_block(self, pools: Sequence[PoolInfo], hostname: str, reserved: Sequence[IPNetwork],
                         stored: Mapping[str, int], first: "FirstAllocation | None" = None
                         ) -> tuple[IPNetwork, list[IPAddress]] | None:
        """Claim the first free block CIDR of the host's walk; ``stored`` is a recent listing of the
        existing blocks (a block created since makes that claim fail and the walk go on). Returns the
        block and the addresses ``first`` got with its creation."""
        existing = set(stored)
        for pool in pools:
            for cidr in self._walk(pool, hostname):
                key = BlockKey(cidr).path
                if key in existing or any(cidr.subnet_of(r) for r in reserved if r.version == cidr.version):
                    continue
                got = self._claim(cidr, hostname, first)
                if got is not None:
                    return cidr, got
                existing.add(key)
        return None

    def claim_block(self, cidr: IPNetwork, hostname: str) -> bool:
        """Two-phase claim of ``cidr`` for ``hostname``: the affinity written pending, then the block
        created and the affinity confirmed; False if another host owns the block."""
        return self._claim(cidr, hostname) is not None

    def _claim(self, cidr: IPNetwork, hostname: str, first: "FirstAllocation | None" = None) -> list[IPAddress] | None:
        """``claim_block``; with ``first`` the block is created holding that request's first addresses
        (block, confirmed affinity and handle in one transaction). None if another host owns the block,
        else the addresses allocated with it (none if the creation raced and the block was claimed bare)."""
        affinity_key = BlockAffinityKey(hostname, cidr).path
        try:
            revision = self.backend.create(affinity_key, HostAffinity(AffinityState.PENDING).to_bytes()).mod_revision
        except AlreadyExists:
            current = self.backend.get(affinity_key)
            revision = current.mod_revision
            if HostAffinity.from_json(current.value).state is not AffinityState.PENDING:
                revision = self.backend.update(affinity_key, HostAffinity(AffinityState.PENDING).to_bytes(),
                                               current.mod_revision).mod_revision
        block = AllocationBlock.new(cidr, f"host:{hostname}", self._clock_ns())
        key, cidr_text = self._block_names(cidr)
        confirm = WriteOp.update(affinity_key, HostAffinity(AffinityState.CONFIRMED).to_bytes(), revision)
        got: list[IPAddress] = []
        if first is not None:
            got = self._create_with_first(block, key, cidr_text, confirm, first)
        if not got:
            try:
                # The block's creation and the affinity's confirmation as one transaction.
                self._block_cache[key] = (self.backend.commit([WriteOp.create(key, block.to_bytes()), confirm])[0]
                                          .mod_revision, block)
            except AlreadyExists:
                existing = AllocationBlock.from_json(self.backend.get(key).value)
                if existing.affinity != f"host:{hostname}":
                    self._delete_quietly(affinity_key)
                    return None
                self._set_affinity(affinity_key, AffinityState.CONFIRMED, revision)
            except (Conflict, NotFound):
                # The pending affinity changed since it was written: the block alone, then confirm as stored.
                self._block_cache[key] = (self.backend.create(key, block.to_bytes()).mod_revision, block)
                self._set_affinity(affinity_key, AffinityState.CONFIRMED)
        cached = self._affinity_cache.get((hostname, cidr.version))
        if cached is not None and cidr not in cached:
            # As the next listing would return it: in key order (an etcd range is sorted by key).
            self._affinity_cache[(hostname, cidr.version)] = tuple(sorted(
                cached + (cidr,), key=lambda net: BlockAffinityKey(hostname, net).path))
        return got

    def _create_with_first(self, block: AllocationBlock, key: str, cidr_text: str, confirm: WriteOp,
                           first: "FirstAllocation") -> list[IPAddress]:
        """Create ``block`` already holding ``first``'s addresses, with ``confirm`` and the handle's write,
        in one transaction; [] (nothing written) when nothing could be assigned or a compare failed."""
        request = first.request
        assignment = block.assign(first.count, request.handle_id, request.attrs,
                                  _reserved_ordinals(block, first.reserved))
        if not assignment.addresses:
            return []
        written = assignment.block.for_write()
        ops = [WriteOp.create(key, written.to_bytes()), confirm]
        new = None
        if request.handle_id is not None:
            handle_op, new = _handle_write(request.handle_id, first.handles.get(request.handle_id), cidr_text,
                                           len(assignment.addresses))
            ops.append(handle_op)
        try:
            kvs = self.backend.commit(ops)
        except (AlreadyExists, Conflict, NotFound):
            return []  # raced: claimed bare next, and the allocation goes the usual way
        self._block_cache[key] = (kvs[0].mod_revision, written)
        if new is not None:
            first.handles[request.handle_id] = (kvs[2].mod_revision, new)
        return list(assignment.addresses)

    def _set_affinity(self, key: str, state: AffinityState, revision: int | None = None) -> None:
        """Write the affinity's state (first at ``revision`` when this process just wrote it)."""
        for _ in range(DATASTORE_RETRIES):
            if revision is None:
                revision = self.backend.get(key).mod_revision
            try:
                self.backend.update(key, HostAffinity(state).to_bytes(), revision)
                return
            except Conflict:
                revision = None
        raise IPAMError(f"too many conflicts updating affinity {key}")

    def _delete_quietly(self, key: str) -> None:
        try:
            self.backend.delete(key)
        except NotFound:
            pass

    def _assign_from_block(self, cidr: IPNetwork, request: AssignRequest, count: int,
                           reserved: Sequence[IPNetwork], require_affinity: bool,
                           handles: dict[str, KnownHandle], fresh: bool = True,
                           stored: Mapping[str, int] | None = None) -> list[IPAddress]:
        """Allocate from one block: the block and its handle in one transaction. Without ``fresh`` the
        first attempt uses this process's last copy of the block; with ``stored`` (block revisions as
        listed) that copy only while its revision is the listed one; ``handles`` is what this request
        knows of its handle record (nothing yet: try to create it)."""
        key, cidr_text = self._block_names(cidr)
        cached = self._block_cache.get(key)
        if fresh and (stored is None or cached is None or stored.get(key) != cached[0]):
            cached = None
        if cached is not None and not cached[1].unallocated:
            return []
        for _ in range(DATASTORE_RETRIES):
            if cached is None:
                try:
                    kv = self.backend.get(key)
                except NotFound:
                    self._block_cache.pop(key, None)
                    return []
                cached = (kv.mod_revision, AllocationBlock.from_json(kv.value))
                self._block_cache[key] = cached
            revision, block = cached
            if require_affinity and block.affinity != f"host:{request.hostname}":
                return []
            assignment = block.assign(count, request.handle_id, request.attrs, _reserved_ordinals(block, reserved))
            if not assignment.addresses:
                return []
            written = assignment.block.for_write()
            changes = {} if request.handle_id is None else {request.handle_id: len(assignment.addresses)}
            try:
                kv = self._commit_block(WriteOp.update(key, written.to_bytes(), revision), cidr_text, changes, handles)
            except _StaleBlock:
                self._block_cache.pop(key, None)
                cached = None
                continue
            except _StaleHandle:
                continue
            self._block_cache[key] = (kv.mod_revision, written)
            return list(assignment.addresses)
        raise IPAMError(f"too many conflicts assigning from block {cidr}")

    def _block_names(self, cidr: IPNetwork) -> tuple[str, str]:
        """(the block's key, its CIDR as text), formatted once per block."""
        names = self._names.get(cidr)
        if names is None:
            names = self._names[cidr] = (BlockKey(cidr).path, str(cidr))
        return names

    def _commit_block(self, block_op: WriteOp, block_cidr: str, changes: Mapping[str, int],
                      handles: dict[str, KnownHandle]) -> KeyValue:
        """Write ``block_op`` together with each handle's change (addresses in ``block_cidr`` added, or
        removed when negative) in one transaction, building the handle writes from ``handles`` (a handle
        not in it is read first on a release, assumed absent on an allocation). Returns the block's new
        KeyValue and records the handles as written. A lost compare raises _StaleBlock, or _StaleHandle
        after re-reading that handle into ``handles``."""
        ops, results = [block_op], []
        for handle_id, delta in changes.items():
            if handle_id not in handles and delta < 0:
                handles[handle_id] = self._read_handle(handle_id)
            op, new = _handle_write(handle_id, handles.get(handle_id), block_cidr, delta)
            if op is not None:
                ops.append(op)
                results.append((handle_id, new))
        try:
            written = self.backend.commit(ops)
        except (AlreadyExists, Conflict, NotFound) as exc:
            if exc.identifier == block_op.key:
                raise _StaleBlock() from None
            handle_id = exc.identifier[len(HANDLE_PREFIX):]
            handles[handle_id] = self._read_handle(handle_id)
            raise _StaleHandle() from None
        for (handle_id, new), kv in zip(results, written[1:]):
            handles[handle_id] = None if new.is_empty else (kv.mod_revision, new)
        return written[0]

    def _read_handle(self, handle_id: str) -> KnownHandle:
        try:
            kv = self.backend.get(HandleKey(handle_id).path)
        except NotFound:
            return None
        return kv.mod_revision, AllocationHandle.from_json(handle_id, kv.value)

    # --- specific address --------------------------------------------------------------------
    def assign_ip(self, address: IPAddress, handle_id: str | None, attrs: Mapping[str, str], hostname: str) -> None:
        """Assign one given address (claiming its block for ``hostname`` if it has none)."""
        pool = next((p for p in self._pools() if address in p.cidr), None)
        if pool is None:
            raise IPAMError("The provided IP address is not in a configured pool")
        cidr = ipaddress.ip_network((int(address), pool.block_size), strict=False)
        key = BlockKey(cidr).path
        handles: dict[str, KnownHandle] = {}
        for _ in range(DATASTORE_RETRIES):
            try:
                kv = self.backend.get(key)
            except NotFound:
                config = self.get_config()
                if not self.claim_block(cidr, hostname) and config.strict_affinity:
                    raise IPAMError(f"block {cidr} is affine to another host") from None
                continue
            block = AllocationBlock.from_json(kv.value)
            if self.get_config().strict_affinity and block.affinity != f"host:{hostname}":
                raise IPAMError(f"block {cidr} is affine to another host")
            try:
                new = block.assign_address(address, handle_id, attrs)
            except ValueError as exc:
                raise IPAMError(str(exc)) from None
            changes = {} if handle_id is None else {handle_id: 1}
            try:
                self._commit_block(WriteOp.update(key, new.for_write().to_bytes(), kv.mod_revision), str(cidr),
                                   changes, handles)
            except (_StaleBlock, _StaleHandle):
                continue
            self._block_cache.pop(key, None)
            return
        raise IPAMError(f"too many conflicts assigning {address}")

    # --- release -----------------------------------------------------------------------------
    def release_ips(self, addresses: Iterable[IPAddress]) -> list[IPAddress]:
        """Release addresses; returns those that were not allocated (not an error, as in Calico)."""
        by_block: dict[str, tuple[IPNetwork, list[IPAddress]]] = {}
        unallocated: list[IPAddress] = []
        for address in addresses:
            found = self.block_of(address)
            if found is None:
                unallocated.append(address)
                continue
            cidr = found[1].cidr
            by_block.setdefault(str(cidr), (cidr, []))[1].append(address)
        for cidr, members in by_block.values():
            unallocated.extend(self._release_in_block(cidr, lambda b, m=members: b.release(m)))
        return unallocated

    def release_allocations(self, items: Sequence[tuple[IPAddress, str | None, int | None]]) -> list[IPAddress]:
        """Release (address, handle, sequence number) triples only where the address is still owned by that
        handle with that allocation sequence number (the GC's ABA guard); returns the addresses released."""
        by_block: dict[str, tuple[IPNetwork, list[tuple[IPAddress, str | None, int | None]]]] = {}
        for item in items:
            found = self.block_of(item[0])
            if found is not None:
                by_block.setdefault(str(found[1].cidr), (found[1].cidr, []))[1].append(item)
        released: list[IPAddress] = []
        for cidr, members in by_block.values():
            def guarded(block: AllocationBlock, members=members):
                wanted = [a for a, handle, _ in members
                          if (attr := block.attribute_of(a)) is not None and attr.handle_id == handle]
                sequences = {a: seq for a, _, seq in members if seq is not None}
                return block.release(wanted, sequence_numbers=sequences)
            outcome = self._release_in_block(cidr, guarded, report_released=True)
            released.extend(outcome)
        return released

    def delete_handle(self, handle_id: str, revision: int) -> bool:
        """Delete a handle record if it is unchanged since ``revision``; False if it is missing or changed."""
        try:
            self.backend.delete(HandleKey(handle_id).path, revision)
        except (NotFound, Conflict):
            return False
        return True

    def release_by_handle(self, handle_id: str) -> int:
        """Release every address of a handle; returns how many were released. NotFound if no such handle."""
        handle_key = HandleKey(handle_id).path
        kv = self.backend.get(handle_key)
        handle = AllocationHandle.from_json(handle_id, kv.value)
        released = 0
        for block_cidr, _ in handle.blocks:
            cidr = ipaddress.ip_network(block_cidr)
            before = self._count_handle_in_block(cidr, handle_id)
            self._release_in_block(cidr, lambda b: b.release_handle(handle_id), delete_empty_unaffine=True)
            released += before
        return released

    def _count_handle_in_block(self, cidr: IPNetwork, handle_id: str) -> int:
        try:
            return len(AllocationBlock.from_json(self.backend.get(BlockKey(cidr).path).value)
                       .addresses_of_handle(handle_id))
        except NotFound:
            return 0

    def _release_in_block(self, cidr: IPNetwork, release, delete_empty_unaffine: bool = False,
                          report_released: bool = False) -> list[IPAddress]:
        """CAS loop releasing in one block; returns the not-allocated addresses (or, with
        ``report_released``, the released ones)."""
        key = BlockKey(cidr).path
        handles: dict[str, KnownHandle] = {}
        for _ in range(DATASTORE_RETRIES):
            try:
                kv = self.backend.get(key)
            except NotFound:
                return []
            outcome = release(AllocationBlock.from_json(kv.value))
            if not outcome.released:
                return [] if report_released else list(outcome.unallocated)
            if delete_empty_unaffine and outcome.block.is_empty and outcome.block.affinity is None:
                block_op = WriteOp.delete(key, kv.mod_revision)
            else:
                block_op = WriteOp.update(key, outcome.block.for_write().to_bytes(), kv.mod_revision)
            changes = {handle_id: -count for handle_id, count in outcome.handle_counts if handle_id is not None}
            try:
                self._commit_block(block_op, str(cidr), changes, handles)
            except (_StaleBlock, _StaleHandle):
                continue
            self._block_cache.pop(key, None)
            return list(outcome.released if report_released else outcome.unallocated)
        raise IPAMError(f"too many conflicts releasing from block {cidr}")

    # --- affinities --------------------------------------------------------------------------
    def release_block_affinity(self, hostname: str, cidr: IPNetwork) -> None:
        """Give up a host's claim: pendingDeletion, then delete the block if empty (else un-own it), then the affinity."""
        affinity_key = BlockAffinityKey(hostname, cidr).path
        self._affinity_cache.pop((hostname, cidr.version), None)
        self._block_cache.pop(BlockKey(cidr).path, None)
        try:
            self._set_affinity(affinity_key, AffinityState.PENDING_DELETION)
        except NotFound:
            return
        key = BlockKey(cidr).path
        for _ in range(DATASTORE_RETRIES):
            try:
                kv = self.backend.get(key)
            except NotFound:
                break
            block = AllocationBlock.from_json(kv.value)
            if block.affinity != f"host:{hostname}":
                break
            try:
                if block.is_empty:
                    self.backend.delete(key, kv.mod_revision)
                else:
                    self.backend.update(key, block.with_affinity(None).for_write().to_bytes(), kv.mod_revision)
                break
            except (Conflict, NotFound):
                continue
        self._delete_quietly(affinity_key)

    def release_host_affinities(self, hostname: str) -> None:
        for version in (4, 6):
            for cidr, _ in self.host_affinities(hostname, version):
                self.release_block_affinity(hostname, cidr)


class _StaleBlock(Exception):
    """The block changed (or vanished) since it was read: re-read it and try again."""


class _StaleHandle(Exception):
    """A handle record was not as believed (it has been re-read): try again."""


def _handle_write(handle_id: str, known: KnownHandle, block_cidr: str,
                  delta: int) -> tuple[WriteOp | None, AllocationHandle]:
    """The conditional write that adds ``delta`` addresses in ``block_cidr`` to a handle believed to be
    ``known``, and the handle it writes: a create when believed absent, an update at its revision, a
    delete at its revision when emptied; None when there is nothing to take from an absent handle."""
    key = HandleKey(handle_id).path
    if known is None:
        handle = AllocationHandle(handle_id)
        if delta <= 0:
            return None, handle
        new = handle.increment(block_cidr, delta)
        return WriteOp.create(key, new.to_bytes()), new
    revision, handle = known
    if delta >= 0:
        new = handle.increment(block_cidr, delta)
    else:
        new = handle.decrement(block_cidr, min(-delta, handle.count_in(block_cidr)))
    if new.is_empty:
        return WriteOp.delete(key, revision), new
    return WriteOp.update(key, new.to_bytes(), revision), new


def _reserved_ordinals(block: AllocationBlock, reserved: Sequence[IPNetwork]) -> frozenset[int]:
    if not reserved:
        return frozenset()
    ordinals: set[int] = set()
    base = int(block.cidr.network_address)
    top = base + block.size - 1
    for net in reserved:
        if net.version != block.cidr.version or not block.cidr.overlaps(net):
            continue
        start = max(base, int(net.network_address))
        end = min(top, int(net.broadcast_address))
        ordinals.update(range(start - base, end - base + 1))
    return frozenset(ordinals)
