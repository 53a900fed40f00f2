"""FelixConfiguration and the small IPAM/status kinds: libcalico-go field tags and struct rules.

FelixConfiguration's ~150 keys are mostly untagged; the tagged ones are listed in Go field
order in ``_FELIX_TAGS`` as (JSON key, Go field, check) so the report order matches Calico's.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from datastore.validation import names
from datastore.validation.common import check_object_meta, check_port
from datastore.validation.fields import INTERFACE_RE, IFACE_FILTER_RE, LOG_LEVEL_RE, PROMETHEUS_HOST_RE, parse_port
from datastore.validation.netparse import is_cidr, parse_cidr_or_ip, parse_ip
from datastore.validation.report import Collector

Doc = Mapping[str, Any]

_KV_ITEM_RE = re.compile(r"[\t\n\f\r ]*(\w+)=(.*)", re.ASCII)
_HEALTH_OVERRIDE_NAME = "^[a-zA-Z0-9_ -]+$"
_ROUTE_TABLE_MAX_LINUX = 0xFFFFFFFF
_ROUTE_TABLE_RANGE_MAX_TABLES = 0xFFFF
_OPENSTACK_REGION_MAX = names.DNS1123_LABEL_MAX_LENGTH - len("openstack-region-")


def _regex_compiles(value: str) -> bool:
    try:
        re.compile(value)
    except re.error:
        return False
    return True


def _key_value_list(value: str) -> bool:
    if not value.strip():
        return True
    return all(not item or _KV_ITEM_RE.fullmatch(item) for item in value.split(","))


def _enum(*allowed: str) -> Callable[[Any], bool]:
    return lambda value: value in allowed


def _int_range(low: int | None = None, high: int | None = None, gt: int | None = None,
               lt: int | None = None) -> Callable[[Any], str | None]:
    def check(value: int) -> str | None:
        if gt is not None and value <= gt:
            return "gt"
        if low is not None and value < low:
            return "gte"
        if lt is not None and value >= lt:
            return "lt"
        if high is not None and value > high:
            return "lte"
        return None
    return check


def _matches(regex: re.Pattern) -> Callable[[Any], bool]:
    return lambda value: regex.fullmatch(value) is not None


# (json key, Go field, tag, predicate): predicate returns True when valid.
_STRING_TAGS: list[tuple[str, str, str, Callable[[Any], bool]]] = [
    ("featureDetectOverride", "FeatureDetectOverride", "keyValueList", _key_value_list),
    ("featureGates", "FeatureGates", "keyValueList", _key_value_list),
    ("iptablesBackend", "IptablesBackend", "iptablesBackend", _enum("", "Auto", "NFT", "Legacy")),
    ("defaultEndpointToHostAction", "DefaultEndpointToHostAction", "dropAcceptReturn", _enum("Drop", "Accept", "Return")),
    ("iptablesFilterAllowAction", "IptablesFilterAllowAction", "acceptReturn", _enum("Accept", "Return")),
    ("iptablesMangleAllowAction", "IptablesMangleAllowAction", "acceptReturn", _enum("Accept", "Return")),
    ("iptablesFilterDenyAction", "IptablesFilterDenyAction", "dropReject", _enum("Drop", "Reject")),
    ("logSeverityFile", "LogSeverityFile", "logLevel", _matches(LOG_LEVEL_RE)),
    ("logSeverityScreen", "LogSeverityScreen", "logLevel", _matches(LOG_LEVEL_RE)),
    ("logSeveritySys", "LogSeveritySys", "logLevel", _matches(LOG_LEVEL_RE)),
    ("logDebugFilenameRegex", "LogDebugFilenameRegex", "regexp", _regex_compiles),
]
_STRING_TAGS_2: list[tuple[str, str, str, Callable[[Any], bool]]] = [
    ("prometheusMetricsHost", "PrometheusMetricsHost", "prometheusHost", _matches(PROMETHEUS_HOST_RE)),
]
_STRING_TAGS_3: list[tuple[str, str, str, Callable[[Any], bool]]] = [
    ("iptablesNATOutgoingInterfaceFilter", "IptablesNATOutgoingInterfaceFilter", "ifaceFilter",
     _matches(IFACE_FILTER_RE)),
    ("nftablesFilterAllowAction", "NftablesFilterAllowAction", "acceptReturn", _enum("Accept", "Return")),
    ("nftablesMangleAllowAction", "NftablesMangleAllowAction", "acceptReturn", _enum("Accept", "Return")),
    ("nftablesFilterDenyAction", "NftablesFilterDenyAction", "dropReject", _enum("Drop", "Reject")),
    ("bpfLogLevel", "BPFLogLevel", "bpfLogLevel", _enum("Debug", "Info", "Off")),
    ("bpfConntrackLogLevel", "BPFConntrackLogLevel", "oneof", _enum("Off", "Debug")),
    ("bpfConntrackMode", "BPFConntrackCleanupMode", "oneof", _enum("Auto", "Userspace", "BPFProgram")),
    ("bpfLogFilters", "BPFLogFilters", "bpfLogFilters",
     lambda value: all(INTERFACE_RE.fullmatch(k) for k in value)),
    ("bpfDataIfacePattern", "BPFDataIfacePattern", "regexp", _regex_compiles),
    ("bpfL3IfacePattern", "BPFL3IfacePattern", "regexp", _regex_compiles),
    ("bpfConnectTimeLoadBalancing", "BPFConnectTimeLoadBalancing", "oneof", _enum("TCP", "Enabled", "Disabled")),
    ("bpfHostNetworkedNATWithoutCTLB", "BPFHostNetworkedNATWithoutCTLB", "oneof", _enum("Enabled", "Disabled")),
    ("bpfExternalServiceMode", "BPFExternalServiceMode", "bpfServiceMode", _enum("Tunnel", "DSR")),
    ("bpfDSROptoutCIDRs", "BPFDSROptoutCIDRs", "cidrs", lambda value: all(is_cidr(v) for v in value)),
]
_STRING_TAGS_4: list[tuple[str, str, str, Callable[[Any], bool]]] = [
    ("bpfForceTrackPacketsFromIfaces", "BPFForceTrackPacketsFromIfaces", "ifaceFilterSlice",
     lambda value: all(IFACE_FILTER_RE.fullmatch(v) for v in value)),
    ("bpfDisableGROForIfaces", "BPFDisableGROForIfaces", "regexp", _regex_compiles),
    ("bpfExcludeCIDRsFromNAT", "BPFExcludeCIDRsFromNAT", "cidrs", lambda value: all(is_cidr(v) for v in value)),
    ("routeSource", "RouteSource", "routeSource", _regex_compiles),
]
_STRING_TAGS_5: list[tuple[str, str, str, Callable[[Any], bool]]] = [
    ("wireguardInterfaceName", "WireguardInterfaceName", "interface",
     lambda value: value == "*" or INTERFACE_RE.fullmatch(value) is not None),
    ("wireguardInterfaceNameV6", "WireguardInterfaceNameV6", "interface",
     lambda value: value == "*" or INTERFACE_RE.fullmatch(value) is not None),
    ("awsSrcDstCheck", "AWSSrcDstCheck", "oneof", _enum("DoNothing", "Enable", "Disable")),
    ("serviceLoopPrevention", "ServiceLoopPrevention", "oneof", _enum("Drop", "Reject", "Disabled")),
    ("workloadSourceSpoofing", "WorkloadSourceSpoofing", "oneof", _enum("Disabled", "Any")),
    ("mtuIfacePattern", "MTUIfacePattern", "regexp", _regex_compiles),
    ("windowsManageFirewallRules", "WindowsManageFirewallRules", "oneof", _enum("Enabled", "Disabled")),
]
_INT_TAGS_BPF = [
    ("bpfExtToServiceConnmark", "BPFExtToServiceConnmark", _int_range(0, 4294967295)),
    ("bpfMapSizeConntrackCleanupQueue", "BPFMapSizeConntrackCleanupQueue", _int_range(low=1)),
]
_INT_TAGS_WIREGUARD = [
    ("wireguardListeningPort", "WireguardListeningPort", _int_range(gt=0, high=65535)),
    ("wireguardListeningPortV6", "WireguardListeningPortV6", _int_range(gt=0, high=65535)),
    ("wireguardRoutingRulePriority", "WireguardRoutingRulePriority", _int_range(gt=0, lt=32766)),
]
_INT_TAGS_GO = [
    ("goGCThreshold", "GoGCThreshold", _int_range(low=-1)),
    ("goMemoryLimitMB", "GoMemoryLimitMB", _int_range(low=-1)),
    ("goMaxProcs", "GoMaxProcs", _int_range(low=-1)),
]


def _string_tags(c: Collector, spec: Doc, table: list[tuple[str, str, str, Callable[[Any], bool]]]) -> None:
    for key, field, tag, valid in table:
        value = spec.get(key)
        if value in (None, "", [], {}):
            continue
        if not valid(value):
            c.tag(field, value, tag)


def _int_tags(c: Collector, spec: Doc, table: list[tuple[str, str, Callable[[int], str | None]]]) -> None:
    for key, field, check in table:
        value = spec.get(key)
        if value is None:
            continue
        failed = check(value)
        if failed:
            c.tag(field, value, failed)


def _is_negative_duration(value: object) -> bool:
    return isinstance(value, str) and value.startswith("-") or isinstance(value, (int, float)) and value < 0


def _health_overrides(c: Collector, overrides: list[Doc] | None) -> None:
    for override in overrides or []:
        name, timeout = override.get("name", ""), override.get("timeout", "0s")
        shown = "{" + f"{name} {timeout}" + "}"
        if not re.fullmatch("[a-zA-Z0-9_ -]+", name):
            c.add("HealthTimeoutOverride.Name", shown, "name should match regex " + _HEALTH_OVERRIDE_NAME)
        if _is_negative_duration(timeout):
            c.add("HealthTimeoutOverride.Timeout", shown, "Timeout should not be negative")


def _route_table_ranges(c: Collector, spec: Doc) -> None:
    for item in spec.get("routeTableRanges") or []:
        low, high = item.get("min", 0), item.get("max", 0)
        shown = f"{{{low} {high}}}"
        if low > high:
            c.add("RouteTableRange", shown, "min value cannot be greater than max value")
        if low <= 0:
            c.add("RouteTableRange", shown, "cannot target indices < 1")
        if high > _ROUTE_TABLE_MAX_LINUX:
            c.add("RouteTableRange", shown, "max index too high")
    single = spec.get("routeTableRange")
    if single is not None:
        low, high = single.get("min", 0), single.get("max", 0)
        if not (low >= 1 and high >= low and high <= 250):
            c.add("RouteTableRange", f"{{{low} {high}}}", "must be a range of route table indices within 1..250")


def felixconfiguration(c: Collector, doc: Doc) -> None:
    """FelixConfiguration: tagged fields in Go order, nested ranges, then validateFelixConfigSpec."""
    check_object_meta(c, doc.get("metadata") or {})
    spec = doc.get("spec") or {}
    _string_tags(c, spec, _STRING_TAGS)
    _health_overrides(c, spec.get("healthTimeoutOverrides"))
    _string_tags(c, spec, _STRING_TAGS_2)
    node_port_ranges = spec.get("kubeNodePortRanges")
    for port in node_port_ranges or []:
        check_port(c, port)
    _string_tags(c, spec, [("natOutgoingExclusions", "NATOutgoingExclusions", "oneof",
                            _enum("IPPoolsOnly", "IPPoolsAndHostIPs"))])
    _int_tags(c, spec, [("debugPort", "DebugPort", _int_range(0, 65535))])
    _string_tags(c, spec, _STRING_TAGS_3)
    _int_tags(c, spec, _INT_TAGS_BPF)
    _string_tags(c, spec, _STRING_TAGS_4)
    _route_table_ranges(c, spec)
    _int_tags(c, spec, _INT_TAGS_WIREGUARD)
    _string_tags(c, spec, _STRING_TAGS_5)
    _int_tags(c, spec, _INT_TAGS_GO)
    _felix_spec_struct(c, spec)


def _felix_spec_struct(c: Collector, spec: Doc) -> None:
    ranges = spec.get("kubeNodePortRanges")
    if ranges is not None:
        shown = [str(parse_port(p)) for p in ranges]
        if len(ranges) > 7:
            c.add("KubeNodePortRanges", shown, "node port ranges list is too long (max 7)")
        for port in ranges:
            if parse_port(port).name:
                c.add("KubeNodePortRanges", shown, "node port ranges should not contain named ports")
    for cidr in spec.get("externalNodesList") or []:
        try:
            version = parse_cidr_or_ip(cidr).ip.version
        except ValueError:
            c.add("ExternalNodesCIDRList", cidr, "has invalid CIDR(s)")
            continue
        if version != 4:
            c.add("ExternalNodesCIDRList", cidr, "has invalid IPv6 CIDR")
    region = spec.get("openstackRegion", "")
    if len(region) > _OPENSTACK_REGION_MAX:
        c.add("OpenstackRegion", region, "is too long")
    elif region and names.dns1123_label_errors(region):
        c.add("OpenstackRegion", region, "must be a valid DNS label")
    for key, field, version in (("natOutgoingAddress", "NATOutgoingAddress", 4),
                                ("deviceRouteSourceAddress", "DeviceRouteSourceAddress", 4),
                                ("deviceRouteSourceAddressIPv6", "DeviceRouteSourceAddressIPv6", 6)):
        value = spec.get(key, "")
        if value:
            ip = parse_ip(value)
            if ip is None or ip.version != version:
                c.add(field, value, f"is not a valid IPv{version} address")
    if spec.get("routeTableRange") is not None and spec.get("routeTableRanges") is not None:
        single = spec["routeTableRange"]
        c.add("RouteTableRange", f"&{{{single.get('min', 0)} {single.get('max', 0)}}}",
              "cannot be set when `RouteTableRanges` is also set")
    tables = sum(r.get("max", 0) - r.get("min", 0) + 1 for r in spec.get("routeTableRanges") or [])
    if tables > _ROUTE_TABLE_RANGE_MAX_TABLES:
        shown = "[" + " ".join(f"{{{r.get('min', 0)} {r.get('max', 0)}}}" for r in spec["routeTableRanges"]) + "]"
        c.add("RouteTableRanges", shown, "targets too many tables")


def ipamconfiguration(c: Collector, doc: Doc) -> None:
    """IPAMConfiguration: ``maxBlocksPerHost`` must not be negative."""
    check_object_meta(c, doc.get("metadata") or {})
    value = (doc.get("spec") or {}).get("maxBlocksPerHost")
    if value is not None and value < 0:
        c.add("MaxBlocksPerHost", value, "must be greater than or equal to 0")


def blockaffinity(c: Collector, doc: Doc) -> None:
    """BlockAffinity: ``deleted`` may not be set to ``"true"`` through the API."""
    check_object_meta(c, doc.get("metadata") or {})
    spec = doc.get("spec") or {}
    deleted = spec.get("deleted")
    if deleted is True or deleted == "true":
        shown = "{" + " ".join(str(spec.get(k, "")) for k in ("state", "node", "cidr")) + " true}"
        c.add("Spec.Deleted", shown, 'spec.Deleted cannot be set to "true"')


def caliconodestatus(c: Collector, doc: Doc) -> None:
    """CalicoNodeStatus: node name tag and ``classes`` in Agent/BGP/Routes."""
    check_object_meta(c, doc.get("metadata") or {})
    spec = doc.get("spec") or {}
    node = spec.get("node", "")
    if node and not names.is_valid_name(node):
        c.tag("Node", node, "name")
    for i, cls in enumerate(spec.get("classes") or []):
        if cls not in ("Agent", "BGP", "Routes"):
            c.tag(f"Classes[{i}]", cls, "oneof")
