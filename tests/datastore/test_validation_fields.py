"""Field-level primitives: names, labels, CIDR/IP parsing with Go semantics, ASN, ports, protocols."""
import ipaddress

import pytest

from datastore.errors import ValidationError
from datastore.validation import (
    parse_asn,
    parse_cidr,
    parse_cidr_or_ip,
    parse_ip,
    parse_port,
    parse_protocol,
    pools_overlap,
    validate_cidr,
    validate_name,
)
from datastore.validation import names
from datastore.validation.fields import (
    Port,
    community_errors,
    ip_port_split,
    is_interface_name,
    is_mac,
    is_wireguard_key,
    protocol_error,
)
from datastore.validation.netparse import is_cidr, is_strict_net
from datastore.validation.report import go_float, go_value, tag_reason

SUBDOMAIN_REASON = (
    "name must consist of lower case alphanumeric characters, '-' or '.' "
    "(regex: [a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)"
)


@pytest.mark.parametrize("name", ["a", "a-b", "a.b", "0", "my-node.example.com", "a" * 253])
def test_valid_names(name):
    validate_name(name)
    assert names.is_valid_name(name)


@pytest.mark.parametrize("name,expected", [
    ("", f"error with field Metadata.Name = '' ({SUBDOMAIN_REASON})"),
    ("Node1", f"error with field Metadata.Name = 'Node1' ({SUBDOMAIN_REASON})"),
    ("-a", f"error with field Metadata.Name = '-a' ({SUBDOMAIN_REASON})"),
    ("a_b", f"error with field Metadata.Name = 'a_b' ({SUBDOMAIN_REASON})"),
    ("a..b", f"error with field Metadata.Name = 'a..b' ({SUBDOMAIN_REASON})"),
    ("a\n", f"error with field Metadata.Name = 'a\n' ({SUBDOMAIN_REASON})"),
    ("a" * 254, f"error with field Metadata.Name = '{'a' * 254}' (name is too long by 1 bytes)"),
])
def test_invalid_names(name, expected):
    with pytest.raises(ValidationError) as err:
        validate_name(name)
    assert str(err.value) == expected


def test_qualified_name_messages():
    assert names.qualified_name_errors("projectcalico.org/orchestrator") == []
    assert names.qualified_name_errors("a/b/c") == [
        "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
        "an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' "
        "(e.g. 'example.com/MyName')"
    ]
    assert names.qualified_name_errors("/x") == ["prefix part must be non-empty"]
    assert names.qualified_name_errors("Example.com/x") == [
        "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
        "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
        "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    ]
    assert names.qualified_name_errors("x/") == [
        "name part must be non-empty",
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
        "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ]
    assert names.qualified_name_errors("a" * 64)[0] == "name part must be no more than 63 characters"


def test_label_value_messages():
    assert names.label_value_errors("") == []
    assert names.label_value_errors("My_value.1") == []
    assert names.label_value_errors("-x") == [
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
        "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
        "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    ]
    assert names.label_value_errors("a" * 64) == ["must be no more than 63 characters"]


def test_port_name_rules():
    assert names.port_name_errors("http") == []
    assert names.port_name_errors("a--b") == ["must not contain consecutive hyphens"]
    assert names.port_name_errors("-ab") == ["must not begin or end with a hyphen"]
    assert names.port_name_errors("HTTP") == [
        "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
        "must contain at least one letter or number (a-z, 0-9)",
    ]
    assert names.port_name_errors("a" * 16) == ["must be no more than 15 characters"]


def test_policy_and_tier_name_regexes():
    assert names.NETWORK_POLICY_NAME_RE.fullmatch("tier1.policy")
    assert names.NETWORK_POLICY_NAME_RE.fullmatch("knp.default.a.b.c")
    assert not names.NETWORK_POLICY_NAME_RE.fullmatch("a.b.c")
    assert names.GLOBAL_NETWORK_POLICY_NAME_RE.fullmatch("t.p")
    assert not names.GLOBAL_NETWORK_POLICY_NAME_RE.fullmatch("a.b.c")
    assert names.TIER_NAME_RE.fullmatch("tier-1")
    assert not names.TIER_NAME_RE.fullmatch("tier.1")


@pytest.mark.parametrize("text,ip,network", [
    ("10.0.0.0/8", "10.0.0.0", "10.0.0.0/8"),
    ("10.1.2.3/8", "10.1.2.3", "10.0.0.0/8"),
    ("fd5f::1/123", "fd5f::1", "fd5f::/123"),
    ("10.0.0.0/08", "10.0.0.0", "10.0.0.0/8"),
    ("::ffff:10.0.0.0/104", "10.0.0.0", "10.0.0.0/8"),
    ("0.0.0.0/0", "0.0.0.0", "0.0.0.0/0"),
])
def test_parse_cidr_like_go(text, ip, network):
    parsed = parse_cidr(text)
    assert str(parsed.ip) == ip
    assert str(parsed.network) == network


@pytest.mark.parametrize("text", [
    "10.0.1.0/33", "10.0.256.0/24", "fd5f::2::1/32", "10.0.0.1", "10.0.0.0/255.0.0.0", "10.0.0.0/0.0.0.255",
    "fe80::1%eth0/64", "010.0.0.0/8", "10.0.0.0/+8", "10.0.0.0/", "", "10.0.0.0/８",
])
def test_parse_cidr_rejects_what_go_rejects(text):
    with pytest.raises(ValueError, match="invalid CIDR address"):
        parse_cidr(text)


def test_parse_cidr_or_ip_and_ip():
    assert str(parse_cidr_or_ip("10.0.0.1").network) == "10.0.0.1/32"
    assert str(parse_cidr_or_ip("::1").network) == "::1/128"
    assert parse_ip("::ffff:1.2.3.4") == ipaddress.IPv4Address("1.2.3.4")
    assert parse_ip("fe80::1%eth0") is None
    assert parse_ip("1.2.3") is None
    with pytest.raises(ValueError):
        parse_cidr_or_ip("nonsense")


def test_net_and_cidr_tags():
    assert is_strict_net("10.0.0.0/24") and is_strict_net("10.0.0.1")
    assert not is_strict_net("10.0.0.1/24")
    assert is_cidr("10.0.0.1/24") and not is_cidr("10.0.0.1/40")
    assert is_strict_net("fd00::/64", 6) and not is_strict_net("10.0.0.0/8", 6)


def test_validate_cidr_messages():
    assert str(validate_cidr("10.0.0.1/24").network) == "10.0.0.0/24"
    with pytest.raises(ValidationError) as err:
        validate_cidr("10.0.0.1/24", field="Nets[0]", strict=True)
    assert str(err.value) == (
        "error with field Nets[0] = '10.0.0.1/24' (Reason: failed to validate Field: Nets[0] because of Tag: net )"
    )
    with pytest.raises(ValidationError) as err:
        validate_cidr("bad")
    assert str(err.value) == "error with field CIDR = 'bad' (Reason: failed to validate Field: CIDR because of Tag: cidr )"


def test_pools_overlap():
    assert pools_overlap("10.0.0.0/16", "10.0.1.0/24")
    assert pools_overlap("10.0.1.0/24", "10.0.0.0/16")
    assert not pools_overlap("10.0.0.0/24", "10.0.1.0/24")
    assert not pools_overlap("10.0.0.0/8", "fd00::/8")
    assert pools_overlap("fd00::/64", "fd00::1/128")


@pytest.mark.parametrize("value,asn", [
    (0, 0), (64512, 64512), (4294967295, 4294967295), ("65000", 65000), ("1.10", 65546),
    ("65535.65535", 4294967295), ("0.0", 0), ("007", 7),
])
def test_parse_asn(value, asn):
    assert parse_asn(value) == asn


@pytest.mark.parametrize("value,message", [
    (4294967296, "cannot unmarshal number into Go value of type string"),
    (-1, "cannot unmarshal number into Go value of type string"),
    (1.5, "cannot unmarshal number into Go value of type string"),
    (True, "cannot unmarshal bool into Go value of type string"),
    ("4294967296", "invalid AS Number format (4294967296)"),
    ("65536.1", "invalid AS Number format (65536.1)"),
    ("1.2.3", "invalid AS Number format (1.2.3)"),
    ("AS1", "invalid AS Number format (AS1)"),
    ("-1", "invalid AS Number format (-1)"),
])
def test_parse_asn_errors(value, message):
    with pytest.raises(ValueError) as err:
        parse_asn(value)
    assert str(err.value) == message


@pytest.mark.parametrize("value,port", [
    (80, Port(80, 80)), ("80", Port(80, 80)), ("1:65535", Port(1, 65535)), ("http", Port(name="http")),
    (0, Port(0, 0)), ("a_b.c-d", Port(name="a_b.c-d")),
])
def test_parse_port(value, port):
    assert parse_port(value) == port


@pytest.mark.parametrize("value,message", [
    ("1:65536", "invalid maximum port number in range (1:65536)"),
    ("65536:1", "invalid minimum port number in range (65536:1)"),
    ("65535:1", "minimum port number (65535) is greater than maximum port number (1) in port range"),
    ("70000", "invalid port format (70000)"),
    (65536, "cannot unmarshal number 65536 into Go value of type uint16"),
    ("a b", "invalid name for named port (a b)"),
    ("1-2:3", "invalid name for named port (1-2:3)"),
])
def test_parse_port_errors(value, message):
    with pytest.raises(ValueError) as err:
        parse_port(value)
    assert str(err.value) == message


def test_port_str_round_trip():
    assert [str(parse_port(v)) for v in (80, "80:90", "http", "90:90")] == ["80", "80:90", "http", "90"]


def test_protocols():
    assert protocol_error(parse_protocol("TCP")) is None
    assert protocol_error(parse_protocol(132)) is None
    assert protocol_error(parse_protocol("6")) is None and parse_protocol("6").number == 6
    assert protocol_error(parse_protocol(0)) == "protocol number invalid"
    assert protocol_error(parse_protocol("tcp")) == "protocol name invalid"
    assert protocol_error(parse_protocol("any")) == "protocol name invalid"
    assert parse_protocol("tcp").supports_ports and parse_protocol(17).supports_ports
    assert not parse_protocol("ICMP").supports_ports and not parse_protocol(1).supports_ports
    with pytest.raises(ValueError):
        parse_protocol(256)


@pytest.mark.parametrize("text,expected", [
    ("10.0.0.1", ("10.0.0.1", 0)), ("10.0.0.1:179", ("10.0.0.1", 179)), ("[fd00::1]:1790", ("fd00::1", 1790)),
    ("fd00::1", ("fd00::1", 0)), ("10.0.0.1:0", None), ("10.0.0.1:65536", None), ("badpeerIP", None),
    ("fd00::1:179:", None), ("[10.0.0.1]", None), ("", None), ("1:2:3:4:5", None),
])
def test_ip_port(text, expected):
    assert ip_port_split(text) == expected


def test_misc_predicates():
    assert is_mac("aa:bb:cc:dd:ee:ff") and is_mac("AA-BB-CC-DD-EE-FF") and is_mac("aabb.ccdd.eeff")
    assert not is_mac("aa:bb:cc:dd:ee") and not is_mac("aa:bb-cc:dd:ee:ff") and not is_mac("zz:bb:cc:dd:ee:ff")
    assert is_interface_name("eth0") and is_interface_name("*") and not is_interface_name("a" * 16)
    assert not is_interface_name("eth 0")
    assert is_wireguard_key("jlkVyQYooZYzI2wFfNhSZez5eWh44yfq1wKVjLvSXgY=")
    assert not is_wireguard_key("abc=") and not is_wireguard_key("not base64!")
    assert community_errors("65000:100") == (True, [])
    assert community_errors("65536:100") == (True, ["invalid community value, expected 16 bit value"])
    assert community_errors("4294967296:1:1") == (True, ["invalid community value, expected 32 bit value"])
    assert community_errors("abc") == (False, [])


def test_go_formatting():
    assert tag_reason("PeerIP", "IP:port") == "Reason: failed to validate Field: PeerIP because of Tag: IP:port "
    assert go_value(["a", "b"]) == "[a b]"
    assert go_value(True) == "true"
    assert go_value(None) == "<nil>"
    assert go_value({"b": "2", "a": "1"}) == "map[a:1 b:2]"
    assert [go_float(v) for v in (1e6, 1000.0, 0.5, 123456.0, 1234567.0, 1e-5, 0.0001, -3.0)] == [
        "1e+06", "1000", "0.5", "123456", "1.234567e+06", "1e-05", "0.0001", "-3",
    ]


@pytest.mark.parametrize("policy,tier,error", [
    ("allow-dns", "", None),
    ("allow-dns", "default", None),
    ("default.allow-dns", "default", None),
    ("tier1.allow-dns", "tier1", None),
    ("allow-dns", "tier1", "Incorrectly formatted policy name allow-dns"),
    ("tier2.allow-dns", "tier1", "Incorrectly formatted policy name tier2.allow-dns"),
    ("tier1.allow-dns", "", "Incorrectly formatted policy name tier1.allow-dns"),
    ("knp.default.np", "tier1", None),
    ("ossg.default.sg1", "", None),
    ("", "", "Policy name is empty"),
])
def test_tiered_policy_names(policy, tier, error):
    assert names.tiered_policy_name_error(policy, tier) == error
