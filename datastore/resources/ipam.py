"""IPAM kinds beside IPPool: IPReservation, IPAMConfiguration, BlockAffinity."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from datastore.resources.base import Metadata, Resource, meta_field
from datastore.resources.kinds import KINDS
from datastore.resources.serde import jfield


@dataclass(frozen=True)
class IPReservationSpec:
    """IPReservation.spec."""

    reserved_cidrs: tuple[str, ...] = jfield("reservedCIDRs", ())


@dataclass(frozen=True)
class IPReservation(Resource):
    """CIDRs IPAM must never hand out."""

    KIND: ClassVar = KINDS["IPReservation"]
    metadata: Metadata = meta_field()
    spec: IPReservationSpec = jfield("spec", IPReservationSpec())


@dataclass(frozen=True)
class IPAMConfigurationSpec:
    """IPAMConfiguration.spec."""

    strict_affinity: bool = jfield("strictAffinity", False, omitempty=False)
    max_blocks_per_host: int = jfield("maxBlocksPerHost", 0, go="int32")
    auto_allocate_blocks: bool = jfield("autoAllocateBlocks", False, omitempty=False)


@dataclass(frozen=True)
class IPAMConfiguration(Resource):
    """Cluster-wide IPAM settings (the single resource is named ``default``)."""

    KIND: ClassVar = KINDS["IPAMConfiguration"]
    metadata: Metadata = meta_field()
    spec: IPAMConfigurationSpec = jfield("spec", IPAMConfigurationSpec())


@dataclass(frozen=True)
class BlockAffinitySpec:
    """BlockAffinity.spec (``deleted`` is the string ``"true"``/``"false"``, as in Calico)."""

    state: str = jfield("state", "", omitempty=False, go="v3.BlockAffinityState")
    node: str = jfield("node", "", omitempty=False)
    cidr: str = jfield("cidr", "", omitempty=False)
    deleted: str = jfield("deleted", "", omitempty=False)


@dataclass(frozen=True)
class BlockAffinity(Resource):
    """A node's claim on an IPAM block."""

    KIND: ClassVar = KINDS["BlockAffinity"]
    metadata: Metadata = meta_field()
    spec: BlockAffinitySpec = jfield("spec", BlockAffinitySpec())
