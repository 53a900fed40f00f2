"""RIB invariants under random announce / withdraw / peer-down sequences, checked against a brute-force model."""
import ipaddress
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from node.bgp import message as m
from node.bgp.attributes import AsPath, PathAttributes
from node.bgp.constants import IPV4_UNICAST, IPV6_UNICAST
from node.bgp.negotiate import Negotiated
from node.bgp.policy import LocalSpeaker, PeerInfo, export_attributes, import_problem
from node.bgp.rib import Candidate, Rib, challenge, compare, rank, select, select_ranked, unaffected_by_removal

V4 = ipaddress.IPv4Address
ME = LocalSpeaker(65000, V4("198.18.0.1"))
PEERS = [
    PeerInfo(V4(f"198.18.0.{n}"), V4(f"198.18.0.{n}"), asn, V4(f"10.0.0.{n}"), rr_client=rr,
             local_v4=V4("198.18.0.1"))
    for n, asn, rr in ((2, 65000, False), (3, 65000, True), (4, 65001, False), (5, 65002, False), (6, 65000, False))
]
PREFIXES = [((10 << 24) + (i << 8), 24) for i in range(6)]

path_attrs = st.builds(
    lambda path, lp, med, origin: PathAttributes(as_path=AsPath.sequence(*path), next_hop=V4("198.18.0.9"),
                                                 local_pref=lp, med=med, origin=origin),
    st.lists(st.sampled_from([65000, 65001, 65002, 65003]), max_size=3),
    st.none() | st.sampled_from([50, 100, 200]),
    st.none() | st.sampled_from([0, 10]),
    st.integers(0, 2),
)
op = st.one_of(
    st.tuples(st.just("announce"), st.integers(0, 4), st.lists(st.sampled_from(PREFIXES), min_size=1), path_attrs),
    st.tuples(st.just("withdraw"), st.integers(0, 4), st.lists(st.sampled_from(PREFIXES), min_size=1)),
    st.tuples(st.just("down"), st.integers(0, 4), st.booleans()),
    st.tuples(st.just("sweep"), st.integers(0, 4)),
)


def neg(p: PeerInfo) -> Negotiated:
    return Negotiated(local_asn=65000, peer_asn=p.asn, families=frozenset({IPV4_UNICAST, IPV6_UNICAST}))


def model_best(adj_in: dict, prefix):
    cands = [Candidate(a, p, p.asn != 65000) for p, table in adj_in.items() if (a := table.get(prefix))]
    if not cands:
        return None
    return cands[select(cands)[0]]


def apply_messages(told: dict, messages: list[bytes], p: PeerInfo) -> None:
    """What peer ``p`` believes after receiving ``messages`` (decoded from its side)."""
    receiver = Negotiated(local_asn=p.asn, peer_asn=65000, families=neg(p).families)
    for raw in messages:
        u = m.decode(raw, receiver)
        assert not u.problems
        for _, prefixes in u.withdrawals():
            for x in prefixes:
                told.pop(x, None)
        for _, prefixes, a in u.announced():
            told.update({x: a for x in prefixes})


@settings(max_examples=200, deadline=None)
@given(st.lists(op, max_size=25))
def test_loc_rib_and_adj_rib_out_match_a_brute_force_model(ops):
    rib = Rib(ME)
    adj_in: dict = {p: {} for p in PEERS}
    told: dict = {}

    def bring_up(p: PeerInfo) -> None:
        told[p.key] = {}
        apply_messages(told[p.key], rib.peer_up(p, neg(p)), p)

    for p in PEERS:
        bring_up(p)
    for item in ops:
        kind, idx = item[0], item[1]
        p = PEERS[idx]
        if kind in ("announce", "withdraw") and p.key not in told:
            bring_up(p)
        if kind == "announce":
            rib.announce(p.key, IPV4_UNICAST, item[2], item[3])
            for prefix in item[2]:
                if import_problem(item[3], p, ME) is None:
                    adj_in[p][prefix] = item[3]
                else:
                    adj_in[p].pop(prefix, None)
        elif kind == "withdraw":
            rib.withdraw(p.key, IPV4_UNICAST, item[2])
            for prefix in item[2]:
                adj_in[p].pop(prefix, None)
        elif kind == "down" and p.key in told:
            rib.peer_down(p.key, graceful=item[2])
            del told[p.key]
            if not item[2]:
                adj_in[p] = {}
        elif kind == "sweep" and p.key not in told:
            rib.sweep_stale(p.key)
            adj_in[p] = {}
        for out in rib.take_updates():
            for q in PEERS:
                if q.key in out.peers:
                    apply_messages(told[q.key], out.messages, q)
    for prefix in PREFIXES:
        want = model_best(adj_in, prefix)
        got = rib.best(IPV4_UNICAST, prefix)
        if want is None:
            assert got is None
        else:
            assert got is not None and got[1] == want.attrs and got[0] == want.source
    for p in PEERS:
        if p.key not in told:
            continue
        expected = {}
        for prefix in PREFIXES:
            best = model_best(adj_in, prefix)
            if best is not None:
                out = export_attributes(best.attrs, 1, best.source, p, ME)
                if out is not None:
                    expected[prefix] = out
        assert told[p.key] == expected
        assert rib.advertised_count(p.key) == len(expected)


@settings(max_examples=300, deadline=None)
@given(path_attrs, path_attrs, st.sampled_from(PEERS + [None]), st.sampled_from(PEERS + [None]))
def test_compare_is_antisymmetric_with_the_same_reason(a1, a2, p1, p2):
    c1 = Candidate(a1, p1, p1 is not None and p1.asn != 65000)
    c2 = Candidate(a2, p2, p2 is not None and p2.asn != 65000)
    r12, r21 = compare(c1, c2), compare(c2, c1)
    assert r12[0] == -r21[0] and r12[1] == r21[1]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(path_attrs, st.sampled_from(PEERS)), min_size=1, max_size=4, unique_by=lambda x: x[1]))
def test_select_does_not_depend_on_candidate_order(paths):
    cands = [Candidate(a, p, p.asn != 65000) for a, p in paths]
    winner, reason = select(cands)
    for perm in itertools.permutations(cands):
        i, r = select(perm)
        assert perm[i] is cands[winner] and r is reason


# ----- incremental decisions ---------------------------------------------------------------------

MANY = [
    PeerInfo(V4(f"198.18.1.{n}"), V4(f"198.18.1.{n}"), asn, V4(f"10.0.1.{n % 7}"), rr_client=bool(n % 2),
             local_v4=V4("198.18.0.1"))
    for n, asn in zip(range(1, 13), itertools.cycle([65000, 65000, 65001, 65002]))
]
contested_attrs = st.builds(
    lambda path, lp, med, origin, oid: PathAttributes(
        as_path=AsPath.sequence(*path), next_hop=V4("198.18.0.9"), local_pref=lp, med=med, origin=origin,
        originator_id=V4(f"10.0.1.{oid}") if oid is not None else None),
    st.lists(st.sampled_from([65001, 65002, 65003]), max_size=2),
    st.sampled_from([None, 100]),
    st.none() | st.sampled_from([0, 5, 10]),
    st.integers(0, 1),
    st.none() | st.integers(0, 6),
)


def with_source(attrs: PathAttributes, p: PeerInfo | None) -> Candidate:
    return Candidate(attrs, p, p is not None and p.asn != 65000)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(contested_attrs, st.sampled_from(MANY + [None])), min_size=1, max_size=6,
                unique_by=lambda x: x[1]),
       contested_attrs, st.sampled_from(MANY))
def test_challenge_agrees_with_full_selection_whenever_it_answers(paths, new_attrs, new_peer):
    cands = [with_source(a, p) for a, p in paths if p is not new_peer]
    if not cands:
        return
    new = with_source(new_attrs, new_peer)
    best = cands[select(cands)[0]]
    verdict = challenge(rank(best), rank(new))
    if verdict is not None:
        winner = (cands + [new])[select(cands + [new])[0]]
        assert (winner is new) is verdict


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(contested_attrs, st.sampled_from(MANY + [None])), min_size=2, max_size=7,
                unique_by=lambda x: x[1]), st.data())
def test_removal_vouched_for_keeps_the_winner(paths, data):
    cands = [with_source(a, p) for a, p in paths]
    best = cands[select(cands)[0]]
    gone = data.draw(st.sampled_from([c for c in cands if c is not best]))
    if unaffected_by_removal(rank(best), rank(gone)):
        rest = [c for c in cands if c is not gone]
        assert rest[select(rest)[0]] is best


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(contested_attrs, st.sampled_from(MANY + [None])), min_size=1, max_size=7,
                unique_by=lambda x: x[1]))
def test_select_ranked_picks_what_select_picks(paths):
    cands = [with_source(a, p) for a, p in paths]
    assert select_ranked([rank(c) for c in cands]) == select(cands)[0]


def test_challenge_declines_when_med_across_neighbour_ases_could_decide():
    """a (AS 65001, MED 10) loses to c (AS 65001, MED 0); a beats b (AS 65002) on router id, b beats c.

    {a, b} picks a; adding c eliminates a by MED, and b then wins over c: a newcomer that does not
    itself win can still change the winner, so no pairwise verdict is possible.
    """
    a = with_source(PathAttributes(as_path=AsPath.sequence(65001), med=10), MANY[2])
    b = with_source(PathAttributes(as_path=AsPath.sequence(65002), med=50), MANY[3])
    c = with_source(PathAttributes(as_path=AsPath.sequence(65001), med=0), MANY[10])
    assert [a, b][select([a, b])[0]] is a
    assert [a, b, c][select([a, b, c])[0]] is b
    assert challenge(rank(a), rank(c)) is None
    assert not unaffected_by_removal(rank(b), rank(c))


contested_op = st.one_of(
    st.tuples(st.just("announce"), st.integers(0, len(MANY) - 1), st.lists(st.sampled_from(PREFIXES[:2]), min_size=1),
              contested_attrs),
    st.tuples(st.just("withdraw"), st.integers(0, len(MANY) - 1), st.lists(st.sampled_from(PREFIXES[:2]), min_size=1)),
    st.tuples(st.just("originate"), st.just(0), st.lists(st.sampled_from(PREFIXES[:2]), max_size=2), contested_attrs),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(contested_op, max_size=40))
def test_incremental_loc_rib_matches_full_reselection_with_many_holders(ops):
    """Many sources (mixed neighbour ASes, MEDs, ORIGINATOR_IDs) contend for two prefixes."""
    rib = Rib(ME)
    for p in MANY:
        rib.peer_up(p, neg(p))
    adj_in: dict = {p: {} for p in MANY}
    local: dict = {}
    for kind, idx, prefixes, *rest in ops:
        p = MANY[idx]
        if kind == "announce":
            rib.announce(p.key, IPV4_UNICAST, prefixes, rest[0])
            for prefix in prefixes:
                if import_problem(rest[0], p, ME) is None:
                    adj_in[p][prefix] = rest[0]
                else:
                    adj_in[p].pop(prefix, None)
        elif kind == "withdraw":
            rib.withdraw(p.key, IPV4_UNICAST, prefixes)
            for prefix in prefixes:
                adj_in[p].pop(prefix, None)
        else:
            local = {prefix: rest[0] for prefix in prefixes}
            rib.originate(IPV4_UNICAST, local)
        for prefix in PREFIXES[:2]:
            cands = [with_source(a, q) for q, table in adj_in.items() if (a := table.get(prefix))]
            if prefix in local:
                cands.append(with_source(local[prefix], None))
            got = rib.best(IPV4_UNICAST, prefix)
            if not cands:
                assert got is None
                continue
            want = cands[select(cands)[0]]
            assert got is not None and got[0] == want.source and got[1] == want.attrs


def test_many_holders_of_one_prefix_need_no_full_selection(monkeypatch):
    """200 route-reflector clients announcing the same prefixes: each arrival is one comparison."""
    from node.bgp import rib as rib_module

    calls = []
    for name in ("select", "select_ranked"):
        real = getattr(rib_module, name)
        monkeypatch.setattr(rib_module, name, lambda cands, real=real: calls.append(len(cands)) or real(cands))
    clients = [PeerInfo(f"c{n}", ipaddress.IPv4Address(0xC6120000 + n), 65000, ipaddress.IPv4Address(0x0A000000 + n),
                        rr_client=True, local_v4=V4("198.18.0.1")) for n in range(200, 0, -1)]
    rib = Rib(ME)
    attrs = PathAttributes(as_path=AsPath(), next_hop=V4("198.18.0.9"), local_pref=100)
    prefixes = PREFIXES * 10
    for c in clients:
        rib.peer_up(c, neg(c))
        rib.announce(c.key, IPV4_UNICAST, prefixes, attrs)
    assert rib.best(IPV4_UNICAST, PREFIXES[0])[0] == clients[-1]
    for c in clients[:-1]:
        rib.withdraw(c.key, IPV4_UNICAST, prefixes)
    assert calls == []
    assert rib.best(IPV4_UNICAST, PREFIXES[0])[0] == clients[-1]


def test_a_peer_back_with_a_new_router_id_is_ranked_by_it():
    """Stale routes of a peer that returns with another router id compete with the new id."""
    a = PeerInfo(V4("198.18.2.1"), V4("198.18.2.1"), 65000, V4("10.0.0.5"), rr_client=True, local_v4=V4("198.18.0.1"))
    b = PeerInfo(V4("198.18.2.2"), V4("198.18.2.2"), 65000, V4("10.0.0.6"), rr_client=True, local_v4=V4("198.18.0.1"))
    rib = Rib(ME)
    for p in (a, b):
        rib.peer_up(p, neg(p))
        rib.announce(p.key, IPV4_UNICAST, PREFIXES, PathAttributes(as_path=AsPath(), next_hop=V4("198.18.0.9")))
    assert rib.best(IPV4_UNICAST, PREFIXES[0])[0] == a
    rib.peer_down(a.key, graceful=True)
    a2 = PeerInfo(a.key, a.address, 65000, V4("10.0.0.9"), rr_client=True, local_v4=V4("198.18.0.1"))
    rib.peer_up(a2, neg(a2))
    rib.announce(b.key, IPV4_UNICAST, PREFIXES, PathAttributes(as_path=AsPath(), next_hop=V4("198.18.0.9")))
    assert rib.best(IPV4_UNICAST, PREFIXES[0])[0] == b
