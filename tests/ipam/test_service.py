"""ClientIPAM reads pools, node labels and reservations from the datastore's resources."""
import ipaddress

import pytest

from datastore.ipam.allocator import USE_TUNNEL, AssignRequest
from datastore.ipam.service import ipam_for

net = ipaddress.ip_network


def apply(client, kind, name, spec, **metadata):
    from datastore.resources import from_dict

    client.apply(from_dict({"apiVersion": "projectcalico.org/v3", "kind": kind,
                            "metadata": {"name": name, **metadata}, "spec": spec}))


def assign(client, host="node-a", use="Workload", handle="h"):
    got = ipam_for(client).auto_assign(AssignRequest(count=1, handle_id=handle, hostname=host,
                                                     attrs={"node": host}, intended_use=use), 4)
    return got[0].ip


@pytest.fixture
def client(datastore_client):
    datastore_client.ensure_initialized()
    return datastore_client


def test_ipreservation_resources_are_skipped(client):
    apply(client, "IPPool", "p", {"cidr": "10.91.0.0/29", "blockSize": 29})
    apply(client, "IPReservation", "r", {"reservedCIDRs": ["10.91.0.0/30", "10.91.0.5/32"]})
    got = [assign(client, handle=f"h{n}") for n in range(3)]
    assert [str(a) for a in got] == ["10.91.0.4", "10.91.0.6", "10.91.0.7"]
    exhausted = ipam_for(client).auto_assign(AssignRequest(count=1, handle_id="h4", hostname="node-a"), 4)
    assert exhausted == [], "only reserved addresses are left"


def test_node_labels_select_pools_and_defaults_apply(client):
    apply(client, "IPPool", "a-zone", {"cidr": "10.92.0.0/24", "nodeSelector": "zone == 'a'"})
    apply(client, "IPPool", "b-all", {"cidr": "10.93.0.0/24"})
    apply(client, "Node", "node-a", {}, labels={"zone": "a"})
    apply(client, "Node", "node-b", {}, labels={"zone": "b"})
    assert assign(client, "node-a") in net("10.92.0.0/24"), "pool order is by name; a-zone selects node-a"
    assert assign(client, "node-b", handle="hb") in net("10.93.0.0/24")
    assert ipam_for(client).block_of(assign(client, "node-b", handle="hc"))[1].cidr.prefixlen == 26


def test_disabled_pools_and_allowed_uses(client):
    apply(client, "IPPool", "a-off", {"cidr": "10.94.0.0/24", "disabled": True})
    apply(client, "IPPool", "b-tunnel", {"cidr": "10.95.0.0/24", "allowedUses": ["Tunnel"]})
    apply(client, "IPPool", "c-work", {"cidr": "10.96.0.0/24", "allowedUses": ["Workload"]})
    assert assign(client) in net("10.96.0.0/24")
    assert assign(client, use=USE_TUNNEL, handle="t") in net("10.95.0.0/24")
