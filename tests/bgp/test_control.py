"""Control socket: pure renderers (BIRD text, JSON) and the unix socket server/client."""
import asyncio
import json
import os
import stat
import time

import pytest

from node.bgp.control import (
    ControlServer, PeerStatus, SpeakerStatus, answer, format_since, query, query_json, show_protocols,
    status_json,
)

NOW = time.mktime((2026, 11, 23, 12, 0, 0, 0, 0, -1))
UP = PeerStatus("Mesh_198_18_0_2", "198.18.0.2", 179, 64512, 64512, "node-to-node mesh", "Established",
                NOW - 3600, prefixes_received=3, prefixes_accepted=3, prefixes_sent=2)
TRYING = PeerStatus("Global_198_18_0_3", "198.18.0.3", 179, 65000, 64512, "global", "Active",
                    NOW - 86400 * 2, last_error="Socket: Connection refused")
DOWN = PeerStatus("Node_fd00__3", "fd00::3", 179, 65001, 64512, "node specific", "Idle", NOW - 60,
                  last_error="Received: Administrative shutdown", enabled=False)
STATUS = SpeakerStatus("198.18.0.1", 64512, (UP, TRYING, DOWN), pid=42)


def test_show_protocols_matches_bird_layout():
    since_up = time.strftime("%H:%M:%S", time.localtime(NOW - 3600))
    since_old = time.strftime("%Y-%m-%d", time.localtime(NOW - 86400 * 2))
    since_down = time.strftime("%H:%M:%S", time.localtime(NOW - 60))
    # BIRD pads the BGP state to 14 characters even with no error text (trailing spaces)
    assert show_protocols(STATUS, NOW) == (
        "2002-name     proto    table    state  since       info\n"
        f"1002-Mesh_198_18_0_2 BGP      master   up     {since_up}    Established   \n"
        f" Global_198_18_0_3 BGP      master   start  {since_old}  Active        Socket: Connection refused\n"
        f" Node_fd00__3 BGP      master   down   {since_down}    Received: Administrative shutdown\n"
        "0000 \n"
    )


def test_format_since_switches_to_date_after_20_hours():
    assert format_since(NOW - 19 * 3600, NOW) == time.strftime("%H:%M:%S", time.localtime(NOW - 19 * 3600))
    assert format_since(NOW - 21 * 3600, NOW) == time.strftime("%Y-%m-%d", time.localtime(NOW - 21 * 3600))


def test_json_document():
    doc = status_json(STATUS)
    assert doc["router_id"] == "198.18.0.1" and doc["asn"] == 64512 and doc["pid"] == 42
    up, trying, down = doc["peers"]
    assert up == {
        "name": "Mesh_198_18_0_2", "address": "198.18.0.2", "port": 179, "family": "ipv4", "asn": 64512,
        "local_asn": 64512, "type": "node-to-node mesh", "state": "Established", "bird_state": "up",
        "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(NOW - 3600)), "since_epoch": NOW - 3600,
        "info": "Established", "last_error": "", "prefixes": {"received": 3, "accepted": 3, "sent": 2},
    }
    assert trying["info"] == "Active Socket: Connection refused" and trying["bird_state"] == "start"
    assert down["family"] == "ipv6" and down["bird_state"] == "down"
    assert down["info"] == "Received: Administrative shutdown" and down["type"] == "node specific"


def test_json_document_carries_the_loc_rib_counts():
    status = SpeakerStatus("198.18.0.1", 64512, (UP,), loc_rib=(("ipv4", 100000), ("ipv6", 7)))
    assert status_json(status)["loc_rib"] == {"ipv4": 100000, "ipv6": 7}
    assert status_json(STATUS)["loc_rib"] == {}


def test_answer_other_commands():
    assert answer("show status", STATUS, NOW).endswith("0013 Daemon is up and running\n")
    assert "1011-Router ID is 198.18.0.1" in answer("show status", STATUS, NOW)
    assert answer("bogus", STATUS, NOW) == "9001 syntax error, unknown command\n"
    reply = answer("status json", STATUS, NOW)
    assert json.loads(reply.splitlines()[0]) == status_json(STATUS)


def test_socket_server_mode_and_queries(tmp_path):
    path = str(tmp_path / "run" / "bird.ctl")
    calls = []

    def snapshot():
        calls.append(1)
        return STATUS

    async def main():
        server = ControlServer(path, snapshot)
        await server.start()
        try:
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o660
            text = await asyncio.to_thread(query, path, "show protocols")
            doc = await asyncio.to_thread(query_json, path)
            bad = await asyncio.to_thread(query, path, "nope")
        finally:
            await server.close()
        return text, doc, bad

    text, doc, bad = asyncio.run(main())
    assert text.startswith("2002-name     proto    table    state  since       info\n1002-Mesh_198_18_0_2 ")
    assert text.endswith("0000 \n")
    assert doc == status_json(STATUS)
    assert bad.startswith("9001")
    assert len(calls) == 3
    assert not os.path.exists(path)


def test_query_refuses_a_socket_without_banner(tmp_path):
    path = str(tmp_path / "x.ctl")

    async def main():
        async def silent(reader, writer):
            writer.write(b"hello\n")
            await writer.drain()
            writer.close()

        server = await asyncio.start_unix_server(silent, path=path)
        try:
            with pytest.raises(ConnectionError):
                await asyncio.to_thread(query, path, "show protocols")
        finally:
            server.close()
            await server.wait_closed()

    asyncio.run(main())


def test_routes_json_and_close_ends_idle_clients(tmp_path):
    import ipaddress

    from node.bgp.attributes import AsPath, PathAttributes
    from node.bgp.control import routes_document

    attrs = PathAttributes(as_path=AsPath.sequence(65001, 65002), next_hop=ipaddress.ip_address("198.18.0.2"),
                           med=5, local_pref=200, communities=((64512 << 16) | 7,),
                           originator_id=ipaddress.IPv4Address("1.1.1.1"),
                           cluster_list=(ipaddress.IPv4Address("2.2.2.2"),))

    class Source:
        address = ipaddress.ip_address("198.18.0.2")

    tables = [{ipaddress.ip_network("10.0.0.0/24"): (Source(), attrs)},
              {ipaddress.ip_network("fd00::/64"): (None, PathAttributes(origin=2))}]
    path = str(tmp_path / "c.ctl")

    async def main():
        server = ControlServer(path, lambda: STATUS, lambda: routes_document(tables))
        await server.start()
        reader, writer = await asyncio.open_unix_connection(path)
        assert await reader.readline() == b"0001 pycalico BGP ready.\n"
        writer.write(b"routes json\n")
        doc = json.loads(await reader.readline())
        assert await reader.readline() == b"0000 \n"
        await server.close()
        assert await asyncio.wait_for(reader.read(), 2) == b""  # the idle client was ended
        writer.close()
        return doc

    doc = asyncio.run(main())
    assert doc == {"routes": [
        {"prefix": "10.0.0.0/24", "next_hop": "198.18.0.2", "as_path": [65001, 65002], "origin": "IGP", "med": 5,
         "local_pref": 200, "communities": ["64512:7"], "originator_id": "1.1.1.1", "cluster_list": ["2.2.2.2"],
         "from": "198.18.0.2"},
        {"prefix": "fd00::/64", "next_hop": "", "as_path": [], "origin": "Incomplete", "med": None,
         "local_pref": None, "communities": [], "originator_id": None, "cluster_list": [], "from": None},
    ]}


def test_a_running_speaker_reports_its_loc_rib_sizes():
    import ipaddress

    from node.bgp.config import OriginatedRoute, SpeakerConfig
    from node.bgp.speaker import Speaker

    config = SpeakerConfig(
        router_id=ipaddress.IPv4Address("127.0.0.1"), asn=64512, listen_address="127.0.0.1", listen_port=0,
        prefixes=tuple(OriginatedRoute(ipaddress.ip_network(p))
                       for p in ("10.1.0.0/24", "10.2.0.0/24", "fd00:198:18:1::/64")))

    async def main():
        async with Speaker(config) as speaker:
            return status_json(speaker.status())["loc_rib"]

    assert asyncio.run(main()) == {"ipv4": 2, "ipv6": 1}
