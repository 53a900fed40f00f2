"""Tunnel addresses for a node (calico-node allocateip) on real datastores."""
import ipaddress

from datastore.ipam.service import ipam_for
from datastore.ipam.tunnel import IPIP, VXLAN, VXLAN_V6, reconcile_node
from datastore.resources import from_dict, to_dict


def apply(client, kind, name, spec, **metadata):
    client.apply(from_dict({"apiVersion": "projectcalico.org/v3", "kind": kind,
                            "metadata": {"name": name, **metadata}, "spec": spec}))


def owner(client, address):
    address = ipaddress.ip_address(address)
    block = ipam_for(client).block_of(address)[1]
    return block.attribute_of(address)


def node_spec(client):
    return to_dict(client.get("Node", "node-a"))["spec"]


def test_vxlan_and_ipip_addresses_follow_the_pools(datastore_client):
    client = datastore_client
    client.ensure_initialized()
    apply(client, "Node", "node-a", {"bgp": {"ipv4Address": "198.18.0.1/24"}}, labels={"zone": "a"})
    apply(client, "IPPool", "vx", {"cidr": "10.70.0.0/24", "vxlanMode": "Always", "blockSize": 28})
    apply(client, "IPPool", "plain", {"cidr": "10.71.0.0/24", "blockSize": 28})
    apply(client, "IPPool", "vx6", {"cidr": "fd00:70::/120", "vxlanMode": "Always", "blockSize": 124})
    ipam = ipam_for(client)
    got = reconcile_node(ipam, client, "node-a")
    v4 = got["vxlan-tunnel-addr-node-a"]
    assert ipaddress.ip_address(v4) in ipaddress.ip_network("10.70.0.0/24")
    assert got["ipip-tunnel-addr-node-a"] == "" and got["wireguard-tunnel-addr-node-a"] == ""
    spec = node_spec(client)
    assert spec["ipv4VXLANTunnelAddr"] == v4 and "ipv4IPIPTunnelAddr" not in spec["bgp"]
    assert spec["ipv6VXLANTunnelAddr"] == got["vxlan-v6-tunnel-addr-node-a"]
    attr = owner(client, v4)
    assert attr.handle_id == "vxlan-tunnel-addr-node-a"
    assert attr.attrs == {"node": "node-a", "type": "vxlanTunnelAddress"}
    assert ipam.block_of(ipaddress.ip_address(v4))[1].cidr.network_address == ipaddress.ip_address(v4), \
        "the first ordinal of a fresh block"

    assert reconcile_node(ipam, client, "node-a") == got, "stable when nothing changed"

    apply(client, "IPPool", "vx", {"cidr": "10.70.0.0/24", "vxlanMode": "Never", "blockSize": 28,
                                   "ipipMode": "Always"})
    got2 = reconcile_node(ipam, client, "node-a")
    assert got2["vxlan-tunnel-addr-node-a"] == ""
    assert "ipv4VXLANTunnelAddr" not in node_spec(client)
    ipip = got2["ipip-tunnel-addr-node-a"]
    assert node_spec(client)["bgp"]["ipv4IPIPTunnelAddr"] == ipip
    assert owner(client, ipip).attrs["type"] == "ipipTunnelAddress"
    handles = {h.handle_id for h in ipam.handles()}
    assert handles == {"ipip-tunnel-addr-node-a", "vxlan-v6-tunnel-addr-node-a"}


def test_address_outside_enabled_pools_is_replaced_and_unhandled_address_is_adopted(datastore_client):
    client = datastore_client
    client.ensure_initialized()
    apply(client, "IPPool", "a", {"cidr": "10.72.0.0/24", "vxlanMode": "Always", "blockSize": 28})
    apply(client, "Node", "node-a", {"ipv4VXLANTunnelAddr": "10.72.0.5"})
    ipam = ipam_for(client)
    ipam.assign_ip(ipaddress.ip_address("10.72.0.5"), None, {}, "node-a")
    got = reconcile_node(ipam, client, "node-a", tunnels=(VXLAN,))
    assert got == {"vxlan-tunnel-addr-node-a": "10.72.0.5"}
    assert owner(client, "10.72.0.5").handle_id == "vxlan-tunnel-addr-node-a"

    apply(client, "IPPool", "a", {"cidr": "10.72.0.0/24", "vxlanMode": "Always", "blockSize": 28,
                                  "nodeSelector": "zone == 'b'"})
    apply(client, "IPPool", "b", {"cidr": "10.73.0.0/24", "vxlanMode": "Always", "blockSize": 28})
    got = reconcile_node(ipam, client, "node-a", tunnels=(VXLAN, IPIP, VXLAN_V6))
    new = got["vxlan-tunnel-addr-node-a"]
    assert ipaddress.ip_address(new) in ipaddress.ip_network("10.73.0.0/24")
    assert ipam.block_of(ipaddress.ip_address("10.72.0.5"))[1].attribute_of(ipaddress.ip_address("10.72.0.5")) is None
    assert [h.handle_id for h in ipam.handles()] == ["vxlan-tunnel-addr-node-a"]
