"""The harness itself: real daemons peer with each other through the lab's namespaces."""
import pytest

from .configs import Neighbor, RouterSpec, bird_config, frr_config, gobgp_config, parse_bird_routes
from .daemons import Bird, Frr, GoBGP
from .netns import wait_for

pytestmark = [pytest.mark.netns, pytest.mark.daemons]

BIRD2_SHOW_ROUTE = """BIRD 2.0.12 ready.
Table master4:
10.2.0.0/24          unicast [p_198_18_0_2 10:50:51.136] * (100) [AS65002i]
\tvia 198.18.0.2 on v1x0a
\tType: BGP univ
\tBGP.origin: IGP
\tBGP.as_path: 65002 65010
\tBGP.next_hop: 198.18.0.2
\tBGP.med: 20
\tBGP.local_pref: 100
\tBGP.community: (65000,2) (65000,3)
\tBGP.originator_id: 198.18.0.9
\tBGP.cluster_list: 1.1.1.1 2.2.2.2
                     unicast [p_198_18_0_6 10:50:52.000] (100) [AS65003i]
\tvia 198.18.0.6 on v1x1a
\tType: BGP univ
\tBGP.origin: IGP
\tBGP.as_path: 65003
\tBGP.next_hop: 198.18.0.6
"""


def test_parse_bird_routes_takes_the_best_route_with_all_attributes():
    routes = parse_bird_routes(BIRD2_SHOW_ROUTE)
    assert list(routes) == ["10.2.0.0/24"]
    r = routes["10.2.0.0/24"]
    assert (r.next_hop, r.as_path, r.origin, r.med, r.local_pref) == (
        "198.18.0.2", (65002, 65010), "IGP", 20, 100)
    assert r.communities == {(65000, 2), (65000, 3)}
    assert (r.originator_id, r.cluster_list) == ("198.18.0.9", ("1.1.1.1", "2.2.2.2"))


def test_config_generators_carry_every_option():
    spec = RouterSpec("198.18.0.1", 4200000001, (
        Neighbor("198.18.0.2", 4200000001, passive=True, password="s3cret", rr_client=True),),
        ("10.1.0.0/24",), med=7, communities=((65000, 1),), graceful_restart=True,
        cluster_id="9.9.9.9")
    bird = bird_config(spec, version=1)
    for needle in ("local as 4200000001;", "neighbor 198.18.0.2 as 4200000001;", "passive on;",
                   'password "s3cret";', "rr client;", "rr cluster id 9.9.9.9;",
                   "graceful restart on;", "route 10.1.0.0/24 blackhole;", "bgp_med = 7;",
                   "bgp_community.add((65000,1));", "direct;"):
        assert needle in bird
    gobgp = gobgp_config(spec)
    for needle in ("as = 4200000001", 'auth-password = "s3cret"', "passive-mode = true",
                   "route-reflector-client = true", 'route-reflector-cluster-id = "9.9.9.9"',
                   "[neighbors.graceful-restart.config]"):
        assert needle in gobgp
    frr = frr_config(spec, "/tmp/x.log")
    for needle in ("router bgp 4200000001", "neighbor 198.18.0.2 passive",
                   "neighbor 198.18.0.2 password s3cret", "route-reflector-client",
                   "bgp cluster-id 9.9.9.9", "bgp graceful-restart", "network 10.1.0.0/24",
                   "set metric 7", "set community 65000:1"):
        assert needle in frr


def test_bird1_and_gobgpd_exchange_ipv4_and_ipv6_routes(lab, need_daemons):
    need_daemons("bird", "gobgpd")
    a, b = lab.namespace("a"), lab.namespace("b")
    link = lab.link(a, b)
    a4, b4, a6, b6 = (str(x.ip) for x in (link.a4, link.b4, link.a6, link.b6))
    bird = Bird(lab, a, RouterSpec(a4, 65001, (Neighbor(b4, 65002),), ("10.1.0.0/24",), med=10,
                                   communities=((65000, 1),)), "bird").start()
    bird6 = Bird(lab, a, RouterSpec(a4, 65001, (Neighbor(b6, 65002),), ("fd00:1::/64",)),
                 "bird6", ipv6=True).start()
    gobgp = GoBGP(lab, b, RouterSpec(b4, 65002, (Neighbor(a4, 65001), Neighbor(a6, 65001)),
                                     ("10.2.0.0/24", "fd00:2::/64"), med=20), "gobgp").start()
    bird.wait_state(b4)
    bird6.wait_state(b6)
    assert gobgp.session(a4).state == "Established"
    got = gobgp.wait_route("10.1.0.0/24")
    assert (got.as_path, got.med, got.next_hop, got.communities) == ((65001,), 10, a4, {(65000, 1)})
    assert gobgp.wait_route("fd00:1::/64").as_path == (65001,)
    mine = bird.wait_route("10.2.0.0/24")
    assert (mine.as_path, mine.med, mine.next_hop) == ((65002,), 20, b4)
    assert bird6.wait_route("fd00:2::/64").next_hop.startswith(b6)
    gobgp.withdraw("10.2.0.0/24")
    bird.wait_no_route("10.2.0.0/24")
    bird.stop()
    wait_for(lambda: gobgp.session(a4).state != "Established", timeout=10, what="gobgpd to see bird go")


def test_frr_and_bird2_exchange_routes(lab, need_daemons):
    need_daemons("frr", "bird2")
    a, b = lab.namespace("a"), lab.namespace("b")
    link = lab.link(a, b)
    a4, b4 = str(link.a4.ip), str(link.b4.ip)
    bird = Bird(lab, a, RouterSpec(a4, 4200000001, (Neighbor(b4, 65002),), ("10.1.0.0/24",),
                                   communities=((65000, 1),)), "bird2", version=2).start()
    frr = Frr(lab, b, RouterSpec(b4, 65002, (Neighbor(a4, 4200000001),), ("10.2.0.0/24",),
                                 med=20), "frr").start()
    frr.wait_state(a4)
    got = frr.wait_route("10.1.0.0/24")
    assert (got.as_path, got.next_hop, got.communities) == ((4200000001,), a4, {(65000, 1)})
    mine = bird.wait_route("10.2.0.0/24")
    assert (mine.as_path, mine.med) == ((65002,), 20)
    frr.withdraw("10.2.0.0/24")
    bird.wait_no_route("10.2.0.0/24")
