"""Both sides active, their OPENs cross (the BIRD both-active flap with graceful restart): the peer's
OPEN on one connection arrives while our other connection to it still waits in OpenSent.

The peer's BGP identifier is known from that OPEN, so the collision is settled at once (RFC 4271
§6.8 allows examining OpenSent connections when the identifier is known): the losing connection
gets Cease 6/7 and never a KEEPALIVE. A KEEPALIVE there would let the peer reach Established on
the connection we are about to dump; BIRD then refuses the other one as a collision with an
Established session, and both connections die.
"""
import asyncio

from node.bgp.fsm import State
from node.bgp.message import KEEPALIVE_BYTES, Keepalive, Notification, Open
from node.bgp.speaker import Speaker

from tests.bgp.test_audit_collision import PEER, _incoming, _read_messages, _until
from tests.bgp.test_session import GOOD_CAPS, config, free_port


def _crossing(peer_id: str, body):
    """Our outgoing connection reaches a peer that holds its OPEN back; the peer's own connection
    to us is open too (our OPEN sent on it, the peer's not yet). ``body`` scripts both connections."""
    port = free_port()

    async def main():
        accepted: asyncio.Queue = asyncio.Queue()

        async def held(reader, writer):
            await accepted.put((reader, writer))
            await asyncio.Event().wait()

        server = await asyncio.start_server(held, "127.0.0.2", port)
        try:
            async with Speaker(config(port)) as speaker:
                ours = await asyncio.wait_for(accepted.get(), 5)
                assert isinstance((await _read_messages(ours[0], 1))[0], Open)
                peer = next(iter(speaker._peers.values()))
                assert peer.main.state is State.OPENSENT and peer.main.outgoing
                theirs = await _incoming(port)
                assert isinstance((await _read_messages(theirs[0], 1))[0], Open)
                await _until(lambda: peer.candidate is not None and peer.candidate.state is State.OPENSENT)
                await body(speaker, peer, ours, theirs, Open.build(64512, 90, peer_id, GOOD_CAPS).encode())
                for _, writer in (ours, theirs):
                    writer.close()
        finally:
            server.close()

    asyncio.run(asyncio.wait_for(main(), 20))


def test_peer_with_higher_id_answering_our_connection_first_gets_no_keepalive_there():
    """The peer (127.0.0.2) outranks us: its own connection is the one to keep, so its OPEN on our
    connection is answered with Cease 6/7 alone, and its connection becomes the session."""
    async def body(speaker, peer, ours, theirs, open_bytes):
        ours[1].write(open_bytes)
        assert await _read_messages(ours[0], 1) == [Notification(6, 7)], "no KEEPALIVE before the Cease"
        theirs[1].write(open_bytes + KEEPALIVE_BYTES)
        assert (await _read_messages(theirs[0], 1))[0] == Keepalive()
        await _until(lambda: speaker.peer_state(PEER) is State.ESTABLISHED)
        assert not peer.main.outgoing and peer.candidate is None

    _crossing("127.0.0.2", body)


def test_peer_with_lower_id_answering_our_connection_first_loses_its_own_at_once():
    """We (127.0.0.1) outrank the peer (126.0.0.9): our connection is kept, the peer's own one gets
    Cease 6/7 without a KEEPALIVE, and ours goes on to Established."""
    async def body(speaker, peer, ours, theirs, open_bytes):
        ours[1].write(open_bytes)
        assert await _read_messages(theirs[0], 1) == [Notification(6, 7)], "no KEEPALIVE before the Cease"
        assert (await _read_messages(ours[0], 1))[0] == Keepalive()
        ours[1].write(KEEPALIVE_BYTES)
        await _until(lambda: speaker.peer_state(PEER) is State.ESTABLISHED)
        assert peer.main.outgoing and peer.candidate is None

    _crossing("126.0.0.9", body)
