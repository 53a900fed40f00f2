"""The BGP finite state machine of RFC 4271 section 8, as a pure step function.

``step(fsm, event) -> (fsm', actions)`` never performs I/O: the session layer executes the
returned actions in order (start/stop timers, open/drop the TCP connection, send messages,
release routes) and feeds back events named as in RFC 4271 section 8.1.

Deliberate choices, all permitted by section 8:

* DelayOpen, DampPeerOscillations and CollisionDetectEstablishedState are not offered; the
  matching events fall into each state's "any other event" branch.
* Instead of staying in Idle forever after an error, the machine starts the IdleHoldTimer
  (the ``error wait time`` of BIRD); its expiry acts as AutomaticStart (or its passive variant).
  ManualStop leaves the machine in Idle with no timer running.
* A passive peer (``passive on`` in BIRD) never starts the ConnectRetryTimer and never
  initiates a connection; it waits in Active.
* A hold time of 0 means no HoldTimer and no KeepaliveTimer (section 4.2).
* In Established a header or OPEN error is answered with its own section 6 NOTIFICATION (like
  UpdateMsgErr), not with the FSM Error the section 8 table lists for events 21 and 22.
* ``ReleaseResources(retain_routes=True)`` marks the one case where a graceful-restart helper
  may keep the peer's routes as stale: the transport failed in Established without a
  NOTIFICATION (RFC 4724 section 4.2).
"""
from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass

from .constants import CeaseSubcode, ErrorCode, FsmSubcode

#: RFC 4271 section 8: "HoldTimer is set to a large value. A HoldTimer value of 4 minutes is suggested."
OPEN_SENT_HOLD_TIME = 240



class State(enum.IntEnum):
    """Session states; values are the BGP4-MIB bgpPeerState numbers."""

    IDLE = 1
    CONNECT = 2
    ACTIVE = 3
    OPENSENT = 4
    OPENCONFIRM = 5
    ESTABLISHED = 6

    @property
    def label(self) -> str:
        """The name as BIRD and calicoctl print it (``OpenSent``, ``Established``...)."""
        return _LABELS[self]


_LABELS = {
    State.IDLE: "Idle",
    State.CONNECT: "Connect",
    State.ACTIVE: "Active",
    State.OPENSENT: "OpenSent",
    State.OPENCONFIRM: "OpenConfirm",
    State.ESTABLISHED: "Established",
}


class EventKind(enum.IntEnum):
    """RFC 4271 section 8.1 events, numbered as in the RFC."""

    ManualStart = 1
    ManualStop = 2
    AutomaticStart = 3
    ManualStart_with_PassiveTcpEstablishment = 4
    AutomaticStart_with_PassiveTcpEstablishment = 5
    AutomaticStart_with_DampPeerOscillations = 6
    AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment = 7
    AutomaticStop = 8
    ConnectRetryTimer_Expires = 9
    HoldTimer_Expires = 10
    KeepaliveTimer_Expires = 11
    DelayOpenTimer_Expires = 12
    IdleHoldTimer_Expires = 13
    TcpConnection_Valid = 14
    Tcp_CR_Invalid = 15
    Tcp_CR_Acked = 16
    TcpConnectionConfirmed = 17
    TcpConnectionFails = 18
    BGPOpen = 19
    BGPOpen_with_DelayOpenTimer_running = 20
    BGPHeaderErr = 21
    BGPOpenMsgErr = 22
    OpenCollisionDump = 23
    NotifMsgVerErr = 24
    NotifMsg = 25
    KeepAliveMsg = 26
    UpdateMsg = 27
    UpdateMsgErr = 28


_STARTS = {EventKind.ManualStart, EventKind.AutomaticStart,
           EventKind.AutomaticStart_with_DampPeerOscillations}
_PASSIVE_STARTS = {EventKind.ManualStart_with_PassiveTcpEstablishment,
                   EventKind.AutomaticStart_with_PassiveTcpEstablishment,
                   EventKind.AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment}
_ALL_STARTS = _STARTS | _PASSIVE_STARTS
_TCP_UP = {EventKind.Tcp_CR_Acked, EventKind.TcpConnectionConfirmed}
_MSG_ERRORS = {EventKind.BGPHeaderErr, EventKind.BGPOpenMsgErr}
_IGNORED_TCP = {EventKind.TcpConnection_Valid, EventKind.Tcp_CR_Invalid}


class Timer(enum.Enum):
    """The timers an FSM instance owns."""

    CONNECT_RETRY = "ConnectRetryTimer"
    HOLD = "HoldTimer"
    KEEPALIVE = "KeepaliveTimer"
    IDLE_HOLD = "IdleHoldTimer"


@dataclass(frozen=True)
class Event:
    """An input to the FSM.

    ``hold_time`` is the negotiated hold time carried by BGPOpen; ``notification`` is the
    (code, subcode, data) to send for BGPHeaderErr, BGPOpenMsgErr and UpdateMsgErr.
    """

    kind: EventKind
    hold_time: int | None = None
    notification: tuple[int, int, bytes] | None = None


@dataclass(frozen=True)
class StartTimer:
    """(Re)start a timer; when it fires the session posts the matching ``*_Expires`` event."""

    timer: Timer
    seconds: float


@dataclass(frozen=True)
class StopTimer:
    """Cancel a timer if it runs."""

    timer: Timer


@dataclass(frozen=True)
class InitiateConnection:
    """Open a TCP connection to the peer (the listener keeps running)."""


@dataclass(frozen=True)
class DropConnection:
    """Close the TCP connection of this FSM instance."""


@dataclass(frozen=True)
class SendOpen:
    """Send our OPEN message."""


@dataclass(frozen=True)
class SendKeepalive:
    """Send a KEEPALIVE message."""


@dataclass(frozen=True)
class SendNotification:
    """Send a NOTIFICATION (before the connection is dropped)."""

    code: int
    subcode: int
    data: bytes = b""


@dataclass(frozen=True)
class ProcessUpdate:
    """Apply the UPDATE that raised the event to the Adj-RIB-In."""


@dataclass(frozen=True)
class SessionEstablished:
    """The session reached Established: send the initial routes."""


@dataclass(frozen=True)
class ReleaseResources:
    """Forget the peer's routes; ``retain_routes`` permits a GR helper to keep them as stale."""

    retain_routes: bool = False


Action = (StartTimer | StopTimer | InitiateConnection | DropConnection | SendOpen | SendKeepalive
          | SendNotification | ProcessUpdate | SessionEstablished | ReleaseResources)


@dataclass(frozen=True)
class FsmConfig:
    """Per-peer FSM settings (seconds)."""

    hold_time: int = 90
    connect_retry_time: int = 120
    idle_hold_time: int = 5
    keepalive_time: int | None = None
    passive: bool = False

    def __post_init__(self) -> None:
        if self.hold_time != 0 and not 3 <= self.hold_time <= 65535:
            raise ValueError(f"hold time must be 0 or 3..65535, not {self.hold_time}")
        if self.connect_retry_time <= 0 or self.idle_hold_time <= 0:
            raise ValueError("connect retry and idle hold times must be positive")


@dataclass(frozen=True)
class Fsm:
    """The complete FSM state: current state, session attributes and configuration."""

    config: FsmConfig = FsmConfig()
    state: State = State.IDLE
    connect_retry_counter: int = 0
    negotiated_hold_time: int = 0

    @property
    def keepalive_time(self) -> float:
        """The KeepaliveTimer interval for the negotiated hold time (one third unless configured)."""
        if self.config.keepalive_time is not None:
            return min(self.config.keepalive_time, self.negotiated_hold_time / 3)
        return self.negotiated_hold_time / 3


def step(fsm: Fsm, event: Event) -> tuple[Fsm, tuple[Action, ...]]:
    """Apply one event to the machine and return the new machine and the actions to perform."""
    handler = _HANDLERS[fsm.state]
    return handler(fsm, event)


def _to(fsm: Fsm, state: State, **changes: int) -> Fsm:
    return dataclasses.replace(fsm, state=state, **changes)


def _start(fsm: Fsm, passive: bool) -> tuple[Fsm, tuple[Action, ...]]:
    """Idle + a start event: ConnectRetryCounter = 0, then connect (Connect) or listen (Active)."""
    stop_idle = StopTimer(Timer.IDLE_HOLD)
    if fsm.config.passive:
        return _to(fsm, State.ACTIVE, connect_retry_counter=0), (stop_idle,)
    if passive:
        return _to(fsm, State.ACTIVE, connect_retry_counter=0), (
            stop_idle, StartTimer(Timer.CONNECT_RETRY, fsm.config.connect_retry_time))
    return _to(fsm, State.CONNECT, connect_retry_counter=0), (
        stop_idle,
        StartTimer(Timer.CONNECT_RETRY, fsm.config.connect_retry_time),
        InitiateConnection(),
    )


def _to_idle(fsm: Fsm, *first: Action, manual: bool = False,
             retain_routes: bool = False) -> tuple[Fsm, tuple[Action, ...]]:
    """The common exit to Idle: optional NOTIFICATION, release, drop, counter update, timers."""
    counter = 0 if manual else fsm.connect_retry_counter + 1
    actions: tuple[Action, ...] = (
        *first,
        StopTimer(Timer.CONNECT_RETRY),
        StopTimer(Timer.HOLD),
        StopTimer(Timer.KEEPALIVE),
        ReleaseResources(retain_routes=retain_routes),
        DropConnection(),
    )
    if not manual:
        actions += (StartTimer(Timer.IDLE_HOLD, fsm.config.idle_hold_time),)
    return _to(fsm, State.IDLE, connect_retry_counter=counter, negotiated_hold_time=0), actions


def _cease(subcode: int) -> SendNotification:
    return SendNotification(ErrorCode.CEASE, subcode)


def _error_notification(event: Event) -> tuple[Action, ...]:
    if event.notification is None:
        return ()
    code, subcode, data = event.notification
    return (SendNotification(code, subcode, data),)


def _open_sent(fsm: Fsm) -> tuple[Fsm, tuple[Action, ...]]:
    return _to(fsm, State.OPENSENT), (
        StopTimer(Timer.CONNECT_RETRY),
        SendOpen(),
        StartTimer(Timer.HOLD, OPEN_SENT_HOLD_TIME),
    )


def _idle(fsm: Fsm, event: Event) -> tuple[Fsm, tuple[Action, ...]]:
    kind = event.kind
    if kind in _STARTS:
        return _start(fsm, passive=False)
    if kind in _PASSIVE_STARTS:
        return _start(fsm, passive=True)
    if kind is EventKind.IdleHoldTimer_Expires:
        return _start(fsm, passive=False)
    if kind is EventKind.ManualStop:
        return _to(fsm, State.IDLE, connect_retry_counter=0), (StopTimer(Timer.IDLE_HOLD),)
    if kind in _TCP_UP:
        return fsm, (DropConnection(),)
    return fsm, ()


def _connect(fsm: Fsm, event: Event) -> tuple[Fsm, tuple[Action, ...]]:
    kind = event.kind
    if kind in _ALL_STARTS or kind in _IGNORED_TCP:
        return fsm, ()
    if kind is EventKind.ManualStop:
        return _to_idle(fsm, manual=True)
    if kind is EventKind.ConnectRetryTimer_Expires:
        return fsm, (DropConnection(), StartTimer(Timer.CONNECT_RETRY, fsm.config.connect_retry_time),
                     InitiateConnection())
    if kind in _TCP_UP:
        return _open_sent(fsm)
    # TcpConnectionFails (section 8.2.2, no DelayOpenTimer) and every other event: back to Idle,
    # from where the IdleHoldTimer restarts the machine.
    return _to_idle(fsm)


def _active(fsm: Fsm, event: Event) -> tuple[Fsm, tuple[Action, ...]]:
    kind = event.kind
    if kind in _ALL_STARTS or kind in _IGNORED_TCP:
        return fsm, ()
    if kind is EventKind.ManualStop:
        return _to_idle(fsm, manual=True)
    if kind is EventKind.ConnectRetryTimer_Expires:
        if fsm.config.passive:
            return fsm, ()
        return _to(fsm, State.CONNECT), (StartTimer(Timer.CONNECT_RETRY, fsm.config.connect_retry_time),
                                         InitiateConnection())
    if kind in _TCP_UP:
        return _open_sent(fsm)
    return _to_idle(fsm)


def _open_stage_common(fsm: Fsm, kind: EventKind) -> tuple[Fsm, tuple[Action, ...]]:
    """Events OpenSent, OpenConfirm and Established handle alike (RFC 4271 section 8.2.2): starts and
    further TCP events are ignored, a stop sends Cease, hold expiry its own NOTIFICATION."""
    if kind is EventKind.ManualStop:
        return _to_idle(fsm, _cease(CeaseSubcode.ADMINISTRATIVE_SHUTDOWN), manual=True)
    if kind is EventKind.AutomaticStop:
        return _to_idle(fsm, _cease(CeaseSubcode.ADMINISTRATIVE_SHUTDOWN))
    if kind is EventKind.HoldTimer_Expires:
        return _to_idle(fsm, SendNotification(ErrorCode.HOLD_TIMER_EXPIRED, 0))
    return fsm, ()


_OPEN_STAGE_COMMON = _ALL_STARTS | _IGNORED_TCP | _TCP_UP | {
    EventKind.ManualStop, EventKind.AutomaticStop, EventKind.HoldTimer_Expires}


def _opensent(fsm: Fsm, event: Event) -> tuple[Fsm, tuple[Action, ...]]:
    kind = event.kind
    if kind in _OPEN_STAGE_COMMON:
        return _open_stage_common(fsm, kind)
    if kind is EventKind.TcpConnectionFails:
        actions: tuple[Action, ...] = (DropConnection(), StopTimer(Timer.HOLD))
        if not fsm.config.passive:
            actions += (StartTimer(Timer.CONNECT_RETRY, fsm.config.connect_retry_time),)
        return _to(fsm, State.ACTIVE), actions
    if kind is EventKind.BGPOpen:
        hold = event.hold_time if event.hold_time is not None else fsm.config.hold_time
        new = _to(fsm, State.OPENCONFIRM, negotiated_hold_time=hold)
        actions = (StopTimer(Timer.CONNECT_RETRY), SendKeepalive())
        if hold == 0:
            return new, actions + (StopTimer(Timer.HOLD),)
        return new, actions + (StartTimer(Timer.KEEPALIVE, new.keepalive_time), StartTimer(Timer.HOLD, hold))
    if kind in _MSG_ERRORS:
        return _to_idle(fsm, *_error_notification(event))
    if kind is EventKind.OpenCollisionDump:
        return _to_idle(fsm, _cease(CeaseSubcode.CONNECTION_COLLISION_RESOLUTION))
    if kind is EventKind.NotifMsgVerErr:
        return _to_idle(fsm)
    return _to_idle(fsm, SendNotification(ErrorCode.FSM, FsmSubcode.UNEXPECTED_IN_OPENSENT))


def _openconfirm(fsm: Fsm, event: Event) -> tuple[Fsm, tuple[Action, ...]]:
    kind = event.kind
    if kind in _OPEN_STAGE_COMMON:
        return _open_stage_common(fsm, kind)
    if kind is EventKind.KeepaliveTimer_Expires:
        return fsm, (SendKeepalive(), StartTimer(Timer.KEEPALIVE, fsm.keepalive_time))
    if kind in (EventKind.TcpConnectionFails, EventKind.NotifMsg, EventKind.NotifMsgVerErr):
        return _to_idle(fsm)
    if kind in _MSG_ERRORS:
        return _to_idle(fsm, *_error_notification(event))
    if kind is EventKind.OpenCollisionDump:
        return _to_idle(fsm, _cease(CeaseSubcode.CONNECTION_COLLISION_RESOLUTION))
    if kind is EventKind.KeepAliveMsg:
        actions: tuple[Action, ...] = ()
        if fsm.negotiated_hold_time:
            actions = (StartTimer(Timer.HOLD, fsm.negotiated_hold_time),)
        return _to(fsm, State.ESTABLISHED), actions + (SessionEstablished(),)
    return _to_idle(fsm, SendNotification(ErrorCode.FSM, FsmSubcode.UNEXPECTED_IN_OPENCONFIRM))


def _established(fsm: Fsm, event: Event) -> tuple[Fsm, tuple[Action, ...]]:
    kind = event.kind
    if kind in _OPEN_STAGE_COMMON:
        return _open_stage_common(fsm, kind)
    if kind is EventKind.KeepaliveTimer_Expires:
        if not fsm.negotiated_hold_time:
            return fsm, ()
        return fsm, (SendKeepalive(), StartTimer(Timer.KEEPALIVE, fsm.keepalive_time))
    if kind is EventKind.TcpConnectionFails:
        return _to_idle(fsm, retain_routes=True)
    if kind in (EventKind.NotifMsg, EventKind.NotifMsgVerErr):
        return _to_idle(fsm)
    if kind in (EventKind.KeepAliveMsg, EventKind.UpdateMsg):
        actions: tuple[Action, ...] = ()
        if fsm.negotiated_hold_time:
            actions = (StartTimer(Timer.HOLD, fsm.negotiated_hold_time),)
        if kind is EventKind.UpdateMsg:
            actions = (ProcessUpdate(),) + actions
        return fsm, actions
    if kind is EventKind.UpdateMsgErr or kind in _MSG_ERRORS:
        # Section 6 errors are reported with their own NOTIFICATION, not as an FSM error.
        return _to_idle(fsm, *_error_notification(event))
    return _to_idle(fsm, SendNotification(ErrorCode.FSM, FsmSubcode.UNEXPECTED_IN_ESTABLISHED))


_HANDLERS = {
    State.IDLE: _idle,
    State.CONNECT: _connect,
    State.ACTIVE: _active,
    State.OPENSENT: _opensent,
    State.OPENCONFIRM: _openconfirm,
    State.ESTABLISHED: _established,
}


def collision_winner(local_id: int, remote_id: int) -> str:
    """RFC 4271 section 6.8: which connection survives a collision, ``"local"`` or ``"remote"``.

    If our BGP Identifier is lower, the connection we initiated is closed (the remote-initiated one
    wins); otherwise the remote-initiated one is closed.
    """
    return "remote" if local_id < remote_id else "local"
