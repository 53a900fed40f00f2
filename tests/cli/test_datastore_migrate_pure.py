"""The pure parts of ``datastore migrate`` (pycalicoctl.migrate): list cleaning, node renaming, IPAM shape."""
from __future__ import annotations

import json

import pytest

from datastore import keys
from pycalicoctl.migrate import (
    MigrateError, clean_list, go_indent_json, ipam_export, parse_cluster_info, parse_ipam, split_import_file,
    title_iptables_actions,
)


def _list(kind: str, *items: dict) -> dict:
    return {"kind": f"{kind}List", "apiVersion": "projectcalico.org/v3", "metadata": {"resourceVersion": "9"},
            "items": list(items)}


def _item(kind: str, name: str, spec: dict | None = None, **meta) -> dict:
    return {"kind": kind, "apiVersion": "projectcalico.org/v3",
            "metadata": {"name": name, "uid": "u", "resourceVersion": "3", "creationTimestamp": "2020-01-01T00:00:00Z",
                         **meta},
            "spec": spec or {}}


def test_clean_list_drops_server_metadata_but_keeps_the_list_revision():
    cleaned = clean_list("ippools", _list("IPPool", _item("IPPool", "p", labels={"a": "b"})), {})
    assert cleaned["metadata"] == {"resourceVersion": "9"}
    assert cleaned["items"][0]["metadata"] == {"name": "p", "labels": {"a": "b"}}


def test_kubernetes_network_policy_copies_are_not_exported():
    data = _list("NetworkPolicy", _item("NetworkPolicy", "knp.default.deny", namespace="a"),
                 _item("NetworkPolicy", "default.mine", namespace="a"))
    assert [i["metadata"]["name"] for i in clean_list("networkpolicies", data, {})["items"]] == ["default.mine"]
    kept = _list("GlobalNetworkPolicy", _item("GlobalNetworkPolicy", "knp.default.x"))
    assert len(clean_list("globalnetworkpolicies", kept, {})["items"]) == 1


def test_nodes_take_their_k8s_name_and_node_scoped_configs_follow():
    node_map: dict[str, str] = {}
    nodes = _list("Node", _item("Node", "etcd-a", {"orchRefs": [{"orchestrator": "k8s", "nodeName": "kube-a"}]}),
                  _item("Node", "plain", {"orchRefs": [{"orchestrator": "openstack", "nodeName": "os"}]}))
    renamed = clean_list("nodes", nodes, node_map)
    assert [i["metadata"]["name"] for i in renamed["items"]] == ["kube-a", "plain"]
    assert node_map == {"etcd-a": "kube-a", "plain": "plain"}
    felix = _list("FelixConfiguration", _item("FelixConfiguration", "node.etcd-a"),
                  _item("FelixConfiguration", "node.unknown"), _item("FelixConfiguration", "default"))
    names = [i["metadata"]["name"] for i in clean_list("felixconfigurations", felix, node_map)["items"]]
    assert names == ["node.kube-a", "node.unknown", "default"]
    bgp = _list("BGPConfiguration", _item("BGPConfiguration", "node.etcd-a"))
    assert clean_list("bgpconfigurations", bgp, node_map)["items"][0]["metadata"]["name"] == "node.kube-a"


@pytest.mark.parametrize("given, expected", [("DROP", "Drop"), ("ACCEPT", "Accept"), ("Return", "Return"), ("", "")])
def test_v1_iptables_actions_are_title_cased(given, expected):
    spec = {"defaultEndpointToHostAction": given, "iptablesFilterAllowAction": given,
            "iptablesMangleAllowAction": given, "iptablesFilterDenyAction": given, "logSeverityScreen": "INFO"}
    converted = title_iptables_actions({"spec": spec})["spec"]
    assert converted["logSeverityScreen"] == "INFO"
    assert {converted[f] for f in spec if f != "logSeverityScreen"} == {expected}


def _block(host: str) -> bytes:
    return json.dumps({"cidr": "10.0.0.0/30", "affinity": f"host:{host}", "allocations": [0, 1, None, None],
                       "unallocated": [2, 3], "attributes": [
                           {"handle_id": f"ipip-tunnel-addr-{host}", "secondary": {"node": host, "type": "ipipTunnelAddress"}},
                           {"handle_id": "k8s-pod-network.abc", "secondary": {"node": host, "pod": "p"}}],
                       "deleted": False}).encode()


def test_ipam_export_shape_and_node_renaming():
    records = [
        (keys.BlockKey("10.0.0.0/30"), _block("etcd-a")),
        (keys.BlockAffinityKey("etcd-a", "10.0.0.0/30"), b'{"state":"confirmed","deleted":false}'),
        (keys.HandleKey("ipip-tunnel-addr-etcd-a"), b'{"block":{"10.0.0.0/30":1},"deleted":false}'),
        (keys.HandleKey("k8s-pod-network.abc"), b'{"block":{"10.0.0.0/30":1},"deleted":false}'),
        (keys.IPAMConfigKey(), b'{"strict_affinity":true}'),
    ]
    data = ipam_export(records, {"etcd-a": "kube-a"})
    assert list(data) == ["block_affinities", "blocks", "handles", "config"]
    assert data["block_affinities"] == [{"Key": "/calico/ipam/v2/host/kube-a/ipv4/block/10.0.0.0-30",
                                         "Value": {"state": "confirmed", "deleted": False}, "TTL": 0}]
    block = data["blocks"][0]["Value"]
    assert block["affinity"] == "host:kube-a"
    assert [a["handle_id"] for a in block["attributes"]] == ["ipip-tunnel-addr-kube-a", "k8s-pod-network.abc"]
    assert {a["secondary"]["node"] for a in block["attributes"]} == {"kube-a"}
    assert [h["Key"] for h in data["handles"]] == ["/calico/ipam/v2/handle/ipip-tunnel-addr-kube-a",
                                                   "/calico/ipam/v2/handle/k8s-pod-network.abc"]
    assert data["config"]["Value"] == {"strict_affinity": True}


def test_ipam_map_fields_are_sorted_as_go_marshals_maps():
    block = json.dumps({"cidr": "10.0.0.0/30", "allocations": [0, None, None, None], "unallocated": [1, 2, 3],
                        "attributes": [{"handle_id": "h", "secondary": {"pod": "p", "node": "n"}}],
                        "sequenceNumber": 5, "sequenceNumberForAllocation": {"2": 1, "10": 2, "0": 3}}).encode()
    handle = b'{"block":{"10.0.0.4/30":1,"10.0.0.0/30":1},"deleted":false}'
    data = ipam_export([(keys.BlockKey("10.0.0.0/30"), block), (keys.HandleKey("h"), handle)], {})
    value = data["blocks"][0]["Value"]
    assert list(value) == ["cidr", "allocations", "unallocated", "attributes", "sequenceNumber",
                           "sequenceNumberForAllocation"]
    assert list(value["sequenceNumberForAllocation"]) == ["0", "10", "2"]
    assert list(value["attributes"][0]["secondary"]) == ["node", "pod"]
    assert list(data["handles"][0]["Value"]["block"]) == ["10.0.0.0/30", "10.0.0.4/30"]


def test_empty_ipam_is_an_empty_object_and_json_is_go_indented():
    assert go_indent_json(ipam_export([], {})) == "{}\n"
    assert go_indent_json({"a": ["<&>"]}) == '{\n  "a": [\n    "\\u003c\\u0026\\u003e"\n  ]\n}\n'


def test_parse_ipam_orders_records_as_calicoctl_pushes_them():
    data = ipam_export([
        (keys.IPAMConfigKey(), b'{"strict_affinity":true}'),
        (keys.HandleKey("h"), b'{"block":{"10.0.0.0/30":2},"deleted":false}'),
        (keys.BlockKey("10.0.0.0/30"), _block("n")),
        (keys.BlockAffinityKey("n", "10.0.0.0/30"), b'{"state":"confirmed","deleted":false}'),
    ], {})
    records = parse_ipam(go_indent_json(data))
    assert [r.label for r in records] == ["BlockAffinityKey(cidr=10.0.0.0/30, host=n)", "BlockKey(cidr=10.0.0.0/30)",
                                          "IPAMHandleKey(id=h)", "IPAMConfigKey()"]
    assert records[2].value == b'{"block":{"10.0.0.0/30":2},"deleted":false}'
    assert records[3].path == "/calico/ipam/v2/config"


@pytest.mark.parametrize("text, message", [
    ("[]", "Failed to read IPAM resources: json: cannot unmarshal array into Go value of type migrate.migrateIPAM\n"),
    ('{"blocks": [{"Key": "/calico/ipam/v2/handle/x", "Value": {}}]}',
     "Failed to read IPAM resources: not a block key: /calico/ipam/v2/handle/x\n"),
    ("{", "Failed to read IPAM resources: unexpected end of JSON input\n"),
])
def test_parse_ipam_errors(text, message):
    with pytest.raises(MigrateError) as caught:
        parse_ipam(text)
    assert str(caught.value) == message


def test_split_and_cluster_info():
    parts = split_import_file("a\n===\n{\"spec\": {\"clusterGUID\": \"g\", \"calicoVersion\": \"v3.29.7\"}}\n===\n{}\n",
                              "f")
    assert parts.resources_yaml == "a\n"
    assert parse_cluster_info(parts.cluster_info_json) == ("g", "v3.29.7")
    assert parse_cluster_info("null") == ("", "")
    with pytest.raises(MigrateError, match="^Failed to update cluster information: Error reading exported cluster "
                                           "info for migration: invalid character 'x' looking for beginning of value$"):
        parse_cluster_info("x")
