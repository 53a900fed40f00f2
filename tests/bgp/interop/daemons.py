"""Runners for real BGP daemons and our speaker, each in a namespace with its own control socket.

Every runner (`Bird` for BIRD 1.6 v4/v6 and BIRD 2, `GoBGP`, `Frr` for bgpd without zebra,
`OurSpeaker` for `python -m node.bgp`) starts its process through a `Lab`, answers
`session(address)` and `routes(family)` with the parsed values of `configs`, and offers wait
helpers that poll with a deadline.
"""
from __future__ import annotations

import abc
import ipaddress
import json
import os
import re
import signal
import socket
from dataclasses import dataclass, field
from pathlib import Path

from .configs import (BIRD_STATES, Route, RouterSpec, SessionInfo, family_of, bird_config,
                      frr_config, gobgp_config, parse_bird_protocol, parse_bird_routes,
                      parse_frr_route, parse_gobgp_rib, parse_speaker_routes, speaker_config)
from .netns import Lab, LabError, Namespace, Process, run, wait_for

BIRD1 = "/usr/sbin/bird"
BIRD1_V6 = "/usr/sbin/bird6"
BIRDC1 = "/usr/sbin/birdc"
BIRD2 = "/opt/bird2/usr/sbin/bird"
BIRDC2 = "/opt/bird2/usr/sbin/birdc"
GOBGPD = "/usr/bin/gobgpd"
GOBGP = "/usr/bin/gobgp"
FRR_BGPD = "/usr/lib/frr/bgpd"
VTYSH = "/usr/bin/vtysh"


# ---------------------------------------------------------------------------------------------
# Runners
# ---------------------------------------------------------------------------------------------

@dataclass
class Daemon(abc.ABC):
    """Common runner behaviour: a spec, a namespace, a work directory and a process."""

    lab: Lab
    ns: Namespace
    spec: RouterSpec
    label: str
    process: Process | None = None
    workdir: Path = field(init=False)

    def __post_init__(self) -> None:
        self.workdir = self.lab.workdir / self.label
        self.workdir.mkdir(parents=True, exist_ok=True)

    def stop(self) -> None:
        """Stop the daemon with SIGTERM (a clean shutdown sends Cease to its peers)."""
        if self.process is not None:
            self.process.stop()

    def kill(self) -> None:
        """Kill the daemon without any goodbye."""
        if self.process is not None:
            self.process.stop(9)

    def wait_state(self, address: str, state: str = "Established", timeout: float = 30.0) -> None:
        """Wait until the session to `address` is in `state`."""
        wait_for(lambda: self.session(address).state == state, timeout=timeout,
                 what=f"{self.label} session to {address} in {state}")

    def wait_route(self, prefix: str, timeout: float = 30.0) -> Route:
        """Wait until `prefix` is in the RIB and return it."""
        fam = family_of(prefix)
        return wait_for(lambda: self.routes(fam).get(prefix), timeout=timeout,
                        what=f"{prefix} in {self.label}'s RIB")

    def wait_no_route(self, prefix: str, timeout: float = 30.0) -> None:
        """Wait until `prefix` is gone from the RIB."""
        fam = family_of(prefix)
        wait_for(lambda: prefix not in self.routes(fam), timeout=timeout,
                 what=f"{prefix} withdrawn from {self.label}'s RIB")

    @abc.abstractmethod
    def session(self, address: str) -> SessionInfo:
        """The daemon's view of its session to `address`."""

    @abc.abstractmethod
    def routes(self, family: int = 4) -> dict[str, Route]:
        """The daemon's best route per prefix for IPv4 or IPv6 unicast."""


@dataclass
class Bird(Daemon):
    """BIRD 1.6 (one daemon per address family) or BIRD 2 (both families)."""

    version: int = 1
    ipv6: bool = False

    @property
    def socket(self) -> Path:
        return self.workdir / "bird.ctl"

    @property
    def config_path(self) -> Path:
        return self.workdir / "bird.conf"

    def _binary(self) -> str:
        if self.version == 2:
            return BIRD2
        return BIRD1_V6 if self.ipv6 else BIRD1

    def start(self, *, restarting: bool = False) -> Bird:
        """Write the config and start BIRD in the foreground; wait for its control socket.

        ``restarting`` passes ``-R`` (graceful-restart recovery after a crash).
        """
        self.config_path.write_text(bird_config(self.spec, version=self.version, ipv6=self.ipv6))
        self.process = self.lab.start(self.ns, f"{self.label}-{len(self.lab.processes)}", [
            self._binary(), "-f", "-c", str(self.config_path), "-s", str(self.socket)]
            + (["-R"] if restarting else []))
        wait_for(lambda: self.birdc("show status") and True, timeout=10,
                 what=f"{self.label} control socket")
        return self

    def birdc(self, command: str) -> str:
        """Run one birdc command and return its output."""
        if self.process is not None and not self.process.alive():
            raise LabError(f"{self.label} exited: {self.process.log()[-2000:]}")
        client = BIRDC2 if self.version == 2 else BIRDC1
        return run([client, "-s", str(self.socket), *command.split()])

    def reconfigure(self, spec: RouterSpec) -> None:
        """Write a new config and tell BIRD to load it."""
        self.spec = spec
        self.config_path.write_text(bird_config(spec, version=self.version, ipv6=self.ipv6))
        out = self.birdc("configure")
        if "Reconfigured" not in out and "Reconfiguration in progress" not in out:
            raise LabError(f"bird configure failed: {out}")

    def session(self, address: str) -> SessionInfo:
        name = "p_" + re.sub(r"[.:]", "_", address)
        return parse_bird_protocol(self.birdc(f"show protocols all {name}"))

    def routes(self, family: int = 4) -> dict[str, Route]:
        if self.version == 2:
            return parse_bird_routes(self.birdc(f"show route all table master{family}"))
        return parse_bird_routes(self.birdc("show route all"))

    def route_count(self) -> int:
        """Number of routes in BIRD's table(s) (from `show route count`)."""
        out = self.birdc("show route count")
        return sum(int(m) for m in re.findall(r"(\d+) of \d+ routes", out))


@dataclass
class GoBGP(Daemon):
    """gobgpd with its gRPC API on a unix socket."""

    @property
    def socket(self) -> Path:
        return self.workdir / "api.sock"

    def start(self) -> GoBGP:
        """Write the config, start gobgpd, then add the spec's prefixes to its global RIB."""
        conf = self.workdir / "gobgp.toml"
        conf.write_text(gobgp_config(self.spec))
        self.process = self.lab.start(self.ns, self.label, [
            GOBGPD, "-f", str(conf), "-p", "-l", "info", "--api-hosts",
            f"unix://{self.socket}", "--pprof-disable"])
        wait_for(lambda: self.gobgp("global") and True, timeout=10, what="gobgpd API")
        for prefix in self.spec.prefixes:
            self.announce(prefix)
        return self

    def gobgp(self, *args: str) -> str:
        """Run the gobgp CLI against this daemon."""
        if self.process is not None and not self.process.alive():
            raise LabError(f"{self.label} exited: {self.process.log()[-2000:]}")
        return run([GOBGP, "--target", f"unix://{self.socket}", *args])

    def announce(self, prefix: str, *attributes: str) -> None:
        """Originate `prefix` with the spec's MED and communities plus gobgp `attributes`."""
        fam = "ipv6" if family_of(prefix) == 6 else "ipv4"
        extra: list[str] = list(attributes)
        if self.spec.med is not None:
            extra += ["med", str(self.spec.med)]
        if self.spec.communities:
            extra += ["community", ",".join(f"{a}:{b}" for a, b in self.spec.communities)]
        self.gobgp("global", "rib", "add", "-a", fam, prefix, *extra)

    def withdraw(self, prefix: str) -> None:
        """Stop originating `prefix`."""
        fam = "ipv6" if family_of(prefix) == 6 else "ipv4"
        self.gobgp("global", "rib", "del", "-a", fam, prefix)

    def session(self, address: str) -> SessionInfo:
        data = json.loads(self.gobgp("neighbor", address, "-j"))
        state = data.get("state", {}).get("session_state", 0)
        names = {1: "Idle", 2: "Connect", 3: "Active", 4: "OpenSent", 5: "OpenConfirm",
                 6: "Established"}
        if isinstance(state, str):
            return SessionInfo(BIRD_STATES.get(state.lower(), state.capitalize()))
        return SessionInfo(names.get(state, "Idle"))

    def routes(self, family: int = 4) -> dict[str, Route]:
        out = self.gobgp("global", "rib", "-a", f"ipv{family}", "-j")
        return parse_gobgp_rib(json.loads(out) if out.strip() else {})


@dataclass
class Frr(Daemon):
    """FRR bgpd without zebra, queried through vtysh."""

    @property
    def vty_dir(self) -> Path:
        return self.workdir / "vty"

    def start(self) -> Frr:
        """Write bgpd.conf and start bgpd in the namespace; wait until vtysh answers."""
        self.vty_dir.mkdir(exist_ok=True)
        conf = self.workdir / "bgpd.conf"
        conf.write_text(frr_config(self.spec, self.workdir / "bgpd.log"))
        for path in (self.workdir, self.vty_dir):
            run(["chown", "frr:frr", str(path)])
        run(["chown", "frr:frr", str(conf)])
        self.process = self.lab.start(self.ns, self.label, [
            FRR_BGPD, "-f", str(conf), "-i", str(self.workdir / "bgpd.pid"),
            "-p", str(self.spec.listen_port), "-Z", "-S", "--vty_socket", str(self.vty_dir)]
            + (["-l", self.spec.listen_address] if self.spec.listen_address else []))
        wait_for(lambda: self.vtysh("show bgp summary json") and True, timeout=15,
                 what="bgpd vty")
        return self

    def vtysh(self, *commands: str) -> str:
        """Run vtysh commands against this bgpd."""
        if self.process is not None and not self.process.alive():
            raise LabError(f"{self.label} exited: {self.process.log()[-2000:]}")
        argv = [VTYSH, "--vty_socket", str(self.vty_dir), "-d", "bgpd"]
        for c in commands:
            argv += ["-c", c]
        return run(argv)

    def log(self) -> str:
        """bgpd's log file."""
        path = self.workdir / "bgpd.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def announce(self, prefix: str) -> None:
        """Originate `prefix` through a `network` statement."""
        fam = family_of(prefix)
        self.vtysh("configure terminal", f"router bgp {self.spec.asn}",
                   f"address-family ipv{fam} unicast", f"network {prefix} route-map ORIGINATED")

    def withdraw(self, prefix: str) -> None:
        """Remove the `network` statement of `prefix`."""
        fam = family_of(prefix)
        self.vtysh("configure terminal", f"router bgp {self.spec.asn}",
                   f"address-family ipv{fam} unicast", f"no network {prefix} route-map ORIGINATED")

    def session(self, address: str) -> SessionInfo:
        data = json.loads(self.vtysh(f"show bgp neighbors {address} json"))
        info = data.get(address, {})
        state = info.get("bgpState", "Idle")
        return SessionInfo(BIRD_STATES.get(state.lower(), state),
                           str(info.get("lastNotificationReason", info.get("lastResetDueTo", ""))))

    def routes(self, family: int = 4) -> dict[str, Route]:
        table = json.loads(self.vtysh(f"show bgp ipv{family} unicast json"))
        routes = {}
        for prefix in table.get("routes", {}):
            route = parse_frr_route(json.loads(self.vtysh(f"show bgp ipv{family} unicast {prefix} json")))
            if route is not None:
                routes[prefix] = route
        return routes

    def prefix_count(self, family: int = 4) -> int:
        """Number of prefixes in bgpd's table (from `show bgp summary json`)."""
        data = json.loads(self.vtysh(f"show bgp ipv{family} unicast summary json"))
        return int(data.get("totalPrefixCounter", 0) or 0)


# ---------------------------------------------------------------------------------------------
# Our speaker (python -m node.bgp)
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Our speaker (python -m node.bgp)
# ---------------------------------------------------------------------------------------------

@dataclass
class OurSpeaker(Daemon):
    """Our speaker run standalone (`python -m node.bgp --config FILE`) in a namespace."""

    python: str = ""
    repo: str = ""
    profile: Path | None = None

    @property
    def socket(self) -> Path:
        return self.workdir / "bgp.ctl"

    @property
    def config_path(self) -> Path:
        return self.workdir / "speaker.json"

    def write_config(self, spec: RouterSpec) -> None:
        """Write `spec` as the speaker's configuration file."""
        self.spec = spec
        self.config_path.write_text(json.dumps(speaker_config(spec, self.socket), indent=1))

    def start(self, *, restarting: bool = False) -> OurSpeaker:
        """Start the speaker and wait until its control socket answers."""
        self.write_config(self.spec)
        profiler = ["-m", "cProfile", "-o", str(self.profile)] if self.profile else []
        argv = [self.python, *profiler, "-m", "node.bgp", "--config", str(self.config_path), "-l", "debug"]
        if restarting:
            argv.append("--restarting")
        env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "PYTHONPATH": self.repo}
        self.process = self.lab.start(self.ns, f"{self.label}-{len(self.lab.processes)}", argv, env=env)
        wait_for(lambda: self.status() and True, timeout=15, what="speaker control socket")
        return self

    def reconfigure(self, spec: RouterSpec) -> None:
        """Write a new configuration and SIGHUP the speaker (it reconciles with `apply`)."""
        self.write_config(spec)
        os.kill(self.process.pid, signal.SIGHUP)

    def control(self, command: str) -> list[str]:
        """Send one command to the control socket; the reply lines up to the final code."""
        if self.process is not None and not self.process.alive():
            raise LabError(f"{self.label} exited: {self.process.log()[-3000:]}")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(self.socket))
            stream = sock.makefile("rwb")
            stream.readline()
            stream.write(command.encode() + b"\n")
            stream.flush()
            lines = []
            for raw in stream:
                line = raw.decode().rstrip("\n")
                lines.append(line)
                if line[:4].isdigit() and line[4:5] == " ":
                    break
            return lines

    def status(self) -> dict:
        """The speaker's `status json` document."""
        return json.loads(self.control("status json")[0])

    def peer_status(self, address: str) -> dict:
        """The status entry of one peer."""
        peers = {p["address"]: p for p in self.status()["peers"]}
        return peers[str(ipaddress.ip_address(address))]

    def session(self, address: str) -> SessionInfo:
        p = self.peer_status(address)
        return SessionInfo(p["state"], p.get("last_error", ""))

    def routes(self, family: int = 4) -> dict[str, Route]:
        lines = self.control("routes json")
        data = json.loads(lines[0]) if lines and lines[0].startswith(("{", "[")) else None
        if data is None:
            raise LabError(f"speaker has no `routes json` control command: {lines}")
        return parse_speaker_routes(data, family)
