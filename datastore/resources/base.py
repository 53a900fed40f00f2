"""What every v3 resource shares: Kubernetes ObjectMeta and the Resource mixin.

A resource class is a frozen dataclass with fields ``metadata`` and ``spec`` (and ``status`` for
kinds that have one) and a class attribute ``KIND``. Its JSON is ``kind, apiVersion`` followed by
its fields in declaration order (Go struct order).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from datastore.resources.kinds import API_VERSION, KindInfo
from datastore.resources.scalars import Timestamp
from datastore.resources.serde import FrozenMap, encode_struct, jfield


@dataclass(frozen=True)
class OwnerReference:
    """metav1.OwnerReference."""

    api_version: str = jfield("apiVersion", "", omitempty=False)
    kind: str = jfield("kind", "", omitempty=False)
    name: str = jfield("name", "", omitempty=False)
    uid: str = jfield("uid", "", omitempty=False, go="types.UID")
    controller: bool | None = jfield("controller", None)
    block_owner_deletion: bool | None = jfield("blockOwnerDeletion", None)


@dataclass(frozen=True)
class Metadata:
    """Kubernetes ObjectMeta as Calico v3 resources carry it (JSON field order as Go's)."""

    GO_NAME: ClassVar[str] = "ObjectMeta"

    name: str = jfield("name", "")
    generate_name: str = jfield("generateName", "")
    namespace: str = jfield("namespace", "")
    self_link: str = jfield("selfLink", "")
    uid: str = jfield("uid", "", go="types.UID")
    resource_version: str = jfield("resourceVersion", "")
    generation: int = jfield("generation", 0, go="int64")
    creation_timestamp: Timestamp = jfield("creationTimestamp", "", omitempty=False)
    deletion_timestamp: Timestamp | None = jfield("deletionTimestamp", None)
    deletion_grace_period_seconds: int | None = jfield("deletionGracePeriodSeconds", None, go="int64")
    labels: FrozenMap = jfield("labels", FrozenMap())
    annotations: FrozenMap = jfield("annotations", FrozenMap())
    owner_references: tuple[OwnerReference, ...] = jfield("ownerReferences", ())
    finalizers: tuple[str, ...] = jfield("finalizers", ())


class Resource:
    """Behaviour shared by every resource dataclass (mixed into each kind's class)."""

    KIND: ClassVar[KindInfo]
    metadata: Metadata

    @property
    def name(self) -> str:
        """``metadata.name``."""
        return self.metadata.name

    @property
    def namespace(self) -> str:
        """``metadata.namespace``."""
        return self.metadata.namespace

    def with_defaults(self) -> "Resource":
        """A copy with Calico's defaults filled in (kinds without defaults return themselves)."""
        return self

    def with_metadata(self, **changes: object) -> "Resource":
        """A copy with the given metadata fields replaced (``resource_version="12"`` …)."""
        return dataclasses.replace(self, metadata=dataclasses.replace(self.metadata, **changes))

    def to_dict(self) -> dict[str, object]:
        """Calico's v3 JSON object (kind, apiVersion, then the fields in Go struct order)."""
        return {"kind": self.KIND.kind, "apiVersion": API_VERSION, **encode_struct(self)}


def meta_field() -> Metadata:
    """The ``metadata`` field declaration of a resource class."""
    return jfield("metadata", Metadata())
