"""``calicoctl convert``: v1 → v3 conversion (libcalico-go upgrade/converters cases) and the command's output."""
from __future__ import annotations

import hashlib
import json
import re

import pytest

from pycalicoctl.convert import (
    ConvertError, LoadError, convert_name, convert_name_no_dots, convert_resource, convert_rule, convert_selector,
    ip_to_name, k8s_selector, load_resources, normalize_name, simplify_ports,
)
from tests.cli.cli_support import invoke


def _convert(kind: str, metadata: dict, spec: dict | None = None) -> dict:
    resources = load_resources({"apiVersion": "v1", "kind": kind, "metadata": metadata, "spec": spec or {}})
    return convert_resource(resources[0])


# ---------------------------------------------------------------------------------------------- names

@pytest.mark.parametrize("v1, v3, qualified", [
    ("abcdef", "abcdef", False), ("abc---def", "abc---def", False), ("Abcdef", "abcdef", True),
    ("abc/def", "abc.def", True), ("abc$!$def", "abc-def", True), ("abc.-.def", "abc.def", True),
    ("-.abc.def", "abc.def", True), ("$ABC/DeF-123.-456!", "abc.def-123.456", True),
])
def test_convert_name(v1, v3, qualified):
    converted = convert_name(v1)
    if not qualified:
        assert converted == v3
    else:
        assert converted[:-9] == v3
        assert re.fullmatch(r"-[0-9a-f]{8}", converted[-9:])
        assert convert_name(v1.upper()) != converted


def test_qualifier_is_the_sha1_prefix_of_the_original():
    assert convert_name("Abcdef") == "abcdef-" + hashlib.sha1(b"Abcdef").hexdigest()[:8]


@pytest.mark.parametrize("v1, v3", [("abc/def", "abc-def"), ("$ABC/DeF-123.-456!", "abc-def-123-456"),
                                    ("abc-def", "abc-def")])
def test_convert_name_no_dots(v1, v3):
    assert convert_name_no_dots(v1).startswith(v3)


def test_node_names_are_normalised_without_qualifier():
    assert normalize_name("$ABC/DEF-123.-456!") == "abc.def-123.456"


@pytest.mark.parametrize("ip, name", [("192.168.0.1", "192-168-0-1"),
                                      ("Aa:bb::", "00aa-00bb-0000-0000-0000-0000-0000-0000"),
                                      ("0Aa:bb::50", "00aa-00bb-0000-0000-0000-0000-0000-0050")])
def test_ip_to_name(ip, name):
    assert ip_to_name(ip) == name


@pytest.mark.parametrize("v1, v3", [
    ("foo == 'bar'", "foo == 'bar'"),
    ("calico/k8s_ns == 'default'", "projectcalico.org/namespace == 'default'"),
    ("calico/k8s_ns in {'default'}", "projectcalico.org/namespace in {'default'}"),
    ("has(calico/k8s_ns) || foo == 'bar'", "has(projectcalico.org/namespace) || foo == 'bar'"),
])
def test_selector_conversion(v1, v3):
    assert convert_selector(v1) == v3


# ---------------------------------------------------------------------------------------------- rules

def test_rule_conversion_merges_tags_and_masks_nets():
    rule = convert_rule({
        "action": "allow", "ipVersion": 4, "protocol": "icmp", "icmp": {"type": 100, "code": 200},
        "source": {"tag": "tag1", "net": "192.168.0.129/25", "nets": ["30.0.0.3/24", "40.0.0.4/24"],
                   "notNet": "20.0.0.2/24", "notNets": ["192.168.0.129/25", "30.0.0.3/24"],
                   "selector": "has(calico/k8s_ns) || bake == 'cake'"},
        "destination": {"tag": "kingindanorth"},
    })
    assert rule == {
        "action": "Allow", "ipVersion": 4, "protocol": "ICMP", "icmp": {"type": 100, "code": 200},
        "source": {"nets": ["30.0.0.0/24", "40.0.0.0/24", "192.168.0.128/25"],
                   "selector": "(has(projectcalico.org/namespace) || bake == 'cake') && tag1 == ''",
                   "notNets": ["192.168.0.128/25", "30.0.0.0/24", "20.0.0.0/24"]},
        "destination": {"selector": "kingindanorth == ''"},
    }


@pytest.mark.parametrize("v1, v3", [("pass", "Pass"), ("next-tier", "Pass"), ("", "Allow"), ("DENY", "Deny"),
                                    ("log", "Log"), ("jump", "jump")])
def test_rule_actions(v1, v3):
    assert convert_rule({"action": v1})["action"] == v3


def test_numeric_protocols_are_kept():
    assert convert_rule({"protocol": 240, "notProtocol": "udplite"})["protocol"] == 240
    assert convert_rule({"notProtocol": "udplite"})["notProtocol"] == "UDPLite"


# ---------------------------------------------------------------------------------------------- kinds

def test_ippool():
    pool = _convert("ipPool", {"cidr": "10.1.0.0/16"}, {"ipip": {"enabled": True}, "nat-outgoing": True})
    assert pool["metadata"] == {"name": "10-1-0-0-16"}
    assert pool["spec"] == {"cidr": "10.1.0.0/16", "vxlanMode": "Never", "ipipMode": "Always", "blockSize": 26,
                            "natOutgoing": True, "nodeSelector": "all()", "allowedUses": ["Workload", "Tunnel"]}
    v6 = _convert("ipPool", {"cidr": "fd00:1::/64"}, {"ipip": {"enabled": False, "mode": "cross-subnet"},
                                                    "disabled": True})
    assert v6["metadata"]["name"] == "fd00-1---64"
    assert (v6["spec"]["ipipMode"], v6["spec"]["blockSize"], v6["spec"]["disabled"]) == ("Never", 122, True)
    assert _convert("ipPool", {"cidr": "10.2.0.0/16"}, {"ipip": {"enabled": True, "mode": "cross-subnet"}}
                    )["spec"]["ipipMode"] == "CrossSubnet"


@pytest.mark.parametrize("metadata, name, node", [
    ({"scope": "global", "peerIP": "10.0.0.1"}, "10-0-0-1", None),
    ({"scope": "global", "peerIP": "Aa:bb::"}, "00aa-00bb-0000-0000-0000-0000-0000-0000", None),
    ({"scope": "node", "node": "namedNode", "peerIP": "10.0.0.1"}, "namednode.10-0-0-1", "namednode"),
])
def test_bgppeer(metadata, name, node):
    peer = _convert("bgpPeer", metadata, {"asNumber": 255})
    assert peer["metadata"]["name"] == name
    assert peer["spec"].get("node") == node
    assert peer["spec"]["asNumber"] == 255


@pytest.mark.parametrize("metadata, message", [
    ({"scope": "global"}, "no PeerIP is set, invalid BGPPeer"),
    ({"scope": "global", "node": "n", "peerIP": "10.0.0.1"}, "With Global scope having a Node is invalid: n"),
    ({"scope": "node", "peerIP": "10.0.0.1"}, "With Node scope a Node must be defined"),
])
def test_bgppeer_errors(metadata, message):
    with pytest.raises(ConvertError, match=message):
        _convert("bgpPeer", metadata)


def test_node():
    node = _convert("node", {"name": "Host_1"}, {"bgp": {"asNumber": 64512, "ipv4Address": "198.18.0.7/24",
                                                         "ipv6Address": "fd00::7"},
                                                 "orchRefs": [{"nodeName": "h1", "orchestrator": "k8s"}]})
    assert node["metadata"] == {"name": "host-1"}
    assert node["spec"] == {"bgp": {"asNumber": 64512, "ipv4Address": "198.18.0.7/24", "ipv6Address": "fd00::7/128"},
                            "orchRefs": [{"nodeName": "h1", "orchestrator": "k8s"}]}
    with pytest.raises(ConvertError, match="missing address"):
        _convert("node", {"name": "x"}, {"bgp": {"asNumber": 1}})


def test_policy_names_tier_and_types():
    policy = _convert("policy", {"name": "allow.web", "annotations": {"a": "b"}},
                      {"selector": "calico/k8s_ns == 'x'", "order": 5, "egress": [{"action": "deny"}]})
    assert policy["kind"] == "GlobalNetworkPolicy"
    assert policy["metadata"]["name"].startswith("default.allow-web-")
    assert policy["metadata"]["labels"] == {"projectcalico.org/tier": "default"}
    assert policy["metadata"]["annotations"] == {"a": "b"}
    assert policy["spec"]["types"] == ["Egress"]
    assert policy["spec"]["selector"] == "projectcalico.org/namespace == 'x'"
    both = _convert("policy", {"name": "p"}, {"ingress": [{}], "egress": [{}]})
    assert both["spec"]["types"] == ["Ingress", "Egress"]
    assert _convert("policy", {"name": "p"})["spec"]["types"] == ["Ingress"]
    untracked = _convert("policy", {"name": "p", "tier": "Sec"}, {"doNotTrack": True, "types": ["ingress"]})
    assert untracked["metadata"]["name"].startswith("sec-")
    assert (untracked["spec"]["doNotTrack"], untracked["spec"]["applyOnForward"]) == (True, True)
    with pytest.raises(ConvertError, match="invalid policy type: 'sideways'"):
        _convert("policy", {"name": "p"}, {"types": ["sideways"]})


def test_profile_tags_become_labels_to_apply():
    profile = _convert("profile", {"name": "k8s_ns.prod", "tags": ["web"], "labels": {"a": "b"}},
                       {"ingress": [{"action": "allow"}]})
    assert profile["metadata"] == {"name": "kns.prod"}
    assert profile["spec"]["labelsToApply"] == {"a": "b", "web": ""}
    with pytest.raises(ConvertError, match="^Tag: 'a' and Label 'a == b' have the same value for Profile: p."):
        _convert("profile", {"name": "p", "tags": ["a"], "labels": {"a": "b"}})


def test_host_endpoint():
    hep = _convert("hostEndpoint", {"name": "eth0", "node": "Host1", "labels": {"r": "e"}},
                   {"interfaceName": "eth0", "expectedIPs": ["fd00::5", "198.18.0.5"], "profiles": ["k8s_ns.x"],
                    "ports": [{"name": "http", "protocol": "tcp", "port": 80}]})
    assert hep["metadata"] == {"name": "host1.eth0", "labels": {"r": "e"}}
    assert hep["spec"] == {"node": "host1", "interfaceName": "eth0", "expectedIPs": ["198.18.0.5", "fd00::5"],
                           "profiles": ["kns.x"], "ports": [{"name": "http", "protocol": "TCP", "port": 80}]}


def test_workload_endpoint_fully_populated():
    wep = _convert("workloadEndpoint",
                   {"name": "eth0", "workload": "default.frontend-5gs43", "orchestrator": "k8s", "node": "TestNode",
                    "activeInstanceID": "1337495556942031415926535",
                    "labels": {"calico/k8s_ns": "default", "test": "someValue"}},
                   {"ipNetworks": ["2001::/128", "10.0.0.1/32"],
                    "ipNATs": [{"internalIP": "2001::", "externalIP": "2002::"},
                               {"internalIP": "10.0.0.1", "externalIP": "172.0.0.1"}],
                    "ipv4Gateway": "10.0.0.254", "ipv6Gateway": "2001::", "profiles": ["k8s_ns.profile1", "profile2"],
                    "interfaceName": "cali1234", "mac": "02:42:7D:C6:F0:80",
                    "ports": [{"name": "ep1", "protocol": "tcp", "port": 80}]})
    assert wep["metadata"] == {"name": "testnode-k8s-frontend--5gs43-eth0", "namespace": "default",
                               "labels": {"projectcalico.org/namespace": "default", "test": "someValue"}}
    assert wep["spec"] == {
        "orchestrator": "k8s", "node": "testnode", "containerID": "1337495556942031415926535", "pod": "frontend-5gs43",
        "endpoint": "eth0", "ipNetworks": ["10.0.0.1/32", "2001::/128"],
        "ipNATs": [{"internalIP": "10.0.0.1", "externalIP": "172.0.0.1"},
                   {"internalIP": "2001::", "externalIP": "2002::"}],
        "ipv4Gateway": "10.0.0.254", "ipv6Gateway": "2001::", "profiles": ["kns.profile1", "profile2"],
        "interfaceName": "cali1234", "mac": "02:42:7d:c6:f0:80", "ports": [{"name": "ep1", "protocol": "tcp", "port": 80}],
    }


def test_workload_endpoint_errors_and_other_orchestrators():
    with pytest.raises(ConvertError, match="^malformed k8s workload ID 'default/frontend-5gs43': workload was not "):
        _convert("workloadEndpoint", {"name": "eth0", "workload": "default/frontend-5gs43", "orchestrator": "k8s",
                                      "node": "n"})
    cni = _convert("workloadEndpoint", {"name": "eth0", "workload": "abc", "orchestrator": "cni", "node": "n"})
    assert (cni["metadata"]["name"], cni["spec"]["containerID"]) == ("n-cni-abc-eth0", "abc")
    other = _convert("workloadEndpoint", {"name": "eth0", "workload": "VM1", "orchestrator": "openstack", "node": "n"})
    assert other["spec"]["workload"].startswith("vm1-")


def test_loader_rejects_unknown_kinds_versions_and_fields():
    with pytest.raises(ConvertError, match=r"^Unknown resource type \(IPPool\) and/or version \(projectcalico.org/v3\)$"):
        load_resources({"apiVersion": "projectcalico.org/v3", "kind": "IPPool"})
    with pytest.raises(ConvertError, match=r"^Unknown resource type \(IPPOOL\) and/or version \(v1\)$"):
        load_resources({"apiVersion": "v1", "kind": "IPPOOL"})
    with pytest.raises(ConvertError, match='json: unknown field "natOutgoing"$'):
        load_resources({"apiVersion": "v1", "kind": "ipPool", "metadata": {"cidr": "10.0.0.0/8"},
                      "spec": {"natOutgoing": True}})
    assert len(load_resources([{"apiVersion": "v1", "kind": "node", "metadata": {"name": "a"}},
                             {"apiVersion": "v1", "kind": "node", "metadata": {"name": "b"}}])) == 2


# ---------------------------------------------------------------------------------------------- Kubernetes

def _k8s(spec: dict, **meta) -> dict:
    document = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": "np", "namespace": "prod", **meta}, "spec": spec}
    return convert_resource(load_resources(document)[0])


def test_k8s_selectors():
    assert k8s_selector({}, pod=True) == "projectcalico.org/orchestrator == 'k8s'"
    assert k8s_selector({}, pod=False) == "all()"
    assert k8s_selector(None, pod=False) == ""
    selector = {"matchLabels": {"b": "2", "a": "1"}, "matchExpressions": [
        {"key": "x", "operator": "In", "values": ["p", "q"]}, {"key": "y", "operator": "NotIn", "values": ["r"]},
        {"key": "z", "operator": "Exists"}, {"key": "w", "operator": "DoesNotExist"}]}
    assert k8s_selector(selector, pod=False) == ("a == '1' && b == '2' && x in { 'p', 'q' } && y not in { 'r' } && "
                                                 "has(z) && ! has(w)")


@pytest.mark.parametrize("ports, simplified", [
    ([80], [80]), ([80, 81, 82, 9090, "foo"], ["foo", "80:82", 9090]), ([90, 80, 80], [80, 90]),
    (["1:3", 4], ["1:4"]),
])
def test_simplify_ports(ports, simplified):
    assert simplify_ports(ports) == simplified


def test_k8s_network_policy_default_deny():
    policy = _k8s({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}, uid="u-1", resourceVersion="7")
    assert policy == {"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
                      "metadata": {"name": "np", "namespace": "prod"},
                      "spec": {"order": 1000, "selector": "projectcalico.org/orchestrator == 'k8s'",
                               "types": ["Ingress", "Egress"]}}


def test_k8s_network_policy_rules():
    policy = _k8s({
        "podSelector": {"matchLabels": {"app": "db"}},
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}},
                              {"namespaceSelector": {"matchLabels": {"team": "a"}}},
                              {"ipBlock": {"cidr": "198.18.0.1/24", "except": ["198.18.0.128/25"]}}],
                     "ports": [{"port": 5432}, {"port": 5433}, {"protocol": "UDP", "port": "dns"}]}],
        "egress": [{"ports": [{"protocol": "TCP", "port": 80, "endPort": 90}]}, {}],
    })
    spec = policy["spec"]
    assert spec["selector"] == "projectcalico.org/orchestrator == 'k8s' && app == 'db'"
    assert spec["types"] == ["Ingress"]
    assert [(r["protocol"], r["source"], r["destination"]) for r in spec["ingress"]] == [
        ("TCP", {"selector": "projectcalico.org/orchestrator == 'k8s' && app == 'web'"}, {"ports": ["5432:5433"]}),
        ("TCP", {"selector": "projectcalico.org/orchestrator == 'k8s'", "namespaceSelector": "team == 'a'"},
         {"ports": ["5432:5433"]}),
        ("TCP", {"nets": ["198.18.0.0/24"], "notNets": ["198.18.0.128/25"]}, {"ports": ["5432:5433"]}),
        ("UDP", {"selector": "projectcalico.org/orchestrator == 'k8s' && app == 'web'"}, {"ports": ["dns"]}),
        ("UDP", {"selector": "projectcalico.org/orchestrator == 'k8s'", "namespaceSelector": "team == 'a'"},
         {"ports": ["dns"]}),
        ("UDP", {"nets": ["198.18.0.0/24"], "notNets": ["198.18.0.128/25"]}, {"ports": ["dns"]}),
    ]
    assert spec["egress"] == [
        {"action": "Allow", "protocol": "TCP", "source": {}, "destination": {"ports": ["80:90"]}},
        {"action": "Allow", "source": {}, "destination": {}},
    ]


def test_k8s_list_is_unpacked():
    items = [{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": n},
              "spec": {"podSelector": {}}} for n in ("a", "b")]
    loaded = load_resources({"apiVersion": "v1", "kind": "List", "metadata": {}, "items": items})
    assert [convert_resource(r)["metadata"]["name"] for r in loaded] == ["a", "b"]
    with pytest.raises(LoadError, match='unknown field "bogus"'):
        load_resources({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "spec": {"bogus": 1}})


# ---------------------------------------------------------------------------------------------- command

V1_POOL = "apiVersion: v1\nkind: ipPool\nmetadata:\n  cidr: 10.1.0.0/16\nspec:\n  nat-outgoing: true\n"
V1_PEER = "apiVersion: v1\nkind: bgpPeer\nmetadata:\n  peerIP: 198.18.1.1\n  scope: global\nspec:\n  asNumber: 64567\n"


def _run(tmp_path, content: str, *args: str):
    path = tmp_path / "v1.yaml"
    path.write_text(content)
    return invoke(None, ["convert", "-f", str(path), *args])


def test_single_resource_yaml(tmp_path):
    run = _run(tmp_path, V1_POOL)
    assert (run.code, run.err) == (0, "")
    assert run.out == ("apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  creationTimestamp: null\n"
                       "  name: 10-1-0-0-16\nspec:\n  allowedUses:\n  - Workload\n  - Tunnel\n  blockSize: 26\n"
                       "  cidr: 10.1.0.0/16\n  ipipMode: Never\n  natOutgoing: true\n  nodeSelector: all()\n"
                       "  vxlanMode: Never\n")


def test_several_resources_are_wrapped_in_a_list_json(tmp_path):
    run = _run(tmp_path, V1_POOL + "---\n" + V1_PEER, "-o", "json")
    assert run.code == 0, run.err
    data = json.loads(run.out)
    assert list(data) == ["kind", "apiVersion", "metadata", "items"]
    assert (data["kind"], data["apiVersion"], data["metadata"]) == ("List", "v1", {})
    assert [i["kind"] for i in data["items"]] == ["IPPool", "BGPPeer"]
    assert data["items"][1]["metadata"] == {"name": "198-18-1-1", "creationTimestamp": None}
    assert run.out.startswith('{\n  "kind": "List",\n  "apiVersion": "v1",\n  "metadata": {},\n  "items": [\n')


def test_stdin(tmp_path):
    run = invoke(None, ["convert", "-f", "-", "-o", "yml"], stdin=V1_PEER)
    assert run.code == 0
    assert "kind: BGPPeer\n" in run.out and "name: 198-18-1-1\n" in run.out


def test_validation_failure_and_ignore_validation(tmp_path):
    bad = ("apiVersion: v1\nkind: policy\nmetadata:\n  name: p\nspec:\n  ingress:\n  - action: allow\n"
           "    icmp:\n      type: 8\n")
    run = _run(tmp_path, bad)
    assert (run.code, run.out) == (1, "")
    assert run.err.startswith("Converted manifest resource(s) failed validation: ")
    assert run.err.endswith("Re-run the command with '--ignore-validation' flag to see the converted output.\n\n")
    run = _run(tmp_path, bad, "--ignore-validation")
    assert run.code == 0
    assert "kind: GlobalNetworkPolicy\n" in run.out


def test_errors(tmp_path):
    run = _run(tmp_path, "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: p\n")
    assert (run.code, run.err) == (1, "Failed to create resources from file: Unknown resource type (IPPool) and/or "
                                      "version (projectcalico.org/v3)\n")
    run = _run(tmp_path, V1_POOL, "-o", "wide")
    assert (run.code, run.err) == (1, "unrecognized output format 'wide'\n")
    run = invoke(None, ["convert", "-f", str(tmp_path / "missing.yaml")])
    assert run.err == f"Failed to create resources from file: open {tmp_path / 'missing.yaml'}: no such file or directory\n"
    run = invoke(None, ["convert"])
    assert run.code == 1 and run.err.startswith("Usage:\n  calicoctl convert --filename=<FILENAME>\n")


def test_kubernetes_policy_and_workload_namespace_are_kept(tmp_path):
    k8s = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny\n  namespace: prod\n"
           "  uid: 0b1c\nspec:\n  podSelector: {}\n")
    run = _run(tmp_path, k8s)
    assert run.code == 0, run.err
    assert run.out == ("apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  creationTimestamp: null\n"
                       "  name: deny\n  namespace: prod\nspec:\n  order: 1000\n"
                       "  selector: projectcalico.org/orchestrator == 'k8s'\n  types:\n  - Ingress\n")
    wep = ("apiVersion: v1\nkind: workloadEndpoint\nmetadata:\n  name: eth0\n  workload: prod.web-1\n"
           "  orchestrator: k8s\n  node: n1\nspec:\n  interfaceName: cali1\n  ipNetworks: [198.18.9.4/32]\n")
    run = _run(tmp_path, wep)
    assert run.code == 0, run.err
    assert "  name: n1-k8s-web--1-eth0\n  namespace: prod\n" in run.out


def test_empty_file_prints_null(tmp_path):
    assert _run(tmp_path, "").out == "null\n"
    assert _run(tmp_path, "", "-o", "json").out == "null\n"


def test_resources_are_converted_and_validated_in_order(tmp_path):
    invalid_first = ("apiVersion: v1\nkind: policy\nmetadata:\n  name: p\nspec:\n  ingress:\n  - icmp: {type: 8}\n"
                     "---\napiVersion: v1\nkind: bgpPeer\nmetadata:\n  peerIP: 198.18.1.1\n")
    run = _run(tmp_path, invalid_first)
    assert run.err.startswith("Converted manifest resource(s) failed validation: ")
    run = _run(tmp_path, invalid_first, "--ignore-validation")
    assert run.err == "Failed to convert resource: insufficient identifiers, missing 'scope'\n"


def test_help(tmp_path):
    run = invoke(None, ["convert", "-h"])
    assert run.code == 0
    assert run.out.startswith("Set the Calico datastore access information in the environment variables or\n")
    assert "  Convert config files from Calico v1 or Kubernetes to Calico v3 API versions." in run.out
