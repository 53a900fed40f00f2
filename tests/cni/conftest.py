"""CNI test bench: a datastore file, a "host" netns (where the plugin runs and the cali interfaces live),
container netns, a CNI_PATH holding `calico-ipam`, and a helper running a plugin exactly as a runtime does.

Addresses: the host netns has 198.18.0.1/32 on lo (its source address); workload pools are inside
198.19.0.0/16, which exists only inside these namespaces.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from datastore.client import connect
from datastore.config import DatastoreConfig
from datastore.resources import from_dict
from tests.conftest import require

BIN = Path(sys.executable).parent
NETWORK = "pcc-net"


def ip(*args: str, netns: str | None = None) -> str:
    """Run iproute2 (inside ``netns`` if given) and return stdout."""
    prefix = ["ip", "netns", "exec", netns] if netns else []
    return subprocess.run(prefix + ["ip", *args], check=True, capture_output=True, text=True).stdout


def can_use_netns() -> bool:
    return os.geteuid() == 0 and shutil.which("ip") is not None


@dataclass(frozen=True)
class Reply:
    code: int
    doc: dict | None
    stderr: str


@dataclass(frozen=True)
class Bench:
    datastore_path: str
    host_ns: str | None
    cni_path: str
    lock_file: str

    def conf(self, **extra) -> dict:
        doc = {"cniVersion": "1.0.0", "name": NETWORK, "type": "calico", "nodename": "node-a",
               "nodename_file_optional": True, "datastore_type": "local", "datastore_path": self.datastore_path,
               "ipam_lock_file": self.lock_file, "mtu": 1400, "ipam": {"type": "calico-ipam"}}
        doc.update(extra)
        return doc

    def run(self, plugin: str, command: str, container_id: str = "", netns: str = "", conf: dict | str | None = None,
            ifname: str = "eth0", env: dict | None = None, drop: tuple[str, ...] = ()) -> Reply:
        """Run ``plugin`` (``pycalico-cni`` / ``pycalico-ipam``) with CNI env + stdin, in the host netns."""
        environ = {"PATH": os.environ.get("PATH", ""), "CNI_COMMAND": command, "CNI_CONTAINERID": container_id,
                   "CNI_NETNS": netns, "CNI_IFNAME": ifname, "CNI_PATH": self.cni_path,
                   "CNI_ARGS": "IgnoreUnknown=1"}
        environ.update(env or {})
        for name in drop:
            environ.pop(name, None)
        stdin = conf if isinstance(conf, str) else json.dumps(conf if conf is not None else self.conf())
        argv = [str(BIN / plugin)]
        if self.host_ns:
            argv = ["ip", "netns", "exec", self.host_ns] + argv
        done = subprocess.run(argv, input=stdin.encode(), env=environ, capture_output=True, timeout=60)
        out = done.stdout.decode().strip()
        return Reply(done.returncode, json.loads(out) if out else None, done.stderr.decode())


def make_pool(client, name: str, cidr: str, block_size: int, **spec) -> None:
    client.create(from_dict({"apiVersion": "projectcalico.org/v3", "kind": "IPPool", "metadata": {"name": name},
                             "spec": {"cidr": cidr, "blockSize": block_size, **spec}}))


@pytest.fixture
def store(tmp_path):
    """An initialised local datastore file with pool 198.19.0.0/24 (/28 blocks); yields the Client."""
    path = str(tmp_path / "datastore.db")
    client = connect(DatastoreConfig(datastore_type="local", datastore_path=path))
    client.ensure_initialized()
    make_pool(client, "pool-a", "198.19.0.0/24", 28)
    yield client
    client.close()


@pytest.fixture
def cni_path(tmp_path):
    directory = tmp_path / "cni-bin"
    directory.mkdir()
    (directory / "calico-ipam").symlink_to(BIN / "pycalico-ipam")
    (directory / "calico").symlink_to(BIN / "pycalico-cni")
    return str(directory)


def _netns(prefix: str):
    name = f"pcc-{prefix}-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    ip("link", "set", "lo", "up", netns=name)
    return name


@pytest.fixture
def host_ns():
    require(can_use_netns(), "root and iproute2 for network namespaces")
    name = _netns("h")
    ip("addr", "add", "198.18.0.1/32", "dev", "lo", netns=name)
    yield name
    subprocess.run(["ip", "netns", "del", name], check=False)


@pytest.fixture
def container_ns():
    require(can_use_netns(), "root and iproute2 for network namespaces")
    created = []

    def make() -> str:
        created.append(_netns("c"))
        return created[-1]

    yield make
    for name in created:
        subprocess.run(["ip", "netns", "del", name], check=False)


@pytest.fixture
def bench(store, host_ns, cni_path, tmp_path):
    return Bench(str(tmp_path / "datastore.db"), host_ns, cni_path, str(tmp_path / "ipam.lock"))


@pytest.fixture
def plain_bench(store, cni_path, tmp_path):
    """The same bench without a host netns (for calls that never touch the kernel)."""
    return Bench(str(tmp_path / "datastore.db"), None, cni_path, str(tmp_path / "ipam.lock"))
