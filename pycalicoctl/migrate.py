"""Pure parts of ``calicoctl datastore migrate`` (calicoctl v3.29 ``commands/datastore/migrate``).

The export file has three parts separated by ``===`` lines: the v3 resources as ``<Kind>List`` YAML
documents (each followed by ``---``), the ClusterInformation as indented JSON, and the IPAM data as
indented JSON in calicoctl's ``migrateIPAM`` shape::

    {"block_affinities": [{"Key": <path>, "Value": {...}, "TTL": 0}, ...],
     "blocks": [...], "handles": [...], "config": {"Key": "/calico/ipam/v2/config", "Value": {...}, "TTL": 0}}

(empty lists and a missing config are omitted, as Go's ``omitempty`` does). Nothing here touches the
datastore: the command module lists, prints and writes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from datastore.resources.serde import json_kind

# The v3 plurals calicoctl v3.29 exports, in its order (nodes before the kinds naming nodes).
EXPORT_PLURALS: tuple[str, ...] = (
    "ippools", "bgppeers", "tiers", "globalnetworkpolicies", "globalnetworksets", "hostendpoints",
    "kubecontrollersconfigurations", "networkpolicies", "networksets", "nodes", "bgpconfigurations",
    "felixconfigurations", "ipreservations", "bgpfilters",
)

DISPLAY_NAMES: dict[str, str] = {
    "ippools": "IPPools", "bgppeers": "BGPPeers", "tiers": "Tiers",
    "globalnetworkpolicies": "GlobalNetworkPolicies", "globalnetworksets": "GlobalNetworkSets",
    "hostendpoints": "HostEndpoints", "kubecontrollersconfigurations": "KubeControllersConfigurations",
    "networkpolicies": "NetworkPolicies", "networksets": "NetworkSets", "nodes": "Nodes",
    "bgpconfigurations": "BGPConfigurations", "felixconfigurations": "FelixConfigurations",
    "ipreservations": "IPReservations", "bgpfilters": "BGPFilters",
}

NAMESPACED_PLURALS = frozenset({"networkpolicies", "networksets"})

# Names of the Calico copies of Kubernetes network policies (kube-controllers' etcd prefix).
K8S_POLICY_PREFIX = "knp.default."

_TUNNEL_HANDLE_PREFIXES = ("ipip-tunnel-addr-", "vxlan-tunnel-addr-", "wireguard-tunnel-addr-")
_DROPPED_METADATA = ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
                     "deletionGracePeriodSeconds")
_IPTABLES_FIELDS = ("defaultEndpointToHostAction", "iptablesFilterAllowAction", "iptablesMangleAllowAction",
                    "iptablesFilterDenyAction")


class MigrateError(Exception):
    """A migration step failed; the text is calicoctl's message."""


@dataclass(frozen=True)
class ImportFile:
    """The three parts of an export file."""

    resources_yaml: str
    cluster_info_json: str
    ipam_json: str


@dataclass(frozen=True)
class IPAMRecord:
    """One IPAM key to create on import: its path, the value to store, and the key's Go ``String()``."""

    path: str
    value: bytes
    label: str


# ------------------------------------------------------------------------------------------ export

def clean_list(plural: str, data: Mapping[str, Any], node_map: dict[str, str]) -> dict[str, Any]:
    """One exported ``<Kind>List``: item uid/resourceVersion/timestamps removed, Kubernetes policy copies
    dropped, nodes renamed to their Kubernetes name (recorded in ``node_map``), node-scoped
    configuration renamed to match, and v1-style iptables actions title-cased.

    Raises MigrateError for a node whose name cannot be mapped (see :func:`kubernetes_node_name`).
    """
    items = []
    for item in data.get("items") or []:
        meta = {k: v for k, v in (item.get("metadata") or {}).items() if k not in _DROPPED_METADATA}
        name = meta.get("name", "")
        if plural == "networkpolicies" and name.startswith(K8S_POLICY_PREFIX):
            continue
        if plural == "nodes":
            new_name = kubernetes_node_name(item)
            node_map[name] = new_name
            meta["name"] = new_name
        elif plural in ("felixconfigurations", "bgpconfigurations") and name.startswith("node."):
            meta["name"] = "node." + node_map.get(name[len("node."):], name[len("node."):])
        item = {**item, "metadata": meta}
        if plural == "felixconfigurations":
            item = title_iptables_actions(item)
        items.append(item)
    return {**data, "items": items}


def kubernetes_node_name(node: Mapping[str, Any]) -> str:
    """The name a node is exported under: the nodeName of its ``k8s`` orchestrator reference.

    calicoctl refuses nodes without one (its target is always Kubernetes); pycalico's targets are the
    etcd and embedded datastores, so such a node keeps its own name.
    """
    name = (node.get("metadata") or {}).get("name", "")
    for ref in (node.get("spec") or {}).get("orchRefs") or []:
        if ref.get("orchestrator") == "k8s" and ref.get("nodeName"):
            name = ref["nodeName"]
    return name


def title_iptables_actions(item: Mapping[str, Any]) -> dict[str, Any]:
    """calicoctl's ConvertIptablesFields: v1 iptables action values (``DROP``) in v3 form (``Drop``)."""
    spec = dict(item.get("spec") or {})
    for field in _IPTABLES_FIELDS:
        if spec.get(field):
            spec[field] = spec[field].lower().capitalize()
    return {**item, "spec": spec}


def ipam_export(records: Sequence[tuple[Any, bytes]], node_map: Mapping[str, str]) -> dict[str, Any]:
    """calicoctl's ``migrateIPAM`` object from the stored IPAM keys (``(parsed key, value bytes)``),
    with node names and tunnel handles mapped through ``node_map`` as calicoctl does."""
    from datastore import keys

    affinities, blocks, handles, config = [], [], [], None
    for key, raw in records:
        value = json.loads(raw) if raw else {}
        if isinstance(key, keys.BlockKey):
            blocks.append(_pair(key.path, _go_block_maps(_rename_block(value, node_map))))
        elif isinstance(key, keys.BlockAffinityKey):
            renamed = keys.BlockAffinityKey(node_map.get(key.host, key.host), key.cidr, key.affinity_type)
            affinities.append(_pair(renamed.path, value))
        elif isinstance(key, keys.HandleKey):
            handles.append(_pair(keys.HandleKey(_rename_handle(key.handle_id, node_map)).path,
                                 _sorted_map_field(value, "block")))
        elif isinstance(key, keys.IPAMConfigKey):
            config = _pair(key.path, value)
    result: dict[str, Any] = {}
    for name, entries in (("block_affinities", affinities), ("blocks", blocks), ("handles", handles)):
        if entries:
            result[name] = entries
    if config is not None:
        result["config"] = config
    return result


def _sorted_map_field(value: Any, field: str) -> Any:
    """Go marshals map fields with sorted keys (struct fields keep their order)."""
    if isinstance(value, dict) and isinstance(value.get(field), dict):
        return {**value, field: dict(sorted(value[field].items()))}
    return value


def _go_block_maps(block: dict[str, Any]) -> dict[str, Any]:
    block = _sorted_map_field(block, "sequenceNumberForAllocation")
    if isinstance(block.get("attributes"), list):
        block = {**block, "attributes": [_sorted_map_field(a, "secondary") for a in block["attributes"]]}
    return block


def _pair(path: str, value: Any) -> dict[str, Any]:
    return {"Key": path, "Value": value, "TTL": 0}


def _rename_handle(handle_id: str, node_map: Mapping[str, str]) -> str:
    for prefix in _TUNNEL_HANDLE_PREFIXES:
        if handle_id.startswith(prefix) and handle_id[len(prefix):] in node_map:
            return prefix + node_map[handle_id[len(prefix):]]
    return handle_id


def _rename_block(block: dict[str, Any], node_map: Mapping[str, str]) -> dict[str, Any]:
    if not node_map:
        return block
    attributes = []
    for attribute in block.get("attributes") or []:
        attribute = dict(attribute)
        secondary = attribute.get("secondary")
        if isinstance(secondary, dict) and secondary.get("node") in node_map:
            attribute["secondary"] = {**secondary, "node": node_map[secondary["node"]]}
        if isinstance(attribute.get("handle_id"), str):
            attribute["handle_id"] = _rename_handle(attribute["handle_id"], node_map)
        attributes.append(attribute)
    renamed = dict(block)
    if "attributes" in block:
        renamed["attributes"] = attributes if block.get("attributes") is not None else None
    affinity = block.get("affinity")
    if isinstance(affinity, str) and affinity.startswith("host:") and affinity[len("host:"):] in node_map:
        renamed["affinity"] = "host:" + node_map[affinity[len("host:"):]]
    return renamed


def go_indent_json(value: Any) -> str:
    """Go ``json.MarshalIndent(v, "", "  ")`` followed by the newline calicoctl prints."""
    from datastore.resources.codec import dumps

    return dumps(value, indent=2) + "\n"


# ------------------------------------------------------------------------------------------ import

def split_import_file(text: str, filename: str) -> ImportFile:
    """The three ``===``-separated parts of an export file (calicoctl's splitImportFile).

    MigrateError texts here and below are the complete messages calicoctl prints."""
    parts = text.split("===\n")
    if len(parts) != 3:
        raise MigrateError("Error while reading migration file: Imported file: "
                           f"{filename} is improperly formatted. Try recreating with 'calicoctl export'\n")
    return ImportFile(*parts)


def parse_cluster_info(text: str) -> tuple[str, str]:
    """(clusterGUID, calicoVersion) of the exported ClusterInformation (Go ``json.Unmarshal`` leniency)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MigrateError("Failed to update cluster information: Error reading exported cluster info for migration: "
                           f"{_go_syntax(exc)}") from None
    if data is None:
        return "", ""
    if not isinstance(data, dict):
        raise MigrateError("Failed to update cluster information: Error reading exported cluster info for "
                           "migration: json: cannot unmarshal "
                           f"{json_kind(data)} into Go value of type v3.ClusterInformation")
    spec = data.get("spec") if isinstance(data.get("spec"), dict) else {}
    return str(spec.get("clusterGUID") or ""), str(spec.get("calicoVersion") or "")


def parse_ipam(text: str) -> list[IPAMRecord]:
    """The IPAM records of an export in calicoctl's push order (affinities, blocks, handles, config),
    each value decoded and re-encoded as the datastore stores it."""
    from datastore import keys
    from datastore.ipam.block import AllocationBlock
    from datastore.ipam.records import AllocationHandle, HostAffinity, IPAMConfig

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MigrateError(f"Failed to read IPAM resources: {_go_syntax(exc)}\n") from None
    if not isinstance(data, dict):
        raise MigrateError("Failed to read IPAM resources: json: cannot unmarshal "
                           f"{json_kind(data)} into Go value of type migrate.migrateIPAM\n")
    records: list[IPAMRecord] = []
    try:
        for entry in _entries(data, "block_affinities"):
            key = keys.parse_key(entry["Key"])
            if not isinstance(key, keys.BlockAffinityKey):
                raise ValueError(f"not a block affinity key: {entry['Key']}")
            records.append(IPAMRecord(key.path, HostAffinity.from_json(entry["Value"] or {}).to_bytes(),
                                      f"BlockAffinityKey(cidr={key.cidr}, host={key.host})"))
        for entry in _entries(data, "blocks"):
            key = keys.parse_key(entry["Key"])
            if not isinstance(key, keys.BlockKey):
                raise ValueError(f"not a block key: {entry['Key']}")
            records.append(IPAMRecord(key.path, AllocationBlock.from_json(entry["Value"]).to_bytes(),
                                      f"BlockKey(cidr={key.cidr})"))
        for entry in _entries(data, "handles"):
            key = keys.parse_key(entry["Key"])
            if not isinstance(key, keys.HandleKey):
                raise ValueError(f"not a handle key: {entry['Key']}")
            value = AllocationHandle.from_json(key.handle_id, entry["Value"] or {}).to_bytes()
            records.append(IPAMRecord(key.path, value, f"IPAMHandleKey(id={key.handle_id})"))
        config = data.get("config")
        if config is not None:
            records.append(IPAMRecord(keys.IPAMConfigKey().path, IPAMConfig.from_json(config["Value"] or {}).to_bytes(),
                                      "IPAMConfigKey()"))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MigrateError(f"Failed to read IPAM resources: {exc}\n") from None
    return records


def _entries(data: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    entries = data.get(name) or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ValueError(f"json: cannot unmarshal {name} of the migration file")
    return entries


def _go_syntax(exc: json.JSONDecodeError) -> str:
    from pycalicoctl.engine import go_json_syntax_error

    return go_json_syntax_error(exc)
