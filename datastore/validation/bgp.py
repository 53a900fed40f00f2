"""BGP kinds: BGPPeer, BGPConfiguration (struct rules and default-only fields) and BGPFilter."""
from __future__ import annotations

import re
from typing import Any, Mapping

from datastore.validation import names
from datastore.validation.common import (
    check_name_tag,
    check_object_meta,
    check_oneof,
    check_regex_tag,
    check_selector,
    meta_of,
    spec_of,
)
from datastore.validation.fields import (
    BGP_FILTER_INTERFACE_RE,
    BGP_FILTER_PREFIX_V4_RE,
    BGP_FILTER_PREFIX_V6_RE,
    FILTER_ACTION_RE,
    IGNORED_INTERFACE_RE,
    LOG_LEVEL_RE,
    MATCH_OPERATOR_RE,
    SOURCE_ADDRESS_RE,
    community_errors,
    ip_port_split,
)
from datastore.validation.netparse import is_strict_net, parse_cidr_or_ip, parse_ip
from datastore.validation.report import Collector

Doc = Mapping[str, Any]


def bgppeer(c: Collector, doc: Doc) -> None:
    """BGPPeer: tags (``name``, ``selector``, ``IP:port``, ``sourceAddress``, ``reachableBy``) then exclusivity rules."""
    check_object_meta(c, meta_of(doc))
    spec = spec_of(doc)
    check_name_tag(c, "Node", spec.get("node"))
    check_selector(c, "NodeSelector", spec.get("nodeSelector"))
    peer_ip = spec.get("peerIP", "")
    if peer_ip and ip_port_split(peer_ip) is None:
        c.tag("PeerIP", peer_ip, "IP:port")
    check_selector(c, "PeerSelector", spec.get("peerSelector"))
    check_regex_tag(c, "SourceAddress", spec.get("sourceAddress"), SOURCE_ADDRESS_RE, "sourceAddress")
    reachable_by = spec.get("reachableBy", "")
    if reachable_by and parse_ip(reachable_by) is None:
        c.tag("ReachableBy", reachable_by, "reachableBy")
    for i, name in enumerate(spec.get("filters") or []):
        if not names.is_valid_name(name):
            c.tag(f"Filters[{i}]", name, "name")
    _bgppeer_spec_struct(c, spec)


def _bgppeer_spec_struct(c: Collector, spec: Doc) -> None:
    node, node_selector = spec.get("node", ""), spec.get("nodeSelector", "")
    peer_ip, peer_selector = spec.get("peerIP", ""), spec.get("peerSelector", "")
    asn = spec.get("asNumber") or 0
    if node and node_selector:
        c.add("Node", node, "Node field must be empty when NodeSelector is specified")
    if peer_ip and peer_selector:
        c.add("PeerIP", peer_ip, "PeerIP field must be empty when PeerSelector is specified")
    if asn and peer_selector:
        c.add("ASNumber", asn, "ASNumber field must be empty when PeerSelector is specified")
    reason = reachable_by_error(spec.get("reachableBy", ""), peer_ip)
    if reason:
        c.add("ReachableBy", spec.get("reachableBy", ""), reason)


def reachable_by_error(reachable_by: str, peer_ip: str) -> str | None:
    """libcalico-go ``validateReachableBy``: the reason, or None when consistent."""
    if not reachable_by:
        return None
    if not peer_ip:
        return "ReachablyBy field must be empty when PeerIP is empty"
    gateway = parse_ip(reachable_by)
    if gateway is None:
        return "ReachableBy is invalid address"
    split = ip_port_split(peer_ip)
    if split is None:
        return "PeerIP is invalid address"
    peer = parse_ip(split[0])
    if peer is None:
        return "PeerIP is invalid IP address"
    if gateway.version != peer.version:
        return "ReachableBy and PeerIP address family mismatched"
    return None


def bgpconfiguration(c: Collector, doc: Doc) -> None:
    """BGPConfiguration field tags and ``validateBGPConfigurationSpec`` (default-only fields: see ``bgpconfiguration_default_only``)."""
    check_object_meta(c, meta_of(doc))
    spec = spec_of(doc)
    check_regex_tag(c, "LogSeverityScreen", spec.get("logSeverityScreen"), LOG_LEVEL_RE, "logLevel")
    for key in ("serviceLoadBalancerIPs", "serviceExternalIPs", "serviceClusterIPs"):
        for block in spec.get(key) or []:
            cidr = block.get("cidr", "")
            if cidr and not is_strict_net(cidr):
                c.tag("CIDR", cidr, "net")
    for community in spec.get("communities") or []:
        name = community.get("name", "")
        if not name:
            c.tag("Name", name, "required")
        elif not names.is_valid_name(name):
            c.tag("Name", name, "name")
        if not community.get("value"):
            c.tag("Value", community.get("value", ""), "required")
    for advertisement in spec.get("prefixAdvertisements") or []:
        cidr = advertisement.get("cidr", "")
        if not cidr:
            c.tag("CIDR", cidr, "required")
        elif not is_strict_net(cidr):
            c.tag("CIDR", cidr, "net")
        if advertisement.get("communities") is None:
            c.tag("Communities", [], "required")
    listen_port = spec.get("listenPort")
    if listen_port is not None and listen_port < 1:
        c.tag("ListenPort", listen_port, "gt")
    check_oneof(c, "BindMode", spec.get("bindMode"), ("None", "NodeIP"))
    for i, iface in enumerate(spec.get("ignoredInterfaces") or []):
        if iface == "*" or not IGNORED_INTERFACE_RE.fullmatch(iface):
            c.tag(f"IgnoredInterfaces[{i}]", iface, "ignoredInterface")
    _bgpconfig_spec_struct(c, spec)


def _bgpconfig_spec_struct(c: Collector, spec: Doc) -> None:
    communities = spec.get("communities") or []
    for community in communities:
        value = community.get("value", "")
        well_formed, reasons = community_errors(value)
        for reason in reasons:
            c.add("Spec.Communities[].Value", value, reason)
        if not well_formed:
            c.add("Spec.Communities[].Value", value, "invalid community value or format used.")
    advertisements = spec.get("prefixAdvertisements") or []
    if not advertisements and communities:
        shown = ["{" + x.get("name", "") + " " + x.get("value", "") + "}" for x in communities]
        c.add("Spec.Communities[]", shown, "communities are defined but not used in Spec.PrefixAdvertisement[].")
    defined = {x.get("name") for x in communities}
    for advertisement in advertisements:
        cidr = advertisement.get("cidr", "")
        try:
            parse_cidr_or_ip(cidr)
        except ValueError:
            c.add("Spec.PrefixAdvertisement[].CIDR", cidr, "invalid CIDR value.")
        for value in advertisement.get("communities") or []:
            well_formed, reasons = community_errors(value)
            for reason in reasons:
                c.add("Spec.PrefixAdvertisement[].Communities[]", value, reason)
            if not well_formed and value not in defined:
                c.add("Spec.PrefixAdvertisement[].Communities[]", value, "community used is invalid or not defined.")
    mesh_off = spec.get("nodeToNodeMeshEnabled") is False
    shown_spec = dict(spec)
    if spec.get("nodeMeshPassword") is not None and mesh_off:
        c.add("Spec.NodeMeshPassword", shown_spec,
              "spec.NodeMeshPassword cannot be set if spec.NodeToNodeMesh is disabled")
    if spec.get("nodeMeshMaxRestartTime") is not None and mesh_off:
        c.add("Spec.NodeMeshMaxRestartTime", shown_spec,
              "spec.NodeMeshMaxRestartTime cannot be set if spec.NodeToNodeMesh is disabled")


def bgpconfiguration_default_only(c: Collector, doc: Doc) -> None:
    """clientv3 ``ValidateDefaultOnlyFields``: mesh/AS/service IPs only on the ``default`` object."""
    if meta_of(doc).get("name") == "default":
        return
    spec = spec_of(doc)
    if spec.get("nodeToNodeMeshEnabled") is not None:
        c.add("BGPConfiguration.Spec.NodeToNodeMeshEnabled", None,
              "Cannot set nodeToNodeMeshEnabled on a non default BGP Configuration.")
    if spec.get("asNumber") is not None:
        c.add("BGPConfiguration.Spec.ASNumber", None, "Cannot set ASNumber on a non default BGP Configuration.")
    if spec.get("serviceLoadBalancerIPs"):
        c.add("BGPConfiguration.Spec.ServiceLoadBalancerIPs", None,
              "Cannot set ServiceLoadBalancerIPs on a non default BGP Configuration.")
    if spec.get("serviceExternalIPs"):
        c.add("BGPConfiguration.Spec.ServiceExternalIPs", None,
              "Cannot set ServiceExternalIPs on a non default BGP Configuration.")
    if spec.get("serviceClusterIPs"):
        c.add("BGPConfiguration.Spec.ServiceClusterIPs", None,
              "Cannot set ServiceClusterIPs on a non default BGP Configuration.")


def bgpfilter(c: Collector, doc: Doc) -> None:
    """BGPFilter rules: ``cidr`` family nets, prefix lengths, source, interface, operator, action."""
    check_object_meta(c, meta_of(doc))
    spec = spec_of(doc)
    for key, version, prefix_re, tag in (
        ("exportV4", 4, BGP_FILTER_PREFIX_V4_RE, "bgpFilterPrefixLengthV4"),
        ("importV4", 4, BGP_FILTER_PREFIX_V4_RE, "bgpFilterPrefixLengthV4"),
        ("exportV6", 6, BGP_FILTER_PREFIX_V6_RE, "bgpFilterPrefixLengthV6"),
        ("importV6", 6, BGP_FILTER_PREFIX_V6_RE, "bgpFilterPrefixLengthV6"),
    ):
        for rule in spec.get(key) or []:
            _bgpfilter_rule(c, rule, version, prefix_re, tag)


def _bgpfilter_rule(c: Collector, rule: Doc, version: int, prefix_re: re.Pattern, tag: str) -> None:
    cidr = rule.get("cidr", "")
    if cidr and not is_strict_net(cidr, version):
        c.tag("CIDR", cidr, f"netv{version}")
    prefix_length = rule.get("prefixLength")
    for field, key in (("Min", "min"), ("Max", "max")):
        value = (prefix_length or {}).get(key)
        if value is not None and not prefix_re.fullmatch(str(value)):
            c.tag(field, value, tag)
    check_oneof(c, "Source", rule.get("source"), ("RemotePeers",))
    iface = rule.get("interface", "")
    if iface and iface != "*" and not BGP_FILTER_INTERFACE_RE.fullmatch(iface):
        c.tag("Interface", iface, "bgpFilterInterface")
    check_regex_tag(c, "MatchOperator", rule.get("matchOperator"), MATCH_OPERATOR_RE, "matchOperator")
    action = rule.get("action", "")
    if not action:
        c.tag("Action", action, "required")
    elif not FILTER_ACTION_RE.fullmatch(action):
        c.tag("Action", action, "filterAction")
    operator = rule.get("matchOperator", "")
    if cidr and not operator:
        c.add("CIDR", cidr, "MatchOperator cannot be empty when CIDR is not")
    if not cidr and operator:
        c.add("MatchOperator", operator, "CIDR cannot be empty when MatchOperator is not")
    if not cidr and prefix_length is not None:
        shown = "&{" + " ".join(str(prefix_length.get(k, "<nil>")) for k in ("min", "max")) + "}"
        c.add("PrefixLength", shown, "CIDR cannot be empty when PrefixLength is not")


def check_bgppeer_filters(peer: Doc, existing: set[str] | frozenset[str]) -> None:
    """A BGPPeer's ``filters`` must all name stored BGPFilters (``existing``: their names).

    Raises ValidationError ``BGPPeer.Spec.Filters = '[missing ...]' (BGPFilter(s) not found)``.
    """
    missing = [name for name in spec_of(peer).get("filters") or [] if name not in existing]
    if missing:
        c = Collector()
        c.add("BGPPeer.Spec.Filters", missing, "BGPFilter(s) not found")
        c.raise_if_any()
