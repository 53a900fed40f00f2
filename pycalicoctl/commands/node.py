"""``calicoctl node`` group with ``node status``: process scan, daemon sockets, then the printer.

Where the data comes from:
* our speaker (``python -m node.bgp`` / the pycalico node): its control socket's ``status json``
  reply, at ``$PYCALICO_BGP_SOCKET`` or the first of :data:`SPEAKER_SOCKETS` that exists;
* a real BIRD (``bird`` / ``bird6`` processes): ``show protocols`` on ``/var/run/calico/bird.ctl``
  then ``/var/run/bird/bird.ctl`` (``bird6.ctl`` for IPv6), exactly as calicoctl does.
Nothing from ``node.*`` is imported: the sockets are spoken to with the stdlib.
"""
from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import click

from pycalicoctl import completion
from pycalicoctl import nodestatus as ns
from pycalicoctl.cli import CalicoCommand, CalicoGroup
from pycalicoctl.docs import DATASTORE_INTRO
from pycalicoctl.errors import CliExit, CommandError, StdoutFailure

SPEAKER_SOCKETS = ("/var/run/pycalico/bgp.ctl", "/var/run/calico/bird.ctl")
BIRD_SOCKETS = ("/var/run/calico/bird{suffix}.ctl", "/var/run/bird/bird{suffix}.ctl")
READ_TIMEOUT = 2.0

NODE_DOC = DATASTORE_INTRO + """Usage:
  <BINARY_NAME> node <command> [<args>...]

    run          Run the Calico node container image.
    status       View the current status of a Calico node.
    diags        Gather a diagnostics bundle for a Calico node.
    checksystem  Verify the compute host is able to run a Calico node instance.

Options:
  -h --help      Show this screen.

Description:
  Node specific commands for <BINARY_NAME>.  These commands must be run directly on
  the compute host running the Calico node instance.

  See '<BINARY_NAME> node <command> --help' to read about a specific subcommand.
"""

STATUS_DOC = """Usage:
  <BINARY_NAME> node status [--output=<OUTPUT>] [--allow-version-mismatch]

Options:
  -h --help                    Show this screen.
  -o --output=<OUTPUT>         Output format: json (for scripts). Default: the
                               calicoctl text report.
     --allow-version-mismatch  Allow client and cluster versions mismatch.

Description:
  Check the status of the Calico node instance.  This includes the status and
  uptime of the node instance, and BGP peering states.
"""


@click.group("node", cls=CalicoGroup, doc=NODE_DOC)
def node() -> None:
    """Calico node management (the doc printed is NODE_DOC)."""


@node.command("status", cls=CalicoCommand, doc=STATUS_DOC)
@click.option("-o", "--output", "output", default="", shell_complete=completion.choices("json"))
@click.option("--allow-version-mismatch", is_flag=True)
def status(output: str, allow_version_mismatch: bool) -> None:
    """Print calicoctl's node status report (or JSON with ``-o json``)."""
    if output not in ("", "json"):
        raise CommandError(f"Unrecognized output format '{output}'")
    if os.geteuid() != 0:
        raise StdoutFailure(ns.NOT_ROOT)
    procs = ns.classify(process_argvs())
    if not procs.calico:
        if output == "json":
            raise CliExit(ns.render_json(False, None).rstrip("\n"), 1, "stdout")
        raise CommandError(ns.NOT_RUNNING)
    if procs.speaker:
        sections = speaker_sections(speaker_socket())
    elif procs.bird4 or procs.bird6:
        sections = [bird_section(4, procs.bird4), bird_section(6, procs.bird6)]
    else:
        sections = None
    if output == "json":
        click.echo(ns.render_json(True, sections), nl=False)
    else:
        click.echo(ns.render_text(sections), nl=False)


def process_argvs() -> list[list[str]]:
    """argv of every process we can read, from /proc/<pid>/cmdline."""
    argvs = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if raw:
            argvs.append(raw.rstrip(b"\0").decode(errors="replace").split("\0"))
    return argvs


def speaker_socket() -> str:
    """Our speaker's control socket: ``$PYCALICO_BGP_SOCKET`` or the first default that exists."""
    env = os.environ.get("PYCALICO_BGP_SOCKET")
    if env:
        return env
    return next((p for p in SPEAKER_SOCKETS if os.path.exists(p)), SPEAKER_SOCKETS[0])


def speaker_sections(path: str) -> list[ns.Section]:
    """IPv4 and IPv6 sections from our speaker's ``status json``."""
    try:
        lines = _query(path, "status json")
    except OSError as exc:
        err = ns.dial_error(path, exc)
        return [ns.Section(v, error=f"Error querying BIRD: unable to connect to BIRDv{v} socket: {err}")
                for v in (4, 6)]
    payload = next((line for line in lines if line.startswith("{")), None)
    if payload is None:
        raise CommandError("Error executing command: unexpected output line from BIRD")
    doc = json.loads(payload)
    now = time.time()
    return [ns.Section(v, rows=ns.rows_from_status(doc, v, lambda e: ns.bird_since(e, now)))
            for v in (4, 6)]


def bird_section(version: int, running: bool) -> ns.Section:
    """One section from a real BIRD's ``show protocols`` (calicoctl's printBIRDPeers)."""
    if not running:
        return ns.Section(version, not_running=True)
    suffix = "6" if version == 6 else ""
    err = ""
    for template in BIRD_SOCKETS:
        path = template.format(suffix=suffix)
        try:
            lines = _query(path, "show protocols")
            break
        except OSError as exc:
            err = ns.dial_error(path, exc)
    else:
        return ns.Section(version, error=f"Error querying BIRD: unable to connect to BIRDv{version} socket: {err}")
    try:
        return ns.Section(version, rows=ns.parse_show_protocols(lines, version))
    except ns.BirdOutputError as exc:
        raise CommandError(f"Error executing command: {exc}") from None


def _query(path: str, command: str) -> list[str]:
    """Send one command to a BIRD-protocol socket; lines up to and including ``0000``."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(READ_TIMEOUT)
        sock.connect(path)
        sock.sendall(command.encode() + b"\n")
        stream = sock.makefile("rb")
        lines = []
        try:
            for raw in stream:
                line = raw.decode(errors="replace").rstrip("\n")
                lines.append(line)
                if line.startswith(("0000", "9001", "8")):
                    break
        except socket.timeout:
            pass
        return lines
