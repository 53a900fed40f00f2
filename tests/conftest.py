"""Session-wide test settings shared by every test package."""
import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, what: str) -> None:
    """Skip locally, but fail under CI=true, when a prerequisite is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"prerequisite missing under CI=true: {what}")
    pytest.skip(f"prerequisite missing: {what}")


# ---------------------------------------------------------------------------------------------------
# Real etcd and datastore fixtures. Every server runs on loopback, on random free
# ports, with its data dir on /dev/shm, and is stopped by its PID.

import json as _json
import shutil as _shutil
import socket as _socket
import subprocess as _subprocess
import tempfile as _tempfile
import time as _time
import urllib.request as _urlrequest
from dataclasses import dataclass as _dataclass


def _free_port() -> int:
    with _socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@_dataclass
class EtcdServer:
    """A running throwaway etcd: its client URL, TLS material (if any) and process."""

    url: str
    proc: "_subprocess.Popen"
    data_dir: str
    certs: "dict[str, str] | None" = None
    user: str = ""
    password: str = ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except _subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        _shutil.rmtree(self.data_dir, ignore_errors=True)


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the test process dies, even if killed without teardown."""
    import ctypes
    import signal

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def make_test_certs(directory: str) -> "dict[str, str]":
    """openssl-made CA, server (SAN 127.0.0.1/localhost) and client (CN=root) certificates."""
    def run(*args: str) -> None:
        _subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=pycalico-test-ca")
    for name, cn, ext in (("server", "localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
                          ("client", "root", "extendedKeyUsage=clientAuth")):
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}-key.pem", "-out", f"{name}.csr",
            "-subj", f"/CN={cn}")
        with open(f"{directory}/{name}.ext", "w") as f:
            f.write(ext + "\n")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
            "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext")
    return {k: f"{directory}/{v}" for k, v in (
        ("ca", "ca.pem"), ("server_cert", "server.pem"), ("server_key", "server-key.pem"),
        ("client_cert", "client.pem"), ("client_key", "client-key.pem"))}


def start_etcd(certs: "dict[str, str] | None" = None, client_cert_auth: bool = False) -> EtcdServer:
    """Start etcd on free loopback ports and wait until /health says true."""
    binary = _shutil.which("etcd")
    data_dir = _tempfile.mkdtemp(prefix="pycalico-etcd-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    scheme = "https" if certs else "http"
    client_port, peer_port = _free_port(), _free_port()
    url, peer = f"{scheme}://127.0.0.1:{client_port}", f"http://127.0.0.1:{peer_port}"
    args = [binary, "--name", "t", "--data-dir", f"{data_dir}/data",
            "--listen-client-urls", url, "--advertise-client-urls", url,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", f"t={peer}", "--initial-cluster-state", "new",
            "--heartbeat-interval", "10", "--election-timeout", "100", "--logger", "zap", "--log-level", "error"]
    if certs:
        args += ["--cert-file", certs["server_cert"], "--key-file", certs["server_key"]]
        if client_cert_auth:
            args += ["--trusted-ca-file", certs["ca"], "--client-cert-auth"]
    log = open(f"{data_dir}/etcd.log", "wb")
    proc = _subprocess.Popen(args, stdout=log, stderr=_subprocess.STDOUT, preexec_fn=_die_with_parent)
    log.close()
    server = EtcdServer(url, proc, data_dir, certs)
    context = None
    if certs:
        import ssl

        context = ssl.create_default_context(cafile=certs["ca"])
        context.load_cert_chain(certs["client_cert"], certs["client_key"])
    deadline = _time.monotonic() + 15
    while True:
        if proc.poll() is not None or _time.monotonic() > deadline:
            with open(f"{data_dir}/etcd.log") as f:
                text = f.read()[-2000:]
            server.stop()
            raise RuntimeError(f"etcd did not become healthy: {text}")
        try:
            with _urlrequest.urlopen(url + "/health", timeout=0.5, context=context) as reply:
                if _json.load(reply).get("health") == "true":
                    return server
        except (OSError, ValueError):
            _time.sleep(0.02)


def _etcdctl(server: EtcdServer, *args: str) -> None:
    _subprocess.run(["etcdctl", "--endpoints", server.url, *args], check=True, capture_output=True,
                    env={**os.environ, "ETCDCTL_API": "3"})


@pytest.fixture(scope="session")
def etcd_server():
    """A session-wide plain etcd on loopback (skips locally / fails under CI without etcd)."""
    require(_shutil.which("etcd") is not None, "etcd-server")
    server = start_etcd()
    yield server
    server.stop()


def wipe_etcd(url: str) -> None:
    """Delete every key (range "\\0".."\\0")."""
    body = _json.dumps({"key": "AA==", "range_end": "AA=="}).encode()
    request = _urlrequest.Request(url + "/v3/kv/deleterange", data=body, method="POST")
    with _urlrequest.urlopen(request, timeout=5) as reply:
        reply.read()


@pytest.fixture
def etcd(etcd_server):
    """The session etcd with an empty keyspace; yields the EtcdServer (``.url``)."""
    wipe_etcd(etcd_server.url)
    yield etcd_server


@pytest.fixture(scope="session")
def test_certs(tmp_path_factory):
    """CA, server and client certificates made with openssl (paths by role)."""
    require(_shutil.which("openssl") is not None, "openssl")
    return make_test_certs(str(tmp_path_factory.mktemp("certs")))


@pytest.fixture(scope="session")
def etcd_tls_server(test_certs):
    """An etcd that requires TLS with a client certificate signed by ``test_certs['ca']``."""
    require(_shutil.which("etcd") is not None, "etcd-server")
    server = start_etcd(test_certs, client_cert_auth=True)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def etcd_auth_server():
    """An etcd with auth enabled: root/rootpw, and calico/calicopw with readwrite on /calico/ only."""
    require(_shutil.which("etcd") is not None and _shutil.which("etcdctl") is not None, "etcd-server, etcd-client")
    server = start_etcd()
    _etcdctl(server, "user", "add", "root:rootpw")
    _etcdctl(server, "role", "add", "calico")
    _etcdctl(server, "role", "grant-permission", "--prefix=true", "calico", "readwrite", "/calico/")
    _etcdctl(server, "user", "add", "calico:calicopw")
    _etcdctl(server, "user", "grant-role", "calico", "calico")
    _etcdctl(server, "auth", "enable")
    server.user, server.password = "calico", "calicopw"
    yield server
    server.stop()


@pytest.fixture
def local_datastore_path(tmp_path):
    """A fresh sqlite datastore file path for the ``local`` backend (not yet created)."""
    return str(tmp_path / "pycalico" / "datastore.db")


def _make_backend(kind: str, request):
    if kind == "etcd":
        from datastore.backend.etcd import EtcdBackend, EtcdClient

        server = request.getfixturevalue("etcd")
        return EtcdBackend(EtcdClient(server.url))
    from datastore.backend.local import LocalBackend

    if kind == "local-file":
        return LocalBackend(request.getfixturevalue("local_datastore_path"))
    return LocalBackend(":memory:")


@pytest.fixture(params=["etcd", "local-file", "local-memory"])
def backend(request):
    """A Backend, once per implementation: real etcd (wiped), local sqlite file, local :memory:."""
    store = _make_backend(request.param, request)
    yield store
    store.close()


@pytest.fixture(params=["etcd", "local"])
def datastore_config(request):
    """A DatastoreConfig for each backend (etcd: the wiped session server; local: a temp sqlite file)."""
    from datastore.config import DatastoreConfig

    if request.param == "etcd":
        return DatastoreConfig(datastore_type="etcdv3", etcd_endpoints=request.getfixturevalue("etcd").url)
    return DatastoreConfig(datastore_type="local", datastore_path=request.getfixturevalue("local_datastore_path"))


@pytest.fixture
def datastore_client(datastore_config):
    """A connected datastore.client.Client on each backend (parametrised: etcd, local).

    Its IPPool delete skips libcalico-go's 500 ms pause (``pool_delete_pause = 0``) to keep tests fast.
    """
    from datastore.client import connect

    client = connect(datastore_config)
    client.pool_delete_pause = 0.0
    yield client
    client.close()


@pytest.fixture
def etcd_factory():
    """Start extra throwaway etcd servers (``etcd_factory(certs=None, client_cert_auth=False)``);
    all are stopped by PID at the end of the test."""
    require(_shutil.which("etcd") is not None, "etcd-server")
    servers: "list[EtcdServer]" = []

    def start(certs: "dict[str, str] | None" = None, client_cert_auth: bool = False) -> EtcdServer:
        server = start_etcd(certs, client_cert_auth)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
