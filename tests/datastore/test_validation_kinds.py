"""Per-kind struct validation: a table of bad documents with the exact libcalico-go errors, and good ones."""
import pytest

from datastore.errors import ValidationError
from datastore.resources import KINDS, from_dict, with_defaults
from datastore.validation import (
    assign_or_check_workload_endpoint_name,
    check_bgppeer_filters,
    expected_workload_endpoint_name,
    field_errors,
    validate,
)

SUBDOMAIN = (
    "name must consist of lower case alphanumeric characters, '-' or '.' "
    "(regex: [a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)"
)
LABEL_NAME = "name must consist of lower case alphanumeric characters or '-' (regex: [a-z0-9]([-a-z0-9]*[a-z0-9])?)"
PORTS_MSG = "rules that specify ports must set protocol to TCP or UDP or SCTP"


def tag(field, value, tag_name):
    return f"error with field {field} = '{value}' (Reason: failed to validate Field: {field} because of Tag: {tag_name} )"


def doc(kind, name="x", spec=None, namespace=None, **metadata):
    meta = {"name": name, **metadata}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": meta, "spec": spec or {}}


def rule(**fields):
    return {"action": "Allow", **fields}


def gnp(*ingress, **spec):
    return doc("GlobalNetworkPolicy", "p", {"ingress": list(ingress), **spec})


BAD = [
    # --- metadata, every kind -------------------------------------------------------------------
    ("bad name", doc("BGPPeer", "Peer_1"), [f"error with field Metadata.Name = 'Peer_1' ({SUBDOMAIN})"]),
    ("empty name", doc("Profile", ""), [f"error with field Metadata.Name = '' ({SUBDOMAIN})"]),
    ("long name", doc("NetworkSet", "a" * 260, namespace="ns"), [
        f"error with field Metadata.Name = '{'a' * 260}' (name is too long by 7 bytes)"]),
    ("bad label key and value", doc("HostEndpoint", "h", {"node": "n", "interfaceName": "eth0"},
                                    labels={"-bad": "ok", "good": "bad value"}), [
        "error with field Metadata.Labels (label) = '-bad' (name part must consist of alphanumeric characters, "
        "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  "
        "or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'))",
        "error with field Metadata.Labels (value) = 'bad value' (a valid label must be an empty string or consist "
        "of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
        "'MyValue',  or 'my_value',  or '12345', regex used for validation is "
        "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?'))",
    ]),
    ("annotation key", doc("IPReservation", "r", annotations={"a/b/c": "v"}), [
        "error with field Metadata.Annotations (key) = 'a/b/c' (a qualified name must consist of alphanumeric "
        "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or "
        "'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with "
        "an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName'))"]),
    ("upper-case annotation keys are lowered first", doc("IPReservation", "r", annotations={"Foo.COM/Bar": "v"}), []),
    # --- BGPPeer ----------------------------------------------------------------------------------
    ("peerIP", doc("BGPPeer", spec={"peerIP": "badpeerIP"}), [tag("PeerIP", "badpeerIP", "IP:port")]),
    ("peerIP port 0", doc("BGPPeer", spec={"peerIP": "10.0.0.1:0"}), [tag("PeerIP", "10.0.0.1:0", "IP:port")]),
    ("node name tag", doc("BGPPeer", spec={"node": "Node1"}), [tag("Node", "Node1", "name")]),
    ("selectors", doc("BGPPeer", spec={"nodeSelector": "a ==", "peerSelector": "has(x"}), [
        tag("NodeSelector", "a ==", "selector"), tag("PeerSelector", "has(x", "selector")]),
    ("node and nodeSelector", doc("BGPPeer", spec={"node": "n1", "nodeSelector": "all()"}), [
        "error with field Node = 'n1' (Node field must be empty when NodeSelector is specified)"]),
    ("peerIP with peerSelector and AS", doc("BGPPeer", spec={"peerIP": "10.0.0.1", "asNumber": 64512,
                                                             "peerSelector": "all()"}), [
        "error with field PeerIP = '10.0.0.1' (PeerIP field must be empty when PeerSelector is specified)",
        "error with field ASNumber = '64512' (ASNumber field must be empty when PeerSelector is specified)"]),
    ("sourceAddress", doc("BGPPeer", spec={"peerIP": "10.0.0.1", "asNumber": 1, "sourceAddress": "Node"}), [
        tag("SourceAddress", "Node", "sourceAddress")]),
    ("reachableBy without peer", doc("BGPPeer", spec={"reachableBy": "10.0.0.1", "nodeSelector": "all()"}), [
        "error with field ReachableBy = '10.0.0.1' (ReachablyBy field must be empty when PeerIP is empty)"]),
    ("reachableBy family", doc("BGPPeer", spec={"peerIP": "[fd00::1]:179", "asNumber": 1,
                                                "reachableBy": "10.0.0.1"}), [
        "error with field ReachableBy = '10.0.0.1' (ReachableBy and PeerIP address family mismatched)"]),
    ("reachableBy invalid", doc("BGPPeer", spec={"peerIP": "10.0.0.2", "asNumber": 1, "reachableBy": "gw"}), [
        tag("ReachableBy", "gw", "reachableBy"),
        "error with field ReachableBy = 'gw' (ReachableBy is invalid address)"]),
    ("filters names", doc("BGPPeer", spec={"peerIP": "10.0.0.2", "asNumber": 1, "filters": ["ok", "Bad"]}), [
        tag("Filters[1]", "Bad", "name")]),
    # --- BGPConfiguration -------------------------------------------------------------------------
    ("log level", doc("BGPConfiguration", "default", {"logSeverityScreen": "info"}), [
        tag("LogSeverityScreen", "info", "logLevel")]),
    ("service CIDRs must be masked", doc("BGPConfiguration", "default", {
        "serviceClusterIPs": [{"cidr": "10.96.0.1/12"}], "serviceExternalIPs": [{"cidr": "nope"}]}), [
        tag("CIDR", "nope", "net"), tag("CIDR", "10.96.0.1/12", "net")]),
    ("bind mode and ignored interfaces", doc("BGPConfiguration", "default", {
        "bindMode": "Any", "ignoredInterfaces": ["eth*", "*"]}), [
        tag("BindMode", "Any", "oneof"), tag("IgnoredInterfaces[1]", "*", "ignoredInterface")]),
    ("communities", doc("BGPConfiguration", "default", {
        "communities": [{"name": "c1", "value": "65536:1"}, {"name": "c2", "value": "bad"}],
        "prefixAdvertisements": [{"cidr": "10.0.0.0/8", "communities": ["c1", "c3", "1:2"]}]}), [
        "error with field Spec.Communities[].Value = '65536:1' (invalid community value, expected 16 bit value)",
        "error with field Spec.Communities[].Value = 'bad' (invalid community value or format used.)",
        "error with field Spec.PrefixAdvertisement[].Communities[] = 'c3' (community used is invalid or not defined.)",
    ]),
    ("communities unused", doc("BGPConfiguration", "default", {"communities": [{"name": "c1", "value": "1:1"}]}), [
        "error with field Spec.Communities[] = '[{c1 1:1}]' (communities are defined but not used in "
        "Spec.PrefixAdvertisement[].)"]),
    ("community needs name and value", doc("BGPConfiguration", "default", {
        "communities": [{"value": ""}], "prefixAdvertisements": [{"cidr": "10.0.0.0/8", "communities": ["1:1"]}]}), [
        tag("Name", "", "required"), tag("Value", "", "required"),
        "error with field Spec.Communities[].Value = '' (invalid community value or format used.)"]),
    ("listen port zero", doc("BGPConfiguration", "default", {"listenPort": 0}), [tag("ListenPort", 0, "gt")]),
    # --- BGPFilter --------------------------------------------------------------------------------
    ("filter rules", doc("BGPFilter", spec={
        "exportV4": [{"cidr": "fd00::/64", "matchOperator": "Equal", "action": "Accept"},
                     {"cidr": "10.0.0.0/8", "action": "Allow"},
                     {"matchOperator": "In", "prefixLength": {"min": 33}, "action": "Reject"}],
        "importV6": [{"interface": "eth 0", "source": "Peers", "action": ""}]}), [
        tag("CIDR", "fd00::/64", "netv4"),
        tag("Action", "Allow", "filterAction"),
        "error with field CIDR = '10.0.0.0/8' (MatchOperator cannot be empty when CIDR is not)",
        tag("Min", 33, "bgpFilterPrefixLengthV4"),
        "error with field MatchOperator = 'In' (CIDR cannot be empty when MatchOperator is not)",
        "error with field PrefixLength = '&{33 <nil>}' (CIDR cannot be empty when PrefixLength is not)",
        tag("Source", "Peers", "oneof"), tag("Interface", "eth 0", "bgpFilterInterface"),
        tag("Action", "", "required"),
    ]),
    # --- Node ---------------------------------------------------------------------------------------
    ("node addresses", doc("Node", "n", {"bgp": {"ipv4Address": "fd00::1/64", "ipv6Address": "10.0.0.1/24",
                                                 "ipv4IPIPTunnelAddr": "10.0.0.1/32",
                                                 "routeReflectorClusterID": "bad"},
                                         "ipv4VXLANTunnelAddr": "fd00::1", "vxlanTunnelMACAddr": "zz"}), [
        tag("IPv4Address", "fd00::1/64", "cidrv4"), tag("IPv6Address", "10.0.0.1/24", "cidrv6"),
        tag("IPv4IPIPTunnelAddr", "10.0.0.1/32", "ipv4"), tag("RouteReflectorClusterID", "bad", "ipv4"),
        tag("IPv4VXLANTunnelAddr", "fd00::1", "ipv4"), tag("VXLANTunnelMACAddr", "zz", "mac"),
    ]),
    ("node addresses are not dived into (tag omitempty only)", doc("Node", "n", {
        "addresses": [{"address": "10.0.0.1/24", "type": "Public"}]}), []),
    ("empty bgp", doc("Node", "n", {"bgp": {}}), ["error with field BGP = '&{<nil>    }' (Spec.BGP should not be empty)"]),
    ("bgp with only AS 0 is not empty", doc("Node", "n", {"bgp": {"asNumber": 0}}), []),
    ("wireguard", {**doc("Node", "n", {"wireguard": {"interfaceIPv4Address": "fd00::1"}}),
                   "status": {"wireguardPublicKey": "abc"}}, [
        tag("InterfaceIPv4Address", "fd00::1", "ipv4"), tag("WireguardPublicKey", "abc", "wireguardPublicKey")]),
    # --- HostEndpoint ---------------------------------------------------------------------------------
    ("hep needs interface and node", doc("HostEndpoint", "h"), [
        "error with field InterfaceName = '' (no interface or expected IPs have been specified)",
        "error with field InterfaceName = '' (no node has been specified)"]),
    ("hep fields", doc("HostEndpoint", "h", {"node": "N", "interfaceName": "a-very-long-interface",
                                             "expectedIPs": ["10.0.0.1", "10.0.0.0/24"], "profiles": ["P"],
                                             "ports": [{"name": "HTTP", "protocol": "ICMP", "port": 0}]}), [
        tag("Node", "N", "name"), tag("InterfaceName", "a-very-long-interface", "interface"),
        tag("ExpectedIPs[1]", "10.0.0.0/24", "ip"), tag("Profiles[0]", "P", "name"),
        tag("Name", "HTTP", "portName"), tag("Port", 0, "gt"),
        "error with field EndpointPort.Protocol = 'ICMP' (EndpointPort protocol does not support ports.)",
    ]),
    ("hep port without protocol", doc("HostEndpoint", "h", {"node": "n", "interfaceName": "eth0",
                                                            "ports": [{"name": "p", "port": 80}]}), [
        "error with field Protocol = '0' (protocol number invalid)",
        "error with field EndpointPort.Protocol = '0' (EndpointPort protocol does not support ports.)"]),
    ("hep port protocol", doc("HostEndpoint", "h", {"node": "n", "expectedIPs": ["10.0.0.1"],
                                                    "ports": [{"name": "p", "protocol": "tcp", "port": 80}]}), [
        "error with field Protocol = 'tcp' (protocol name invalid)"]),
    # --- WorkloadEndpoint ---------------------------------------------------------------------------
    ("wep fields", doc("WorkloadEndpoint", "n-k8s-pod-eth0", {
        "node": "n", "containerID": "-abc", "ipNetworks": ["10.0.0.0/24", "bad"],
        "ipv4Gateway": "fd00::1", "mac": "xx", "interfaceName": "cali0123456789abc",
        "ports": [{"protocol": "UDP", "port": 53}]}, namespace="ns"), [
        tag("ContainerID", "-abc", "containerID"), tag("IPNetworks[1]", "bad", "cidr"),
        tag("IPv4Gateway", "fd00::1", "ipv4"), tag("InterfaceName", "cali0123456789abc", "interface"),
        tag("MAC", "xx", "mac"),
        "error with field WorkloadEndpointPort.Name = '' (WorkloadEndpointPort name must not be empty if no "
        "HostPort is specified)",
        "error with field IPNetworks = '[10.0.0.0/24 bad]' (IP network contains multiple addresses)",
        "error with field IPNetworks = 'bad' (invalid CIDR)",
        "error with field IPv4Gateway = 'fd00::1' (invalid IPv4 gateway address specified)",
    ]),
    ("wep needs an interface name (tag without omitempty)", doc("WorkloadEndpoint", "w", {}, namespace="ns"), [
        tag("InterfaceName", "", "interface")]),
    ("wep nat outside networks", doc("WorkloadEndpoint", "w", {
        "ipNetworks": ["10.0.0.1/32"], "ipNATs": [{"internalIP": "10.0.0.2", "externalIP": "fd00::1"}],
        "interfaceName": "cali0"}, namespace="ns"), [
        "error with field ExternalIP = 'fd00::1' (mismatched IP versions)",
        "error with field IPNATs = '[{10.0.0.2 fd00::1}]' (NAT is not in the endpoint networks)"]),
    # --- Rules ------------------------------------------------------------------------------------------
    ("rule action", gnp({"action": "allow"}), [tag("Action", "allow", "action")]),
    ("rule missing action", gnp({}), [tag("Action", "", "action")]),
    ("ports need tcp/udp/sctp", gnp(rule(protocol="ICMP", source={"ports": [80]},
                                          destination={"notPorts": ["1:2"]})), [
        f"error with field Source.Ports = '[80]' ({PORTS_MSG})",
        f"error with field Destination.NotPorts = '[1:2]' ({PORTS_MSG})"]),
    ("ports without protocol", gnp(rule(destination={"ports": ["http"]})), [
        f"error with field Destination.Ports = '[http]' ({PORTS_MSG})"]),
    ("port zero", gnp(rule(protocol="TCP", destination={"ports": [0]})), [
        "error with field Port = '0' (port range invalid, port number must be between 1 and 65535)"]),
    ("bad named port", gnp(rule(protocol=6, destination={"ports": ["Web"]})), [tag("PortName", "Web", "portName")]),
    ("protocols", gnp(rule(protocol="tcp"), rule(notProtocol=0), rule(protocol="any")), [
        "error with field Protocol = 'tcp' (protocol name invalid)",
        "error with field Protocol = '0' (protocol number invalid)",
        "error with field Protocol = 'any' (protocol name invalid)"]),
    ("icmp ranges", gnp(rule(protocol="ICMP", icmp={"type": 255, "code": 256}),
                        rule(protocol="ICMPv6", notICMP={"code": 1})), [
        tag("Type", 255, "lte"), tag("Code", 256, "lte"),
        "error with field Code = '1' (ICMP code specified without an ICMP type)"]),
    ("icmp needs icmp protocol", gnp(rule(protocol="TCP", icmp={"type": 8})), [
        "error with field ICMP = '&{8 <nil>}' (rules that specify ICMP fields must set protocol to ICMP)"]),
    ("icmp ip version", gnp(rule(protocol="ICMP", ipVersion=6), rule(notProtocol="ICMPv6", ipVersion=4),
                            rule(ipVersion=5)), [
        "error with field IPVersion = '<nil>' (must set ipversion to '4' with protocol icmp)",
        "error with field IPVersion = '<nil>' (must set ipversion to '6' with protocol icmpv6)",
        tag("IPVersion", 5, "ipVersion")]),
    ("nets", gnp(rule(source={"nets": ["10.0.0.1/24", "fd00::/64"]}, destination={"notNets": ["nope"]})), [
        tag("Nets[0]", "10.0.0.1/24", "net"), tag("NotNets[0]", "nope", "net"),
        "error with field Source.Nets = '[10.0.0.1/24 fd00::/64]' (rule contains both IPv4 and IPv6 CIDRs)",
        "error with field Destination.NotNets = 'nope' (invalid CIDR)"]),
    ("nets version", gnp(rule(ipVersion=4, source={"nets": ["10.0.0.0/8"]}, destination={"nets": ["fd00::/8"]})), [
        "error with field Destination.Nets = '[10.0.0.0/8]' (rule IP version doesn't match CIDR version)",
        "error with field Destination.Nets = '[fd00::/8]' (rule contains both IPv4 and IPv6 CIDRs)"]),
    ("entity selectors", gnp(rule(source={"selector": "a ==", "notSelector": "(", "namespaceSelector": "x"},
                                  destination={"serviceAccounts": {"selector": "!"}})), [
        tag("Selector", "a ==", "selector"), tag("NamespaceSelector", "x", "selector"),
        tag("NotSelector", "(", "selector"), tag("Selector", "!", "selector")]),
    ("global() rules", gnp(rule(source={"selector": "global()", "namespaceSelector": "global() && a == 'b'"})), [
        "error with field Selector field = 'global()' (global() can only be used in an EntityRule namespaceSelector)",
        "error with field NamespaceSelector field = 'global() && a == 'b'' (global() cannot be combined with other "
        "selectors)"]),
    ("services", doc("NetworkPolicy", "p", {
        "egress": [rule(protocol="TCP", source={"services": {"name": "s"}},
                        destination={"services": {"name": "", "namespace": "Ns"}, "ports": [80], "nets": ["1.0.0.0/8"]})]},
        namespace="ns"), [
        tag("Namespace", "Ns", "name"),
        "error with field Services field = '&{ Ns}' (must specify a service name)",
        "error with field Services field = '&{ Ns}' (cannot specify Nets/NotNets and Services on the same rule)",
        "error with field Destination.Ports = '[80]' (cannot specify ports with a service selector)",
        "error with field Services = '&{s }' (not allowed in egress rule source)"]),
    ("http rules", gnp(rule(protocol="UDP", http={"methods": ["GET", "GET"], "paths": [{"exact": "x"}]}),
                       {"action": "Deny", "http": {"paths": [{"exact": "/a", "prefix": "/b"}]}}), [
        "error with field Methods = '[GET GET]' (Invalid methods (duplicates): [GET GET])",
        "error with field Paths = '[{x }]' (Invalid path x. (must start with `/` and not contain `?` or `#`)",
        "error with field Protocol = 'UDP' (rules that specify HTTP fields must set protocol to TCP or empty)",
        "error with field Paths = '[{/a /b}]' (Invalid path match. Both 'exact' and 'prefix' are set)",
        "error with field HTTP = '&{[] [{/a /b}]}' (only valid for Allow rules)"]),
    # --- Policies ----------------------------------------------------------------------------------------
    ("policy name forms", doc("NetworkPolicy", "a.b.c", namespace="ns"), [
        f"error with field Metadata.Name = 'a.b.c' ({LABEL_NAME})"]),
    ("policy upper-case name fails both checks", doc("GlobalNetworkPolicy", "Pol"), [
        f"error with field Metadata.Name = 'Pol' ({SUBDOMAIN})", f"error with field Metadata.Name = 'Pol' ({LABEL_NAME})"]),
    ("policy spec tags", gnp(selector="a = 'b'", types=["ingress", "Egress", "Egress"], tier="T",
                             performanceHints=["Bogus"], serviceAccountSelector="global()"), [
        tag("Tier", "T", "name"), tag("Selector", "a = 'b'", "selector"), tag("Types[0]", "ingress", "policyType"),
        tag("PerformanceHints[0]", "Bogus", "oneof"),
        "error with field GlobalNetworkPolicySpec.Types = '[ingress Egress Egress]' ('Egress' type specified more "
        "than once)",
        "error with field GlobalNetworkPolicySpec.ServiceAccountSelector = 'a = 'b'' (global() can only be used in an "
        "EntityRule namespaceSelector)"]),
    ("networkpolicy checks types before its name", doc("NetworkPolicy", "a.b.c", {"types": ["Egress", "Egress"]},
                                                       namespace="ns"), [
        "error with field NetworkPolicySpec.Types = '[Egress Egress]' ('Egress' type specified more than once)",
        f"error with field Metadata.Name = 'a.b.c' ({LABEL_NAME})"]),
    ("networkpolicy global selector", doc("NetworkPolicy", "p", {"selector": "global()"}, namespace="ns"), [
        "error with field NetworkPolicySpec.Selector = 'global()' (global() can only be used in an EntityRule "
        "namespaceSelector)"]),
    ("preDNAT rules", gnp(rule(), preDNAT=True, doNotTrack=True, types=["Egress"]), [
        "error with field PolicySpec.PreDNAT = 'true' (PreDNAT and DoNotTrack cannot both be true, for a given "
        "PolicySpec)",
        "error with field PolicySpec.Types = '[Egress]' (PreDNAT PolicySpec cannot have 'egress' Type)",
        "error with field PolicySpec.ApplyOnForward = 'false' (ApplyOnForward must be true if either PreDNAT or "
        "DoNotTrack is true, for a given PolicySpec)"]),
    ("gnp service namespace", doc("GlobalNetworkPolicy", "p", {
        "egress": [rule(destination={"services": {"name": "svc"}})]}), [
        "error with field Namespace = '' (must specify a namespace)"]),
    # --- Profile, Tier, sets ----------------------------------------------------------------------------
    ("profile", doc("Profile", "p", {"ingress": [{"action": "Accept"}], "labelsToApply": {"a": "-"}}), [
        tag("Action", "Accept", "action"), tag("LabelsToApply", "map[a:-]", "labels")]),
    ("tier name", doc("Tier", "my.tier", {"order": 100}), [f"error with field Metadata.Name = 'my.tier' ({LABEL_NAME})"]),
    ("tier long name", doc("Tier", "t" * 64, {"order": 1}), [
        f"error with field Metadata.Name = '{'t' * 64}' (name is too long by 1 bytes)"]),
    ("default tier order", doc("Tier", "default", {"order": 5}), [
        "error with field TierSpec.Order = '5' (default tier order must be 1e+06)"]),
    ("anp tier order", doc("Tier", "adminnetworkpolicy", {"defaultAction": "Allow"}), [
        tag("DefaultAction", "Allow", "oneof"),
        "error with field TierSpec.Order = '<nil>' (adminnetworkpolicy tier order must be 1000)"]),
    ("networkset", doc("NetworkSet", "s", {"nets": ["10.0.0.1/24", "x"]}, namespace="ns",
                       labels={"projectcalico.org/namespace": "ns"}), [
        tag("Nets[1]", "x", "cidr"),
        "error with field Metadata.Labels (label) = 'projectcalico.org/namespace' (projectcalico.org/namespace is "
        "not a valid label name)"]),
    ("globalnetworkset", doc("GlobalNetworkSet", "s", {"nets": ["10.0.0.0/33"]}), [tag("Nets[0]", "10.0.0.0/33", "cidr")]),
    ("ipreservation", doc("IPReservation", "r", {"reservedCIDRs": ["10.0.0.0/24", "fd00::/129"]}), [
        tag("ReservedCIDRs[1]", "fd00::/129", "cidr")]),
    ("kube controllers", doc("KubeControllersConfiguration", "default", {
        "logSeverityScreen": "Verbose", "healthChecks": "On", "prometheusMetricsPort": 70000,
        "controllers": {"node": {"syncLabels": "Yes", "hostEndpoint": {"autoCreate": "No"}}}}), [
        tag("LogSeverityScreen", "Verbose", "logLevel"), tag("HealthChecks", "On", "oneof"),
        tag("SyncLabels", "Yes", "oneof"), tag("AutoCreate", "No", "oneof"),
        tag("PrometheusMetricsPort", 70000, "lte")]),
]


@pytest.mark.parametrize("document,expected", [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_bad_documents(document, expected):
    assert [str(e) for e in field_errors(document)] == expected


GOOD = [
    doc("BGPPeer", "rr", {"nodeSelector": "has(rr)", "peerSelector": "has(rr)"}),
    doc("BGPPeer", "ext", {"node": "node-1", "peerIP": "[fd00::1]:1179", "asNumber": 4200000000,
                           "sourceAddress": "None", "reachableBy": "fd00::fe", "filters": ["f1"]}),
    doc("BGPConfiguration", "default", {
        "logSeverityScreen": "Trace", "nodeToNodeMeshEnabled": False, "asNumber": 64512, "listenPort": 1179,
        "serviceClusterIPs": [{"cidr": "10.96.0.0/12"}], "communities": [{"name": "c", "value": "65000:1:4294967295"}],
        "prefixAdvertisements": [{"cidr": "10.0.0.0/8", "communities": ["c", "1:2"]}], "bindMode": "NodeIP"}),
    doc("BGPFilter", "f", {"exportV6": [{"cidr": "fd00::/8", "matchOperator": "In", "action": "Accept",
                                         "prefixLength": {"min": 64, "max": 128}, "interface": "*.calico"}]}),
    {**doc("Node", "node-1", {"bgp": {"ipv4Address": "10.0.0.1/24", "asNumber": 65001},
                              "vxlanTunnelMACAddr": "66:1f:4e:2b:0c:8a", "addresses": [{"address": "10.0.0.1",
                                                                                       "type": "InternalIP"}]}),
     "status": {"wireguardPublicKey": "jlkVyQYooZYzI2wFfNhSZez5eWh44yfq1wKVjLvSXgY="}},
    doc("HostEndpoint", "h", {"node": "n", "interfaceName": "*", "ports": [{"name": "ssh", "protocol": "TCP", "port": 22}]}),
    doc("WorkloadEndpoint", "n-k8s-pod-eth0", {
        "node": "n", "orchestrator": "k8s", "pod": "pod", "endpoint": "eth0", "ipNetworks": ["10.0.0.5/32"],
        "ipNATs": [{"internalIP": "10.0.0.5", "externalIP": "172.16.0.5"}], "interfaceName": "cali12345",
        "mac": "aa:bb:cc:dd:ee:ff", "ports": [{"name": "dns", "protocol": "UDP", "port": 53}]}, namespace="ns"),
    gnp(rule(protocol="TCP", source={"nets": ["10.0.0.0/8"], "ports": [80, "1000:2000", "http"]},
             destination={"namespaceSelector": "global()", "selector": "role == 'db'"}),
        rule(protocol="ICMP", icmp={"type": 8, "code": 0}, ipVersion=4),
        {"action": "Deny", "protocol": 58, "notICMP": {"type": 1}},
        rule(protocol="TCP", http={"methods": ["GET"], "paths": [{"prefix": "/api"}]}),
        types=["Ingress", "Egress"], selector="all()", order=10.5, doNotTrack=True, applyOnForward=True),
    doc("NetworkPolicy", "tier1.allow-dns", {"tier": "tier1", "selector": "app == 'x'",
                                            "egress": [rule(destination={"services": {"name": "kube-dns"}})]},
        namespace="ns"),
    doc("NetworkPolicy", "knp.default.some.name", namespace="ns"),
    doc("Tier", "default", {"order": 1000000}),
    doc("Tier", "tier1", {"order": 100, "defaultAction": "Pass"}),
    doc("Profile", "projectcalico-default-allow", {"ingress": [rule()], "egress": [rule()],
                                                   "labelsToApply": {"k8s-app": "x"}}),
    doc("GlobalNetworkSet", "g", {"nets": ["10.0.0.1/24", "fd00::1"]}, labels={"role": "external"}),
    doc("KubeControllersConfiguration", "default", {"logSeverityScreen": "Info", "healthChecks": "Enabled",
                                                    "prometheusMetricsPort": 9094}),
    doc("ClusterInformation", "default", {"clusterGUID": "abc", "datastoreReady": True}),
]


@pytest.mark.parametrize("document", GOOD, ids=[f"{d['kind']}-{d['metadata']['name']}" for d in GOOD])
def test_good_documents(document):
    assert field_errors(document) == ()
    validate(document)


def test_all_errors_in_one_exception():
    document = gnp({"action": "Nope"}, selector="(", tier="BAD")
    with pytest.raises(ValidationError) as err:
        validate(document)
    assert str(err.value) == (
        "error with the following fields:\n"
        f"-  {tag('Tier', 'BAD', 'name')[len('error with field '):]}\n"
        f"-  {tag('Action', 'Nope', 'action')[len('error with field '):]}\n"
        f"-  {tag('Selector', '(', 'selector')[len('error with field '):]}\n"
    )


def test_bgpconfiguration_default_only_second_pass():
    only_default = doc("BGPConfiguration", "node.n1", {"nodeToNodeMeshEnabled": True, "asNumber": 65000,
                                                       "serviceExternalIPs": [{"cidr": "1.0.0.0/8"}],
                                                       "serviceClusterIPs": [{"cidr": "10.96.0.0/12"}]})
    with pytest.raises(ValidationError) as err:
        validate(only_default)
    assert str(err.value) == (
        "error with the following fields:\n"
        "-  BGPConfiguration.Spec.NodeToNodeMeshEnabled (Cannot set nodeToNodeMeshEnabled on a non default BGP "
        "Configuration.)\n"
        "-  BGPConfiguration.Spec.ASNumber (Cannot set ASNumber on a non default BGP Configuration.)\n"
        "-  BGPConfiguration.Spec.ServiceExternalIPs (Cannot set ServiceExternalIPs on a non default BGP "
        "Configuration.)\n"
        "-  BGPConfiguration.Spec.ServiceClusterIPs (Cannot set ServiceClusterIPs on a non default BGP "
        "Configuration.)\n"
    )
    struct_error = doc("BGPConfiguration", "node.n1", {"asNumber": 1, "logSeverityScreen": "x"})
    with pytest.raises(ValidationError) as err:
        validate(struct_error)
    assert str(err.value) == tag("LogSeverityScreen", "x", "logLevel")
    validate(doc("BGPConfiguration", "node.n1", {"logSeverityScreen": "Debug", "listenPort": 1790}))


def test_validate_accepts_resource_dataclasses():
    peer = from_dict(doc("BGPPeer", "p", {"peerIP": "10.0.0.1:1179", "asNumber": "1.10"}))
    validate(peer)
    bad = from_dict(doc("BGPPeer", "p", {"peerIP": "10.0.0.1", "peerSelector": "all()"}))
    with pytest.raises(ValidationError) as err:
        validate(bad)
    assert str(err.value) == "error with field PeerIP = '10.0.0.1' (PeerIP field must be empty when PeerSelector is specified)"
    policy = with_defaults(from_dict(gnp(rule(protocol="UDP", destination={"ports": ["53", "1:1024"]}))))
    validate(policy)
    hep = from_dict(doc("HostEndpoint", "h", {"interfaceName": "eth0"}))
    assert [str(e) for e in field_errors(hep)] == ["error with field InterfaceName = '' (no node has been specified)"]


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        field_errors({"kind": "Nope", "metadata": {"name": "x"}})


@pytest.mark.parametrize("spec,name", [
    ({"node": "node-1", "orchestrator": "k8s", "pod": "my-pod", "endpoint": "eth0"}, "node--1-k8s-my--pod-eth0"),
    ({"node": "n", "orchestrator": "cni", "containerID": "abc", "endpoint": "eth0"}, "n-cni-abc-eth0"),
    ({"node": "n", "orchestrator": "libnetwork", "endpoint": "ep"}, "n-libnetwork-libnetwork-ep"),
    ({"node": "n", "orchestrator": "openstack", "workload": "vm1", "endpoint": "tap1"}, "n-openstack-vm1-tap1"),
])
def test_workload_endpoint_names(spec, name):
    assert expected_workload_endpoint_name(spec) == name
    assert assign_or_check_workload_endpoint_name(doc("WorkloadEndpoint", "", spec, namespace="ns")) == name
    assert assign_or_check_workload_endpoint_name(doc("WorkloadEndpoint", name, spec, namespace="ns")) == name


@pytest.mark.parametrize("document,message", [
    (doc("WorkloadEndpoint", "x", {"orchestrator": "k8s"}), "error with field node (field should be assigned)"),
    (doc("WorkloadEndpoint", "x", {"node": "n", "orchestrator": "k8s", "endpoint": "e"}),
     "error with field pod = '' (field should be assigned)"),
    (doc("WorkloadEndpoint", "x", {"node": "n", "orchestrator": "k8s", "pod": "-p", "endpoint": "e"}),
     "error with field pod = '-p' (field must not begin with a '-')"),
    (doc("WorkloadEndpoint", "x", {"node": "n-", "orchestrator": "k8s", "pod": "p", "endpoint": "e"}),
     "error with field node = 'n-' (field must not end with a '-')"),
    (doc("WorkloadEndpoint", "wrong", {"node": "n", "orchestrator": "k8s", "pod": "p", "endpoint": "eth0"}),
     "error with field Name = 'wrong' (the WorkloadEndpoint name does not match the primary identifiers assigned "
     "in the Spec: expected name n-k8s-p-eth0)"),
])
def test_workload_endpoint_name_errors(document, message):
    with pytest.raises(ValidationError) as err:
        assign_or_check_workload_endpoint_name(document)
    assert str(err.value) == message


MINIMAL_SPECS = {
    "IPPool": {"cidr": "10.0.0.0/16"},
    "HostEndpoint": {"node": "n", "interfaceName": "eth0"},
    "WorkloadEndpoint": {"node": "n", "orchestrator": "k8s", "pod": "p", "endpoint": "eth0", "interfaceName": "cali0"},
    "BlockAffinity": {"state": "confirmed", "node": "n", "cidr": "10.0.0.0/26"},
    "Tier": {"order": 100},
}
MINIMAL_NAMES = {"WorkloadEndpoint": "n-k8s-p-eth0", "BlockAffinity": "n-10-0-0-0-26", "Tier": "t1"}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_defaulted_minimal_resource_is_valid(kind):
    metadata = {"name": MINIMAL_NAMES.get(kind, "default")}
    if KINDS[kind].namespaced:
        metadata["namespace"] = "ns"
    resource = with_defaults(from_dict({"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": metadata,
                                        "spec": MINIMAL_SPECS.get(kind, {})}))
    validate(resource)


def test_bgppeer_filters_must_exist():
    peer = doc("BGPPeer", "p", {"peerIP": "10.0.0.1", "asNumber": 1, "filters": ["f1", "f2", "f3"]})
    check_bgppeer_filters(peer, {"f1", "f2", "f3"})
    check_bgppeer_filters(doc("BGPPeer", "p", {"peerIP": "10.0.0.1"}), set())
    with pytest.raises(ValidationError) as err:
        check_bgppeer_filters(peer, {"f2"})
    assert str(err.value) == "error with field BGPPeer.Spec.Filters = '[f1 f3]' (BGPFilter(s) not found)"
