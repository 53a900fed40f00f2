"""Status snapshots and the speaker's control socket (a unix socket, mode 0660).

The socket speaks BIRD's control protocol closely enough for BIRD clients (birdc, calicoctl's
``node status``) to read it, plus one JSON command:

* On connect the server sends the banner ``0001 pycalico BGP ready.``
* ``show protocols`` -> BIRD 1.6 reply: ``2002-name     proto    table    state  since       info``,
  then ``1002-`` for the first row and a leading space for the others, then ``0000 ``. Rows use
  BIRD's layout ``%-8s %-8s %-8s %-5s  %-10s  %s``; proto is ``BGP``, table ``master``; state is
  ``up`` (Established), ``start`` (trying) or ``down`` (stopped); since is ``HH:MM:SS`` when
  less than 20 hours ago, else ``YYYY-MM-DD``; info is the BGP state padded to 14 characters
  followed by the last error (``Active        Socket: Connection refused``).
* ``show status`` -> ``1000-pycalico BGP``, ``1011-Router ID is <id>``, ``0013 Daemon is up and running``.
* ``status json`` -> one line holding the JSON document below, then ``0000 ``.
* ``routes json`` -> one line ``{"routes": [{"prefix", "next_hop", "as_path", "origin", "med",
  "local_pref", "communities", "originator_id", "cluster_list", "from"}, ...]}`` (the Loc-RIB's
  best routes, both families), then ``0000 ``; only when the server was given a routes source.
* Anything else -> ``9001 syntax error, unknown command``.

JSON status document (what ``pycalicoctl node status`` reads)::

    {"router_id": "198.18.0.1", "asn": 64512, "pid": 1234,
     "loc_rib": {"ipv4": 5, "ipv6": 0},         # best routes in the Loc-RIB per family
     "peers": [{"name": "Mesh_198_18_0_2",       # BIRD-style protocol name
                "address": "198.18.0.2", "port": 179,
                "family": "ipv4",                  # of the peer address: ipv4 | ipv6
                "asn": 64512, "local_asn": 64512,
                "type": "node-to-node mesh",       # node-to-node mesh | global | node specific
                "state": "Established",            # Idle|Connect|Active|OpenSent|OpenConfirm|Established
                "bird_state": "up",                # up | start | down (BIRD's protocol state)
                "since": "2026-11-23T10:00:00Z",   # last state change, UTC
                "since_epoch": 1795428000.0,
                "info": "Established",             # BIRD's info column, single-spaced
                "last_error": "",                  # e.g. "Socket: Connection refused"
                "prefixes": {"received": 3, "accepted": 3, "sent": 2}}]}
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

BANNER = "0001 pycalico BGP ready.\n"
MAX_COMMAND = 1024


@dataclass(frozen=True)
class PeerStatus:
    """A point-in-time view of one peer."""

    name: str
    address: str
    port: int
    asn: int
    local_asn: int
    kind: str
    state: str
    since: float
    last_error: str = ""
    enabled: bool = True
    prefixes_received: int = 0
    prefixes_accepted: int = 0
    prefixes_sent: int = 0

    @property
    def family(self) -> str:
        """``ipv6`` when the peer address is IPv6, else ``ipv4``."""
        return "ipv6" if ":" in self.address else "ipv4"

    @property
    def bird_state(self) -> str:
        """BIRD's protocol state column."""
        if not self.enabled:
            return "down"
        return "up" if self.state == "Established" else "start"

    @property
    def info(self) -> str:
        """BIRD's info column, with the 14-character padding kept."""
        if self.bird_state == "down":
            return self.last_error
        return f"{self.state:<14}{self.last_error}"


@dataclass(frozen=True)
class SpeakerStatus:
    """A point-in-time view of the whole speaker."""

    router_id: str
    asn: int
    peers: tuple[PeerStatus, ...]
    pid: int = 0
    loc_rib: tuple[tuple[str, int], ...] = ()


def format_since(since: float, now: float) -> str:
    """BIRD 1.6 time column: ``HH:MM:SS`` within 20 hours, else ``YYYY-MM-DD`` (local time)."""
    if now - since < 20 * 3600:
        return time.strftime("%H:%M:%S", time.localtime(since))
    return time.strftime("%Y-%m-%d", time.localtime(since))


def status_json(status: SpeakerStatus) -> dict:
    """The JSON document described in the module docstring."""
    return {
        "router_id": status.router_id,
        "asn": status.asn,
        "pid": status.pid,
        "loc_rib": dict(status.loc_rib),
        "peers": [
            {
                "name": p.name,
                "address": p.address,
                "port": p.port,
                "family": p.family,
                "asn": p.asn,
                "local_asn": p.local_asn,
                "type": p.kind,
                "state": p.state,
                "bird_state": p.bird_state,
                "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(p.since)),
                "since_epoch": p.since,
                "info": " ".join(p.info.split()),
                "last_error": p.last_error,
                "prefixes": {"received": p.prefixes_received, "accepted": p.prefixes_accepted,
                             "sent": p.prefixes_sent},
            }
            for p in status.peers
        ],
    }


def show_protocols(status: SpeakerStatus, now: float) -> str:
    """BIRD's ``show protocols`` reply (control-socket framing included)."""
    lines = ["2002-name     proto    table    state  since       info"]
    for i, p in enumerate(status.peers):
        row = f"{p.name:<8} {'BGP':<8} {'master':<8} {p.bird_state:<5}  {format_since(p.since, now):<10}  {p.info}"
        lines.append(("1002-" if i == 0 else " ") + row)
    lines.append("0000 ")
    return "\n".join(lines) + "\n"


def show_status(status: SpeakerStatus) -> str:
    """BIRD's ``show status`` reply."""
    return (f"1000-pycalico BGP\n1011-Router ID is {status.router_id}\n"
            "0013 Daemon is up and running\n")


_ORIGINS = {0: "IGP", 1: "EGP", 2: "Incomplete"}


def routes_document(tables: Iterable[Mapping]) -> dict:
    """The ``routes json`` document from Loc-RIB tables ``{network: (source or None, attrs)}``."""
    routes = []
    for table in tables:
        for network, (source, attrs) in table.items():
            routes.append({
                "prefix": str(network),
                "next_hop": "" if attrs.next_hop is None else str(attrs.next_hop),
                "as_path": [asn for _, asns in attrs.as_path.segments for asn in asns],
                "origin": _ORIGINS.get(int(attrs.origin), str(attrs.origin)),
                "med": attrs.med,
                "local_pref": attrs.local_pref,
                "communities": [f"{c >> 16}:{c & 0xFFFF}" for c in attrs.communities],
                "originator_id": None if attrs.originator_id is None else str(attrs.originator_id),
                "cluster_list": [str(c) for c in attrs.cluster_list],
                "from": None if source is None else str(getattr(source, "address", source)),
            })
    return {"routes": routes}


def answer(command: str, status: SpeakerStatus, now: float,
           routes: Callable[[], dict] | None = None) -> str:
    """The reply to one control command (pure apart from calling ``routes``)."""
    words = command.split()
    if words == ["routes", "json"] and routes is not None:
        return json.dumps(routes(), separators=(",", ":")) + "\n0000 \n"
    if words == ["show", "protocols"] or words == ["show", "protocols", "all"]:
        return show_protocols(status, now)
    if words == ["show", "status"]:
        return show_status(status)
    if words == ["status", "json"]:
        return json.dumps(status_json(status), separators=(",", ":")) + "\n0000 \n"
    return "9001 syntax error, unknown command\n"


class ControlServer:
    """Serves ``answer`` on a unix socket; ``snapshot`` is called once per command."""

    def __init__(self, path: str, snapshot: Callable[[], SpeakerStatus],
                 routes: Callable[[], dict] | None = None):
        self.path = path
        self._snapshot = snapshot
        self._routes = routes
        self._server: asyncio.AbstractServer | None = None
        self._clients: set[asyncio.Task] = set()

    async def start(self) -> None:
        """Bind the socket (replacing a stale one) with mode 0660."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        old = os.umask(0o117)
        try:
            self._server = await asyncio.start_unix_server(self._accept, path=self.path, limit=MAX_COMMAND)
        finally:
            os.umask(old)
        os.chmod(self.path, 0o660)

    async def close(self) -> None:
        """Stop listening, end the client tasks this server owns, remove the socket file."""
        if self._server is not None:
            self._server.close()
            self._server = None
        clients, self._clients = self._clients, set()
        for task in clients:
            task.cancel()
        await asyncio.gather(*clients, return_exceptions=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.get_running_loop().create_task(self._client(reader, writer), name="bgp-control-client")
        self._clients.add(task)
        task.add_done_callback(self._clients.discard)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            writer.write(BANNER.encode())
            await writer.drain()
            while True:
                try:
                    line = await reader.readline()
                except (ValueError, asyncio.LimitOverrunError):
                    break
                if not line:
                    break
                command = line.decode(errors="replace").strip()
                if command in ("quit", "exit"):
                    break
                if not command:
                    continue
                writer.write(answer(command, self._snapshot(), time.time(), self._routes).encode())
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


def query(path: str, command: str, timeout: float = 2.0) -> str:
    """Blocking client: send one command, return the reply text (banner stripped)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(path)
        stream = sock.makefile("rwb")
        banner = stream.readline()
        if not banner.startswith(b"0001"):
            raise ConnectionError(f"unexpected banner {banner!r}")
        stream.write(command.encode() + b"\n")
        stream.flush()
        lines = []
        while True:
            line = stream.readline()
            if not line:
                break
            text = line.decode()
            lines.append(text)
            code = text[:4]
            if code.isdigit() and text[4:5] == " ":
                break
        return "".join(lines)


def query_json(path: str, timeout: float = 2.0) -> dict:
    """Blocking client: the JSON status document."""
    reply = query(path, "status json", timeout)
    return json.loads(reply.splitlines()[0])
