"""Our speaker against real BGP daemons (BIRD 1.6, BIRD 2, GoBGP, FRR) in network namespaces.

Each test builds its own namespaces joined by veth links in 198.18.0.0/15, starts the real
daemon and our standalone speaker (`python -m node.bgp`), and checks what each side sees.
"""
import os
import sys
from pathlib import Path

import pytest

from .daemons import Bird, Frr, GoBGP, Neighbor, OurSpeaker, RouterSpec
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
    """True when the daemon reports that the peer closed the session with a Cease."""
    if isinstance(daemon, Bird):
        info = daemon.session(address)
        return info.state != "Established" and "Received:" in info.last_error
    if isinstance(daemon, Frr):
        text = daemon.vtysh(f"show bgp neighbors {address} json")
        return '"lastNotificationReason":"Cease' in text.replace(" ", "") \
            or "Cease" in daemon.log()
    data = daemon.gobgp("neighbor", address, "-j")
    return '"notification":1' in data.replace(" ", "") or "Cease" in daemon.process.log()


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
