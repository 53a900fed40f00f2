"""Audit Q finding 10, cases with no test before: a received NOTIFICATION 2/1 (NotifMsgVerErr) is
not answered and ends the attempt; enforce-first-AS on the wire treats the UPDATE as withdraw; MD5
on the passive (listening) side with a matching and a mismatching key."""
import asyncio
import dataclasses
import ipaddress

from node.bgp.attributes import AsPath, PathAttributes
from node.bgp.capabilities import FourOctetAs, Multiprotocol, RouteRefresh
from node.bgp.fsm import State
from node.bgp.message import KEEPALIVE_BYTES, Notification, Open, pack_updates
from node.bgp.negotiate import Negotiated
from node.bgp.speaker import Speaker

from tests.bgp.test_session import FakePeer, config, free_port

PEER = "Global_127_0_0_2"


class _ClosingFake(FakePeer):
    """A FakePeer that records when our speaker closed the connection."""

    def __init__(self, first):
        super().__init__(first)
        self.closed = asyncio.Event()

    async def serve(self, reader, writer):
        try:
            await super().serve(reader, writer)
        finally:
            self.closed.set()


def _run(first, body, cfg):
    async def main():
        fake = _ClosingFake(first)
        server = await asyncio.start_server(fake.serve, "127.0.0.2", cfg.listen_port)
        try:
            async with Speaker(cfg) as speaker:
                await body(speaker, fake)
        finally:
            server.close()

    asyncio.run(asyncio.wait_for(main(), 20))


def test_received_version_error_notification_is_not_answered():
    async def body(speaker, fake):
        await asyncio.wait_for(fake.closed.wait(), 5)
        assert isinstance(fake.received[0], Open)
        assert not any(isinstance(m, Notification) for m in fake.received)
        status = speaker.status().peers[0]
        assert status.last_error == "Received: Unsupported version number"
        assert speaker.peer_state(PEER) in (State.IDLE, State.CONNECT, State.ACTIVE)

    port = free_port()
    _run(Notification(2, 1, b"\x00\x04"), body, config(port))


def test_enforce_first_as_treats_the_update_as_withdraw_on_the_wire():
    bad_net, good_net = ipaddress.ip_network("10.91.0.0/16"), ipaddress.ip_network("10.92.0.0/16")

    def update(net, *path):
        attrs = PathAttributes(as_path=AsPath.sequence(*path), next_hop=ipaddress.IPv4Address("127.0.0.2"))
        return b"".join(pack_updates((1, 1), [(int(net.network_address), 16)], attrs,
                                     Negotiated(four_octet_as=True)))

    async def body(speaker, fake):
        await fake.wait_for(lambda m: isinstance(m, Open))
        fake.writer.write(KEEPALIVE_BYTES + update(bad_net, 65099, 65001) + update(good_net, 65001, 65099))
        async with asyncio.timeout(5):
            while good_net not in speaker.loc_rib():
                await asyncio.sleep(0.01)
        assert bad_net not in speaker.loc_rib(), "first AS 65099 is not the neighbour AS 65001"
        assert speaker.peer_state(PEER) is State.ESTABLISHED
        assert not any(isinstance(m, Notification) for m in fake.received)

    port = free_port()
    cfg = config(port)
    cfg = dataclasses.replace(cfg, peers=(dataclasses.replace(cfg.peers[0], asn=65001),))
    caps = (Multiprotocol(1, 1), RouteRefresh(), FourOctetAs(65001))
    _run(Open.build(65001, 90, "127.0.0.2", caps), body, cfg)


def test_md5_on_the_listening_side_passive_match_and_mismatch():
    """The passive side's listener key decides: the matching peer's SYN is accepted, the mismatching
    peer's SYNs are dropped (its connect times out) and our passive session never leaves Passive."""
    from node.bgp.config import OriginatedRoute
    from tests.bgp.test_speaker import net, peer, speaker_config, wait_for

    port = free_port()

    async def main():
        a_cfg = speaker_config("127.0.0.1", [peer("127.0.0.2", port=port, password="s3cret", passive=True),
                                             peer("127.0.0.3", port=port, password="other", passive=True)], port)
        good = speaker_config("127.0.0.2", [peer("127.0.0.1", port=port, password="s3cret")], port,
                              prefixes=[OriginatedRoute(net("10.5.0.0/24"))])
        bad = speaker_config("127.0.0.3", [peer("127.0.0.1", port=port, password="wrong")], port)
        async with Speaker(a_cfg) as a, Speaker(good), Speaker(bad) as c:
            await wait_for(lambda: net("10.5.0.0/24") in a.loc_rib(), what="MD5 session to the listener")
            await wait_for(lambda: c.status().peers[0].last_error == "Socket: Connection timed out",
                           what="mismatching SYNs dropped by the listener")
            status = {p.name: p for p in a.status().peers}
            assert status["Global_127_0_0_3"].state == "Passive" and status["Global_127_0_0_3"].last_error == ""

    asyncio.run(asyncio.wait_for(main(), 20))


def test_global_write_budget_drops_the_slowest_reader():
    """Finding 9: two peers that never read; each stays under the per-peer bound (64 MB) but
    together they exceed the speaker's write budget (96 KB), so the longest queue is dropped."""
    import socket

    from node.bgp.config import OriginatedRoute, PeerConfig, SpeakerConfig
    from node.bgp.message import RouteRefresh
    from tests.bgp.test_session import GOOD_CAPS

    port = free_port()
    routes = tuple(OriginatedRoute(ipaddress.IPv4Network(((10 << 24) | (i << 8), 24))) for i in range(30000))

    async def main():
        async def never_reads(reader, writer):
            me = writer.get_extra_info("sockname")[0]
            writer.write(Open.build(64512, 90, me, GOOD_CAPS).encode() + KEEPALIVE_BYTES)
            await asyncio.sleep(0.3)  # refresh requests count once we are Established and registered
            writer.write(RouteRefresh(1, 1).encode() * 40)
            await asyncio.sleep(30)

        servers = []
        for address in ("127.0.0.2", "127.0.0.3"):
            listener = socket.socket()
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            listener.bind((address, port))
            servers.append(await asyncio.start_server(never_reads, sock=listener))
        cfg = SpeakerConfig(router_id=ipaddress.IPv4Address("127.0.0.1"), asn=64512, listen_address="127.0.0.1",
                            listen_port=port, prefixes=routes,
                            peers=tuple(PeerConfig(ipaddress.ip_address(a), 64512, port=port, connect_retry_time=1)
                                        for a in ("127.0.0.2", "127.0.0.3")))
        try:
            async with Speaker(cfg, write_budget=96 << 10) as speaker:
                async with asyncio.timeout(10):
                    while not any(p.last_error == "Error: Send buffer overflow" for p in speaker.status().peers):
                        await asyncio.sleep(0.05)
                sessions = [s for p in speaker._peers.values() for s in p.sessions()]
                assert all(s.queued < 64 << 20 for s in sessions)
        finally:
            for server in servers:
                server.close()

    asyncio.run(asyncio.wait_for(main(), 30))
