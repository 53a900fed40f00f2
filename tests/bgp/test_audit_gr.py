"""Audit Q findings (graceful restart, route refresh), on the wire against a scripted fake peer on loopback."""
import asyncio
import contextlib
import dataclasses
import ipaddress
import socket

from node.bgp.attributes import PathAttributes
from node.bgp.capabilities import EnhancedRouteRefresh, GracefulRestart, GracefulRestartFamily
from node.bgp.config import OriginatedRoute, SpeakerConfig
from node.bgp.constants import RouteRefreshType
from node.bgp.fsm import State
from node.bgp.message import (
    KEEPALIVE_BYTES, Notification, Open, RouteRefresh as RouteRefreshMsg, Update, decode_body, end_of_rib, pack_updates, split_messages,
)
from node.bgp.negotiate import Negotiated
from node.bgp.speaker import Speaker

from tests.bgp.test_session import GOOD_CAPS, FakePeer, config, deferral_configs, free_port

PEER = "Global_127_0_0_2"
OLD = ipaddress.ip_network("10.77.0.0/16")
NEW = ipaddress.ip_network("10.78.0.0/16")


def _gr(restarting: bool) -> GracefulRestart:
    return GracefulRestart(120, restarting=restarting, families=(GracefulRestartFamily(1, 1, True),))


def _update(net: ipaddress.IPv4Network) -> bytes:
    attrs = PathAttributes(next_hop=ipaddress.IPv4Address("127.0.0.2"), local_pref=100)
    return b"".join(pack_updates((1, 1), [(int(net.network_address), net.prefixlen)], attrs, Negotiated()))


async def _until(pred, timeout=5.0):
    async with asyncio.timeout(timeout):
        while not pred():
            await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def _established_with_old_route(cfg: SpeakerConfig):
    """Our speaker (``cfg``) Established with a graceful-restart-capable fake peer on 127.0.0.2 that
    has sent OLD, which is in our Loc-RIB; yields (speaker, fake peer)."""
    fake = FakePeer(Open.build(64512, 90, "127.0.0.2", GOOD_CAPS + (_gr(False),)))
    server = await asyncio.start_server(fake.serve, "127.0.0.2", cfg.listen_port)
    try:
        async with Speaker(cfg) as speaker:
            await fake.wait_for(lambda m: isinstance(m, Open))
            fake.writer.write(KEEPALIVE_BYTES + _update(OLD))
            await _until(lambda: OLD in speaker.loc_rib())
            yield speaker, fake
    finally:
        server.close()


async def _second_connection(port: int) -> tuple["_Conn", asyncio.StreamWriter]:
    """A new connection to our speaker from the peer's address."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=("127.0.0.2", 0))
    return _Conn(reader, writer), writer


class _Conn:
    """A second connection from the peer's address, decoding what our speaker sends on it."""

    def __init__(self, reader, writer):
        self.reader, self.writer, self.received, self.buffer = reader, writer, [], b""

    async def wait_for(self, pred, timeout=5.0):
        async with asyncio.timeout(timeout):
            while not any(pred(m) for m in self.received):
                chunk = await self.reader.read(65536)
                assert chunk, f"connection closed by the speaker after {self.received}"
                self.buffer += chunk
                messages, used = split_messages(self.buffer)
                self.buffer = self.buffer[used:]
                self.received += [decode_body(t, b, Negotiated(families=frozenset({(1, 1)}))) for t, b in messages]


def test_new_connection_of_an_established_gr_peer_is_its_restart():
    """Finding 1: the peer reboots, its old connection never closes; its new connection is accepted,
    the old routes stay (stale) until the new session's End-of-RIB, and no NOTIFICATION is sent."""
    port = free_port()
    key = config(port).peers[0].key

    async def main():
        async with _established_with_old_route(config(port)) as (speaker, fake):
            await fake.wait_for(lambda m: isinstance(m, Update) and m.end_of_rib is not None)
            conn, writer = await _second_connection(port)
            writer.write(Open.build(64512, 90, "127.0.0.2", GOOD_CAPS + (_gr(True),)).encode())
            await conn.wait_for(lambda m: isinstance(m, Open))
            writer.write(KEEPALIVE_BYTES)
            await _until(lambda: speaker.peer_state(PEER) is State.ESTABLISHED)
            await conn.wait_for(lambda m: isinstance(m, Update) and m.end_of_rib == (1, 1))
            assert not any(isinstance(m, Notification) for m in fake.received + conn.received)
            assert OLD in speaker.loc_rib() and speaker.rib.stale_count(key) == 1
            assert speaker.status().peers[0].state == "Established"

            writer.write(_update(NEW))
            await _until(lambda: NEW in speaker.loc_rib())
            assert OLD in speaker.loc_rib(), "stale routes must survive until End-of-RIB"
            writer.write(end_of_rib((1, 1), Negotiated()))
            await _until(lambda: OLD not in speaker.loc_rib())
            assert NEW in speaker.loc_rib()
            writer.close()

    asyncio.run(asyncio.wait_for(main(), 20))


def _refresh_run(peer_caps, body):
    port = free_port()

    async def main():
        fake = FakePeer(Open.build(64512, 90, "127.0.0.2", GOOD_CAPS + peer_caps))
        server = await asyncio.start_server(fake.serve, "127.0.0.2", port)
        try:
            async with Speaker(config(port, [OriginatedRoute(ipaddress.ip_network("10.1.0.0/24"))])) as speaker:
                await fake.wait_for(lambda m: isinstance(m, Open))
                fake.writer.write(KEEPALIVE_BYTES)
                await fake.wait_for(lambda m: isinstance(m, Update) and m.end_of_rib == (1, 1))
                await body(speaker, fake)
        finally:
            server.close()

    asyncio.run(asyncio.wait_for(main(), 20))


def _eors(fake):
    return sum(1 for m in fake.received if isinstance(m, Update) and m.end_of_rib == (1, 1))


def test_borr_and_eorr_are_not_refresh_requests():
    """Finding 4: BoRR/EoRR from a peer without enhanced route refresh are ignored; only subtype 0
    makes us resend the table. Messages are handled in order: once the UPDATE sent after them is in
    the Loc-RIB, every answer is written, and our own ROUTE-REFRESH request follows them all."""
    async def body(speaker, fake):
        fake.writer.write(RouteRefreshMsg(1, 1, RouteRefreshType.BEGIN_OF_RIB).encode()
                          + RouteRefreshMsg(1, 1, RouteRefreshType.END_OF_RIB).encode()
                          + RouteRefreshMsg(1, 1).encode() + _update(NEW))
        await _until(lambda: NEW in speaker.loc_rib())
        speaker.request_refresh(PEER)
        await fake.wait_for(lambda m: isinstance(m, RouteRefreshMsg))
        assert _eors(fake) == 2
        assert [m for m in fake.received if isinstance(m, RouteRefreshMsg)] == [RouteRefreshMsg(1, 1)]
        assert speaker.peer_state(PEER) is State.ESTABLISHED

    _refresh_run((), body)


def test_enhanced_route_refresh_answer_is_bracketed_by_borr_and_eorr():
    """We advertise capability 70; with a peer that does too, a request gets BoRR, table, EoRR."""
    async def body(speaker, fake):
        ours = next(m for m in fake.received if isinstance(m, Open))
        assert any(isinstance(c, EnhancedRouteRefresh) for c in ours.capabilities)
        assert speaker.negotiated(PEER).enhanced_route_refresh
        fake.received.clear()
        fake.writer.write(RouteRefreshMsg(1, 1).encode())
        await fake.wait_for(lambda m: m == RouteRefreshMsg(1, 1, RouteRefreshType.END_OF_RIB))
        kinds = [(type(m).__name__, getattr(m, "subtype", None)) for m in fake.received]
        assert kinds == [("RouteRefresh", 1), ("Update", None), ("RouteRefresh", 2)]
        assert fake.received[1].nlri == ((0x0A010000, 24),) and _eors(fake) == 0

    _refresh_run((EnhancedRouteRefresh(),), body)


def test_peer_enhanced_refresh_withdraws_what_it_did_not_repeat():
    """RFC 7313 §4: routes of the peer not re-advertised between its BoRR and EoRR are removed."""
    async def body(speaker, fake):
        fake.writer.write(_update(OLD) + _update(NEW))
        await _until(lambda: OLD in speaker.loc_rib() and NEW in speaker.loc_rib())
        fake.writer.write(RouteRefreshMsg(1, 1, RouteRefreshType.BEGIN_OF_RIB).encode() + _update(NEW)
                          + RouteRefreshMsg(1, 1, RouteRefreshType.END_OF_RIB).encode())
        await _until(lambda: OLD not in speaker.loc_rib())
        assert NEW in speaker.loc_rib()

    _refresh_run((EnhancedRouteRefresh(),), body)


def test_restarting_speaker_publishes_only_the_final_choice_after_deferral():
    """Finding 7: during selection deferral (RFC 4724 §4.1) a route programmer sees nothing; when the
    last End-of-RIB is in it gets one change per prefix, the final best path (no interim churn).
    The deferred initial table ends with End-of-RIB even with enhanced route refresh negotiated."""
    port = free_port()
    learned = ipaddress.ip_network("10.88.0.0/16")
    worse = PathAttributes(next_hop=ipaddress.IPv4Address("127.0.0.2"), local_pref=50)

    async def main():
        fake = FakePeer(Open.build(64512, 90, "127.0.0.2", GOOD_CAPS + (GracefulRestart(120), EnhancedRouteRefresh())))
        server = await asyncio.start_server(fake.serve, "127.0.0.2", port)
        cfg, other = deferral_configs(port, learned)
        try:
            async with Speaker(cfg, restarting=True) as speaker:
                published = []
                speaker.subscribe(published.append)
                await fake.wait_for(lambda m: isinstance(m, Open))
                fake.writer.write(KEEPALIVE_BYTES + b"".join(pack_updates(
                    (1, 1), [(int(learned.network_address), 16)], worse, Negotiated()))
                    + end_of_rib((1, 1), Negotiated()))
                await _until(lambda: learned in speaker.loc_rib())
                assert published == [], "nothing is published while selection is deferred"
                async with Speaker(other):
                    await fake.wait_for(lambda m: isinstance(m, Update) and m.end_of_rib == (1, 1))
                    assert not any(isinstance(m, RouteRefreshMsg) for m in fake.received)
                    flat = [(p, c.attrs.local_pref, str(c.source.address)) for c in published for p in c.prefixes]
                    assert flat == [((int(learned.network_address), 16), 100, "127.0.0.3")]
        finally:
            server.close()

    asyncio.run(asyncio.wait_for(main(), 30))


def test_stale_routes_after_the_restart_wait_for_our_stale_path_time_not_the_peers_restart_time():
    """Finding 8: the peer is back (F bit set, restart time 120 s) but never sends End-of-RIB; its
    stale routes go when our stale_path_time (1 s here) runs out."""
    port = free_port()
    cfg = dataclasses.replace(config(port), stale_path_time=1)

    async def main():
        async with _established_with_old_route(cfg) as (speaker, _):
            conn, writer = await _second_connection(port)
            writer.write(Open.build(64512, 90, "127.0.0.2", GOOD_CAPS + (_gr(True),)).encode() + KEEPALIVE_BYTES)
            await conn.wait_for(lambda m: isinstance(m, Update) and m.end_of_rib == (1, 1))
            assert OLD in speaker.loc_rib() and speaker.rib.stale_count(cfg.peers[0].key) == 1
            await _until(lambda: OLD not in speaker.loc_rib(), timeout=4)
            assert speaker.peer_state(PEER) is State.ESTABLISHED
            writer.close()

    asyncio.run(asyncio.wait_for(main(), 20))


def test_our_own_late_connection_is_not_taken_for_a_peer_restart():
    """Only an incoming connection can be the GR peer's restart: our own connect attempt completing
    after the session is Established (SessionHost.extra_connection) is refused, the session stays."""
    port = free_port()
    key = config(port).peers[0].key

    async def main():
        async with _established_with_old_route(config(port)) as (speaker, _):
            main_session = next(iter(speaker._peers.values())).main
            ours, theirs = socket.socketpair()
            reader, writer = await asyncio.open_connection(sock=ours)
            their_reader, their_writer = await asyncio.open_connection(sock=theirs)
            speaker.extra_connection(main_session, reader, writer)
            data = await asyncio.wait_for(their_reader.read(), 5)  # refused: Cease 6/7, then closed
            assert [decode_body(t, b, Negotiated()) for t, b in split_messages(data)[0]] == [Notification(6, 7)]
            their_writer.close()
            assert next(iter(speaker._peers.values())).main is main_session
            assert speaker.peer_state(PEER) is State.ESTABLISHED and speaker.rib.stale_count(key) == 0

    asyncio.run(asyncio.wait_for(main(), 20))


def test_new_connection_without_the_restart_bit_is_a_collision_not_a_restart():
    """A GR peer's second connection whose OPEN has no Restart State bit (a late collision, e.g. BIRD
    with both sides active) gets Cease 6/7; the Established session and its routes are untouched."""
    port = free_port()
    key = config(port).peers[0].key

    async def main():
        async with _established_with_old_route(config(port)) as (speaker, fake):
            main_session = next(iter(speaker._peers.values())).main
            conn, writer = await _second_connection(port)
            writer.write(Open.build(64512, 90, "127.0.0.2", GOOD_CAPS + (_gr(False),)).encode())
            await conn.wait_for(lambda m: isinstance(m, Notification))
            assert [m for m in conn.received if isinstance(m, Notification)] == [Notification(6, 7)]
            assert next(iter(speaker._peers.values())).main is main_session
            assert speaker.peer_state(PEER) is State.ESTABLISHED and speaker.rib.stale_count(key) == 0
            assert not any(isinstance(m, Notification) for m in fake.received)
            writer.close()

    asyncio.run(asyncio.wait_for(main(), 20))
