"""Hand-annotated hex vectors, decoded and re-encoded both ways."""
import ipaddress

import pytest

from node.bgp import capabilities as caps
from node.bgp import message as m
from node.bgp import nlri
from node.bgp.attributes import Aggregator, AsPath, PathAttributes, UnknownAttribute
from node.bgp.constants import (
    AFI,
    AS_TRANS,
    IPV4_UNICAST,
    IPV6_UNICAST,
    SAFI,
    CeaseSubcode,
    OriginCode,
    RouteRefreshType,
    SegmentType,
)
from node.bgp.errors import NotificationReceived
from node.bgp.negotiate import Negotiated

MARKER = "ff" * 16
V4 = ipaddress.IPv4Address
V6 = ipaddress.IPv6Address
EBGP = Negotiated(local_asn=65000, peer_asn=65001, families=frozenset({IPV4_UNICAST, IPV6_UNICAST}))
IBGP = Negotiated(local_asn=65000, peer_asn=65000, families=frozenset({IPV4_UNICAST, IPV6_UNICAST}))
TWO_OCTET = Negotiated(local_asn=65000, peer_asn=65001, four_octet_as=False)


def h(*parts: str) -> bytes:
    return bytes.fromhex("".join(p.replace(" ", "") for p in parts))


def both_ways(wire: bytes, msg, neg=EBGP):
    assert m.decode(wire, neg) == msg
    assert msg.encode(neg) == wire


def test_keepalive():
    both_ways(h(MARKER, "0013", "04"), m.Keepalive())


def test_open_with_capabilities():
    wire = h(
        MARKER, "003b", "01",
        "04",            # version 4
        "fde8",          # my AS 65000
        "00b4",          # hold time 180
        "c6120001",      # BGP identifier 198.18.0.1
        "1e",            # optional parameters length 30
        "02 1c",         # parameter: capabilities, 28 octets
        "01 04 0001 00 01",  # multiprotocol IPv4 unicast
        "01 04 0002 00 01",  # multiprotocol IPv6 unicast
        "02 00",             # route refresh
        "41 04 0000fde8",    # 4-octet AS 65000
        "40 06 8078 0001 01 80",  # graceful restart: R bit, 120 s, IPv4 unicast forwarding kept
    )
    msg = m.Open(65000, 180, V4("198.18.0.1"), (
        caps.Multiprotocol(AFI.IPV4, SAFI.UNICAST),
        caps.Multiprotocol(AFI.IPV6, SAFI.UNICAST),
        caps.RouteRefresh(),
        caps.FourOctetAs(65000),
        caps.GracefulRestart(120, restarting=True,
                             families=(caps.GracefulRestartFamily(AFI.IPV4, SAFI.UNICAST, True),)),
    ))
    both_ways(wire, msg)
    assert msg.asn == 65000


def test_open_four_octet_asn_uses_as_trans_and_keeps_unknown_capability():
    wire = h(
        MARKER, "0027", "01",
        "04", "5ba0",    # my AS = AS_TRANS (23456)
        "005a", "0a000001",
        "0a", "02 08",
        "41 04 fa56ea01",  # 4-octet AS 4200000001
        "49 00",           # capability 73 (FQDN-like, unknown to us), empty
    )
    msg = m.Open.build(4200000001, 90, "10.0.0.1", (caps.FourOctetAs(4200000001), caps.UnknownCapability(73)))
    assert msg.my_as == AS_TRANS
    both_ways(wire, msg)
    assert m.decode(wire, EBGP).asn == 4200000001


def test_open_rfc9072_extended_parameters_decode():
    # non-ext length 255, type 255, extended length 0x0006, then (type 2, 2-octet length 3, cap)
    wire = h(MARKER, "0025", "01", "04", "fde8", "005a", "0a000001", "ff ff 0005", "02 0002 0200")
    assert m.decode(wire, EBGP) == m.Open(65000, 90, V4("10.0.0.1"), (caps.RouteRefresh(),))


def test_notification_cease_with_shutdown_communication():
    wire = h(MARKER, "001b", "03", "06 02", "05", "62 79 65 21 21")  # Cease/Admin shutdown "bye!!"
    msg = m.Notification.cease(CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, "bye!!")
    both_ways(wire, msg)
    assert 'ADMINISTRATIVE_SHUTDOWN "bye!!"' in str(NotificationReceived(msg.code, msg.subcode, msg.data))


def test_route_refresh_and_enhanced_subtypes():
    both_ways(h(MARKER, "0017", "05", "0001 00 01"), m.RouteRefresh(AFI.IPV4, SAFI.UNICAST))
    both_ways(h(MARKER, "0017", "05", "0002 02 01"),
              m.RouteRefresh(AFI.IPV6, SAFI.UNICAST, RouteRefreshType.END_OF_RIB))


IPV4_UPDATE = h(
    MARKER, "0054", "02",
    "0002", "08 0a",                 # withdrawn: 10.0.0.0/8
    "0033",                          # total path attribute length 51
    "40 01 01 00",                   # ORIGIN IGP
    "40 02 10 02 02 0000fde9 0000fdea 01 01 0000fdeb",  # AS_PATH: SEQ 65001 65002, SET {65003}
    "40 03 04 c6120002",             # NEXT_HOP 198.18.0.2
    "80 04 04 00000032",             # MED 50
    "c0 08 08 fde80064 ffffff01",    # COMMUNITIES 65000:100 NO_EXPORT
    "40 06 00",                      # ATOMIC_AGGREGATE
    "18 c0a801",                     # NLRI 192.168.1.0/24
    "11 0a0180",                     # NLRI 10.1.128.0/17
)


def test_ipv4_update():
    attrs = PathAttributes(
        origin=OriginCode.IGP,
        as_path=AsPath(((SegmentType.AS_SEQUENCE, (65001, 65002)), (SegmentType.AS_SET, (65003,)))),
        next_hop=V4("198.18.0.2"),
        med=50,
        atomic_aggregate=True,
        communities=(0xFDE80064, 0xFFFFFF01),
    )
    msg = m.Update(withdrawn=((0x0A000000, 8),), attributes=attrs,
                   nlri=((0xC0A80100, 24), (0x0A018000, 17)))
    decoded = m.decode(IPV4_UPDATE, EBGP)
    assert decoded == msg
    # our encoder orders attributes by type code: ATOMIC_AGGREGATE (6) comes before COMMUNITIES (8)
    reordered = IPV4_UPDATE.replace(h("c0 08 08 fde80064 ffffff01", "40 06 00"),
                                    h("40 06 00", "c0 08 08 fde80064 ffffff01"))
    assert msg.encode(EBGP) == reordered
    assert str(attrs.as_path) == "65001 65002 {65003}"
    assert attrs.as_path.length() == 3
    assert [str(nlri.to_network(p, AFI.IPV4)) for p in decoded.nlri] == ["192.168.1.0/24", "10.1.128.0/17"]


def test_ipv6_mp_reach_with_link_local_next_hop():
    wire = h(
        MARKER, "005c", "02", "0000", "0045",
        "40 01 01 00",
        "40 02 06 02 01 0000fde9",
        "80 0e 35",                  # MP_REACH_NLRI, 53 octets
        "0002 01 20",                # AFI 2, SAFI 1, next hop length 32
        "20010db8000000000000000000000001",  # global next hop 2001:db8::1
        "fe800000000000000000000000000001",  # link-local fe80::1
        "00",                        # reserved
        "40 20010db8 00000000",      # 2001:db8::/64 (64 bits -> 8 octets)
        "30 20010db80001",           # 2001:db8:1::/48
    )
    attrs = PathAttributes(as_path=AsPath.sequence(65001))
    reach = m.MpReach(AFI.IPV6, SAFI.UNICAST, V6("2001:db8::1"),
                      ((0x20010DB8 << 96, 64), (0x20010DB80001 << 80, 48)), V6("fe80::1"))
    msg = m.Update(attributes=attrs, mp_reach=reach)
    both_ways(wire, msg)
    [(family, prefixes, with_nh)] = list(msg.announced())
    assert family == IPV6_UNICAST and len(prefixes) == 2
    assert with_nh.next_hop == V6("2001:db8::1") and with_nh.next_hop_link_local == V6("fe80::1")


def test_ipv6_mp_unreach_and_end_of_rib():
    wire = h(MARKER, "0024", "02", "0000", "000d", "80 0f 0a", "0002 01", "30 20010db80001")
    msg = m.Update(mp_unreach=m.MpUnreach(AFI.IPV6, SAFI.UNICAST, ((0x20010DB80001 << 80, 48),)))
    both_ways(wire, msg)
    assert list(msg.withdrawals()) == [(IPV6_UNICAST, ((0x20010DB80001 << 80, 48),))]
    eor6 = h(MARKER, "001d", "02", "0000", "0006", "80 0f 03 0002 01")
    assert m.decode(eor6, EBGP).end_of_rib == IPV6_UNICAST
    assert m.end_of_rib(IPV6_UNICAST, EBGP) == eor6
    eor4 = h(MARKER, "0017", "02", "0000", "0000")
    assert m.decode(eor4, EBGP).end_of_rib == IPV4_UNICAST
    assert m.end_of_rib(IPV4_UNICAST, EBGP) == eor4
    assert m.decode(IPV4_UPDATE, EBGP).end_of_rib is None


def test_two_octet_session_as4_path_and_as4_aggregator_both_ways():
    wire = h(
        MARKER, "0050", "02", "0000", "0035",
        "40 01 01 00",
        "40 02 06 02 02 fde9 5ba0",          # AS_PATH (2-octet): 65001 AS_TRANS
        "40 03 04 c6120002",
        "c0 07 06 5ba0 0a000009",            # AGGREGATOR AS_TRANS 10.0.0.9
        "c0 11 0a 02 02 0000fde9 fa56ea01",  # AS4_PATH: 65001 4200000001
        "c0 12 08 fa56ea01 0a000009",        # AS4_AGGREGATOR 4200000001 10.0.0.9
        "18 c0a801",
    )
    attrs = PathAttributes(as_path=AsPath.sequence(65001, 4200000001), next_hop=V4("198.18.0.2"),
                           aggregator=Aggregator(4200000001, V4("10.0.0.9")))
    msg = m.Update(attributes=attrs, nlri=((0xC0A80100, 24),))
    both_ways(wire, msg, TWO_OCTET)


def test_as4_path_shorter_prefix_is_kept_from_as_path():
    # AS_PATH 65001 65002 AS_TRANS; AS4_PATH only the last hop: 4200000001 -> 65001 65002 4200000001
    wire = h(
        MARKER, "0036", "02", "0000", "001f",
        "40 01 01 00", "40 02 08 02 03 fde9 fdea 5ba0", "40 03 04 c6120002",
        "c0 11 06 02 01 fa56ea01",
    )
    u = m.decode(wire, TWO_OCTET)
    assert u.attributes.as_path == AsPath.sequence(65001, 65002, 4200000001)


def test_unknown_optional_transitive_attribute_kept_verbatim_with_extended_length():
    value = bytes(range(256)) + b"\x01"
    wire = h(MARKER, "012c", "02", "0000", "0113",
             "40 01 01 02", "40 02 00", "40 03 04 0a000001",
             "d0 63 0101") + value + h("08 0a")   # flags 0xd0: optional transitive, extended length
    attrs = PathAttributes(origin=OriginCode.INCOMPLETE, next_hop=V4("10.0.0.1"),
                           unknown=(UnknownAttribute(0x63, 0xC0, value),))
    msg = m.Update(attributes=attrs, nlri=((0x0A000000, 8),))
    both_ways(wire, msg, IBGP)


def test_unknown_optional_non_transitive_attribute_is_dropped():
    wire = h(MARKER, "0025", "02", "0000", "000e", "40 01 01 00", "40 02 00", "80 63 04 01020304")
    u = m.decode(wire, IBGP)
    assert u.attributes == PathAttributes() and not u.problems


def test_ibgp_attributes_round_trip():
    attrs = PathAttributes(as_path=AsPath(), next_hop=V4("10.0.0.1"), local_pref=200,
                           originator_id=V4("1.1.1.1"), cluster_list=(V4("2.2.2.2"), V4("3.3.3.3")))
    wire = h(MARKER, "0042", "02", "0000", "0027",
             "40 01 01 00", "40 02 00", "40 03 04 0a000001", "40 05 04 000000c8",
             "80 09 04 01010101", "80 0a 08 02020202 03030303", "18 0a0000")
    both_ways(wire, m.Update(attributes=attrs, nlri=((0x0A000000, 24),)), IBGP)


def test_prefix_host_bits_are_cleared_and_default_route():
    wire = h(MARKER, "0020", "02", "0000", "0004", "40 01 01 00", "00", "17 0a0101")
    u = m.decode(wire, IBGP)
    assert u.nlri == ((0, 0), (0x0A010000, 23))


@pytest.mark.parametrize("count", [1, 1000, 5000])
def test_pack_updates_fills_messages_and_round_trips(count):
    attrs = PathAttributes(as_path=AsPath.sequence(65001), next_hop=V4("198.18.0.2"))
    prefixes = [((10 << 24) + (i << 8), 24) for i in range(count)]
    msgs = m.pack_updates(IPV4_UNICAST, prefixes, attrs, EBGP)
    assert all(len(x) <= 4096 for x in msgs)
    assert len(msgs) == -(-count // 1000) or len(msgs) <= count // 1000 + 1
    got = [p for x in msgs for p in m.decode(x, EBGP).nlri]
    assert got == prefixes
    v6 = attrs.replace(next_hop=V6("2001:db8::2"))
    msgs6 = m.pack_updates(IPV6_UNICAST, [(p << 96, 40) for p, _ in prefixes], v6, EBGP)
    assert all(len(x) <= 4096 for x in msgs6)
    assert sum(len(m.decode(x, EBGP).mp_reach.nlri) for x in msgs6) == count
    wd = m.pack_withdrawals(IPV4_UNICAST, prefixes, EBGP)
    assert [p for x in wd for p in m.decode(x, EBGP).withdrawn] == prefixes


def test_split_messages_keeps_partial_tail():
    stream = m.KEEPALIVE_BYTES + IPV4_UPDATE + IPV4_UPDATE[:30]
    msgs, used = m.split_messages(stream)
    assert [t for t, _ in msgs] == [4, 2] and used == 19 + len(IPV4_UPDATE)
