"""datastore.client.PoolIndex: the indexed overlap query equals a scan over every pool, in order."""
from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from datastore.client import PoolIndex
from datastore.resources import from_dict


def pool(name: str, cidr: str) -> object:
    return from_dict({"kind": "IPPool", "apiVersion": "projectcalico.org/v3", "metadata": {"name": name},
                      "spec": {"cidr": cidr}})


cidrs = st.one_of(
    st.builds(lambda a, n: f"10.{a}.0.0/{n}", st.integers(0, 3), st.integers(8, 24)),
    st.builds(lambda a, n: f"10.0.{a}.0/{n}", st.integers(0, 7), st.integers(14, 32)),
    st.builds(lambda a, n: f"fd00:{a:x}::/{n}", st.integers(0, 3), st.integers(16, 128)),
    st.just("not-a-cidr"),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 9), cidrs), max_size=30), cidrs)
def test_overlapping_equals_a_scan(steps, query):
    index = PoolIndex()
    scan: dict[str, object] = {}
    for removing, number, cidr in steps:
        key = f"/calico/resources/v3/projectcalico.org/ippools/p{number}"
        if removing:
            index.remove(key)
            scan.pop(key, None)
        else:
            index.put(key, pool(f"p{number}", cidr))
            scan[key] = pool(f"p{number}", cidr)
    if query == "not-a-cidr":
        return
    network = ipaddress.ip_network(query, strict=False)

    def overlaps(p) -> bool:
        try:
            other = ipaddress.ip_network(p.spec.cidr, strict=False)
        except ValueError:
            return True
        return other.version == network.version and other.overlaps(network)

    assert index.overlapping(network) == [p for p in scan.values() if overlaps(p)]


def test_index_query_is_not_a_scan():
    index = PoolIndex((f"k{i}", pool(f"p{i}", f"10.{i // 256}.{i % 256}.0/24")) for i in range(2000))
    assert [p.metadata.name for p in index.overlapping(ipaddress.ip_network("10.1.0.0/16"))] == \
        [f"p{i}" for i in range(256, 512)]
    assert [p.metadata.name for p in index.overlapping(ipaddress.ip_network("10.2.3.4/32"))] == ["p515"]
    assert index.overlapping(ipaddress.ip_network("11.0.0.0/8")) == []
