"""The effectful shell both plugins share: run one CNI call, node name, datastore client, IPAM lock."""
from __future__ import annotations

import errno
import fcntl
import os
import socket
import sys
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Mapping

from node.cni.types import (
    ERR_INTERNAL,
    ERR_IO,
    ERR_TRY_AGAIN_LATER,
    SPEC_VERSION,
    CNIError,
    Invocation,
    NetConf,
    emit,
    merge_datastore_env,
    parse_environment,
    parse_netconf,
    version_json,
)

LOCK_TIMEOUT = 90.0

Handler = Callable[[Invocation, NetConf, Mapping[str, str]], Mapping[str, Any] | None]


def run(handlers: Mapping[str, Handler], environ: Mapping[str, str] = os.environ,
        stdin: Any = None, stdout: Any = None) -> int:
    """Run one CNI call: the handler's result (or an error object) as JSON on stdout; exit code 0 or 1."""
    stdin = stdin if stdin is not None else sys.stdin.buffer
    stdout = stdout if stdout is not None else sys.stdout
    version = SPEC_VERSION
    try:
        invocation = parse_environment(environ)
        if invocation.command == "VERSION":
            stdout.write(emit(version_json()))
            return 0
        conf = parse_netconf(stdin.read())
        version = conf.cni_version
        result = handlers[invocation.command](invocation, conf, environ)
    except CNIError as exc:
        stdout.write(emit(exc.to_json(version)))
        return 1
    except Exception as exc:  # noqa: BLE001 - every failure must reach the runtime as a CNI error
        stdout.write(emit(CNIError(ERR_INTERNAL, str(exc) or type(exc).__name__).to_json(version)))
        return 1
    if result is not None:
        stdout.write(emit(result))
    return 0


def determine_nodename(conf: NetConf) -> str:
    """``nodename`` from the config, else the nodename file, else the lower-cased hostname.

    Unless ``nodename_file_optional``, the nodename file must exist (calico/node writes it)."""
    if not conf.nodename_file_optional and not os.path.exists(conf.nodename_file):
        raise CNIError(ERR_INTERNAL, f"stat {conf.nodename_file}: no such file or directory: check that the "
                                     "calico/node container is running and has mounted /var/lib/calico/")
    if conf.nodename:
        return conf.nodename
    try:
        with open(conf.nodename_file, encoding="utf-8") as handle:
            name = handle.read().strip()
        if name:
            return name
    except OSError:
        pass
    return socket.gethostname().lower()


def connect(conf: NetConf, environ: Mapping[str, str]) -> Any:
    """A datastore Client chosen as pycalicoctl chooses it, with the network config's fields applied."""
    from datastore.client import connect as ds_connect
    from datastore.config import load_config
    from datastore.errors import DatastoreError

    try:
        return ds_connect(load_config(None, merge_datastore_env(environ, conf)))
    except (DatastoreError, OSError, ValueError) as exc:
        raise CNIError(ERR_INTERNAL, f"failed to create the datastore client: {exc}") from None


def check_datastore_ready(client: Any) -> None:
    """ClusterInformation ``default`` must say ``datastoreReady: true``."""
    from datastore.errors import NotFound

    try:
        info = client.get("ClusterInformation", "default")
    except NotFound:
        raise CNIError(ERR_TRY_AGAIN_LATER, "error getting ClusterInformation: resource does not exist: "
                                            "ClusterInformation(default)") from None
    if info.spec.datastore_ready is not True:
        raise CNIError(ERR_TRY_AGAIN_LATER, "Calico is currently not ready to process requests")


@contextmanager
def ipam_lock(path: str, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """The host-wide IPAM file lock (``ipam_lock_file``) serialising this host's allocations."""
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise CNIError(ERR_IO, f"failed to open IPAM lock {path}: {exc.strerror}") from None
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                    raise CNIError(ERR_TRY_AGAIN_LATER, f"failed to acquire the IPAM lock {path}") from None
                time.sleep(0.005)
        yield
    finally:
        os.close(fd)
