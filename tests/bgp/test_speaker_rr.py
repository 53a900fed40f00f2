"""Our speaker as an RFC 4456 route reflector between two of our speakers as clients."""
import asyncio
import ipaddress
import socket

from node.bgp.config import OriginatedRoute, PeerConfig, SpeakerConfig
from node.bgp.fsm import State
from node.bgp.speaker import Speaker



def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_for(cond, timeout=10.0, what="condition"):
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def cfg(me, peers, port, prefixes=(), cluster_id=None):
    return SpeakerConfig(router_id=ipaddress.IPv4Address(me), asn=64512, listen_address=me, listen_port=port,
                         peers=tuple(peers), prefixes=tuple(prefixes), cluster_id=cluster_id)


def peer(addr, port, **kw):
    return PeerConfig(ipaddress.ip_address(addr), 64512, port=port, connect_retry_time=1, error_wait_time=1, **kw)


def rr_peer(addr, port, **kw):
    """The reflector waits for its peers (like Calico's passive side), so no collisions slow the test."""
    return peer(addr, port, passive=True, **kw)


def test_reflection_sets_originator_id_and_cluster_list():
    port = free_port()
    prefix = ipaddress.ip_network("10.1.0.0/24")

    async def main():
        rr = cfg("127.0.0.1", [rr_peer("127.0.0.2", port, rr_client=True), rr_peer("127.0.0.3", port, rr_client=True),
                               rr_peer("127.0.0.4", port)], port, cluster_id=ipaddress.IPv4Address("1.1.1.1"))
        c1 = cfg("127.0.0.2", [peer("127.0.0.1", port)], port, prefixes=[OriginatedRoute(prefix)])
        c2 = cfg("127.0.0.3", [peer("127.0.0.1", port)], port)
        nonclient = cfg("127.0.0.4", [peer("127.0.0.1", port)], port)
        async with Speaker(rr) as r, Speaker(c1) as a, Speaker(c2) as b, Speaker(nonclient) as n:
            await wait_for(lambda: prefix in b.loc_rib(), what="client 2 gets client 1's route")
            await wait_for(lambda: prefix in n.loc_rib(), what="non-client gets a client's route")
            _, attrs = b.loc_rib()[prefix]
            assert attrs.originator_id == ipaddress.IPv4Address("127.0.0.2")
            assert attrs.cluster_list == (ipaddress.IPv4Address("1.1.1.1"),)
            assert attrs.next_hop == ipaddress.IPv4Address("127.0.0.2")
            # the originating client drops the reflected copy (ORIGINATOR_ID is its own router id)
            assert a.loc_rib()[prefix][0] is None
            assert r.status().peers[0].prefixes_received == 1
            # withdrawal is reflected too
            await a.apply(cfg("127.0.0.2", [peer("127.0.0.1", port)], port))
            await wait_for(lambda: prefix not in b.loc_rib() and prefix not in n.loc_rib(), what="withdrawal")
            assert r.peer_state("Global_127_0_0_3") is State.ESTABLISHED

    asyncio.run(asyncio.wait_for(main(), 30))


def test_non_client_routes_are_not_reflected_to_non_clients():
    port = free_port()
    prefix = ipaddress.ip_network("10.4.0.0/24")

    async def main():
        rr = cfg("127.0.0.1", [rr_peer("127.0.0.2", port, rr_client=True), rr_peer("127.0.0.4", port),
                               rr_peer("127.0.0.5", port)], port)
        client = cfg("127.0.0.2", [peer("127.0.0.1", port)], port)
        n1 = cfg("127.0.0.4", [peer("127.0.0.1", port)], port, prefixes=[OriginatedRoute(prefix)])
        n2 = cfg("127.0.0.5", [peer("127.0.0.1", port)], port)
        async with Speaker(rr) as r, Speaker(client) as c, Speaker(n1), Speaker(n2) as other:
            await wait_for(lambda: prefix in c.loc_rib(), what="client gets the non-client route")
            _, attrs = c.loc_rib()[prefix]
            assert attrs.cluster_list == (ipaddress.IPv4Address("127.0.0.1"),)  # cluster id defaults to router id
            await wait_for(lambda: other.peer_state("Global_127_0_0_1") is State.ESTABLISHED, what="n2 up")
            await asyncio.sleep(0.3)
            assert prefix not in other.loc_rib()
            assert prefix in r.loc_rib()

    asyncio.run(asyncio.wait_for(main(), 30))
