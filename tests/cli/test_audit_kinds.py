"""Audit findings 4-6: kinds calicoctl cannot manage are refused from files; KubeControllersConfiguration
must be named ``default`` on create; ``serviceLoadBalancerIPs`` only on BGPConfiguration ``default``."""
from __future__ import annotations

import pytest

from tests.cli.cli_support import snapshot

UNMANAGEABLE = {
    "CalicoNodeStatus": "spec: {node: node1, classes: [Agent], updatePeriodSeconds: 10}",
    "BlockAffinity": "spec: {node: node1, cidr: 10.1.0.0/26, state: confirmed}",
    "IPAMConfiguration": "spec: {strictAffinity: false, maxBlocksPerHost: 0}",
}


@pytest.mark.parametrize("kind", sorted(UNMANAGEABLE))
@pytest.mark.parametrize("command", [["create"], ["apply"], ["replace"], ["delete"], ["get"], ["get", "-o", "yaml"]])
def test_unmanageable_kinds_are_unknown_resource_types(client, calicoctl, kind, command):
    text = f"apiVersion: projectcalico.org/v3\nkind: {kind}\nmetadata: {{name: x1}}\n{UNMANAGEABLE[kind]}\n"
    before = snapshot(client)
    result = calicoctl(*command, "-f", "-", stdin=text)
    assert result.code == 1
    assert result.err == f"Failed to execute command: Unknown resource type ({kind}) and/or version " \
                         "(projectcalico.org/v3)\n"
    assert snapshot(client) == before


def test_unmanageable_list_kind_and_array_item_are_refused(calicoctl):
    listed = calicoctl("apply", "-f", "-", stdin="apiVersion: projectcalico.org/v3\nkind: BlockAffinityList\n"
                                                 "items: []\n")
    assert "Unknown resource type (BlockAffinityList) and/or version (projectcalico.org/v3)" in listed.err
    array = calicoctl("apply", "-f", "-", stdin='[{"apiVersion": "projectcalico.org/v3", "kind": "Tier", '
                                                '"metadata": {"name": "t1"}, "spec": {"order": 5}}, '
                                                '{"apiVersion": "projectcalico.org/v3", "kind": "CalicoNodeStatus", '
                                                '"metadata": {"name": "s"}}]')
    assert "Unknown resource type (CalicoNodeStatus)" in array.err and array.code == 1


def test_kube_controllers_configuration_create_needs_name_default(client, calicoctl):
    text = "apiVersion: projectcalico.org/v3\nkind: KubeControllersConfiguration\nmetadata: {name: foo}\nspec: {}\n"
    before = snapshot(client)
    result = calicoctl("create", "-f", "-", stdin=text)
    assert result.err == ("Failed to create 'KubeControllersConfiguration' resource: [Cannot create a Kube "
                          'Controllers Configuration resource with a name other than "default"]\n')
    assert snapshot(client) == before
    ok = calicoctl("create", "-f", "-", stdin=text.replace("foo", "default"))
    assert ok.out == "Successfully created 1 'KubeControllersConfiguration' resource(s)\n", ok


def test_service_load_balancer_ips_only_on_default_bgp_configuration(calicoctl):
    text = ("apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata: {name: node.node3}\n"
            "spec:\n  serviceLoadBalancerIPs: [{cidr: 198.18.5.0/24}]\n")
    result = calicoctl("create", "-f", "-", stdin=text)
    assert result.err == ("Failed to create 'BGPConfiguration' resource: [error with field "
                          "BGPConfiguration.Spec.ServiceLoadBalancerIPs (Cannot set ServiceLoadBalancerIPs on a non "
                          "default BGP Configuration.)]\n")
    ok = calicoctl("create", "-f", "-", stdin=text.replace("node.node3", "default"))
    assert ok.code == 0, ok
