"""Import-cost guard for the cold CLI path (benchmark P1). ``pycalicoctl get ippools`` against etcd is
answered by the click-free fast path, which imports no click, dataclasses, inspect, typing, YAML or
resources package; the full click path (PYCALICOCTL_NO_FASTPATH=1) must still not import YAML, the
printers' heavy dependencies, http.client/email/ssl, validation, IPAM or the kind modules other than
IPPool's and ClusterInformation's (the version check reads it)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from datastore.client import connect
from datastore.config import DatastoreConfig
from datastore.resources import from_dict

FORBIDDEN = (
    "yaml", "tabulate", "jinja2", "http.client", "email", "ssl", "urllib.request", "pathlib", "encodings.idna",
    "datastore.validation", "datastore.ipam", "pycalicoctl.completion", "pycalicoctl.gotemplate",
    "pycalicoctl.commands.node", "pycalicoctl.commands.ipam", "pycalicoctl.commands.version",
)
KIND_MODULES_FOR_GET_IPPOOLS = {"datastore.resources.network", "datastore.resources.cluster"}
_SHARED = {"datastore.resources.base", "datastore.resources.codec", "datastore.resources.kinds",
           "datastore.resources.scalars", "datastore.resources.serde"}

_PROBE = """
import json, sys
from pycalicoctl.__main__ import main
try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def _modules_after(args: list[str], env: dict[str, str]) -> tuple[str, dict]:
    done = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, env=env,
                          timeout=60)
    return done.stdout, json.loads(done.stderr.strip().splitlines()[-1])


def test_get_ippools_from_etcd_imports_only_what_it_needs(etcd):
    config = DatastoreConfig(datastore_type="etcdv3", etcd_endpoints=etcd.url)
    with connect(config) as client:
        client.ensure_initialized()
        for i in range(2):
            client.create(from_dict({"apiVersion": "projectcalico.org/v3", "kind": "IPPool",
                                     "metadata": {"name": f"pool-{i}"}, "spec": {"cidr": f"10.{i}.0.0/16"}}))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DATASTORE_TYPE": "etcdv3", "ETCD_ENDPOINTS": etcd.url,
           "PYCALICOCTL_NO_FASTPATH": "1"}
    out, report = _modules_after(["get", "ippools"], env)
    assert report["code"] == 0 and "pool-1" in out
    modules = set(report["modules"])
    assert [m for m in modules if m.split(".")[0] in FORBIDDEN or any(
        m == f or m.startswith(f + ".") for f in FORBIDDEN)] == []
    kind_modules = {m for m in modules if m.startswith("datastore.resources.")} - _SHARED
    assert kind_modules == KIND_MODULES_FOR_GET_IPPOOLS


FAST_PATH_FORBIDDEN = ("click", "dataclasses", "inspect", "typing", "yaml", "datastore.resources",
                       "datastore.client", "datastore.keys", "datastore.backend", "pycalicoctl.cli", "ipaddress",
                       "encodings.idna", "http", "ssl", "email", "urllib")


def test_fast_get_ippools_from_etcd_imports_no_click_dataclasses_or_typing(etcd):
    config = DatastoreConfig(datastore_type="etcdv3", etcd_endpoints=etcd.url)
    with connect(config) as client:
        client.ensure_initialized()
        client.create(from_dict({"apiVersion": "projectcalico.org/v3", "kind": "IPPool",
                                 "metadata": {"name": "pool-0"}, "spec": {"cidr": "10.0.0.0/16"}}))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DATASTORE_TYPE": "etcdv3", "ETCD_ENDPOINTS": etcd.url}
    for args in (["get", "ippools"], ["get", "ippools", "-o", "wide"], ["get", "ippools", "pool-0"]):
        out, report = _modules_after(args, env)
        assert report["code"] == 0 and "10.0.0.0/16" in out
        loaded = [m for m in report["modules"] if any(m == f or m.startswith(f + ".") for f in FAST_PATH_FORBIDDEN)]
        assert loaded == []
        assert "pycalicoctl.fastget" in report["modules"]


def test_interpreter_start_has_no_editable_import_hook():
    """tools/install.sh installs in compat mode: a path entry, not a finder importing pathlib at start-up."""
    done = subprocess.run([sys.executable, "-c", "import sys; print(sorted(sys.modules))"],
                          capture_output=True, text=True, check=True, env={"PATH": "/usr/bin:/bin"})
    loaded = done.stdout
    assert "__editable__" not in loaded and "'pathlib'" not in loaded
