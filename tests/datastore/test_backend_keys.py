"""datastore.keys: every key renders Calico's exact path and parses back to an equal key."""
from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datastore.keys import (
    BlockAffinityKey,
    BlockKey,
    FelixStatusKey,
    HandleKey,
    IPAMConfigKey,
    IPAMHostKey,
    ResourceKey,
    block_affinity_prefix,
    block_prefix,
    parse_key,
    resource_prefix,
)

CASES = [
    (ResourceKey("IPPool", "default-ipv4-ippool"),
     "/calico/resources/v3/projectcalico.org/ippools/default-ipv4-ippool"),
    (ResourceKey("ClusterInformation", "default"), "/calico/resources/v3/projectcalico.org/clusterinformations/default"),
    (ResourceKey("FelixConfiguration", "node.node-1"),
     "/calico/resources/v3/projectcalico.org/felixconfigurations/node.node-1"),
    (ResourceKey("NetworkPolicy", "default.allow-dns", "kube-system"),
     "/calico/resources/v3/projectcalico.org/networkpolicies/kube-system/default.allow-dns"),
    (ResourceKey("WorkloadEndpoint", "node1-k8s-pod--1-eth0", "default"),
     "/calico/resources/v3/projectcalico.org/workloadendpoints/default/node1-k8s-pod--1-eth0"),
    (ResourceKey("Node", "node-1"), "/calico/resources/v3/projectcalico.org/nodes/node-1"),
    (ResourceKey("BlockAffinity", "node-1-10-0-0-0-26"),
     "/calico/resources/v3/projectcalico.org/blockaffinities/node-1-10-0-0-0-26"),
    (BlockKey(ipaddress.ip_network("10.244.42.64/26")), "/calico/ipam/v2/assignment/ipv4/block/10.244.42.64-26"),
    (BlockKey(ipaddress.ip_network("fd00::/122")), "/calico/ipam/v2/assignment/ipv6/block/fd00::-122"),
    (BlockAffinityKey("node-1", ipaddress.ip_network("10.244.42.64/26")),
     "/calico/ipam/v2/host/node-1/ipv4/block/10.244.42.64-26"),
    (BlockAffinityKey("load-balancer", ipaddress.ip_network("fd00::40/122"), "virtual"),
     "/calico/ipam/v2/virtual/load-balancer/ipv6/block/fd00::40-122"),
    (IPAMHostKey("node-1"), "/calico/ipam/v2/host/node-1"),
    (HandleKey("k8s-pod-network.4f5c2e"), "/calico/ipam/v2/handle/k8s-pod-network.4f5c2e"),
    (HandleKey("ipip-tunnel-addr-node-1"), "/calico/ipam/v2/handle/ipip-tunnel-addr-node-1"),
    (IPAMConfigKey(), "/calico/ipam/v2/config"),
    (FelixStatusKey("node-1"), "/calico/felix/v2/no-region/host/node-1/status"),
    (FelixStatusKey("node-1", "region-r1", last_reported=True),
     "/calico/felix/v2/region-r1/host/node-1/last_reported_status"),
]


@pytest.mark.parametrize("key, path", CASES, ids=[p for _, p in CASES])
def test_renders_and_parses_back(key, path):
    assert key.path == path
    assert str(key) == path
    assert parse_key(path) == key


def test_cidr_given_as_text_is_normalised_to_a_network():
    assert BlockKey("10.0.0.0/26") == BlockKey(ipaddress.ip_network("10.0.0.0/26"))


@pytest.mark.parametrize("path", [
    "/calico/resources/v3/projectcalico.org/ippools",
    "/calico/resources/v3/projectcalico.org/ippools/a/b",
    "/calico/resources/v3/projectcalico.org/networkpolicies/only-name",
    "/calico/resources/v3/projectcalico.org/unknownthings/x",
    "/calico/ipam/v2/assignment/ipv4/block/10.0.0.1-26",
    "/calico/ipam/v2/assignment/ipv6/block/10.0.0.0-26",
    "/calico/ipam/v2/assignment/ipv4/block/10.0.0.0",
    "/calico/ipam/v2/host/node-1/ipv4/block",
    "/calico/ipam/v2/handle/",
    "/calico/ipam/v2/other",
    "/calico/felix/v2/no-region/host/n/other",
    "/calico/v1/config/foo",
    "",
])
def test_rejects_paths_outside_the_layout(path):
    with pytest.raises(ValueError, match="not a Calico datastore key"):
        parse_key(path)


@pytest.mark.parametrize("make", [
    lambda: ResourceKey("IPPool", ""),
    lambda: ResourceKey("IPPool", "a/b"),
    lambda: ResourceKey("IPPool", "x", "ns"),
    lambda: ResourceKey("NetworkPolicy", "x"),
    lambda: ResourceKey("NoSuchKind", "x"),
    lambda: BlockKey("10.0.0.1/26"),
    lambda: BlockAffinityKey("n", "10.0.0.0/26", "other"),
    lambda: HandleKey(""),
])
def test_invalid_key_values_raise_value_error(make):
    with pytest.raises(ValueError):
        make()


def test_listing_prefixes_end_with_a_slash():
    assert resource_prefix("IPPool") == "/calico/resources/v3/projectcalico.org/ippools/"
    assert resource_prefix("NetworkPolicy") == "/calico/resources/v3/projectcalico.org/networkpolicies/"
    assert resource_prefix("NetworkPolicy", "ns1") == "/calico/resources/v3/projectcalico.org/networkpolicies/ns1/"
    assert resource_prefix("IPPool", "ignored-for-cluster-kinds") == resource_prefix("IPPool")
    assert block_prefix(4) == "/calico/ipam/v2/assignment/ipv4/block/"
    assert block_affinity_prefix() == "/calico/ipam/v2/host/"
    assert block_affinity_prefix("node-1") == "/calico/ipam/v2/host/node-1/"
    assert block_affinity_prefix("node-1", 6) == "/calico/ipam/v2/host/node-1/ipv6/block/"

_NAME = st.from_regex(r"[a-z0-9]([-a-z0-9.]{0,30}[a-z0-9])?", fullmatch=True)
_NETWORK = st.one_of(
    st.builds(lambda a, n: ipaddress.ip_network((a, n), strict=False), st.ip_addresses(v=4), st.integers(0, 32)),
    st.builds(lambda a, n: ipaddress.ip_network((a, n), strict=False), st.ip_addresses(v=6), st.integers(0, 128)),
)


@given(kind=st.sampled_from(["IPPool", "Node", "NetworkPolicy", "WorkloadEndpoint", "Tier", "NetworkSet"]),
       name=_NAME, namespace=_NAME)
def test_any_resource_key_round_trips(kind, name, namespace):
    from datastore.resources import KINDS

    key = ResourceKey(kind, name, namespace if KINDS[kind].namespaced else "")
    assert parse_key(key.path) == key
    assert key.path.startswith(resource_prefix(kind))


@given(host=_NAME, cidr=_NETWORK, handle=_NAME)
def test_any_ipam_key_round_trips(host, cidr, handle):
    for key in (BlockKey(cidr), BlockAffinityKey(host, cidr), BlockAffinityKey(host, cidr, "virtual"),
                HandleKey(handle), IPAMHostKey(host)):
        assert parse_key(key.path) == key
    assert BlockKey(cidr).path.startswith(block_prefix(cidr.version))
    assert BlockAffinityKey(host, cidr).path.startswith(block_affinity_prefix(host, cidr.version))
