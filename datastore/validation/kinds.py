"""Per-kind struct validation (libcalico-go ``validator.Validate``) over v3 JSON documents.

One function per kind appends every error of the document to a Collector, in the order
go-playground reports them: embedded ObjectMeta (``validateObjectMeta``), the spec's field tags
and nested structs in Go field order, the spec's struct-level rule, then any kind-level rule.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from datastore.validation import names
from datastore.validation.bgp import bgpconfiguration, bgpfilter, bgppeer
from datastore.validation.common import (
    GLOBAL_SELECTOR,
    GLOBAL_SELECTOR_ENTITY_RULE,
    check_annotations,
    check_cidr_list,
    check_labels,
    check_name_length,
    check_name_tag,
    check_object_meta,
    check_oneof,
    check_regex_tag,
    check_rules,
    check_selector,
    http_shown,
    meta_of,
    spec_of,
)
from datastore.validation.endpoints import hostendpoint, node, workloadendpoint
from datastore.validation.felix import blockaffinity, caliconodestatus, felixconfiguration, ipamconfiguration
from datastore.validation.fields import ENCAP_MODE_RE, LOG_LEVEL_RE
from datastore.validation.netparse import (
    IPV4_LINK_LOCAL,
    IPV6_LINK_LOCAL,
    is_strict_net,
    networks_overlap,
    parse_cidr_or_ip,
)
from datastore.validation.report import Collector, go_float

Doc = Mapping[str, Any]

DEFAULT_TIER_ORDER = 1_000_000.0
ADMIN_NETWORK_POLICY_TIER_ORDER = 1_000.0


# --- IPPool -----------------------------------------------------------------------------------


def ippool(c: Collector, doc: Doc) -> None:
    """IPPool: tags ``net``, ``vxlanMode``, ``ipIpMode``, ``selector``, deprecated fields, then validateIPPoolSpec.

    The deprecated ``ipip`` struct's ``mustBeNil`` tag is never run by go-playground v9 (tags on
    struct-typed fields are skipped); its ``mode`` field's ``ipIpMode`` tag is, so v1 modes fail.
    """
    check_object_meta(c, meta_of(doc))
    spec = spec_of(doc)
    cidr = spec.get("cidr", "")
    if not is_strict_net(cidr):
        c.tag("CIDR", cidr, "net")
    check_regex_tag(c, "VXLANMode", spec.get("vxlanMode"), ENCAP_MODE_RE, "vxlanMode")
    check_regex_tag(c, "IPIPMode", spec.get("ipipMode"), ENCAP_MODE_RE, "ipIpMode")
    check_selector(c, "NodeSelector", spec.get("nodeSelector"))
    check_selector(c, "NamespaceSelector", spec.get("namespaceSelector"))
    ipip = spec.get("ipip")
    if ipip is not None and not ENCAP_MODE_RE.fullmatch(ipip.get("mode", "")):
        c.tag("Mode", ipip.get("mode", ""), "ipIpMode")
    if spec.get("nat-outgoing"):
        c.tag("NATOutgoingV1", True, "mustBeFalse")
    _ippool_spec_struct(c, spec)


def _ippool_spec_struct(c: Collector, spec: Doc) -> None:
    text = spec.get("cidr", "")
    if text == "":
        c.add("IPpool.CIDR", "", "IPPool CIDR must be specified")
    try:
        parsed = parse_cidr_or_ip(text)
    except ValueError:
        c.add("IPpool.CIDR", text, "IPPool CIDR must be a valid subnet")
        return
    network = parsed.network
    cidr = str(network)
    ipip_mode = spec.get("ipipMode", "")
    if network.version == 6 and ipip_mode != "Never":
        c.add("IPpool.IPIPMode", ipip_mode, "IPIPMode other than 'Never' is not supported on an IPv6 IP pool")
    encapsulating = ("Always", "CrossSubnet")
    if ipip_mode in encapsulating and spec.get("vxlanMode", "") in encapsulating:
        c.add("IPpool.IPIPMode", ipip_mode, "IPIPMode and VXLANMode cannot both be enabled on the same IP pool")
    block_size = spec.get("blockSize") or (26 if parsed.ip.version == 4 else 122)
    if not spec.get("disabled") and network.prefixlen > block_size:
        c.add("IPpool.CIDR", cidr,
              "IP pool size is too small for use with Calico IPAM. It must be equal to or greater than the block size.")
    if not parsed.strictly_masked:
        c.add("IPpool.CIDR", cidr, "IP pool CIDR is not strictly masked")
    if network.version == 4 and networks_overlap(network, IPV4_LINK_LOCAL):
        c.add("IPpool.CIDR", cidr, "IP pool range overlaps with IPv4 Link Local range 169.254.0.0/16")
    if network.version == 6 and networks_overlap(network, IPV6_LINK_LOCAL):
        c.add("IPpool.CIDR", cidr, "IP pool range overlaps with IPv6 Link Local range fe80::/10")
    uses = list(spec.get("allowedUses") or [])
    for use in uses:
        if use not in ("Workload", "Tunnel"):
            c.add("IPpool.AllowedUses", uses, "unknown use: " + str(use))


# --- IPReservation, NetworkSet, GlobalNetworkSet --------------------------------------------------


def ipreservation(c: Collector, doc: Doc) -> None:
    """IPReservation: ``reservedCIDRs`` items must be CIDRs or IPs."""
    check_object_meta(c, meta_of(doc))
    check_cidr_list(c, "ReservedCIDRs", spec_of(doc).get("reservedCIDRs"))


def _networkset_namespace_label(c: Collector, doc: Doc) -> None:
    for key in (meta_of(doc).get("labels") or {}):
        if key == "projectcalico.org/namespace":
            c.add("Metadata.Labels (label)", key, "projectcalico.org/namespace is not a valid label name")


def networkset(c: Collector, doc: Doc) -> None:
    """NetworkSet / GlobalNetworkSet: ``nets`` items CIDRs; no ``projectcalico.org/namespace`` label."""
    check_object_meta(c, meta_of(doc))
    check_cidr_list(c, "Nets", spec_of(doc).get("nets"))
    _networkset_namespace_label(c, doc)


# --- Policy -------------------------------------------------------------------------------------


def _check_policy_name(c: Collector, doc: Doc, regex: re.Pattern) -> None:
    metadata = meta_of(doc)
    name = metadata.get("name", "")
    check_name_length(c, name, names.DNS1123_SUBDOMAIN_MAX_LENGTH)
    if not regex.fullmatch(name):
        c.add("Metadata.Name", name, names.LABEL_NAME_REASON)
    check_annotations(c, metadata.get("annotations"))
    check_labels(c, metadata.get("labels"))


def _check_policy_spec_tags(c: Collector, spec: Doc, global_policy: bool) -> None:
    check_name_tag(c, "Tier", spec.get("tier"))
    check_rules(c, spec.get("ingress"))
    check_rules(c, spec.get("egress"))
    check_selector(c, "Selector", spec.get("selector"), required=True)
    for i, policy_type in enumerate(spec.get("types") or []):
        if policy_type not in ("Ingress", "Egress"):
            c.tag(f"Types[{i}]", policy_type, "policyType")
    check_selector(c, "ServiceAccountSelector", spec.get("serviceAccountSelector"))
    if global_policy:
        check_selector(c, "NamespaceSelector", spec.get("namespaceSelector"))
    hints = list(spec.get("performanceHints") or [])
    if len(set(hints)) != len(hints):
        c.tag("PerformanceHints", hints, "unique")
    else:
        for i, hint in enumerate(hints):
            if hint != "AssumeNeededOnEveryNode":
                c.tag(f"PerformanceHints[{i}]", hint, "oneof")


def _check_duplicate_types(c: Collector, spec: Doc, field: str) -> None:
    seen: set[str] = set()
    types = list(spec.get("types") or [])
    for policy_type in types:
        if policy_type in seen:
            c.add(field, types, f"'{policy_type}' type specified more than once")
        seen.add(policy_type)


def _services_shown(services: Doc) -> str:
    return "&{" + services.get("name", "") + " " + services.get("namespace", "") + "}"


def _check_rule_directions(c: Collector, spec: Doc, egress_alp_reason: str) -> None:
    for rule in spec.get("egress") or []:
        services = (rule.get("source") or {}).get("services")
        if services is not None:
            c.add("Services", _services_shown(services), "not allowed in egress rule source")
        if rule.get("http") is not None:
            c.add("HTTP", http_shown(rule["http"]), egress_alp_reason)
    for rule in spec.get("ingress") or []:
        services = (rule.get("destination") or {}).get("services")
        if services is not None:
            c.add("Services", _services_shown(services), "not allowed in ingress rule destination")


def networkpolicy(c: Collector, doc: Doc) -> None:
    """NetworkPolicy: ObjectMeta, spec tags and rules, then validateNetworkPolicy (name, types, globals)."""
    check_object_meta(c, meta_of(doc))
    spec = spec_of(doc)
    _check_policy_spec_tags(c, spec, global_policy=False)
    _check_duplicate_types(c, spec, "NetworkPolicySpec.Types")
    _check_policy_name(c, doc, names.NETWORK_POLICY_NAME_RE)
    _check_rule_directions(c, spec, "not allowed in egress rule")
    for field, key in (("NetworkPolicySpec.Selector", "selector"),
                       ("NetworkPolicySpec.ServiceAccountSelector", "serviceAccountSelector")):
        value = spec.get(key, "")
        if GLOBAL_SELECTOR in value:
            c.add(field, value, GLOBAL_SELECTOR_ENTITY_RULE)


def globalnetworkpolicy(c: Collector, doc: Doc) -> None:
    """GlobalNetworkPolicy: as NetworkPolicy plus doNotTrack/preDNAT/applyOnForward rules."""
    check_object_meta(c, meta_of(doc))
    spec = spec_of(doc)
    _check_policy_spec_tags(c, spec, global_policy=True)
    _check_policy_name(c, doc, names.GLOBAL_NETWORK_POLICY_NAME_RE)
    do_not_track, pre_dnat = bool(spec.get("doNotTrack")), bool(spec.get("preDNAT"))
    if do_not_track and pre_dnat:
        c.add("PolicySpec.PreDNAT", True, "PreDNAT and DoNotTrack cannot both be true, for a given PolicySpec")
    if pre_dnat and spec.get("egress"):
        c.add("PolicySpec.Egress", list(spec["egress"]), "PreDNAT PolicySpec cannot have any Egress rules")
    if pre_dnat:
        for policy_type in spec.get("types") or []:
            if policy_type == "Egress":
                c.add("PolicySpec.Types", list(spec["types"]), "PreDNAT PolicySpec cannot have 'egress' Type")
    if not spec.get("applyOnForward") and (do_not_track or pre_dnat):
        c.add("PolicySpec.ApplyOnForward", False,
              "ApplyOnForward must be true if either PreDNAT or DoNotTrack is true, for a given PolicySpec")
    _check_duplicate_types(c, spec, "GlobalNetworkPolicySpec.Types")
    _check_rule_directions(c, spec, "not allowed in egress rules")
    for rule in spec.get("egress") or []:
        services = (rule.get("destination") or {}).get("services")
        if services is not None and not services.get("namespace"):
            c.add("Namespace", "", "must specify a namespace")
    for rule in spec.get("ingress") or []:
        services = (rule.get("source") or {}).get("services")
        if services is not None and not services.get("namespace"):
            c.add("Namespace", "", "must specify a namespace")
    selector_text = spec.get("selector", "")
    for field, key in (("GlobalNetworkPolicySpec.Selector", "selector"),
                       ("GlobalNetworkPolicySpec.ServiceAccountSelector", "serviceAccountSelector"),
                       ("GlobalNetworkPolicySpec.NamespaceSelector", "namespaceSelector")):
        if GLOBAL_SELECTOR in spec.get(key, ""):
            shown = spec.get(key, "") if key == "selector" else selector_text
            c.add(field, shown, GLOBAL_SELECTOR_ENTITY_RULE)


def profile(c: Collector, doc: Doc) -> None:
    """Profile: rules and ``labelsToApply`` (tag ``labels``)."""
    check_object_meta(c, meta_of(doc))
    spec = spec_of(doc)
    check_rules(c, spec.get("ingress"))
    check_rules(c, spec.get("egress"))
    labels = spec.get("labelsToApply")
    if labels and not names.labels_are_valid(labels):
        c.tag("LabelsToApply", dict(labels), "labels")


def tier(c: Collector, doc: Doc) -> None:
    """Tier: ObjectMeta, ``defaultAction``, then validateTier (label-form name ≤ 63, fixed orders)."""
    metadata = meta_of(doc)
    check_object_meta(c, metadata)
    spec = spec_of(doc)
    check_oneof(c, "DefaultAction", spec.get("defaultAction"), ("Deny", "Pass"))
    name = metadata.get("name", "")
    check_name_length(c, name, names.DNS1123_LABEL_MAX_LENGTH)
    if not names.TIER_NAME_RE.fullmatch(name):
        c.add("Metadata.Name", name, names.LABEL_NAME_REASON)
    order = spec.get("order")
    for fixed_name, fixed_order in (("default", DEFAULT_TIER_ORDER),
                                    ("adminnetworkpolicy", ADMIN_NETWORK_POLICY_TIER_ORDER)):
        if name == fixed_name and (order is None or float(order) != fixed_order):
            c.add("TierSpec.Order", float(order) if order is not None else "<nil>",
                  f"{fixed_name} tier order must be {go_float(fixed_order)}")
    check_annotations(c, metadata.get("annotations"))
    check_labels(c, metadata.get("labels"))


# --- Configuration kinds ------------------------------------------------------------------------


def _check_int_range(c: Collector, field: str, value: int | None, low: int, high: int) -> None:
    if value is None:
        return
    if value < low:
        c.tag(field, value, "gte")
    elif value > high:
        c.tag(field, value, "lte")


def kubecontrollersconfiguration(c: Collector, doc: Doc) -> None:
    """KubeControllersConfiguration: log level, Enabled/Disabled switches, port ranges."""
    check_object_meta(c, meta_of(doc))
    spec = spec_of(doc)
    check_regex_tag(c, "LogSeverityScreen", spec.get("logSeverityScreen"), LOG_LEVEL_RE, "logLevel")
    check_oneof(c, "HealthChecks", spec.get("healthChecks"), ("Enabled", "Disabled"))
    node_controller = (spec.get("controllers") or {}).get("node") or {}
    check_oneof(c, "SyncLabels", node_controller.get("syncLabels"), ("Enabled", "Disabled"))
    host_endpoint = node_controller.get("hostEndpoint") or {}
    check_oneof(c, "AutoCreate", host_endpoint.get("autoCreate"), ("Enabled", "Disabled"))
    _check_int_range(c, "PrometheusMetricsPort", spec.get("prometheusMetricsPort"), 0, 65535)
    _check_int_range(c, "DebugProfilePort", spec.get("debugProfilePort"), 0, 65535)


def metadata_only(c: Collector, doc: Doc) -> None:
    """Kinds whose spec carries no validation tags (ClusterInformation)."""
    check_object_meta(c, meta_of(doc))


KIND_VALIDATORS: dict[str, Callable[[Collector, Doc], None]] = {
    "BGPConfiguration": bgpconfiguration,
    "BGPFilter": bgpfilter,
    "BGPPeer": bgppeer,
    "BlockAffinity": blockaffinity,
    "CalicoNodeStatus": caliconodestatus,
    "ClusterInformation": metadata_only,
    "FelixConfiguration": felixconfiguration,
    "GlobalNetworkPolicy": globalnetworkpolicy,
    "GlobalNetworkSet": networkset,
    "HostEndpoint": hostendpoint,
    "IPAMConfiguration": ipamconfiguration,
    "IPPool": ippool,
    "IPReservation": ipreservation,
    "KubeControllersConfiguration": kubecontrollersconfiguration,
    "NetworkPolicy": networkpolicy,
    "NetworkSet": networkset,
    "Node": node,
    "Profile": profile,
    "Tier": tier,
    "WorkloadEndpoint": workloadendpoint,
}
