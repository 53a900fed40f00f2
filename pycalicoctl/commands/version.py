"""``calicoctl version``: client version and git commit, then the cluster's version and type
(from ClusterInformation ``default``), optionally polling for changes."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import click

from pycalicoctl import completion, docs
from pycalicoctl.cli import CalicoCommand
from pycalicoctl.context import CliContext
from pycalicoctl.engine import CLIENT_VERSION
from pycalicoctl.errors import CliExit, CommandError

_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Go ``time.ParseDuration`` in seconds; ValueError if malformed."""
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    if body == "0":
        return 0.0
    position, total = 0, 0.0
    while position < len(body):
        match = _DURATION.match(body, position)
        if not match:
            raise ValueError(f'time: invalid duration "{text}"')
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if not body:
        raise ValueError(f'time: invalid duration "{text}"')
    return sign * total


def git_commit() -> str:
    """The short commit of the source tree pycalicoctl runs from, or ``unknown``."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        done = subprocess.run(["git", "-C", os.path.dirname(root), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else "unknown"


def cluster_lines(client: object) -> tuple[str, str]:
    """(version, type) from ClusterInformation ``default``; empty values become ``unknown``."""
    info = client.get("ClusterInformation", "default").to_dict().get("spec") or {}  # type: ignore[attr-defined]
    return (info.get("calicoVersion") or "unknown", info.get("clusterType") or "unknown")


def _out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


@click.command("version", cls=CalicoCommand, doc=docs.VERSION)
@click.option("-c", "--config", default=docs.DEFAULT_CONFIG_PATH, shell_complete=completion.complete_path)
@click.option("--poll", default="")
@click.option("--allow-version-mismatch", is_flag=True)
def version(config: str, poll: str, allow_version_mismatch: bool) -> None:
    from datastore.errors import DatastoreError

    interval = 0.0
    if poll:
        try:
            interval = parse_duration(poll)
        except ValueError:
            raise CommandError("Invalid poll duration specified: 0s") from None
    _out(f"Client Version:    {CLIENT_VERSION}\nGit commit:        {git_commit()}\n")
    state = click.get_current_context().ensure_object(CliContext)
    try:
        client = state.get_client(config)
    except CliExit:
        _out("Unable to detect installed Calico version\n")
        return
    shown = ("", "")
    while True:
        error = None
        try:
            current = cluster_lines(client)
        except DatastoreError as exc:
            error = f"Unable to retrieve Cluster Version or Type: {exc}"
            current = ("", "")
        else:
            if current[0] != shown[0]:
                _out(f"Cluster Version:   {current[0]}\n")
            if current[1] != shown[1]:
                _out(f"Cluster Type:      {current[1]}\n")
        shown = current
        if interval <= 0:
            if error:
                raise CommandError(error)
            return
        if error:
            sys.stderr.write(error + "\n")
        time.sleep(interval)
