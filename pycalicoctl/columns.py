"""Per-kind CLI metadata: the ps / wide headings and how each cell is computed (calicoctl v3.29).

Cells are pure functions of the resource's v3 JSON dict; the Node ``ASN`` column also needs the
cluster's global AS number, passed in through :class:`CellContext`.

Imported by the click-free fast path (:mod:`pycalicoctl.fastget`), so it avoids dataclasses and
typing at run time (annotations only).
"""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Mapping

from pycalicoctl.printers import go_float_v, go_value, join_and_truncate, tabwriter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

    Cell = Callable[[Mapping[str, Any], "CellContext"], str]


def _default_asn() -> str:
    return "64512"


class CellContext:
    """What cells may need beyond the object: ``global_asn()`` (``config "asnumber"``), memoised."""

    __slots__ = ("asn_lookup", "_asn")

    def __init__(self, asn_lookup: Callable[[], str] = _default_asn):
        self.asn_lookup = asn_lookup
        self._asn: str | None = None

    def global_asn(self) -> str:
        if self._asn is None:
            self._asn = self.asn_lookup()
        return self._asn


KindColumns = namedtuple("KindColumns", ("ps", "wide", "cells"))
KindColumns.__doc__ = """The table columns of one kind: default (ps) and wide headings (tuples of str), and every
known heading's cell (heading -> Cell)."""


def _get(obj: Mapping[str, Any], *path: str) -> Any:
    value: Any = obj
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _text(*path: str) -> Cell:
    return lambda obj, _ctx: "" if _get(obj, *path) is None else go_value(_get(obj, *path))


def _flag(*path: str) -> Cell:
    return lambda obj, _ctx: "true" if _get(obj, *path) else "false"


def _pointer(*path: str) -> Cell:
    return lambda obj, _ctx: go_value(_get(obj, *path))


def _mode(*path: str) -> Cell:
    return lambda obj, _ctx: _get(obj, *path) or "Never"


def _joined(*path: str, max_len: int = 0) -> Cell:
    return lambda obj, _ctx: join_and_truncate(_get(obj, *path), ",", max_len)


def _dash(*path: str) -> Cell:
    return lambda obj, _ctx: "-" if _get(obj, *path) is None else go_value(_get(obj, *path))


def _count(*path: str) -> Cell:
    return lambda obj, _ctx: str(len(_get(obj, *path) or ()))


def _order(obj: Mapping[str, Any], _ctx: CellContext) -> str:
    order = _get(obj, "spec", "order")
    if order is None:
        return "<nil>"
    return go_float_v(float(order))


def _node_asn(obj: Mapping[str, Any], ctx: CellContext) -> str:
    bgp = _get(obj, "spec", "bgp")
    if not bgp:
        return ""
    asn = bgp.get("asNumber")
    if asn:
        return go_value(asn)
    return f"({ctx.global_asn()})"


def _peer_node(obj: Mapping[str, Any], _ctx: CellContext) -> str:
    spec = obj.get("spec") or {}
    if spec.get("node"):
        return spec["node"]
    if spec.get("nodeSelector"):
        return spec["nodeSelector"]
    return "(global)"


def _workload(obj: Mapping[str, Any], _ctx: CellContext) -> str:
    spec = obj.get("spec") or {}
    return spec.get("workload") or spec.get("pod") or ""


def _nats(obj: Mapping[str, Any], _ctx: CellContext) -> str:
    nats = _get(obj, "spec", "ipNATs") or ()
    return ",".join(f"{{{n.get('internalIP', '')} {n.get('externalIP', '')}}}" for n in nats)


_NAME = _text("metadata", "name")
_NAMESPACE = _text("metadata", "namespace")

KIND_COLUMNS: dict[str, KindColumns] = {
    "IPPool": KindColumns(
        ("NAME", "CIDR", "SELECTOR"),
        ("NAME", "CIDR", "NAT", "IPIPMODE", "VXLANMODE", "DISABLED", "DISABLEBGPEXPORT", "SELECTOR"),
        {"NAME": _NAME, "CIDR": _text("spec", "cidr"), "NAT": _flag("spec", "natOutgoing"),
         "IPIPMODE": _mode("spec", "ipipMode"), "VXLANMODE": _mode("spec", "vxlanMode"),
         "DISABLED": _flag("spec", "disabled"), "DISABLEBGPEXPORT": _flag("spec", "disableBGPExport"),
         "SELECTOR": _text("spec", "nodeSelector")},
    ),
    "Node": KindColumns(
        ("NAME",), ("NAME", "ASN", "IPV4", "IPV6"),
        {"NAME": _NAME, "ASN": _node_asn, "IPV4": _text("spec", "bgp", "ipv4Address"),
         "IPV6": _text("spec", "bgp", "ipv6Address")},
    ),
    "BGPPeer": KindColumns(
        ("NAME", "PEERIP", "NODE", "ASN"), ("NAME", "PEERIP", "NODE", "ASN"),
        {"NAME": _NAME, "PEERIP": _text("spec", "peerIP"), "NODE": _peer_node,
         "ASN": lambda obj, _ctx: go_value(_get(obj, "spec", "asNumber") or 0)},
    ),
    "BGPConfiguration": KindColumns(
        ("NAME", "LOGSEVERITY", "MESHENABLED", "ASNUMBER"), ("NAME", "LOGSEVERITY", "MESHENABLED", "ASNUMBER"),
        {"NAME": _NAME, "LOGSEVERITY": _text("spec", "logSeverityScreen"),
         "MESHENABLED": _dash("spec", "nodeToNodeMeshEnabled"), "ASNUMBER": _dash("spec", "asNumber")},
    ),
    "BGPFilter": KindColumns(
        ("NAME", "NUMEXPORTV4", "NUMIMPORTV4", "NUMEXPORTV6", "NUMIMPORTV6"),
        ("NAME", "NUMEXPORTV4", "NUMIMPORTV4", "NUMEXPORTV6", "NUMIMPORTV6"),
        {"NAME": _NAME, "NUMEXPORTV4": _count("spec", "exportV4"), "NUMIMPORTV4": _count("spec", "importV4"),
         "NUMEXPORTV6": _count("spec", "exportV6"), "NUMIMPORTV6": _count("spec", "importV6")},
    ),
    "FelixConfiguration": KindColumns(("NAME",), ("NAME",), {"NAME": _NAME}),
    "KubeControllersConfiguration": KindColumns(("NAME",), ("NAME",), {"NAME": _NAME}),
    "ClusterInformation": KindColumns(
        ("NAME", "CLUSTERGUID", "CLUSTERTYPE", "CALICOVERSION", "DATASTOREREADY"),
        ("NAME", "CLUSTERGUID", "CLUSTERTYPE", "CALICOVERSION", "DATASTOREREADY"),
        {"NAME": _NAME, "CLUSTERGUID": _text("spec", "clusterGUID"), "CLUSTERTYPE": _text("spec", "clusterType"),
         "CALICOVERSION": _text("spec", "calicoVersion"), "DATASTOREREADY": _pointer("spec", "datastoreReady")},
    ),
    "HostEndpoint": KindColumns(
        ("NAME", "NODE"), ("NAME", "NODE", "INTERFACE", "IPS", "PROFILES"),
        {"NAME": _NAME, "NODE": _text("spec", "node"), "INTERFACE": _text("spec", "interfaceName"),
         "IPS": _joined("spec", "expectedIPs"), "PROFILES": _joined("spec", "profiles")},
    ),
    "WorkloadEndpoint": KindColumns(
        ("WORKLOAD", "NODE", "NETWORKS", "INTERFACE"),
        ("NAME", "WORKLOAD", "NODE", "NETWORKS", "INTERFACE", "PROFILES", "NATS"),
        {"NAMESPACE": _NAMESPACE, "NAME": _NAME, "WORKLOAD": _workload, "NODE": _text("spec", "node"),
         "ORCHESTRATOR": _text("spec", "orchestrator"), "NETWORKS": _joined("spec", "ipNetworks"),
         "INTERFACE": _text("spec", "interfaceName"), "PROFILES": _joined("spec", "profiles"), "NATS": _nats},
    ),
    "NetworkPolicy": KindColumns(
        ("NAME", "TIER"), ("NAME", "TIER", "ORDER", "SELECTOR"),
        {"NAMESPACE": _NAMESPACE, "NAME": _NAME, "TIER": _text("spec", "tier"), "ORDER": _order,
         "SELECTOR": _text("spec", "selector")},
    ),
    "GlobalNetworkPolicy": KindColumns(
        ("NAME", "TIER"), ("NAME", "TIER", "ORDER", "SELECTOR"),
        {"NAME": _NAME, "TIER": _text("spec", "tier"), "ORDER": _order, "SELECTOR": _text("spec", "selector")},
    ),
    "Profile": KindColumns(
        ("NAME",), ("NAME", "LABELS"), {"NAME": _NAME, "LABELS": _joined("spec", "labelsToApply")},
    ),
    "NetworkSet": KindColumns(
        ("NAME",), ("NAME", "NETS"),
        {"NAMESPACE": _NAMESPACE, "NAME": _NAME, "NETS": _joined("spec", "nets", max_len=80)},
    ),
    "GlobalNetworkSet": KindColumns(
        ("NAME",), ("NAME", "NETS"), {"NAME": _NAME, "NETS": _joined("spec", "nets", max_len=80)},
    ),
    "IPReservation": KindColumns(
        ("NAME",), ("NAME", "CIDRS"), {"NAME": _NAME, "CIDRS": _joined("spec", "reservedCIDRs", max_len=80)},
    ),
    "Tier": KindColumns(("NAME", "ORDER"), ("NAME", "ORDER"), {"NAME": _NAME, "ORDER": _order}),
}

CLI_KINDS: tuple[str, ...] = tuple(KIND_COLUMNS)


class UnknownHeading(ValueError):
    """``-o custom-columns`` named a heading the kind does not have (calicoctl's wording)."""

    def __init__(self, heading: str, valid: list[str]):
        super().__init__(f"Unknown heading {heading}, valid values are: {', '.join(valid)}")


def headings_for(kind: str, wide: bool, print_namespace: bool, custom: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The headings calicoctl prints for ``kind`` (custom-columns never gets NAMESPACE prepended)."""
    columns = KIND_COLUMNS[kind]
    if custom is not None:
        for heading in custom:
            if heading not in columns.cells:
                raise UnknownHeading(heading, list(columns.cells))
        return custom
    headings = columns.wide if wide else columns.ps
    if print_namespace and "NAMESPACE" in columns.cells:
        headings = ("NAMESPACE", *headings)
    return headings


def table(kind: str, items: list[Mapping[str, Any]], headings: tuple[str, ...], ctx: CellContext) -> str:
    """One calicoctl table (header + one row per item) followed by the blank line."""
    cells = KIND_COLUMNS[kind].cells
    rows = [list(headings)] + [[cells[h](item, ctx) for h in headings] for item in items]
    return tabwriter(rows) + "\n"
