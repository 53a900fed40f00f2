"""Session behaviour on the wire, against a scripted fake peer on loopback: OPEN checks and their
NOTIFICATIONs, KEEPALIVE/UPDATE handling, ROUTE-REFRESH answers, End-of-RIB and error texts."""
import asyncio
import ipaddress
import socket

import pytest

from node.bgp.capabilities import FourOctetAs, GracefulRestart, Multiprotocol, RouteRefresh
from node.bgp.config import OriginatedRoute, PeerConfig, SpeakerConfig
from node.bgp.fsm import State
from node.bgp.message import (
    KEEPALIVE_BYTES, Notification, Open, RouteRefresh as RouteRefreshMsg, Update, decode_body, split_messages,
)
from node.bgp.negotiate import Negotiated
from node.bgp.session import error_text
from node.bgp.speaker import Speaker


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakePeer:
    """A scripted BGP peer at 127.0.0.2 that our speaker (127.0.0.1) connects to."""

    def __init__(self, open_msg: Open):
        self.open_msg = open_msg
        self.received: list = []
        self.arrived = asyncio.Condition()
        self.writer = None

    async def serve(self, reader, writer):
        self.writer = writer
        writer.write(self.open_msg.encode())
        buffer = b""
        neg = Negotiated(families=frozenset({(1, 1), (2, 1)}))
        while chunk := await reader.read(65536):
            buffer += chunk
            messages, used = split_messages(buffer)
            buffer = buffer[used:]
            async with self.arrived:
                for msg_type, body in messages:
                    self.received.append(decode_body(msg_type, body, neg))
                self.arrived.notify_all()

    async def wait_for(self, pred, timeout=5.0):
        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(lambda: any(pred(m) for m in self.received)), timeout)


def config(port, prefixes=(), **peer_kw):
    peer_kw.setdefault("connect_retry_time", 1)
    return SpeakerConfig(router_id=ipaddress.IPv4Address("127.0.0.1"), asn=64512, listen_address="127.0.0.1",
                         listen_port=port, peers=(PeerConfig(ipaddress.ip_address("127.0.0.2"), 64512, port=port,
                                                             **peer_kw),),
                         prefixes=tuple(prefixes), graceful_restart_time=120)


def deferral_configs(port, learned, rr_client=False):
    """For selection-deferral tests: our config with the fake peer 127.0.0.2 and a passive peer
    127.0.0.3 (an RR client if asked), and the config of a second speaker on 127.0.0.3 originating
    ``learned`` towards us."""
    peers = (PeerConfig(ipaddress.ip_address("127.0.0.2"), 64512, port=port, connect_retry_time=1),
             PeerConfig(ipaddress.ip_address("127.0.0.3"), 64512, port=port, connect_retry_time=1,
                        rr_client=rr_client, passive=True))
    ours = SpeakerConfig(router_id=ipaddress.IPv4Address("127.0.0.1"), asn=64512, listen_address="127.0.0.1",
                         listen_port=port, peers=peers, graceful_restart_time=30)
    other = SpeakerConfig(router_id=ipaddress.IPv4Address("127.0.0.3"), asn=64512, listen_address="127.0.0.3",
                          listen_port=port, prefixes=(OriginatedRoute(learned),),
                          peers=(PeerConfig(ipaddress.ip_address("127.0.0.1"), 64512, port=port,
                                            connect_retry_time=1),))
    return ours, other


def run_with_fake(open_msg, body, prefixes=(), **peer_kw):
    port = free_port()

    async def main():
        fake = FakePeer(open_msg)
        server = await asyncio.start_server(fake.serve, "127.0.0.2", port)
        try:
            async with Speaker(config(port, prefixes, **peer_kw)) as speaker:
                await body(speaker, fake)
        finally:
            server.close()

    asyncio.run(asyncio.wait_for(main(), 20))


GOOD_CAPS = (Multiprotocol(1, 1), RouteRefresh(), FourOctetAs(64512))


def test_wrong_peer_as_gets_open_error_bad_peer_as():
    async def body(speaker, fake):
        await fake.wait_for(lambda m: isinstance(m, Notification))
        note = next(m for m in fake.received if isinstance(m, Notification))
        assert (note.code, note.subcode) == (2, 2)
        assert speaker.status().peers[0].last_error == "BGP Error: Bad peer AS"
        assert speaker.peer_state("Global_127_0_0_2") is not State.ESTABLISHED

    run_with_fake(Open.build(65001, 90, "127.0.0.2", (FourOctetAs(65001),)), body)


def test_unacceptable_hold_time():
    async def body(speaker, fake):
        await fake.wait_for(lambda m: isinstance(m, Notification))
        note = next(m for m in fake.received if isinstance(m, Notification))
        assert (note.code, note.subcode) == (2, 6)

    run_with_fake(Open.build(64512, 2, "127.0.0.2", GOOD_CAPS), body)


def test_our_open_keepalives_initial_table_and_end_of_rib():
    async def body(speaker, fake):
        await fake.wait_for(lambda m: isinstance(m, Open))
        fake.writer.write(KEEPALIVE_BYTES)
        await fake.wait_for(lambda m: isinstance(m, Update) and m.end_of_rib == (1, 1))
        ours = fake.received[0]
        assert isinstance(ours, Open) and ours.asn == 64512 and ours.hold_time == 240
        assert str(ours.router_id) == "127.0.0.1"
        kinds = {type(c) for c in ours.capabilities}
        assert {Multiprotocol, RouteRefresh, FourOctetAs, GracefulRestart} <= kinds
        gr = next(c for c in ours.capabilities if isinstance(c, GracefulRestart))
        assert gr.restart_time == 120 and not gr.restarting
        updates = [m for m in fake.received if isinstance(m, Update)]
        assert updates[0].nlri == ((0x0A010000, 24),) and updates[-1].end_of_rib == (1, 1)
        assert speaker.peer_state("Global_127_0_0_2") is State.ESTABLISHED

    run_with_fake(Open.build(64512, 90, "127.0.0.2", GOOD_CAPS), body,
                  prefixes=[OriginatedRoute(ipaddress.ip_network("10.1.0.0/24"))])


def test_route_refresh_is_answered_with_table_and_end_of_rib():
    async def body(speaker, fake):
        await fake.wait_for(lambda m: isinstance(m, Open))
        fake.writer.write(KEEPALIVE_BYTES)
        is_eor = lambda m: isinstance(m, Update) and m.end_of_rib == (1, 1)
        await fake.wait_for(is_eor)
        fake.received.clear()
        fake.writer.write(RouteRefreshMsg(1, 1).encode())
        await fake.wait_for(is_eor)
        updates = [m for m in fake.received if isinstance(m, Update)]
        assert updates[0].nlri == ((0x0A010000, 24),)

    run_with_fake(Open.build(64512, 90, "127.0.0.2", GOOD_CAPS), body,
                  prefixes=[OriginatedRoute(ipaddress.ip_network("10.1.0.0/24"))])


def test_update_before_keepalive_is_an_fsm_error():
    async def body(speaker, fake):
        await fake.wait_for(lambda m: isinstance(m, Open))
        fake.writer.write(Update().encode(Negotiated()))
        await fake.wait_for(lambda m: isinstance(m, Notification))
        note = next(m for m in fake.received if isinstance(m, Notification))
        assert (note.code, note.subcode) == (5, 2)
        assert speaker.status().peers[0].last_error == "BGP Error: Unexpected message in OpenConfirm state"

    run_with_fake(Open.build(64512, 90, "127.0.0.2", GOOD_CAPS), body)


def test_bad_marker_resets_with_header_error():
    async def body(speaker, fake):
        await fake.wait_for(lambda m: isinstance(m, Open))
        fake.writer.write(KEEPALIVE_BYTES)
        await fake.wait_for(lambda m: isinstance(m, Update) and m.end_of_rib is not None)
        # a header whose marker is not all ones: Message Header Error / Connection Not Synchronized
        fake.writer.write(b"\x00" * 16 + b"\x00\x13\x04")
        await fake.wait_for(lambda m: isinstance(m, Notification))
        note = next(m for m in fake.received if isinstance(m, Notification))
        assert (note.code, note.subcode) == (1, 1)
        assert speaker.status().peers[0].last_error == "BGP Error: Connection not synchronized"

    run_with_fake(Open.build(64512, 90, "127.0.0.2", GOOD_CAPS), body)


def test_malformed_update_resets_with_update_error():
    async def body(speaker, fake):
        await fake.wait_for(lambda m: isinstance(m, Open))
        fake.writer.write(KEEPALIVE_BYTES)
        await fake.wait_for(lambda m: isinstance(m, Update) and m.end_of_rib is not None)
        # withdrawn routes length 0x00ff runs past the end of the message: Malformed Attribute List
        fake.writer.write(b"\xff" * 16 + b"\x00\x17\x02" + b"\x00\xff\x00\x00")
        await fake.wait_for(lambda m: isinstance(m, Notification))
        note = next(m for m in fake.received if isinstance(m, Notification))
        assert (note.code, note.subcode) == (3, 1)
        assert speaker.status().peers[0].last_error == "BGP Error: Malformed attribute list"

    run_with_fake(Open.build(64512, 90, "127.0.0.2", GOOD_CAPS), body)


def test_received_cease_is_recorded_not_answered():
    async def body(speaker, fake):
        await fake.wait_for(lambda m: isinstance(m, Open))
        fake.writer.write(KEEPALIVE_BYTES)
        await fake.wait_for(lambda m: isinstance(m, Update) and m.end_of_rib is not None)
        fake.writer.write(Notification.cease(2, "maintenance").encode())
        loop = asyncio.get_running_loop()
        end = loop.time() + 3
        while speaker.status().peers[0].last_error != "Received: Administrative shutdown":
            assert loop.time() < end
            await asyncio.sleep(0.02)
        assert not any(isinstance(m, Notification) for m in fake.received)

    run_with_fake(Open.build(64512, 90, "127.0.0.2", GOOD_CAPS), body)


def test_bird_error_texts():
    assert error_text(4, 0) == "Hold timer expired"
    assert error_text(6, 3) == "Peer de-configured"
    assert error_text(3, 99) == "Invalid UPDATE message"
    assert error_text(42, 1) == "Error 42/1"


@pytest.mark.parametrize("seed", [7, 11, 23, 42])
def test_garbage_after_the_handshake_never_takes_the_speaker_down(seed):
    import random

    rng = random.Random(seed)
    blobs = []
    for _ in range(12):
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 60)))
        msg_type = rng.choice([1, 2, 3, 4, 5, 9])
        length = 19 + len(body) if rng.random() < 0.8 else rng.randrange(0, 5000)
        blobs.append(b"\xff" * 16 + length.to_bytes(2, "big") + bytes((msg_type,)) + body)

    async def body(speaker, fake):
        await fake.wait_for(lambda m: isinstance(m, Open))
        fake.writer.write(KEEPALIVE_BYTES)
        eors = lambda: sum(1 for m in fake.received if isinstance(m, Update) and m.end_of_rib is not None)
        await fake.wait_for(lambda m: eors() == 1)
        fake.writer.write(b"".join(blobs) + RouteRefreshMsg(1, 1).encode())
        # wait until the speaker got through the garbage: either it answered the trailing
        # ROUTE-REFRESH (all of it was RFC 7606-tolerable) or the session was reset
        async with asyncio.timeout(5):
            while eors() < 2 and speaker.peer_state("Global_127_0_0_2") is State.ESTABLISHED:
                await asyncio.sleep(0.01)
        status = speaker.status().peers[0]
        notes = [m for m in fake.received if isinstance(m, Notification)]
        if status.state == "Established":
            assert eors() == 2 and not notes
        else:
            # a reset: our NOTIFICATION with a valid code, or the garbage held a NOTIFICATION to us
            assert notes or status.last_error.startswith("Received: "), status.last_error
            assert all(1 <= n.code <= 7 for n in notes)
            if notes:
                assert status.last_error == f"BGP Error: {error_text(notes[0].code, notes[0].subcode)}"

    run_with_fake(Open.build(64512, 90, "127.0.0.2", GOOD_CAPS), body)


def test_a_peer_that_stops_reading_is_dropped_at_the_write_bound():
    port = free_port()
    routes = tuple(OriginatedRoute(ipaddress.IPv4Network(((10 << 24) | (i << 8), 24))) for i in range(30000))

    async def main():
        async def never_reads(reader, writer):
            # asks for our table again and again (the kernel buffers a few MB) but reads nothing
            writer.write(Open.build(64512, 90, "127.0.0.2", GOOD_CAPS).encode() + KEEPALIVE_BYTES)
            await asyncio.sleep(0.3)
            writer.write(RouteRefreshMsg(1, 1).encode() * 40)
            await asyncio.sleep(30)

        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        listener.bind(("127.0.0.2", port))
        server = await asyncio.start_server(never_reads, sock=listener)
        try:
            async with Speaker(config(port, routes), max_write_buffer=64 << 10) as speaker:
                loop = asyncio.get_running_loop()
                end = loop.time() + 10
                while speaker.status().peers[0].last_error != "Error: Send buffer overflow":
                    assert loop.time() < end, speaker.status().peers[0]
                    await asyncio.sleep(0.05)
                assert speaker.peer_state("Global_127_0_0_2") is not State.ESTABLISHED
        finally:
            server.close()

    asyncio.run(asyncio.wait_for(main(), 30))


def test_updates_arriving_with_the_first_keepalive_are_applied():
    from node.bgp.attributes import PathAttributes
    from node.bgp.message import pack_updates

    attrs = PathAttributes(next_hop=ipaddress.IPv4Address("127.0.0.2"), local_pref=100)
    burst = KEEPALIVE_BYTES + b"".join(pack_updates((1, 1), [((10 << 24) | (9 << 16), 16)], attrs, Negotiated()))

    async def body(speaker, fake):
        await fake.wait_for(lambda m: isinstance(m, Open))
        fake.writer.write(burst)  # KEEPALIVE and an UPDATE in one segment, before our table went out
        await fake.wait_for(lambda m: isinstance(m, Update) and m.end_of_rib is not None)
        loop = asyncio.get_running_loop()
        end = loop.time() + 3
        while ipaddress.ip_network("10.9.0.0/16") not in speaker.loc_rib():
            assert loop.time() < end
            await asyncio.sleep(0.02)
        assert speaker.status().peers[0].prefixes_received == 1

    run_with_fake(Open.build(64512, 90, "127.0.0.2", GOOD_CAPS), body)


def test_speaker_requests_a_route_refresh():
    async def body(speaker, fake):
        await fake.wait_for(lambda m: isinstance(m, Open))
        fake.writer.write(KEEPALIVE_BYTES)
        await fake.wait_for(lambda m: isinstance(m, Update) and m.end_of_rib is not None)
        speaker.request_refresh("Global_127_0_0_2")
        await fake.wait_for(lambda m: isinstance(m, RouteRefreshMsg))
        request = next(m for m in fake.received if isinstance(m, RouteRefreshMsg))
        assert (request.afi, request.safi) == (1, 1)

    run_with_fake(Open.build(64512, 90, "127.0.0.2", GOOD_CAPS), body)


def _gr_helper_run(forwarding_preserved):
    """Fake peer: session 1 announces a prefix then vanishes (no NOTIFICATION); session 2 comes back
    with a GR capability whose F bit is ``forwarding_preserved`` and never sends End-of-RIB. Our
    stale-path time is 1 s: the run fails unless the stale route is gone within 4 s of the reconnect.
    Every step waits for its event (no fixed sleeps)."""
    import dataclasses
    from node.bgp.attributes import PathAttributes
    from node.bgp.capabilities import GracefulRestartFamily
    from node.bgp.message import pack_updates

    port = free_port()
    prefix = ipaddress.ip_network("10.77.0.0/16")
    update = b"".join(pack_updates((1, 1), [((10 << 24) | (77 << 16), 16)],
                                   PathAttributes(next_hop=ipaddress.IPv4Address("127.0.0.2"), local_pref=100),
                                   Negotiated()))
    timeline = {}

    async def until(pred, timeout=5.0):
        async with asyncio.timeout(timeout):
            while not pred():
                await asyncio.sleep(0.01)

    async def main():
        connections = []
        holder = []

        async def serve(reader, writer):
            n = len(connections)
            connections.append(writer)
            if n == 1:
                timeline["during_outage"] = prefix in holder[0].loc_rib()
            gr = GracefulRestart(120, restarting=n > 0,
                                 families=(GracefulRestartFamily(1, 1, forwarding_preserved and n > 0),))
            writer.write(Open.build(64512, 90, "127.0.0.2", GOOD_CAPS + (gr,)).encode() + KEEPALIVE_BYTES
                         + (update if n == 0 else b""))
            if n == 0:
                await until(lambda: prefix in holder[0].loc_rib())
                writer.transport.abort()
                return
            while await reader.read(65536):
                pass

        server = await asyncio.start_server(serve, "127.0.0.2", port)
        try:
            cfg = dataclasses.replace(config(port, error_wait_time=1), stale_path_time=1)
            async with Speaker(cfg) as speaker:
                holder.append(speaker)
                await until(lambda: len(connections) == 2
                            and speaker.peer_state("Global_127_0_0_2") is State.ESTABLISHED, 10)
                timeline["after_reconnect"] = prefix in speaker.loc_rib()
                await until(lambda: prefix not in speaker.loc_rib(), 4)  # swept by the stale-path timer
        finally:
            server.close()

    asyncio.run(asyncio.wait_for(main(), 30))
    return timeline


def test_gr_helper_sweeps_stale_routes_when_the_f_bit_is_clear():
    timeline = _gr_helper_run(forwarding_preserved=False)
    assert timeline["during_outage"] is True and timeline["after_reconnect"] is False


def test_gr_helper_keeps_stale_routes_with_the_f_bit_until_the_stale_path_time():
    timeline = _gr_helper_run(forwarding_preserved=True)
    assert timeline["during_outage"] is True
    assert timeline["after_reconnect"] is True


def test_restarting_speaker_defers_advertising_until_peers_end_of_rib():
    """Restarting (R bit) with two peers: the fake peer gets our table and End-of-RIB only after the
    other peer (one of our speakers, started late) sent its routes and End-of-RIB."""
    port = free_port()
    learned = ipaddress.ip_network("10.88.0.0/16")

    async def main():
        fake = FakePeer(Open.build(64512, 90, "127.0.0.2", GOOD_CAPS + (GracefulRestart(120),)))
        server = await asyncio.start_server(fake.serve, "127.0.0.2", port)
        cfg, other = deferral_configs(port, learned, rr_client=True)
        try:
            async with Speaker(cfg, restarting=True) as speaker:
                await fake.wait_for(lambda m: isinstance(m, Open))
                ours = fake.received[0]
                gr = next(c for c in ours.capabilities if isinstance(c, GracefulRestart))
                assert gr.restarting and all(f.forwarding_preserved for f in gr.families)
                fake.writer.write(KEEPALIVE_BYTES + Update().encode(Negotiated()))  # its End-of-RIB
                await asyncio.sleep(0.5)
                assert not any(isinstance(m, Update) for m in fake.received)  # still deferring
                assert speaker.peer_state("Global_127_0_0_2") is State.ESTABLISHED
                async with Speaker(other):
                    await fake.wait_for(lambda m: isinstance(m, Update) and m.end_of_rib is not None)
                updates = [m for m in fake.received if isinstance(m, Update)]
                assert updates[0].nlri == ((0x0A580000, 16),) and updates[1].end_of_rib == (1, 1)
        finally:
            server.close()

    asyncio.run(asyncio.wait_for(main(), 30))
