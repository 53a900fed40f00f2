"""P4: 100k IPv4 prefixes injected by a real gobgpd into our speaker, BIRD 1.6, FRR and gobgpd.

For every receiver in the same run: a fresh pair of namespaces, a gobgpd sender preloaded with
the prefixes (from an MRT TABLE_DUMP_V2 file, RFC 6396), then the session is enabled and we
measure the seconds from Established until every prefix is in the receiver's Loc-RIB (best
routes), plus the receiver's peak RSS (VmHWM). Prints one line per receiver, rates and the ratios
the issue targets.

Loc-RIB counts (see COUNTED): our speaker's ``status json`` ``loc_rib``; BIRD's ``Routes: N
imported`` (routes in its table); FRR's ``prefix-counts`` "PfxCt Best Selected" (paths that won
best-path selection, which FRR runs later from a work queue, so not ``pfxRcd``); gobgpd's global
RIB destinations. Our speaker, BIRD and FRR are polled over one persistent control socket each
(FRR's vty socket with vtysh's protocol), gobgpd by spawning the gobgp CLI (it only has gRPC).

Times come from polls every POLL_INTERVAL: each event (Established, all in the Loc-RIB) lies between
the start of the last poll that did not see it and the end of the first that did; the middle of
that bracket is used and the half-widths are printed as ``± error``, so a slow poll (gobgp CLI)
shows up as a wider error instead of a biased time. Also printed: the seconds from the first
prefix in the Loc-RIB until all, because a gobgpd sender waits one to several seconds after
Established before its first UPDATE (the same for every receiver, but it varies between runs).

With ``--sender replay`` the sender is instead a minimal BGP speaker written here that writes
pre-encoded UPDATEs (1012 prefixes each) right after the OPEN handshake: the measurement is then
bound by the receiver, not by gobgpd's own output rate, and starts at the sender's own
handshake-complete timestamp (the same clock for every receiver).

Usage (root): .venv/bin/python benchmarks/p4_bgp_ingest.py [--prefixes 100000] [--repeat 1]
              [--sender gobgpd|replay] [--receivers speaker,bird,frr,gobgpd]
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import socket
import statistics
import struct
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.bgp.interop.configs import Neighbor, RouterSpec  # noqa: E402
from tests.bgp.interop.daemons import Bird, Frr, GoBGP, OurSpeaker  # noqa: E402
from tests.bgp.interop.netns import Lab, LabError, run  # noqa: E402

SENDER_AS = 65100
RECEIVER_AS = 65200
PROFILE: Path | None = None
ORIGIN_AS = 65099  # gobgpd refuses injected paths that already carry its own AS
FIRST_PREFIX = ipaddress.ip_address("16.0.0.0")
POLL_INTERVAL = 0.01


def mrt_table_dump(count: int, next_hop: str, peer_as: int, first=FIRST_PREFIX, length: int = 24) -> bytes:
    """An MRT TABLE_DUMP_V2 image (RFC 6396 section 4.3) with `count` consecutive IPv4 /`length`s.

    Layout: one PEER_INDEX_TABLE record (collector id, empty view name, one peer with a
    4-octet AS) then one RIB_IPV4_UNICAST record per prefix, each with a single entry carrying
    ORIGIN=IGP, AS_PATH=[peer_as] (4-octet ASNs as TABLE_DUMP_V2 requires) and NEXT_HOP.
    """
    nh = ipaddress.ip_address(next_hop).packed
    peer_entry = struct.pack("!B4s4sI", 0x02, nh, nh, peer_as)
    body = nh + struct.pack("!HH", 0, 1) + peer_entry
    out = [struct.pack("!IHHI", 0, 13, 1, len(body)), body]
    attrs = (bytes([0x40, 1, 1, 0]) + bytes([0x40, 2, 6, 2, 1]) + struct.pack("!I", peer_as)
             + bytes([0x40, 3, 4]) + nh)
    entry = struct.pack("!HIH", 0, 0, len(attrs)) + attrs
    nbytes = (length + 7) // 8
    step = 1 << (32 - length)
    base = int(first)
    for seq in range(count):
        prefix = (base + seq * step).to_bytes(4, "big")[:nbytes]
        rec = struct.pack("!IB", seq, length) + prefix + struct.pack("!H", 1) + entry
        out.append(struct.pack("!IHHI", 0, 13, 2, len(rec)))
        out.append(rec)
    return b"".join(out)


def update_stream(count: int, next_hop: str, path: tuple[int, ...], first=FIRST_PREFIX) -> bytes:
    """Pre-encoded BGP UPDATEs (RFC 4271 section 4.3, 4-octet AS_PATH) announcing `count` /24s.

    Each UPDATE: no withdrawals; ORIGIN IGP, AS_PATH one AS_SEQUENCE, NEXT_HOP; then as many
    4-byte /24 NLRI entries as fit in 4096 octets (1012).
    """
    attrs = (bytes([0x40, 1, 1, 0]) + bytes([0x40, 2, 2 + 4 * len(path), 2, len(path)])
             + b"".join(struct.pack("!I", a) for a in path)
             + bytes([0x40, 3, 4]) + ipaddress.ip_address(next_hop).packed)
    per_msg = (4096 - 19 - 4 - len(attrs)) // 4
    base = int(first) >> 8
    out = []
    for start in range(0, count, per_msg):
        n = min(per_msg, count - start)
        nlri = b"".join(b"\x18" + (base + i).to_bytes(3, "big") for i in range(start, start + n))
        body = struct.pack("!H", 0) + struct.pack("!H", len(attrs)) + attrs + nlri
        out.append(b"\xff" * 16 + struct.pack("!HB", 19 + len(body), 2) + body)
    return b"".join(out)


def replay(peer: str, local: str, count: int) -> None:
    """A minimal fast BGP sender: OPEN handshake, then every UPDATE in one write, then idle."""
    caps = bytes([1, 4, 0, 1, 0, 1]) + bytes([65, 4]) + struct.pack("!I", SENDER_AS)
    params = bytes([2, len(caps)]) + caps
    body = struct.pack("!BHH4sB", 4, SENDER_AS, 240, ipaddress.ip_address(local).packed, len(params)) + params
    keepalive = b"\xff" * 16 + struct.pack("!HB", 19, 4)
    updates = update_stream(count, local, (SENDER_AS, ORIGIN_AS))
    sock = socket.create_connection((peer, 179), timeout=30, source_address=(local, 0))
    sock.sendall(b"\xff" * 16 + struct.pack("!HB", 19 + len(body), 1) + body)
    stream = sock.makefile("rb")
    got_keepalive = False
    while not got_keepalive:
        header = stream.read(19)
        if len(header) < 19:
            raise ConnectionError("receiver closed the session during the handshake")
        length, kind = struct.unpack("!HB", header[16:19])
        stream.read(length - 19)
        if kind == 1:
            sock.sendall(keepalive)
        elif kind == 4:
            got_keepalive = True
        elif kind == 3:
            raise ConnectionError("receiver sent a NOTIFICATION")
    print(f"ESTABLISHED {time.time():.6f}", flush=True)
    sock.sendall(updates)
    sock.settimeout(30)
    while True:
        try:
            if not sock.recv(65536):
                return
        except socket.timeout:
            sock.sendall(keepalive)


def replay_established(log: str) -> float:
    """When the replay sender completed the handshake (it prints ``ESTABLISHED <epoch>``)."""
    for line in log.splitlines():
        if line.startswith("ESTABLISHED "):
            return float(line.split()[1])
    raise RuntimeError(f"replay sender did not report Established: {log[-500:]}")


def peak_rss_mb(pid: int) -> float:
    """VmHWM of a process in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass(frozen=True)
class Result:
    """One receiver's measurement."""

    receiver: str
    seconds: float
    error: float  # half-width of the polling brackets at both ends
    rss_mb: float
    prefixes: int
    first_to_all: float  # from the first prefix in the Loc-RIB until all (the sender's delay left out)

    @property
    def rate(self) -> float:
        return self.prefixes / self.seconds if self.seconds > 0 else float("inf")


class BirdSocket:
    """A persistent BIRD control-protocol connection (cheaper than spawning birdc per poll)."""

    def __init__(self, path: Path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(str(path))
        self.stream = self.sock.makefile("rwb")
        self.stream.readline()

    def ask(self, command: str) -> list[str]:
        """Send one command; the reply lines up to the one that ends it (code + space)."""
        self.stream.write(command.encode() + b"\n")
        self.stream.flush()
        lines = []
        for raw in self.stream:
            line = raw.decode(errors="replace").rstrip("\n")
            lines.append(line)
            if line[:4].isdigit() and line[4:5] == " ":
                break
        return lines

    def close(self) -> None:
        self.sock.close()


class FrrVty:
    """A persistent connection to bgpd's vty socket, speaking vtysh's protocol (no vtysh spawn).

    A command is sent NUL-terminated; the reply ends with three NUL octets and a status octet.
    The session starts in VIEW_NODE, so ``enable`` is sent first (prefix-counts needs it).
    """

    def __init__(self, path: Path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(str(path))
        self.ask("enable")

    def ask(self, command: str) -> str:
        """Send one command, return its output; raise RuntimeError when bgpd reports a failure."""
        self.sock.sendall(command.encode() + b"\0")
        buf = bytearray()
        while len(buf) < 4 or buf[-4:-1] != b"\0\0\0":
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("bgpd closed its vty socket")
            buf += chunk
        if buf[-1] != 0:
            raise RuntimeError(f"bgpd: {command}: {buf[:-4].decode(errors='replace').strip()}")
        return buf[:-4].decode(errors="replace")

    def close(self) -> None:
        self.sock.close()


# What each receiver's count is, all of them Loc-RIB (best routes) counts.
COUNTED = {
    "speaker": "status json: loc_rib.ipv4",
    "bird": "show protocols all: Routes: N imported (in the table)",
    "frr": "prefix-counts json: PfxCt Best Selected",
    "gobgpd": "gobgp global rib summary: Destination",
}


def poller(receiver, kind: str, sender: str):
    """A function returning (established?, Loc-RIB prefixes) for the receiver's session with `sender`.

    Our speaker, BIRD and FRR are asked over one persistent control socket each; gobgpd has only
    gRPC, so its poll spawns the gobgp CLI (the bracket in `Observation` carries that latency).
    """
    if kind in ("speaker", "bird"):
        conn = BirdSocket(receiver.socket)
    if kind == "speaker":
        def poll():
            doc = json.loads(conn.ask("status json")[0])
            p = next(p for p in doc["peers"] if p["address"] == sender)
            loc_rib = doc.get("loc_rib", {})
            if "ipv4" not in loc_rib:
                raise RuntimeError("this speaker's status json has no loc_rib count")
            return p["state"] == "Established", int(loc_rib["ipv4"])
        return poll
    if kind == "bird":
        name = "p_" + sender.replace(".", "_")

        def poll():
            lines = conn.ask(f"show protocols all {name}")
            if not any("BGP state:" in line and "Established" in line for line in lines):
                return False, 0
            routes = next(line for line in lines if "Routes:" in line)
            return True, int(routes.split("Routes:")[1].split()[0])
        return poll
    if kind == "frr":
        vty = FrrVty(receiver.vty_dir / "bgpd.vty")
        established = False

        def poll():
            nonlocal established
            if not established:
                data = json.loads(vty.ask("show bgp ipv4 unicast summary json"))
                established = data.get("peers", {}).get(sender, {}).get("state") == "Established"
                if not established:
                    return False, 0
            data = json.loads(vty.ask(f"show bgp ipv4 unicast neighbors {sender} prefix-counts json"))
            return True, int(data["ribTableWalkCounters"]["PfxCt Best Selected"])
        return poll

    established = False

    def poll():
        nonlocal established
        if not established:
            data = json.loads(receiver.gobgp("neighbor", sender, "-j"))
            established = data.get("state", {}).get("session_state") in (6, "established", "ESTABLISHED")
            if not established:
                return False, 0
        return True, global_rib_count(receiver)
    return poll


@dataclass(frozen=True)
class Observation:
    """One poll: wall-clock time before and after it, and what it saw."""

    before: float
    after: float
    established: bool
    held: int


def bracket(observations: list[Observation], reached, not_before: float = 0.0) -> tuple[float, float]:
    """(estimate, half-width) of when `reached` first became true between two polls.

    The event happened after the last poll that did not see it started (and not before
    `not_before`) and before the first poll that saw it returned: the estimate is the middle.
    """
    i = next(i for i, o in enumerate(observations) if reached(o))
    low = max(observations[i - 1].before if i else observations[i].before, not_before)
    high = observations[i].after
    return (low + high) / 2, (high - low) / 2


def global_rib_count(daemon: GoBGP) -> int:
    """Destinations in a gobgpd's IPv4 global RIB (its Loc-RIB)."""
    out = daemon.gobgp("global", "rib", "summary", "-a", "ipv4")
    return int(out.split("Destination:")[1].split(",")[0])


def preloaded(sender: GoBGP, wanted: int) -> int:
    """Wait until the sender's RIB stops growing; return its size (must reach `wanted`).

    `gobgp mrt inject` drops the tail of its stream (measured: 845 of 1000 records), so the MRT
    file carries spare prefixes and the benchmark uses however many actually arrived.
    """
    last = -1
    while True:
        now = global_rib_count(sender)
        if now == last:
            break
        last = now
        time.sleep(0.5)
    if last < wanted:
        raise RuntimeError(f"gobgpd sender holds only {last} of {wanted} prefixes")
    return last


def measure(kind: str, count: int, mrt: Path, workdir: Path, sender_kind: str = "gobgpd") -> Result:
    """One receiver: start it, preload the sender, enable the session, time the ingest."""
    lab = Lab(workdir / kind)
    lab.workdir.mkdir(parents=True, exist_ok=True)
    try:
        rcv_ns, snd_ns = lab.namespace("rcv"), lab.namespace("snd")
        link = lab.link(rcv_ns, snd_ns)
        r4, s4 = str(link.a4.ip), str(link.b4.ip)
        spec = RouterSpec(r4, RECEIVER_AS, (Neighbor(s4, SENDER_AS, passive=True, hold_time=240),))
        if kind == "speaker":
            receiver = OurSpeaker(lab, rcv_ns, spec, "speaker", python=sys.executable,
                                  repo=str(REPO), profile=PROFILE).start()
        elif kind == "bird":
            receiver = Bird(lab, rcv_ns, spec, "bird", version=1).start()
        elif kind == "frr":
            receiver = Frr(lab, rcv_ns, spec, "frr").start()
        else:
            receiver = GoBGP(lab, rcv_ns, spec, "gobgpd").start()
        if sender_kind == "gobgpd":
            sender = GoBGP(lab, snd_ns, RouterSpec(s4, SENDER_AS, listen_port=-1), "sender").start()
            sender.gobgp("mrt", "inject", "global", str(mrt))
            count = preloaded(sender, count)
            sender.gobgp("neighbor", "add", r4, "as", str(RECEIVER_AS))
        else:
            replayer = lab.start(snd_ns, "replay", [sys.executable, str(Path(__file__).resolve()),
                                                    "--replay-to", r4, "--local", s4, "--prefixes", str(count)])
        poll = poller(receiver, kind, s4)
        observations: list[Observation] = []
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            before = time.time()
            try:
                est, held = poll()
            except (OSError, ValueError, KeyError, StopIteration, LabError):
                est, held = False, 0
            observations.append(Observation(before, time.time(), est, held))
            if held >= count:
                break
            time.sleep(POLL_INTERVAL)
        else:
            raise TimeoutError(f"{kind}: prefixes not all in the Loc-RIB within 300 s")
        if sender_kind == "replay":
            start, start_error = replay_established(replayer.log()), 0.0
        else:
            start, start_error = bracket(observations, lambda o: o.established)
        end, end_error = bracket(observations, lambda o: o.held >= count, start)
        first, _ = bracket(observations, lambda o: o.held > 0, start)
        result = Result(kind, end - start, start_error + end_error, peak_rss_mb(receiver.process.pid),
                        observations[-1].held, end - first)
        receiver.process.stop(timeout=60)
        return result
    finally:
        lab.close()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefixes", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs per receiver; the median is shown")
    parser.add_argument("--receivers", default="speaker,bird,frr,gobgpd")
    parser.add_argument("--sender", choices=["gobgpd", "replay"], default="gobgpd",
                        help="gobgpd (the issue's sender) or replay (pre-encoded UPDATEs, receiver-bound)")
    parser.add_argument("--profile", type=Path, help="write a cProfile of our speaker to this file")
    parser.add_argument("--replay-to", help=argparse.SUPPRESS)
    parser.add_argument("--local", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.replay_to:
        replay(args.replay_to, args.local, args.prefixes)
        return 0
    global PROFILE
    PROFILE = args.profile
    workdir = Path(tempfile.mkdtemp(prefix="pcb-p4-"))
    mrt = workdir / "prefixes.mrt"
    mrt.write_bytes(mrt_table_dump(args.prefixes + args.prefixes // 10 + 1000, "198.18.0.2", ORIGIN_AS))
    results: dict[str, Result] = {}
    for kind in args.receivers.split(","):
        runs = [measure(kind, args.prefixes, mrt, workdir / f"run{i}", args.sender)
                for i in range(args.repeat)]
        runs.sort(key=lambda r: r.seconds)
        results[kind] = runs[len(runs) // 2]
        r = results[kind]
        print(f"{kind:8s} {r.seconds:8.3f} ± {r.error:.3f} s  {r.rate:10.0f} prefixes/s  peak RSS {r.rss_mb:6.1f} MB"
              f"  first prefix to all {r.first_to_all:.3f} s"
              f"  (runs: {', '.join(f'{x.seconds:.3f}' for x in runs)}; counted: {COUNTED[kind]})", flush=True)
    if "speaker" in results:
        ours = results["speaker"]
        for ref in ("bird", "frr", "gobgpd"):
            if ref in results:
                print(f"speaker rate / {ref} rate = {ours.rate / results[ref].rate:.2f}")
        if {"frr", "gobgpd", "bird"} <= set(results):
            ok = (ours.seconds < results["frr"].seconds and ours.seconds < results["gobgpd"].seconds
                  and ours.rate >= results["bird"].rate / 3)
            print(f"target (faster than FRR and gobgpd, >= 1/3 of BIRD's rate): {'MET' if ok else 'NOT MET'}")
    print(f"sender {args.sender}; median of {args.repeat} run(s); "
          f"{statistics.fmean(r.prefixes for r in results.values()):.0f} prefixes")
    run(["rm", "-rf", str(workdir)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
