"""Our speaker against real BGP daemons (BIRD 1.6, BIRD 2, GoBGP, FRR) in network namespaces.

Each test builds its own namespaces joined by veth links in 198.18.0.0/15, starts the real
daemon and our standalone speaker (`python -m node.bgp`), and checks what each side sees.
"""
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .configs import Neighbor, RouterSpec
from .daemons import Bird, Frr, GoBGP, OurSpeaker
from .netns import wait_for

pytestmark = [pytest.mark.netns, pytest.mark.daemons]

REPO = str(Path(__file__).resolve().parents[3])
DAEMONS = ("bird", "bird2", "gobgpd", "frr")
OUR_PREFIXES = ("10.65.1.0/24", "10.65.2.0/24")
THEIR_PREFIXES = ("10.66.1.0/24", "10.66.2.0/24")


def start_daemon(kind, lab, ns, spec, *, label=None, ipv6=False):
    """Start a real daemon of `kind` with `spec` in `ns`."""
    label = label or kind
    if kind == "bird":
        return Bird(lab, ns, spec, label, version=1, ipv6=ipv6).start()
    if kind == "bird2":
        return Bird(lab, ns, spec, label, version=2).start()
    if kind == "gobgpd":
        return GoBGP(lab, ns, spec, label).start()
    return Frr(lab, ns, spec, label).start()


def start_speaker(lab, ns, spec, *, restarting=False):
    """Start our speaker standalone in `ns`."""
    return OurSpeaker(lab, ns, spec, "speaker", python=sys.executable, repo=REPO).start(
        restarting=restarting)


def withdraw(daemon, prefix):
    """Make a real daemon stop originating `prefix`."""
    if isinstance(daemon, Bird):
        daemon.reconfigure(daemon.spec.with_prefixes(p for p in daemon.spec.prefixes if p != prefix))
    else:
        daemon.withdraw(prefix)


def cease_seen(daemon, address) -> bool:
    """True when the daemon reports a received NOTIFICATION Cease / Administrative Shutdown."""
    if isinstance(daemon, Bird):
        return "Received: Administrative shutdown" in daemon.process.log()
    if isinstance(daemon, Frr):
        data = json.loads(daemon.vtysh(f"show bgp neighbors {address} json"))
        return data[address].get("lastNotificationReason") == "Cease/Administrative Shutdown"
    return "code 6(cease) subcode 2(administrative shutdown)" in daemon.process.log()


@pytest.fixture
def pair(lab, need_daemons):
    """Two namespaces `us` and `them` on one link."""
    us, them = lab.namespace("us"), lab.namespace("them")
    link = lab.link(us, them)
    return us, them, link


@pytest.mark.parametrize("we_are", ["active", "passive"])
@pytest.mark.parametrize("kind", DAEMONS)
def test_ipv4_exchange_withdraw_and_cease(lab, pair, need_daemons, kind, we_are):
    need_daemons(kind)
    us, them, link = pair
    us4, them4 = str(link.a4.ip), str(link.b4.ip)
    their_spec = RouterSpec(them4, 65002, (Neighbor(us4, 65001, passive=we_are == "active"),),
                            THEIR_PREFIXES, med=7, communities=((65002, 7),))
    our_spec = RouterSpec(us4, 65001, (Neighbor(them4, 65002, passive=we_are == "passive"),),
                          OUR_PREFIXES, med=50, communities=((65001, 100),))
    peer = start_daemon(kind, lab, them, their_spec)
    speaker = start_speaker(lab, us, our_spec)
    speaker.wait_state(them4)
    peer.wait_state(us4)
    assert speaker.peer_status(them4)["type"] == "global"

    got = peer.wait_route("10.65.1.0/24")
    assert (got.as_path, got.next_hop, got.med, got.communities, got.origin) == (
        (65001,), us4, 50, {(65001, 100)}, "IGP")
    peer.wait_route("10.65.2.0/24")
    mine = speaker.wait_route("10.66.1.0/24")
    assert (mine.as_path, mine.next_hop, mine.med, mine.communities) == ((65002,), them4, 7, {(65002, 7)})
    speaker.wait_route("10.66.2.0/24")

    speaker.reconfigure(our_spec.with_prefixes(["10.65.1.0/24"]))
    peer.wait_no_route("10.65.2.0/24")
    assert "10.65.1.0/24" in peer.routes(4)
    withdraw(peer, "10.66.2.0/24")
    speaker.wait_no_route("10.66.2.0/24")
    assert "10.66.1.0/24" in speaker.routes(4)

    speaker.stop()
    assert speaker.process.popen.returncode == 0, speaker.process.log()[-2000:]
    wait_for(lambda: cease_seen(peer, us4), timeout=10, what=f"{kind} to see our Cease")
    peer.wait_no_route("10.65.1.0/24")


@pytest.mark.parametrize("kind", DAEMONS)
def test_ipv6_over_mp_bgp(lab, pair, need_daemons, kind):
    need_daemons(kind)
    us, them, link = pair
    us4, them4 = str(link.a4.ip), str(link.b4.ip)
    us6, them6 = str(link.a6.ip), str(link.b6.ip)
    peer = start_daemon(kind, lab, them, RouterSpec(them4, 65002, (Neighbor(us6, 65001),),
                                                    ("fd00:66::/64",)), ipv6=True)
    speaker = start_speaker(lab, us, RouterSpec(us4, 65001, (Neighbor(them6, 65002),),
                                                ("fd00:65::/64",), med=5))
    speaker.wait_state(them6)
    got = peer.wait_route("fd00:65::/64")
    assert (got.as_path, got.next_hop, got.med) == ((65001,), us6, 5)
    mine = speaker.wait_route("fd00:66::/64")
    assert (mine.as_path, mine.next_hop) == ((65002,), them6)
    assert speaker.routes(4) == {}


@pytest.mark.parametrize("kind", DAEMONS)
def test_four_octet_asns(lab, pair, need_daemons, kind):
    need_daemons(kind)
    us, them, link = pair
    us4, them4 = str(link.a4.ip), str(link.b4.ip)
    peer = start_daemon(kind, lab, them, RouterSpec(them4, 4200000002, (Neighbor(us4, 4200000001),),
                                                    ("10.66.1.0/24",)))
    speaker = start_speaker(lab, us, RouterSpec(us4, 4200000001, (Neighbor(them4, 4200000002),),
                                                ("10.65.1.0/24",)))
    speaker.wait_state(them4)
    assert peer.wait_route("10.65.1.0/24").as_path == (4200000001,)
    assert speaker.wait_route("10.66.1.0/24").as_path == (4200000002,)


@pytest.mark.parametrize("we_are", ["active", "passive"])
@pytest.mark.parametrize("kind", DAEMONS)
def test_tcp_md5_password(lab, pair, need_daemons, kind, we_are):
    """One side passive, so the test knows whose listener checks the signature (RFC 2385)."""
    need_daemons(kind)
    us, them, link = pair
    us4, them4 = str(link.a4.ip), str(link.b4.ip)
    peer = start_daemon(kind, lab, them, RouterSpec(them4, 65002, (
        Neighbor(us4, 65001, password="pcb-s3cret", passive=we_are == "active"),), ("10.66.1.0/24",)))
    speaker = start_speaker(lab, us, RouterSpec(us4, 65001, (
        Neighbor(them4, 65002, password="pcb-s3cret", passive=we_are == "passive"),), ("10.65.1.0/24",)))
    speaker.wait_state(them4)
    peer.wait_route("10.65.1.0/24")
    speaker.wait_route("10.66.1.0/24")


@pytest.mark.parametrize("kind1, kind2", [(k, k) for k in DAEMONS] + [("bird", "frr"), ("gobgpd", "bird2")])
def test_route_reflector_between_two_real_clients(lab, need_daemons, kind1, kind2):
    need_daemons(kind1, kind2)
    rr_ns, c1_ns, c2_ns = lab.namespace("rr"), lab.namespace("c1"), lab.namespace("c2")
    rr4, c1_4, c2_4 = (str(i.ip) for i in lab.segment(rr_ns, [c1_ns, c2_ns]))
    cluster = "198.19.255.1"
    c1 = start_daemon(kind1, lab, c1_ns, RouterSpec(c1_4, 65000, (Neighbor(rr4, 65000),),
                                                    ("10.70.1.0/24",), med=11), label=f"{kind1}-c1")
    c2 = start_daemon(kind2, lab, c2_ns, RouterSpec(c2_4, 65000, (Neighbor(rr4, 65000),),
                                                    ("10.70.2.0/24",)), label=f"{kind2}-c2")
    speaker = start_speaker(lab, rr_ns, RouterSpec(rr4, 65000, (
        Neighbor(c1_4, 65000, rr_client=True), Neighbor(c2_4, 65000, rr_client=True)),
        cluster_id=cluster))
    speaker.wait_state(c1_4)
    speaker.wait_state(c2_4)
    seen_by_c2 = c2.wait_route("10.70.1.0/24")
    assert (seen_by_c2.originator_id, seen_by_c2.cluster_list) == (c1_4, (cluster,))
    assert (seen_by_c2.next_hop, seen_by_c2.as_path, seen_by_c2.med, seen_by_c2.local_pref) == (
        c1_4, (), 11, 100)
    seen_by_c1 = c1.wait_route("10.70.2.0/24")
    assert (seen_by_c1.originator_id, seen_by_c1.cluster_list) == (c2_4, (cluster,))
    assert "10.70.1.0/24" in speaker.routes(4)


def gr_helping(daemon, address, prefix) -> bool:
    """True while the real daemon itself reports graceful-restart helper state for our session.

    BIRD (1.6 and 2) prints "Neighbor graceful restart active" in ``show protocols all``; FRR and
    GoBGP mark the routes they keep as stale.
    """
    if isinstance(daemon, Bird):
        name = "p_" + address.replace(".", "_")
        return "Neighbor graceful restart active" in daemon.birdc(f"show protocols all {name}")
    if isinstance(daemon, Frr):
        data = json.loads(daemon.vtysh(f"show bgp ipv4 unicast {prefix} json"))
        return any(path.get("stale") for path in data.get("paths", []))
    out = daemon.gobgp("global", "rib", "-a", "ipv4", prefix, "-j")
    data = json.loads(out) if out.strip() else {}
    return any(path.get("stale") for paths in data.values() for path in paths)


DEFERRAL = 6  # seconds our restarted speaker defers its End-of-RIB (its restart time)


@pytest.mark.parametrize("kind", DAEMONS)
def test_graceful_restart_peer_keeps_our_routes_until_end_of_rib(lab, pair, need_daemons, kind):
    """RFC 4724 with us as the restarting speaker: the real peer keeps our routes as stale while
    we are gone and after we are back, until our End-of-RIB; then what we no longer announce goes.

    The restarted speaker also has a peer that never comes up, so its selection deferral (and
    with it our End-of-RIB) lasts DEFERRAL seconds: a window in which the real peer must still
    hold the prefix we dropped, and must still say it is helping.
    """
    need_daemons(kind)
    us, them, link = pair
    us4, them4 = str(link.a4.ip), str(link.b4.ip)
    # The real peer is passive: one connection per session, so no collision can end a session.
    peer = start_daemon(kind, lab, them, RouterSpec(them4, 65002, (Neighbor(us4, 65001, passive=True),),
                                                    ("10.66.1.0/24",), graceful_restart=True))
    spec = RouterSpec(us4, 65001, (Neighbor(them4, 65002),), OUR_PREFIXES,
                      graceful_restart=True, restart_time=60)
    speaker = start_speaker(lab, us, spec)
    peer.wait_state(us4)
    peer.wait_route("10.65.1.0/24")
    peer.wait_route("10.65.2.0/24")
    assert not gr_helping(peer, us4, "10.65.2.0/24")

    speaker.kill()
    wait_for(lambda: peer.session(us4).state != "Established", timeout=15,
             what=f"{kind} to notice the speaker is gone")
    wait_for(lambda: gr_helping(peer, us4, "10.65.2.0/24"), timeout=5,
             what=f"{kind} to enter graceful-restart helper mode")
    assert {"10.65.1.0/24", "10.65.2.0/24"} <= set(peer.routes(4)), "routes must be kept as stale"

    restarted_spec = RouterSpec(us4, 65001, (Neighbor(them4, 65002), Neighbor("198.18.0.99", 65003)),
                                ("10.65.1.0/24",), graceful_restart=True, restart_time=DEFERRAL)
    restarted = OurSpeaker(lab, us, restarted_spec, "speaker", python=sys.executable,
                           repo=REPO).start(restarting=True)
    restarted.wait_state(them4)
    peer.wait_state(us4)

    def deferral_over() -> bool:
        return "selection deferral over" in restarted.process.log()

    # Inside the window: back up, no End-of-RIB from us yet, the dropped prefix still held as stale.
    present = "10.65.2.0/24" in peer.routes(4)
    helping = gr_helping(peer, us4, "10.65.2.0/24")
    assert not deferral_over(), "the check must run before our End-of-RIB"
    assert present, f"{kind} dropped the stale prefix before our End-of-RIB"
    assert helping, f"{kind} left graceful-restart helper mode before our End-of-RIB"

    # The dropped prefix goes only after our End-of-RIB (each absence is checked against the log
    # read afterwards), and promptly after it.
    deadline = time.monotonic() + DEFERRAL + 10
    sent_at = None
    while "10.65.2.0/24" in peer.routes(4):
        now = time.monotonic()
        if sent_at is None and deferral_over():
            sent_at = now
        assert now < deadline and (sent_at is None or now - sent_at < 5), (
            f"{kind} kept the stale prefix after our End-of-RIB: {peer.process.log()[-1000:]}")
        time.sleep(0.05)
    assert deferral_over(), f"{kind} removed the stale prefix before our End-of-RIB"
    assert "10.65.1.0/24" in peer.routes(4)
    wait_for(lambda: not gr_helping(peer, us4, "10.65.1.0/24"), timeout=5,
             what=f"{kind} to end graceful-restart helper mode")
    assert restarted.wait_route("10.66.1.0/24").as_path == (65002,)


@pytest.mark.parametrize("kind", ["bird", "bird2"])
def test_graceful_restart_capable_peers_both_active_stay_established(lab, pair, need_daemons, kind):
    """Both sides active with GR: the connection that loses the collision must not be taken for a
    restart of the peer (which would end the Established session and loop)."""
    need_daemons(kind)
    us, them, link = pair
    us4, them4 = str(link.a4.ip), str(link.b4.ip)
    start_daemon(kind, lab, them, RouterSpec(them4, 65002, (Neighbor(us4, 65001),), graceful_restart=True))
    speaker = start_speaker(lab, us, RouterSpec(us4, 65001, (Neighbor(them4, 65002),), OUR_PREFIXES,
                                                graceful_restart=True))
    speaker.wait_state(them4)
    time.sleep(8)  # a negative check: BIRD retries a lost connection within 5 s
    assert speaker.session(them4).state == "Established"
    assert speaker.process.log().count("Established (router id") == 1, speaker.process.log()[-2000:]


def test_node_status_against_a_live_speaker(lab, pair, need_daemons):
    need_daemons("bird")
    us, them, link = pair
    us4, them4 = str(link.a4.ip), str(link.b4.ip)
    start_daemon("bird", lab, them, RouterSpec(them4, 65002, (Neighbor(us4, 65001),)))
    speaker = start_speaker(lab, us, RouterSpec(us4, 65001, (
        Neighbor(them4, 65002), Neighbor("198.18.0.99", 65003))))
    speaker.wait_state(them4)
    env = dict(os.environ, PYCALICO_BGP_SOCKET=str(speaker.socket))
    out = subprocess.run([sys.executable, "-m", "pycalicoctl", "node", "status"], env=env,
                         capture_output=True, text=True, timeout=30, cwd=REPO)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[:3] == ["Calico process is running.", "", "IPv4 BGP status"]
    assert re.fullmatch(r"\| PEER ADDRESS \| PEER TYPE \| STATE \|  SINCE   \| +INFO +\|", lines[4])
    assert re.fullmatch(r"\| 198\.18\.0\.2 +\| global    \| up    \| \d\d:\d\d:\d\d \| Established +\|",
                        lines[6]), lines[6]
    assert re.fullmatch(r"\| 198\.18\.0\.99 +\| global    \| start \| \d\d:\d\d:\d\d \| (Connect|Active|Idle)\b.*\|",
                        lines[7]), lines[7]
    assert lines[-3:] == ["IPv6 BGP status", "No IPv6 peers found.", ""]


@pytest.mark.parametrize("we_are", ["active", "passive"])
def test_tcp_md5_mismatch_keeps_the_session_down(lab, pair, need_daemons, we_are):
    """A wrong key on either side's listener: the segments are dropped, no OPEN is ever read."""
    need_daemons("bird")
    us, them, link = pair
    us4, them4 = str(link.a4.ip), str(link.b4.ip)
    peer = start_daemon("bird", lab, them, RouterSpec(them4, 65002, (
        Neighbor(us4, 65001, password="pcb-right", passive=we_are == "active"),)))
    speaker = start_speaker(lab, us, RouterSpec(us4, 65001, (
        Neighbor(them4, 65002, password="pcb-wrong", passive=we_are == "passive"),)))
    with pytest.raises(TimeoutError):
        speaker.wait_state(them4, timeout=4)
    # Not even an OPEN got through: neither side went past its connecting states.
    assert speaker.session(them4).state in ("Idle", "Connect", "Active", "Passive")
    assert peer.session(us4).state in ("Idle", "Connect", "Active", "Passive")
    assert "Received: " not in speaker.process.log() and "Error: " not in peer.process.log()


def test_route_refresh_from_bird_is_answered_with_our_routes(lab, pair, need_daemons):
    need_daemons("bird")
    us, them, link = pair
    us4, them4 = str(link.a4.ip), str(link.b4.ip)
    peer = start_daemon("bird", lab, them, RouterSpec(them4, 65002, (Neighbor(us4, 65001),)))
    speaker = start_speaker(lab, us, RouterSpec(us4, 65001, (Neighbor(them4, 65002),), OUR_PREFIXES))
    speaker.wait_state(them4)
    peer.wait_route("10.65.2.0/24")
    name = "p_" + us4.replace(".", "_")

    def received_updates() -> int:
        line = next(x for x in peer.birdc(f"show protocols all {name}").splitlines()
                    if "Import updates:" in x)
        return int(line.split(":")[1].split()[0])

    before = received_updates()
    assert before == len(OUR_PREFIXES)
    assert "reload" in peer.birdc(f"reload in {name}").lower()
    wait_for(lambda: received_updates() == 2 * len(OUR_PREFIXES), timeout=10,
             what="our routes re-sent after BIRD's ROUTE-REFRESH")
    assert peer.session(us4).state == "Established"


@pytest.mark.parametrize("we_are", ["active", "passive"])
def test_ttl_security_with_bird(lab, pair, need_daemons, we_are):
    need_daemons("bird")
    us, them, link = pair
    us4, them4 = str(link.a4.ip), str(link.b4.ip)
    peer = start_daemon("bird", lab, them, RouterSpec(them4, 65002, (
        Neighbor(us4, 65001, ttl_security=True, passive=we_are == "active"),), ("10.66.1.0/24",)))
    speaker = start_speaker(lab, us, RouterSpec(us4, 65001, (
        Neighbor(them4, 65002, ttl_security=True, passive=we_are == "passive"),), ("10.65.1.0/24",)))
    speaker.wait_state(them4)
    peer.wait_route("10.65.1.0/24")
    speaker.wait_route("10.66.1.0/24")


def test_ttl_security_only_on_bird_keeps_the_session_down(lab, pair, need_daemons):
    need_daemons("bird")
    us, them, link = pair
    us4, them4 = str(link.a4.ip), str(link.b4.ip)
    # BIRD passive: we connect with the default TTL 64. (Our listener answers with TTL 255, so a
    # connection BIRD opened would come up: BIRD's connect delay made that a race before.)
    peer = start_daemon("bird", lab, them, RouterSpec(them4, 65002, (
        Neighbor(us4, 65001, ttl_security=True, passive=True),)))
    speaker = start_speaker(lab, us, RouterSpec(us4, 65001, (Neighbor(them4, 65002),)))
    with pytest.raises(TimeoutError):
        speaker.wait_state(them4, timeout=6)
    # BIRD's IP_MINTTL 255 drops what we send with TTL 64: BIRD's OPEN may reach us (we can sit
    # in OpenConfirm), but ours never reaches BIRD, which stays at most in OpenSent; no
    # NOTIFICATION is exchanged.
    assert speaker.session(them4).state in ("Idle", "Connect", "Active", "OpenSent", "OpenConfirm")
    assert peer.session(us4).state in ("Idle", "Connect", "Active", "Passive", "OpenSent")
    assert "received NOTIFICATION" not in speaker.process.log()


def test_graceful_restart_helper_keeps_a_restarting_bird_routes_until_end_of_rib(lab, pair, need_daemons):
    need_daemons("bird")
    us, them, link = pair
    us4, them4 = str(link.a4.ip), str(link.b4.ip)
    spec = RouterSpec(them4, 65002, (Neighbor(us4, 65001),), THEIR_PREFIXES, graceful_restart=True,
                      restart_time=60)
    bird = start_daemon("bird", lab, them, spec)
    speaker = start_speaker(lab, us, RouterSpec(us4, 65001, (Neighbor(them4, 65002),), OUR_PREFIXES,
                                                graceful_restart=True))
    speaker.wait_route("10.66.1.0/24")
    speaker.wait_route("10.66.2.0/24")

    bird.kill()
    wait_for(lambda: speaker.session(them4).state != "Established", timeout=15,
             what="the speaker to notice BIRD is gone")
    assert {"10.66.1.0/24", "10.66.2.0/24"} <= set(speaker.routes(4)), "stale routes must be kept"

    bird.spec = spec.with_prefixes(["10.66.1.0/24"])
    bird.start(restarting=True)
    speaker.wait_state(them4)
    speaker.wait_no_route("10.66.2.0/24")
    assert "10.66.1.0/24" in speaker.routes(4)
    bird.wait_route("10.65.1.0/24")


@pytest.mark.parametrize("kind", ["bird", "gobgpd"])
def test_short_hold_time_keepalives_keep_the_session_up(lab, pair, need_daemons, kind):
    need_daemons(kind)
    us, them, link = pair
    us4, them4 = str(link.a4.ip), str(link.b4.ip)
    peer = start_daemon(kind, lab, them, RouterSpec(them4, 65002, (Neighbor(us4, 65001, hold_time=3),)))
    speaker = start_speaker(lab, us, RouterSpec(us4, 65001, (Neighbor(them4, 65002, hold_time=3),)))
    speaker.wait_state(them4)
    since = speaker.peer_status(them4)["since_epoch"]
    deadline = time.monotonic() + 7
    while time.monotonic() < deadline:
        assert speaker.session(them4).state == "Established"
        assert peer.session(us4).state == "Established"
        time.sleep(0.5)
    assert speaker.peer_status(them4)["since_epoch"] == since


def test_four_octet_asn_towards_a_two_octet_only_bird(lab, pair, need_daemons):
    need_daemons("bird")
    us, them, link = pair
    us4, them4 = str(link.a4.ip), str(link.b4.ip)
    peer = start_daemon("bird", lab, them, RouterSpec(them4, 65002, (
        Neighbor(us4, 23456, as4=False),), ("10.66.1.0/24",)))
    speaker = start_speaker(lab, us, RouterSpec(us4, 4200000001, (Neighbor(them4, 65002),),
                                                ("10.65.1.0/24",)))
    speaker.wait_state(them4)
    session_line = next(x for x in peer.birdc(f"show protocols all p_{us4.replace('.', '_')}").splitlines()
                        if "Session:" in x)
    assert "AS4" not in session_line, session_line
    # We sent AS_TRANS in the 2-octet AS_PATH plus AS4_PATH; BIRD merges them back (RFC 6793).
    assert peer.wait_route("10.65.1.0/24").as_path == (4200000001,)
    assert speaker.wait_route("10.66.1.0/24").as_path == (65002,)


def test_unknown_optional_transitive_attribute_is_passed_on(lab, need_daemons):
    need_daemons("gobgpd", "bird")
    hub, left, right = lab.namespace("us"), lab.namespace("gob"), lab.namespace("bird")
    us4, gob4, bird4 = (str(i.ip) for i in lab.segment(hub, [left, right]))
    gobgp = start_daemon("gobgpd", lab, left, RouterSpec(gob4, 65002, (Neighbor(us4, 65001),)))
    bird = start_daemon("bird", lab, right, RouterSpec(bird4, 65003, (Neighbor(us4, 65001),)))
    speaker = start_speaker(lab, hub, RouterSpec(us4, 65001, (Neighbor(gob4, 65002), Neighbor(bird4, 65003))))
    speaker.wait_state(gob4)
    speaker.wait_state(bird4)
    gobgp.announce("10.80.0.0/24", "large-community", "65002:1:1")
    assert bird.wait_route("10.80.0.0/24").as_path == (65001, 65002)
    assert "BGP.large_community: (65002, 1, 1)" in bird.birdc("show route all 10.80.0.0/24")
