"""Property tests: valid messages round-trip; random and mutated bytes only ever raise our typed errors."""
import ipaddress

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.bgp import capabilities as caps
from node.bgp import message as m
from node.bgp import nlri
from node.bgp.attributes import Aggregator, AsPath, PathAttributes, UnknownAttribute
from node.bgp.constants import AFI, IPV4_UNICAST, IPV6_UNICAST, MARKER, SAFI, MessageType, SegmentType
from node.bgp.errors import NotificationError
from node.bgp.negotiate import Negotiated

FAMS = frozenset({IPV4_UNICAST, IPV6_UNICAST})
IBGP = Negotiated(local_asn=65000, peer_asn=65000, families=FAMS)
EBGP = Negotiated(local_asn=65000, peer_asn=65001, families=FAMS)
IBGP2 = Negotiated(local_asn=65000, peer_asn=65000, families=FAMS, four_octet_as=False)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def prefix(width_bits: int):
    return st.integers(0, width_bits).flatmap(
        lambda plen: st.integers(0, (1 << plen) - 1).map(lambda net: (net << (width_bits - plen), plen)))


asn = st.integers(1, 2**32 - 1)
segment = st.tuples(st.sampled_from([SegmentType.AS_SEQUENCE, SegmentType.AS_SET]),
                    st.lists(asn, min_size=1, max_size=8).map(tuple))
unicast_v4 = st.integers(0x01000000, 0xDFFFFFFF).map(ipaddress.IPv4Address)
router_id = st.integers(1, 2**32 - 1).map(ipaddress.IPv4Address)
unknown = st.lists(st.tuples(st.integers(19, 254).filter(lambda t: t not in (14, 15, 17, 18)),
                             st.sampled_from([0xC0, 0xE0]), st.binary(max_size=300)),
                   max_size=3, unique_by=lambda u: u[0]).map(
    lambda us: tuple(sorted((UnknownAttribute(t, f, v) for t, f, v in us), key=lambda u: u.type_code)))


@st.composite
def path_attributes(draw, ibgp=True):
    return PathAttributes(
        origin=draw(st.integers(0, 2)),
        as_path=AsPath(tuple(draw(st.lists(segment, max_size=4)))),
        next_hop=draw(unicast_v4),
        med=draw(st.none() | st.integers(0, 2**32 - 1)),
        local_pref=draw(st.none() | st.integers(0, 2**32 - 1)) if ibgp else None,
        atomic_aggregate=draw(st.booleans()),
        aggregator=draw(st.none() | st.builds(Aggregator, asn, unicast_v4)),
        communities=tuple(draw(st.lists(st.integers(0, 2**32 - 1), max_size=6))),
        originator_id=draw(st.none() | router_id) if ibgp else None,
        cluster_list=tuple(draw(st.lists(router_id, max_size=4))) if ibgp else (),
        unknown=draw(unknown),
    )


@st.composite
def updates(draw):
    attrs = draw(path_attributes())
    withdrawn = tuple(draw(st.lists(prefix(32), max_size=20)))
    announced = tuple(draw(st.lists(prefix(32), max_size=20)))
    mp_reach = mp_unreach = None
    if draw(st.booleans()):
        ll = draw(st.none() | st.just(ipaddress.IPv6Address("fe80::1")))
        mp_reach = m.MpReach(AFI.IPV6, SAFI.UNICAST, ipaddress.IPv6Address("2001:db8::1"),
                             tuple(draw(st.lists(prefix(128), min_size=1, max_size=20))), ll)
    if draw(st.booleans()):
        mp_unreach = m.MpUnreach(AFI.IPV6, SAFI.UNICAST, tuple(draw(st.lists(prefix(128), max_size=20))))
    if not announced and mp_reach is None and draw(st.booleans()):
        return m.Update(withdrawn=withdrawn, mp_unreach=mp_unreach)
    if not announced:
        attrs = attrs.replace(next_hop=None)
    return m.Update(withdrawn, attrs, announced, mp_reach, mp_unreach)


@SETTINGS
@given(updates())
def test_valid_updates_round_trip(update):
    wire = update.encode(IBGP)
    back = m.decode(wire, IBGP)
    assert back == update
    assert not back.problems
    assert back.encode(IBGP) == wire


@SETTINGS
@given(path_attributes())
def test_two_octet_session_round_trips_big_asns_through_as4_attributes(attrs):
    update = m.Update(attributes=attrs, nlri=((0x0A000000, 8),))
    assert m.decode(update.encode(IBGP2), IBGP2) == update


@SETTINGS
@given(st.lists(prefix(32), max_size=50), st.lists(prefix(128), max_size=50))
def test_nlri_round_trip(v4, v6):
    assert nlri.decode_prefixes(nlri.encode_prefixes(v4, AFI.IPV4), AFI.IPV4) == v4
    assert nlri.decode_prefixes(nlri.encode_prefixes(v6, AFI.IPV6), AFI.IPV6) == v6
    for p in v4:
        assert nlri.from_network(nlri.to_network(p, AFI.IPV4)) == (AFI.IPV4, p)
    for p in v6:
        assert nlri.from_network(str(nlri.to_network(p, AFI.IPV6))) == (AFI.IPV6, p)


capability = st.one_of(
    st.builds(caps.Multiprotocol, st.integers(0, 65535), st.integers(0, 255)),
    st.just(caps.RouteRefresh()),
    st.just(caps.EnhancedRouteRefresh()),
    st.builds(caps.FourOctetAs, asn),
    st.builds(caps.GracefulRestart, st.integers(0, 4095), st.booleans(), st.booleans(),
              st.lists(st.builds(caps.GracefulRestartFamily, st.integers(0, 65535), st.integers(0, 255),
                                 st.booleans()), max_size=4).map(tuple)),
    st.builds(caps.UnknownCapability, st.integers(128, 255), st.binary(max_size=20)),
)


@SETTINGS
@given(st.integers(0, 65535), st.integers(0, 65535), router_id, st.lists(capability, max_size=60).map(tuple))
def test_open_round_trip_including_rfc9072_long_parameters(my_as, hold, rid, capabilities):
    msg = m.Open(my_as, hold, rid, capabilities)
    assert m.decode(msg.encode(), IBGP) == msg


def decode_stream(data: bytes, neg: Negotiated) -> None:
    """What a session does with bytes from the wire; only NotificationError may escape."""
    try:
        msgs, _ = m.split_messages(data)
        for msg_type, body in msgs:
            m.decode_body(msg_type, body, neg)
    except NotificationError:
        pass


def framed(msg_type: int, body: bytes) -> bytes:
    return MARKER + (19 + len(body)).to_bytes(2, "big") + bytes((msg_type,)) + body


@settings(max_examples=1000, deadline=None)
@given(st.sampled_from(list(MessageType)), st.binary(max_size=600), st.sampled_from([IBGP, EBGP, IBGP2]))
def test_random_bodies_never_crash(msg_type, body, neg):
    decode_stream(framed(msg_type, body), neg)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200))
def test_random_streams_never_crash(data):
    decode_stream(data, IBGP)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(updates(), st.lists(st.tuples(st.integers(19, 4000), st.integers(0, 255)), min_size=1, max_size=6),
       st.sampled_from([IBGP, EBGP, IBGP2]))
def test_mutated_updates_never_crash(update, flips, neg):
    wire = bytearray(update.encode(IBGP))
    for pos, val in flips:
        wire[pos % len(wire) if pos < len(wire) else 19 + pos % (len(wire) - 19)] = val
    decode_stream(bytes(wire), neg)
    decode_stream(framed(MessageType.UPDATE, bytes(wire[19:])), neg)
