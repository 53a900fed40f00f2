"""etcd v3 through its HTTP/JSON gateway, with the standard library only.

Two layers in one module (the only place that knows how to talk to etcd):

- ``EtcdClient`` — a small synchronous client whose surface mirrors the familiar ``etcd3`` package
  (``get``, ``get_prefix``, ``put``, ``delete``, ``transaction`` with ``client.transactions.mod(key) == rev``
  style compares, ``watch_prefix``, ``lease``, ``authenticate``). It speaks ``/v3/kv/*``, ``/v3/watch``,
  ``/v3/lease/*`` and ``/v3/auth/authenticate`` over one keep-alive connection.
- ``EtcdBackend`` — the datastore Backend protocol (datastore/backend/base.py) on top of it, with every
  conditional write a single transaction comparing ``create_revision`` / ``mod_revision``.

Gateway facts handled here: keys and values are base64; 64-bit integers arrive as JSON strings; proto3
JSON omits false/zero fields (a failed txn has no ``succeeded``, a PUT event has no ``type``); a watch is a
chunked stream of ``{"result": {...}}`` objects on its own connection; large ranges are paged with
``limit`` at a pinned ``revision``; an expired auth token is refreshed once and the request retried.
The TLS context (CA bundle, client certificate) is built only on the first https connection, and
connections are opened lazily, so building a client costs nothing until it is used.

HTTP is a minimal HTTP/1.1 client over ``socket`` (``_Connection``): the gateway only needs JSON POSTs
with Content-Length or chunked replies, and ``http.client`` would import ``email`` and ``ssl`` on every
CLI start (``ssl`` is imported only for https endpoints). Every call but a watch is bounded by the read
timeout (``DEFAULT_TIMEOUT``), so an etcd that accepts connections but never answers fails in seconds.
The immutable wire records are ``NamedTuple``s: building a dataclass costs ~1 ms at import (its methods
are generated with ``exec``), a NamedTuple a seventh of that, and this module is on every CLI call's path.
"""
from __future__ import annotations

import codecs
import json
import os
import socket
import threading
import urllib.parse
from typing import Any, Iterator, NamedTuple, Sequence

from pybase64 import b64decode, b64encode

from datastore.backend import WatchCompacted
from datastore.backend.base import EventType, KeyValue, Read, WatchEvent, WriteOp, check_distinct_keys, first_failure
from datastore.errors import Conflict, DatastoreError, NotFound, Unavailable

DEFAULT_PAGE_SIZE = 1000
DEFAULT_TIMEOUT = 3.0
DEFAULT_CONNECT_TIMEOUT = 2.0
_MAX_LINE = 65536
# A commit whose compare failed but whose keys then all match again (a racing writer undid its
# change in between) is tried again, this many times in all.
_COMMIT_ATTEMPTS = 3
_UNAUTHENTICATED = 16
_UNAVAILABLE = 14


class EtcdError(DatastoreError):
    """etcd answered with an error (``code`` is the gRPC status code)."""

    def __init__(self, message: str, code: int = 0):
        self.code = code
        super().__init__(message)


# ---------------------------------------------------------------------------------------------------
# Wire helpers


def _b64(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode()
    return b64encode(data).decode("ascii")


def _unb64(text: str | None) -> bytes:
    return b64decode(text) if text else b""


def prefix_range_end(prefix: bytes | str) -> bytes:
    """The exclusive end of the key range holding every key that starts with ``prefix``."""
    raw = prefix.encode() if isinstance(prefix, str) else prefix
    stripped = raw.rstrip(b"\xff")
    if not stripped:
        return b"\0"
    return stripped[:-1] + bytes([stripped[-1] + 1])


class KVMetadata(NamedTuple):
    """A key's metadata as etcd reports it (the value travels separately, as in ``etcd3``)."""

    key: bytes
    create_revision: int
    mod_revision: int
    version: int
    lease_id: int

    @classmethod
    def from_json(cls, kv: dict[str, Any]) -> "KVMetadata":
        return cls(
            key=_unb64(kv.get("key")),
            create_revision=int(kv.get("create_revision", 0)),
            mod_revision=int(kv.get("mod_revision", 0)),
            version=int(kv.get("version", 0)),
            lease_id=int(kv.get("lease", 0)),
        )


class RangeResult(NamedTuple):
    """One ``/v3/kv/range`` reply: (value, metadata) pairs, the store revision, whether more follow."""

    kvs: list[tuple[bytes, KVMetadata]]
    revision: int
    more: bool
    count: int


def _kv_pairs(items: list[dict[str, Any]] | None) -> list[tuple[bytes, KVMetadata]]:
    return [(_unb64(kv.get("value")), KVMetadata.from_json(kv)) for kv in items or ()]


# ---------------------------------------------------------------------------------------------------
# Transactions: compares and operations, built like etcd3's ``client.transactions``


class Compare(NamedTuple):
    """One txn compare: ``target`` (VERSION/CREATE/MOD/VALUE/LEASE) ``result`` (EQUAL/...) ``operand``."""

    key: bytes
    target: str
    result: str
    operand: Any

    def to_json(self) -> dict[str, Any]:
        field_name = {"VERSION": "version", "CREATE": "create_revision", "MOD": "mod_revision",
                      "VALUE": "value", "LEASE": "lease"}[self.target]
        operand = _b64(self.operand) if self.target == "VALUE" else str(int(self.operand))
        return {"key": _b64(self.key), "target": self.target, "result": self.result, field_name: operand}


class _CompareTarget:
    __slots__ = ("key", "target")

    def __init__(self, key: bytes, target: str):
        self.key = key
        self.target = target

    def __eq__(self, other: object) -> Compare:  # type: ignore[override]
        return Compare(self.key, self.target, "EQUAL", other)

    def __ne__(self, other: object) -> Compare:  # type: ignore[override]
        return Compare(self.key, self.target, "NOT_EQUAL", other)

    def __lt__(self, other: object) -> Compare:
        return Compare(self.key, self.target, "LESS", other)

    def __gt__(self, other: object) -> Compare:
        return Compare(self.key, self.target, "GREATER", other)

    __hash__ = None  # type: ignore[assignment]


class TxnOp(NamedTuple):
    """One txn operation (``request_put`` / ``request_range`` / ``request_delete_range``)."""

    kind: str
    body: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {self.kind: self.body}


def _key_bytes(key: bytes | str) -> bytes:
    return key.encode() if isinstance(key, str) else key


class Transactions:
    """Builders for txn compares and operations: ``client.transactions.mod(k) == 5``, ``.put(k, v)``."""

    @staticmethod
    def version(key: bytes | str) -> _CompareTarget:
        return _CompareTarget(_key_bytes(key), "VERSION")

    @staticmethod
    def create(key: bytes | str) -> _CompareTarget:
        return _CompareTarget(_key_bytes(key), "CREATE")

    @staticmethod
    def mod(key: bytes | str) -> _CompareTarget:
        return _CompareTarget(_key_bytes(key), "MOD")

    @staticmethod
    def value(key: bytes | str) -> _CompareTarget:
        return _CompareTarget(_key_bytes(key), "VALUE")

    @staticmethod
    def put(key: bytes | str, value: bytes | str, lease: int = 0, prev_kv: bool = False) -> TxnOp:
        body: dict[str, Any] = {"key": _b64(key), "value": _b64(value)}
        if lease:
            body["lease"] = str(lease)
        if prev_kv:
            body["prev_kv"] = True
        return TxnOp("request_put", body)

    @staticmethod
    def get(key: bytes | str, keys_only: bool = False) -> TxnOp:
        """A range of one key; ``keys_only`` returns its metadata without the value."""
        body: dict[str, Any] = {"key": _b64(key)}
        if keys_only:
            body["keys_only"] = True
        return TxnOp("request_range", body)

    @staticmethod
    def get_prefix(prefix: bytes | str, keys_only: bool = False) -> TxnOp:
        """Every key under ``prefix``, in one piece (a range inside a txn is not paged)."""
        body: dict[str, Any] = {"key": _b64(_key_bytes(prefix) or b"\0"),
                                "range_end": _b64(prefix_range_end(prefix))}
        if keys_only:
            body["keys_only"] = True
        return TxnOp("request_range", body)

    @staticmethod
    def delete(key: bytes | str, prev_kv: bool = False) -> TxnOp:
        body: dict[str, Any] = {"key": _b64(key)}
        if prev_kv:
            body["prev_kv"] = True
        return TxnOp("request_delete_range", body)


class TxnResult(NamedTuple):
    """A transaction's outcome: which branch ran, one entry per op, and the store revision after it.

    Entries: range → list of (value, KVMetadata); put → prev (value, KVMetadata) or None;
    delete → list of deleted (value, KVMetadata) (when prev_kv was asked) — see ``deleted`` counts.
    """

    succeeded: bool
    responses: list[Any]
    revision: int


def _txn_result(reply: dict[str, Any]) -> TxnResult:
    return TxnResult(
        succeeded=bool(reply.get("succeeded", False)),
        responses=[_txn_response(item) for item in reply.get("responses", ())],
        revision=int(reply["header"].get("revision", 0)),
    )


def _commit_payload(ops: Sequence[WriteOp], read_back: Sequence[str]) -> bytes:
    """The ``/v3/kv/txn`` body of a commit: per op its compare (create: create_revision == 0;
    update/delete at a revision: mod_revision ==; delete at any revision: create_revision > 0) and its
    put or delete, then a keys_only read of each key in ``read_back``. Built as bytes because every
    string in it is base64 (nothing to escape): an allocation's block value is several KB."""
    compare, success = [], []
    for op in ops:
        key = b64encode(op.key.encode())
        if op.kind == "create":
            compare.append(b'{"key":"%s","target":"CREATE","result":"EQUAL","create_revision":"0"}' % key)
        elif op.revision is not None:
            compare.append(b'{"key":"%s","target":"MOD","result":"EQUAL","mod_revision":"%d"}'
                           % (key, int(op.revision)))
        else:
            compare.append(b'{"key":"%s","target":"CREATE","result":"GREATER","create_revision":"0"}' % key)
        if op.kind == "delete":
            success.append(b'{"request_delete_range":{"key":"%s"}}' % key)
        else:
            success.append(b'{"request_put":{"key":"%s","value":"%s"}}' % (key, b64encode(op.value)))
    for key in read_back:
        success.append(b'{"request_range":{"key":"%s","keys_only":true}}' % b64encode(key.encode()))
    return b'{"compare":[%s],"success":[%s]}' % (b",".join(compare), b",".join(success))


def _txn_response(item: dict[str, Any]) -> Any:
    if "response_range" in item:
        return _kv_pairs(item["response_range"].get("kvs"))
    if "response_put" in item:
        prev = item["response_put"].get("prev_kv")
        return _kv_pairs([prev])[0] if prev else None
    if "response_delete_range" in item:
        resp = item["response_delete_range"]
        return DeleteResult(int(resp.get("deleted", 0)), _kv_pairs(resp.get("prev_kvs")))
    return None


class DeleteResult(NamedTuple):
    """How many keys a delete removed, and their previous (value, metadata) when asked for."""

    deleted: int
    prev_kvs: list[tuple[bytes, KVMetadata]]


class Lease(NamedTuple):
    """A granted lease; ``refresh()`` keeps it alive, ``revoke()`` ends it (and deletes its keys)."""

    id: int
    ttl: int
    client: "EtcdClient"

    def refresh(self) -> int:
        """Send one keep-alive; returns the TTL etcd granted."""
        reply = self.client._call("/v3/lease/keepalive", {"ID": str(self.id)})
        return int(reply.get("result", reply).get("TTL", 0))

    def revoke(self) -> None:
        self.client._call("/v3/lease/revoke", {"ID": str(self.id)})

    def remaining_ttl(self) -> int:
        reply = self.client._call("/v3/lease/timetolive", {"ID": str(self.id)})
        return int(reply.get("TTL", 0))


# ---------------------------------------------------------------------------------------------------
# Connections


class Endpoint(NamedTuple):
    """One etcd client URL split into scheme, host and port."""

    url: str
    scheme: str
    host: str
    port: int

    @classmethod
    def parse(cls, url: str) -> "Endpoint":
        text = url.strip()
        if "://" not in text:
            text = "http://" + text
        parts = urllib.parse.urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"invalid etcd endpoint {url!r}")
        port = parts.port or (443 if parts.scheme == "https" else 2379)
        return cls(url=url.strip(), scheme=parts.scheme, host=parts.hostname, port=port)


class TLSConfig(NamedTuple):
    """Client TLS material as files (CA bundle, client certificate, key) and/or inline PEM text."""

    ca_cert: str = ""
    cert: str = ""
    key: str = ""
    ca_data: str = ""
    cert_data: str = ""
    key_data: str = ""

    def context(self):
        """An ssl.SSLContext verifying the server and presenting the client certificate, if any."""
        import ssl

        ctx = ssl.create_default_context(cafile=self.ca_cert or None, cadata=self.ca_data or None)
        if self.cert:
            ctx.load_cert_chain(self.cert, self.key or None)
        elif self.cert_data:
            import tempfile

            with tempfile.TemporaryDirectory(prefix="pycalico-tls-") as tmp:
                cert_path, key_path = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
                for path, text in ((cert_path, self.cert_data), (key_path, self.key_data)):
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(fd, "w") as handle:
                        handle.write(text)
                ctx.load_cert_chain(cert_path, key_path if self.key_data else None)
        return ctx


def _header(fields: bytes, name: bytes) -> bytes:
    """One header's value (stripped; b"" if absent) from a lowercased head whose every field line,
    the first included, starts with CRLF."""
    at = fields.find(b"\r\n" + name + b":")
    if at < 0:
        return b""
    end = fields.find(b"\r\n", at + 2)
    return fields[at + len(name) + 3:end if end >= 0 else len(fields)].strip()


class _Connection:
    """One HTTP/1.1 connection to the gateway: keep-alive POSTs of JSON bodies, replies framed by
    Content-Length, chunked encoding or the end of the connection. Malformed or truncated replies
    raise ConnectionError (an OSError, as socket failures)."""

    def __init__(self, sock: socket.socket, host: str):
        self.sock = sock
        self._host = host
        self._file = sock.makefile("rb")
        self._remaining = 0
        self._chunked = False
        self._to_close = False
        self._done = True

    def close(self) -> None:
        self._file.close()
        self.sock.close()

    def request(self, path: str, payload: bytes, headers: dict[str, str]) -> int:
        """Send one POST and read the reply's head; returns the HTTP status."""
        head = [f"POST {path} HTTP/1.1", f"Host: {self._host}", f"Content-Length: {len(payload)}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        self.sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload)
        return self._read_head()

    def _line(self) -> bytes:
        line = self._file.readline(_MAX_LINE)
        if not line.endswith(b"\n"):
            raise ConnectionError("connection closed by the server" if not line else "malformed HTTP reply")
        return line

    def _head(self) -> bytes:
        """The reply head without its closing blank line, lines joined by CRLF: taken in one piece
        when the whole head has arrived (the usual case), else read line by line."""
        end = self._file.peek(_MAX_LINE).find(b"\r\n\r\n")
        if end >= 0:
            return self._file.read(end + 4)[:end]
        lines = [self._line().rstrip(b"\r\n")]
        while (line := self._line()) not in (b"\r\n", b"\n"):
            lines.append(line.rstrip(b"\r\n"))
        return b"\r\n".join(lines)

    def _read_head(self) -> int:
        while True:
            status_line, _, fields = self._head().partition(b"\r\n")
            parts = status_line.split(None, 2)
            if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
                raise ConnectionError("malformed HTTP reply")
            status, version = int(parts[1]), parts[0]
            if status != 100:
                break
        fields = b"\r\n" + fields.lower()
        connection = _header(fields, b"connection")
        self._to_close = connection == b"close" or (version == b"HTTP/1.0" and connection != b"keep-alive")
        self._chunked = b"chunked" in _header(fields, b"transfer-encoding")
        length = _header(fields, b"content-length")
        self._remaining = int(length) if length.isdigit() and not self._chunked else -1
        self._done = False
        return status

    def read_part(self) -> bytes:
        """The next piece of the reply body (a chunk, or what has arrived); b"" at its end."""
        if self._done:
            return b""
        if self._chunked:
            size_text = self._line().split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ConnectionError("malformed HTTP chunk") from None
            if size == 0:
                while self._line() not in (b"\r\n", b"\n"):
                    pass
                self._done = True
                return b""
            data = self._exact(size)
            self._line()
            return data
        if self._remaining >= 0:
            data = self._exact(self._remaining)
            self._remaining = 0
            self._done = True
            return data
        data = self._file.read1(65536)
        if not data:
            self._done = True
            self._to_close = True
        return data

    def _exact(self, size: int) -> bytes:
        data = self._file.read(size)
        if len(data) != size:
            raise ConnectionError("connection closed by the server")
        return data

    def read_body(self) -> bytes:
        """The whole reply body; the connection stays usable unless the server asked to close it."""
        parts = []
        while part := self.read_part():
            parts.append(part)
        return b"".join(parts)

    @property
    def reusable(self) -> bool:
        """Whether another request may be sent on this connection."""
        return self._done and not self._to_close


class EtcdClient:
    """A synchronous etcd v3 client over the JSON gateway (thread-safe; one keep-alive connection).

    ``timeout`` bounds every read of a reply (not a watch's stream), ``connect_timeout`` each connect.
    """

    transactions = Transactions()

    def __init__(
        self,
        endpoints: Sequence[str] | str = "http://127.0.0.1:2379",
        *,
        tls: TLSConfig | None = None,
        user: str = "",
        password: str = "",
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ):
        if isinstance(endpoints, str):
            endpoints = [e for e in endpoints.split(",") if e.strip()]
        if not endpoints:
            raise ValueError("at least one etcd endpoint is required")
        self.endpoints = [Endpoint.parse(e) for e in endpoints]
        self.tls = tls or TLSConfig()
        self.user = user
        self.password = password
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._ssl_context = None
        self._lock = threading.RLock()
        self._conn: _Connection | None = None
        self._current = 0
        self._token = ""

    # -- connection management ---------------------------------------------------------------------

    def _context(self):
        if self._ssl_context is None:
            self._ssl_context = self.tls.context()
        return self._ssl_context

    def _open(self, endpoint: Endpoint) -> _Connection:
        # An ASCII host goes to getaddrinfo as bytes: a str would load the idna codec on every start.
        host_arg: str | bytes = endpoint.host.encode("ascii") if endpoint.host.isascii() else endpoint.host
        sock = socket.create_connection((host_arg, endpoint.port), timeout=self.connect_timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if endpoint.scheme == "https":
                sock = self._context().wrap_socket(sock, server_hostname=endpoint.host)
        except BaseException:
            sock.close()
            raise
        sock.settimeout(self.timeout)
        host = f"[{endpoint.host}]" if ":" in endpoint.host else endpoint.host
        return _Connection(sock, f"{host}:{endpoint.port}")

    def _connect_any(self) -> tuple[_Connection, Endpoint]:
        """Open a connection to the first reachable endpoint, starting with the last good one."""
        failures = []
        count = len(self.endpoints)
        for step in range(count):
            index = (self._current + step) % count
            endpoint = self.endpoints[index]
            try:
                conn = self._open(endpoint)
            except OSError as exc:
                failures.append(f"{endpoint.url}: {_describe(exc)}")
                continue
            self._current = index
            return conn, endpoint
        raise Unavailable("cannot connect to etcd at " + "; ".join(failures))

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> "EtcdClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- request core ------------------------------------------------------------------------------

    def _post(self, path: str, body: dict[str, Any] | bytes) -> tuple[int, bytes]:
        """POST ``body`` (a JSON object, or one already encoded) on the shared connection; a dropped
        keep-alive connection is reopened once."""
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if self._token:
            headers["Authorization"] = self._token
        retried = False
        while True:
            reused = self._conn is not None
            if self._conn is None:
                self._conn, _ = self._connect_any()
            endpoint = self.endpoints[self._current]
            try:
                status = self._conn.request(path, payload, headers)
                data = self._conn.read_body()
                if not self._conn.reusable:
                    self._conn.close()
                    self._conn = None
                return status, data
            except OSError as exc:
                self._conn.close()
                self._conn = None
                if retried or not (reused or len(self.endpoints) > 1):
                    raise Unavailable(f"etcd request to {endpoint.url} failed: {_describe(exc)}") from exc
                retried = True
                if not reused:
                    self._current = (self._current + 1) % len(self.endpoints)

    def _call(self, path: str, body: dict[str, Any] | bytes) -> dict[str, Any]:
        """One gateway call returning the decoded reply; raises EtcdError on an error reply."""
        with self._lock:
            if self.user and not self._token:
                self._authenticate_locked()
            status, data = self._post(path, body)
            reply = _decode(data)
            if status != 200 and self.user and reply.get("code") == _UNAUTHENTICATED:
                self._authenticate_locked()
                status, data = self._post(path, body)
                reply = _decode(data)
        if status != 200:
            message = reply.get("error") or reply.get("message") or f"HTTP {status}"
            code = int(reply.get("code", 0))
            if code == _UNAVAILABLE:
                raise Unavailable(f"etcd at {self.endpoints[self._current].url} is unavailable: {message}")
            raise EtcdError(message, code)
        return reply

    def _authenticate_locked(self) -> None:
        self._token = ""
        status, data = self._post("/v3/auth/authenticate", {"name": self.user, "password": self.password})
        reply = _decode(data)
        if status != 200:
            raise EtcdError(reply.get("error") or reply.get("message") or f"HTTP {status}",
                            int(reply.get("code", 0)))
        self._token = reply["token"]

    def authenticate(self, user: str, password: str) -> str:
        """Log in with user/password; later requests carry the token (refreshed on expiry)."""
        with self._lock:
            self.user, self.password = user, password
            self._authenticate_locked()
            return self._token

    # -- KV ----------------------------------------------------------------------------------------

    def range(
        self,
        key: bytes | str,
        range_end: bytes | None = None,
        *,
        limit: int = 0,
        revision: int = 0,
        keys_only: bool = False,
        count_only: bool = False,
    ) -> RangeResult:
        """The raw range call (``range_end`` exclusive; ``revision`` reads at that revision)."""
        body: dict[str, Any] = {"key": _b64(key)}
        if range_end is not None:
            body["range_end"] = _b64(range_end)
        if limit:
            body["limit"] = str(limit)
        if revision:
            body["revision"] = str(revision)
        if keys_only:
            body["keys_only"] = True
        if count_only:
            body["count_only"] = True
        reply = self._call("/v3/kv/range", body)
        return RangeResult(
            kvs=_kv_pairs(reply.get("kvs")),
            revision=int(reply["header"].get("revision", 0)),
            more=bool(reply.get("more", False)),
            count=int(reply.get("count", 0)),
        )

    def get(self, key: bytes | str) -> tuple[bytes | None, KVMetadata | None]:
        """(value, metadata) of one key, or (None, None) when it does not exist."""
        result = self.range(key)
        return result.kvs[0] if result.kvs else (None, None)

    def get_prefix_with_revision(
        self, prefix: bytes | str, page_size: int = DEFAULT_PAGE_SIZE, keys_only: bool = False
    ) -> tuple[list[tuple[bytes, KVMetadata]], int]:
        """Every key under ``prefix`` sorted by key, read page by page at one pinned revision
        (``keys_only``: metadata only, the values empty)."""
        end = prefix_range_end(prefix)
        start = _key_bytes(prefix) or b"\0"
        revision = 0
        items: list[tuple[bytes, KVMetadata]] = []
        while True:
            page = self.range(start, end, limit=page_size, revision=revision, keys_only=keys_only)
            revision = revision or page.revision
            items.extend(page.kvs)
            if not page.more or not page.kvs:
                return items, revision
            start = page.kvs[-1][1].key + b"\0"

    def get_prefix(self, prefix: bytes | str) -> Iterator[tuple[bytes, KVMetadata]]:
        """(value, metadata) for every key under ``prefix``, sorted by key."""
        return iter(self.get_prefix_with_revision(prefix)[0])

    def put(self, key: bytes | str, value: bytes | str, lease: "Lease | int | None" = None,
            prev_kv: bool = False) -> tuple[int, tuple[bytes, KVMetadata] | None]:
        """Unconditional write; returns (new store revision, previous (value, metadata) if asked)."""
        body: dict[str, Any] = {"key": _b64(key), "value": _b64(value)}
        lease_id = lease.id if isinstance(lease, Lease) else lease
        if lease_id:
            body["lease"] = str(lease_id)
        if prev_kv:
            body["prev_kv"] = True
        reply = self._call("/v3/kv/put", body)
        prev = reply.get("prev_kv")
        return int(reply["header"]["revision"]), (_kv_pairs([prev])[0] if prev else None)

    def delete(self, key: bytes | str, prev_kv: bool = False) -> DeleteResult:
        """Delete one key; ``deleted`` is 0 when it did not exist."""
        return self._delete_range({"key": _b64(key)}, prev_kv)

    def delete_prefix(self, prefix: bytes | str) -> DeleteResult:
        """Delete every key under ``prefix``."""
        return self._delete_range({"key": _b64(prefix), "range_end": _b64(prefix_range_end(prefix))}, False)

    def _delete_range(self, body: dict[str, Any], prev_kv: bool) -> DeleteResult:
        if prev_kv:
            body["prev_kv"] = True
        reply = self._call("/v3/kv/deleterange", body)
        return DeleteResult(int(reply.get("deleted", 0)), _kv_pairs(reply.get("prev_kvs")))

    def transaction(self, compare: Sequence[Compare], success: Sequence[TxnOp] = (),
                    failure: Sequence[TxnOp] = ()) -> TxnResult:
        """Atomically: if every compare holds run ``success`` else ``failure``."""
        reply = self._call("/v3/kv/txn", {
            "compare": [c.to_json() for c in compare],
            "success": [op.to_json() for op in success],
            "failure": [op.to_json() for op in failure],
        })
        return _txn_result(reply)

    def current_revision(self) -> int:
        """The store's current revision (from the member status reply header; needs no key permission)."""
        return int(self.status()["header"]["revision"])

    def compact(self, revision: int, physical: bool = False) -> None:
        """Discard history before ``revision`` (watches from older revisions then fail)."""
        body: dict[str, Any] = {"revision": str(revision)}
        if physical:
            body["physical"] = True
        self._call("/v3/kv/compaction", body)

    def status(self) -> dict[str, Any]:
        """The member status of the connected endpoint (version, db size, leader, raft index)."""
        return self._call("/v3/maintenance/status", {})

    # -- leases ------------------------------------------------------------------------------------

    def lease(self, ttl: int, lease_id: int = 0) -> Lease:
        """Grant a lease of ``ttl`` seconds."""
        body: dict[str, Any] = {"TTL": str(ttl)}
        if lease_id:
            body["ID"] = str(lease_id)
        reply = self._call("/v3/lease/grant", body)
        if reply.get("error"):
            raise EtcdError(reply["error"])
        return Lease(int(reply["ID"]), int(reply["TTL"]), self)

    # -- watch -------------------------------------------------------------------------------------

    def watch_prefix(self, prefix: bytes | str, start_revision: int = 0, prev_kv: bool = True) -> "EtcdWatch":
        """A watch on every key under ``prefix`` from ``start_revision`` (inclusive) on a new connection."""
        return self._watch(_key_bytes(prefix) or b"\0", prefix_range_end(prefix), start_revision, prev_kv)

    def watch(self, key: bytes | str, start_revision: int = 0, prev_kv: bool = True) -> "EtcdWatch":
        """A watch on one key."""
        return self._watch(_key_bytes(key), None, start_revision, prev_kv)

    def _watch(self, key: bytes, range_end: bytes | None, start_revision: int, prev_kv: bool) -> "EtcdWatch":
        request: dict[str, Any] = {"key": _b64(key)}
        if range_end is not None:
            request["range_end"] = _b64(range_end)
        if start_revision:
            request["start_revision"] = str(start_revision)
        if prev_kv:
            request["prev_kv"] = True
        with self._lock:
            if self.user and not self._token:
                self._authenticate_locked()
            token = self._token
            conn, endpoint = self._connect_any()
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = token
        try:
            status = conn.request("/v3/watch", json.dumps({"create_request": request}).encode(), headers)
            if status != 200:
                reply = _decode(conn.read_body())
                conn.close()
                raise EtcdError(reply.get("error") or f"HTTP {status}", int(reply.get("code", 0)))
        except OSError as exc:
            conn.close()
            raise Unavailable(f"etcd watch on {endpoint.url} failed: {_describe(exc)}") from exc
        conn.sock.settimeout(None)
        return EtcdWatch(conn, endpoint)


class EtcdWatch:
    """A running watch: iterate for (type, value, metadata, prev_value) events; ``cancel()`` from any thread."""

    def __init__(self, conn: _Connection, endpoint: Endpoint):
        self._conn = conn
        self._endpoint = endpoint
        self._cancelled = False
        self._buffer = ""
        self._decoder = json.JSONDecoder()
        self._text = codecs.getincrementaldecoder("utf-8")()

    def cancel(self) -> None:
        self._cancelled = True
        sock = self._conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _messages(self) -> Iterator[dict[str, Any]]:
        while not self._cancelled:
            try:
                chunk = self._conn.read_part()
            except (OSError, ValueError) as exc:
                if self._cancelled:
                    return
                raise Unavailable(f"etcd watch on {self._endpoint.url} broke: {_describe(exc)}") from exc
            if not chunk:
                if self._cancelled:
                    return
                raise Unavailable(f"etcd watch on {self._endpoint.url} closed by the server")
            self._buffer += self._text.decode(chunk)
            while True:
                text = self._buffer.lstrip()
                if not text:
                    self._buffer = ""
                    break
                try:
                    message, end = self._decoder.raw_decode(text)
                except ValueError:
                    self._buffer = text
                    break
                self._buffer = text[end:]
                yield message

    def events(self) -> Iterator["RawWatchEvent"]:
        """Decoded events in order; raises WatchCompacted when the start revision is gone."""
        try:
            for message in self._messages():
                if "error" in message:
                    raise EtcdError(message["error"].get("message", str(message["error"])),
                                    int(message["error"].get("grpc_code", 0)))
                result = message.get("result", {})
                if int(result.get("compact_revision", 0)):
                    raise WatchCompacted(int(result["compact_revision"]))
                if result.get("canceled"):
                    raise EtcdError(result.get("cancel_reason") or "watch canceled by the server")
                for event in result.get("events", ()):
                    value, meta = _kv_pairs([event["kv"]])[0]
                    prev = event.get("prev_kv")
                    yield RawWatchEvent(
                        type=event.get("type", "PUT"),
                        value=value,
                        meta=meta,
                        prev_value=_unb64(prev.get("value")) if prev else None,
                    )
        finally:
            self._conn.close()

    def __iter__(self) -> Iterator["RawWatchEvent"]:
        return self.events()


class RawWatchEvent(NamedTuple):
    """One etcd watch event (``type`` is "PUT" or "DELETE")."""

    type: str
    value: bytes
    meta: KVMetadata
    prev_value: bytes | None


def _decode(data: bytes) -> dict[str, Any]:
    try:
        reply = json.loads(data.decode()) if data else {}
    except ValueError:
        return {"error": data[:200].decode(errors="replace")}
    return reply if isinstance(reply, dict) else {}


def _describe(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


# ---------------------------------------------------------------------------------------------------
# The Backend protocol on top of the client


def _to_kv(value: bytes, meta: KVMetadata) -> KeyValue:
    return KeyValue(meta.key.decode(), value, meta.mod_revision, meta.create_revision)


def _key_revisions(items: list[tuple[bytes, KVMetadata]]) -> list[tuple[str, int]]:
    return [(meta.key.decode(), meta.mod_revision) for _, meta in items]


class EtcdBackend:
    """datastore.backend.base.Backend over a real etcd; every conditional write is one txn."""

    def __init__(self, client: EtcdClient, page_size: int = DEFAULT_PAGE_SIZE):
        self.client = client
        self.page_size = page_size

    def get(self, key: str) -> KeyValue:
        value, meta = self.client.get(key)
        if meta is None:
            raise NotFound(key)
        return _to_kv(value or b"", meta)

    def list(self, prefix: str) -> tuple[list[KeyValue], int]:
        items, revision = self.client.get_prefix_with_revision(prefix, self.page_size)
        return [_to_kv(v, m) for v, m in items], revision

    def list_keys(self, prefix: str) -> tuple[list[tuple[str, int]], int]:
        items, revision = self.client.get_prefix_with_revision(prefix, self.page_size, keys_only=True)
        return _key_revisions(items), revision

    def read(self, reads: Sequence[Read]) -> tuple[list, int]:
        """One read-only txn of ranges (no compare): etcd serves it as one linearizable read."""
        tx = self.client.transactions
        ranges = [tx.get(read.key) if read.kind == "get"
                  else tx.get_prefix(read.key, keys_only=read.kind == "list_keys") for read in reads]
        result = self.client.transaction(compare=[], success=ranges)
        results: list = []
        for read, items in zip(reads, result.responses):
            if read.kind == "get":
                results.append(_to_kv(*items[0]) if items else None)
            elif read.kind == "list":
                results.append([_to_kv(value, meta) for value, meta in items])
            else:
                results.append(_key_revisions(items))
        return results, result.revision

    def create(self, key: str, value: bytes) -> KeyValue:
        return self.commit([WriteOp.create(key, value)])[0]

    def create_many(self, items: Sequence[tuple[str, bytes]]) -> list[KeyValue]:
        """Create several keys in one transaction, each only if absent: all are written or none.

        AlreadyExists names the first key that exists. The keys share the transaction's revision.
        """
        return self.commit([WriteOp.create(key, value) for key, value in items])

    def update(self, key: str, value: bytes, revision: int) -> KeyValue:
        return self._commit([WriteOp.update(key, value, revision)], report_create_revision=True)[0]

    def put(self, key: str, value: bytes) -> KeyValue:
        """Unconditional write (creates or overwrites)."""
        tx = self.client.transactions
        result = self.client.transaction(compare=[], success=[tx.put(key, value), tx.get(key, keys_only=True)])
        return KeyValue(key, value, result.revision, result.responses[1][0][1].create_revision)

    def delete(self, key: str, revision: int | None = None) -> KeyValue:
        tx = self.client.transactions
        compare = [tx.mod(key) == revision] if revision is not None else [tx.create(key) > 0]
        result = self.client.transaction(
            compare=compare, success=[tx.delete(key, prev_kv=True)], failure=[tx.get(key, keys_only=True)]
        )
        if not result.succeeded:
            current = result.responses[0]
            if not current:
                raise NotFound(key)
            raise Conflict(key, current[0][1].mod_revision)
        deleted: DeleteResult = result.responses[0]
        if not deleted.prev_kvs:
            raise NotFound(key)
        return _to_kv(*deleted.prev_kvs[0])

    def commit(self, ops: Sequence[WriteOp]) -> list[KeyValue]:
        """One etcd txn: a create_revision / mod_revision compare per op, the puts and deletes without
        prev_kv, so a write never ships a stored value back. The txn has no failure branch (it costs
        etcd's gateway ~0.2 ms per txn even when unused): only when a compare fails does a second,
        read-only txn fetch the keys' metadata to name the first failing op's error."""
        return self._commit(ops, report_create_revision=False)

    def _commit(self, ops: Sequence[WriteOp], report_create_revision: bool) -> list[KeyValue]:
        """``commit``; with ``report_create_revision`` the txn also reads each updated key's metadata
        (keys_only) so the results carry its create_revision instead of 0."""
        check_distinct_keys(ops)
        if not ops:
            return []
        tx = self.client.transactions
        updated = [op.key for op in ops if op.kind == "update"] if report_create_revision else []
        payload = _commit_payload(ops, updated)
        for _ in range(_COMMIT_ATTEMPTS):
            reply = self.client._call("/v3/kv/txn", payload)
            if reply.get("succeeded"):
                break
            found = self.client.transaction(compare=[], success=[tx.get(op.key, keys_only=True) for op in ops])
            current = [items[0][1].mod_revision if items else None for items in found.responses]
            error = first_failure(ops, current)
            if error is not None:
                raise error
        else:
            raise Conflict(ops[0].key, 0)
        revision = int(reply["header"]["revision"])
        created = {}
        if updated:
            created = {key: found[0][1].create_revision
                       for key, found in zip(updated, _txn_result(reply).responses[len(ops):])}
        return [KeyValue(op.key, op.value, revision, revision if op.kind == "create" else created.get(op.key, 0))
                for op in ops]

    def watch(self, prefix: str, from_revision: int) -> "EtcdBackendWatch":
        return EtcdBackendWatch(self.client.watch_prefix(prefix, start_revision=from_revision + 1))

    def current_revision(self) -> int:
        return self.client.current_revision()

    def close(self) -> None:
        self.client.close()


class EtcdBackendWatch:
    """Adapts an EtcdWatch to the Backend's Watch protocol (WatchEvent of KeyValue)."""

    def __init__(self, watch: EtcdWatch):
        self._watch = watch

    def __iter__(self) -> Iterator[WatchEvent]:
        for event in self._watch:
            if event.type == "DELETE":
                kv = KeyValue(event.meta.key.decode(), event.prev_value or b"", event.meta.mod_revision, 0)
                yield WatchEvent(EventType.DELETE, kv)
            else:
                yield WatchEvent(EventType.PUT, _to_kv(event.value, event.meta))

    def cancel(self) -> None:
        self._watch.cancel()
