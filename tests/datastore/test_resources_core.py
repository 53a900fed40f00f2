"""Core resource behaviour: kinds and aliases, IPPool round trips, strict parsing, Go-JSON errors."""
import dataclasses
import json

import pytest
import yaml

from datastore.errors import ParseError
from datastore.resources import (
    API_VERSION,
    KINDS,
    FrozenMap,
    IPPool,
    IPPoolSpec,
    Metadata,
    dumps,
    from_dict,
    from_dict_many,
    lookup_kind,
    to_dict,
    to_list_dict,
    with_defaults,
)

CONVERT_IPPOOL_JSON = """{
  "kind": "IPPool",
  "apiVersion": "projectcalico.org/v3",
  "metadata": {
    "name": "10-1-0-0-16",
    "creationTimestamp": null
  },
  "spec": {
    "cidr": "10.1.0.0/16",
    "vxlanMode": "Never",
    "ipipMode": "CrossSubnet",
    "natOutgoing": true,
    "blockSize": 26,
    "nodeSelector": "all()",
    "allowedUses": [
      "Workload",
      "Tunnel"
    ]
  }
}"""


def _pool(**spec):
    return from_dict({"apiVersion": API_VERSION, "kind": "IPPool", "metadata": {"name": "p"}, "spec": spec})


def _parse_error(doc) -> str:
    with pytest.raises(ParseError) as info:
        from_dict(doc)
    return str(info.value)


@pytest.mark.parametrize(
    "typed, kind",
    [("ippool", "IPPool"), ("IPP", "IPPool"), ("Pools", "IPPool"), ("IPPool", "IPPool"),
     ("bgpf", "BGPFilter"), ("bfs", "BGPFilter"), ("bp", "BGPPeer"), ("bgpconfig", "BGPConfiguration"),
     ("clusterinfos", "ClusterInformation"), ("felixconfig", "FelixConfiguration"),
     ("gnp", "GlobalNetworkPolicy"), ("gnetsets", "GlobalNetworkSet"), ("hep", "HostEndpoint"),
     ("reservations", "IPReservation"), ("kubecontrollersconfigs", "KubeControllersConfiguration"),
     ("pol", "NetworkPolicy"), ("policies", "NetworkPolicy"), ("netsets", "NetworkSet"), ("nos", "Node"),
     ("pro", "Profile"), ("tiers", "Tier"), ("weps", "WorkloadEndpoint")],
)
def test_lookup_kind_resolves_aliases_case_insensitively(typed, kind):
    assert lookup_kind(typed).kind == kind


@pytest.mark.parametrize("typed", ["somekind", "caliconodestatus", "ipamconfigurations", "blockaffinity"])
def test_lookup_kind_rejects_unknown_and_unmanageable_kinds(typed):
    with pytest.raises(ParseError) as info:
        lookup_kind(typed)
    assert str(info.value) == f"resource type '{typed}' is not supported"


def test_kind_registry_scope_plural_and_list_kind():
    assert {k for k, v in KINDS.items() if v.namespaced} == {"NetworkPolicy", "NetworkSet", "WorkloadEndpoint"}
    assert KINDS["GlobalNetworkPolicy"].plural == "globalnetworkpolicies"
    assert KINDS["CalicoNodeStatus"].plural == "caliconodestatuses"
    assert KINDS["IPPool"].list_kind == "IPPoolList"
    assert not KINDS["BlockAffinity"].manageable


def test_ippool_convert_example_round_trips_to_exact_json():
    pool = from_dict(yaml.safe_load(CONVERT_IPPOOL_JSON))
    assert pool.spec.ipip_mode == "CrossSubnet"
    assert dumps(to_dict(pool), 2) == CONVERT_IPPOOL_JSON


def test_ippool_defaults():
    pool = with_defaults(_pool(cidr="10.1.2.3/16"))
    assert pool.spec == IPPoolSpec(
        cidr="10.1.0.0/16", vxlan_mode="Never", ipip_mode="Never", block_size=26,
        node_selector="all()", allowed_uses=("Workload", "Tunnel"),
    )
    v6 = with_defaults(_pool(cidr="fd00:0::1/64", ipipMode="Always", blockSize=120, allowedUses=["Tunnel"]))
    assert (v6.spec.cidr, v6.spec.block_size, v6.spec.ipip_mode, v6.spec.allowed_uses) == (
        "fd00::/64", 120, "Always", ("Tunnel",))
    assert with_defaults(_pool(cidr="bogus")).spec.cidr == "bogus"
    assert with_defaults(_pool(cidr="bogus")).spec.block_size == 0


def test_ippool_zero_values_are_omitted_but_cidr_and_creation_timestamp_are_kept():
    assert to_dict(IPPool()) == {
        "kind": "IPPool", "apiVersion": API_VERSION, "metadata": {"creationTimestamp": None}, "spec": {"cidr": ""},
    }


def test_metadata_shape_and_order():
    doc = {
        "apiVersion": API_VERSION, "kind": "IPPool",
        "metadata": {"annotations": {"b": "2"}, "labels": {"z": "1", "a": 2}, "creationTimestamp": "2024-05-01T12:00:00+02:00",
                     "resourceVersion": "719", "uid": "u-1", "name": "p"},
        "spec": {"cidr": "10.0.0.0/8"},
    }
    pool = from_dict(doc)
    assert pool.metadata.labels == {"z": "1", "a": "2"}
    out = to_dict(pool)["metadata"]
    assert list(out) == ["name", "uid", "resourceVersion", "creationTimestamp", "labels", "annotations"]
    assert out["creationTimestamp"] == "2024-05-01T10:00:00Z"
    assert list(out["labels"]) == ["a", "z"]


def test_yaml_timestamp_objects_are_accepted():
    pool = from_dict(yaml.safe_load(
        "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: p\n  creationTimestamp: 2024-05-01T10:00:00Z\n"))
    assert pool.metadata.creation_timestamp == "2024-05-01T10:00:00Z"


def test_field_names_match_case_insensitively():
    pool = from_dict({"APIVersion": API_VERSION, "Kind": "IPPool", "Metadata": {"Name": "p"},
                      "Spec": {"CIDR": "10.0.0.0/8", "NATOutgoing": True, "ipipmode": "Always"}})
    assert (pool.name, pool.spec.cidr, pool.spec.nat_outgoing, pool.spec.ipip_mode) == (
        "p", "10.0.0.0/8", True, "Always")


def test_unknown_field_message():
    doc = {"apiVersion": API_VERSION, "kind": "IPPool", "metadata": {"name": "p"}, "spec": {"cidr": "10.0.0.0/8", "unknown": 1}}
    assert _parse_error(doc) == (
        "error parsing document: field in document is not recognized or is in the wrong location: unknown")


def test_several_unknown_fields_including_misplaced_ones():
    doc = {"apiVersion": API_VERSION, "kind": "IPPool", "metadata": {"name": "p", "cidr": "x"},
           "spec": {"b": 1, "c": 2, "d": 3, "e": 4}, "ff": 5}
    assert _parse_error(doc) == (
        "error parsing document: fields in document are not recognized or are in the wrong location: "
        "cidr, b, c, d (+ 2 more)")


@pytest.mark.parametrize(
    "spec, message",
    [({"disabled": "True"}, "cannot parse string 'True' into field IPPoolSpec.disabled of type bool"),
     ({"blockSize": "big"}, "cannot parse string 'big' into field IPPoolSpec.blockSize of type int"),
     ({"blockSize": 1.5}, "cannot unmarshal number 1.5 into Go struct field IPPoolSpec.spec.blockSize of type int"),
     ({"cidr": ["a"]}, "cannot unmarshal array into Go struct field IPPoolSpec.spec.cidr of type string"),
     ({"allowedUses": "Workload"},
      "cannot unmarshal string into Go struct field IPPoolSpec.spec.allowedUses of type []v3.IPPoolAllowedUse"),
     ({"ipip": True}, "cannot unmarshal bool into Go struct field IPPoolSpec.spec.ipip of type v3.IPIPConfiguration")],
)
def test_type_errors_use_go_wording(spec, message):
    doc = {"apiVersion": API_VERSION, "kind": "IPPool", "metadata": {"name": "p"}, "spec": spec}
    assert _parse_error(doc) == message


def test_scalars_for_string_fields_become_text_as_calicoctl_yaml_does():
    pool = _pool(cidr="10.0.0.0/8", nodeSelector=123)
    assert pool.spec.node_selector == "123"


def test_kind_and_api_version_must_be_exact():
    assert _parse_error({"apiVersion": API_VERSION, "kind": "ippool"}) == (
        "Unknown resource type (ippool) and/or version (projectcalico.org/v3)")
    assert _parse_error({"apiVersion": "v1", "kind": "IPPool"}) == "Unknown resource type (IPPool) and/or version (v1)"


def test_list_documents_and_arrays_expand_into_items():
    doc = {"apiVersion": API_VERSION, "kind": "IPPoolList", "metadata": {"resourceVersion": "5"},
           "items": [{"apiVersion": API_VERSION, "kind": "IPPool", "metadata": {"name": "a"}}]}
    assert [p.name for p in from_dict_many(doc)] == ["a"]
    assert [p.name for p in from_dict_many([doc, doc["items"][0]])] == ["a", "a"]


def test_list_dict_shape():
    assert to_list_dict("IPPool", [], "725") == {
        "kind": "IPPoolList", "apiVersion": API_VERSION, "metadata": {"resourceVersion": "725"}, "items": []}


def test_dumps_escapes_like_go():
    assert dumps({"selector": "a == 'x' && b > 1 <"}) == '{"selector":"a == \'x\' \\u0026\\u0026 b \\u003e 1 \\u003c"}'


def test_resources_are_immutable_and_replaceable():
    pool = _pool(cidr="10.0.0.0/8")
    with pytest.raises(dataclasses.FrozenInstanceError):
        pool.spec = IPPoolSpec()
    changed = pool.with_metadata(resource_version="9", labels=FrozenMap(a="b"))
    assert changed.metadata.resource_version == "9" and pool.metadata.resource_version == ""
    assert hash(changed) != hash(pool)
    assert dataclasses.replace(pool, metadata=Metadata(name="q")).name == "q"


def test_round_trip_is_stable_through_json_text():
    pool = with_defaults(_pool(cidr="10.0.0.0/8", natOutgoing=True))
    assert from_dict(json.loads(dumps(to_dict(pool)))) == pool


def test_unknown_fields_error_carries_names_and_paths():
    from datastore.resources.serde import UnknownFieldsError

    doc = {"apiVersion": API_VERSION, "kind": "GlobalNetworkPolicy", "metadata": {"name": "p", "bogus": 1},
           "spec": {"ingress": [{"action": "Allow", "source": {"port": 80}}]}}
    with pytest.raises(UnknownFieldsError) as info:
        from_dict(doc)
    assert info.value.fields == ("bogus", "port")
    assert info.value.paths == ("metadata.bogus", "spec.ingress.source.port")


def test_type_errors_win_over_unknown_fields():
    doc = {"apiVersion": API_VERSION, "kind": "IPPool", "spec": {"zzz": 1, "blockSize": 1.5}}
    assert _parse_error(doc) == "cannot unmarshal number 1.5 into Go struct field IPPoolSpec.spec.blockSize of type int"


def test_calicoctl_st_high_port_in_list_beats_misplaced_protocol():
    doc = {"apiVersion": API_VERSION, "kind": "NetworkPolicy", "metadata": {"name": "policy2"},
           "spec": {"Egress": [{"action": "Deny", "destination": {},
                                "source": {"protocol": "TCP", "ports": [10, 90, 65536]}}],
                    "Ingress": [{"action": "Allow", "destination": {}, "protocol": "UDP", "source": {}}],
                    "order": 100000, "selector": ""}}
    assert _parse_error(doc) == "cannot unmarshal number 65536 into Go value of type uint16"


def test_error_ranking_conversion_then_custom_unmarshaler_then_plain_mismatch():
    rule = {"action": "Allow", "destination": {"ports": [70000]}}
    doc = {"apiVersion": API_VERSION, "kind": "GlobalNetworkPolicy",
           "spec": {"order": "x", "ingress": [rule], "doNotTrack": "yes"}}
    assert _parse_error(doc) == "cannot parse string 'yes' into field GlobalNetworkPolicySpec.doNotTrack of type bool"
    doc["spec"]["doNotTrack"] = True
    assert _parse_error(doc) == "cannot unmarshal number 70000 into Go value of type uint16"
    doc["spec"]["ingress"] = []
    assert _parse_error(doc) == (
        "cannot unmarshal string into Go struct field GlobalNetworkPolicySpec.spec.order of type float64")


@pytest.mark.parametrize(
    "body, message",
    [({"spec": 5}, "cannot unmarshal number into Go struct field IPPool.spec of type v3.IPPoolSpec"),
     ({"metadata": "x"}, "cannot unmarshal string into Go struct field IPPool.metadata of type v3.ObjectMeta"),
     ({"metadata": {"generation": "1"}}, "cannot parse string '1' into field ObjectMeta.generation of type int64")],
)
def test_whole_sections_of_the_wrong_type(body, message):
    assert _parse_error({"apiVersion": API_VERSION, "kind": "IPPool", **body}) == message


def test_null_values_mean_unset():
    pool = from_dict({"apiVersion": API_VERSION, "kind": "IPPool", "metadata": None,
                      "spec": {"cidr": "10.0.0.0/8", "blockSize": None, "ipip": None, "allowedUses": None}})
    assert pool.spec == IPPoolSpec(cidr="10.0.0.0/8")


def test_resource_class_and_kind_info():
    from datastore.resources import kind_info, resource_class

    assert resource_class("IPPool") is IPPool
    assert kind_info("BlockAffinity").plural == "blockaffinities"
    for bad in (lambda: resource_class("Nope"), lambda: kind_info("ippool")):
        with pytest.raises(ParseError):
            bad()
