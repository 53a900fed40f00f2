"""Property tests: Go-semantics CIDR parsing and name rules agree with independent formulations."""
import ipaddress
import re

from hypothesis import given, settings, strategies as st

from datastore.validation import names, parse_cidr, pools_overlap
from datastore.validation.netparse import is_strict_net

ipv4 = st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address)
ipv6 = st.integers(0, 2**128 - 1).map(ipaddress.IPv6Address)


@settings(max_examples=200, deadline=None)
@given(ipv4, st.integers(0, 32))
def test_ipv4_cidr_parses_like_ipaddress(address, prefix):
    parsed = parse_cidr(f"{address}/{prefix}")
    assert parsed.network == ipaddress.IPv4Network((address, prefix), strict=False)
    assert parsed.ip == address
    assert is_strict_net(f"{address}/{prefix}") == (parsed.network.network_address == address)


@settings(max_examples=200, deadline=None)
@given(ipv6, st.integers(0, 128))
def test_ipv6_cidr_parses_like_ipaddress(address, prefix):
    if address.ipv4_mapped is not None:
        return
    parsed = parse_cidr(f"{address}/{prefix}")
    assert parsed.network == ipaddress.IPv6Network((address, prefix), strict=False)
    assert str(parsed.network) == f"{parsed.network.network_address}/{prefix}"


@settings(max_examples=200, deadline=None)
@given(ipv4, st.integers(8, 32), ipv4, st.integers(8, 32))
def test_overlap_is_symmetric_and_matches_address_sets(a, pa, b, pb):
    net_a = ipaddress.IPv4Network((a, pa), strict=False)
    net_b = ipaddress.IPv4Network((b, pb), strict=False)
    expected = net_a.subnet_of(net_b) or net_b.subnet_of(net_a)
    assert pools_overlap(str(net_a), str(net_b)) == expected == pools_overlap(str(net_b), str(net_a))


_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")


def _is_subdomain(text):
    return bool(text) and all(_LABEL.match(part) for part in text.split("."))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab9-.A_", max_size=12))
def test_subdomain_regex_matches_label_by_label_definition(text):
    assert names.is_valid_name(text) == _is_subdomain(text)
    assert (names.dns1123_subdomain_errors(text) == []) == _is_subdomain(text)
