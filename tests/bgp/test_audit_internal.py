"""Audit Q finding 12: a bug of ours inside a session (reader path or timer callback) stops that
session with a Cease and keeps nothing as stale (it is not mistaken for a peer restart); an identity
change withdraws the old local routes for subscribers."""
import asyncio
import ipaddress

from node.bgp.attributes import PathAttributes
from node.bgp.capabilities import GracefulRestart, GracefulRestartFamily
from node.bgp.fsm import State, Timer
from node.bgp.message import KEEPALIVE_BYTES, Notification, Open, pack_updates
from node.bgp.negotiate import Negotiated
from node.bgp.speaker import Speaker

from tests.bgp.test_session import GOOD_CAPS, FakePeer, config, free_port

PEER = "Global_127_0_0_2"
NET = ipaddress.ip_network("10.77.0.0/16")
GR = GracefulRestart(120, families=(GracefulRestartFamily(1, 1, True),))


class _Boom(Exception):
    pass


def _run(trigger):
    port = free_port()
    key = config(port).peers[0].key

    async def main():
        fake = FakePeer(Open.build(64512, 90, "127.0.0.2", GOOD_CAPS + (GR,)))
        server = await asyncio.start_server(fake.serve, "127.0.0.2", port)
        try:
            async with Speaker(config(port)) as speaker:
                await fake.wait_for(lambda m: isinstance(m, Open))
                fake.writer.write(KEEPALIVE_BYTES + b"".join(pack_updates(
                    (1, 1), [(int(NET.network_address), 16)],
                    PathAttributes(next_hop=ipaddress.IPv4Address("127.0.0.2"), local_pref=100), Negotiated())))
                async with asyncio.timeout(5):
                    while NET not in speaker.loc_rib():
                        await asyncio.sleep(0.01)
                await trigger(speaker, fake)
                await fake.wait_for(lambda m: isinstance(m, Notification))
                note = next(m for m in fake.received if isinstance(m, Notification))
                assert (note.code, note.subcode) == (6, 2)
                assert speaker.peer_state(PEER) is not State.ESTABLISHED
                assert speaker.status().peers[0].last_error == "Error: boom"
                assert NET not in speaker.loc_rib() and speaker.rib.stale_count(key) == 0
        finally:
            server.close()

    asyncio.run(asyncio.wait_for(main(), 20))


def test_exception_in_the_reader_path_is_an_automatic_stop_not_a_restart():
    async def trigger(speaker, fake):
        def boom(session, update):
            raise _Boom("boom")
        speaker.update_received = boom
        fake.writer.write(b"".join(pack_updates((1, 1), [(0x0A630000, 16)],
                                                PathAttributes(next_hop=ipaddress.IPv4Address("127.0.0.2")),
                                                Negotiated())))

    _run(trigger)


def test_exception_in_a_timer_callback_is_an_automatic_stop():
    async def trigger(speaker, fake):
        session = next(iter(speaker._peers.values())).main

        def boom(timer):
            raise _Boom("boom")
        session._on_timer = boom
        asyncio.get_running_loop().call_soon(session._timer_fired, Timer.KEEPALIVE)

    _run(trigger)


def test_identity_change_withdraws_old_local_routes_for_subscribers():
    """Finding 12: a router id change rebuilds the RIB; subscribers must hear that the old locally
    originated prefixes are gone before the new ones arrive."""
    from node.bgp.config import OriginatedRoute, SpeakerConfig

    old_net, new_net = ipaddress.ip_network("10.1.0.0/24"), ipaddress.ip_network("10.2.0.0/24")

    async def main():
        base = SpeakerConfig(router_id=ipaddress.IPv4Address("127.0.0.1"), asn=64512, listen_address=None,
                             prefixes=(OriginatedRoute(old_net),))
        async with Speaker(base) as speaker:
            published = []
            speaker.subscribe(published.append)
            await speaker.apply(SpeakerConfig(router_id=ipaddress.IPv4Address("127.0.0.9"), asn=64512,
                                              listen_address=None, prefixes=(OriginatedRoute(new_net),)))
            flat = [(p, c.attrs is not None) for c in published for p in c.prefixes]
            assert flat == [((int(old_net.network_address), 24), False), ((int(new_net.network_address), 24), True)]
            assert set(speaker.loc_rib()) == {new_net}

    asyncio.run(asyncio.wait_for(main(), 10))
