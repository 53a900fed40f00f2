"""RIB: decision process reasons, Loc-RIB events, loop checks, export rules, route reflection, GR stale."""
import ipaddress

import pytest

from node.bgp import message as m
from node.bgp.attributes import AsPath, PathAttributes, UnknownAttribute
from node.bgp.constants import IPV4_UNICAST, IPV6_UNICAST, OriginCode, RouteRefreshType, WellKnownCommunity
from node.bgp.negotiate import Negotiated
from node.bgp.policy import LocalSpeaker, PeerInfo, export_attributes, import_problem
from node.bgp.rib import Candidate, Reason, Rib, compare, select

V4, V6 = ipaddress.IPv4Address, ipaddress.IPv6Address
LOCAL_ASN = 65000
ME = LocalSpeaker(LOCAL_ASN, V4("198.18.0.1"))
P1 = (0x0A000000, 24)
P2 = (0x0A000100, 24)
FAMS = frozenset({IPV4_UNICAST, IPV6_UNICAST})


def peer(n: int, asn: int = LOCAL_ASN, **kw) -> PeerInfo:
    addr = V4(f"198.18.0.{n}")
    return PeerInfo(addr, addr, asn, V4(f"10.0.0.{n}"), local_v4=V4("198.18.0.1"),
                    local_v6=V6("2001:db8::1"), **kw)


def neg_for(p: PeerInfo) -> Negotiated:
    return Negotiated(local_asn=LOCAL_ASN, peer_asn=p.asn, families=FAMS)


def attrs(*path: int, nh="198.18.0.9", **kw) -> PathAttributes:
    return PathAttributes(as_path=AsPath.sequence(*path), next_hop=V4(nh), **kw)


def cand(p: PeerInfo | None, a: PathAttributes) -> Candidate:
    return Candidate(a, p, p is not None and p.asn != LOCAL_ASN)


def decoded(messages: list[bytes], neg: Negotiated) -> list[m.Update]:
    return [m.decode(x, neg) for x in messages]


# ---- decision process --------------------------------------------------------------------------

@pytest.mark.parametrize("better, worse, reason", [
    (cand(None, attrs()), cand(peer(2), attrs(local_pref=500)), Reason.LOCAL_ORIGIN),
    (cand(peer(2), attrs(local_pref=200)), cand(peer(3), attrs(local_pref=100)), Reason.LOCAL_PREF),
    (cand(peer(3), attrs(local_pref=200, origin=OriginCode.INCOMPLETE)),
     cand(peer(2), attrs()), Reason.LOCAL_PREF),                                   # missing LP = 100
    (cand(peer(3), attrs(65001)), cand(peer(2), attrs(65001, 65002)), Reason.AS_PATH_LENGTH),
    (cand(peer(3), attrs(65001, origin=OriginCode.EGP)),
     cand(peer(2), attrs(65002, origin=OriginCode.INCOMPLETE)), Reason.ORIGIN),
    (cand(peer(3), attrs(65001, med=5)), cand(peer(2), attrs(65001, med=10)), Reason.MED),
    (cand(peer(3), attrs(65001)), cand(peer(2), attrs(65001, med=1)), Reason.MED),  # missing MED = 0
    (cand(peer(3, 65001), attrs(65001)), cand(peer(2), attrs(65002)), Reason.EBGP_OVER_IBGP),
    (cand(peer(3), attrs(65001, med=50)), cand(peer(4), attrs(65002, med=1)), Reason.ROUTER_ID),  # MED ignored
    (cand(peer(3), attrs(65001, originator_id=V4("10.0.0.1"))), cand(peer(2), attrs(65001)), Reason.ROUTER_ID),
    (cand(peer(3), attrs(originator_id=V4("9.9.9.9"), cluster_list=(V4("1.1.1.1"),))),
     cand(peer(2), attrs(originator_id=V4("9.9.9.9"), cluster_list=(V4("1.1.1.1"), V4("2.2.2.2")))),
     Reason.CLUSTER_LIST_LENGTH),
    (cand(PeerInfo("a", V4("198.18.0.2"), LOCAL_ASN, V4("10.0.0.7")), attrs()),
     cand(PeerInfo("b", V4("198.18.0.3"), LOCAL_ASN, V4("10.0.0.7")), attrs()), Reason.PEER_ADDRESS),
])
def test_compare_returns_winner_and_reason(better, worse, reason):
    assert compare(better, worse) == (-1, reason)
    assert compare(worse, better) == (1, reason)


def test_med_elimination_is_set_wise_and_order_independent():
    # RFC 4271 9.1.2.2 (c): r1 loses to r3 on MED (same neighbour AS 65001), then r2 wins on router
    # id. A pairwise fold would pick r3 or r1 depending on arrival order.
    r1 = cand(peer(1, 65001), attrs(65001, med=10))
    r2 = cand(peer(2, 65002), attrs(65002, med=0))
    r3 = cand(peer(3, 65001), attrs(65001, med=5))
    for order in ((r1, r2, r3), (r2, r3, r1), (r3, r1, r2)):
        index, reason = select(order)
        assert order[index] is r2 and reason is Reason.ROUTER_ID
    assert select([r1]) == (0, Reason.ONLY_PATH)


def test_compare_equal():
    a = cand(peer(2), attrs(65001))
    assert compare(a, a) == (0, Reason.EQUAL)


# ---- Loc-RIB --------------------------------------------------------------------------------------

def up(rib: Rib, *peers: PeerInfo) -> None:
    for p in peers:
        rib.peer_up(p, neg_for(p))


def test_best_path_follows_announcements_and_withdrawals():
    rib = Rib(ME)
    a, b = peer(2, 65001), peer(3, 65002)
    up(rib, a, b)
    long_path = attrs(65001, 65009)
    [ch] = rib.announce(a.key, IPV4_UNICAST, [P1, P2], long_path)
    assert ch.prefixes == (P1, P2) and ch.attrs is long_path and ch.source == a
    short = attrs(65002)
    [ch] = rib.announce(b.key, IPV4_UNICAST, [P1], short)
    assert ch.prefixes == (P1,) and ch.source == b
    assert rib.best(IPV4_UNICAST, P1) == (b, short)
    [ch] = rib.withdraw(b.key, IPV4_UNICAST, [P1])
    assert ch.source == a and rib.best(IPV4_UNICAST, P1) == (a, long_path)
    [ch] = rib.withdraw(a.key, IPV4_UNICAST, [P1])
    assert ch.attrs is None and ch.prefixes == (P1,)
    assert rib.best(IPV4_UNICAST, P1) is None and rib.loc_rib_size(IPV4_UNICAST) == 1
    assert rib.announce(a.key, IPV4_UNICAST, [P2], long_path) == []   # same path again: no event


def test_receive_handles_update_messages_and_treat_as_withdraw():
    rib = Rib(ME)
    a = peer(2, 65001)
    up(rib, a)
    neg = neg_for(a)
    good = m.Update(attributes=attrs(65001), nlri=(P1,)).encode(neg)
    [ch] = rib.receive(a.key, m.decode(good, neg))
    assert ch.prefixes == (P1,)
    bad_origin = bytearray(good)
    bad_origin[26] = 9                         # ORIGIN value 9 -> treat-as-withdraw
    u = m.decode(bytes(bad_origin), neg)
    assert u.treat_as_withdraw
    [ch] = rib.receive(a.key, u)
    assert ch.attrs is None and rib.received_count(a.key) == 0


def test_loop_detection():
    rib = Rib(ME)
    a, ib = peer(2, 65001, allow_local_as=0), peer(3)
    up(rib, a, ib)
    assert rib.announce(a.key, IPV4_UNICAST, [P1], attrs(65001, LOCAL_ASN)) == []
    assert rib.announce(ib.key, IPV4_UNICAST, [P1], attrs(originator_id=ME.router_id)) == []
    assert rib.announce(ib.key, IPV4_UNICAST, [P1], attrs(cluster_list=(V4("7.7.7.7"), ME.router_id))) == []
    assert rib.loc_rib_size(IPV4_UNICAST) == 0
    allowed = peer(4, 65001, allow_local_as=1)
    assert import_problem(attrs(65001, LOCAL_ASN), allowed, ME) is None
    assert "AS loop" in import_problem(attrs(65001, LOCAL_ASN, LOCAL_ASN), allowed, ME)


def test_a_looping_reannouncement_withdraws_the_previous_route():
    rib = Rib(ME)
    a = peer(2, 65001)
    up(rib, a)
    rib.announce(a.key, IPV4_UNICAST, [P1], attrs(65001))
    [ch] = rib.announce(a.key, IPV4_UNICAST, [P1], attrs(65001, LOCAL_ASN))
    assert ch.attrs is None


# ---- export rules -------------------------------------------------------------------------------

def test_ebgp_export_prepends_sets_next_hop_self_and_strips_ibgp_attributes():
    src = peer(3)
    a = attrs(65010, local_pref=300, med=7, originator_id=V4("1.1.1.1"), cluster_list=(V4("2.2.2.2"),),
              unknown=(UnknownAttribute(99, 0xC0, b"x"),))
    out = export_attributes(a, 1, src, peer(2, 65001), ME)
    assert out.as_path == AsPath.sequence(LOCAL_ASN, 65010)
    assert out.next_hop == V4("198.18.0.1")
    assert out.local_pref is None and out.med is None
    assert out.originator_id is None and out.cluster_list == ()
    assert out.unknown == (UnknownAttribute(99, 0xE0, b"x"),)       # Partial bit set when passed on
    kept = export_attributes(a, 1, src, peer(2, 65001, next_hop_keep=True), ME)
    assert kept.next_hop == V4("198.18.0.9")
    local = export_attributes(attrs(med=3), 1, None, peer(2, 65001), ME)
    assert local.med == 3                                             # our own MED goes to eBGP
    assert export_attributes(attrs(65010), 1, src, peer(2, 65010), ME) is None   # sender-side loop check


def test_ibgp_split_horizon_and_default_local_pref():
    ib1, ib2, eb = peer(2), peer(3), peer(4, 65001)
    assert export_attributes(attrs(), 1, ib1, ib2, ME) is None
    from_ebgp = export_attributes(attrs(65001), 1, eb, ib1, ME)
    assert from_ebgp.local_pref == 100 and from_ebgp.next_hop == V4("198.18.0.9")
    assert from_ebgp.as_path == AsPath.sequence(65001)
    nhs = export_attributes(attrs(65001), 1, eb, peer(2, next_hop_self=True), ME)
    assert nhs.next_hop == V4("198.18.0.1")


def test_route_reflection_rules():
    client1, client2 = peer(2, rr_client=True), peer(3, rr_client=True)
    nonclient = peer(4)
    rr = LocalSpeaker(LOCAL_ASN, V4("198.18.0.1"), cluster_id=V4("1.2.3.4"))
    a = attrs(local_pref=150)
    out = export_attributes(a, 1, client1, client2, rr)
    assert out.originator_id == client1.router_id and out.cluster_list == (V4("1.2.3.4"),)
    assert out.next_hop == a.next_hop and out.local_pref == 150
    assert export_attributes(a, 1, client1, nonclient, rr).originator_id == client1.router_id
    assert export_attributes(a, 1, nonclient, client1, rr) is not None
    assert export_attributes(a, 1, nonclient, peer(5), rr) is None
    again = export_attributes(out, 1, client2, client1, rr.__class__(LOCAL_ASN, V4("5.5.5.5")))
    assert again.originator_id == client1.router_id                   # kept, not overwritten
    assert again.cluster_list == (V4("5.5.5.5"), V4("1.2.3.4"))       # router id as default cluster id


def test_communities_no_export_and_no_advertise():
    ib, eb = peer(2), peer(3, 65001)
    no_export = attrs(communities=(WellKnownCommunity.NO_EXPORT,))
    assert export_attributes(no_export, 1, None, eb, ME) is None
    assert export_attributes(no_export, 1, None, ib, ME) is not None
    assert export_attributes(attrs(communities=(WellKnownCommunity.NO_ADVERTISE,)), 1, None, ib, ME) is None


def test_reflector_sends_one_encoding_to_all_clients_with_originator_and_cluster_list():
    rib = Rib(LocalSpeaker(LOCAL_ASN, V4("198.18.0.1"), V4("1.2.3.4")))
    clients = [peer(n, rr_client=True) for n in range(2, 6)]
    for c in clients:
        eors = [u.end_of_rib for u in decoded(rib.peer_up(c, neg_for(c)), neg_for(c))]
        assert eors == [IPV4_UNICAST, IPV6_UNICAST]                   # empty table: just End-of-RIBs
    rib.announce(clients[0].key, IPV4_UNICAST, [P1, P2], attrs(nh="198.18.0.2"))
    [out] = rib.take_updates()
    assert out.peers == frozenset(c.key for c in clients)
    [u] = decoded(out.messages, neg_for(clients[0]))
    assert set(u.nlri) == {P1, P2}
    assert u.attributes.originator_id == clients[0].router_id
    assert u.attributes.cluster_list == (V4("1.2.3.4"),)
    assert u.attributes.next_hop == V4("198.18.0.2")
    assert rib.take_updates() == []
    assert rib.advertised_count(clients[1].key) == 2
    late = peer(9, rr_client=True)
    dump = decoded(rib.peer_up(late, neg_for(late)), neg_for(late))
    assert set(dump[0].nlri) == {P1, P2} and dump[-2].end_of_rib == IPV4_UNICAST
    assert dump[-1].end_of_rib == IPV6_UNICAST
    rib.originate(IPV4_UNICAST, {(0x0B000000, 8): PathAttributes()})    # the cached dump must not go stale
    later = peer(10, rr_client=True)
    dump = decoded(rib.peer_up(later, neg_for(later)), neg_for(later))
    assert {p for u in dump for p in u.nlri} == {P1, P2, (0x0B000000, 8)}


def test_peer_down_withdraws_its_routes_from_everyone():
    rib = Rib(ME)
    a, b = peer(2, 65001), peer(3, 65002)
    up(rib, a, b)
    rib.announce(a.key, IPV4_UNICAST, [P1], attrs(65001))
    rib.take_updates()
    [ch] = rib.peer_down(a.key)
    assert ch.attrs is None
    outs = rib.take_updates()
    [u] = decoded(outs[0].messages, neg_for(b))
    assert u.withdrawn == (P1,) and outs[0].peers == frozenset({b.key})


def test_ebgp_groups_get_prepended_path_and_own_next_hop():
    rib = Rib(ME)
    a, b = peer(2, 65001), peer(3, 65002)
    up(rib, a, b)
    rib.announce(a.key, IPV4_UNICAST, [P1], attrs(65001, med=5))
    by_peers = {o.peers: decoded(o.messages, neg_for(b)) for o in rib.take_updates()}
    [u] = by_peers[frozenset({b.key})]
    assert u.attributes.as_path == AsPath.sequence(LOCAL_ASN, 65001)
    assert u.attributes.next_hop == V4("198.18.0.1") and u.attributes.med is None


def test_originate_reconciles_local_routes_and_ipv6():
    rib = Rib(ME)
    ib = peer(2)
    up(rib, ib)
    v6_prefix = (0x20010DB8 << 96, 64)
    rib.originate(IPV4_UNICAST, {P1: PathAttributes(), P2: PathAttributes()})
    rib.originate(IPV6_UNICAST, {v6_prefix: PathAttributes()})
    assert rib.best(IPV4_UNICAST, P1) == (None, PathAttributes())
    updates = decoded(rib.take_updates()[0].messages, neg_for(ib))
    v4 = next(u for u in updates if u.nlri)
    v6 = next(u for u in updates if u.mp_reach is not None)
    assert v4.attributes.next_hop == V4("198.18.0.1") and v4.attributes.local_pref == 100
    assert v6.mp_reach.next_hop == V6("2001:db8::1") and v6.mp_reach.nlri == (v6_prefix,)
    [ch] = rib.originate(IPV4_UNICAST, {P2: PathAttributes()})
    assert ch.prefixes == (P1,) and ch.attrs is None
    [u] = decoded(rib.take_updates()[0].messages, neg_for(ib))
    assert u.withdrawn == (P1,)
    assert rib.originate(IPV4_UNICAST, {P2: PathAttributes()}) == []


def test_route_refresh_resends_table_and_end_of_rib():
    rib = Rib(ME)
    ib = peer(2)
    up(rib, ib)
    rib.originate(IPV4_UNICAST, {P1: PathAttributes()})
    rib.take_updates()
    msgs = decoded(rib.refresh(ib.key, IPV4_UNICAST), neg_for(ib))
    assert msgs[0].nlri == (P1,) and msgs[-1].end_of_rib == IPV4_UNICAST and len(msgs) == 2
    assert rib.refresh("nobody", IPV4_UNICAST) == []
    assert rib.refresh(ib.key, (1, 128)) == []                         # not negotiated: ignored
    enhanced = peer(3)
    rib.peer_up(enhanced, Negotiated(local_asn=LOCAL_ASN, peer_asn=LOCAL_ASN, families=FAMS,
                                     enhanced_route_refresh=True))
    msgs = [m.decode(x, neg_for(enhanced)) for x in rib.refresh(enhanced.key, IPV4_UNICAST)]
    assert msgs[0] == m.RouteRefresh(1, 1, RouteRefreshType.BEGIN_OF_RIB)
    assert msgs[1].nlri == (P1,) and msgs[2] == m.RouteRefresh(1, 1, RouteRefreshType.END_OF_RIB)
    assert len(msgs) == 3


# ---- graceful restart helper ---------------------------------------------------------------------

def test_graceful_restart_keeps_stale_routes_until_end_of_rib():
    rib = Rib(ME)
    a, b = peer(2, 65001), peer(3, 65002)
    up(rib, a, b)
    rib.announce(a.key, IPV4_UNICAST, [P1, P2], attrs(65001))
    rib.take_updates()
    assert rib.peer_down(a.key, graceful=True) == []
    assert rib.stale_count(a.key) == 2 and rib.best(IPV4_UNICAST, P1)[0] == a
    assert rib.take_updates() == []                                   # nothing withdrawn from b
    up(rib, a)
    rib.announce(a.key, IPV4_UNICAST, [P1], attrs(65001))            # refreshed: no longer stale
    assert rib.stale_count(a.key) == 1
    eor = m.decode(m.end_of_rib(IPV4_UNICAST, neg_for(a)), neg_for(a))
    [ch] = rib.receive(a.key, eor)
    assert ch.prefixes == (P2,) and ch.attrs is None
    assert rib.stale_count(a.key) == 0 and rib.best(IPV4_UNICAST, P1)[0] == a


def test_graceful_restart_timer_sweep_and_hard_down():
    rib = Rib(ME)
    a = peer(2, 65001)
    up(rib, a)
    rib.announce(a.key, IPV4_UNICAST, [P1, P2], attrs(65001))
    rib.peer_down(a.key, graceful=True)
    [ch] = rib.sweep_stale(a.key)
    assert set(ch.prefixes) == {P1, P2} and rib.loc_rib_size(IPV4_UNICAST) == 0
    up(rib, a)
    rib.announce(a.key, IPV4_UNICAST, [P1], attrs(65001))
    rib.peer_down(a.key, graceful=True)
    [ch] = rib.peer_down(a.key)                                       # restart abandoned
    assert ch.prefixes == (P1,) and rib.received_count(a.key) == 0 and rib.stale_count(a.key) == 0


def test_ipv6_routes_from_ebgp_reach_ibgp_peers_with_their_next_hop():
    rib = Rib(ME)
    eb, ib = peer(2, 65001), peer(3)
    up(rib, eb, ib)
    v6 = (0x20010DB80005 << 80, 48)
    wire = m.pack_updates(IPV6_UNICAST, [v6], PathAttributes(as_path=AsPath.sequence(65001),
                                                              next_hop=V6("2001:db8::2")), neg_for(eb))[0]
    [ch] = rib.receive(eb.key, m.decode(wire, neg_for(eb)))
    assert ch.family == IPV6_UNICAST and ch.attrs.next_hop == V6("2001:db8::2")
    [out] = [o for o in rib.take_updates() if ib.key in o.peers]
    [u] = decoded(out.messages, neg_for(ib))
    assert u.mp_reach.nlri == (v6,) and u.mp_reach.next_hop == V6("2001:db8::2")
    assert u.attributes.local_pref == 100 and u.attributes.as_path == AsPath.sequence(65001)
    ll = PathAttributes(as_path=AsPath.sequence(65001), next_hop=V6("2001:db8::2"), next_hop_link_local=V6("fe80::2"))
    assert export_attributes(ll, 2, eb, ib, ME).next_hop_link_local is None


def test_sweep_stale_of_one_family_keeps_the_others():
    rib = Rib(ME)
    a = peer(2, 65001)
    up(rib, a)
    v6 = (0x20010DB8 << 96, 64)
    rib.announce(a.key, IPV4_UNICAST, [P1], attrs(65001))
    rib.announce(a.key, IPV6_UNICAST, [v6], attrs(65001))
    rib.peer_down(a.key, graceful=True)
    [ch] = rib.sweep_stale(a.key, IPV6_UNICAST)
    assert ch.prefixes == (v6,) and rib.stale_count(a.key) == 1
    assert rib.best(IPV4_UNICAST, P1)[0] == a


def test_peer_up_again_moves_the_peer_to_its_new_group():
    rib = Rib(ME)
    a = peer(2, 65001)
    up(rib, a)
    rib.peer_up(a, Negotiated(local_asn=LOCAL_ASN, peer_asn=65001, families=FAMS, four_octet_as=False))
    rib.originate(IPV4_UNICAST, {P1: PathAttributes()})
    [out] = rib.take_updates()
    assert out.peers == frozenset({a.key})


def test_three_sources_views_and_counts():
    rib = Rib(ME)
    a, b, c = peer(2, 65001), peer(3, 65002), peer(4, 65003)
    up(rib, a, b, c)
    rib.announce(a.key, IPV4_UNICAST, [P1], attrs(65001, 65009, 65010))
    rib.announce(b.key, IPV4_UNICAST, [P1], attrs(65002, 65009))
    [ch] = rib.announce(c.key, IPV4_UNICAST, [P1], attrs(65003))
    assert ch.source == c
    [ch] = rib.announce(c.key, IPV4_UNICAST, [P1], attrs(65003, 65008, 65009, 65010))   # now the longest
    assert ch.source == b
    assert [(p, src) for p, src, _ in rib.loc_rib(IPV4_UNICAST)] == [(P1, b)]
    assert rib.adj_rib_in(a.key, IPV4_UNICAST) == {P1: attrs(65001, 65009, 65010)}
    assert rib.received_count(c.key) == 1 and rib.advertised_count("nobody") == 0
    [ch] = rib.withdraw(b.key, IPV4_UNICAST, [P1, P2])                  # P2 unknown: ignored
    assert ch.source == a


def test_explicit_withdraw_of_a_stale_route_before_end_of_rib():
    rib = Rib(ME)
    a = peer(2, 65001)
    up(rib, a)
    rib.announce(a.key, IPV4_UNICAST, [P1, P2], attrs(65001))
    rib.peer_down(a.key, graceful=True)
    up(rib, a)
    [ch] = rib.withdraw(a.key, IPV4_UNICAST, [P1])
    assert ch.prefixes == (P1,) and rib.stale_count(a.key) == 1
