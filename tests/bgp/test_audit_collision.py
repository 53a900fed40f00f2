"""Audit Q finding 5: connection collisions (RFC 4271 §6.8) forced deterministically against scripted
peers on loopback, and a collision connection that closes without a NOTIFICATION."""
import asyncio

from node.bgp.fsm import State
from node.bgp.message import KEEPALIVE_BYTES, Keepalive, Notification, Open, decode_body, split_messages
from node.bgp.negotiate import Negotiated
from node.bgp.speaker import Speaker

from tests.bgp.test_session import GOOD_CAPS, FakePeer, config, free_port

PEER = "Global_127_0_0_2"


async def _until(pred, timeout=5.0):
    async with asyncio.timeout(timeout):
        while not pred():
            await asyncio.sleep(0.01)


async def _read_messages(reader, count, timeout=5.0):
    """The first ``count`` messages our speaker sends on a connection (fewer if it closes)."""
    buffer, out = b"", []
    async with asyncio.timeout(timeout):
        while len(out) < count:
            chunk = await reader.read(65536)
            if not chunk:
                break
            buffer += chunk
            messages, used = split_messages(buffer)
            buffer = buffer[used:]
            out += [decode_body(t, b, Negotiated()) for t, b in messages]
    return out


async def _incoming(port):
    return await asyncio.open_connection("127.0.0.1", port, local_addr=("127.0.0.2", 0))


def _with_silent_peer(body):
    """Our speaker connects to a peer that accepts and never answers: main stays in OpenSent."""
    port = free_port()

    async def main():
        async def silent(reader, writer):
            await reader.read()

        server = await asyncio.start_server(silent, "127.0.0.2", port)
        try:
            async with Speaker(config(port)) as speaker:
                peer = next(iter(speaker._peers.values()))
                await _until(lambda: peer.main.state is State.OPENSENT)
                await body(speaker, peer, port)
        finally:
            server.close()

    asyncio.run(asyncio.wait_for(main(), 20))


def test_collision_candidate_closed_without_notification_is_retired():
    async def body(speaker, peer, port):
        reader, writer = await _incoming(port)
        assert isinstance((await _read_messages(reader, 1))[0], Open)
        candidate = peer.candidate
        assert candidate is not None and candidate.state is State.OPENSENT
        writer.transport.abort()
        await _until(lambda: peer.candidate is None)
        assert candidate.state is State.ACTIVE and not candidate._timers and candidate._connect_task is None
        reader, writer = await _incoming(port)
        assert isinstance((await _read_messages(reader, 1))[0], Open), "the next connection must be served"
        assert peer.candidate is not None and peer.candidate is not candidate
        writer.close()

    _with_silent_peer(body)


def test_collision_lower_router_id_keeps_the_remote_initiated_connection():
    """Both connections reach OpenSent; our id 127.0.0.1 is lower than the peer's, so our own
    outgoing connection is closed with Cease 6/7 as soon as the peer's OPEN arrives on its
    connection (the identifier is known then) and the incoming one becomes Established."""
    port = free_port()

    async def main():
        fake = FakePeer(Open.build(64512, 90, "127.0.0.2", GOOD_CAPS))
        hold = asyncio.Event()
        serve = fake.serve

        async def delayed(reader, writer):
            await hold.wait()  # our outgoing connection waits in OpenSent for the peer's OPEN
            await serve(reader, writer)

        server = await asyncio.start_server(delayed, "127.0.0.2", port)
        try:
            async with Speaker(config(port)) as speaker:
                peer = next(iter(speaker._peers.values()))
                await _until(lambda: peer.main.state is State.OPENSENT)
                outgoing = peer.main
                reader, writer = await _incoming(port)
                writer.write(Open.build(64512, 90, "127.0.0.2", GOOD_CAPS).encode())
                got = await _read_messages(reader, 2)
                assert isinstance(got[0], Open) and isinstance(got[1], Keepalive)
                assert peer.main is not outgoing and peer.candidate is None
                assert peer.main.state is State.OPENCONFIRM and outgoing.state is State.IDLE
                hold.set()
                await fake.wait_for(lambda m: isinstance(m, Notification))
                note = next(m for m in fake.received if isinstance(m, Notification))
                assert (note.code, note.subcode) == (6, 7)
                writer.write(KEEPALIVE_BYTES)
                await _until(lambda: speaker.peer_state(PEER) is State.ESTABLISHED)
                assert peer.main is not outgoing and peer.candidate is None and not peer.main.outgoing
                writer.close()
        finally:
            server.close()

    asyncio.run(asyncio.wait_for(main(), 20))
