"""Per-kind struct validation (libcalico-go ``validator.Validate``) over v3 JSON documents.

One function per kind appends every error of the document to a Collector, in the order
go-playground reports them: embedded ObjectMeta (``validateObjectMeta``), the spec's field tags
and nested structs in Go field order, the spec's struct-level rule, then any kind-level rule.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from datastore.validation import names
from datastore.validation.felix import blockaffinity, caliconodestatus, felixconfiguration, ipamconfiguration
from datastore.validation.common import (
    GLOBAL_SELECTOR,
    GLOBAL_SELECTOR_ENTITY_RULE,
    check_annotations,
    http_shown,
    check_labels,
    check_name_length,
    check_name_tag,
    check_object_meta,
    check_protocol,
    check_rules,
    check_selector,
)
from datastore.validation.fields import (
    BGP_FILTER_INTERFACE_RE,
    BGP_FILTER_PREFIX_V4_RE,
    BGP_FILTER_PREFIX_V6_RE,
    ENCAP_MODE_RE,
    FILTER_ACTION_RE,
    IGNORED_INTERFACE_RE,
    IP_TYPE_RE,
    LOG_LEVEL_RE,
    MATCH_OPERATOR_RE,
    SOURCE_ADDRESS_RE,
    community_errors,
    ip_port_split,
    is_interface_name,
    is_mac,
    is_wireguard_key,
    parse_protocol,
)
from datastore.validation.netparse import (
    IPV4_LINK_LOCAL,
    IPV6_LINK_LOCAL,
    is_cidr,
    is_cidr_of_version,
    is_ip_of_version,
    is_strict_net,
    networks_overlap,
    parse_cidr,
    parse_cidr_or_ip,
    parse_ip,
)
from datastore.validation.report import Collector, go_float

Doc = Mapping[str, Any]

DEFAULT_TIER_ORDER = 1_000_000.0
ADMIN_NETWORK_POLICY_TIER_ORDER = 1_000.0


def _spec(doc: Doc) -> Doc:
    return doc.get("spec") or {}


def _meta(doc: Doc) -> Doc:
    return doc.get("metadata") or {}


def _check_regex_tag(c: Collector, field: str, value: str | None, regex: re.Pattern, tag: str) -> None:
    if value and not regex.fullmatch(value):
        c.tag(field, value, tag)


def _check_oneof(c: Collector, field: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value and value not in allowed:
        c.tag(field, value, "oneof")


def _check_ip_tag(c: Collector, field: str, value: str | None, version: int | None, tag: str) -> None:
    if value and not is_ip_of_version(value, version):
        c.tag(field, value, tag)


# --- IPPool -----------------------------------------------------------------------------------


def ippool(c: Collector, doc: Doc) -> None:
    """IPPool: tags ``net``, ``vxlanMode``, ``ipIpMode``, ``selector``, deprecated fields, then validateIPPoolSpec."""
    check_object_meta(c, _meta(doc))
    spec = _spec(doc)
    cidr = spec.get("cidr", "")
    if not is_strict_net(cidr):
        c.tag("CIDR", cidr, "net")
    _check_regex_tag(c, "VXLANMode", spec.get("vxlanMode"), ENCAP_MODE_RE, "vxlanMode")
    _check_regex_tag(c, "IPIPMode", spec.get("ipipMode"), ENCAP_MODE_RE, "ipIpMode")
    check_selector(c, "NodeSelector", spec.get("nodeSelector"))
    check_selector(c, "NamespaceSelector", spec.get("namespaceSelector"))
    if spec.get("ipip") is not None:
        c.tag("IPIP", "&{" + " ".join(_go_fields(spec["ipip"], ("enabled", "mode"))) + "}", "mustBeNil")
    if spec.get("nat-outgoing"):
        c.tag("NATOutgoingV1", True, "mustBeFalse")
    _ippool_spec_struct(c, spec)


def _go_fields(doc: Doc, keys: tuple[str, ...]) -> list[str]:
    out = []
    for key in keys:
        value = doc.get(key)
        if isinstance(value, bool) or value is None:
            out.append("true" if value else "false" if key == "enabled" else "")
        else:
            out.append(str(value))
    return out


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
        c.add("IPpool.IPIPMode", ipip_mode, "IPIP is not supported on an IPv6 IP pool")
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


def _check_cidr_list(c: Collector, go_field: str, values: list[str] | None) -> None:
    for i, value in enumerate(values or []):
        if not is_cidr(value):
            c.tag(f"{go_field}[{i}]", value, "cidr")


def ipreservation(c: Collector, doc: Doc) -> None:
    """IPReservation: ``reservedCIDRs`` items must be CIDRs or IPs."""
    check_object_meta(c, _meta(doc))
    _check_cidr_list(c, "ReservedCIDRs", _spec(doc).get("reservedCIDRs"))


def _networkset_namespace_label(c: Collector, doc: Doc) -> None:
    for key in (_meta(doc).get("labels") or {}):
        if key == "projectcalico.org/namespace":
            c.add("Metadata.Labels (label)", key, "projectcalico.org/namespace is not a valid label name")


def networkset(c: Collector, doc: Doc) -> None:
    """NetworkSet / GlobalNetworkSet: ``nets`` items CIDRs; no ``projectcalico.org/namespace`` label."""
    check_object_meta(c, _meta(doc))
    _check_cidr_list(c, "Nets", _spec(doc).get("nets"))
    _networkset_namespace_label(c, doc)


# --- BGP ----------------------------------------------------------------------------------------


def bgppeer(c: Collector, doc: Doc) -> None:
    """BGPPeer: tags (``name``, ``selector``, ``IP:port``, ``sourceAddress``, ``reachableBy``) then exclusivity rules."""
    check_object_meta(c, _meta(doc))
    spec = _spec(doc)
    check_name_tag(c, "Node", spec.get("node"))
    check_selector(c, "NodeSelector", spec.get("nodeSelector"))
    peer_ip = spec.get("peerIP", "")
    if peer_ip and ip_port_split(peer_ip) is None:
        c.tag("PeerIP", peer_ip, "IP:port")
    check_selector(c, "PeerSelector", spec.get("peerSelector"))
    _check_regex_tag(c, "SourceAddress", spec.get("sourceAddress"), SOURCE_ADDRESS_RE, "sourceAddress")
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
    check_object_meta(c, _meta(doc))
    spec = _spec(doc)
    _check_regex_tag(c, "LogSeverityScreen", spec.get("logSeverityScreen"), LOG_LEVEL_RE, "logLevel")
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
    _check_oneof(c, "BindMode", spec.get("bindMode"), ("None", "NodeIP"))
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
    if _meta(doc).get("name") == "default":
        return
    spec = _spec(doc)
    if spec.get("nodeToNodeMeshEnabled") is not None:
        c.add("BGPConfiguration.Spec.NodeToNodeMeshEnabled", None,
              "Cannot set nodeToNodeMeshEnabled on a non default BGP Configuration.")
    if spec.get("asNumber") is not None:
        c.add("BGPConfiguration.Spec.ASNumber", None, "Cannot set ASNumber on a non default BGP Configuration.")
    if spec.get("serviceExternalIPs"):
        c.add("BGPConfiguration.Spec.ServiceExternalIPs", None,
              "Cannot set ServiceExternalIPs on a non default BGP Configuration.")
    if spec.get("serviceClusterIPs"):
        c.add("BGPConfiguration.Spec.ServiceClusterIPs", None,
              "Cannot set ServiceClusterIPs on a non default BGP Configuration.")


def bgpfilter(c: Collector, doc: Doc) -> None:
    """BGPFilter rules: ``cidr`` family nets, prefix lengths, source, interface, operator, action."""
    check_object_meta(c, _meta(doc))
    spec = _spec(doc)
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
    _check_oneof(c, "Source", rule.get("source"), ("RemotePeers",))
    iface = rule.get("interface", "")
    if iface and iface != "*" and not BGP_FILTER_INTERFACE_RE.fullmatch(iface):
        c.tag("Interface", iface, "bgpFilterInterface")
    _check_regex_tag(c, "MatchOperator", rule.get("matchOperator"), MATCH_OPERATOR_RE, "matchOperator")
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


# --- Node and endpoints -------------------------------------------------------------------------


def node(c: Collector, doc: Doc) -> None:
    """Node: BGP and tunnel address families, MACs, addresses, then the empty-BGP rule and status keys."""
    check_object_meta(c, _meta(doc))
    spec = _spec(doc)
    bgp = spec.get("bgp")
    if bgp is not None:
        for field, key, version in (("IPv4Address", "ipv4Address", 4), ("IPv6Address", "ipv6Address", 6)):
            value = bgp.get(key, "")
            if value and not is_cidr_of_version(value, version):
                c.tag(field, value, f"cidrv{version}")
        _check_ip_tag(c, "IPv4IPIPTunnelAddr", bgp.get("ipv4IPIPTunnelAddr"), 4, "ipv4")
        _check_ip_tag(c, "RouteReflectorClusterID", bgp.get("routeReflectorClusterID"), 4, "ipv4")
    _check_ip_tag(c, "IPv4VXLANTunnelAddr", spec.get("ipv4VXLANTunnelAddr"), 4, "ipv4")
    mac = spec.get("vxlanTunnelMACAddr", "")
    if mac and not is_mac(mac):
        c.tag("VXLANTunnelMACAddr", mac, "mac")
    _check_ip_tag(c, "IPv6VXLANTunnelAddr", spec.get("ipv6VXLANTunnelAddr"), 6, "ipv6")
    mac6 = spec.get("vxlanTunnelMACAddrV6", "")
    if mac6 and not is_mac(mac6):
        c.tag("VXLANTunnelMACAddrV6", mac6, "mac")
    wireguard = spec.get("wireguard")
    if wireguard is not None:
        _check_ip_tag(c, "InterfaceIPv4Address", wireguard.get("interfaceIPv4Address"), 4, "ipv4")
        _check_ip_tag(c, "InterfaceIPv6Address", wireguard.get("interfaceIPv6Address"), 6, "ipv6")
    for address in spec.get("addresses") or []:
        value = address.get("address", "")
        if not is_strict_net(value):
            c.tag("Address", value, "net")
        _check_regex_tag(c, "Type", address.get("type"), IP_TYPE_RE, "ipType")
    for interface in spec.get("interfaces") or []:
        check_name_tag(c, "Name", interface.get("name"))
    if bgp is not None and not any(bgp.get(k) for k in bgp):
        c.add("BGP", "&{<nil>    }", "Spec.BGP should not be empty")
    status = doc.get("status") or {}
    for field, key in (("WireguardPublicKey", "wireguardPublicKey"), ("WireguardPublicKeyV6", "wireguardPublicKeyV6")):
        value = status.get(key, "")
        if value and not is_wireguard_key(value):
            c.tag(field, value, "wireguardPublicKey")


def _check_endpoint_ports(c: Collector, ports: list[Doc] | None, workload: bool) -> None:
    for port in ports or []:
        name = port.get("name", "")
        if (name or not workload) and names.port_name_errors(name):
            c.tag("Name", name, "portName")
        check_protocol(c, port.get("protocol"))
        number = port.get("port", 0)
        if number < 1:
            c.tag("Port", number, "gt")
        if workload:
            _check_ip_tag(c, "HostIP", port.get("hostIP"), None, "ip")
        protocol = parse_protocol(port.get("protocol", ""))
        kind = "WorkloadEndpointPort" if workload else "EndpointPort"
        if not protocol.supports_ports:
            c.add(f"{kind}.Protocol", str(protocol), f"{kind} protocol does not support ports.")
        if workload and not name and not port.get("hostPort"):
            c.add("WorkloadEndpointPort.Name", name,
                  "WorkloadEndpointPort name must not be empty if no HostPort is specified")


def hostendpoint(c: Collector, doc: Doc) -> None:
    """HostEndpoint: node/interface/IP/profile tags, named ports, then interface-or-IPs and node rules."""
    check_object_meta(c, _meta(doc))
    spec = _spec(doc)
    check_name_tag(c, "Node", spec.get("node"))
    iface = spec.get("interfaceName", "")
    if iface and not is_interface_name(iface):
        c.tag("InterfaceName", iface, "interface")
    for i, ip in enumerate(spec.get("expectedIPs") or []):
        if not is_ip_of_version(ip):
            c.tag(f"ExpectedIPs[{i}]", ip, "ip")
    for i, profile in enumerate(spec.get("profiles") or []):
        if not names.is_valid_name(profile):
            c.tag(f"Profiles[{i}]", profile, "name")
    _check_endpoint_ports(c, spec.get("ports"), workload=False)
    if not iface and not spec.get("expectedIPs"):
        c.add("InterfaceName", iface, "no interface or expected IPs have been specified")
    if not spec.get("node"):
        c.add("InterfaceName", spec.get("node", ""), "no node has been specified")


def workloadendpoint(c: Collector, doc: Doc) -> None:
    """WorkloadEndpoint: identifier tags, networks, NATs, gateways, ports, then validateWorkloadEndpointSpec."""
    check_object_meta(c, _meta(doc))
    spec = _spec(doc)
    for field, key in (("Orchestrator", "orchestrator"), ("Workload", "workload"), ("Node", "node")):
        check_name_tag(c, field, spec.get(key))
    container_id = spec.get("containerID", "")
    if container_id and not names.CONTAINER_ID_RE.fullmatch(container_id):
        c.tag("ContainerID", container_id, "containerID")
    check_name_tag(c, "Pod", spec.get("pod"))
    check_name_tag(c, "Endpoint", spec.get("endpoint"))
    _check_cidr_list(c, "IPNetworks", spec.get("ipNetworks"))
    for nat in spec.get("ipNATs") or []:
        _check_ip_tag(c, "InternalIP", nat.get("internalIP"), None, "ip")
        _check_ip_tag(c, "ExternalIP", nat.get("externalIP"), None, "ip")
        _ipnat_struct(c, nat)
    _check_ip_tag(c, "IPv4Gateway", spec.get("ipv4Gateway"), 4, "ipv4")
    _check_ip_tag(c, "IPv6Gateway", spec.get("ipv6Gateway"), 6, "ipv6")
    for i, profile in enumerate(spec.get("profiles") or []):
        if not names.is_valid_name(profile):
            c.tag(f"Profiles[{i}]", profile, "name")
    iface = spec.get("interfaceName", "")
    if iface and not is_interface_name(iface):
        c.tag("InterfaceName", iface, "interface")
    mac = spec.get("mac", "")
    if mac and not is_mac(mac):
        c.tag("MAC", mac, "mac")
    _check_endpoint_ports(c, spec.get("ports"), workload=True)
    _check_cidr_list(c, "AllowSpoofedSourcePrefixes", spec.get("allowSpoofedSourcePrefixes"))
    _workloadendpoint_spec_struct(c, spec)


def _ipnat_struct(c: Collector, nat: Doc) -> None:
    internal, external = nat.get("internalIP", ""), nat.get("externalIP", "")
    versions = []
    for value in (internal, external):
        try:
            versions.append(parse_cidr_or_ip(value).ip.version)
        except ValueError:
            c.add("InternalIP", external, "invalid IP address")
            versions.append(0)
    if versions[0] != versions[1]:
        c.add("ExternalIP", external, "mismatched IP versions")


def _workloadendpoint_spec_struct(c: Collector, spec: Doc) -> None:
    networks = list(spec.get("ipNetworks") or [])
    parsed_networks = []
    for net in networks:
        try:
            parsed = parse_cidr_or_ip(net).network
        except ValueError:
            c.add("IPNetworks", net, "invalid CIDR")
            continue
        parsed_networks.append(parsed)
        if parsed.prefixlen != parsed.max_prefixlen:
            c.add("IPNetworks", networks, "IP network contains multiple addresses")
    for field, key, version in (("IPv4Gateway", "ipv4Gateway", 4), ("IPv6Gateway", "ipv6Gateway", 6)):
        value = spec.get(key, "")
        if not value:
            continue
        try:
            gateway = parse_cidr_or_ip(value)
        except ValueError:
            c.add(field, value, "invalid CIDR")
            continue
        if gateway.version != version:
            c.add(field, value, f"invalid IPv{version} gateway address specified")
    nats = spec.get("ipNATs") or []
    if nats:
        valid = False
        for nat in nats:
            try:
                internal = parse_cidr_or_ip(nat.get("internalIP", "")).ip
            except ValueError:
                c.add("IPNATs", nat.get("internalIP", ""), "invalid InternalIP CIDR")
                valid = False
                break
            valid = any(internal in network for network in parsed_networks)
            if not valid:
                break
        if not valid:
            shown = ["{" + n.get("internalIP", "") + " " + n.get("externalIP", "") + "}" for n in nats]
            c.add("IPNATs", shown, "NAT is not in the endpoint networks")


# --- Policy -------------------------------------------------------------------------------------


def _check_policy_name(c: Collector, doc: Doc, regex: re.Pattern) -> None:
    metadata = _meta(doc)
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
    check_object_meta(c, _meta(doc))
    spec = _spec(doc)
    _check_policy_spec_tags(c, spec, global_policy=False)
    _check_policy_name(c, doc, names.NETWORK_POLICY_NAME_RE)
    _check_duplicate_types(c, spec, "NetworkPolicySpec.Types")
    _check_rule_directions(c, spec, "not allowed in egress rule")
    for field, key in (("NetworkPolicySpec.Selector", "selector"),
                       ("NetworkPolicySpec.ServiceAccountSelector", "serviceAccountSelector")):
        value = spec.get(key, "")
        if GLOBAL_SELECTOR in value:
            c.add(field, value, GLOBAL_SELECTOR_ENTITY_RULE)


def globalnetworkpolicy(c: Collector, doc: Doc) -> None:
    """GlobalNetworkPolicy: as NetworkPolicy plus doNotTrack/preDNAT/applyOnForward rules."""
    check_object_meta(c, _meta(doc))
    spec = _spec(doc)
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
    check_object_meta(c, _meta(doc))
    spec = _spec(doc)
    check_rules(c, spec.get("ingress"))
    check_rules(c, spec.get("egress"))
    labels = spec.get("labelsToApply")
    if labels and not names.labels_are_valid(labels):
        c.tag("LabelsToApply", dict(labels), "labels")


def tier(c: Collector, doc: Doc) -> None:
    """Tier: ObjectMeta, ``defaultAction``, then validateTier (label-form name ≤ 63, fixed orders)."""
    metadata = _meta(doc)
    check_object_meta(c, metadata)
    spec = _spec(doc)
    _check_oneof(c, "DefaultAction", spec.get("defaultAction"), ("Deny", "Pass"))
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
    check_object_meta(c, _meta(doc))
    spec = _spec(doc)
    _check_regex_tag(c, "LogSeverityScreen", spec.get("logSeverityScreen"), LOG_LEVEL_RE, "logLevel")
    _check_oneof(c, "HealthChecks", spec.get("healthChecks"), ("Enabled", "Disabled"))
    node_controller = (spec.get("controllers") or {}).get("node") or {}
    _check_oneof(c, "SyncLabels", node_controller.get("syncLabels"), ("Enabled", "Disabled"))
    host_endpoint = node_controller.get("hostEndpoint") or {}
    _check_oneof(c, "AutoCreate", host_endpoint.get("autoCreate"), ("Enabled", "Disabled"))
    _check_int_range(c, "PrometheusMetricsPort", spec.get("prometheusMetricsPort"), 0, 65535)
    _check_int_range(c, "DebugProfilePort", spec.get("debugProfilePort"), 0, 65535)


def metadata_only(c: Collector, doc: Doc) -> None:
    """Kinds whose spec carries no validation tags (ClusterInformation)."""
    check_object_meta(c, _meta(doc))


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
