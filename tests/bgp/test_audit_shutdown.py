"""Audit Q finding 6: shutdown keeps forwarding state (no withdrawals published to route
programmers), and a graceful stop closes sessions without a NOTIFICATION so a GR peer keeps our
routes as stale; two speakers on loopback."""
from node.bgp.config import OriginatedRoute
from node.bgp.fsm import State
from node.bgp.speaker import Speaker

from tests.bgp.test_speaker import free_port, net, peer, run, speaker_config, wait_for

A_NET, B_NET = net("10.1.0.0/24"), net("10.2.0.0/24")


def _stop_run(graceful: bool, check):
    port = free_port()

    async def main():
        a_cfg = speaker_config("127.0.0.1", [peer("127.0.0.2", port=port)], port, prefixes=[OriginatedRoute(A_NET)])
        b_cfg = speaker_config("127.0.0.2", [peer("127.0.0.1", port=port, passive=True)], port,
                               prefixes=[OriginatedRoute(B_NET)])
        async with Speaker(b_cfg) as b:
            async with Speaker(a_cfg) as a:
                await wait_for(lambda: A_NET in b.loc_rib() and B_NET in a.loc_rib(), what="exchange")
                published = []
                a.subscribe(published.append)
                await a.shutdown(graceful=graceful)
                assert published == [], "a stopping speaker must not tell route programmers to delete routes"
                await wait_for(lambda: b.peer_state("Global_127_0_0_1") is not State.ESTABLISHED, what="B sees A go")
            await check(b, b_cfg.peers[0].key)

    run(main())


def test_graceful_stop_sends_no_notification_and_the_gr_peer_keeps_our_routes():
    async def check(b, key):
        status = b.status().peers[0]
        assert status.last_error == "Socket: Connection closed"
        assert A_NET in b.loc_rib() and b.rib.stale_count(key) == 1

    _stop_run(True, check)


def test_plain_shutdown_sends_cease_and_the_peer_drops_our_routes():
    async def check(b, key):
        assert b.status().peers[0].last_error == "Received: Administrative shutdown"
        await wait_for(lambda: A_NET not in b.loc_rib(), what="B drops A's routes")
        assert b.rib.stale_count(key) == 0

    _stop_run(False, check)
