"""The standalone entry point (python -m node.bgp) as a real process: control socket, SIGHUP reload,
SIGTERM Cease, and graceful restart both as helper (our in-process speaker) and as restarting
speaker (the process started with -R)."""
import asyncio
import ipaddress
import json
import os
import signal
import socket
import stat
import subprocess
import sys

from node.bgp.config import PeerConfig, SpeakerConfig
from node.bgp.control import query, query_json
from node.bgp.fsm import State
from node.bgp.speaker import Speaker

V4 = (1, 1)


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
        await asyncio.sleep(0.05)


def write_config(path, port, ctl, prefixes):
    path.write_text(json.dumps({
        "router_id": "127.0.0.2", "asn": 64512, "listen_address": "127.0.0.2", "listen_port": port,
        "graceful_restart_time": 3, "control_socket": str(ctl),
        "peers": [{"address": "127.0.0.1", "asn": 64512, "port": port, "connect_retry_time": 1,
                   "error_wait_time": 1,
                   "kind": "node-to-node mesh"}],
        "prefixes": prefixes,
    }))


def start(path, *extra):
    return subprocess.Popen([sys.executable, "-m", "node.bgp", "--config", str(path), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def run_then_kill(coroutine, timeout, procs):
    """Run ``coroutine`` within ``timeout`` seconds, then kill whichever of ``procs`` still run."""
    try:
        asyncio.run(asyncio.wait_for(coroutine, timeout))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_process_lifecycle_and_graceful_restart(tmp_path):
    port = free_port()
    conf = tmp_path / "speaker.json"
    ctl = tmp_path / "bird.ctl"
    write_config(conf, port, ctl, ["10.7.0.0/24"])
    key = f"127.0.0.2:{port}"
    r7, r8 = ipaddress.ip_network("10.7.0.0/24"), ipaddress.ip_network("10.8.0.0/24")
    procs = []

    async def main():
        cfg = SpeakerConfig(router_id=ipaddress.IPv4Address("127.0.0.1"), asn=64512, listen_address="127.0.0.1",
                            listen_port=port, peers=(PeerConfig(ipaddress.ip_address("127.0.0.2"), 64512, port=port,
                                                                connect_retry_time=1, error_wait_time=1,
                                                                passive=True),))
        async with Speaker(cfg) as helper:
            name = "Global_127_0_0_2"
            procs.append(start(conf))
            await wait_for(lambda: r7 in helper.loc_rib(), what="route from the process")
            assert stat.S_IMODE(os.stat(ctl).st_mode) == 0o660
            doc = await asyncio.to_thread(query_json, str(ctl))
            assert doc["peers"][0]["state"] == "Established" and doc["peers"][0]["type"] == "node-to-node mesh"
            text = await asyncio.to_thread(query, str(ctl), "show protocols")
            assert "1002-Mesh_127_0_0_1 BGP      master   up" in text

            # SIGHUP reload: a new prefix appears, a bad file is ignored
            write_config(conf, port, ctl, ["10.7.0.0/24", "10.8.0.0/24"])
            procs[0].send_signal(signal.SIGHUP)
            await wait_for(lambda: r8 in helper.loc_rib(), what="reloaded prefix")
            conf.write_text("{not json")
            procs[0].send_signal(signal.SIGHUP)
            await asyncio.sleep(0.3)
            assert procs[0].poll() is None and helper.peer_state(name) is State.ESTABLISHED

            # crash: the helper keeps the routes as stale
            write_config(conf, port, ctl, ["10.7.0.0/24"])
            procs[0].kill()
            procs[0].wait()
            await wait_for(lambda: helper.peer_state(name) is not State.ESTABLISHED, what="session down")
            assert r7 in helper.loc_rib() and r8 in helper.loc_rib()
            assert helper.rib.stale_count(key) == 2

            # restart with -R: R bit seen, End-of-RIB sweeps the stale route the process no longer has
            procs.append(start(conf, "-R"))
            await wait_for(lambda: helper.peer_state(name) is State.ESTABLISHED, what="re-established")
            assert helper.negotiated(name).peer_graceful_restart.restarting
            await wait_for(lambda: helper.rib.stale_count(key) == 0, what="End-of-RIB")
            assert r7 in helper.loc_rib() and r8 not in helper.loc_rib()

            # SIGTERM: Cease, exit 0, routes withdrawn (a Cease is not a restart)
            procs[1].send_signal(signal.SIGTERM)
            assert await asyncio.to_thread(procs[1].wait, 5) == 0
            await wait_for(lambda: r7 not in helper.loc_rib(), what="withdrawn after Cease")
            assert helper.status().peers[0].last_error == "Received: Administrative shutdown"
            assert not ctl.exists()

            # crash without coming back: stale routes go when the restart time (3 s) runs out
            procs.append(start(conf))
            await wait_for(lambda: r7 in helper.loc_rib(), what="route again")
            procs[2].kill()
            procs[2].wait()
            await wait_for(lambda: helper.rib.stale_count(key) == 1, what="stale")
            await wait_for(lambda: r7 not in helper.loc_rib(), 6, what="restart timer expiry")

    run_then_kill(main(), 60, procs)


def test_bad_config_exits_1(tmp_path):
    conf = tmp_path / "bad.yaml"
    conf.write_text("router_id: 10.0.0.1\nasn: 0\n")
    result = subprocess.run([sys.executable, "-m", "node.bgp", "--config", str(conf)], capture_output=True,
                            text=True, timeout=20)
    assert result.returncode == 1
    assert "asn: AS number 0 is out of range 1..4294967295" in result.stderr


def test_busy_listen_port_exits_1_with_the_reason(tmp_path):
    conf = tmp_path / "busy.json"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        conf.write_text(json.dumps({"router_id": "127.0.0.1", "asn": 64512, "listen_address": "127.0.0.1",
                                    "listen_port": busy.getsockname()[1]}))
        result = subprocess.run([sys.executable, "-m", "node.bgp", "--config", str(conf)], capture_output=True,
                                text=True, timeout=20)
    assert (result.returncode, result.stderr) == (1, "error: [Errno 98] Address already in use\n")


def test_sigusr2_is_a_graceful_stop_the_helper_keeps_our_routes(tmp_path):
    """Audit Q finding 6: SIGUSR2 closes the session without a NOTIFICATION and exits 0; the GR
    helper keeps the route as stale (SIGTERM, above, sends a Cease and the route goes)."""
    port = free_port()
    conf = tmp_path / "speaker.json"
    write_config(conf, port, tmp_path / "bird.ctl", ["10.7.0.0/24"])
    r7 = ipaddress.ip_network("10.7.0.0/24")
    procs = []

    async def main():
        cfg = SpeakerConfig(router_id=ipaddress.IPv4Address("127.0.0.1"), asn=64512, listen_address="127.0.0.1",
                            listen_port=port, peers=(PeerConfig(ipaddress.ip_address("127.0.0.2"), 64512, port=port,
                                                                passive=True),))
        async with Speaker(cfg) as helper:
            procs.append(start(conf))
            await wait_for(lambda: r7 in helper.loc_rib(), what="route from the process")
            procs[0].send_signal(signal.SIGUSR2)
            assert await asyncio.to_thread(procs[0].wait, 5) == 0
            await wait_for(lambda: helper.peer_state("Global_127_0_0_2") is not State.ESTABLISHED, what="down")
            assert helper.status().peers[0].last_error == "Socket: Connection closed"
            assert r7 in helper.loc_rib() and helper.rib.stale_count(f"127.0.0.2:{port}") == 1

    run_then_kill(main(), 30, procs)
