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


_TEXT = st.text(alphabet="abAZ09.:/-_[]*() =!&|'\"%\n", max_size=24)

_STRING_FIELDS = [
    ("IPPool", ("cidr", "ipipMode", "vxlanMode", "nodeSelector")),
    ("BGPPeer", ("node", "peerIP", "peerSelector", "nodeSelector", "reachableBy", "sourceAddress")),
    ("HostEndpoint", ("node", "interfaceName")),
    ("WorkloadEndpoint", ("node", "containerID", "interfaceName", "mac", "ipv4Gateway", "ipv6Gateway")),
    ("FelixConfiguration", ("featureGates", "logDebugFilenameRegex", "natOutgoingAddress", "openstackRegion",
                            "bpfDataIfacePattern", "prometheusMetricsHost")),
]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(_STRING_FIELDS), st.data())
def test_any_string_in_any_field_yields_field_errors_not_exceptions(kind_fields, data):
    from datastore.validation import field_errors

    kind, fields = kind_fields
    spec = {field: data.draw(_TEXT) for field in fields}
    name = data.draw(_TEXT)
    errors = field_errors({"kind": kind, "metadata": {"name": name, "labels": {data.draw(_TEXT): data.draw(_TEXT)}},
                           "spec": spec})
    assert all(str(e).startswith("error with field ") for e in errors)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 65535), _TEXT.filter(lambda s: not s.isdigit())), max_size=3),
       st.one_of(st.none(), st.sampled_from(["TCP", "UDP", "ICMP", "tcp", 6, 0, 255, "any"])),
       st.lists(_TEXT, max_size=3))
def test_rules_with_random_ports_protocols_and_nets_never_crash(ports, protocol, nets):
    from datastore.validation import field_errors, parse_port

    valid_ports = []
    for port in ports:
        try:
            parse_port(port)
        except ValueError:
            continue
        valid_ports.append(port)
    rule = {"action": "Allow", "destination": {"ports": valid_ports, "nets": nets}}
    if protocol is not None:
        rule["protocol"] = protocol
    errors = field_errors({"kind": "GlobalNetworkPolicy", "metadata": {"name": "p"}, "spec": {"ingress": [rule]}})
    assert all(str(e).startswith("error with field ") for e in errors)
