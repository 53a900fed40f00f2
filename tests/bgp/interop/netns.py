"""Network namespaces joined by veth links, and processes started inside them.

Every namespace is named ``pcb-<tag>`` so leftovers are recognisable. Addresses come from
198.18.0.0/15 (IPv4) and fd00:198:18::/48 (IPv6, only inside namespaces). A `Lab` owns its
namespaces and processes and tears everything down by PID and by name, even after a failure.
"""
from __future__ import annotations

import ipaddress
import itertools
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

IPV4_SPACE = ipaddress.ip_network("198.18.0.0/15")
IPV6_SPACE = ipaddress.ip_network("fd00:198:18::/48")

_counter = itertools.count()


class LabError(RuntimeError):
    """A lab operation (namespace, link, process) failed."""


def have_tools() -> bool:
    """True when we are root and `ip` is available."""
    return os.geteuid() == 0 and shutil.which("ip") is not None


def run(argv: Sequence[str], *, check: bool = True, timeout: float = 20.0) -> str:
    """Run a command, return its stdout; raise LabError with stderr on failure."""
    proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise LabError(f"{' '.join(argv)}: exit {proc.returncode}: {proc.stderr.strip()}")
    return proc.stdout


def wait_for(predicate: Callable[[], object], *, timeout: float = 20.0, interval: float = 0.05,
             what: str = "condition") -> object:
    """Poll `predicate` until it returns a truthy value or the deadline passes."""
    deadline = time.monotonic() + timeout
    last_exc: Exception | None = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except (LabError, subprocess.SubprocessError, OSError, ValueError, KeyError) as exc:
            last_exc = exc
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_exc})" if last_exc else ""
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}{detail}")
        time.sleep(interval)


@dataclass
class Namespace:
    """One network namespace."""

    name: str

    def argv(self, argv: Sequence[str]) -> list[str]:
        """Prefix `argv` so it runs inside this namespace."""
        return ["ip", "netns", "exec", self.name, *argv]

    def run(self, argv: Sequence[str], *, check: bool = True, timeout: float = 20.0) -> str:
        """Run a command inside the namespace."""
        return run(self.argv(argv), check=check, timeout=timeout)


@dataclass
class Link:
    """A veth pair between two namespaces with one IPv4 and one IPv6 address at each end."""

    a: Namespace
    b: Namespace
    dev_a: str
    dev_b: str
    a4: ipaddress.IPv4Interface
    b4: ipaddress.IPv4Interface
    a6: ipaddress.IPv6Interface
    b6: ipaddress.IPv6Interface


@dataclass
class Process:
    """A process started by the lab; stopped by PID."""

    name: str
    popen: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        """The process id (`ip netns exec` execs into the command, so it is the daemon's)."""
        return self.popen.pid

    def alive(self) -> bool:
        """True while the process has not exited."""
        return self.popen.poll() is None

    def log(self) -> str:
        """Everything the process wrote to stdout/stderr so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int | None:
        """Signal the process and wait for it; SIGKILL if it does not exit in time."""
        if self.popen.poll() is None:
            try:
                os.kill(self.popen.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        return self.popen.returncode


@dataclass
class Lab:
    """Namespaces, links and processes of one test, all removed by `close()`."""

    workdir: Path
    tag: str = field(default_factory=lambda: f"{os.getpid() % 10000}{next(_counter)}")
    namespaces: list[Namespace] = field(default_factory=list)
    processes: list[Process] = field(default_factory=list)
    _subnet_index: int = 0

    def namespace(self, short: str) -> Namespace:
        """Create namespace `pcb-<tag>-<short>` with loopback up and forwarding enabled."""
        name = f"pcb-{self.tag}-{short}"
        if len(name) > 40:
            raise ValueError(f"namespace name too long: {name}")
        run(["ip", "netns", "add", name])
        ns = Namespace(name)
        self.namespaces.append(ns)
        ns.run(["ip", "link", "set", "lo", "up"])
        for key in ("net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1",
                    "net.ipv4.conf.all.rp_filter=0", "net.ipv6.conf.default.accept_dad=0",
                    "net.ipv6.conf.all.accept_dad=0"):
            ns.run(["sysctl", "-qw", key])
        return ns

    def link(self, a: Namespace, b: Namespace, *, prefixlen: int = 30) -> Link:
        """Join `a` and `b` with a veth pair carrying the next free /30 and /126 subnets."""
        index = self._subnet_index
        self._subnet_index += 1
        if not 22 <= prefixlen <= 30:
            raise ValueError("prefixlen must be within 22..30 (one /22 per link)")
        v4 = ipaddress.ip_network(f"{IPV4_SPACE.network_address + index * 1024}/{prefixlen}")
        if v4.network_address not in IPV4_SPACE:
            raise ValueError("out of link subnets")
        v6 = ipaddress.ip_network(f"{IPV6_SPACE.network_address + (index << 8)}/120")
        hosts4 = list(itertools.islice(v4.hosts(), 2))
        a4 = ipaddress.ip_interface(f"{hosts4[0]}/{prefixlen}")
        b4 = ipaddress.ip_interface(f"{hosts4[1]}/{prefixlen}")
        a6 = ipaddress.ip_interface(f"{v6.network_address + 1}/120")
        b6 = ipaddress.ip_interface(f"{v6.network_address + 2}/120")
        dev_a, dev_b = f"v{self.tag}x{index}a", f"v{self.tag}x{index}b"
        run(["ip", "link", "add", dev_a, "netns", a.name, "type", "veth",
             "peer", "name", dev_b, "netns", b.name])
        for ns, dev, i4, i6 in ((a, dev_a, a4, a6), (b, dev_b, b4, b6)):
            ns.run(["ip", "addr", "add", str(i4), "dev", dev])
            ns.run(["ip", "-6", "addr", "add", str(i6), "dev", dev, "nodad"])
            ns.run(["ip", "link", "set", dev, "up"])
        return Link(a, b, dev_a, dev_b, a4, b4, a6, b6)

    def segment(self, hub: Namespace, members: Sequence[Namespace]) -> list[ipaddress.IPv4Interface]:
        """Put `hub` and `members` on one Linux bridge (in `hub`) sharing a /24 and a /120.

        Returns the IPv4 interfaces of hub and members in that order; the IPv6 address of
        member i is the IPv6 subnet's address i + 1 (`segment_v6`).
        """
        index = self._subnet_index
        self._subnet_index += 1
        net4 = ipaddress.ip_network(f"{IPV4_SPACE.network_address + index * 1024}/24")
        net6 = ipaddress.ip_network(f"{IPV6_SPACE.network_address + (index << 8)}/120")
        bridge = f"b{self.tag}x{index}"
        hub.run(["ip", "link", "add", bridge, "type", "bridge"])
        hub.run(["ip", "link", "set", bridge, "up"])
        result = []
        for i, ns in enumerate([hub, *members]):
            a4 = ipaddress.ip_interface(f"{net4.network_address + i + 1}/24")
            a6 = ipaddress.ip_interface(f"{net6.network_address + i + 1}/120")
            port, inner = f"v{self.tag}x{index}p{i}", f"v{self.tag}x{index}m{i}"
            run(["ip", "link", "add", inner, "netns", ns.name, "type", "veth",
                 "peer", "name", port, "netns", hub.name])
            hub.run(["ip", "link", "set", port, "master", bridge])
            hub.run(["ip", "link", "set", port, "up"])
            ns.run(["ip", "addr", "add", str(a4), "dev", inner])
            ns.run(["ip", "-6", "addr", "add", str(a6), "dev", inner, "nodad"])
            ns.run(["ip", "link", "set", inner, "up"])
            result.append(a4)
        return result

    def add_address(self, ns: Namespace, dev: str, address: str) -> None:
        """Add one more address to a device (e.g. many client addresses on one link)."""
        family = "-6" if ":" in address else "-4"
        ns.run(["ip", family, "addr", "add", address, "dev", dev] + (["nodad"] if family == "-6" else []))

    def start(self, ns: Namespace, name: str, argv: Sequence[str], *,
              env: dict[str, str] | None = None) -> Process:
        """Start `argv` in `ns` in the background, output to <workdir>/<name>.log."""
        log_path = self.workdir / f"{name}.log"
        log_file = open(log_path, "wb")
        try:
            popen = subprocess.Popen(ns.argv(argv), stdout=log_file, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        finally:
            log_file.close()
        proc = Process(name, popen, log_path)
        self.processes.append(proc)
        return proc

    def close(self) -> None:
        """Stop every process (by PID) and delete every namespace, ignoring what is gone."""
        for proc in reversed(self.processes):
            proc.stop(signal.SIGKILL, timeout=5)
        self.processes.clear()
        for ns in reversed(self.namespaces):
            pids = run(["ip", "netns", "pids", ns.name], check=False).split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            run(["ip", "netns", "del", ns.name], check=False)
        self.namespaces.clear()
