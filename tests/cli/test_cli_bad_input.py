"""Bad input never leaves half a write and never prints a traceback: one line on stderr, exit 1,
nothing on stdout, the store unchanged (checked on local sqlite and on real etcd)."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.cli.cli_support import snapshot  # type: ignore[import-not-found]

GOOD = ("apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: good\n"
        "spec:\n  cidr: 10.0.0.0/24\n")


def _pool(spec_lines: str, name: str = "p1") -> str:
    return f"apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: {name}\nspec:\n{spec_lines}"


# (id, args, stdin, exact stderr line or None to only check the shape)
CASES = [
    ("malformed-yaml", ["create", "-f", "-"], GOOD + "---\nkind: IPPool\n spec:\n  cidr: [\n",
     "Failed to execute command: error converting YAML to JSON: yaml: line 2: mapping values are not allowed in this context"),
    ("malformed-json", ["apply", "-f", "-"], '{"kind": "IPPool", "apiVersion": "projectcalico.org/v3", "spec": {',
     None),
    ("unknown-kind-in-file", ["apply", "-f", "-"], GOOD + "---\napiVersion: projectcalico.org/v3\nkind: IPPol\n",
     "Failed to execute command: Unknown resource type (IPPol) and/or version (projectcalico.org/v3)"),
    ("lower-case-kind-in-file", ["create", "-f", "-"], GOOD.replace("kind: IPPool", "kind: ippool"),
     "Failed to execute command: Unknown resource type (ippool) and/or version (projectcalico.org/v3)"),
    ("wrong-api-version", ["create", "-f", "-"], GOOD.replace("projectcalico.org/v3", "v1"),
     "Failed to execute command: Unknown resource type (IPPool) and/or version (v1)"),
    ("unknown-field-after-good-doc", ["apply", "-f", "-"], GOOD + "---\n" + _pool("  cidr: 10.1.0.0/24\n  colour: red\n"),
     "Failed to execute command: error parsing document: field in document is not recognized or is in the wrong "
     "location: colour"),
    ("type-error", ["create", "-f", "-"], _pool("  cidr: 10.1.0.0/24\n  blockSize: abc\n"),
     "Failed to execute command: cannot parse string 'abc' into field IPPoolSpec.blockSize of type int"),
    ("invalid-cidr", ["create", "-f", "-"], _pool("  cidr: 10.0.1.0/33\n"),
     "Failed to create 'IPPool' resource: [error with field IPPool.Spec.CIDR = '10.0.1.0/33' "
     "(IPPool CIDR must be a valid subnet)]"),
    ("invalid-ipip-mode", ["apply", "-f", "-"], _pool("  cidr: 10.1.0.0/24\n  ipipMode: sometimes\n"),
     "Failed to apply 'IPPool' resource: [error with field IPIPMode = 'sometimes' "
     "(Reason: failed to validate Field: IPIPMode because of Tag: ipIpMode )]"),
    ("conflicting-resource-version", ["apply", "-f", "-"],
     GOOD.replace("  name: good\n", "  name: good\n  resourceVersion: '1'\n"),
     "Failed to apply 'IPPool' resource: [update conflict: IPPool(good)]"),
    ("create-with-resource-version", ["create", "-f", "-"],
     _pool("  cidr: 10.1.0.0/24\n").replace("  name: p1\n", "  name: p1\n  resourceVersion: '7'\n"),
     "Failed to create 'IPPool' resource: [error with field Metadata.ResourceVersion = '7' "
     "(field must not be set for a Create request)]"),
    ("scalar-document", ["create", "-f", "-"], "hello\n", None),
    ("empty-input", ["create", "-f", "-"], "\n# nothing\n", "No resources specified in file -"),
    ("list-with-bad-items", ["create", "-f", "-"],
     "apiVersion: projectcalico.org/v3\nkind: IPPoolList\nitems: 3\n", None),
    ("unknown-kind-cli", ["get", "foo"], None, "Failed to get resources: resource type 'foo' is not supported"),
    ("unknown-kind-delete", ["delete", "foo", "x"], None, "resource type 'foo' is not supported"),
    ("empty-name", ["delete", "ippool", ""], None, "resource name may not be empty"),
    ("unknown-output", ["get", "ippools", "-o", "tabular"], None, "unrecognized output format 'tabular'"),
    ("empty-template", ["get", "ippools", "-o", "go-template="], None, "need to specify a template"),
    ("empty-template-file", ["get", "ippools", "-o", "go-template-file="], None, "need to specify a template file"),
    ("empty-columns", ["get", "ippools", "-o", "custom-columns="], None, "need to specify at least one column"),
    ("missing-file", ["apply", "-f", "/nonexistent/pools.yaml"], None,
     "Failed to execute command: open /nonexistent/pools.yaml: no such file or directory"),
    ("read-only-kind", ["apply", "-f", "-"],
     "apiVersion: projectcalico.org/v3\nkind: ClusterInformation\nmetadata:\n  name: default\nspec: {}\n",
     "Failed to apply 'ClusterInformation' resource: [operation apply is not supported on "
     "ClusterInformation: resource is readonly]"),
    ("namespace-on-global-kind", ["create", "-f", "-", "-n", "ns1"], _pool("  cidr: 10.1.0.0/24\n"),
     "Failed to create 'IPPool' resource: [IPPool is not namespaced]"),
    ("bad-label", ["label", "ippool", "good", "a=b=c"], None, "invalid label a=b=c"),
    ("bad-patch-json", ["patch", "ippool", "good", "-p", "{not json"], None, None),
    ("bad-log-level", ["-l", "loud", "get", "ippools"], None, None),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_writes_nothing(client, calicoctl, case):
    _, args, stdin, expected = case
    calicoctl("create", "-f", "-", stdin=GOOD)
    before = snapshot(client)
    result = calicoctl(*args, stdin=stdin)
    assert result.code == 1
    assert "Traceback" not in result.err + result.out
    lines = (result.err or result.out).splitlines()
    assert len(lines) in (1, 2) and lines[0], result
    if args[0] == "-l":
        assert result.out == "Unknown log level: loud, expected one of: \npanic, fatal, error, warn, info, debug.\n"
    else:
        assert result.out == ""
        assert len(lines) == 1, result.err
    if expected is not None:
        assert result.err == expected + "\n"
    assert snapshot(client) == before


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("args", [["get", "ippools"], ["apply", "-f", "-"], ["delete", "ippool", "x"]])
def test_unreachable_etcd_is_one_line_naming_the_endpoint(args):
    endpoint = f"http://127.0.0.1:{_free_port()}"
    env = {**os.environ, "DATASTORE_TYPE": "etcdv3", "ETCD_ENDPOINTS": endpoint}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pycalicoctl", *args], input=GOOD, env=env,
                          capture_output=True, text=True, timeout=30)
    elapsed = time.monotonic() - started
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and endpoint in done.stderr
    assert "Traceback" not in done.stderr
    assert elapsed < 5
