"""P1: cold ``pycalicoctl get ippools`` (a fresh process each time, 10 pools in etcd) against
``etcdctl get --prefix`` of the same keys; prints the median wall-time ratio (target <= 3x).
``pycalicoctl get ippools`` is answered by the click-free fast path (pycalicoctl/fastget.py); the same
rounds also time the full click CLI (PYCALICOCTL_NO_FASTPATH=1, same output asserted) and the bare
interpreter start (``python -c pass``), so the ratio can be split into Python start-up and our own cost.

Usage: .venv/bin/python benchmarks/p1_get_ippools.py [--rounds N]
Starts its own throwaway etcd on loopback (data dir on /dev/shm) and stops it by PID at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from typing import Iterator

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYCALICOCTL = os.path.join(os.path.dirname(sys.executable), "pycalicoctl")
POOL_PREFIX = "/calico/resources/v3/projectcalico.org/ippools/"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def etcd_server() -> Iterator[str]:
    """A throwaway single-node etcd on loopback; yields its client URL."""
    binary = shutil.which("etcd")
    if binary is None:
        raise SystemExit("etcd not installed (apt-get install etcd-server)")
    data = tempfile.mkdtemp(prefix="bench-etcd-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    client_url, peer_url = f"http://127.0.0.1:{_free_port()}", f"http://127.0.0.1:{_free_port()}"
    log = open(os.path.join(data, "etcd.log"), "wb")
    proc = subprocess.Popen(
        [binary, "--name", "bench", "--data-dir", data, "--listen-client-urls", client_url,
         "--advertise-client-urls", client_url, "--listen-peer-urls", peer_url,
         "--initial-advertise-peer-urls", peer_url, "--initial-cluster", f"bench={peer_url}",
         "--initial-cluster-state", "new", "--heartbeat-interval", "10", "--election-timeout", "100",
         "--logger", "zap", "--log-level", "error"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("etcd did not become healthy")
            try:
                with urllib.request.urlopen(client_url + "/health", timeout=0.5) as reply:
                    if json.load(reply).get("health") == "true":
                        break
            except (OSError, ValueError):
                time.sleep(0.02)
        yield client_url
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
        shutil.rmtree(data, ignore_errors=True)


def cli_env(url: str) -> dict[str, str]:
    """Environment selecting the etcd datastore for pycalicoctl and etcdctl. Bytecode caching stays
    on (as for any user): PYTHONDONTWRITEBYTECODE would recompile every changed module each run."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "DATASTORE_TYPE": "etcdv3", "ETCD_ENDPOINTS": url, "ETCDCTL_API": "3"}


def pools_yaml(count: int, first_octet: int = 10) -> str:
    """``count`` IPPool documents with distinct /24 CIDRs."""
    docs = []
    for i in range(count):
        docs.append(
            f"apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pool-{i}\n"
            f"spec:\n  cidr: {first_octet}.{i // 256}.{i % 256}.0/24\n  natOutgoing: true\n"
        )
    return "---\n".join(docs)


def timed(argv: list[str], env: dict[str, str], stdin: str | None = None) -> tuple[float, str]:
    """Wall time of one fresh process and its stdout; raises if it fails."""
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, input=stdin, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed: {done.stderr.strip()}")
    return elapsed, done.stdout


def import_breakdown(env: dict[str, str], top: int = 8) -> list[tuple[str, float]]:
    """Cumulative import time (ms) of the heaviest top-level imports of one ``get ippools`` run."""
    done = subprocess.run([sys.executable, "-X", "importtime", PYCALICOCTL, "get", "ippools"],
                          env=env, capture_output=True, text=True)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, _self, cumulative, name = (part.strip() for part in line.replace("import time:", "|", 1).split("|"))
        if not name.startswith(" ") and "  " not in line.split("|")[-1][:2]:
            rows.append((name, int(cumulative) / 1000))
    return sorted(rows, key=lambda row: -row[1])[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with etcd_server() as url:
        env = cli_env(url)
        timed([PYCALICOCTL, "create", "-f", "-"], env, pools_yaml(10))
        timed([PYCALICOCTL, "get", "ippools"], env)  # warm the bytecode cache
        full_env = {**env, "PYCALICOCTL_NO_FASTPATH": "1"}
        ours, full, reference, floor = [], [], [], []
        for _ in range(args.rounds):
            elapsed, out = timed([PYCALICOCTL, "get", "ippools"], env)
            assert out.count("\n") == 12, out
            ours.append(elapsed)
            elapsed, full_out = timed([PYCALICOCTL, "get", "ippools"], full_env)
            assert full_out == out
            full.append(elapsed)
            elapsed, out = timed(["etcdctl", "--endpoints", url, "get", "--prefix", POOL_PREFIX], env)
            assert out.count(POOL_PREFIX) == 10
            reference.append(elapsed)
            floor.append(timed([sys.executable, "-c", "pass"], env)[0])
        breakdown = import_breakdown(env)
    ours_ms, ref_ms = statistics.median(ours) * 1000, statistics.median(reference) * 1000
    full_ms, floor_ms = statistics.median(full) * 1000, statistics.median(floor) * 1000
    print(f"P1 rounds={args.rounds} load average {os.getloadavg()[0]:.2f}")
    print(f"  pycalicoctl get ippools  median {ours_ms:7.1f} ms  min {min(ours) * 1000:7.1f} ms")
    print(f"  full click CLI           median {full_ms:7.1f} ms  min {min(full) * 1000:7.1f} ms")
    print(f"  etcdctl get --prefix     median {ref_ms:7.1f} ms  min {min(reference) * 1000:7.1f} ms")
    print(f"  python -c pass           median {floor_ms:7.1f} ms  min {min(floor) * 1000:7.1f} ms")
    print(f"  median ratio {ours_ms / ref_ms:.2f}x (target <= 3x); min ratio {min(ours) / min(reference):.2f}x; "
          f"full click CLI {full_ms / ref_ms:.2f}x")
    print(f"  interpreter start alone vs etcdctl {floor_ms / ref_ms:.2f}x; "
          f"pycalicoctl beyond the interpreter start {ours_ms - floor_ms:.1f} ms")
    print("  heaviest top-level imports of one run (python -X importtime, cumulative ms):")
    for name, ms in breakdown:
        print(f"    {name:40s} {ms:7.1f}")


if __name__ == "__main__":
    main()
