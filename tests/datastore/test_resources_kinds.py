"""Every kind family: documented examples in, exact Calico JSON out, defaults, kind-specific scalars."""
import pytest
import yaml

from datastore.errors import ParseError
from datastore.resources import (
    API_VERSION,
    BGPConfiguration,
    CalicoNodeStatus,
    Duration,
    FelixConfiguration,
    FrozenMap,
    KubeControllersConfiguration,
    Metadata,
    Node,
    Port,
    Tier,
    WorkloadEndpointSpec,
    default_allow_profile,
    dumps,
    from_dict,
    to_dict,
    with_defaults,
    workload_endpoint_name,
)


def load(text: str):
    return from_dict(yaml.safe_load(text))


def spec_json(resource) -> dict:
    return to_dict(resource)["spec"]


def parse_error(text: str) -> str:
    with pytest.raises(ParseError) as info:
        load(text)
    return str(info.value)


def test_every_kind_has_a_class():
    from datastore.resources import KINDS, load_all
    classes = load_all()
    assert set(classes) == set(KINDS)
    for kind, cls in classes.items():
        assert cls.KIND.kind == kind
        assert to_dict(cls())["kind"] == kind


# --- BGP ------------------------------------------------------------------------------------------

BGPPEER = """
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: some.name
spec:
  filters: [export-only]
  asNumber: "1.10"
  peerIP: 192.168.1.1
  node: rack1-host1
  maxRestartTime: 90s
  password:
    secretKeyRef: {name: bgp-secrets, key: rr-password}
  ttlSecurity: 1
  keepOriginalNextHop: true
"""


def test_bgppeer_example_in_go_order_with_dotted_asn_and_canonical_duration():
    peer = load(BGPPEER)
    assert peer.spec.as_number == 65546
    assert peer.spec.max_restart_time == Duration.of(seconds=90)
    assert dumps(spec_json(peer)) == (
        '{"node":"rack1-host1","peerIP":"192.168.1.1","asNumber":65546,"keepOriginalNextHop":true,'
        '"password":{"secretKeyRef":{"name":"bgp-secrets","key":"rr-password"}},"maxRestartTime":"1m30s",'
        '"ttlSecurity":1,"filters":["export-only"]}')


@pytest.mark.parametrize(
    "asn, message",
    [("4294967296", "cannot unmarshal number into Go value of type string"),
     ('"abc"', "invalid AS Number format (abc)"),
     ('"70000.1"', "invalid AS Number format (70000.1)"),
     ("true", "cannot unmarshal bool into Go value of type string")],
)
def test_asn_errors(asn, message):
    assert parse_error(f"apiVersion: projectcalico.org/v3\nkind: BGPPeer\nspec:\n  asNumber: {asn}\n") == message


def test_bgppeer_ttl_security_is_uint8():
    assert parse_error("apiVersion: projectcalico.org/v3\nkind: BGPPeer\nspec:\n  ttlSecurity: 300\n") == (
        "cannot unmarshal number 300 into Go struct field BGPPeerSpec.spec.ttlSecurity of type uint8")


def test_bgpconfiguration_is_stored_without_defaults_and_reports_effective_values():
    config = load("""
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata: {name: default}
spec:
  serviceClusterIPs: [{cidr: 10.96.0.0/12}]
  communities: [{name: bgp-large-community, value: "63400:300:100"}]
  prefixAdvertisements: [{cidr: 172.218.4.0/26, communities: [bgp-large-community, "63400:120"]}]
  listenPort: 178
  nodeToNodeMeshEnabled: false
  logSeverityScreen: Info
""")
    assert with_defaults(config) == config
    assert dumps(spec_json(config)) == (
        '{"logSeverityScreen":"Info","nodeToNodeMeshEnabled":false,"serviceClusterIPs":[{"cidr":"10.96.0.0/12"}],'
        '"communities":[{"name":"bgp-large-community","value":"63400:300:100"}],'
        '"prefixAdvertisements":[{"cidr":"172.218.4.0/26","communities":["bgp-large-community","63400:120"]}],'
        '"listenPort":178}')
    assert not config.spec.effective_mesh_enabled()
    assert config.spec.effective_as_number() == 64512
    assert config.spec.effective_listen_port() == 178
    empty = BGPConfiguration().spec
    assert (empty.effective_mesh_enabled(), empty.effective_listen_port(), empty.effective_log_severity(),
            empty.effective_bind_mode()) == (True, 179, "Info", "None")


def test_bgpfilter_rules_keep_go_field_order():
    bgp_filter = load("""
apiVersion: projectcalico.org/v3
kind: BGPFilter
metadata: {name: my-filter}
spec:
  exportV4:
  - action: Accept
    matchOperator: In
    cidr: 77.0.0.0/16
    prefixLength: {min: 24}
  importV6:
  - action: Reject
    interface: "*.calico"
    source: RemotePeers
""")
    assert dumps(spec_json(bgp_filter)) == (
        '{"exportV4":[{"cidr":"77.0.0.0/16","prefixLength":{"min":24},"matchOperator":"In","action":"Accept"}],'
        '"importV6":[{"source":"RemotePeers","interface":"*.calico","action":"Reject"}]}')


def test_bgpfilter_unknown_rule_field_is_rejected():
    assert parse_error("apiVersion: projectcalico.org/v3\nkind: BGPFilter\nspec:\n  exportV4:\n  - action: Accept\n"
                       "    bogus: 1\n") == (
        "error parsing document: field in document is not recognized or is in the wrong location: bogus")


# --- Node -----------------------------------------------------------------------------------------

def test_node_always_has_a_status_object():
    node = load("""
apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: node-hostname}
spec:
  bgp:
    asNumber: 64512
    ipv4Address: 10.244.0.1/24
    ipv6Address: 2001:db8:85a3::8a2e:370:7334/120
    ipv4IPIPTunnelAddr: 192.168.0.1
  orchRefs: [{nodeName: node-hostname, orchestrator: k8s}]
""")
    assert to_dict(node) == {
        "kind": "Node", "apiVersion": API_VERSION,
        "metadata": {"name": "node-hostname", "creationTimestamp": None},
        "spec": {"bgp": {"asNumber": 64512, "ipv4Address": "10.244.0.1/24",
                         "ipv6Address": "2001:db8:85a3::8a2e:370:7334/120", "ipv4IPIPTunnelAddr": "192.168.0.1"},
                 "orchRefs": [{"nodeName": "node-hostname", "orchestrator": "k8s"}]},
        "status": {},
    }
    assert to_dict(Node())["spec"] == {}


def test_node_status_fields_round_trip():
    node = load("apiVersion: projectcalico.org/v3\nkind: Node\nmetadata: {name: n}\n"
                "status: {podCIDRs: [10.0.0.0/24], wireguardPublicKey: abc}\n")
    assert to_dict(node)["status"] == {"wireguardPublicKey": "abc", "podCIDRs": ["10.0.0.0/24"]}


def test_calico_node_status_shape():
    status = load("""
apiVersion: projectcalico.org/v3
kind: CalicoNodeStatus
metadata: {name: my-caliconodestatus-1}
spec:
  classes: [Agent, BGP, Routes]
  node: my-kadm-node-0
  updatePeriodSeconds: 10
""")
    assert to_dict(status)["spec"] == {"node": "my-kadm-node-0", "classes": ["Agent", "BGP", "Routes"],
                                       "updatePeriodSeconds": 10}
    assert to_dict(CalicoNodeStatus())["status"]["bgp"] == {
        "numberEstablishedV4": 0, "numberNotEstablishedV4": 0, "numberEstablishedV6": 0, "numberNotEstablishedV6": 0}


# --- Policy ---------------------------------------------------------------------------------------

GNP = """
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: allow-tcp-6379
spec:
  selector: role == 'database' && !has(debug)
  types: [Ingress, Egress]
  ingress:
  - action: Allow
    metadata:
      annotations: {from: frontend, to: database}
    protocol: TCP
    source:
      selector: role == 'frontend'
    destination:
      ports: [6379, "8000:8080", http]
  egress:
  - action: Allow
"""


def test_global_network_policy_example():
    policy = load(GNP)
    rule = policy.spec.ingress[0]
    assert rule.destination.ports == (Port(6379, 6379), Port(8000, 8080), Port(name="http"))
    assert dumps(spec_json(policy)) == (
        '{"ingress":[{"action":"Allow","protocol":"TCP","source":{"selector":"role == \'frontend\'"},'
        '"destination":{"ports":[6379,"8000:8080","http"]},"metadata":{"annotations":{"from":"frontend",'
        '"to":"database"}}}],"egress":[{"action":"Allow","source":{},"destination":{}}],'
        '"selector":"role == \'database\' \\u0026\\u0026 !has(debug)","types":["Ingress","Egress"]}')


@pytest.mark.parametrize(
    "egress, ingress, expected",
    [(False, False, ["Ingress"]), (False, True, ["Ingress"]), (True, False, ["Egress"]), (True, True, ["Ingress", "Egress"])],
)
def test_policy_types_default_from_rules(egress, ingress, expected):
    text = "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: p, namespace: ns}\nspec:\n"
    text += "  egress: [{action: Allow}]\n" if egress else ""
    text += "  ingress: [{action: Deny}]\n" if ingress else ""
    text += "  selector: all()\n"
    policy = with_defaults(load(text))
    assert spec_json(policy)["types"] == expected
    assert policy.metadata.labels == {"projectcalico.org/tier": "default"}


def test_explicit_types_and_tier_are_kept():
    policy = with_defaults(load("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
                                "metadata: {name: sec.p, labels: {a: b}}\nspec: {tier: sec, types: [Egress], order: 100.5}\n"))
    assert policy.spec.types == ("Egress",)
    assert policy.metadata.labels == {"a": "b", "projectcalico.org/tier": "sec"}
    assert spec_json(policy)["order"] == 100.5


def test_protocols_ports_and_icmp():
    policy = load("""
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: p, namespace: ns}
spec:
  ingress:
  - {action: Allow, protocol: "6", notProtocol: UDPLite, ipVersion: 4, source: {notPorts: ["22"]}}
  - {action: Deny, protocol: ICMP, icmp: {type: 8, code: 0}, notICMP: {type: 3}}
""")
    first, second = policy.spec.ingress
    assert first.protocol == 6 and first.not_protocol == "UDPLite"
    assert first.source.not_ports == (Port(22, 22),)
    assert dumps(to_dict(policy)["spec"]["ingress"][1]) == (
        '{"action":"Deny","protocol":"ICMP","icmp":{"type":8,"code":0},"notICMP":{"type":3},'
        '"source":{},"destination":{}}')


@pytest.mark.parametrize(
    "value, message",
    [("65536", "cannot unmarshal number 65536 into Go value of type uint16"),
     ('"1:65536"', "invalid maximum port number in range (1:65536)"),
     ('"65535:1"', "minimum port number (65535) is greater than maximum port number (1) in port range"),
     ("1.5", "cannot unmarshal number 1.5 into Go value of type uint16"),
     ("[1]", "cannot unmarshal array into Go value of type uint16")],
)
def test_port_errors(value, message):
    text = (f"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nspec:\n  ingress:\n"
            f"  - action: Allow\n    destination:\n      ports: [{value}]\n")
    assert parse_error(text) == message


def test_protocol_out_of_range():
    text = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nspec:\n  egress: [{action: Allow, protocol: 256}]\n"
    assert parse_error(text) == "cannot unmarshal number 256 into Go value of type uint8"


def test_misplaced_rule_field_is_named():
    text = ("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nspec:\n"
            "  ingress: [{action: Allow, ports: [80]}]\n")
    assert parse_error(text).endswith("wrong location: ports")


def test_rule_field_names_are_case_insensitive():
    policy = load("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nspec:\n"
                  "  Egress: [{Action: Allow, ICMP: {Type: 1}, Destination: {Nets: [10.0.0.0/8]}}]\n")
    rule = policy.spec.egress[0]
    assert (rule.action, rule.icmp.type, rule.destination.nets) == ("Allow", 1, ("10.0.0.0/8",))


def test_default_allow_profile():
    profile = default_allow_profile()
    assert to_dict(profile) == {
        "kind": "Profile", "apiVersion": API_VERSION,
        "metadata": {"name": "projectcalico-default-allow", "resourceVersion": "1", "creationTimestamp": None},
        "spec": {"ingress": [{"action": "Allow", "source": {}, "destination": {}}],
                 "egress": [{"action": "Allow", "source": {}, "destination": {}}]},
    }


def test_profile_labels_to_apply_sorted():
    profile = load("apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata: {name: dev}\n"
                   "spec: {labelsToApply: {stage: development, env: dev}}\n")
    assert list(spec_json(profile)["labelsToApply"]) == ["env", "stage"]


def test_tier_defaults():
    assert spec_json(with_defaults(Tier(metadata=Metadata(name="t")))) == {"order": 1000000, "defaultAction": "Deny"}
    tier = load("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: t}\nspec: {order: 100, defaultAction: Pass}\n")
    assert spec_json(with_defaults(tier)) == {"order": 100, "defaultAction": "Pass"}


# --- Endpoints and sets ---------------------------------------------------------------------------

def test_host_endpoint_example():
    hep = load("""
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: some.name
  labels: {type: production}
spec:
  interfaceName: eth0
  node: myhost
  expectedIPs: [192.168.0.1, 192.168.0.2]
  profiles: [profile1, profile2]
  ports:
  - {name: some-port, port: 1234, protocol: TCP}
  - {name: another-port, port: 5432, protocol: UDP}
""")
    assert dumps(spec_json(hep)) == (
        '{"node":"myhost","interfaceName":"eth0","expectedIPs":["192.168.0.1","192.168.0.2"],'
        '"profiles":["profile1","profile2"],"ports":[{"name":"some-port","protocol":"TCP","port":1234},'
        '{"name":"another-port","protocol":"UDP","port":5432}]}')


def test_workload_endpoint_labels_and_name():
    wep = load("""
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata:
  name: node1-k8s-my--nginx--b1337a-eth0
  namespace: default
  labels: {app: frontend}
spec:
  node: node1
  orchestrator: k8s
  pod: my-nginx-b1337a
  endpoint: eth0
  serviceAccountName: sa1
  containerID: 1337495556942031415926535
  interfaceName: cali0ef24ba
  mac: ca:fe:1d:52:bb:e9
  ipNetworks: [192.168.0.0/32]
  profiles: [kns.default]
  ports:
  - {name: some-port, port: 1234, protocol: TCP, hostPort: 5678}
""")
    assert wep.spec.container_id == "1337495556942031415926535"
    assert workload_endpoint_name(wep.spec) == wep.name
    assert with_defaults(wep).metadata.labels == {
        "app": "frontend", "projectcalico.org/namespace": "default",
        "projectcalico.org/orchestrator": "k8s", "projectcalico.org/serviceaccount": "sa1"}
    assert spec_json(wep)["ports"] == [
        {"name": "some-port", "protocol": "TCP", "port": 1234, "hostPort": 5678, "hostIP": ""}]


@pytest.mark.parametrize(
    "spec, name",
    [(WorkloadEndpointSpec(node="n-1", orchestrator="cni", container_id="abc", endpoint="eth0"), "n--1-cni-abc-eth0"),
     (WorkloadEndpointSpec(node="n", orchestrator="libnetwork", endpoint="ep"), "n-libnetwork-libnetwork-ep"),
     (WorkloadEndpointSpec(node="n", orchestrator="openstack", workload="w-1", endpoint="e"), "n-openstack-w--1-e")],
)
def test_workload_endpoint_name_per_orchestrator(spec, name):
    assert workload_endpoint_name(spec) == name


def test_network_sets():
    netset = load("apiVersion: projectcalico.org/v3\nkind: NetworkSet\nmetadata: {name: s, namespace: ns}\n"
                  "spec: {nets: [198.51.100.0/28, 203.0.113.0/24]}\n")
    assert spec_json(netset) == {"nets": ["198.51.100.0/28", "203.0.113.0/24"]}
    assert parse_error("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nspec: {nets: 1.2.3.4/32}\n") == (
        "cannot unmarshal string into Go struct field GlobalNetworkSetSpec.spec.nets of type []string")


# --- Cluster-wide singletons ------------------------------------------------------------------------

def test_cluster_information_keeps_explicit_false():
    info = load("apiVersion: projectcalico.org/v3\nkind: ClusterInformation\nmetadata: {name: default}\n"
                "spec: {clusterGUID: 0123456789abcdef0123456789abcdef, datastoreReady: false, clusterType: 'typha,kdd'}\n")
    assert spec_json(info) == {"clusterGUID": "0123456789abcdef0123456789abcdef", "clusterType": "typha,kdd",
                               "datastoreReady": False}


def test_kube_controllers_configuration_example_and_defaults():
    kcc = load("""
apiVersion: projectcalico.org/v3
kind: KubeControllersConfiguration
metadata: {name: default}
spec:
  logSeverityScreen: Info
  healthChecks: Enabled
  etcdv3CompactionPeriod: 10m
  controllers:
    node:
      reconcilerPeriod: 5m
      syncLabels: Enabled
      hostEndpoint: {autoCreate: Disabled}
    policy: {reconcilerPeriod: 5m}
""")
    out = to_dict(with_defaults(kcc))
    assert dumps(out["spec"]) == (
        '{"logSeverityScreen":"Info","healthChecks":"Enabled","etcdV3CompactionPeriod":"10m0s",'
        '"prometheusMetricsPort":9094,"controllers":{"node":{"reconcilerPeriod":"5m0s","syncLabels":"Enabled",'
        '"hostEndpoint":{"autoCreate":"Disabled"},"leakGracePeriod":"15m0s"},"policy":{"reconcilerPeriod":"5m0s"}}}')
    assert out["status"] == {}
    status = load("apiVersion: projectcalico.org/v3\nkind: KubeControllersConfiguration\nmetadata: {name: default}\n"
                  "status: {environmentVars: {DATASTORE_TYPE: etcdv3}, runningConfig: {healthChecks: Enabled}}\n")
    assert to_dict(status)["status"] == {"runningConfig": {"healthChecks": "Enabled", "controllers": {}},
                                         "environmentVars": {"DATASTORE_TYPE": "etcdv3"}}
    assert to_dict(with_defaults(KubeControllersConfiguration()))["spec"] == {
        "prometheusMetricsPort": 9094, "controllers": {}}


def test_felix_configuration_example():
    felix = load("""
apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata: {name: default}
spec:
  ipv6Support: false
  ipipMTU: 1400
  chainInsertMode: Append
  reportingInterval: 0s
  failsafeInboundHostPorts: []
  failsafeOutboundHostPorts: [{protocol: udp, port: 53}]
  kubeNodePortRanges: ["30000:32767", 8080]
  routeTableRanges: [{min: 1, max: 250}]
  iptablesMarkMask: 4278190080
  natPortRange: "32768:65535"
  healthTimeoutOverrides: [{name: InternalDataplaneMainLoop, timeout: 90s}]
  awsSrcDstCheck: Disable
""")
    assert dumps(spec_json(felix)) == (
        '{"ipv6Support":false,"chainInsertMode":"Append","ipipMTU":1400,"reportingInterval":"0s",'
        '"iptablesMarkMask":4278190080,"healthTimeoutOverrides":[{"name":"InternalDataplaneMainLoop","timeout":"1m30s"}],'
        '"failsafeInboundHostPorts":[],"failsafeOutboundHostPorts":[{"protocol":"udp","port":53,"net":""}],'
        '"kubeNodePortRanges":["30000:32767",8080],"natPortRange":"32768:65535","bpfLogLevel":"",'
        '"routeTableRanges":[{"min":1,"max":250}],"awsSrcDstCheck":"Disable"}')
    assert spec_json(FelixConfiguration()) == {"bpfLogLevel": ""}


def test_felix_duration_error_uses_go_wording():
    assert parse_error("apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nspec: {routeRefreshInterval: 10}\n") == (
        "cannot unmarshal number into Go value of type string")
    assert parse_error("apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nspec: {routeRefreshInterval: 10x}\n") == (
        'time: unknown unit "x" in duration "10x"')


def test_felix_labels_on_frozen_map():
    felix = load("apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata: {name: node.a}\n"
                 "spec: {bpfLogFilters: {all: host 1.2.3.4}}\n")
    assert felix.spec.bpf_log_filters == FrozenMap(all="host 1.2.3.4")
