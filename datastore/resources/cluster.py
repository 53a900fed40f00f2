"""ClusterInformation: the cluster's identity and readiness (a singleton kind)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from datastore.resources.base import Metadata, Resource, meta_field
from datastore.resources.kinds import KINDS
from datastore.resources.serde import jfield


@dataclass(frozen=True)
class ClusterInformationSpec:
    """ClusterInformation.spec (read-only for users; written at datastore initialisation)."""

    cluster_guid: str = jfield("clusterGUID", "")
    cluster_type: str = jfield("clusterType", "")
    calico_version: str = jfield("calicoVersion", "")
    datastore_ready: bool | None = jfield("datastoreReady", None)
    variant: str = jfield("variant", "")


@dataclass(frozen=True)
class ClusterInformation(Resource):
    """Cluster identity and readiness (the single resource is named ``default``)."""

    KIND: ClassVar = KINDS["ClusterInformation"]
    metadata: Metadata = meta_field()
    spec: ClusterInformationSpec = jfield("spec", ClusterInformationSpec())
