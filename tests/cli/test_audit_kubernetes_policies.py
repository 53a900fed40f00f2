"""Audit finding 2: policies Kubernetes owns (``knp.default.*`` NetworkPolicies and
``kanp.adminnetworkpolicy.*`` GlobalNetworkPolicies) cannot be created, replaced or deleted."""
from __future__ import annotations

from datastore import keys

from tests.cli.cli_support import snapshot

KNP = """apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: knp.default.x}
spec: {}
"""
KANP = """apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: kanp.adminnetworkpolicy.x}
spec: {}
"""
KNP_REASON = "kubernetes network policies must be managed through the kubernetes API"
KANP_REASON = "kubernetes admin network policies must be managed through the kubernetes API"


def test_knp_create_apply_replace_delete_are_refused(client, calicoctl):
    before = snapshot(client)
    created = calicoctl("create", "-f", "-", stdin=KNP)
    assert created.code == 1
    assert created.err == ("Failed to create 'NetworkPolicy' resource: [operation create or apply is not supported "
                           f"on NetworkPolicy(default/knp.default.x): {KNP_REASON}]\n")
    applied = calicoctl("apply", "-f", "-", stdin=KNP)
    assert applied.code == 1
    assert "resource does not exist: NetworkPolicy(default/knp.default.x) with error: <nil>" in applied.err
    replaced = calicoctl("replace", "-f", "-", stdin=KNP)
    assert replaced.code == 1 and "resource does not exist" in replaced.err
    deleted = calicoctl("delete", "-f", "-", stdin=KNP)
    assert deleted.code == 1
    assert f"operation delete is not supported on NetworkPolicy(default/knp.default.x): {KNP_REASON}" in deleted.err
    assert snapshot(client) == before


def test_stored_knp_cannot_be_replaced_or_deleted(client, calicoctl):
    client.backend.create(keys.ResourceKey("NetworkPolicy", "knp.default.y", "default").path,
                          b'{"kind":"NetworkPolicy","apiVersion":"projectcalico.org/v3",'
                          b'"metadata":{"name":"knp.default.y","namespace":"default"},"spec":{"tier":"default"}}')
    text = KNP.replace("knp.default.x", "knp.default.y")
    replaced = calicoctl("replace", "-f", "-", stdin=text)
    assert f"operation apply or replace is not supported on NetworkPolicy(default/knp.default.y): {KNP_REASON}" \
        in replaced.err
    applied = calicoctl("apply", "-f", "-", stdin=text)
    assert "operation apply or replace is not supported" in applied.err
    deleted = calicoctl("delete", "networkpolicy", "knp.default.y")
    assert "operation delete is not supported" in deleted.err
    assert client.get("NetworkPolicy", "knp.default.y", "default").metadata.name == "knp.default.y"


def test_kanp_gnp_create_is_refused_with_the_admin_wording(calicoctl):
    created = calicoctl("create", "-f", "-", stdin=KANP)
    assert created.err == ("Failed to create 'GlobalNetworkPolicy' resource: [operation create or apply is not "
                           f"supported on GlobalNetworkPolicy(kanp.adminnetworkpolicy.x): {KANP_REASON}]\n")
