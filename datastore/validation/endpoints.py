"""Node and endpoint kinds: Node, HostEndpoint, WorkloadEndpoint (and WorkloadEndpoint naming)."""
from __future__ import annotations

from typing import Any, Mapping

from datastore.validation import names
from datastore.validation.common import (
    check_cidr_list,
    check_ip_tag,
    check_name_tag,
    check_object_meta,
    check_protocol,
    meta_of,
    spec_of,
)
from datastore.validation.fields import is_interface_name, is_mac, is_wireguard_key, parse_protocol
from datastore.validation.netparse import is_cidr_of_version, is_ip_of_version, parse_cidr_or_ip
from datastore.validation.report import Collector

Doc = Mapping[str, Any]


def node(c: Collector, doc: Doc) -> None:
    """Node: BGP and tunnel address families, MACs, addresses, then the empty-BGP rule and status keys."""
    check_object_meta(c, meta_of(doc))
    spec = spec_of(doc)
    bgp = spec.get("bgp")
    if bgp is not None:
        for field, key, version in (("IPv4Address", "ipv4Address", 4), ("IPv6Address", "ipv6Address", 6)):
            value = bgp.get(key, "")
            if value and not is_cidr_of_version(value, version):
                c.tag(field, value, f"cidrv{version}")
        check_ip_tag(c, "IPv4IPIPTunnelAddr", bgp.get("ipv4IPIPTunnelAddr"), 4, "ipv4")
        check_ip_tag(c, "RouteReflectorClusterID", bgp.get("routeReflectorClusterID"), 4, "ipv4")
    check_ip_tag(c, "IPv4VXLANTunnelAddr", spec.get("ipv4VXLANTunnelAddr"), 4, "ipv4")
    mac = spec.get("vxlanTunnelMACAddr", "")
    if mac and not is_mac(mac):
        c.tag("VXLANTunnelMACAddr", mac, "mac")
    check_ip_tag(c, "IPv6VXLANTunnelAddr", spec.get("ipv6VXLANTunnelAddr"), 6, "ipv6")
    mac6 = spec.get("vxlanTunnelMACAddrV6", "")
    if mac6 and not is_mac(mac6):
        c.tag("VXLANTunnelMACAddrV6", mac6, "mac")
    wireguard = spec.get("wireguard")
    if wireguard is not None:
        check_ip_tag(c, "InterfaceIPv4Address", wireguard.get("interfaceIPv4Address"), 4, "ipv4")
        check_ip_tag(c, "InterfaceIPv6Address", wireguard.get("interfaceIPv6Address"), 6, "ipv6")
    if bgp is not None and all(value in (None, "") for value in bgp.values()):
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
        protocol_value = port.get("protocol", 0)
        check_protocol(c, protocol_value)
        number = port.get("port", 0)
        if number < 1:
            c.tag("Port", number, "gt")
        if workload:
            check_ip_tag(c, "HostIP", port.get("hostIP"), None, "ip")
        protocol = parse_protocol(protocol_value)
        kind = "WorkloadEndpointPort" if workload else "EndpointPort"
        if not protocol.supports_ports:
            c.add(f"{kind}.Protocol", str(protocol), f"{kind} protocol does not support ports.")
        if workload and not name and not port.get("hostPort"):
            c.add("WorkloadEndpointPort.Name", name,
                  "WorkloadEndpointPort name must not be empty if no HostPort is specified")


def hostendpoint(c: Collector, doc: Doc) -> None:
    """HostEndpoint: node/interface/IP/profile tags, named ports, then interface-or-IPs and node rules."""
    check_object_meta(c, meta_of(doc))
    spec = spec_of(doc)
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
    check_object_meta(c, meta_of(doc))
    spec = spec_of(doc)
    for field, key in (("Orchestrator", "orchestrator"), ("Workload", "workload"), ("Node", "node")):
        check_name_tag(c, field, spec.get(key))
    container_id = spec.get("containerID", "")
    if container_id and not names.CONTAINER_ID_RE.fullmatch(container_id):
        c.tag("ContainerID", container_id, "containerID")
    check_name_tag(c, "Pod", spec.get("pod"))
    check_name_tag(c, "Endpoint", spec.get("endpoint"))
    check_cidr_list(c, "IPNetworks", spec.get("ipNetworks"))
    for nat in spec.get("ipNATs") or []:
        check_ip_tag(c, "InternalIP", nat.get("internalIP"), None, "ip")
        check_ip_tag(c, "ExternalIP", nat.get("externalIP"), None, "ip")
        _ipnat_struct(c, nat)
    check_ip_tag(c, "IPv4Gateway", spec.get("ipv4Gateway"), 4, "ipv4")
    check_ip_tag(c, "IPv6Gateway", spec.get("ipv6Gateway"), 6, "ipv6")
    for i, profile in enumerate(spec.get("profiles") or []):
        if not names.is_valid_name(profile):
            c.tag(f"Profiles[{i}]", profile, "name")
    iface = spec.get("interfaceName", "")
    if not is_interface_name(iface):
        c.tag("InterfaceName", iface, "interface")
    mac = spec.get("mac", "")
    if mac and not is_mac(mac):
        c.tag("MAC", mac, "mac")
    _check_endpoint_ports(c, spec.get("ports"), workload=True)
    check_cidr_list(c, "AllowSpoofedSourcePrefixes", spec.get("allowSpoofedSourcePrefixes"))
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


_NAME_SEGMENTS = {
    "k8s": ("node", "orchestrator", "pod", "endpoint"),
    "cni": ("node", "orchestrator", "containerID", "endpoint"),
    "libnetwork": ("node", "orchestrator", "orchestrator", "endpoint"),
}
_DEFAULT_SEGMENTS = ("node", "orchestrator", "workload", "endpoint")


def expected_workload_endpoint_name(spec: Doc) -> str:
    """libcalico-go ``CalculateWorkloadEndpointName``: the name a WorkloadEndpoint's spec implies.

    Raises ValidationError when a required identifier is missing or starts/ends with ``-``.
    """
    c = Collector()
    if not spec.get("node"):
        c.add("node", None, "field should be assigned")
        c.raise_if_any()
    parts = []
    for field in _NAME_SEGMENTS.get(spec.get("orchestrator", ""), _DEFAULT_SEGMENTS):
        value = spec.get(field, "")
        if not value:
            c.add(field, value, "field should be assigned")
        elif value.startswith("-"):
            c.add(field, value, "field must not begin with a '-'")
        elif value.endswith("-"):
            c.add(field, value, "field must not end with a '-'")
        else:
            parts.append(value.replace("-", "--"))
            continue
        c.raise_if_any()
    return "-".join(parts)


def assign_or_check_workload_endpoint_name(doc: Doc) -> str:
    """clientv3 ``assignOrValidateName``: the name to store (computed when ``metadata.name`` is empty).

    Raises ValidationError (field ``Name``) when the given name differs from the computed one.
    """
    expected = expected_workload_endpoint_name(spec_of(doc))
    name = meta_of(doc).get("name", "")
    if name and name != expected:
        c = Collector()
        c.add("Name", name, "the WorkloadEndpoint name does not match the primary identifiers assigned in the "
                            f"Spec: expected name {expected}")
        c.raise_if_any()
    return name or expected
