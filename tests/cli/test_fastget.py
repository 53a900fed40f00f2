"""The click-free ``get ippools`` fast path prints exactly what the full CLI prints, or declines.

Every argv of the matrix runs through ``pycalicoctl.__main__.main`` twice on the same populated
datastore (local sqlite and real etcd): once as usual and once with PYCALICOCTL_NO_FASTPATH=1 (the click
CLI); stdout, stderr and exit code must be identical. The supported forms must actually be answered by
the fast path, the near misses must be declined.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from datastore import keys
from datastore.resources import KINDS, from_dict, lookup_kind
from pycalicoctl import engine, fastget
from pycalicoctl.__main__ import NO_FASTPATH_VAR, main
from tests.conftest import require

HANDLED = [
    ["get", "ippools"], ["get", "ippool"], ["get", "IPPools"], ["get", "ipp"], ["get", "pools"],
    ["get", "ippools", "-o", "wide"], ["get", "ippools", "-owide"], ["get", "ippools", "--output=wide"],
    ["get", "ippools", "--output", "wide"], ["get", "ippools", "-o", "ps"], ["get", "-o", "wide", "ippools"],
    ["get", "ippools", "pool-a"], ["get", "ippools", "pool-b", "pool-a", "-o", "wide"],
    ["get", "ippools", "pool-a", "pool-a"], ["get", "ippools", "--allow-version-mismatch"],
    ["get", "ippools", "-c", "/etc/calico/calicoctl.cfg"], ["get", "ippools", "--config=/etc/calico/calicoctl.cfg"],
    ["get", "ippools", "-o", "wide", "-o", "ps"],
]
DECLINED = [
    ["get"], ["get", "foo"], ["get", "nodes"], ["get", "ippools", "missing"], ["get", "ippools", "pool-a", "missing"],
    ["get", "ippools", "Pool-A"], ["get", "ippools", ""], ["get", "ippools", "-o", "yaml"], ["get", "ippools", "-o", "json"],
    ["get", "ippools", "-o=wide"], ["get", "ippools", "--out=wide"], ["get", "ippools", "-o", "custom-columns=NAME"],
    ["get", "ippools", "-o"], ["get", "ippools", "-n", "default"], ["get", "ippools", "-A"], ["get", "ippools", "-a"],
    ["get", "ippools", "--all-namespaces"], ["get", "ippools", "-c", "/nonexistent/calicoctl.cfg"],
    ["get", "ippools", "-h"], ["get", "ippools", "--export"], ["get", "ippools", "--", "pool-a"],
    ["--allow-version-mismatch", "get", "ippools"], ["version"], [],
]


def _run_main(argv: list[str], capsys, monkeypatch, fast: bool) -> tuple[int, str, str]:
    if fast:
        monkeypatch.delenv(NO_FASTPATH_VAR, raising=False)
    else:
        monkeypatch.setenv(NO_FASTPATH_VAR, "1")
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    out, err = capsys.readouterr()
    code = exit_info.value.code
    return (0 if code is None else code), out, err


@pytest.fixture
def store(datastore_client, datastore_config, monkeypatch):
    """The parametrised datastore (etcd, local) with three pools, selected through the environment."""
    require(not os.path.exists("/etc/calico/calicoctl.cfg"), "no /etc/calico/calicoctl.cfg on this machine")
    for name in list(os.environ):
        if name.startswith(("CALICO_", "ETCD_", "DATASTORE_", "PYCALICO_", "K8S_")) or name == "KUBECONFIG":
            monkeypatch.delenv(name)
    for name, value in datastore_config.environ().items():
        monkeypatch.setenv(name, value)
    datastore_client.ensure_initialized()
    for name, spec in (("pool-a", {"cidr": "10.1.0.0/16", "natOutgoing": True, "ipipMode": "Always"}),
                       ("pool-b", {"cidr": "fd00:1::/64", "vxlanMode": "CrossSubnet", "disabled": True}),
                       ("pool-c", {"cidr": "10.2.0.0/24", "nodeSelector": "zone == 'a'", "disableBGPExport": True})):
        datastore_client.create(from_dict({"apiVersion": "projectcalico.org/v3", "kind": "IPPool",
                                           "metadata": {"name": name, "labels": {"team": "net"}}, "spec": spec}))
    return datastore_client


@pytest.mark.parametrize("argv", HANDLED, ids=" ".join)
def test_supported_forms_are_answered_by_the_fast_path_exactly(argv, store, capsys, monkeypatch):
    assert fastget.run(argv) is not None
    fast = _run_main(argv, capsys, monkeypatch, fast=True)
    assert fast == _run_main(argv, capsys, monkeypatch, fast=False)
    assert fast[0] == 0 and "pool-a" in fast[1]


@pytest.mark.parametrize("argv", DECLINED, ids=lambda argv: " ".join(argv) or "<none>")
def test_near_misses_are_declined_and_behave_as_the_full_cli(argv, store, capsys, monkeypatch):
    assert fastget.run(argv) is None
    assert _run_main(argv, capsys, monkeypatch, fast=True) == _run_main(argv, capsys, monkeypatch, fast=False)


def _put_raw(client, key: str, document: object) -> None:
    value = document if isinstance(document, bytes) else json.dumps(document).encode()
    try:
        current = client.backend.get(key)
    except Exception:  # noqa: BLE001 - absent (NotFound): create it
        client.backend.create(key, value)
    else:
        client.backend.update(key, value, current.mod_revision)


def _pool(name: str, spec: object, **metadata: object) -> dict:
    return {"kind": "IPPool", "apiVersion": "projectcalico.org/v3",
            "metadata": {"name": name, "uid": "u-1", "creationTimestamp": "2026-02-28T10:00:00Z", **metadata},
            "spec": spec}


ODD_POOLS = {
    "unknown-spec-field": (_pool("odd", {"cidr": "10.9.0.0/16", "future": 1}), False),
    "case-variant-field": (_pool("odd", {"CIDR": "10.9.0.0/16"}), False),
    "wrong-type": (_pool("odd", {"cidr": 10}), False),
    "null-field": (_pool("odd", {"cidr": "10.9.0.0/16", "ipipMode": None}), False),
    "not-json": (b"{not json", False),
    "other-kind": ({**_pool("odd", {}), "kind": "BGPPeer"}, False),
    "offset-timestamp": (_pool("odd", {"cidr": "10.9.0.0/16"}, creationTimestamp="2026-02-28T10:00:00+01:00"), False),
    "bad-date": (_pool("odd", {"cidr": "10.9.0.0/16"}, creationTimestamp="2026-02-30T10:00:00Z"), False),
    "namespace": (_pool("odd", {"cidr": "10.9.0.0/16"}, namespace="x"), False),
    "no-spec": ({"kind": "IPPool", "apiVersion": "projectcalico.org/v3", "metadata": {"name": "odd"}}, True),
    "host-bits-and-odd-modes": (_pool("odd", {"cidr": "10.9.0.1/16", "ipipMode": "Sometimes", "blockSize": 31,
                                              "allowedUses": ["Tunnel"]}, labels={"a": "b"}), True),
    "leap-day": (_pool("odd", {"cidr": "10.9.0.0/16"}, creationTimestamp="2024-02-29T23:59:59Z"), True),
}


@pytest.mark.parametrize("case", sorted(ODD_POOLS))
def test_stored_values_the_full_decoder_may_read_differently_are_declined(case, store, capsys, monkeypatch):
    document, handled = ODD_POOLS[case]
    _put_raw(store, keys.resource_prefix("IPPool") + "odd", document)
    for argv in (["get", "ippools", "-o", "wide"], ["get", "ippools", "odd"]):
        assert (fastget.run(argv) is not None) == handled
        assert _run_main(argv, capsys, monkeypatch, fast=True) == _run_main(argv, capsys, monkeypatch, fast=False)


CLUSTER_INFOS = {
    "same-version-with-suffix": ({"calicoVersion": "v3.29.7-12-gabc"}, True),
    "no-version": ({"clusterGUID": "g"}, True),
    "other-version": ({"calicoVersion": "v3.20.1"}, False),
    "version-of-wrong-type": ({"calicoVersion": 3}, False),
    "unknown-field": ({"calicoVersion": "v3.29.7", "x": "y"}, False),
}


@pytest.mark.parametrize("case", sorted(CLUSTER_INFOS))
def test_version_check_as_the_full_cli(case, store, capsys, monkeypatch):
    spec, handled = CLUSTER_INFOS[case]
    document = {"kind": "ClusterInformation", "apiVersion": "projectcalico.org/v3",
                "metadata": {"name": "default"}, "spec": spec}
    _put_raw(store, keys.ResourceKey("ClusterInformation", "default", "").path, document)
    argv = ["get", "ippools"]
    assert (fastget.run(argv) is not None) == handled
    assert _run_main(argv, capsys, monkeypatch, fast=True) == _run_main(argv, capsys, monkeypatch, fast=False)
    assert fastget.run([*argv, "--allow-version-mismatch"]) is not None


def test_absent_cluster_information_passes_the_version_check(store, capsys, monkeypatch):
    store.backend.delete(keys.ResourceKey("ClusterInformation", "default", "").path)
    assert fastget.run(["get", "ippools"]) is not None
    argv = ["get", "ippools", "-o", "wide"]
    assert _run_main(argv, capsys, monkeypatch, fast=True) == _run_main(argv, capsys, monkeypatch, fast=False)


def test_empty_pool_list(datastore_client, store, capsys, monkeypatch):
    for name in ("pool-a", "pool-b", "pool-c"):
        store.backend.delete(keys.resource_prefix("IPPool") + name)
    assert fastget.run(["get", "ippools"]) == "NAME   CIDR   SELECTOR   \n\n"
    assert _run_main(["get", "ippools"], capsys, monkeypatch, fast=True) == _run_main(
        ["get", "ippools"], capsys, monkeypatch, fast=False)


def test_real_process_output_and_exit_code(store):
    """Through the console script (the ``os._exit`` path): same bytes as the full CLI."""
    script = os.path.join(os.path.dirname(sys.executable), "pycalicoctl")
    runs = [subprocess.run([script, "get", "ippools", "-o", "wide"], capture_output=True, timeout=60,
                           env={**os.environ, **extra}) for extra in ({}, {NO_FASTPATH_VAR: "1"})]
    assert [(r.returncode, r.stdout, r.stderr) for r in runs][0] == (runs[1].returncode, runs[1].stdout, runs[1].stderr)
    assert runs[0].returncode == 0 and b"fd00:1::/64" in runs[0].stdout


def test_kind_names_and_version_match_the_full_cli():
    info = KINDS["IPPool"]
    assert fastget.IPPOOL_NAMES == {info.kind.lower(), info.plural, *info.aliases}
    assert all(lookup_kind(name) is info for name in fastget.IPPOOL_NAMES)
    assert fastget.CLIENT_VERSION == engine.CLIENT_VERSION


def test_several_etcd_endpoints_are_declined(etcd, monkeypatch):
    monkeypatch.setenv("DATASTORE_TYPE", "etcdv3")
    monkeypatch.setenv("ETCD_ENDPOINTS", f"{etcd.url},{etcd.url}")
    assert fastget.run(["get", "ippools"]) is None
