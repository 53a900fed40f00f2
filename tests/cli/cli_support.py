"""Helpers for the CLI tests (imported by name; pytest's conftest modules are not importable reliably)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from click.testing import CliRunner

from pycalicoctl.cli import cli
from pycalicoctl.context import CliContext


@dataclass(frozen=True)
class Run:
    """One invocation's exit code and streams."""

    code: int
    out: str
    err: str


def invoke(client, args: list[str], stdin: str | None = None, **state) -> Run:
    """Run ``calicoctl <args>`` in-process with ``client`` injected through the context object."""
    result = CliRunner().invoke(cli, args, obj=CliContext(client=client, **state), input=stdin,
                                prog_name="calicoctl")
    assert not isinstance(result.exception, AssertionError), result.exception
    return Run(result.exit_code, result.stdout, result.stderr)


_VOLATILE = [
    (re.compile(r'(resourceVersion:\s*)"\d+"'), r'\1"<rv>"'),
    (re.compile(r'("resourceVersion":\s*)"\d+"'), r'\1"<rv>"'),
    (re.compile(r"(uid:\s*)[0-9a-f-]{36}"), r"\1<uid>"),
    (re.compile(r'("uid":\s*)"[0-9a-f-]{36}"'), r'\1"<uid>"'),
    (re.compile(r'(creationTimestamp:\s*)"[0-9TZ:.-]+"'), r'\1"<ts>"'),
    (re.compile(r'("creationTimestamp":\s*)"[0-9TZ:.-]+"'), r'\1"<ts>"'),
    (re.compile(r"(clusterGUID:\s*)[0-9a-f]{32}"), r"\1<guid>"),
]


def strip_volatile(text: str) -> str:
    """Replace resourceVersion / uid / creationTimestamp / clusterGUID values with placeholders."""
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def snapshot(client) -> list[tuple[str, bytes]]:
    """Every key and value in the store (to prove a failed command wrote nothing)."""
    items, _ = client.backend.list("/")
    return [(kv.key, kv.value) for kv in items]


