"""Messages captured from the real daemons (BIRD 1.6, BIRD 2, GoBGP 3, FRR 8) talking to a listener.

Captured once in a throw-away network namespace (198.18.200.0/24): each daemon connected to a
socket that answered with our OPEN + KEEPALIVE and recorded everything the daemon sent.
"""
import ipaddress

from node.bgp import capabilities as caps
from node.bgp import message as m
from node.bgp.constants import IPV4_UNICAST, IPV6_UNICAST, OriginCode
from node.bgp.negotiate import Negotiated, check_open, negotiate

V4, V6 = ipaddress.IPv4Address, ipaddress.IPv6Address
OUR_OPEN = m.Open.build(65001, 90, "10.0.0.1", (caps.Multiprotocol(1, 1), caps.Multiprotocol(2, 1),
                                                 caps.RouteRefresh(), caps.FourOctetAs(65001)))

# BIRD 1.6 (AS 65002, router id 10.0.0.2): OPEN, KEEPALIVE, UPDATE (MED 7, community 65002:100,
# 192.0.2.0/24 and 198.51.100.0/25), End-of-RIB.
BIRD = bytes.fromhex(
    "ffffffffffffffffffffffffffffffff00350104fdea00f00a00000218021601040001000102004002000041040000fd"
    "ea46004700ffffffffffffffffffffffffffffffff001304ffffffffffffffffffffffffffffffff0042020000002240"
    "01010040020602010000fdea400304c612c80280040400000007c00804fdea006419c633640018c00002ffffffffffff"
    "ffffffffffffffffffff00170200000000"
)
# GoBGP (AS 4200000002): OPEN (FQDN "vm", extended next hop), KEEPALIVE, IPv4 UPDATE
# (ORIGIN incomplete, MED 5, community 65002:200, 203.0.113.0/24), IPv6 UPDATE (2001:db8:5::/48).
GOBGP = bytes.fromhex(
    "ffffffffffffffffffffffffffffffff004101045ba0005a0a0000032402220200490402766d00010400010001010400"
    "0200014104fa56ea020506000100010002ffffffffffffffffffffffffffffffff001304ffffffffffffffffffffffff"
    "ffffffff003d0200000022400101024002060201fa56ea02400304c612c80280040400000005c00804fdea00c818cb00"
    "71ffffffffffffffffffffffffffffffff0043020000002c400101024002060201fa56ea02800e1c0002011020010db8"
    "000000000000000000000003003020010db80005"
)
# FRR 8 (AS 65003): OPEN with one optional parameter per capability (incl. ADD-PATH, FQDN,
# GR with R+N bits, LLGR), KEEPALIVE, UPDATE whose AS_PATH uses the extended-length flag.
FRR = bytes.fromhex(
    "ffffffffffffffffffffffffffffffff005f0104fdeb00b40a0000044202060104000100010202800002020200020246"
    "00020641040000fdeb02020600020645040001010102074905036361700002044002c0780209470700010180000000ff"
    "ffffffffffffffffffffffffffffff001304ffffffffffffffffffffffffffffffff0038020000001c40010100500200"
    "0602010000fdeb400304c612c8028004040000000019c0000280"
)

# BIRD 2 (AS 65005), IPv4 and IPv6 channels: OPEN, KEEPALIVE, IPv4 UPDATE, IPv4 End-of-RIB, IPv6
# UPDATE whose MP_REACH_NLRI comes first with the extended-length flag, IPv6 End-of-RIB.
BIRD2 = bytes.fromhex(
    "ffffffffffffffffffffffffffffffff003b0104fded00f00a0000051e021c0104000100010104000200010200400200"
    "7841040000fded46004700ffffffffffffffffffffffffffffffff001304ffffffffffffffffffffffffffffffff002f"
    "02000000144001010040020602010000fded400304c612c80218c00002ffffffffffffffffffffffffffffffff001702"
    "00000000ffffffffffffffffffffffffffffffff0044020000002d900e001c0002011020010db8ffff00000000000000"
    "000002003020010db800074001010040020602010000fdedffffffffffffffffffffffffffffffff001d020000000680"
    "0f03000201"
)


def messages(stream: bytes) -> list[tuple[bytes, object]]:
    """(raw message, decoded) pairs, negotiated from the daemon's OPEN as a session would."""
    msgs, used = m.split_messages(stream)
    assert used == len(stream)
    out = []
    neg = None
    offset = 0
    for msg_type, body in msgs:
        raw = stream[offset:offset + 19 + len(body)]
        offset += len(raw)
        decoded = m.decode_body(msg_type, body, neg or Negotiated())
        if isinstance(decoded, m.Open):
            check_open(decoded, peer_asn=decoded.asn, local_asn=65001, local_router_id=V4("10.0.0.1"))
            neg = negotiate(OUR_OPEN, decoded)
        out.append((raw, decoded))
    return out


def test_bird16_capture():
    [(_, opn), (_, ka), (_, upd), (_, eor)] = messages(BIRD)
    assert opn.asn == 65002 and opn.router_id == V4("10.0.0.2") and opn.hold_time == 240
    assert caps.GracefulRestart(0) in opn.capabilities and caps.EnhancedRouteRefresh() in opn.capabilities
    assert caps.UnknownCapability(71) in opn.capabilities        # long-lived GR: kept, not understood
    assert isinstance(ka, m.Keepalive)
    a = upd.attributes
    assert a.origin == OriginCode.IGP and a.as_path == a.as_path.sequence(65002)
    assert a.next_hop == V4("198.18.200.2") and a.med == 7 and a.communities == (0xFDEA0064,)
    assert upd.nlri == ((0xC6336400, 25), (0xC0000200, 24)) and not upd.problems
    assert eor.end_of_rib == IPV4_UNICAST
    neg = negotiate(OUR_OPEN, opn)
    for raw, msg in messages(BIRD):
        assert msg.encode(neg) == raw                            # byte-identical re-encoding


def test_gobgp_capture():
    [(_, opn), _, (u4_raw, u4), (u6_raw, u6)] = messages(GOBGP)
    assert opn.asn == 4200000002 and opn.my_as == 23456
    assert caps.UnknownCapability(73, bytes.fromhex("02766d00")) in opn.capabilities
    neg = negotiate(OUR_OPEN, opn)
    assert neg.four_octet_as and neg.families == frozenset({IPV4_UNICAST, IPV6_UNICAST})
    a = u4.attributes
    assert a.origin == OriginCode.INCOMPLETE and a.as_path.first_as() == 4200000002
    assert a.med == 5 and a.communities == (0xFDEA00C8,) and u4.nlri == ((0xCB007100, 24),)
    [(family, prefixes, attrs)] = list(u6.announced())
    assert family == IPV6_UNICAST and attrs.next_hop == V6("2001:db8::3")
    assert prefixes == ((int(V6("2001:db8:5::")), 48),)
    assert u4.encode(neg) == u4_raw and u6.encode(neg) == u6_raw


def test_frr_capture():
    [(_, opn), _, (u_raw, upd)] = messages(FRR)
    assert opn.asn == 65003 and opn.hold_time == 180
    gr = next(c for c in opn.capabilities if isinstance(c, caps.GracefulRestart))
    assert gr.restart_time == 120 and gr.restarting and gr.notification
    assert caps.UnknownCapability(69, bytes.fromhex("00010101")) in opn.capabilities   # ADD-PATH, not used
    assert m.decode(m.Open.decode_body(opn.encode()[19:]).encode(), Negotiated()) == opn
    neg = negotiate(OUR_OPEN, opn)
    assert neg.families == frozenset({IPV4_UNICAST}) and neg.route_refresh
    assert upd.attributes.as_path.first_as() == 65003 and upd.nlri == ((0xC0000280, 25),)
    # FRR sends AS_PATH with the extended-length flag; we re-encode the short form, same meaning
    assert m.decode(upd.encode(neg), neg) == upd and len(upd.encode(neg)) == len(u_raw) - 1


def test_bird2_capture():
    [(_, opn), _, (u4_raw, u4), (_, eor4), (u6_raw, u6), (_, eor6)] = messages(BIRD2)
    assert opn.asn == 65005 and caps.GracefulRestart(120) in opn.capabilities
    neg = negotiate(OUR_OPEN, opn)
    assert neg.families == frozenset({IPV4_UNICAST, IPV6_UNICAST})
    assert u4.nlri == ((0xC0000200, 24),) and u4.attributes.next_hop == V4("198.18.200.2")
    assert u4.encode(neg) == u4_raw
    assert eor4.end_of_rib == IPV4_UNICAST and eor6.end_of_rib == IPV6_UNICAST
    [(family, prefixes, attrs)] = list(u6.announced())
    assert family == IPV6_UNICAST and prefixes == ((int(V6("2001:db8:7::")), 48),)
    assert attrs.next_hop == V6("2001:db8:ffff::2") and attrs.as_path.first_as() == 65005
    # we put attributes in type order with the short length form: same message, 1 octet shorter
    again = u6.encode(neg)
    assert m.decode(again, neg) == u6 and len(again) == len(u6_raw) - 1
