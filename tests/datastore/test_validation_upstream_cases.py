"""Accept/reject cases transcribed from libcalico-go's validator table tests (v3 API), as documents."""
import pytest

from datastore.validation import field_errors

V4_1, V4_2, V6_1, V6_2 = "1.2.3.4", "100.200.0.0", "aabb:aabb::ffff", "aabb::abcd"
NET4_1, NET4_2, NET4_3, NET4_4, NET4_5 = "1.2.3.4/32", "1.2.0.0/32", "1.2.3.0/26", "1.0.0.0/10", "1.2.3.0/27"
NET6_1, NET6_2, NET6_3, NET6_4 = "aabb:aabb::ffff/128", "aabb:aabb::/128", "aabb:aabb::0000/122", "aa00:0000::0000/10"
BAD4, BAD6 = "999.999.999.999", "xyz:::"


def res(kind, spec=None, name="thing", **metadata):
    meta = {"name": name, **metadata}
    if kind in ("NetworkPolicy", "NetworkSet", "WorkloadEndpoint"):
        meta.setdefault("namespace", "default")
    return {"kind": kind, "metadata": meta, "spec": spec or {}}


def rule(**fields):
    return res("GlobalNetworkPolicy", {"ingress": [{"action": "Allow", **fields}]})


def peer(**spec):
    return res("BGPPeer", spec)


def wep(**spec):
    return res("WorkloadEndpoint", {"interfaceName": "cali012371237", **spec})


def hep(**spec):
    return res("HostEndpoint", spec)


def pool(name="pool.name", labels=None, annotations=None, **spec):
    metadata = {k: v for k, v in (("labels", labels), ("annotations", annotations)) if v is not None}
    return res("IPPool", spec, name=name, **metadata)


def felix(**spec):
    return res("FelixConfiguration", spec, name="default")


def bgpconfig(**spec):
    return res("BGPConfiguration", spec, name="default")


def kcc(**spec):
    return res("KubeControllersConfiguration", spec, name="default")


ADV = [{"cidr": "192.168.10.0/28", "communities": ["100:100"]}]


def node(**spec):
    return res("Node", spec, name="node1")


CASES = [
    # Actions
    ("allow action", rule(), True),
    ("deny action", res("GlobalNetworkPolicy", {"ingress": [{"action": "Deny"}]}), True),
    ("log action", res("GlobalNetworkPolicy", {"ingress": [{"action": "Log"}]}), True),
    ("unknown action", res("GlobalNetworkPolicy", {"ingress": [{"action": "allowfoo"}]}), False),
    ("no action", res("GlobalNetworkPolicy", {"ingress": [{}]}), False),
    # Endpoint ports
    ("wep port tcp", wep(ports=[{"name": "a-valid-port", "protocol": "TCP", "port": 1234}]), True),
    ("wep port sctp", wep(ports=[{"name": "a-valid-port", "protocol": "SCTP", "port": 1234}]), True),
    ("wep port empty name", wep(ports=[{"name": "", "protocol": "UDP", "port": 1234}]), False),
    ("wep port empty name with host port", wep(ports=[{"protocol": "UDP", "port": 1234, "hostPort": 2345}]), True),
    ("wep port numeric protocol", wep(ports=[{"name": "a-valid-port", "protocol": 123, "port": 1234}]), False),
    ("wep port no port", wep(ports=[{"name": "a-valid-port", "protocol": "TCP"}]), False),
    ("wep port bad host IP", wep(ports=[{"protocol": "TCP", "port": 1, "hostPort": 2, "hostIP": BAD4}]), False),
    ("wep bad spoofing prefix", wep(allowSpoofedSourcePrefixes=["10.abcd"]), False),
    ("wep spoofing prefixes", wep(allowSpoofedSourcePrefixes=["10.0.0.1", "192.168.0.0/16"]), True),
    ("hep named port", hep(interfaceName="eth0", node="node01",
                           ports=[{"name": "a-valid-port", "protocol": "TCP", "port": 1234}]), True),
    ("hep unnamed port", hep(interfaceName="eth0", node="node01", ports=[{"protocol": "TCP", "port": 1234}]), False),
    ("hep missing node", hep(interfaceName="eth0"), False),
    ("hep interface *", hep(interfaceName="*", node="node01"), True),
    ("hep expected IPs", hep(expectedIPs=[V4_1, V6_1], node="node01"), True),
    ("hep no config", hep(), False),
    ("hep prefixed profiles", hep(interfaceName="eth0", node="node01",
                                  profiles=["knp.default.fun", "knp.default.funner.11234-a"]), True),
    ("hep profile starting with a dot", hep(interfaceName="eth0", node="node01", profiles=[".fun"]), False),
    # Network sets
    ("gns nets", res("GlobalNetworkSet", {"nets": ["10.0.0.1", "11.0.0.0/8", "dead:beef::", "dead:beef::/96"]}), True),
    ("gns garbage", res("GlobalNetworkSet", {"nets": ["garbage"]}), False),
    ("gns reserved label", res("GlobalNetworkSet", labels={"projectcalico.org/namespace": "foo"}), False),
    ("ns bad name", res("NetworkSet", {"nets": ["10.0.0.1"]}, name="test$set"), False),
    # BGP configuration
    ("bgp log level Info", res("BGPConfiguration", {"logSeverityScreen": "Info"}, name="default"), True),
    ("bgp log level INFO", res("BGPConfiguration", {"logSeverityScreen": "INFO"}, name="default"), False),
    ("bgp cluster IP", res("BGPConfiguration", {"serviceClusterIPs": [{"cidr": "1.2.3.4"}]}, name="default"), True),
    ("bgp bad external IP", res("BGPConfiguration", {"serviceExternalIPs": [{"cidr": "y.y.y.y"}]}, name="default"), False),
    ("bgp v6 cluster IP", res("BGPConfiguration", {"serviceClusterIPs": [{"cidr": "fdf5:1234::102:304"}]},
                              name="default"), True),
    ("mesh password with mesh off", res("BGPConfiguration", {
        "nodeToNodeMeshEnabled": False, "nodeMeshPassword": {"secretKeyRef": {"name": "s", "key": "k"}}},
        name="default"), False),
    ("mesh restart time with mesh on", res("BGPConfiguration", {
        "nodeToNodeMeshEnabled": True, "nodeMeshMaxRestartTime": "200s"}, name="default"), True),
    ("ignored interfaces", res("BGPConfiguration", {"ignoredInterfaces": ["valid_iface*", "interface_name"]},
                               name="default"), True),
    ("ignored interface *", res("BGPConfiguration", {"ignoredInterfaces": ["*"]}, name="default"), False),
    # Rules
    ("ip version 0", rule(ipVersion=0), False),
    ("selector with has and slashes", rule(source={"selector": "has(calico/k8s_NS-.1/role)"}), True),
    ("invalid selector", rule(source={"selector": "thing=hello &"}), False),
    ("sctp with no other config", rule(protocol="SCTP"), True),
    ("ports with protocol 6", rule(protocol=6, source={"ports": [1]}), True),
    ("named ports with protocol 6", rule(protocol=6, source={"ports": ["foo"]}), True),
    ("not ports with protocol 17", rule(protocol=17, source={"notPorts": [1]}), True),
    ("dest ports without protocol", rule(destination={"ports": [1]}), False),
    ("not port 0", rule(protocol="TCP", destination={"notPorts": [0]}), False),
    ("named port with unknown protocol", rule(protocol="unknown", destination={"notPorts": ["foo"]}), False),
    ("icmp fields without protocol", rule(ipVersion=4, icmp={"type": 0}), False),
    ("icmp fields without ip version", rule(protocol="ICMP", icmp={"type": 0}), True),
    ("icmp with ip version 6", rule(protocol="ICMP", ipVersion=6), False),
    ("icmpv6 with ip version 4", rule(protocol="ICMPv6", ipVersion=4), False),
    ("ports with protocol 7", rule(protocol=7, source={"ports": [1]}), False),
    ("lower-case icmp with not ports", rule(ipVersion=4, protocol="icmp", destination={"notPorts": [1]}), False),
    ("mixed v4 source and v6 dest", rule(protocol="TCP", source={"nets": [NET4_3]},
                                         destination={"nets": [NET6_3]}), False),
    ("ip version 6 with v4 nets", rule(protocol="TCP", ipVersion=6, source={"nets": [NET4_4]}), False),
    ("ip version 4 with v6 dest", rule(protocol="TCP", ipVersion=4, destination={"nets": [NET6_1]}), False),
    ("http on allow", rule(http={"methods": ["GET"]}), True),
    ("http on deny", res("GlobalNetworkPolicy", {"ingress": [{"action": "Deny", "http": {"methods": ["GET"]}}]}),
     False),
    ("http with udp", rule(protocol="UDP", http={"methods": ["GET"]}), False),
    ("http with tcp", rule(protocol="TCP", http={"methods": ["GET"]}), True),
    ("rule annotations", rule(metadata={"annotations": {"foo": "bar"}}), True),
    ("bad rule annotations", rule(metadata={"annotations": {"...": "bar"}}), False),
    ("http paths", rule(http={"paths": [{"exact": "/foo"}, {"prefix": "/bar"}]}), True),
    ("http path with ?", rule(http={"paths": [{"exact": "/fo?o"}]}), False),
    ("http path with space", rule(http={"paths": [{"exact": "/fo o"}]}), False),
    ("empty http path", rule(http={"paths": [{}]}), False),
    ("duplicate http methods", rule(http={"methods": ["GET", "GET", "Foo"]}), False),
    ("global() in entity selector", rule(source={"selector": "  global()  "}), False),
    ("global() in namespace selector", rule(source={"namespaceSelector": "  global()  "}), True),
    ("global() and-ed", rule(source={"namespaceSelector": " global() && all()"}), False),
    ("global() or-ed", rule(source={"namespaceSelector": "global()||all()"}), False),
    # BGP peers
    ("peer IPv4", peer(peerIP=V4_1), True),
    ("peer bad IPv4", peer(peerIP=BAD4), False),
    ("peer bad IPv6", peer(peerIP=BAD6), False),
    ("node and node selector", peer(node="my-node", nodeSelector="has(mylabel)"), False),
    ("peer IP and selector", peer(peerIP=V4_1, peerSelector="has(mylabel)"), False),
    ("AS and peer selector", peer(asNumber=61234, peerSelector="has(mylabel)"), False),
    ("node selector and peer selector", peer(nodeSelector="has(mylabel)", peerSelector="has(mylabel)"), True),
    ("reachableBy without peer IP", peer(reachableBy=V4_2), False),
    ("reachableBy with peer IP:port", peer(peerIP="9.9.9.9:4444", reachableBy=V4_1), True),
    ("reachableBy v6 with [v6]:port", peer(peerIP="[aabb::ffff]:4444", reachableBy=V6_1), True),
    ("bad reachableBy", peer(peerIP="9.9.9.9:4444", reachableBy=BAD4), False),
    ("reachableBy family mismatch", peer(peerIP="9.9.9.9:4444", reachableBy=V6_1), False),
    ("bad node selector", peer(nodeSelector="kubernetes.io/hostname: == 'casey-crc-kadm-node-4'"), False),
    ("peer IPv4 with port", peer(peerIP="192.168.1.1:500"), True),
    ("peer IPv6 with port", peer(peerIP="[9000::]:500"), True),
    ("bracketed IPv4 with bad port", peer(peerIP="[192.168.0.0]:98956"), False),
    ("port 65536", peer(peerIP="192.168.0.0:65536"), False),
    ("port 0", peer(peerIP="192.168.0.0:0"), False),
    ("bad IPv4 with port", peer(peerIP="192.168.0.330:170"), False),
    ("missing port", peer(peerIP="192.168.0.0:"), False),
    ("missing IPv6 port", peer(peerIP="[9000::]:"), False),
    ("bad IPv6 with port", peer(peerIP="[9000::FFFFF]:170"), False),
    ("port without IP", peer(peerIP=":8552"), False),
    ("port with empty brackets", peer(peerIP="[]:8552"), False),
    ("source address None", peer(sourceAddress="None"), True),
    ("source address rubbish", peer(sourceAddress="rubbish"), False),
    # Nodes
    ("node IPv4 BGP", node(bgp={"ipv4Address": NET4_1}), True),
    ("node tunnel address only", node(bgp={"ipv4IPIPTunnelAddr": "10.0.0.1"}), True),
    ("node empty BGP", node(bgp={}), False),
    ("node v6 in v4 field", node(bgp={"ipv4Address": NET6_1}), False),
    ("node RR cluster ID abcdef", node(bgp={"ipv4Address": NET4_1, "routeReflectorClusterID": "abcdef"}), False),
    ("node RR cluster ID 300.34.3.1", node(bgp={"ipv4Address": NET4_1, "routeReflectorClusterID": "300.34.3.1"}),
     False),
    ("node RR cluster ID 245.0.0.1", node(bgp={"ipv4Address": NET4_1, "routeReflectorClusterID": "245.0.0.1"}), True),
    ("wireguard address foo.bar", node(wireguard={"interfaceIPv4Address": "foo.bar"}), False),
    # Workload endpoints
    ("wep networks", wep(ipNetworks=[NET4_1, NET4_2, NET6_1, NET6_2]), True),
    ("wep v4 NAT covered", wep(ipNetworks=[NET4_1], ipNATs=[{"internalIP": V4_1, "externalIP": V4_2}]), True),
    ("wep v6 NAT covered", wep(ipNetworks=[NET6_1], ipNATs=[{"internalIP": V6_1, "externalIP": V6_2}]), True),
    ("wep mixed-case container ID", wep(containerID="Cath01234-G"), True),
    ("wep /26 network", wep(ipNetworks=[NET4_3]), False),
    ("wep /122 network", wep(ipNetworks=[NET6_3]), False),
    ("wep NAT without networks", wep(ipNATs=[{"internalIP": V4_2, "externalIP": V4_1}]), False),
    ("wep NAT not covered", wep(ipNetworks=[NET4_1], ipNATs=[{"internalIP": V4_2, "externalIP": V4_1}]), False),
    ("wep NAT mixed families", wep(ipNetworks=[NET4_1], ipNATs=[{"internalIP": V4_1, "externalIP": V6_1}]), False),
    ("wep container ID with dash first", wep(containerID="-abcdefg"), False),
    ("wep container ID with period", wep(containerID="abcde-j.g"), False),
    ("wep interface Valid_Iface.0-9", wep(interfaceName="Valid_Iface.0-9"), True),
    ("wep interface too long", wep(interfaceName="interfaceTooLong"), False),
    ("wep interface with &", wep(interfaceName="Invalid&Intface"), False),
    # IP pools (struct validation)
    ("pool /26", pool(cidr=NET4_3), True),
    ("pool /10", pool(cidr=NET4_4), True),
    ("pool v6 /122", pool(cidr=NET6_3, ipipMode="Never", vxlanMode="Never"), True),
    ("disabled pool /27", pool(cidr=NET4_5, disabled=True), True),
    ("pool /27", pool(cidr=NET4_5), False),
    ("pool v6 /128", pool(cidr=NET6_1), False),
    ("pool /33", pool(cidr="1.2.3.4/33"), False),
    ("IPIP on v6 pool", pool(cidr=NET6_1, ipipMode="Always", vxlanMode="Never", disabled=True), False),
    ("pool overlapping link local", pool(cidr="169.254.5.0/24"), False),
    ("v6 pool overlapping link local", pool(cidr="fe80::/120"), False),
    ("pool allowed uses", pool(cidr=NET4_4, allowedUses=["Workload", "Tunnel"]), True),
    ("pool garbage use", pool(cidr=NET4_4, allowedUses=["Garbage"]), False),
    ("IPIP never (lower case)", pool(cidr="1.2.3.0/24", ipipMode="never"), False),
    ("IPIP and VXLAN", pool(cidr="1.2.3.0/24", ipipMode="Always", vxlanMode="Always"), False),
    ("VXLAN CrossSubnet", pool(cidr="1.2.3.0/24", vxlanMode="CrossSubnet"), True),
    ("deprecated ipip field", pool(cidr="1.2.3.0/24", ipipMode="Never", ipip={"enabled": True, "mode": "always"}), False),
    ("deprecated nat-outgoing", pool(cidr="1.2.3.0/24", ipipMode="Never", **{"nat-outgoing": True}), False),
    ("pool label value of 63", pool(cidr=NET4_3, labels={"projectcalico.org/label": "x" * 63}), True),
    ("pool label value of 64", pool(cidr=NET4_3, labels={"projectcalico.org/label": "x" * 64}), False),
    ("upper-case label domain", pool(cidr=NET4_3, labels={"ProjectCalico.org/label": "value"}), False),
    ("upper-case label name", pool(cidr=NET4_3, labels={"projectcalico.org/Label": "value"}), True),
    ("bad annotation key", pool(cidr=NET4_3, annotations={"projectcalico.org$label": "value"}), False),
    ("upper-case annotation key", pool(cidr=NET4_3, annotations={"ProjectCalico.org/Label": "value"}), True),
    ("annotations of 256k", pool(cidr=NET4_3, annotations={"key": "x" * (256 * 1024 - 3)}), True),
    ("annotations over 256k", pool(cidr=NET4_3, annotations={"key": "x" * (256 * 1024 - 2)}), False),
    ("name of 253", pool(name="x" * 253, cidr=NET4_3), True),
    ("name of 254", pool(name="x" * 254, cidr=NET4_3), False),
    ("bad node selector on pool", pool(cidr=NET4_3, nodeSelector="this is not valid selector syntax"), False),
    # IP reservations
    ("reservation IPs and CIDRs", res("IPReservation", {"reservedCIDRs": ["10.0.0.1", "cafe::1", "cafe:f00d::/96"]}),
     True),
    ("reservation /33", res("IPReservation", {"reservedCIDRs": ["10.0.1.0/33"]}), False),
    # Felix configuration
    ("iptables backend NFT", felix(iptablesBackend="NFT"), True),
    ("iptables backend badVal", felix(iptablesBackend="badVal"), False),
    ("endpoint to host drop (lower case)", felix(defaultEndpointToHostAction="drop"), False),
    ("mangle allow Drop", felix(iptablesMangleAllowAction="Drop"), False),
    ("seven node port ranges", felix(kubeNodePortRanges=["3000:4000", "5000:6000", "7000:8000", "8000:9000",
                                                          "10000:11000", "12000:13000", 15000]), True),
    ("eight node port ranges", felix(kubeNodePortRanges=["3000:4000", "5000:6000", "7000:8000", "8000:9000",
                                                          "10000:11000", "12000:13000", "14000:15000",
                                                          "16000:17000"]), False),
    ("named node port range", felix(kubeNodePortRanges=["testport"]), False),
    ("external nodes", felix(externalNodesList=["1.1.1.1", "1.1.1.2/32", "1.1.3.0/23"]), True),
    ("external nodes foobar", felix(externalNodesList=["foobar", "1.1.1.1"]), False),
    ("external nodes v6", felix(externalNodesList=["abcd::1", "abef::2/128"]), False),
    ("openstack region FOO", felix(openstackRegion="FOO"), False),
    ("overlong openstack region", felix(openstackRegion="my-region-has-a-very-long-and-extremely-interesting-name"),
     False),
    ("log severity Critical", felix(logSeveritySys="Critical"), False),
    ("nat interface filter cali@123", felix(iptablesNATOutgoingInterfaceFilter="cali@123"), False),
    ("bpf log level Off", felix(bpfLogLevel="Off"), True),
    ("connmark -1", felix(bpfExtToServiceConnmark=-1), False),
    ("connmark 2^32", felix(bpfExtToServiceConnmark=0x100000000), False),
    ("connmark 0xffffffff", felix(bpfExtToServiceConnmark=0xFFFFFFFF), True),
    ("data iface pattern *", felix(bpfDataIfacePattern="*"), False),
    ("data iface pattern eth.*", felix(bpfDataIfacePattern="eth.*"), True),
    ("route table range 1-250", felix(routeTableRange={"min": 1, "max": 250}), True),
    ("route table range max 253", felix(routeTableRange={"min": 1, "max": 253}), False),
    ("route table range -5", felix(routeTableRange={"min": -5, "max": 250}), False),
    ("route table ranges 8-8 and 7-7", felix(routeTableRanges=[{"min": 8, "max": 8}, {"min": 7, "max": 7}]), True),
    ("route table ranges too high", felix(routeTableRanges=[{"min": 1, "max": 0xF00000000}]), False),
    ("route table ranges too many", felix(routeTableRanges=[{"min": 1, "max": 2}, {"min": 3, "max": 4},
                                                            {"min": 5, "max": 0x10000}]), False),
    ("health override 0", felix(healthTimeoutOverrides=[{"name": "Valid", "timeout": "0s"}]), True),
    ("health override without name", felix(healthTimeoutOverrides=[{"name": "", "timeout": "10s"}]), False),
    ("nat outgoing masked", felix(natOutgoingAddress=NET4_1), False),
    ("prometheus host v6", felix(prometheusMetricsHost="fe80::ea7a:70fa:cf74:25d5"), True),
    ("prometheus host with space", felix(prometheusMetricsHost="0: 1::1"), False),
    ("device route source v6 in v4", felix(deviceRouteSourceAddress=V6_1), False),
    ("wireguard port 99999", felix(wireguardListeningPort=99999), False),
    ("wireguard rule priority 12345", felix(wireguardRoutingRulePriority=12345), True),
    ("aws check enable (lower case)", felix(awsSrcDstCheck="enable"), False),
    ("wireguard interface wg0", felix(wireguardInterfaceName="wg0"), True),
    ("wireguard interface wg&0", felix(wireguardInterfaceName="wg&0"), False),
    ("service loop prevention Wibbly", felix(serviceLoopPrevention="Wibbly"), False),
    # KubeControllersConfiguration
    ("kcc health checks invalid", kcc(healthChecks="invalid"), False),
    ("kcc health checks Enabled", kcc(healthChecks="Enabled"), True),
    ("kcc log severity Error", kcc(logSeverityScreen="Error"), True),
    ("kcc empty controllers", kcc(controllers={"node": {}, "policy": {}, "workloadEndpoint": {},
                                               "serviceAccount": {}, "namespace": {}}), True),
    ("kcc sync labels yes", kcc(controllers={"node": {"syncLabels": "yes"}}), False),
    ("kcc auto create Totally", kcc(controllers={"node": {"hostEndpoint": {"autoCreate": "Totally"}}}), False),
    ("kcc empty host endpoint", kcc(controllers={"node": {"hostEndpoint": {}}}), True),
    # BGP communities
    ("community without prefix advertisement", bgpconfig(communities=[{"name": "community-test", "value": "101:5695"}]),
     False),
    ("community without name", bgpconfig(communities=[{"value": "536:785"}], prefixAdvertisements=ADV), False),
    ("community without value", bgpconfig(communities=[{"name": "community-test"}], prefixAdvertisements=ADV), False),
    ("standard community", bgpconfig(communities=[{"name": "community-test", "value": "100:520"}],
                                     prefixAdvertisements=ADV), True),
    ("large community", bgpconfig(communities=[{"name": "community-test", "value": "100:520:56"}],
                                  prefixAdvertisements=ADV), True),
    ("community 100", bgpconfig(communities=[{"name": "community-test", "value": "100"}], prefixAdvertisements=ADV),
     False),
    ("community ab-n", bgpconfig(communities=[{"name": "community-test", "value": "ab-n"}], prefixAdvertisements=ADV),
     False),
    ("standard community over 16 bits", bgpconfig(communities=[{"name": "c", "value": "65536:999999"}],
                                                  prefixAdvertisements=ADV), False),
    ("advertisement without CIDR", bgpconfig(prefixAdvertisements=[{"communities": ["100:5964"]}]), False),
    ("advertisement without communities", bgpconfig(prefixAdvertisements=[{"cidr": "192.168.10.0/28"}]), False),
    ("v6 advertisement", bgpconfig(prefixAdvertisements=[{"cidr": "2001:4860::/128",
                                                          "communities": ["100:5964:50"]}]), True),
    ("advertised standard community over 16 bits", bgpconfig(prefixAdvertisements=[{
        "cidr": "2001:4860::/128", "communities": ["100:1147483647"]}]), False),
    ("advertised large community over 32 bits", bgpconfig(prefixAdvertisements=[{
        "cidr": "2001:4860::/128", "communities": ["100:100:5147483647"]}]), False),
    ("undefined community name", bgpconfig(prefixAdvertisements=[{
        "cidr": "2001:4860::/128", "communities": ["non-existent-community"]}]), False),
    ("defined community name", bgpconfig(communities=[{"name": "community-test", "value": "101:5695"}],
                                         prefixAdvertisements=[{"cidr": "2001:4860::/128",
                                                                "communities": ["community-test", "8988:202"]}]), True),
    # Block affinities
    ("block affinity not deleted", res("BlockAffinity", {"deleted": "false", "state": "confirmed",
                                                         "cidr": "10.0.0.0/24", "node": "node-1"}), True),
    ("block affinity deleted", res("BlockAffinity", {"deleted": "true", "state": "confirmed",
                                                     "cidr": "10.0.0.0/24", "node": "node-1"}), False),
    # Policies
    ("gnp name with ~", res("GlobalNetworkPolicy", name="t~!s.h.i.ng"), False),
    ("gnp mixed case", res("GlobalNetworkPolicy", name="tHiNg"), False),
    ("gnp k8s name", res("GlobalNetworkPolicy", name="knp.default.thing"), False),
    ("gnp two dots", res("GlobalNetworkPolicy", name="t.h.i.ng"), False),
    ("gnp preDNAT without doNotTrack", res("GlobalNetworkPolicy", {"preDNAT": True, "applyOnForward": True}), True),
    ("gnp preDNAT egress", res("GlobalNetworkPolicy", {"preDNAT": True, "applyOnForward": True,
                                                        "egress": [{"action": "Allow"}]}), False),
    ("gnp doNotTrack without applyOnForward", res("GlobalNetworkPolicy", {"doNotTrack": True}), False),
    ("gnp types without egress rules", res("GlobalNetworkPolicy", {"egress": [{"action": "Allow"}],
                                                                   "types": ["Ingress"]}), True),
    ("gnp unexpected type", res("GlobalNetworkPolicy", {"types": ["unexpected"]}), False),
    ("gnp http in egress", res("GlobalNetworkPolicy", {"egress": [{"action": "Allow", "http": {"methods": ["GET"]}}]}),
     False),
    ("gnp global() namespace selector", res("GlobalNetworkPolicy", {"namespaceSelector": "global()"}), False),
    ("gnp service in ingress destination", res("GlobalNetworkPolicy", {"ingress": [{
        "action": "Allow", "destination": {"services": {"name": "service1", "namespace": "default"}}}]}), False),
    ("gnp service without namespace", res("GlobalNetworkPolicy", {"egress": [{
        "action": "Allow", "destination": {"services": {"name": "service1"}}}]}), False),
    ("np two dots", res("NetworkPolicy", name="t.h.i.ng"), False),
    ("np 253 chars", res("NetworkPolicy", name="x" * 253), True),
    ("np 254 chars", res("NetworkPolicy", name="x" * 254), False),
    ("np k8s name", res("NetworkPolicy", name="knp.default.thing"), True),
    ("np service in egress destination", res("NetworkPolicy", {"egress": [{
        "action": "Allow", "destination": {"services": {"name": "service1", "namespace": "default"}}}]}), True),
    ("np service in egress source", res("NetworkPolicy", {"egress": [{
        "action": "Allow", "source": {"services": {"name": "service1", "namespace": "default"}}}]}), False),
    ("np service and service accounts", res("NetworkPolicy", {"ingress": [{
        "action": "Allow", "destination": {"serviceAccounts": {"names": ["sa"]},
                                           "services": {"name": "service1", "namespace": "default"}}}]}), False),
    ("np service with ports on ingress source", res("NetworkPolicy", {"ingress": [{
        "action": "Allow", "protocol": "TCP",
        "source": {"ports": [80], "services": {"name": "service1", "namespace": "default"}}}]}), True),
    ("np service with ports on egress destination", res("NetworkPolicy", {"egress": [{
        "action": "Allow", "destination": {"ports": [80],
                                           "services": {"name": "service1", "namespace": "default"}}}]}), False),
    ("np service and selector", res("NetworkPolicy", {"ingress": [{
        "action": "Allow", "source": {"selector": "x == 'y'",
                                      "services": {"name": "service1", "namespace": "default"}}}]}), False),
    # Profiles
    ("labelsToApply value of 63", res("Profile", {"labelsToApply": {"project.calico.org/my-valid-label": "x" * 63}}),
     True),
    ("labelsToApply value of 64", res("Profile", {"labelsToApply": {"project.calico.org/my-valid-label": "x" * 64}}),
     False),
    ("labelsToApply key starting with .", res("Profile", {"labelsToApply": {".mylabel": "value"}}), False),
]


@pytest.mark.parametrize("document,valid", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_upstream_case(document, valid):
    errors = field_errors(document)
    assert (errors == ()) == valid, [str(e) for e in errors]
