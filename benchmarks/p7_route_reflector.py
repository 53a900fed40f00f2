"""P7: our speaker as route reflector for 200 client sessions from one namespace, next to BIRD 1.6.

One gobgpd in namespace `cl` owns 200 client addresses; each is a passive iBGP peer (AS 65000)
of one of 200 addresses of the reflector in namespace `rr`, and gobgpd announces 100 prefixes
on every session. The clients are passive and the reflector opens the 200 connections: gobgpd
spaces its own connection attempts by its minimum connect-retry interval (5 s in GoBGP v3) with
jitter, which dominated both reflectors' times when the clients connected (measured: about 9 s
to get 20 sessions up whichever the reflector).

For each reflector (our speaker, then BIRD 1.6, same run): start the gobgpd clients and add
their prefixes, then start the reflector with 200 RR-client peers and measure, from the moment
the reflector process is started, the seconds until all 200 sessions are Established on the
reflector and until it has reflected the routes to every client, plus its peak RSS. The
reflector's start-up (until its control socket answers; for our speaker that includes Python's
start-up and imports) is printed separately. The reflector is polled every 0.1 s. Prints the
ratios against the targets (within 2x of BIRD's time, RSS under 64 MB).

Usage (root): .venv/bin/python benchmarks/p7_route_reflector.py [--clients 200] [--prefixes 100]
"""
from __future__ import annotations

import argparse
import ipaddress
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.p4_bgp_ingest import BirdSocket, peak_rss_mb  # noqa: E402
from tests.bgp.interop.configs import Neighbor, RouterSpec  # noqa: E402
from tests.bgp.interop.daemons import Bird, GoBGP, OurSpeaker  # noqa: E402
from tests.bgp.interop.netns import Lab, run, wait_for  # noqa: E402

ASN = 65000
PROFILE: Path | None = None


@dataclass(frozen=True)
class Result:
    """One reflector's measurement."""

    reflector: str
    startup_s: float
    established_s: float
    reflected_s: float
    rss_mb: float


def addresses(base: ipaddress.IPv4Address, offset: int, count: int) -> list[str]:
    """`count` consecutive addresses starting at base + offset."""
    return [str(base + offset + i) for i in range(count)]


def established_count(kind: str, conn: BirdSocket) -> int:
    """Sessions in Established on the reflector."""
    if kind == "speaker":
        import json
        doc = json.loads(conn.ask("status json")[0])
        return sum(1 for p in doc["peers"] if p["state"] == "Established")
    return sum(1 for line in conn.ask("show protocols") if "Established" in line)


def measure(kind: str, clients: int, prefixes: int, workdir: Path) -> Result:
    """Set up rr + cl namespaces, run one reflector against the gobgpd clients, time it."""
    lab = Lab(workdir / kind)
    lab.workdir.mkdir(parents=True, exist_ok=True)
    try:
        rr_ns, cl_ns = lab.namespace("rr"), lab.namespace("cl")
        link = lab.link(rr_ns, cl_ns, prefixlen=22)
        base = link.a4.network.network_address
        rr_addrs = addresses(base, 256, clients)
        cl_addrs = addresses(base, 512, clients)
        for a in rr_addrs:
            lab.add_address(rr_ns, link.dev_a, f"{a}/22")
        for a in cl_addrs:
            lab.add_address(cl_ns, link.dev_b, f"{a}/22")
        rr_id = str(link.a4.ip)
        client_spec = RouterSpec(cl_addrs[0], ASN, tuple(
            Neighbor(r, ASN, passive=True) for r in rr_addrs))
        gobgp = GoBGP(lab, cl_ns, client_spec, "clients").start()
        for i in range(prefixes):
            prefix = f"10.{100 + i // 256}.{i % 256}.0/24"
            wait_for(lambda: gobgp.gobgp("global", "rib", "add", "-a", "ipv4", prefix) is not None,
                     timeout=10, what=f"gobgpd to take {prefix}")
        peers = tuple(Neighbor(c, ASN, rr_client=True, local_address=r) for c, r in zip(cl_addrs, rr_addrs))
        t0 = time.time()
        if kind == "speaker":
            reflector = OurSpeaker(lab, rr_ns, RouterSpec(rr_id, ASN, peers, cluster_id=rr_id),
                                   "speaker", python=sys.executable, repo=str(REPO),
                                   profile=PROFILE).start()
        else:
            reflector = Bird(lab, rr_ns, RouterSpec(rr_id, ASN, peers, cluster_id=rr_id, export_all=True,
                                                    connect_delay=0), "bird", version=1).start()
        startup_s = time.time() - t0
        conn = BirdSocket(reflector.socket)
        established_s = None
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if established_s is None and established_count(kind, conn) >= clients:
                established_s = time.time() - t0
                break
            time.sleep(0.1)
        if established_s is None:
            raise TimeoutError(f"{kind}: not all {clients} sessions Established")
        reflected_s = wait_reflected(kind, conn, clients, prefixes, t0)
        rss = peak_rss_mb(reflector.process.pid)
        conn.close()
        reflector.process.stop(timeout=60)
        return Result(kind, startup_s, established_s, reflected_s, rss)
    finally:
        lab.close()


def wait_reflected(kind: str, conn: BirdSocket, clients: int, prefixes: int, t0: float) -> float:
    """Seconds (from t0) until the reflector has sent the prefixes to every other client.

    All sessions announce the same prefixes, so every best path comes from one session (lowest
    peer address), which is the one client that gets nothing back.
    """
    import json
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if kind == "speaker":
            doc = json.loads(conn.ask("status json")[0])
            done = sum(1 for p in doc["peers"] if p["prefixes"]["sent"] >= prefixes)
        else:
            done = 0
            for line in conn.ask("show protocols all"):
                if "Routes:" in line and "exported" in line:
                    exported = int(line.split("imported,")[1].split()[0])
                    done += exported >= prefixes
        if done >= clients - 1:
            return time.time() - t0
        time.sleep(0.1)
    raise TimeoutError(f"{kind}: routes not reflected to all clients")


def main(argv: list[str] | None = None) -> int:
    """Run both reflectors and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--prefixes", type=int, default=100)
    parser.add_argument("--reflectors", default="speaker,bird")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds (reflectors interleaved); the median round per reflector is shown")
    parser.add_argument("--profile", type=Path, help="write a cProfile of our speaker to this file")
    args = parser.parse_args(argv)
    global PROFILE
    PROFILE = args.profile
    workdir = Path(tempfile.mkdtemp(prefix="pcb-p7-"))
    kinds = args.reflectors.split(",")
    runs: dict[str, list[Result]] = {k: [] for k in kinds}
    for round_no in range(args.repeat):
        for kind in kinds:
            runs[kind].append(measure(kind, args.clients, args.prefixes, workdir / f"round{round_no}"))
    results = {}
    for kind in kinds:
        ordered = sorted(runs[kind], key=lambda r: r.established_s)
        r = results[kind] = ordered[len(ordered) // 2]
        print(f"{kind:8s} start-up {r.startup_s:5.2f} s; all {args.clients} Established after {r.established_s:6.2f} s, "
              f"routes reflected to all after {r.reflected_s:6.2f} s, peak RSS {r.rss_mb:6.1f} MB"
              f"  (Established runs: {', '.join(f'{x.established_s:.2f}' for x in runs[kind])})",
              flush=True)
    if {"speaker", "bird"} <= set(results):
        ours, bird = results["speaker"], results["bird"]
        ratio = ours.established_s / bird.established_s
        print(f"speaker/bird Established time = {ratio:.2f} (target <= 2), "
              f"reflection time ratio = {ours.reflected_s / bird.reflected_s:.2f}, "
              f"speaker RSS {ours.rss_mb:.1f} MB (target < 64): "
              f"{'MET' if ratio <= 2 and ours.rss_mb < 64 else 'NOT MET'}")
    run(["rm", "-rf", str(workdir)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
