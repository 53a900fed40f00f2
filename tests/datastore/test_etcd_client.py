"""etcd-specific behaviour of datastore/backend/etcd.py against real etcd servers."""
from __future__ import annotations

import socket
import time

import pytest

from datastore.backend import WatchCompacted
from datastore.backend.etcd import EtcdBackend, EtcdClient, EtcdError, TLSConfig, prefix_range_end
from datastore.errors import Unavailable


def test_prefix_range_end():
    assert prefix_range_end("/a/") == b"/a0"
    assert prefix_range_end(b"a\xff") == b"b"
    assert prefix_range_end("") == b"\0"


def test_etcd3_style_surface(etcd):
    client = EtcdClient(etcd.url)
    revision, prev = client.put("/calico/k", "v1")
    assert prev is None
    value, meta = client.get("/calico/k")
    assert (value, meta.key, meta.mod_revision, meta.version) == (b"v1", b"/calico/k", revision, 1)
    assert client.get("/calico/missing") == (None, None)
    tx = client.transactions
    result = client.transaction(compare=[tx.mod("/calico/k") == revision], success=[tx.put("/calico/k", "v2")],
                                failure=[tx.get("/calico/k")])
    assert result.succeeded and result.revision == revision + 1
    failed = client.transaction(compare=[tx.value("/calico/k") == "v1"], success=[tx.put("/calico/k", "v3")],
                                failure=[tx.get("/calico/k")])
    assert not failed.succeeded
    assert failed.responses[0][0][0] == b"v2"
    assert [v for v, _ in client.get_prefix("/calico/")] == [b"v2"]
    assert client.delete("/calico/k", prev_kv=True).prev_kvs[0][0] == b"v2"
    assert client.delete("/calico/k").deleted == 0
    client.close()


def test_lease_attached_key_disappears_on_revoke(etcd):
    client = EtcdClient(etcd.url)
    lease = client.lease(30)
    client.put("/calico/felix/status", "{}", lease=lease)
    assert 0 < lease.remaining_ttl() <= 30
    assert lease.refresh() == 30
    assert client.get("/calico/felix/status")[1].lease_id == lease.id
    lease.revoke()
    assert client.get("/calico/felix/status") == (None, None)


def test_large_range_is_paged_at_one_revision(etcd):
    client = EtcdClient(etcd.url)
    value = b"x" * 300
    for i in range(250):
        client.put(f"/calico/many/{i:04d}", value)
    backend = EtcdBackend(client, page_size=40)
    calls = []
    original = client.range

    def counting_range(*args, **kwargs):
        calls.append(kwargs.get("revision"))
        if len(calls) == 2:
            client.put("/calico/many/0000a", "written mid-listing")
        return original(*args, **kwargs)

    client.range = counting_range
    items, revision = backend.list("/calico/many/")
    assert len(items) == 250
    assert [kv.key for kv in items] == sorted(f"/calico/many/{i:04d}" for i in range(250))
    assert len(calls) == 7
    assert calls[0] == 0 and set(calls[1:]) == {revision}
    assert backend.current_revision() == revision + 1
    calls.clear()
    keys, keys_revision = backend.list_keys("/calico/many/")
    assert [key for key, _ in keys] == sorted([f"/calico/many/{i:04d}" for i in range(250)] + ["/calico/many/0000a"])
    assert len(calls) == 7 and keys_revision == revision + 1


def test_unreachable_endpoint_fails_fast_naming_it():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    with pytest.raises(Unavailable) as err:
        EtcdBackend(EtcdClient(url)).get("/calico/x")
    assert time.monotonic() - started < 3
    assert str(err.value) == f"cannot connect to etcd at {url}: Connection refused"


def test_silent_endpoint_times_out_within_connect_timeout():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        client = EtcdClient(url, timeout=0.5, connect_timeout=0.5)
        started = time.monotonic()
        with pytest.raises(Unavailable) as err:
            client.get("/calico/x")
        assert time.monotonic() - started < 3
        assert url in str(err.value)


def test_failover_to_next_endpoint(etcd):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    client = EtcdClient([dead, etcd.url])
    client.put("/calico/k", "v")
    assert client.get("/calico/k")[0] == b"v"


def test_watch_compacted_revision_raises(etcd):
    client = EtcdClient(etcd.url)
    first, _ = client.put("/calico/k", "1")
    latest, _ = client.put("/calico/k", "2")
    client.compact(latest)
    with pytest.raises(WatchCompacted) as err:
        next(iter(EtcdBackend(client).watch("/calico/", first - 1)))
    assert err.value.compact_revision == latest


def test_tls_with_client_certificate(etcd_tls_server, test_certs):
    tls = TLSConfig(test_certs["ca"], test_certs["client_cert"], test_certs["client_key"])
    backend = EtcdBackend(EtcdClient(etcd_tls_server.url, tls=tls))
    kv = backend.create("/calico/tls", b"1")
    assert backend.get("/calico/tls") == kv
    backend.delete("/calico/tls")
    backend.close()


def test_tls_without_client_certificate_is_refused(etcd_tls_server, test_certs):
    client = EtcdClient(etcd_tls_server.url, tls=TLSConfig(test_certs["ca"]))
    with pytest.raises(Unavailable) as err:
        client.get("/calico/tls")
    assert etcd_tls_server.url in str(err.value)


def test_user_password_auth(etcd_auth_server):
    backend = EtcdBackend(EtcdClient(etcd_auth_server.url, user="calico", password="calicopw"))
    start = backend.current_revision()
    backend.create("/calico/auth", b"1")
    assert backend.get("/calico/auth").value == b"1"
    event = next(iter(backend.watch("/calico/", start)))
    assert event.kv.key == "/calico/auth"
    with pytest.raises(EtcdError) as err:
        backend.client.put("/outside", "x")
    assert "permission denied" in str(err.value)
    backend.delete("/calico/auth")


def test_expired_token_is_refreshed(etcd_auth_server):
    client = EtcdClient(etcd_auth_server.url, user="calico", password="calicopw")
    client.put("/calico/a", "1")
    client._token = "bogus.token"
    assert client.get("/calico/a")[0] == b"1"
    client.delete("/calico/a")


def test_wrong_password_is_reported(etcd_auth_server):
    client = EtcdClient(etcd_auth_server.url, user="calico", password="nope")
    with pytest.raises(EtcdError) as err:
        client.get("/calico/a")
    assert "authentication failed" in str(err.value)


def test_server_going_away_after_connecting_fails_fast_naming_it(etcd_factory):
    server = etcd_factory()
    client = EtcdClient(server.url)
    client.put("/calico/k", "v")
    server.stop()
    started = time.monotonic()
    with pytest.raises(Unavailable) as err:
        client.get("/calico/k")
    assert time.monotonic() - started < 3
    assert str(err.value) == f"cannot connect to etcd at {server.url}: Connection refused"


def _fake_gateway(status: int, body: bytes):
    """A loopback HTTP server answering every POST with ``status`` and ``body``; returns (server, url)."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def test_grpc_unavailable_reply_is_unavailable():
    server, url = _fake_gateway(503, b'{"error":"etcdserver: no leader","code":14,"message":"etcdserver: no leader"}')
    try:
        with pytest.raises(Unavailable) as err:
            EtcdClient(url).get("/calico/k")
        assert str(err.value) == f"etcd at {url} is unavailable: etcdserver: no leader"
    finally:
        server.shutdown()
        server.server_close()


def test_other_error_replies_keep_their_code():
    server, url = _fake_gateway(400, b'{"error":"etcdserver: mvcc: required revision is a future revision","code":11}')
    try:
        with pytest.raises(EtcdError) as err:
            EtcdClient(url).range("/calico/k", revision=99)
        assert (str(err.value), err.value.code) == ("etcdserver: mvcc: required revision is a future revision", 11)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def etcd_cluster(tmp_path):
    """A three-member etcd cluster on loopback; yields the client URLs and the member processes."""
    import json
    import os
    import shutil
    import subprocess
    import tempfile
    import urllib.request

    from tests.conftest import _die_with_parent, require

    require(shutil.which("etcd") is not None, "etcd-server")

    def port():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    members = [(f"m{i}", f"http://127.0.0.1:{port()}", f"http://127.0.0.1:{port()}") for i in range(3)]
    initial = ",".join(f"{name}={peer}" for name, _, peer in members)
    data = tempfile.mkdtemp(prefix="pycalico-etcd-cluster-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    procs = []
    for name, client, peer in members:
        procs.append(subprocess.Popen(
            ["etcd", "--name", name, "--data-dir", f"{data}/{name}", "--listen-client-urls", client,
             "--advertise-client-urls", client, "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
             "--initial-cluster", initial, "--initial-cluster-state", "new", "--heartbeat-interval", "10",
             "--election-timeout", "100", "--logger", "zap", "--log-level", "error"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent))
    deadline = time.monotonic() + 20
    try:
        for _, client, _ in members:
            while True:
                assert time.monotonic() < deadline, "etcd cluster did not become healthy"
                try:
                    with urllib.request.urlopen(client + "/health", timeout=0.5) as reply:
                        if json.load(reply).get("health") == "true":
                            break
                except (OSError, ValueError):
                    time.sleep(0.05)
        yield [client for _, client, _ in members], procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(5)
        shutil.rmtree(data, ignore_errors=True)


def test_fails_over_to_another_member_when_the_connected_one_stops(etcd_cluster):
    urls, procs = etcd_cluster
    backend = EtcdBackend(EtcdClient(urls))
    kv = backend.create("/calico/failover", b"1")
    assert backend.client.endpoints[backend.client._current].url == urls[0]
    procs[0].terminate()
    procs[0].wait(5)
    updated = backend.update("/calico/failover", b"2", kv.mod_revision)
    assert backend.get("/calico/failover") == updated
    assert backend.client.endpoints[backend.client._current].url != urls[0]


def test_watch_refused_by_the_server_raises(etcd_auth_server):
    import threading

    client = EtcdClient(etcd_auth_server.url, user="calico", password="calicopw")
    watch = client.watch_prefix("/outside/")
    raised = []

    def reader():
        try:
            next(iter(watch))
        except EtcdError as exc:
            raised.append(exc)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    thread.join(5)
    watch.cancel()
    assert raised and "permission denied" in str(raised[0])


def test_watch_stream_with_many_large_events(etcd):
    backend = EtcdBackend(EtcdClient(etcd.url))
    start = backend.current_revision()
    values = {f"/calico/big/{i:03d}": (f"{i}-".encode() + bytes(range(256)) * 40) for i in range(150)}
    for key, value in values.items():
        backend.put(key, value)
    watch = backend.watch("/calico/big/", start)
    seen = {}
    for event in watch:
        seen[event.kv.key] = event.kv.value
        if len(seen) == len(values):
            break
    watch.cancel()
    assert seen == values


def _scripted_gateway(replies: list[bytes | tuple[bytes, ...]]):
    """A loopback server answering each request, in order, with the next raw HTTP reply (a tuple is
    sent piece by piece, 20 ms apart); a reply ending the connection (``Connection: close``) makes the
    client reconnect. Returns (url, accepted connection count, thread)."""
    import threading
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    accepted = []

    def serve():
        pending = list(replies)
        with listener:
            while pending:
                conn, _ = listener.accept()
                accepted.append(conn)
                with conn:
                    reader = conn.makefile("rb")
                    while pending:
                        head = b""
                        while not head.endswith(b"\r\n\r\n"):
                            byte = reader.read(1)
                            if not byte:
                                break
                            head += byte
                        if not head:
                            break
                        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                          if line.lower().startswith(b"content-length")))
                        reader.read(length)
                        reply = pending.pop(0)
                        for piece in reply if isinstance(reply, tuple) else (reply,):
                            conn.sendall(piece)
                            time.sleep(0.02 if isinstance(reply, tuple) else 0)
                        if b"Connection: close" in b"".join(reply if isinstance(reply, tuple) else (reply,)):
                            break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}", accepted, thread


def test_http_framing_chunked_content_length_and_connection_close():
    import base64
    import json

    def body(value: str) -> bytes:
        kv = {"key": base64.b64encode(b"/calico/k").decode(), "value": base64.b64encode(value.encode()).decode(),
              "mod_revision": "7", "create_revision": "7", "version": "1"}
        return json.dumps({"header": {"revision": "7"}, "kvs": [kv], "count": "1"}).encode()

    one = body("chunked")
    chunked = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
               + b"%x\r\n" % 5 + one[:5] + b"\r\n" + b"%x;ext=1\r\n" % (len(one) - 5) + one[5:] + b"\r\n0\r\n\r\n")
    two = body("sized, then close")
    sized = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(two) + two
    three = body("after reconnect")
    again = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(three) + three
    url, accepted, thread = _scripted_gateway([chunked, sized, again])
    client = EtcdClient(url, timeout=2)
    assert [client.get("/calico/k")[0] for _ in range(3)] == [b"chunked", b"sized, then close", b"after reconnect"]
    client.close()
    thread.join(5)
    assert len(accepted) == 2  # the chunked reply kept the connection alive; "Connection: close" ended it


def test_reply_head_arriving_in_pieces_and_interim_replies():
    import json

    body = json.dumps({"header": {"revision": "9"}, "kvs": [], "count": "0"}).encode()
    whole = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    pieces = (whole[:9], whole[9:30], whole[30:-3], whole[-3:])
    interim = (b"HTTP/1.1 100 Continue\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Le", b"ngth: %d\r\n\r\n" % len(body) + body)
    url, accepted, thread = _scripted_gateway([pieces, interim, b"HTTP/1.1 100 Continue\r\n\r\n" + whole])
    client = EtcdClient(url, timeout=2)
    assert [client.get("/calico/k") for _ in range(3)] == [(None, None)] * 3
    client.close()
    thread.join(5)
    assert len(accepted) == 1


def test_truncated_reply_is_unavailable_naming_the_endpoint():
    url, _, thread = _scripted_gateway([b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{}"])
    with pytest.raises(Unavailable) as err:
        EtcdClient(url, timeout=2).get("/calico/k")
    thread.join(5)
    assert str(err.value) == f"etcd request to {url} failed: connection closed by the server"


def test_commit_txn_carries_no_failure_branch_and_a_lost_compare_costs_one_read(etcd):
    """etcd's gateway parses a failure branch even when the txn succeeds (~0.2 ms of its CPU per
    allocation): a commit sends none, and names a lost compare's error from one read-only txn."""
    import json

    from datastore.backend.base import WriteOp
    from datastore.errors import AlreadyExists, Conflict

    client = EtcdClient(etcd.url)
    backend = EtcdBackend(client)
    sent = []
    call = client._call
    client._call = lambda path, body: sent.append((path, json.loads(body) if isinstance(body, bytes) else body)) \
        or call(path, body)
    created = backend.commit([WriteOp.create("/calico/c/a", b"1"), WriteOp.create("/calico/c/b", b"2")])
    assert [(path, body.get("failure", [])) for path, body in sent] == [("/v3/kv/txn", [])]
    sent.clear()
    with pytest.raises(Conflict) as lost:
        backend.commit([WriteOp.create("/calico/c/new", b"3"), WriteOp.update("/calico/c/b", b"4", created[1].mod_revision - 1)])
    assert (lost.value.identifier, lost.value.current_revision) == ("/calico/c/b", created[1].mod_revision)
    assert [len(body["compare"]) for _, body in sent] == [2, 0], "the write, then one read of both keys' metadata"
    assert all(body.get("failure", []) == [] for _, body in sent)
    with pytest.raises(AlreadyExists):
        backend.commit([WriteOp.create("/calico/c/a", b"5")])
    assert client.get("/calico/c/new") == (None, None)
    client.close()
