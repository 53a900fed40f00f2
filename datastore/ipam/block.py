"""AllocationBlock: one IPAM block (`/calico/ipam/v2/assignment/ipvN/block/<net>-<len>`), pure.

Layout (libcalico-go `model.AllocationBlock`, JSON field order as Go marshals it)::

    cidr                         the block's network, e.g. "10.244.42.64/26"
    affinity                     "host:<node>" or null (no owner: borrow-only)
    allocations[ordinal]         index into attributes, null = free   (len = block size)
    unallocated                  free ordinals, FIFO: allocate from the head, release to the tail
    attributes[i]                {"handle_id": ..., "secondary": {...}}, de-duplicated
    sequenceNumber               +1 before every write of the block
    sequenceNumberForAllocation  {"<ordinal>": block sequence number when it was allocated}
    deleted                      soft-delete marker (Kubernetes backend; always false in etcd)

Every operation returns a new block; nothing here is ever mutated in place.
"""
from __future__ import annotations

import bisect
import functools
import ipaddress
import json
from dataclasses import dataclass, field, fields
from typing import Iterable, Mapping

from datastore.ipam.records import ENCODE_JSON as _ENCODE, ENCODE_TEXT as _ENCODE_TEXT

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address




class BlockError(ValueError):
    """An impossible request against a block (address outside it, already allocated, malformed JSON)."""


@dataclass(frozen=True, slots=True)
class AllocationAttribute:
    """The owner of one or more allocations: a handle id plus secondary attributes (node, pod, type...)."""

    handle_id: str | None
    secondary: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, handle_id: str | None, secondary: Mapping[str, str] | None = None) -> "AllocationAttribute":
        items = tuple(secondary.items()) if secondary else ()
        return cls(handle_id, tuple(sorted(items)) if len(items) > 1 else items)

    @property
    def attrs(self) -> dict[str, str]:
        return dict(self.secondary)

    def to_json(self) -> dict:
        return {"handle_id": self.handle_id, "secondary": dict(self.secondary) if self.secondary else None}

    @classmethod
    def from_json(cls, data: Mapping) -> "AllocationAttribute":
        return cls.of(data.get("handle_id"), data.get("secondary") or {})


def _attribute_json(attribute: AllocationAttribute) -> str:
    """``attribute.to_json()`` as compact JSON (every allocation's handle is new: nothing to memoise
    but the secondary attributes, which a node's workloads share)."""
    handle_id = "null" if attribute.handle_id is None else _ENCODE_TEXT(attribute.handle_id)
    return f'{{"handle_id":{handle_id},"secondary":{_secondary_json(attribute.secondary)}}}'


@functools.lru_cache(maxsize=1024)
def _secondary_json(secondary: tuple[tuple[str, str], ...]) -> str:
    return _ENCODE(dict(secondary)) if secondary else "null"


@dataclass(frozen=True, slots=True)
class Assignment:
    """The result of an in-memory assignment: the new block and the addresses it handed out."""

    block: "AllocationBlock"
    addresses: tuple[IPAddress, ...]


@dataclass(frozen=True, slots=True)
class Release:
    """The result of an in-memory release: the new block, what was freed (per handle) and what was not allocated."""

    block: "AllocationBlock"
    released: tuple[IPAddress, ...]
    unallocated: tuple[IPAddress, ...]
    handle_counts: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class AllocationBlock:
    """An immutable allocation block; see the module docstring for the layout."""

    cidr: IPNetwork
    affinity: str | None
    allocations: tuple[int | None, ...]
    unallocated: tuple[int, ...]
    attributes: tuple[AllocationAttribute, ...]
    sequence_number: int
    sequence_number_for_allocation: tuple[tuple[int, int], ...] = ()
    deleted: bool = False
    host_affinity: str | None = field(default=None, compare=False)

    # --- construction and serialisation -------------------------------------------------------
    @classmethod
    def new(cls, cidr: IPNetwork, affinity: str | None, sequence_number: int) -> "AllocationBlock":
        """A fresh, empty block: every ordinal free in ascending order (network and last address included)."""
        size = cidr.num_addresses
        return cls(cidr, affinity, (None,) * size, tuple(range(size)), (), sequence_number)

    @classmethod
    def from_json(cls, raw: bytes | str | Mapping) -> "AllocationBlock":
        """Parse Calico's stored JSON (the `hostAffinity` legacy field becomes `host:<name>`)."""
        try:
            data = json.loads(raw) if isinstance(raw, (bytes, str)) else raw
            cidr = ipaddress.ip_network(data["cidr"], strict=False)
            affinity = data.get("affinity")
            host_affinity = data.get("hostAffinity")
            if affinity is None and host_affinity:
                affinity = f"host:{host_affinity}"
            allocations = tuple(data.get("allocations") or (None,) * cidr.num_addresses)
            seq_map = data.get("sequenceNumberForAllocation") or {}
            return cls(
                cidr=cidr,
                affinity=affinity,
                allocations=allocations,
                unallocated=tuple(data.get("unallocated") or ()),
                attributes=tuple(AllocationAttribute.from_json(a) for a in data.get("attributes") or ()),
                sequence_number=int(data.get("sequenceNumber") or 0),
                sequence_number_for_allocation=tuple(sorted((int(k), int(v)) for k, v in seq_map.items())),
                deleted=bool(data.get("deleted", False)),
                host_affinity=host_affinity,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BlockError(f"malformed allocation block: {exc}") from None

    def to_json(self) -> dict:
        head, tail = self._json_parts()
        return {**head, "attributes": [a.to_json() for a in self.attributes], **tail}

    def _json_parts(self) -> tuple[dict, dict]:
        """The JSON fields before and after ``attributes``, in Go's order."""
        head = {
            "cidr": str(self.cidr),
            "affinity": self.affinity,
            "allocations": list(self.allocations),
            "unallocated": list(self.unallocated),
        }
        tail = {
            "sequenceNumber": self.sequence_number,
            "sequenceNumberForAllocation": dict(sorted((str(k), v) for k, v in self.sequence_number_for_allocation)),
            "deleted": self.deleted,
        }
        if self.host_affinity is not None:
            tail["hostAffinity"] = self.host_affinity
        return head, tail

    def to_bytes(self) -> bytes:
        """``to_json`` as compact JSON, byte for byte. Every part but the sequence number is encoded once
        per block value and carried over to derived blocks, updated for what changed: an allocation
        sets its ordinals' entries, takes the head of the free list, appends at most one attribute and
        inserts its ordinals' sequence members; a write only bumps ``sequenceNumber``."""
        legacy = "" if self.host_affinity is None else f',"hostAffinity":{_ENCODE(self.host_affinity)}'
        return (f'{self._head_json}[{",".join(self._allocation_items)}],"unallocated":{self._unallocated_json},'
                f'"attributes":[{self._attributes_json}],"sequenceNumber":{self.sequence_number},'
                f'"sequenceNumberForAllocation":{{{",".join(self._sequence_members[1])}}},'
                f'"deleted":{"true" if self.deleted else "false"}{legacy}}}').encode()

    @functools.cached_property
    def _head_json(self) -> str:
        """The object's start up to the ``allocations`` value: ``{"cidr":...,"affinity":...,"allocations":``."""
        return f'{{"cidr":{_ENCODE(str(self.cidr))},"affinity":{_ENCODE(self.affinity)},"allocations":'

    @functools.cached_property
    def _allocation_items(self) -> tuple[str, ...]:
        """Each ordinal's ``allocations`` entry as JSON: its attribute index, or null."""
        return tuple("null" if index is None else str(index) for index in self.allocations)

    @functools.cached_property
    def _unallocated_json(self) -> str:
        return _ENCODE(self.unallocated)

    @functools.cached_property
    def _attributes_json(self) -> str:
        return ",".join([_attribute_json(a) for a in self.attributes])

    @functools.cached_property
    def _handle_ids(self) -> tuple[str | None, ...]:
        return tuple(a.handle_id for a in self.attributes)

    @functools.cached_property
    def _sequence_members(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The sequenceNumberForAllocation keys in Go's (string) order, and each one's encoded member."""
        keyed = sorted((str(k), v) for k, v in self.sequence_number_for_allocation)
        return tuple(k for k, _ in keyed), tuple(f'"{k}":{v}' for k, v in keyed)

    def _derive(self, carry: Iterable[str] = (), **changes) -> "AllocationBlock":
        """``dataclasses.replace(self, **changes)`` without its per-call field introspection, keeping the
        cached encodings named in ``carry`` (still valid)."""
        if not changes.keys() <= _BLOCK_FIELDS:
            raise TypeError(f"not AllocationBlock fields: {sorted(changes.keys() - _BLOCK_FIELDS)}")
        state = self.__dict__.copy()
        if len(state) > len(_BLOCK_FIELDS):
            for name in _CACHED_ENCODINGS.difference(carry):
                state.pop(name, None)
        state.update(changes)
        block = object.__new__(AllocationBlock)
        block.__dict__.update(state)
        return block

    # --- queries -------------------------------------------------------------------------------
    @property
    def size(self) -> int:
        return len(self.allocations)

    @property
    def host(self) -> str:
        """The node this block is affine to ('' if none or not a host affinity)."""
        if self.affinity and self.affinity.startswith("host:"):
            return self.affinity[5:]
        return ""

    @property
    def in_use(self) -> int:
        return self.size - len(self.unallocated)

    @property
    def is_empty(self) -> bool:
        return len(self.unallocated) == self.size

    def ordinal_of(self, address: IPAddress) -> int:
        ordinal = int(address) - int(self.cidr.network_address)
        if address.version != self.cidr.version or not 0 <= ordinal < self.size:
            raise BlockError(f"IP {address} not in block {self.cidr}")
        return ordinal

    def address_of(self, ordinal: int) -> IPAddress:
        return self.cidr.network_address + ordinal

    def attribute_of(self, address: IPAddress) -> AllocationAttribute | None:
        index = self.allocations[self.ordinal_of(address)]
        return None if index is None else self.attributes[index]

    def allocated(self) -> Iterable[tuple[IPAddress, AllocationAttribute]]:
        """Every allocated address with its owner, in ordinal order."""
        for ordinal, index in enumerate(self.allocations):
            if index is not None:
                yield self.address_of(ordinal), self.attributes[index]

    def addresses_of_handle(self, handle_id: str) -> tuple[IPAddress, ...]:
        return tuple(ip for ip, attr in self.allocated() if attr.handle_id == handle_id)

    def sequence_of(self, ordinal: int) -> int | None:
        return dict(self.sequence_number_for_allocation).get(ordinal)

    def free_ordinals(self, reserved: frozenset[int] = frozenset()) -> list[int]:
        return [o for o in self.unallocated if o not in reserved]

    # --- pure updates --------------------------------------------------------------------------
    def for_write(self) -> "AllocationBlock":
        """The block as it must be persisted: sequence number bumped, as libcalico-go does before every write."""
        return self._derive(_CACHED_ENCODINGS, sequence_number=self.sequence_number + 1)

    def with_affinity(self, affinity: str | None) -> "AllocationBlock":
        return self._derive(affinity=affinity, host_affinity=None)

    def assign(
        self,
        count: int,
        handle_id: str | None,
        attrs: Mapping[str, str] | None = None,
        reserved: frozenset[int] = frozenset(),
    ) -> Assignment:
        """Allocate up to ``count`` addresses from the head of the free list, skipping reserved ordinals."""
        if count < 0:
            raise ValueError("count must be >= 0")
        if reserved:
            chosen = [o for o in self.unallocated if o not in reserved][:count]
        else:
            chosen = list(self.unallocated[:count])
        if not chosen:
            return Assignment(self, ())
        base = self.cidr.network_address
        return Assignment(self._allocate(chosen, AllocationAttribute.of(handle_id, attrs)),
                          tuple([base + o for o in chosen]))

    def assign_address(self, address: IPAddress, handle_id: str | None,
                       attrs: Mapping[str, str] | None = None) -> "AllocationBlock":
        """Allocate one specific address; BlockError if it is already allocated."""
        ordinal = self.ordinal_of(address)
        if self.allocations[ordinal] is not None:
            raise BlockError(f"Address already assigned in block: {address}")
        return self._allocate([ordinal], AllocationAttribute.of(handle_id, attrs))

    def _allocate(self, ordinals: list[int], attribute: AllocationAttribute) -> "AllocationBlock":
        index = self._attribute_index(attribute)
        attributes = self.attributes if index < len(self.attributes) else self.attributes + (attribute,)
        allocations = list(self.allocations)
        for ordinal in ordinals:
            allocations[ordinal] = index
        seq = list(self.sequence_number_for_allocation)
        for ordinal in ordinals:
            at = bisect.bisect_left(seq, (ordinal,))
            seq[at:at + (at < len(seq) and seq[at][0] == ordinal)] = [(ordinal, self.sequence_number)]
        head = len(ordinals)
        from_head = self.unallocated[:head] == tuple(ordinals)
        if from_head:
            unallocated = self.unallocated[head:]
        else:
            taken = set(ordinals)
            unallocated = tuple(o for o in self.unallocated if o not in taken)
        block = self._derive(("_head_json",), allocations=tuple(allocations), unallocated=unallocated,
                             attributes=attributes, sequence_number_for_allocation=tuple(seq))
        own, derived = self.__dict__, block.__dict__
        added = attributes is not self.attributes
        if "_allocation_items" in own:
            items = list(own["_allocation_items"])
            entry = str(index)
            for ordinal in ordinals:
                items[ordinal] = entry
            derived["_allocation_items"] = tuple(items)
        if "_unallocated_json" in own and from_head:
            derived["_unallocated_json"] = _without_head(own["_unallocated_json"], head) if unallocated else "[]"
        if "_attributes_json" in own:
            encoded = own["_attributes_json"]
            if added:
                encoded = f"{encoded},{_attribute_json(attribute)}" if encoded else _attribute_json(attribute)
            derived["_attributes_json"] = encoded
        if "_handle_ids" in own:
            derived["_handle_ids"] = own["_handle_ids"] + (attribute.handle_id,) if added else own["_handle_ids"]
        if "_sequence_members" in own:
            keys, members = own["_sequence_members"]
            for ordinal in ordinals:
                key = str(ordinal)
                at = bisect.bisect_left(keys, key)
                present = at < len(keys) and keys[at] == key
                keys = keys[:at] + (key,) + keys[at + present:]
                members = members[:at] + (f'"{key}":{self.sequence_number}',) + members[at + present:]
            derived["_sequence_members"] = (keys, members)
        return block

    def _attribute_index(self, attribute: AllocationAttribute) -> int:
        """The index of an equal attribute already in the block, else the next free index."""
        handle_ids, at = self._handle_ids, -1
        while True:
            try:
                at = handle_ids.index(attribute.handle_id, at + 1)
            except ValueError:
                return len(self.attributes)
            if self.attributes[at] == attribute:
                return at

    def release(
        self,
        addresses: Iterable[IPAddress],
        handle_id: str | None = None,
        sequence_numbers: Mapping[IPAddress, int] | None = None,
    ) -> Release:
        """Free addresses (appended to the tail of the free list); unreferenced attributes are compacted.

        With ``handle_id`` only addresses owned by that handle are released; with ``sequence_numbers``
        an address whose allocation sequence number differs is kept (it was re-allocated since).
        Addresses that are not allocated are reported in ``unallocated``, not treated as errors.
        """
        allocations = list(self.allocations)
        seq = dict(self.sequence_number_for_allocation)
        freed: list[int] = []
        released: list[IPAddress] = []
        not_allocated: list[IPAddress] = []
        counts: dict[str, int] = {}
        for address in addresses:
            ordinal = self.ordinal_of(address)
            index = allocations[ordinal]
            if index is None:
                not_allocated.append(address)
                continue
            attribute = self.attributes[index]
            if handle_id is not None and attribute.handle_id != handle_id:
                continue
            if sequence_numbers and address in sequence_numbers and seq.get(ordinal) != sequence_numbers[address]:
                continue
            allocations[ordinal] = None
            seq.pop(ordinal, None)
            freed.append(ordinal)
            released.append(address)
            if attribute.handle_id is not None:
                counts[attribute.handle_id] = counts.get(attribute.handle_id, 0) + 1
        if not freed:
            return Release(self, (), tuple(not_allocated), ())
        attributes, allocations = _compact(self.attributes, allocations)
        block = self._derive(allocations=tuple(allocations), unallocated=self.unallocated + tuple(freed),
                             attributes=attributes, sequence_number_for_allocation=tuple(sorted(seq.items())))
        return Release(block, tuple(released), tuple(not_allocated), tuple(sorted(counts.items())))

    def release_handle(self, handle_id: str) -> Release:
        """Free every address owned by ``handle_id``."""
        return self.release(self.addresses_of_handle(handle_id), handle_id=handle_id)


_BLOCK_FIELDS = frozenset(f.name for f in fields(AllocationBlock))
_CACHED_ENCODINGS = frozenset(("_head_json", "_allocation_items", "_unallocated_json", "_attributes_json",
                               "_handle_ids", "_sequence_members"))


def _without_head(encoded: str, count: int) -> str:
    """A JSON array of integers (``[3,4,5]``) without its first ``count`` items; some must remain."""
    at = 0
    for _ in range(count):
        at = encoded.index(",", at) + 1
    return "[" + encoded[at:]


def _compact(attributes: tuple[AllocationAttribute, ...], allocations: list[int | None]):
    """Drop attributes no allocation refers to and renumber the allocations' indexes."""
    used = sorted({i for i in allocations if i is not None})
    if len(used) == len(attributes):
        return attributes, allocations
    renumber = {old: new for new, old in enumerate(used)}
    return (tuple(attributes[i] for i in used),
            [None if i is None else renumber[i] for i in allocations])
