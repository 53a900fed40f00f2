"""One BGP session: an FSM instance (fsm.py), its TCP connection, reader task and timers.

Everything that happens to a session is an RFC 4271 §8.1 event handed to ``Session.post``, which
runs the pure ``fsm.step`` and executes the returned actions in order. Timers are
``loop.call_later`` handles that post their ``*_Expires`` event; the reader task decodes whole
messages from the socket and posts message events; the connect task posts ``Tcp_CR_Acked`` or
``TcpConnectionFails``. Nothing polls. Tasks are created through the host (the speaker), whose
TaskGroup owns them; the reader and connect tasks never raise anything but ``CancelledError``.

The session knows nothing about routes: the host receives OPENs (to validate, negotiate and
detect collisions), UPDATEs, ROUTE-REFRESHes, Established and down notices through
``SessionHost``. Error texts follow BIRD so ``show protocols`` reads like BIRD's.
"""
from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import random
import time
from typing import Coroutine, Protocol

from . import fsm as F
from .config import PeerConfig
from .constants import CeaseSubcode, ErrorCode, MessageType
from .errors import NotificationError
from .message import KEEPALIVE_BYTES, Notification, Open, RouteRefresh, Update, decode_body, split_messages
from .negotiate import Negotiated
from .transport import connect

log = logging.getLogger(__name__)

READ_CHUNK = 1 << 18
#: Octets we let wait for a peer that does not read before dropping its session.
MAX_WRITE_BUFFER = 64 << 20
CONNECT_TIMEOUT = 5.0

_UPDATE_EVENT = F.Event(F.EventKind.UpdateMsg)
_KEEPALIVE_EVENT = F.Event(F.EventKind.KeepAliveMsg)
_TIMER_EVENTS = {
    F.Timer.CONNECT_RETRY: F.EventKind.ConnectRetryTimer_Expires,
    F.Timer.HOLD: F.EventKind.HoldTimer_Expires,
    F.Timer.KEEPALIVE: F.EventKind.KeepaliveTimer_Expires,
    F.Timer.IDLE_HOLD: F.EventKind.IdleHoldTimer_Expires,
}

#: BIRD's wording for NOTIFICATION codes (proto/bgp/packets.c ``bgp_msg_table``).
_BIRD_ERRORS = {
    (1, 0): "Invalid message header", (1, 1): "Connection not synchronized", (1, 2): "Bad message length",
    (1, 3): "Bad message type", (2, 0): "Invalid OPEN message", (2, 1): "Unsupported version number",
    (2, 2): "Bad peer AS", (2, 3): "Bad BGP identifier", (2, 4): "Unsupported optional parameter",
    (2, 5): "Authentication failure", (2, 6): "Unacceptable hold time", (2, 7): "Required capability missing",
    (3, 0): "Invalid UPDATE message", (3, 1): "Malformed attribute list",
    (3, 2): "Unrecognized well-known attribute", (3, 3): "Missing mandatory attribute",
    (3, 4): "Invalid attribute flags", (3, 5): "Invalid attribute length", (3, 6): "Invalid ORIGIN attribute",
    (3, 7): "AS routing loop", (3, 8): "Invalid NEXT_HOP attribute", (3, 9): "Optional attribute error",
    (3, 10): "Invalid network field", (3, 11): "Malformed AS_PATH", (4, 0): "Hold timer expired",
    (5, 0): "Finite state machine error", (5, 1): "Unexpected message in OpenSent state",
    (5, 2): "Unexpected message in OpenConfirm state", (5, 3): "Unexpected message in Established state",
    (6, 0): "Cease", (6, 1): "Maximum number of prefixes reached", (6, 2): "Administrative shutdown",
    (6, 3): "Peer de-configured", (6, 4): "Administrative reset", (6, 5): "Connection rejected",
    (6, 6): "Other configuration change", (6, 7): "Connection collision resolution", (6, 8): "Out of Resources",
    (7, 0): "Invalid ROUTE-REFRESH message", (7, 1): "Invalid ROUTE-REFRESH message length",
}


def error_text(code: int, subcode: int) -> str:
    """BIRD's description of a NOTIFICATION (code, subcode)."""
    return _BIRD_ERRORS.get((code, subcode)) or _BIRD_ERRORS.get((code, 0)) or f"Error {code}/{subcode}"


class SessionHost(Protocol):
    """What a session needs from its owner (the speaker)."""

    def local_open(self, session: "Session") -> Open:
        """Our OPEN for this session."""

    def check_open(self, session: "Session", received: Open) -> Negotiated:
        """Validate the peer's OPEN (raise OpenMessageError) and return the negotiated context."""

    def collision_loser(self, session: "Session") -> bool:
        """Called on BGPOpen: True if this connection loses a collision (RFC 4271 §6.8)."""

    def extra_connection(self, session: "Session", reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter) -> None:
        """Our connect attempt completed while the session already uses an incoming connection."""

    def established(self, session: "Session") -> None:
        """The session reached Established."""

    def update_received(self, session: "Session", update: Update) -> None:
        """Apply one UPDATE (called in Established only)."""

    def refresh_requested(self, session: "Session", request: RouteRefresh) -> None:
        """The peer asked for our routes of one family again."""

    def session_down(self, session: "Session", retain_routes: bool) -> None:
        """The session left a state where it had routes (or never got there)."""

    def connection_lost(self, session: "Session") -> None:
        """The connection closed in OpenSent without a NOTIFICATION: the FSM waits in Active."""

    def spawn(self, coro: Coroutine, name: str) -> asyncio.Task:
        """Run a task owned by the host's TaskGroup."""


class _Connection:
    """One TCP connection of a session."""

    __slots__ = ("reader", "writer", "outgoing", "task")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, outgoing: bool):
        self.reader = reader
        self.writer = writer
        self.outgoing = outgoing
        self.task: asyncio.Task | None = None


class Session:
    """One FSM instance for a configured peer (plus, during a collision, a second one)."""

    def __init__(self, peer: PeerConfig, host: SessionHost, *, local_address: str | None = None,
                 max_write_buffer: int = MAX_WRITE_BUFFER):
        self.peer = peer
        self.max_write_buffer = max_write_buffer
        self._overflowing = False
        self.host = host
        self.local_address = local_address
        self.fsm = F.Fsm(config=F.FsmConfig(hold_time=peer.hold_time, connect_retry_time=peer.connect_retry_time,
                                            idle_hold_time=peer.error_wait_time,
                                            keepalive_time=peer.keepalive_time, passive=peer.passive))
        self.since = time.time()
        self.last_error = ""
        self.negotiated: Negotiated | None = None
        self.remote_open: Open | None = None
        self.was_established = False
        self._conn: _Connection | None = None
        self._connect_task: asyncio.Task | None = None
        self._timers: dict[F.Timer, asyncio.TimerHandle] = {}
        self._retired = False
        self._pending_update: Update | None = None
        self._memo_fsm: F.Fsm | None = None
        self._memo: dict[int, tuple[F.Fsm, tuple[F.Action, ...]]] = {}
        self._hold_deadline = 0.0
        self._closing: set[asyncio.StreamWriter] = set()

    # -- public surface ------------------------------------------------------------------------

    @property
    def state(self) -> F.State:
        """Current FSM state."""
        return self.fsm.state

    @property
    def outgoing(self) -> bool:
        """True when the current connection was initiated by us."""
        return self._conn is not None and self._conn.outgoing

    @property
    def local_ip(self) -> str | None:
        """Our address on the current connection."""
        if self._conn is None:
            return None
        sockname = self._conn.writer.get_extra_info("sockname")
        if not sockname:
            return None
        text = sockname[0].split("%")[0]
        return text[7:] if text.startswith("::ffff:") else text

    def start(self) -> None:
        """ManualStart (or its passive variant for passive peers)."""
        kind = (F.EventKind.ManualStart_with_PassiveTcpEstablishment if self.peer.passive
                else F.EventKind.ManualStart)
        self.post(F.Event(kind))

    def stop(self, subcode: int = CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, *, notify: bool = True) -> None:
        """ManualStop with a Cease of ``subcode`` if a BGP connection is open, then retire. With
        ``notify`` False the connection just closes (graceful stop: a GR peer keeps our routes)."""
        if self._conn is not None:
            self._closing.add(self._conn.writer)
        if self.state in (F.State.OPENSENT, F.State.OPENCONFIRM, F.State.ESTABLISHED):
            if notify:
                note = Notification.cease(subcode)
                self._send(note.encode())
                self._teardown_notice(note)
            self._apply_all(F.Event(F.EventKind.ManualStop), skip_notification=True)
        else:
            self.post(F.Event(F.EventKind.ManualStop))
        self.retire()

    def retire(self) -> None:
        """Stop all timers and tasks for good (the session object is being discarded)."""
        self._retired = True
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        if self._connect_task is not None and self._connect_task is not asyncio.current_task():
            self._connect_task.cancel()
        self._drop()

    def adopt(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, outgoing: bool) -> None:
        """Take a connection the speaker assigned to this session (Tcp_CR_Acked / TcpConnectionConfirmed).

        A connect attempt still in flight is left alone: if it completes, the host gets the
        second connection for collision detection (``SessionHost.extra_connection``).
        """
        self._attach(reader, writer, outgoing=outgoing)
        kind = F.EventKind.Tcp_CR_Acked if outgoing else F.EventKind.TcpConnectionConfirmed
        self.post(F.Event(kind))

    def send(self, data: bytes) -> None:
        """Queue encoded messages on the connection (Established only).

        The queue is bounded: a peer that stops reading until ``max_write_buffer`` octets are
        waiting loses the connection (Idle, then a retry after the error wait time).
        """
        conn = self._conn
        if conn is None:
            return
        conn.writer.write(data)
        if conn.writer.transport.get_write_buffer_size() > self.max_write_buffer and not self._overflowing:
            self._overflowing = True
            asyncio.get_running_loop().call_soon(self._overflow, conn)

    @property
    def queued(self) -> int:
        """Octets written to the connection that the peer has not taken yet."""
        conn = self._conn
        return conn.writer.transport.get_write_buffer_size() if conn is not None else 0

    def drop_slow_reader(self) -> None:
        """Drop the session as a peer that does not read (the speaker's global write budget)."""
        if self._conn is not None:
            self._overflow(self._conn)

    def _overflow(self, conn: _Connection) -> None:
        self._overflowing = False
        if self._conn is not conn:
            return
        log.warning("%s: peer is not reading, %d octets queued: dropping the session", self.peer.name,
                    conn.writer.transport.get_write_buffer_size())
        conn.writer.transport.abort()
        self._apply_all(F.Event(F.EventKind.AutomaticStop), skip_notification=True)
        self.last_error = "Error: Send buffer overflow"

    def request_refresh(self, afi: int, safi: int) -> None:
        """Send a ROUTE-REFRESH (if the peer supports it)."""
        if self.state is F.State.ESTABLISHED and self.negotiated and self.negotiated.route_refresh:
            self.send(RouteRefresh(afi, safi).encode())

    # -- FSM driver ----------------------------------------------------------------------------

    def post(self, event: F.Event, update: Update | None = None) -> None:
        """Run one event through the FSM and perform the resulting actions."""
        self._pending_update = update
        self._apply_all(event)
        self._pending_update = None

    def _apply_all(self, event: F.Event, skip_notification: bool = False) -> None:
        fsm = self.fsm
        before = fsm.state
        if fsm is not self._memo_fsm:
            self._memo_fsm, self._memo = fsm, {}
        hit = self._memo.get(id(event))  # step is pure: the same (machine, event) gives the same answer
        if hit is None:
            hit = F.step(fsm, event)
            if event is _UPDATE_EVENT or event is _KEEPALIVE_EVENT:
                self._memo[id(event)] = hit
        self.fsm, actions = hit
        if self.fsm.state is not before:
            if (before is F.State.ESTABLISHED) != (self.fsm.state is F.State.ESTABLISHED):
                self.since = time.time()  # like BIRD's protocol state (up / start), not every FSM step
            log.debug("%s: %s -> %s on %s", self.peer.name, before.label, self.fsm.state.label, event.kind.name)
            if self.fsm.state is F.State.ESTABLISHED:
                self.last_error = ""
        for action in actions:
            if skip_notification and isinstance(action, F.SendNotification):
                continue
            self._execute(action)
        if before is F.State.OPENSENT and self.fsm.state is F.State.ACTIVE:
            self.host.connection_lost(self)

    def _execute(self, action: F.Action) -> None:
        if isinstance(action, F.ProcessUpdate):
            if self._pending_update is not None:
                self.host.update_received(self, self._pending_update)
        elif isinstance(action, F.StartTimer):
            if not self._retired:
                self._start_timer(action.timer, action.seconds)
        elif isinstance(action, F.StopTimer):
            handle = self._timers.pop(action.timer, None)
            if handle is not None:
                handle.cancel()
        elif isinstance(action, F.InitiateConnection):
            if not self._retired:
                self._connect_task = self.host.spawn(self._connect(), f"bgp-connect-{self.peer.name}")
        elif isinstance(action, F.DropConnection):
            if self._connect_task is not None and self._connect_task is not asyncio.current_task():
                self._connect_task.cancel()
            self._connect_task = None
            self._drop()
        elif isinstance(action, F.SendOpen):
            self._send(self.host.local_open(self).encode())
        elif isinstance(action, F.SendKeepalive):
            self._send(KEEPALIVE_BYTES)
        elif isinstance(action, F.SendNotification):
            note = Notification(action.code, action.subcode, action.data)
            self._send(note.encode())
            self._teardown_notice(note)
        elif isinstance(action, F.SessionEstablished):
            self.was_established = True
            self.host.established(self)
        elif isinstance(action, F.ReleaseResources):
            self.host.session_down(self, action.retain_routes)
            self.was_established = False
            self.negotiated = None
            self.remote_open = None

    def _teardown_notice(self, note: Notification) -> None:
        self.last_error = f"BGP Error: {error_text(note.code, note.subcode)}"
        log.info("%s: sent NOTIFICATION %s", self.peer.name, self.last_error)

    def _start_timer(self, timer: F.Timer, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        if timer is F.Timer.HOLD:
            # Restarted on every message: move the deadline, re-arm lazily when the handle fires.
            self._hold_deadline = loop.time() + seconds
            current = self._timers.get(timer)
            if current is not None and current.when() <= self._hold_deadline:
                return
        old = self._timers.pop(timer, None)
        if old is not None:
            old.cancel()
        if timer is not F.Timer.HOLD:
            # RFC 4271 section 10: jitter (x 0.75..1.0) keeps two peers from retrying in lock-step.
            seconds *= random.uniform(0.75, 1.0)
        self._timers[timer] = loop.call_later(seconds, self._timer_fired, timer)

    def _internal_error(self, exc: Exception) -> None:
        """A bug of ours (reader or timer path): AutomaticStop, so the session ends with a Cease and
        no route is kept as stale (a transport failure would look like a peer restart)."""
        log.error("%s: internal error, stopping the session", self.peer.name, exc_info=exc)
        self.post(F.Event(F.EventKind.AutomaticStop))
        self.last_error = f"Error: {exc}"

    def _timer_fired(self, timer: F.Timer) -> None:
        try:
            self._on_timer(timer)
        except Exception as exc:
            self._internal_error(exc)

    def _on_timer(self, timer: F.Timer) -> None:
        self._timers.pop(timer, None)
        if timer is F.Timer.CONNECT_RETRY and self._connect_task is not None:
            self.last_error = "Socket: Connection timed out"
        if timer is F.Timer.HOLD:
            loop = asyncio.get_running_loop()
            remaining = self._hold_deadline - loop.time()
            if remaining > 0:
                self._timers[timer] = loop.call_later(remaining, self._timer_fired, timer)
                return
        self.post(F.Event(_TIMER_EVENTS[timer]))

    # -- connections ---------------------------------------------------------------------------

    def _send(self, data: bytes) -> None:
        if self._conn is not None and not self._conn.writer.is_closing():
            self._conn.writer.write(data)

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        conn.writer.close()
        if conn.task is not None and conn.task is not asyncio.current_task():
            conn.task.cancel()

    async def wait_closed(self, timeout: float = 1.0) -> None:
        """Wait (bounded) until closed connections have flushed their last bytes (a Cease)."""
        writers, self._closing = self._closing, set()
        for writer in writers:
            with contextlib.suppress(ConnectionError, OSError, asyncio.TimeoutError):
                await asyncio.wait_for(writer.wait_closed(), timeout)

    def _attach(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, outgoing: bool) -> None:
        self._drop()
        conn = _Connection(reader, writer, outgoing)
        self._conn = conn
        conn.task = self.host.spawn(self._read_loop(conn), f"bgp-reader-{self.peer.name}")

    async def _connect(self) -> None:
        peer = self.peer
        source = peer.source_address or _same_family(self.local_address, peer)
        try:
            sock = await connect(peer.address, peer.port, source=source,
                                 password=peer.password, ttl_security=peer.ttl_security, timeout=CONNECT_TIMEOUT)
            reader, writer = await asyncio.open_connection(sock=sock, limit=READ_CHUNK)
        except asyncio.CancelledError:
            raise
        except (OSError, asyncio.TimeoutError) as exc:
            if self._connect_task is asyncio.current_task():
                self._connect_task = None
                self.last_error = f"Socket: {_strerror(exc)}"
                self.post(F.Event(F.EventKind.TcpConnectionFails))
            return
        if self._connect_task is not asyncio.current_task() or self._retired:
            writer.close()
            return
        self._connect_task = None
        if self._conn is None and self.state in (F.State.CONNECT, F.State.ACTIVE):
            self.adopt(reader, writer, outgoing=True)
        else:
            self.host.extra_connection(self, reader, writer)

    async def _read_loop(self, conn: _Connection) -> None:
        buffer = b""
        try:
            while self._conn is conn:
                try:
                    chunk = await conn.reader.read(READ_CHUNK)
                    error = "Socket: Connection closed"
                except (ConnectionError, OSError) as exc:
                    chunk = b""
                    error = f"Socket: {_strerror(exc)}"
                if not chunk:
                    if self._conn is conn:
                        self.last_error = error
                        self.post(F.Event(F.EventKind.TcpConnectionFails))
                    return
                buffer = buffer + chunk if buffer else chunk
                try:
                    messages, used = split_messages(buffer)
                except NotificationError as err:
                    self.post(F.Event(F.EventKind.BGPHeaderErr, notification=(err.code, err.subcode, err.data)))
                    return
                buffer = buffer[used:]
                for msg_type, body in messages:
                    if self._conn is not conn:
                        return
                    self._dispatch(msg_type, body)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug must not take the speaker down: reset this session instead
            if self._conn is conn:
                self._internal_error(exc)

    def _dispatch(self, msg_type: MessageType, body: bytes) -> None:
        E = F.EventKind
        neg = self.negotiated or Negotiated()
        if msg_type is MessageType.KEEPALIVE:
            self.post(_KEEPALIVE_EVENT)
            return
        if msg_type is MessageType.NOTIFICATION:
            note = Notification.decode_body(body)
            self.last_error = f"Received: {error_text(note.code, note.subcode)}"
            log.info("%s: received NOTIFICATION %s", self.peer.name, self.last_error)
            kind = E.NotifMsgVerErr if (note.code, note.subcode) == (ErrorCode.OPEN_MESSAGE, 1) else E.NotifMsg
            self.post(F.Event(kind))
            return
        if msg_type is MessageType.OPEN:
            self._on_open(body)
            return
        try:
            msg = decode_body(msg_type, body, neg)
        except NotificationError as err:
            # An UPDATE outside Established is an FSM error whatever its content (UpdateMsg does that);
            # a bad ROUTE-REFRESH is answered with its own NOTIFICATION like a header error.
            if msg_type is MessageType.UPDATE:
                kind = E.UpdateMsgErr if self.state is F.State.ESTABLISHED else E.UpdateMsg
            else:
                kind = E.BGPHeaderErr
            self.post(F.Event(kind, notification=(err.code, err.subcode, err.data)))
            return
        if msg_type is MessageType.UPDATE:
            self.post(_UPDATE_EVENT, msg)
        elif self.state is F.State.ESTABLISHED:
            self.host.refresh_requested(self, msg)

    def _on_open(self, body: bytes) -> None:
        E = F.EventKind
        if self.state is not F.State.OPENSENT:
            self.post(F.Event(E.BGPOpen))
            return
        try:
            received = Open.decode_body(body)
            negotiated = self.host.check_open(self, received)
        except NotificationError as err:
            self.post(F.Event(E.BGPOpenMsgErr, notification=(err.code, err.subcode, err.data)))
            return
        self.remote_open = received
        self.negotiated = negotiated
        if self.host.collision_loser(self):
            self.post(F.Event(E.OpenCollisionDump))
            return
        self.post(F.Event(E.BGPOpen, hold_time=negotiated.hold_time))


def _same_family(local: str | None, peer: PeerConfig) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The listen address as the source of outgoing connections, when it is a specific one of the same family."""
    if local in (None, "::", "0.0.0.0"):
        return None
    ip = ipaddress.ip_address(local)
    return ip if ip.version == peer.address.version else None


def _strerror(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return "Connection timed out"
    if isinstance(exc, OSError) and exc.errno:
        return os.strerror(exc.errno)  # asyncio's own text is "Connect call failed (...)"
    return str(exc) or type(exc).__name__
