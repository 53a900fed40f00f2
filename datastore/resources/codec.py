"""Whole-resource conversion: Calico v3 JSON objects ↔ resource dataclasses, and defaults.

A kind's module is imported the first time the kind is needed (see :func:`resource_class`).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import import_module
from typing import Any

from datastore.errors import ParseError
from datastore.resources.base import Resource
from datastore.resources.kinds import API_VERSION, KINDS
from datastore.resources.serde import decode_fields, json_kind, new_context, note_unknown, raise_for

# The module under datastore.resources defining each kind's class (named as the kind).
KIND_MODULES: dict[str, str] = {
    "FelixConfiguration": "felix",
    "IPPool": "network", "IPReservation": "ipam", "IPAMConfiguration": "ipam", "BlockAffinity": "ipam",
    "BGPPeer": "bgp", "BGPConfiguration": "bgp", "BGPFilter": "bgp",
    "Node": "node", "CalicoNodeStatus": "node",
    "NetworkPolicy": "policy", "GlobalNetworkPolicy": "policy", "Profile": "policy", "Tier": "policy",
    "HostEndpoint": "endpoints", "WorkloadEndpoint": "endpoints",
    "NetworkSet": "sets", "GlobalNetworkSet": "sets",
    "ClusterInformation": "cluster", "KubeControllersConfiguration": "kubecontrollers",
}

# The classes of the kinds loaded so far, keyed by canonical kind (filled by _load).
_LOADED: dict[str, type] = {}


def _type_meta(data: Mapping) -> tuple[str, str]:
    kind = api_version = ""
    for key, value in data.items():
        folded = str(key).lower()
        if folded == "kind":
            kind = value if isinstance(value, str) else ""
        elif folded == "apiversion":
            api_version = value if isinstance(value, str) else ""
    return kind, api_version


def _unknown_type(kind: str, api_version: str) -> ParseError:
    return ParseError(f"Unknown resource type ({kind}) and/or version ({api_version})")


def _load(kind: str) -> type | None:
    cls = _LOADED.get(kind)
    if cls is None and kind in KIND_MODULES:
        cls = getattr(import_module(f"datastore.resources.{KIND_MODULES[kind]}"), kind)
        _LOADED[kind] = cls
    return cls


def resource_class(kind: str) -> type:
    """The dataclass of a canonical kind name (its module imported on first use); ParseError for an
    unknown kind."""
    cls = _load(kind)
    if cls is None:
        raise ParseError(f"resource type '{kind}' is not supported")
    return cls


def load_all() -> dict[str, type]:
    """Every kind's class, keyed by canonical kind (imports all kind modules)."""
    return {kind: resource_class(kind) for kind in KIND_MODULES}


def from_dict(data: Mapping, *, strict: bool = True) -> Any:
    """Parse one v3 resource object (``kind`` and ``apiVersion`` must be exact).

    Unknown fields anywhere in the document raise ParseError listing them, unless ``strict`` is
    False (values read back from the datastore: libcalico-go decodes those with a plain
    ``json.Unmarshal``, which ignores them); Go-JSON type mismatches always raise ParseError with
    Go's wording. Field names match case-insensitively.
    """
    if not isinstance(data, Mapping):
        raise ParseError("error parsing document: expected a resource object")
    kind, api_version = _type_meta(data)
    cls = _load(kind)
    if cls is None or api_version != API_VERSION:
        raise _unknown_type(kind, api_version)
    body = {k: v for k, v in data.items() if str(k).lower() not in ("kind", "apiversion")}
    ctx = new_context()
    resource = decode_fields(body, cls, ctx, "")
    if not strict:
        ctx.unknown.clear()
    raise_for(ctx)
    return resource


def from_dict_many(data: Any) -> tuple[Any, ...]:
    """Parse a document that is a resource, a ``<Kind>List`` or a JSON/YAML array of those."""
    if isinstance(data, (list, tuple)):
        return tuple(r for item in data for r in from_dict_many(item))
    if not isinstance(data, Mapping):
        raise ParseError("error parsing document: expected a resource object")
    kind, api_version = _type_meta(data)
    cls_name = kind[: -len("List")]
    if kind.endswith("List") and cls_name in KIND_MODULES:
        if api_version != API_VERSION:
            raise _unknown_type(kind, api_version)
        ctx = new_context()
        items: Any = ()
        for key, value in data.items():
            folded = str(key).lower()
            if folded == "items":
                items = value or ()
            elif folded not in ("kind", "apiversion", "metadata"):
                note_unknown(ctx, str(key))
        raise_for(ctx)
        if not isinstance(items, (list, tuple)):
            raise ParseError(
                f"cannot unmarshal {json_kind(items)} into Go struct field {kind}.items of type []v3.{cls_name}"
            )
        return tuple(from_dict(item) for item in items)
    return (from_dict(data),)


def to_dict(resource: Resource) -> dict[str, object]:
    """Calico's exact v3 JSON object for a resource (Go field order, omitempty applied)."""
    return resource.to_dict()


def to_list_dict(kind: str, resources: Any, resource_version: str = "") -> dict[str, object]:
    """A ``<Kind>List`` object as calicoctl prints it (``items`` always present)."""
    info = KINDS[kind]
    metadata = {"resourceVersion": resource_version} if resource_version else {}
    return {
        "kind": info.list_kind,
        "apiVersion": API_VERSION,
        "metadata": metadata,
        "items": [r.to_dict() for r in resources],
    }


def with_defaults(resource: Resource) -> Any:
    """The resource with Calico's defaults applied (what the client stores)."""
    return resource.with_defaults()


def dumps(obj: object, indent: int | None = None) -> str:
    """JSON text as Go's encoding/json writes it: compact (``Marshal``) or ``MarshalIndent`` with
    ``indent`` spaces; ``<``, ``>``, ``&``, U+2028 and U+2029 escaped; UTF-8 kept."""
    separators = (",", ":") if indent is None else (",", ": ")
    text = json.dumps(obj, ensure_ascii=False, indent=indent, separators=separators)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text
