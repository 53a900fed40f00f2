"""Audit finding 3: libcalico-go client rules that the datastore client must apply on writes:
tiered policy names, WorkloadEndpoint names, and BGPPeer filters that must exist."""
from __future__ import annotations

from tests.cli.cli_support import snapshot

TIER = """apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: sec}
spec: {order: 100}
"""


def _gnp(name: str, tier: str) -> str:
    return f"""apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {{name: {name}}}
spec: {{tier: {tier}, selector: all()}}
"""


def _wep(name: str, pod: str) -> str:
    meta = f"{{name: {name}, namespace: ns1}}" if name else "{namespace: ns1}"
    return f"""apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: {meta}
spec: {{node: node1, orchestrator: k8s, pod: {pod}, endpoint: eth0, interfaceName: cali1234}}
"""


def test_policy_in_a_non_default_tier_needs_the_tier_prefix(client, calicoctl):
    assert calicoctl("create", "-f", "-", stdin=TIER).code == 0
    before = snapshot(client)
    bad = calicoctl("create", "-f", "-", stdin=_gnp("x1", "sec"))
    assert bad.code == 1
    assert bad.err == "Failed to create 'GlobalNetworkPolicy' resource: [Incorrectly formatted policy name x1]\n"
    wrong_tier = calicoctl("apply", "-f", "-", stdin=_gnp("default.x2", "sec"))
    assert "Incorrectly formatted policy name default.x2" in wrong_tier.err
    assert snapshot(client) == before
    good = calicoctl("create", "-f", "-", stdin=_gnp("sec.x1", "sec"))
    assert good.out == "Successfully created 1 'GlobalNetworkPolicy' resource(s)\n", good


def test_policy_in_the_default_tier_may_omit_the_prefix(calicoctl):
    assert calicoctl("create", "-f", "-", stdin=_gnp("plain", "default")).code == 0
    assert calicoctl("create", "-f", "-", stdin=_gnp("default.dotted", "default")).code == 0


def test_workload_endpoint_name_must_match_its_spec(client, calicoctl):
    before = snapshot(client)
    bad = calicoctl("create", "-f", "-", stdin=_wep("wrong-name", "pod-a"))
    assert bad.code == 1
    assert bad.err == ("Failed to create 'WorkloadEndpoint' resource: [error with field Name = 'wrong-name' (the "
                       "WorkloadEndpoint name does not match the primary identifiers assigned in the Spec: expected "
                       "name node1-k8s-pod--a-eth0)]\n")
    assert snapshot(client) == before
    ok = calicoctl("create", "-f", "-", stdin=_wep("node1-k8s-pod--a-eth0", "pod-a"))
    assert ok.code == 0, ok


def test_workload_endpoint_without_a_name_gets_the_computed_name(client, calicoctl):
    created = calicoctl("create", "-f", "-", stdin=_wep("", "pod-b"))
    assert created.out == "Successfully created 1 'WorkloadEndpoint' resource(s)\n", created
    assert client.get("WorkloadEndpoint", "node1-k8s-pod--b-eth0", "ns1").spec.pod == "pod-b"
    applied = calicoctl("apply", "-f", "-", stdin=_wep("", "pod-c"))
    assert applied.code == 0, applied
    assert [w.metadata.name for w in client.list("WorkloadEndpoint", "ns1")] == [
        "node1-k8s-pod--b-eth0", "node1-k8s-pod--c-eth0"]


def test_bgppeer_filters_must_exist(client, calicoctl):
    peer = """apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: pf}
spec: {peerIP: 198.18.0.33, asNumber: 65002, filters: [nosuch, f1]}
"""
    filt = """apiVersion: projectcalico.org/v3
kind: BGPFilter
metadata: {name: f1}
spec: {}
"""
    assert calicoctl("create", "-f", "-", stdin=filt).code == 0
    bad = calicoctl("create", "-f", "-", stdin=peer)
    assert bad.err == ("Failed to create 'BGPPeer' resource: [error with field BGPPeer.Spec.Filters = '[nosuch]' "
                       "(BGPFilter(s) not found)]\n")
    good = calicoctl("create", "-f", "-", stdin=peer.replace("nosuch, ", ""))
    assert good.code == 0, good
    replaced = calicoctl("replace", "-f", "-", stdin=peer.replace("[nosuch, f1]", "[f1, gone]"))
    assert "error with field BGPPeer.Spec.Filters = '[gone]' (BGPFilter(s) not found)" in replaced.err


def test_get_and_delete_without_a_name_find_nothing(client, calicoctl):
    """Audit finding 11b: libcalico-go's key builder has no name check, so the lookup finds nothing."""
    before = snapshot(client)
    deleted = calicoctl("delete", "ippool")
    assert deleted.err == "Failed to delete 'IPPool' resource: resource does not exist: IPPool() with error: <nil>\n\n"
    unnamed = calicoctl("delete", "-f", "-", stdin=_wep("", "pod-z"))
    assert "resource does not exist: WorkloadEndpoint(ns1/) with error: <nil>" in unnamed.err
    assert snapshot(client) == before
