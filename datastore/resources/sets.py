"""Network set kinds: NetworkSet (namespaced) and GlobalNetworkSet."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from datastore.resources.base import Metadata, Resource, meta_field
from datastore.resources.kinds import KINDS
from datastore.resources.serde import jfield


@dataclass(frozen=True)
class NetworkSetSpec:
    """(Global)NetworkSet.spec: a list of CIDRs."""

    nets: tuple[str, ...] = jfield("nets", ())


@dataclass(frozen=True)
class GlobalNetworkSetSpec(NetworkSetSpec):
    """GlobalNetworkSet.spec (same fields as NetworkSet.spec)."""


@dataclass(frozen=True)
class NetworkSet(Resource):
    """Named CIDRs in a namespace, matched by label selectors."""

    KIND: ClassVar = KINDS["NetworkSet"]
    metadata: Metadata = meta_field()
    spec: NetworkSetSpec = jfield("spec", NetworkSetSpec())


@dataclass(frozen=True)
class GlobalNetworkSet(Resource):
    """Cluster-wide named CIDRs, matched by label selectors."""

    KIND: ClassVar = KINDS["GlobalNetworkSet"]
    metadata: Metadata = meta_field()
    spec: GlobalNetworkSetSpec = jfield("spec", GlobalNetworkSetSpec())
