"""Speaker.apply reconciliation: peer changes, identity changes, listener moves, originated prefixes,
and the bounded change queue's RESYNC on overflow."""
import asyncio
import dataclasses
import ipaddress
import socket

from node.bgp.config import OriginatedRoute, PeerConfig, SpeakerConfig
from node.bgp.fsm import State
from node.bgp.speaker import RESYNC, Speaker


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_for(cond, timeout=8.0, what="condition"):
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def cfg(me, peers, port, prefixes=(), router_id=None):
    return SpeakerConfig(router_id=ipaddress.IPv4Address(router_id or me), asn=64512, listen_address=me,
                         listen_port=port, peers=tuple(peers), prefixes=tuple(prefixes))


def peer(addr, port, **kw):
    kw.setdefault("passive", False)
    return PeerConfig(ipaddress.ip_address(addr), 64512, port=port, connect_retry_time=1, error_wait_time=1, **kw)


def net(text):
    return ipaddress.ip_network(text)


def test_peer_change_identity_change_and_prefix_reconcile():
    port = free_port()

    async def main():
        a_cfg = cfg("127.0.0.1", [peer("127.0.0.2", port, passive=True)], port,
                    prefixes=[OriginatedRoute(net("10.1.0.0/24"))])
        b_cfg = cfg("127.0.0.2", [peer("127.0.0.1", port)], port)
        async with Speaker(a_cfg) as a, Speaker(b_cfg) as b:
            await wait_for(lambda: net("10.1.0.0/24") in b.loc_rib(), what="initial route")
            # a changed peer (hold time) is restarted with Cease "Other configuration change"
            changed = dataclasses.replace(a_cfg, peers=(dataclasses.replace(a_cfg.peers[0], hold_time=60),))
            await a.apply(changed)
            await wait_for(lambda: b.status().peers[0].last_error == "Received: Other configuration change",
                           what="config-change Cease")
            await wait_for(lambda: b.negotiated("Global_127_0_0_1") is not None
                           and b.negotiated("Global_127_0_0_1").hold_time == 60, what="renegotiated hold time")
            # an unchanged apply keeps the session; prefixes are reconciled (one added, one removed)
            since = b.status().peers[0].since
            await a.apply(dataclasses.replace(changed, prefixes=(OriginatedRoute(net("10.2.0.0/24")),)))
            await wait_for(lambda: net("10.2.0.0/24") in b.loc_rib() and net("10.1.0.0/24") not in b.loc_rib(),
                           what="prefix reconcile")
            assert b.status().peers[0].since == since and b.peer_state("Global_127_0_0_1") is State.ESTABLISHED
            # a router id change restarts every session; the peer sees the new BGP identifier
            await a.apply(dataclasses.replace(changed, router_id=ipaddress.IPv4Address("9.9.9.9"),
                                              prefixes=(OriginatedRoute(net("10.2.0.0/24")),)))
            await wait_for(lambda: b.loc_rib().get(net("10.2.0.0/24"), (None,))[0] is not None
                           and b.loc_rib()[net("10.2.0.0/24")][0].router_id == ipaddress.IPv4Address("9.9.9.9"),
                           what="new router id")

    asyncio.run(asyncio.wait_for(main(), 40))


def test_listener_moves_to_a_new_port():
    port, port2 = free_port(), free_port()

    async def main():
        a_cfg = cfg("127.0.0.1", [peer("127.0.0.2", port, passive=True)], port)
        async with Speaker(a_cfg) as a:
            await a.apply(dataclasses.replace(a_cfg, listen_port=port2,
                                              peers=(peer("127.0.0.2", port2, passive=True),)))
            with socket.socket() as probe:
                assert probe.connect_ex(("127.0.0.1", port)) != 0
            b_cfg = cfg("127.0.0.2", [peer("127.0.0.1", port2)], port2)
            async with Speaker(b_cfg):
                await wait_for(lambda: a.peer_state("Global_127_0_0_2") is State.ESTABLISHED, what="new port")

    asyncio.run(asyncio.wait_for(main(), 20))


def test_change_queue_overflow_yields_resync():
    port = free_port()

    async def main():
        a_cfg = cfg("127.0.0.1", [], port)
        async with Speaker(a_cfg) as a:
            stream = a.changes(maxsize=2)
            first = asyncio.ensure_future(anext(stream))
            await asyncio.sleep(0)
            for i in range(4):
                await a.apply(dataclasses.replace(a_cfg, prefixes=(OriginatedRoute(net(f"10.{i}.0.0/24")),)))
            # 7 changes into a queue of 2: the consumer is told to re-read the Loc-RIB instead
            assert await asyncio.wait_for(first, 2) == RESYNC
            await stream.aclose()
            assert net("10.3.0.0/24") in a.loc_rib() and len(a.loc_rib()) == 1

    asyncio.run(asyncio.wait_for(main(), 20))


def test_removing_a_peer_withdraws_its_routes_from_the_others():
    port = free_port()

    async def main():
        def ebgp(addr, asn):
            return PeerConfig(ipaddress.ip_address(addr), asn, port=port, connect_retry_time=1, error_wait_time=1)

        a_cfg = SpeakerConfig(router_id=ipaddress.IPv4Address("127.0.0.1"), asn=64512, listen_address="127.0.0.1",
                              listen_port=port, peers=(ebgp("127.0.0.2", 65001), ebgp("127.0.0.3", 65002)))
        b_cfg = SpeakerConfig(router_id=ipaddress.IPv4Address("127.0.0.2"), asn=65001, listen_address="127.0.0.2",
                              listen_port=port, peers=(ebgp("127.0.0.1", 64512),),
                              prefixes=(OriginatedRoute(net("10.50.0.0/24")),))
        c_cfg = SpeakerConfig(router_id=ipaddress.IPv4Address("127.0.0.3"), asn=65002, listen_address="127.0.0.3",
                              listen_port=port, peers=(ebgp("127.0.0.1", 64512),))
        async with Speaker(a_cfg) as a, Speaker(b_cfg), Speaker(c_cfg) as c:
            await wait_for(lambda: net("10.50.0.0/24") in c.loc_rib(), what="B's route via A")
            assert c.loc_rib()[net("10.50.0.0/24")][1].as_path.segments == ((2, (64512, 65001)),)
            await a.apply(dataclasses.replace(a_cfg, peers=a_cfg.peers[1:]))
            await wait_for(lambda: net("10.50.0.0/24") not in c.loc_rib(), what="withdrawn after peer removal")

    asyncio.run(asyncio.wait_for(main(), 30))
