"""datastore.client side effects that touch other resources: IPIP/VXLAN enabling FelixConfiguration,
IPPool delete releasing affinities, Node delete cascade, and the typed watch (both backends)."""
from __future__ import annotations

import ipaddress
import threading

import pytest

from datastore.errors import NotFound
from datastore.ipam.allocator import IPAM, AssignRequest, PoolInfo
from datastore.resources import from_dict

API = "projectcalico.org/v3"


def res(kind: str, name: str, spec: dict, namespace: str = "") -> object:
    metadata = {"name": name, **({"namespace": namespace} if namespace else {})}
    return from_dict({"kind": kind, "apiVersion": API, "metadata": metadata, "spec": spec})


def ipam_for(client) -> IPAM:
    return IPAM(client.backend, pools=lambda: [PoolInfo.from_resource(p) for p in client.list("IPPool")])


def test_ipip_pool_enables_ipip_in_default_felix_configuration(datastore_client):
    datastore_client.create(res("IPPool", "p1", {"cidr": "10.1.0.0/16", "ipipMode": "Always"}))
    felix = datastore_client.get("FelixConfiguration", "default").spec
    assert (felix.ipip_enabled, felix.vxlan_enabled) == (True, None)
    datastore_client.create(res("IPPool", "p2", {"cidr": "10.2.0.0/16", "vxlanMode": "CrossSubnet"}))
    felix = datastore_client.get("FelixConfiguration", "default").spec
    assert (felix.ipip_enabled, felix.vxlan_enabled) == (True, True)


def test_explicit_felix_setting_is_left_alone(datastore_client):
    datastore_client.create(res("FelixConfiguration", "default", {"ipipEnabled": False}))
    before = datastore_client.get("FelixConfiguration", "default")
    datastore_client.apply(res("IPPool", "p1", {"cidr": "10.1.0.0/16", "ipipMode": "Always"}))
    assert datastore_client.get("FelixConfiguration", "default") == before


def test_plain_pool_does_not_touch_felix_configuration(datastore_client):
    datastore_client.create(res("IPPool", "p1", {"cidr": "10.1.0.0/16"}))
    with pytest.raises(NotFound):
        datastore_client.get("FelixConfiguration", "default")


def test_pool_delete_disables_then_releases_affinities_inside_it(datastore_client):
    datastore_client.create(res("IPPool", "p1", {"cidr": "10.1.0.0/16"}))
    datastore_client.create(res("IPPool", "p2", {"cidr": "10.2.0.0/16"}))
    ipam = ipam_for(datastore_client)
    ipam.auto_assign(AssignRequest(1, "h1", "node-1", pools=("p1",)), 4)
    ipam.auto_assign(AssignRequest(1, "h2", "node-1", pools=("p2",)), 4)
    assert len(ipam.host_affinities("node-1", 4)) == 2
    deleted = datastore_client.delete("IPPool", "p1")
    assert deleted.spec.disabled is True
    remaining = [str(cidr) for cidr, _ in ipam.host_affinities("node-1", 4)]
    assert len(remaining) == 1 and ipaddress.ip_network(remaining[0]).subnet_of(ipaddress.ip_network("10.2.0.0/16"))
    with pytest.raises(NotFound):
        datastore_client.get("IPPool", "p1")


def test_pool_delete_pauses_before_releasing(datastore_config):
    import time

    from datastore.client import POOL_DELETE_PAUSE, connect

    client = connect(datastore_config)
    client.create(res("IPPool", "p1", {"cidr": "10.1.0.0/16"}))
    started = time.monotonic()
    client.delete("IPPool", "p1")
    assert POOL_DELETE_PAUSE == 0.5
    assert time.monotonic() - started >= 0.5
    client.close()


def test_node_delete_cascade(datastore_client):
    c = datastore_client
    c.create(res("IPPool", "p1", {"cidr": "10.1.0.0/16"}))
    ipam = ipam_for(c)
    wep_ip = ipam.auto_assign(AssignRequest(1, "wep-handle", "node-1"), 4)[0]
    tunnel_ip = ipam.auto_assign(AssignRequest(1, "ipip-tunnel-addr-node-1", "node-1"), 4)[0]
    other_ip = ipam.auto_assign(AssignRequest(1, "other", "node-2"), 4)[0]
    c.create(res("Node", "node-1", {"bgp": {"ipv4Address": "198.18.0.1/24", "ipv4IPIPTunnelAddr": str(tunnel_ip.ip)}}))
    c.create(res("Node", "node-2", {"bgp": {"ipv4Address": "198.18.0.2/24"}}))
    c.create(res("WorkloadEndpoint", "node--1-k8s-pod-eth0", {
        "node": "node-1", "orchestrator": "k8s", "workload": "pod", "endpoint": "eth0", "pod": "pod",
        "interfaceName": "cali0123456789a", "ipNetworks": [f"{wep_ip.ip}/32"]}, namespace="ns1"))
    c.create(res("WorkloadEndpoint", "node--2-k8s-pod-eth0", {
        "node": "node-2", "orchestrator": "k8s", "workload": "pod", "endpoint": "eth0", "pod": "pod",
        "interfaceName": "cali0123456789b", "ipNetworks": [f"{other_ip.ip}/32"]}, namespace="ns1"))
    c.create(res("BGPPeer", "peer-node-1", {"node": "node-1", "peerIP": "198.18.0.9", "asNumber": 64512}))
    c.create(res("BGPPeer", "peer-global", {"peerIP": "198.18.0.10", "asNumber": 64512}))
    c.create(res("FelixConfiguration", "node.node-1", {}))
    c.create(res("BGPConfiguration", "node.node-1", {}))
    c.create(res("HostEndpoint", "hep-1", {"node": "node-1", "interfaceName": "eth0"}))
    c.backend.create("/calico/ipam/v2/host/node-1", b"{}")

    c.delete("Node", "node-1")

    assert [n.metadata.name for n in c.list("Node")] == ["node-2"]
    assert [w.metadata.name for w in c.list("WorkloadEndpoint")] == ["node--2-k8s-pod-eth0"]
    assert [p.metadata.name for p in c.list("BGPPeer")] == ["peer-global"]
    assert [f.metadata.name for f in c.list("FelixConfiguration")] == []
    assert [b.metadata.name for b in c.list("BGPConfiguration")] == []
    assert list(c.list("HostEndpoint")) == []
    assert ipam.host_affinities("node-1", 4) == []
    with pytest.raises(NotFound):
        c.backend.get("/calico/ipam/v2/host/node-1")
    allocated = {str(ip) for _, block in ipam.blocks(4) for ip, _ in block.allocated()}
    assert allocated == {str(other_ip.ip)}


def test_typed_watch_from_list_revision(datastore_client):
    c = datastore_client
    c.create(res("IPPool", "p0", {"cidr": "10.0.0.0/16"}))
    listed = c.list("IPPool")
    watch = c.watch("IPPool", int(listed.resource_version))
    events = []

    def reader():
        for event in watch:
            events.append(event)
            if len(events) == 3:
                return

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    created = c.create(res("IPPool", "p1", {"cidr": "10.1.0.0/16"}))
    c.delete("IPPool", "p0")
    thread.join(5)
    watch.cancel()
    assert [(e.type, e.resource.metadata.name) for e in events] == [("PUT", "p1"), ("PUT", "p0"), ("DELETE", "p0")]
    assert events[0].resource == created
    assert events[1].resource.spec.disabled is True
    assert events[2].resource.metadata.resource_version == str(c.backend.current_revision())
