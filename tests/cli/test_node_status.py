"""Golden tests for `pycalicoctl node status`: the pure printer and the command end to end.

The command is driven through the real CLI with a real unix socket: the speaker's control server (node/bgp/control.py)
(node.bgp.control) for our speaker, and a socket answering canned BIRD 1.x text for real BIRD.
Only the process list and the effective uid are substituted.
"""
import asyncio
import json
import os
import socket
import threading
import time

import pytest
from click.testing import CliRunner

from node.bgp.control import ControlServer, PeerStatus, SpeakerStatus
from pycalicoctl import nodestatus as ns
from pycalicoctl.cli import cli
from pycalicoctl.commands import node as node_cmd

OLD = time.mktime((2016, 11, 21, 10, 0, 0, 0, 0, -1))
FELIX = ["calico-node", "-felix"]
SPEAKER = ["/work/main/.venv/bin/python", "-m", "node.bgp", "--config", "speaker.yaml"]


# ---------------------------------------------------------------------------------------------
# pure printer
# ---------------------------------------------------------------------------------------------

def test_reference_output_one_mesh_peer_and_no_ipv6():
    rows = (ns.PeerRow("172.17.8.102", "node-to-node mesh", "up", "23:30:04", "Established"),)
    text = ns.render_text([ns.Section(4, rows), ns.Section(6)])
    assert text == (
        "Calico process is running.\n"
        "\n"
        "IPv4 BGP status\n"
        "+--------------+-------------------+-------+----------+-------------+\n"
        "| PEER ADDRESS |     PEER TYPE     | STATE |  SINCE   |    INFO     |\n"
        "+--------------+-------------------+-------+----------+-------------+\n"
        "| 172.17.8.102 | node-to-node mesh | up    | 23:30:04 | Established |\n"
        "+--------------+-------------------+-------+----------+-------------+\n"
        "\n"
        "IPv6 BGP status\n"
        "No IPv6 peers found.\n"
        "\n")


def test_long_info_wraps_at_30_columns():
    rows = [("172.17.8.102", "node-to-node mesh", "up", "23:30:04", "Established"),
            ("10.20.30.40", "global", "start", "16:28:38", "Connect Socket: Connection refused")]
    assert ns.render_table(ns.HEADERS, rows) == (
        "+--------------+-------------------+-------+----------+--------------------------------+\n"
        "| PEER ADDRESS |     PEER TYPE     | STATE |  SINCE   |              INFO              |\n"
        "+--------------+-------------------+-------+----------+--------------------------------+\n"
        "| 172.17.8.102 | node-to-node mesh | up    | 23:30:04 | Established                    |\n"
        "| 10.20.30.40  | global            | start | 16:28:38 | Connect Socket: Connection     |\n"
        "|              |                   |       |          | refused                        |\n"
        "+--------------+-------------------+-------+----------+--------------------------------+\n")


def test_word_longer_than_limit_widens_the_column_and_numbers_align_right():
    long_word = "x" * 34
    table = ns.render_table(("a_b", "n"), [(f"short {long_word}", "42"), ("z", "7")])
    lines = table.splitlines()
    assert lines[0] == "+" + "-" * 36 + "+----+"
    assert lines[1] == "|" + " " * 16 + "A B" + " " * 17 + "| N  |"
    assert lines[3] == "| short" + " " * 29 + " | 42 |"
    assert lines[4] == "| " + long_word + " |    |"
    assert lines[5] == "| z" + " " * 33 + " |  7 |"


def test_wrap_words_minimises_raggedness():
    words = "aaaa bb cc ddddd".split()
    assert ns.wrap_words(words, 6) == [["aaaa"], ["bb", "cc"], ["ddddd"]]
    assert ns.wrap_words(["one"], 30) == [["one"]]


def test_parse_show_protocols_matches_calicoctl_fixtures():
    reply = [
        "0001 BIRD 1.5.0 ready.",
        "2002-name     proto    table    state  since       info",
        "1002-kernel1  Kernel   master   up     2016-11-21",
        " device1  Device   master   up     2016-11-21",
        " Mesh_172_17_8_102 BGP      master   up     2016-11-21  Established",
        " Node_172_17_80_102 BGP      master   up     2016-11-21  Active        Socket: error",
        " Global_172_17_8_133 BGP      master   down   2016-11-2  Failed",
        " Meshd_172_17_8_111 BGP      master   up     2016-11-21  Established",
        " Mesh_172_17_8_112 BGP      master   down   2016-11-21",
        "0000",
        "garbage after the end is not read",
    ]
    rows = ns.parse_show_protocols(reply, 4)
    assert [(r.address, r.peer_type, r.state, r.since, r.info) for r in rows] == [
        ("172.17.8.102", "node-to-node mesh", "up", "2016-11-21", "Established"),
        ("172.17.80.102", "node specific", "up", "2016-11-21", "Active Socket: error"),
        ("172.17.8.133", "global", "down", "2016-11-2", "Failed"),
    ]
    v6 = ns.parse_show_protocols(["1002-Mesh_fd80_24e2_f998_72d7__2 BGP master up 10:00:00 Established",
                                  " Global_10_0_0_1_port_179 BGP master up 10:00:00 Established"], 6)
    assert [r.address for r in v6] == ["fd80:24e2:f998:72d7::2", "10:0:0:1:port:179"]


@pytest.mark.parametrize("line, message", [
    ("2002-name proto table state since", "unknown BIRD table output format"),
    ("9001 syntax error", "unexpected output line from BIRD"),
])
def test_parse_show_protocols_rejects_unknown_formats(line, message):
    with pytest.raises(ns.BirdOutputError, match=message):
        ns.parse_show_protocols([line], 4)


@pytest.mark.parametrize("argvs, expected", [
    ([["calico-felix"]], (True, False, False, False)),
    ([["calico-node", "-felix"]], (True, False, False, False)),
    ([["/usr/bin/x", "-felix"]], (True, False, False, False)),
    ([["calico-node", "-confd"]], (True, False, False, False)),
    ([["bird", "-R"], ["bird6"]], (False, True, True, False)),
    ([["/usr/sbin/bird"]], (False, False, False, False)),
    ([SPEAKER], (True, False, False, True)),
    ([["/usr/local/bin/pycalico-node"]], (True, False, False, True)),
    ([["python3", "-m", "node.felix"]], (False, False, False, False)),
    ([[]], (False, False, False, False)),
])
def test_classify_processes_like_calicoctl(argvs, expected):
    p = ns.classify(argvs)
    assert (p.calico, p.bird4, p.bird6, p.speaker) == expected


def test_bird_since_uses_time_within_20_hours_else_date(monkeypatch):
    now = OLD + 19 * 3600
    assert ns.bird_since(OLD, now) == time.strftime("%H:%M:%S", time.localtime(OLD))
    assert ns.bird_since(OLD, OLD + 21 * 3600) == time.strftime("%Y-%m-%d", time.localtime(OLD))


# ---------------------------------------------------------------------------------------------
# the command, end to end over real sockets
# ---------------------------------------------------------------------------------------------

@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def host(monkeypatch):
    """Pretend to be root with the given process list."""
    state = {"argvs": [], "uid": 0}
    monkeypatch.setattr(node_cmd, "process_argvs", lambda: state["argvs"])
    monkeypatch.setattr(node_cmd.os, "geteuid", lambda: state["uid"])
    return state


@pytest.fixture
def speaker_socket(tmp_path, monkeypatch):
    """Run node.bgp.control's ControlServer on a temp socket serving `status['value']`."""
    path = str(tmp_path / "bgp.ctl")
    status = {"value": SpeakerStatus("198.18.0.1", 64512, ())}
    loop = asyncio.new_event_loop()
    server = ControlServer(path, lambda: status["value"])
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(5)
    monkeypatch.setenv("PYCALICO_BGP_SOCKET", path)
    yield status
    asyncio.run_coroutine_threadsafe(server.close(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


def invoke(*args):
    return CliRunner().invoke(cli, ["node", "status", *args])


def peer(kind, address, state, error="", enabled=True, asn=64512):
    prefix = {"node-to-node mesh": "Mesh", "global": "Global", "node specific": "Node"}[kind]
    name = f"{prefix}_{address.replace('.', '_').replace(':', '_')}"
    return PeerStatus(name=name, address=address, port=179, asn=asn, local_asn=64512, kind=kind,
                      state=state, since=OLD, last_error=error, enabled=enabled,
                      prefixes_received=3, prefixes_accepted=3, prefixes_sent=2)


def test_not_root(host):
    host["uid"] = 1000
    result = invoke()
    assert (result.exit_code, result.stdout, result.stderr) == (
        1, "Need super user privileges: Operation not permitted\n", "")


def test_no_calico_process(host):
    host["argvs"] = [["bash"], ["bird"]]
    result = invoke()
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", "Calico process is not running.\n")


def test_no_calico_process_json(host):
    result = invoke("-o", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"calicoProcessRunning": False, "bgpBackendRunning": False,
                                         "bgp": {}}


def test_calico_without_bgp_backend(host):
    host["argvs"] = [FELIX]
    result = invoke()
    assert (result.exit_code, result.stdout) == (
        0, "Calico process is running.\n\nThe BGP backend process (BIRD) is not running.\n\n")


def test_speaker_peers_in_every_state_and_type_ipv6_present(host, speaker_socket, utc):
    host["argvs"] = [["bash"], SPEAKER]
    speaker_socket["value"] = SpeakerStatus("198.18.0.1", 64512, (
        peer("node-to-node mesh", "198.18.0.2", "Established"),
        peer("node-to-node mesh", "198.18.0.3", "Active", "Socket: Connection refused"),
        peer("global", "198.18.0.4", "Connect"),
        peer("global", "198.18.0.5", "OpenSent"),
        peer("node specific", "198.18.0.6", "OpenConfirm"),
        peer("node specific", "198.18.0.7", "Idle", "Received: Cease", enabled=False),
        peer("node specific", "198.18.0.8", "Idle", enabled=False),
        peer("node-to-node mesh", "fd00:198:18::2", "Established"),
        peer("global", "fd00:198:18::3", "Active", "BGP Error: Hold timer expired"),
    ))
    result = invoke()
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Calico process is running.\n"
        "\n"
        "IPv4 BGP status\n"
        "+--------------+-------------------+-------+------------+--------------------------------+\n"
        "| PEER ADDRESS |     PEER TYPE     | STATE |   SINCE    |              INFO              |\n"
        "+--------------+-------------------+-------+------------+--------------------------------+\n"
        "| 198.18.0.2   | node-to-node mesh | up    | 2016-11-21 | Established                    |\n"
        "| 198.18.0.3   | node-to-node mesh | start | 2016-11-21 | Active Socket: Connection      |\n"
        "|              |                   |       |            | refused                        |\n"
        "| 198.18.0.4   | global            | start | 2016-11-21 | Connect                        |\n"
        "| 198.18.0.5   | global            | start | 2016-11-21 | OpenSent                       |\n"
        "| 198.18.0.6   | node specific     | start | 2016-11-21 | OpenConfirm                    |\n"
        "| 198.18.0.7   | node specific     | down  | 2016-11-21 | Received: Cease                |\n"
        "+--------------+-------------------+-------+------------+--------------------------------+\n"
        "\n"
        "IPv6 BGP status\n"
        "+----------------+-------------------+-------+------------+--------------------------------+\n"
        "|  PEER ADDRESS  |     PEER TYPE     | STATE |   SINCE    |              INFO              |\n"
        "+----------------+-------------------+-------+------------+--------------------------------+\n"
        "| fd00:198:18::2 | node-to-node mesh | up    | 2016-11-21 | Established                    |\n"
        "| fd00:198:18::3 | global            | start | 2016-11-21 | Active BGP Error: Hold timer   |\n"
        "|                |                   |       |            | expired                        |\n"
        "+----------------+-------------------+-------+------------+--------------------------------+\n"
        "\n")


def test_speaker_recent_since_and_ipv6_absent(host, speaker_socket, utc):
    host["argvs"] = [SPEAKER]
    recent = time.time() - 60
    speaker_socket["value"] = SpeakerStatus("198.18.0.1", 64512, (
        PeerStatus("Mesh_198_18_0_2", "198.18.0.2", 179, 64512, 64512, "node-to-node mesh",
                   "Established", recent),))
    result = invoke()
    hhmmss = time.strftime("%H:%M:%S", time.gmtime(recent))
    assert result.stdout == (
        "Calico process is running.\n"
        "\n"
        "IPv4 BGP status\n"
        "+--------------+-------------------+-------+----------+-------------+\n"
        "| PEER ADDRESS |     PEER TYPE     | STATE |  SINCE   |    INFO     |\n"
        "+--------------+-------------------+-------+----------+-------------+\n"
        f"| 198.18.0.2   | node-to-node mesh | up    | {hhmmss} | Established |\n"
        "+--------------+-------------------+-------+----------+-------------+\n"
        "\n"
        "IPv6 BGP status\n"
        "No IPv6 peers found.\n"
        "\n")


def test_speaker_json_output(host, speaker_socket, utc):
    host["argvs"] = [SPEAKER]
    speaker_socket["value"] = SpeakerStatus("198.18.0.1", 64512, (
        peer("global", "198.18.0.4", "Active", "Socket: Connection refused", asn=65001),))
    result = invoke("-o", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "calicoProcessRunning": True, "bgpBackendRunning": True,
        "bgp": {
            "ipv4": {"running": True, "peers": [{
                "peerAddress": "198.18.0.4", "peerType": "global", "state": "start",
                "since": "2016-11-21", "info": "Active Socket: Connection refused",
                "bgpState": "Active", "lastError": "Socket: Connection refused",
                "sinceUTC": "2016-11-21T10:00:00Z", "asNumber": 65001, "name": "Global_198_18_0_4",
                "prefixes": {"received": 3, "accepted": 3, "sent": 2}}]},
            "ipv6": {"running": True, "peers": []}}}


def test_speaker_socket_missing(host, tmp_path, monkeypatch):
    host["argvs"] = [SPEAKER]
    path = str(tmp_path / "missing.ctl")
    monkeypatch.setenv("PYCALICO_BGP_SOCKET", path)
    result = invoke()
    assert result.exit_code == 0
    assert result.stdout == (
        "Calico process is running.\n\nIPv4 BGP status\n"
        f"Error querying BIRD: unable to connect to BIRDv4 socket: dial unix {path}: connect: "
        "no such file or directory\nIPv6 BGP status\n"
        f"Error querying BIRD: unable to connect to BIRDv6 socket: dial unix {path}: connect: "
        "no such file or directory\n")


def serve_bird(path, reply):
    """A one-shot unix socket answering like BIRD 1.x (banner, then `reply` to any command)."""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)

    def run():
        conn, _ = srv.accept()
        with conn:
            conn.sendall(b"0001 BIRD 1.6.8 ready.\n")
            conn.recv(100)
            conn.sendall(reply.encode())
        srv.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_real_bird_v4_with_bird6_not_running(host, tmp_path, monkeypatch):
    host["argvs"] = [FELIX, ["bird", "-R", "-s", "/var/run/calico/bird.ctl"]]
    sock = tmp_path / "bird.ctl"
    monkeypatch.setattr(node_cmd, "BIRD_SOCKETS", (str(tmp_path / "nope{suffix}.ctl"),
                                                   str(tmp_path / "bird{suffix}.ctl")))
    thread = serve_bird(str(sock), (
        "2002-name     proto    table    state  since       info\n"
        "1002-static1  Static   master   up     10:01:02\n"
        " Mesh_172_17_8_102 BGP      master   up     10:01:05    Established\n"
        " Global_10_20_30_40 BGP      master   start  10:01:03    Connect       Socket: Connection refused\n"
        "0000 \n"))
    result = invoke()
    thread.join(5)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Calico process is running.\n"
        "\n"
        "IPv4 BGP status\n"
        "+--------------+-------------------+-------+----------+--------------------------------+\n"
        "| PEER ADDRESS |     PEER TYPE     | STATE |  SINCE   |              INFO              |\n"
        "+--------------+-------------------+-------+----------+--------------------------------+\n"
        "| 172.17.8.102 | node-to-node mesh | up    | 10:01:05 | Established                    |\n"
        "| 10.20.30.40  | global            | start | 10:01:03 | Connect Socket: Connection     |\n"
        "|              |                   |       |          | refused                        |\n"
        "+--------------+-------------------+-------+----------+--------------------------------+\n"
        "\n"
        "INFO: BIRDv6 process: 'bird6' is not running.\n"
        "\n")


def test_real_bird_bad_output_is_an_error(host, tmp_path, monkeypatch):
    host["argvs"] = [FELIX, ["bird"], ["bird6"]]
    monkeypatch.setattr(node_cmd, "BIRD_SOCKETS", (str(tmp_path / "bird{suffix}.ctl"),))
    thread = serve_bird(str(tmp_path / "bird.ctl"), "2002-name proto\n0000 \n")
    result = invoke()
    thread.join(5)
    assert result.exit_code == 1
    assert result.stderr == "Error executing command: unknown BIRD table output format\n"


def test_group_usage_and_help():
    result = CliRunner().invoke(cli, ["node"])
    assert (result.exit_code, result.stderr) == (1, "Usage:\n  calicoctl node <command> [<args>...]\n")
    result = CliRunner().invoke(cli, ["node", "status", "--help"])
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage:\n  calicoctl node status [--output=<OUTPUT>]")
    assert os.environ.get("PYCALICO_BGP_SOCKET") is None
