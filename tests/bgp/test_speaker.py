"""Two of our speakers peering over loopback (127.0.0.x, high ports): routes, withdrawals,
timers, collisions, MD5, status and route-change events."""
import asyncio
import ipaddress
import socket

from node.bgp.config import OriginatedRoute, PeerConfig, PeerKind, SpeakerConfig
from node.bgp.constants import AFI, SAFI
from node.bgp.fsm import State
from node.bgp.speaker import Speaker
from tests.conftest import require

V4 = (AFI.IPV4, SAFI.UNICAST)
V6 = (AFI.IPV6, SAFI.UNICAST)


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ip(text):
    return ipaddress.ip_address(text)


def net(text):
    return ipaddress.ip_network(text)


def speaker_config(me, peers, port, asn=64512, prefixes=(), **kw):
    return SpeakerConfig(router_id=ipaddress.IPv4Address(me), asn=asn, listen_address=me, listen_port=port,
                         peers=tuple(peers), prefixes=tuple(prefixes), **kw)


def peer(addr, asn=64512, port=0, **kw):
    kw.setdefault("connect_retry_time", 1)
    kw.setdefault("error_wait_time", 1)
    return PeerConfig(address=ip(addr), asn=asn, port=port, **kw)


async def wait_for(cond, timeout=10.0, what="condition"):
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def run(coro):
    asyncio.run(asyncio.wait_for(coro, 30))


def test_ibgp_exchange_withdraw_and_status():
    port = free_port()

    async def main():
        a_cfg = speaker_config("127.0.0.1", [peer("127.0.0.2", port=port, kind=PeerKind.MESH)], port,
                               prefixes=[OriginatedRoute(net("10.1.0.0/26"))])
        b_cfg = speaker_config("127.0.0.2", [peer("127.0.0.1", port=port, kind=PeerKind.MESH)], port,
                               prefixes=[OriginatedRoute(net("10.2.0.0/26"), med=7, communities=(100,))])
        async with Speaker(a_cfg) as a, Speaker(b_cfg) as b:
            await wait_for(lambda: a.peer_state("Mesh_127_0_0_2") is State.ESTABLISHED, what="A established")
            await wait_for(lambda: net("10.2.0.0/26") in a.loc_rib(), what="A learns B's prefix")
            await wait_for(lambda: net("10.1.0.0/26") in b.loc_rib(), what="B learns A's prefix")
            src, attrs = a.loc_rib()[net("10.2.0.0/26")]
            assert src.address == ip("127.0.0.2") and src.router_id == ip("127.0.0.2")
            assert attrs.next_hop == ip("127.0.0.2") and attrs.local_pref == 100
            assert attrs.med == 7 and attrs.communities == (100,) and attrs.as_path.segments == ()
            status = a.status().peers[0]
            assert (status.state, status.kind, status.prefixes_received, status.prefixes_sent) == \
                ("Established", "node-to-node mesh", 1, 1)
            assert status.bird_state == "up" and status.info == "Established   "
            # withdrawal propagates
            await b.apply(speaker_config("127.0.0.2", b_cfg.peers, port))
            await wait_for(lambda: net("10.2.0.0/26") not in a.loc_rib(), what="withdrawal")
            assert a.peer_state("Mesh_127_0_0_2") is State.ESTABLISHED
            # removing the peer sends Cease "Peer de-configured"
            await b.apply(speaker_config("127.0.0.2", [], port))
            await wait_for(lambda: a.status().peers[0].last_error == "Received: Peer de-configured",
                           what="cease seen by A")
            await wait_for(lambda: net("10.1.0.0/26") not in b.loc_rib(), what="B dropped A's routes")

    run(main())


def test_ebgp_prepend_next_hop_and_ipv6_and_4_octet_as():
    port = free_port()

    async def main():
        # an IPv4 session has no IPv6 address of ours to put as next hop: keep the configured one
        a_cfg = speaker_config("127.0.0.1", [peer("127.0.0.2", asn=4200000002, port=port, families=(V4, V6),
                                                  next_hop_keep=True)],
                               port, asn=4200000001,
                               prefixes=[OriginatedRoute(net("10.1.0.0/24")),
                                         OriginatedRoute(net("fd00:1::/64"), next_hop=ip("fd00::1"))])
        b_cfg = speaker_config("127.0.0.2", [peer("127.0.0.1", asn=4200000001, port=port, families=(V4, V6))],
                               port, asn=4200000002)
        async with Speaker(a_cfg) as a, Speaker(b_cfg) as b:
            await wait_for(lambda: net("fd00:1::/64") in b.loc_rib(V6), what="v6 route")
            await wait_for(lambda: net("10.1.0.0/24") in b.loc_rib(), what="v4 route")
            _, v4 = b.loc_rib()[net("10.1.0.0/24")]
            assert v4.as_path.segments == ((2, (4200000001,)),) and v4.next_hop == ip("127.0.0.1")
            _, v6 = b.loc_rib(V6)[net("fd00:1::/64")]
            assert v6.next_hop == ip("fd00::1") and v6.as_path.segments == ((2, (4200000001,)),)
            assert b.status().peers[0].prefixes_received == 2
            assert a.status().peers[0].asn == 4200000002 and a.negotiated("Global_127_0_0_2").four_octet_as

    run(main())


def test_route_change_events_and_subscription():
    port = free_port()

    async def main():
        a_cfg = speaker_config("127.0.0.1", [peer("127.0.0.2", port=port)], port)
        b_cfg = speaker_config("127.0.0.2", [peer("127.0.0.1", port=port)], port,
                               prefixes=[OriginatedRoute(net("10.9.0.0/24"))])
        async with Speaker(a_cfg) as a, Speaker(b_cfg) as b:
            seen = []
            unsubscribe = a.subscribe(seen.append)
            stream = a.changes()
            first = asyncio.ensure_future(anext(stream))
            await wait_for(lambda: any(c.attrs is not None for c in seen), what="callback")
            change = await asyncio.wait_for(first, 5)
            assert change.family == V4 and change.prefixes == ((0x0A090000, 24),)
            assert change.source.address == ip("127.0.0.2")
            await b.apply(speaker_config("127.0.0.2", b_cfg.peers, port))
            await wait_for(lambda: seen[-1].attrs is None, what="withdraw event")
            assert seen[-1].prefixes == ((0x0A090000, 24),)
            unsubscribe()
            await stream.aclose()

    run(main())


def test_hold_timer_expiry_when_peer_goes_silent():
    port = free_port()
    from node.bgp.capabilities import FourOctetAs
    from node.bgp.message import KEEPALIVE_BYTES, Open

    async def main():
        got_notification = asyncio.Event()

        async def fake(reader, writer):
            # completes the handshake, then never sends another byte
            await reader.readexactly(19)
            writer.write(Open.build(64512, 3, "127.0.0.2", (FourOctetAs(64512),)).encode() + KEEPALIVE_BYTES)
            data = b""
            while chunk := await reader.read(4096):
                data += chunk
                if b"\xff" * 16 + b"\x00\x15\x03\x04\x00" in data:
                    got_notification.set()

        server = await asyncio.start_server(fake, "127.0.0.2", port)
        a_cfg = speaker_config("127.0.0.1", [peer("127.0.0.2", port=port, hold_time=3)], port)
        try:
            async with Speaker(a_cfg) as a:
                await wait_for(lambda: a.peer_state("Global_127_0_0_2") is State.ESTABLISHED, what="established")
                await asyncio.wait_for(got_notification.wait(), 6)
                await wait_for(lambda: a.status().peers[0].last_error == "BGP Error: Hold timer expired",
                               what="status")
                assert a.peer_state("Global_127_0_0_2") is not State.ESTABLISHED
        finally:
            server.close()

    run(main())


def test_md5_match_establishes_and_mismatch_is_refused():
    port = free_port()

    async def main():
        good = speaker_config("127.0.0.2", [peer("127.0.0.1", port=port, password="s3cret")], port,
                              prefixes=[OriginatedRoute(net("10.5.0.0/24"))])
        bad = speaker_config("127.0.0.3", [peer("127.0.0.1", port=port, password="wrong")], port)
        a_cfg = speaker_config("127.0.0.1", [peer("127.0.0.2", port=port, password="s3cret"),
                                             peer("127.0.0.3", port=port, password="other")], port)
        async with Speaker(a_cfg) as a, Speaker(good) as b, Speaker(bad) as c:
            await wait_for(lambda: net("10.5.0.0/24") in a.loc_rib(), what="MD5 session")
            # a wrong key makes the kernel drop the SYNs: the attempt times out on the connect-retry timer
            await wait_for(lambda: c.status().peers[0].last_error == "Socket: Connection timed out",
                           what="MD5 mismatch timeout")
            assert a.peer_state("Global_127_0_0_3") is not State.ESTABLISHED
            assert c.peer_state("Global_127_0_0_1") is not State.ESTABLISHED
            assert b.peer_state("Global_127_0_0_1") is State.ESTABLISHED

    run(main())


def test_passive_peer_waits_and_shows_passive():
    port = free_port()

    async def main():
        cfg = speaker_config("127.0.0.1", [peer("127.0.0.2", port=port, passive=True)], port)
        async with Speaker(cfg) as a:
            await asyncio.sleep(0.2)
            st = a.status().peers[0]
            assert (st.state, st.bird_state) == ("Passive", "start")
            other = speaker_config("127.0.0.2", [peer("127.0.0.1", port=port)], port)
            async with Speaker(other):
                await wait_for(lambda: a.peer_state("Global_127_0_0_2") is State.ESTABLISHED, what="passive up")

    run(main())


def test_connection_collision_leaves_one_session():
    port = free_port()

    async def main():
        # both sides active with a tiny retry: they may connect to each other at about the same time.
        # This checks convergence only; test_audit_collision.py forces the collision itself.
        a_cfg = speaker_config("127.0.0.1", [peer("127.0.0.2", port=port)], port,
                               prefixes=[OriginatedRoute(net("10.1.0.0/24"))])
        b_cfg = speaker_config("127.0.0.2", [peer("127.0.0.1", port=port)], port,
                               prefixes=[OriginatedRoute(net("10.2.0.0/24"))])
        for _ in range(3):
            async with Speaker(a_cfg) as a, Speaker(b_cfg) as b:
                # if each side settles the race differently both connections close; the retry converges
                await wait_for(lambda: a.peer_state("Global_127_0_0_2") is State.ESTABLISHED
                               and b.peer_state("Global_127_0_0_1") is State.ESTABLISHED, 15, what="both up")
                await wait_for(lambda: net("10.2.0.0/24") in a.loc_rib() and net("10.1.0.0/24") in b.loc_rib(),
                               what="routes")
                await asyncio.sleep(0.3)
                assert a.peer_state("Global_127_0_0_2") is State.ESTABLISHED
                assert all(p._peers[k].candidate is None for p in (a, b) for k in p._peers)

    run(main())


def test_ttl_security_both_sides_and_mismatch():
    port = free_port()

    async def main():
        a_cfg = speaker_config("127.0.0.1", [peer("127.0.0.2", port=port, ttl_security=True),
                                             peer("127.0.0.3", port=port, ttl_security=True)], port)
        gtsm = speaker_config("127.0.0.2", [peer("127.0.0.1", port=port, ttl_security=True)], port,
                              prefixes=[OriginatedRoute(net("10.6.0.0/24"))])
        plain = speaker_config("127.0.0.3", [peer("127.0.0.1", port=port, passive=True)], port)
        async with Speaker(a_cfg) as a, Speaker(gtsm), Speaker(plain) as c:
            await wait_for(lambda: net("10.6.0.0/24") in a.loc_rib(), what="GTSM session")
            # the plain side answers with TTL 64: A's IP_MINTTL 255 drops its SYN-ACK, A's connect times out
            await wait_for(lambda: next(p for p in a.status().peers if p.name == "Global_127_0_0_3").last_error
                           == "Socket: Connection timed out", what="GTSM drops the plain side's packets")
            assert a.peer_state("Global_127_0_0_3") in (State.IDLE, State.CONNECT, State.ACTIVE)
            assert c.peer_state("Global_127_0_0_1") is not State.ESTABLISHED

    run(main())


def test_ipv6_session_over_ipv6_transport():
    require(ipv6_loopback(), "IPv6 on the loopback interface")
    p1, p2 = free_port(), free_port()

    async def main():
        a_cfg = SpeakerConfig(router_id=ipaddress.IPv4Address("1.1.1.1"), asn=65001, listen_address="::1",
                              listen_port=p1, peers=(peer("::1", asn=65002, port=p2),),
                              prefixes=(OriginatedRoute(net("fd00:1::/64")),))
        b_cfg = SpeakerConfig(router_id=ipaddress.IPv4Address("2.2.2.2"), asn=65002, listen_address="::1",
                              listen_port=p2, peers=(peer("::1", asn=65001, port=p1, passive=True),))
        async with Speaker(a_cfg) as a, Speaker(b_cfg) as b:
            await wait_for(lambda: net("fd00:1::/64") in b.loc_rib(V6), what="IPv6 route over IPv6")
            src, attrs = b.loc_rib(V6)[net("fd00:1::/64")]
            assert attrs.next_hop == ip("::1") and attrs.as_path.segments == ((2, (65001,)),)
            st = a.status().peers[0]
            assert (st.family, st.state, st.name) == ("ipv6", "Established", "Global___1")

    run(main())


def test_since_moves_only_when_the_session_goes_up_or_down():
    port = free_port()

    async def main():
        # nobody listens at 127.0.0.9: Connect -> Idle -> Connect ... with "Socket: Connection refused"
        cfg = speaker_config("127.0.0.1", [peer("127.0.0.9", port=port, error_wait_time=1)], port)
        async with Speaker(cfg) as a:
            first = a.status().peers[0]
            await wait_for(lambda: a.status().peers[0].last_error == "Socket: Connection refused", what="refused")
            await asyncio.sleep(1.5)
            later = a.status().peers[0]
            assert later.since == first.since and later.bird_state == "start"
            assert later.state in ("Idle", "Connect", "Active")

    run(main())


def test_md5_for_an_ipv4_peer_on_a_dual_stack_listener():
    require(ipv6_loopback(), "IPv6 sockets (dual-stack listener)")
    p1, p2 = free_port(), free_port()

    async def main():
        # A listens on "::" (IPv4 arrives v4-mapped: the key must be installed as ::ffff:127.0.0.2)
        a_cfg = SpeakerConfig(router_id=ipaddress.IPv4Address("127.0.0.1"), asn=64512, listen_address="::",
                              listen_port=p1, peers=(peer("127.0.0.2", port=p2, password="k", passive=True),))
        b_cfg = speaker_config("127.0.0.2", [peer("127.0.0.1", port=p1, password="k")], p2,
                               prefixes=[OriginatedRoute(net("10.3.0.0/24"))])
        async with Speaker(a_cfg) as a, Speaker(b_cfg):
            await wait_for(lambda: net("10.3.0.0/24") in a.loc_rib(), what="MD5 over the dual-stack listener")

    run(main())
