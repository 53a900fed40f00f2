"""Bad vectors: the exact NOTIFICATION (code, subcode, data) of RFC 4271 §6 and the RFC 7606 action."""
import ipaddress

import pytest

from node.bgp import message as m
from node.bgp.attributes import AsPath, PathAttributes
from node.bgp.constants import IPV4_UNICAST, IPV6_UNICAST
from node.bgp.errors import (
    ErrorAction,
    MessageHeaderError,
    NotificationError,
    OpenMessageError,
    RouteRefreshMessageError,
    UpdateMessageError,
)
from node.bgp.negotiate import Negotiated, check_open

MARKER = "ff" * 16
V4 = ipaddress.IPv4Address
EBGP = Negotiated(local_asn=65000, peer_asn=65001, families=frozenset({IPV4_UNICAST, IPV6_UNICAST}))
IBGP = Negotiated(local_asn=65000, peer_asn=65000, families=frozenset({IPV4_UNICAST, IPV6_UNICAST}))
W, D, R = ErrorAction.TREAT_AS_WITHDRAW, ErrorAction.ATTRIBUTE_DISCARD, ErrorAction.SESSION_RESET


def h(*parts: str) -> bytes:
    return bytes.fromhex("".join(p.replace(" ", "") for p in parts))


def triple(err: NotificationError) -> tuple[int, int, bytes]:
    return (err.code, err.subcode, err.data)


# ---- RFC 4271 §6.1 message header errors -----------------------------------------------------

@pytest.mark.parametrize("header, expected", [
    (h("ff" * 15, "fe", "0013", "04"), (1, 1, b"")),                  # marker not all ones
    (h(MARKER, "0012", "04"), (1, 2, h("0012"))),                     # length below 19
    (h(MARKER, "1001", "02"), (1, 2, h("1001"))),                     # length above 4096
    (h(MARKER, "0013", "06"), (1, 3, h("06"))),                       # unknown type 6
    (h(MARKER, "0014", "04"), (1, 2, h("0014"))),                     # KEEPALIVE must be 19
    (h(MARKER, "001c", "01"), (1, 2, h("001c"))),                     # OPEN shorter than 29
    (h(MARKER, "0016", "02"), (1, 2, h("0016"))),                     # UPDATE shorter than 23
    (h(MARKER, "0014", "03"), (1, 2, h("0014"))),                     # NOTIFICATION shorter than 21
])
def test_header_errors(header, expected):
    with pytest.raises(MessageHeaderError) as exc:
        m.parse_header(header)
    assert triple(exc.value) == expected
    # the error builds its own NOTIFICATION, byte for byte
    code, subcode, data = expected
    assert exc.value.notification() == m.Notification(code, subcode, data)
    assert exc.value.notification().encode() == h(MARKER) + (21 + len(data)).to_bytes(2, "big") + bytes((3, code, subcode)) + data


# ---- RFC 4271 §6.2 OPEN errors ---------------------------------------------------------------

def _open(version="04", my_as="fde9", hold="005a", ident="0a000002", params="00") -> bytes:
    body = h(version, my_as, hold, ident, params)
    return h(MARKER) + (19 + len(body)).to_bytes(2, "big") + b"\x01" + body


def _check(wire: bytes, peer_asn=65001):
    msg = m.decode(wire, EBGP)
    check_open(msg, peer_asn=peer_asn, local_asn=65000, local_router_id=V4("10.0.0.1"))


@pytest.mark.parametrize("wire, peer_asn, expected", [
    (_open(version="03"), 65001, (2, 1, h("0004"))),       # unsupported version: data = max version
    (_open(my_as="fdea"), 65001, (2, 2, b"")),             # bad peer AS
    (_open(my_as="0000"), None, (2, 2, b"")),              # AS 0 (RFC 7607)
    (_open(hold="0001"), 65001, (2, 6, b"")),              # hold time 1
    (_open(hold="0002"), 65001, (2, 6, b"")),              # hold time 2
    (_open(ident="00000000"), 65001, (2, 3, b"")),         # BGP identifier 0
    (_open(my_as="fde8", ident="0a000001"), 65000, (2, 3, b"")),  # iBGP peer with our identifier
    (_open(params="04 01 02 0000"), 65001, (2, 4, b"")),   # optional parameter type 1 (auth): unsupported
    (_open(params="08 02 06 4104fa56ea01"), 4200000001, (2, 2, b"")),  # 4-octet AS but my_as not AS_TRANS
    (_open(params="04 02 02 4103"), 65001, (2, 0, b"")),   # truncated capability
    (_open(params="05 02 02 0200"), 65001, (2, 0, b"")),   # opt param length disagrees with message
])
def test_open_errors(wire, peer_asn, expected):
    with pytest.raises(OpenMessageError) as exc:
        _check(wire, peer_asn)
    assert triple(exc.value) == expected


def test_open_hold_time_zero_and_dynamic_peer_accepted():
    _check(_open(hold="0000"), None)


# ---- RFC 4271 §6.3 / RFC 7606 UPDATE errors ---------------------------------------------------

def update(withdrawn="", attrs="", nlri="") -> bytes:
    w, a, n = h(withdrawn), h(attrs), h(nlri)
    body = len(w).to_bytes(2, "big") + w + len(a).to_bytes(2, "big") + a + n
    return h(MARKER) + (19 + len(body)).to_bytes(2, "big") + b"\x02" + body


ORIGIN = "40 01 01 00"
PATH = "40 02 06 02 01 0000fde9"          # AS_SEQUENCE 65001
NH = "40 03 04 c6120002"
GOOD = ORIGIN + PATH + NH
NLRI = "18 c0a801"


def raw_update(body: str) -> bytes:
    b = h(body)
    return h(MARKER) + (19 + len(b)).to_bytes(2, "big") + b"\x02" + b


@pytest.mark.parametrize("wire, expected", [
    (raw_update("0010 0000"), (3, 1, b"")),                          # withdrawn length overruns
    (raw_update("0000 0010 40010100"), (3, 1, b"")),                 # attribute length overruns
    (update(withdrawn="21 0a000000 00"), (3, 10, b"")),              # withdrawn prefix /33
    (update(attrs=GOOD, nlri="21 c0a80101 00"), (3, 10, b"")),       # NLRI prefix /33
    (update(attrs=GOOD, nlri="18 c0a8"), (3, 10, b"")),              # NLRI truncated
    (update(attrs=GOOD + "40 c8 01 00", nlri=NLRI), (3, 2, h("40 c8 01 00"))),  # unknown well-known
    (update(attrs=GOOD + "80 0f 03 000101" + "80 0f 03 000101"), (3, 1, b"")),  # MP_UNREACH twice
    (update(attrs=GOOD + "80 0e 04 00020110"), (3, 9, h("80 0e 04 00020110"))),  # MP_REACH < 5 octets
    (update(attrs=ORIGIN + PATH + "80 0e 0a 0002 01 05 2001db8000 00"),
     (3, 9, h("80 0e 0a 0002 01 05 2001db8000 00"))),               # IPv6 next hop of 5 octets
    (update(attrs=ORIGIN + PATH + "80 0e 16 0002 01 10 20010db8000000000000000000000001 00 81"),
     (3, 9, h("80 0e 16 0002 01 10 20010db8000000000000000000000001 00 81"))),  # IPv6 prefix /129
    (update(attrs="40 0f 03 000201"), (3, 4, h("40 0f 03 000201"))),  # MP_UNREACH flagged well-known
])
def test_update_session_reset(wire, expected):
    with pytest.raises(UpdateMessageError) as exc:
        m.decode(wire, EBGP)
    assert triple(exc.value) == expected
    assert exc.value.action is R


def problems(wire: bytes, neg=EBGP) -> list[tuple[int, int, bytes, ErrorAction]]:
    u = m.decode(wire, neg)
    return [(p.code, p.subcode, p.data, p.action) for p in u.problems]


@pytest.mark.parametrize("attrs, expected", [
    ("40 01 01 03" + PATH + NH, (3, 6, h("40 01 01 03"), W)),                     # ORIGIN value 3
    ("40 01 02 0000" + PATH + NH, (3, 5, h("40 01 02 0000"), W)),                 # ORIGIN length 2
    ("80 01 01 00" + PATH + NH, (3, 4, h("80 01 01 00"), W)),                     # ORIGIN flagged optional
    ("60 01 01 00" + PATH + NH, (3, 4, h("60 01 01 00"), W)),                     # Partial on well-known
    (ORIGIN + "40 02 02 0200" + NH, (3, 11, h("40 02 02 0200"), W)),              # zero-length segment
    (ORIGIN + "40 02 06 02 02 0000fde9" + NH, (3, 11, h("40 02 06 02 02 0000fde9"), W)),  # segment overrun
    (ORIGIN + "40 02 07 02 01 0000fde9 02" + NH, (3, 11, h("40 02 07 02 01 0000fde9 02"), W)),  # underrun
    (ORIGIN + "40 02 06 07 01 0000fde9" + NH, (3, 11, h("40 02 06 07 01 0000fde9"), W)),  # segment type 7
    (ORIGIN + "40 02 06 02 01 00000000" + NH, (3, 11, h("40 02 06 02 01 00000000"), W)),  # AS 0
    (ORIGIN + PATH + "40 03 05 c612000201", (3, 5, h("40 03 05 c612000201"), W)),  # NEXT_HOP length 5
    (ORIGIN + PATH + "40 03 04 00000000", (3, 8, h("40 03 04 00000000"), W)),      # NEXT_HOP 0.0.0.0
    (ORIGIN + PATH + "40 03 04 e0000001", (3, 8, h("40 03 04 e0000001"), W)),      # NEXT_HOP multicast
    (PATH + NH, (3, 3, h("01"), W)),                                             # ORIGIN missing
    (ORIGIN + NH, (3, 3, h("02"), W)),                                           # AS_PATH missing
    (ORIGIN + PATH, (3, 3, h("03"), W)),                                         # NEXT_HOP missing
    (GOOD + "80 04 03 000001", (3, 5, h("80 04 03 000001"), W)),                 # MED length 3
    (GOOD + "c0 08 03 000001", (3, 5, h("c0 08 03 000001"), W)),                 # COMMUNITIES length 3
    (GOOD + "c0 08 00", (3, 5, h("c0 08 00"), W)),                               # COMMUNITIES empty
    (ORIGIN + "40 02 06 02 01 0000fdea" + NH, (3, 11, b"", W)),                  # first AS not the peer's
    (GOOD + "40 07", (3, 1, b"", W)),                                            # attribute header overrun
    (GOOD + "c0 63 05 0102", (3, 1, b"", W)),                                    # attribute value overrun
    (GOOD + "40 06 01 00", (3, 5, h("40 06 01 00"), D)),                         # ATOMIC_AGGREGATE length 1
    (GOOD + "c0 07 07 0000fde9 0a0000", (3, 5, h("c0 07 07 0000fde9 0a0000"), D)),  # AGGREGATOR length 7
    (GOOD + "c0 07 08 00000000 0a000001", (3, 9, h("c0 07 08 00000000 0a000001"), D)),  # AGGREGATOR AS 0
    (GOOD + "40 05 04 00000064", (3, 1, h("40 05 04 00000064"), D)),             # LOCAL_PREF from eBGP
    (GOOD + "80 09 04 01010101", (3, 1, h("80 09 04 01010101"), D)),             # ORIGINATOR_ID from eBGP
    (GOOD + "c0 11 06 02 01 0000fde9", (3, 9, h("c0 11 06 02 01 0000fde9"), D)),  # AS4_PATH, 4-octet session
])
def test_update_attribute_errors_classified(attrs, expected):
    assert problems(update(attrs=attrs, nlri=NLRI)) == [expected]


@pytest.mark.parametrize("attrs, expected", [
    (GOOD + "40 05 03 000064", (3, 5, h("40 05 03 000064"), W)),                 # LOCAL_PREF length 3
    (GOOD + "80 09 03 010101", (3, 5, h("80 09 03 010101"), W)),                 # ORIGINATOR_ID length 3
    (GOOD + "80 0a 06 010101010202", (3, 5, h("80 0a 06 010101010202"), W)),     # CLUSTER_LIST length 6
    (ORIGIN + "40 02 06 02 01 0000fdea" + NH, None),                             # any first AS on iBGP
])
def test_ibgp_only_attribute_errors(attrs, expected):
    assert problems(update(attrs=attrs, nlri=NLRI), IBGP) == ([expected] if expected else [])


def test_treat_as_withdraw_turns_nlri_into_withdrawals():
    u = m.decode(update(attrs="40 01 01 07" + PATH + NH, nlri=NLRI), EBGP)
    assert u.treat_as_withdraw
    assert list(u.announced()) == []
    assert list(u.withdrawals()) == [(IPV4_UNICAST, ((0xC0A80100, 24),))]


def test_treat_as_withdraw_covers_mp_reach_nlri():
    mp = "80 0e 1c 0002 01 10 20010db8000000000000000000000001 00 30 20010db80001"
    u = m.decode(update(attrs="40 01 01 09" + PATH + mp), EBGP)
    assert u.treat_as_withdraw
    assert list(u.withdrawals()) == [(IPV6_UNICAST, ((0x20010DB80001 << 80, 48),))]


def test_attribute_discard_keeps_the_route():
    u = m.decode(update(attrs=GOOD + "40 06 01 00" + "80 04 04 00000007", nlri=NLRI), EBGP)
    assert not u.treat_as_withdraw
    [(family, prefixes, attrs)] = list(u.announced())
    assert attrs.atomic_aggregate is False and attrs.med == 7 and prefixes == ((0xC0A80100, 24),)


def test_duplicate_attribute_keeps_first():
    u = m.decode(update(attrs=GOOD + "80 04 04 00000001" + "80 04 04 00000002", nlri=NLRI), EBGP)
    assert u.attributes.med == 1 and not u.problems


def test_strongest_action_wins_when_errors_mix():
    wire = update(attrs="40 01 01 05" + PATH + NH + "40 c9 01 00", nlri=NLRI)   # withdraw + reset
    with pytest.raises(UpdateMessageError) as exc:
        m.decode(wire, EBGP)
    assert triple(exc.value) == (3, 2, h("40 c9 01 00"))


def test_mp_reach_for_unnegotiated_family_is_ignored():
    v4only = Negotiated(local_asn=65000, peer_asn=65001)
    mp = "80 0e 1c 0002 01 10 20010db8000000000000000000000001 00 30 20010db80001"
    u = m.decode(update(attrs=ORIGIN + PATH + mp), v4only)
    assert u.mp_reach is None and [p.action for p in u.problems] == [D]


def test_no_attributes_with_nlri_is_treat_as_withdraw():
    u = m.decode(update(nlri=NLRI), EBGP)
    assert u.treat_as_withdraw and list(u.withdrawals()) == [(IPV4_UNICAST, ((0xC0A80100, 24),))]


def test_route_refresh_bad_length_reports_whole_message():
    wire = h(MARKER, "0018", "05", "0001 00 01 00")
    with pytest.raises(RouteRefreshMessageError) as exc:
        m.decode(wire, EBGP)
    assert triple(exc.value) == (7, 1, wire)


def test_encoder_rejects_oversized_update():
    attrs = PathAttributes(as_path=AsPath.sequence(65001), next_hop=V4("10.0.0.1"))
    with pytest.raises(ValueError):
        m.Update(attributes=attrs, nlri=tuple(((10 << 24) + (i << 8), 24) for i in range(1100))).encode(EBGP)


@pytest.mark.parametrize("params", [
    "06 02 04 01 03 000101",      # multiprotocol value of 3 octets
    "05 02 03 02 01 00",          # route refresh with a value
    "05 02 03 46 01 00",          # enhanced route refresh with a value
    "07 02 05 41 03 000001",      # 4-octet AS of 3 octets
    "07 02 05 40 03 007800",      # graceful restart: families not a multiple of 4
    "03 02 01 41",                # capability header cut short
])
def test_malformed_capabilities_are_unspecific_open_errors(params):
    with pytest.raises(OpenMessageError) as exc:
        m.decode(_open(params=params), EBGP)
    assert triple(exc.value) == (2, 0, b"")


TWO = Negotiated(local_asn=65000, peer_asn=65001, four_octet_as=False)
PATH2 = "40 02 06 02 02 fde9 5ba0"                      # AS_PATH 65001 AS_TRANS (2-octet)


def test_as4_path_problems_are_discarded_and_as_path_kept():
    bad = "c0 11 03 02 01 00"                             # AS4_PATH segment overrun
    u = m.decode(update(attrs=ORIGIN + PATH2 + NH + bad, nlri=NLRI), TWO)
    assert problems(update(attrs=ORIGIN + PATH2 + NH + bad, nlri=NLRI), TWO) == [(3, 9, h(bad), D)]
    assert u.attributes.as_path == AsPath.sequence(65001, 23456)
    confed = "c0 11 06 03 01 fa56ea01"                    # AS_CONFED_SEQUENCE inside AS4_PATH
    assert problems(update(attrs=ORIGIN + PATH2 + NH + confed, nlri=NLRI), TWO) == [(3, 9, h(confed), D)]
    flags = "40 11 06 02 01 fa56ea01"                     # AS4_PATH flagged well-known
    assert problems(update(attrs=ORIGIN + PATH2 + NH + flags, nlri=NLRI), TWO) == [(3, 4, h(flags), D)]


def test_as4_path_longer_than_as_path_is_ignored():
    longer = "c0 11 0e 02 03 0000fde9 fa56ea01 0000fdea"
    u = m.decode(update(attrs=ORIGIN + PATH2 + NH + longer, nlri=NLRI), TWO)
    assert u.attributes.as_path == AsPath.sequence(65001, 23456) and not u.problems


def test_as4_attributes_ignored_when_aggregator_is_a_real_two_octet_as():
    agg = "c0 07 06 fdeb 0a000009"                         # AGGREGATOR 65003, not AS_TRANS
    as4 = "c0 11 0a 02 02 0000fde9 fa56ea01" + "c0 12 08 fa56ea01 0a000009"
    u = m.decode(update(attrs=ORIGIN + PATH2 + NH + agg + as4, nlri=NLRI), TWO)
    assert u.attributes.as_path == AsPath.sequence(65001, 23456)
    assert u.attributes.aggregator.asn == 65003


def test_as4_merge_keeps_leading_as_set():
    path = "40 02 0a 01 01 fdf0 02 02 fde9 5ba0"          # {65008} 65001 AS_TRANS
    as4 = "c0 11 06 02 01 fa56ea01"                       # AS4_PATH: 4200000001
    u = m.decode(update(attrs=ORIGIN + path + NH + as4, nlri=NLRI), TWO)
    assert str(u.attributes.as_path) == "{65008} 65001 4200000001"


def test_error_descriptions_and_notification_round_trip():
    from node.bgp.errors import Cease, FsmError, HoldTimerExpired, NotificationReceived, describe
    assert describe(4, 0) == "HOLD_TIMER_EXPIRED"
    assert describe(3, 11) == "UPDATE_MESSAGE/MALFORMED_AS_PATH"
    assert describe(3, 99) == "UPDATE_MESSAGE/99"
    assert describe(42, 1) == "code 42/subcode 1"
    for err, expected in ((HoldTimerExpired(), (4, 0, b"")), (FsmError(2), (5, 2, b"")),
                          (Cease(4, b"\x02hi"), (6, 4, b"\x02hi"))):
        assert triple(err) == expected
        assert m.decode(err.notification().encode(), EBGP) == m.Notification(*expected)
    assert str(NotificationReceived(6, 4, b"\x02hi")) == 'received CEASE/ADMINISTRATIVE_RESET "hi"'
    assert str(NotificationReceived(6, 2, b"\x09hi")) == "received CEASE/ADMINISTRATIVE_SHUTDOWN"  # bad length
    assert str(NotificationReceived(2, 2)) == "received OPEN_MESSAGE/BAD_PEER_AS"
    assert not isinstance(NotificationReceived(6, 2), NotificationError)
