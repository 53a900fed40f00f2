"""Click-free fast path for ``get ippools [<NAME>...] [-o ps|wide]`` (benchmark P1).

:func:`run` handles only a strict subset of argv and only when every step succeeds exactly as in the
full CLI: configuration from the environment (no config file), the version check passes, every stored
value is one the full decoder reads unchanged, every named pool exists. It returns the text the full
CLI would print on stdout (exit 0), or None — before anything is printed — and the click CLI runs.

Imports stay light (no click, dataclasses, inspect, typing, yaml): the full path's cost on a cold
start is mostly imports. The printed cells come from :mod:`pycalicoctl.columns`, as in the full CLI.
"""
from __future__ import annotations

import json
import os

from datastore import config as ds_config

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator, Mapping

CLIENT_VERSION = "v3.29.7"
IPPOOL_NAMES = frozenset(("ippool", "ippools", "ipp", "ipps", "pool", "pools"))
_RESOURCES = "/calico/resources/v3/projectcalico.org/"
_IPPOOL_PREFIX = _RESOURCES + "ippools/"
_CLUSTER_INFO_KEY = _RESOURCES + "clusterinformations/default"
_API_VERSION = "projectcalico.org/v3"
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.")
_OUTPUTS = ("ps", "wide")


class Declined(Exception):
    """The fast path does not handle this invocation; the full CLI must run it."""


class Request:
    """The parsed subset: kind, names, ``-o wide``, ``-c`` path, ``--allow-version-mismatch``."""

    __slots__ = ("kind", "names", "wide", "config_path", "allow_version_mismatch")

    def __init__(self, kind: str, names: tuple[str, ...], wide: bool, config_path: str,
                 allow_version_mismatch: bool):
        self.kind, self.names, self.wide = kind, names, wide
        self.config_path, self.allow_version_mismatch = config_path, allow_version_mismatch


def run(argv: list[str], environ: "Mapping[str, str]" = os.environ) -> str | None:
    """calicoctl's stdout for ``argv`` if the fast path can produce it exactly, else None."""
    try:
        request = parse_argv(argv)
        store = _open_store(request.config_path, environ)
        try:
            return _execute(request, store)
        finally:
            store.close()
    except Exception:  # noqa: BLE001 - any failure means "let the full CLI run it"; nothing was printed
        return None


def _option_value(arg: str, args: Iterator[str], short: str, long: str) -> str | None:
    """The value when ``arg`` is the option ``short``/``long`` (``-x V``, ``--long V``, ``--long=V``,
    ``-xV``; ``-x=V`` is not accepted); None when it is another argument."""
    if arg in (short, long):
        return _value(args)
    if arg.startswith(long + "="):
        return arg[len(long) + 1:]
    if arg.startswith(short) and not arg.startswith(short + "="):
        return arg[len(short):]
    return None


def parse_argv(argv: list[str]) -> Request:
    """The request for ``get <kind> [<name>...]`` with the accepted options; Declined otherwise."""
    if not argv or argv[0] != "get":
        raise Declined("not a get")
    output, config_path, mismatch = "ps", ds_config.DEFAULT_CONFIG_PATH, False
    positional: list[str] = []
    args = iter(argv[1:])
    for arg in args:
        if (value := _option_value(arg, args, "-o", "--output")) is not None:
            output = value
        elif (value := _option_value(arg, args, "-c", "--config")) is not None:
            config_path = value
        elif arg == "--allow-version-mismatch":
            mismatch = True
        elif arg.startswith("-"):
            raise Declined(f"option {arg}")
        else:
            positional.append(arg)
    if output not in _OUTPUTS or not positional or positional[0].lower() not in IPPOOL_NAMES:
        raise Declined("output or kind")
    names = tuple(positional[1:])
    if not all(_simple_name(name) for name in names):
        raise Declined("name")
    return Request("IPPool", names, output == "wide", config_path, mismatch)


def _value(args: "Iterator[str]") -> str:
    value = next(args, None)
    if value is None:
        raise Declined("option without a value")
    return value


def _simple_name(name: str) -> bool:
    """A name every layer accepts unchanged: lower-case DNS characters, alphanumeric at both ends."""
    return 0 < len(name) <= 253 and set(name) <= _NAME_CHARS and name[0].isalnum() and name[-1].isalnum()


def _open_store(config_path: str, environ: "Mapping[str, str]") -> "_EtcdReader | _LocalReader":
    """The store the environment configures (a config file needs YAML: declined)."""
    if os.path.exists(config_path) or config_path != ds_config.DEFAULT_CONFIG_PATH:
        raise Declined("config file")
    config = ds_config.load_config(config_path, environ)
    ds_config.check_supported(config)
    if config.datastore_type == "local":
        return _LocalReader(config.datastore_path)
    if config.etcd_username or config.etcd_password or config.etcd_ca_cert_file or config.etcd_cert_file \
            or config.etcd_key_file or config.etcd_ca_cert or config.etcd_cert or config.etcd_key:
        raise Declined("etcd TLS or authentication")
    endpoints = [e for e in config.etcd_endpoints.split(",") if e.strip()]
    if len(endpoints) != 1:
        raise Declined("several etcd endpoints")
    return _EtcdReader(endpoints[0].strip())


def _execute(request: Request, store: "_EtcdReader | _LocalReader") -> str:
    from pycalicoctl.columns import CellContext, headings_for, table

    if not request.allow_version_mismatch:
        info = store.get(_CLUSTER_INFO_KEY)
        if info is not None and not version_matches(cluster_information(info)):
            raise Declined("version mismatch")
    headings = headings_for(request.kind, request.wide, False)
    context = CellContext()
    if not request.names:
        pools = [stored_ippool(value) for value in store.list(_IPPOOL_PREFIX)]
        return table(request.kind, pools, headings, context)
    tables = []
    for name in request.names:
        value = store.get(_IPPOOL_PREFIX + name)
        if value is None:
            raise Declined("not found")
        tables.append(table(request.kind, [stored_ippool(value)], headings, context))
    return "".join(tables)


def version_matches(info: dict) -> bool:
    """engine.version_mismatch's comparison: no calicoVersion, or equal ignoring ``v`` and ``-suffix``."""
    cluster = info.get("spec", {}).get("calicoVersion", "")

    def strip(version: str) -> str:
        return version.removeprefix("v").split("-", 1)[0]

    return not cluster or strip(cluster) == strip(CLIENT_VERSION)


# -- stored values the full decoder reads unchanged -------------------------------------------------
# Each accepted field has exactly the JSON type the decoder expects and an exact (not case-folded)
# name; anything else (unknown or case-variant fields, nulls, other types) is declined, because the
# full path may read it differently or skip the value.

_STR, _BOOL, _INT, _STR_LIST, _STR_MAP = "str", "bool", "int", "str-list", "str-map"
_METADATA = {"name": _STR, "uid": _STR, "creationTimestamp": "timestamp", "labels": _STR_MAP,
             "annotations": _STR_MAP}
_IPPOOL_SPEC = {"cidr": _STR, "vxlanMode": _STR, "ipipMode": _STR, "natOutgoing": _BOOL, "disabled": _BOOL,
                "disableBGPExport": _BOOL, "blockSize": _INT, "nodeSelector": _STR, "allowedUses": _STR_LIST}
_CLUSTER_SPEC = {"clusterGUID": _STR, "clusterType": _STR, "calicoVersion": _STR, "datastoreReady": _BOOL,
                 "variant": _STR}


def stored_ippool(value: bytes) -> dict:
    """A stored IPPool as its v3 JSON dict; Declined unless the full decoder reads it unchanged."""
    return _stored(value, "IPPool", _IPPOOL_SPEC)


def cluster_information(value: bytes) -> dict:
    """The stored ClusterInformation as its v3 JSON dict; Declined as for :func:`stored_ippool`."""
    return _stored(value, "ClusterInformation", _CLUSTER_SPEC)


def _stored(value: bytes, kind: str, spec_fields: dict[str, str]) -> dict:
    data = json.loads(value)
    if type(data) is not dict or data.get("kind") != kind or data.get("apiVersion") != _API_VERSION:
        raise Declined("type")
    if not set(data) <= {"kind", "apiVersion", "metadata", "spec"}:
        raise Declined("top-level field")
    _check(data.get("metadata", {}), _METADATA)
    _check(data.get("spec", {}), spec_fields)
    return data


def _check(obj: object, fields: dict[str, str]) -> None:
    if type(obj) is not dict:
        raise Declined("object")
    for key, value in obj.items():
        if not _typed(value, fields.get(key, "")):
            raise Declined(f"field {key}")


def _typed(value: object, expected: str) -> bool:
    kind = type(value)
    if expected == _STR:
        return kind is str
    if expected == _BOOL:
        return kind is bool
    if expected == _INT:
        return kind is int and 0 <= value < 2 ** 31  # type: ignore[operator]
    if expected == _STR_LIST:
        return kind is list and all(type(item) is str for item in value)  # type: ignore[union-attr]
    if expected == _STR_MAP:
        return kind is dict and all(type(item) is str for item in value.values())  # type: ignore[union-attr]
    if expected == "timestamp":
        return kind is str and _utc_timestamp(value)  # type: ignore[arg-type]
    return False


def _utc_timestamp(text: str) -> bool:
    """``YYYY-MM-DDTHH:MM:SSZ`` with in-range fields (the form the client writes), read back unchanged."""
    if len(text) != 20 or text[4] + text[7] + text[10] + text[13] + text[16] + text[19] != "--T::Z":
        return False
    parts = (text[0:4], text[5:7], text[8:10], text[11:13], text[14:16], text[17:19])
    if not all(part.isdigit() and part.isascii() for part in parts):
        return False
    year, month, day, hour, minute, second = (int(part) for part in parts)
    if not (year >= 1 and 1 <= month <= 12 and hour < 24 and minute < 60 and second < 60):
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return 1 <= day <= (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]


# -- reading the stores ------------------------------------------------------------------------------


class _LocalReader:
    """The embedded sqlite store, through its backend."""

    def __init__(self, path: str):
        from datastore.backend.local import LocalBackend

        self.backend = LocalBackend(path)

    def get(self, key: str) -> bytes | None:
        from datastore.errors import NotFound

        try:
            return _as_bytes(self.backend.get(key).value)
        except NotFound:
            return None

    def list(self, prefix: str) -> list[bytes]:
        items, _revision = self.backend.list(prefix)
        return [_as_bytes(kv.value) for kv in items]

    def close(self) -> None:
        self.backend.close()


def _as_bytes(value: "bytes | str") -> bytes:
    return value.encode() if isinstance(value, str) else value


class _EtcdReader:
    """Range reads on an etcd v3 JSON gateway over plain HTTP (one HTTP/1.0 request per read, so the
    reply is never chunked and ends at EOF).

    Each socket operation waits at most ``TIMEOUT`` seconds: a silent etcd then costs the full CLI's
    own timeout (3 s) plus this one before calicoctl's error is printed.
    """

    TIMEOUT = 1.0

    def __init__(self, endpoint: str):
        scheme, _, rest = endpoint.partition("://")
        host, _, port = rest.rstrip("/").rpartition(":")
        if scheme != "http" or not host or not port.isdigit() or not host.isascii():
            raise Declined("endpoint")
        self.address = (host.strip("[]").encode("ascii"), int(port))  # bytes: no idna codec import
        self.host = rest.rstrip("/")

    def get(self, key: str) -> bytes | None:
        kvs = self._range({"key": _b64(key)})
        return _unb64(kvs[0]["value"]) if kvs else None

    def list(self, prefix: str) -> list[bytes]:
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return [_unb64(kv.get("value", "")) for kv in self._range({"key": _b64(prefix), "range_end": _b64(end)})]

    def _range(self, body: dict) -> list:
        import socket

        payload = json.dumps(body).encode()
        request = (f"POST /v3/kv/range HTTP/1.0\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload
        with socket.create_connection(self.address, timeout=self.TIMEOUT) as sock:
            sock.sendall(request)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        head, _, reply = b"".join(chunks).partition(b"\r\n\r\n")
        if head.split(b" ", 2)[1:2] != [b"200"]:
            raise Declined("etcd status")
        data = json.loads(reply)
        if data.get("more"):
            raise Declined("partial range")
        return data.get("kvs", [])

    def close(self) -> None:
        """Nothing stays open between requests."""


def _b64(text: str) -> str:
    import binascii

    return binascii.b2a_base64(text.encode(), newline=False).decode()


def _unb64(text: str) -> bytes:
    import binascii

    return binascii.a2b_base64(text)
