"""BGP errors: one exception class per NOTIFICATION error code we send, and a separate
type for a NOTIFICATION we received (which is never answered).

Every ``NotificationError`` carries the exact (code, subcode, data) of RFC 4271 §6 and can build
the NOTIFICATION it stands for. ``ErrorAction`` is the RFC 7606 classification of an UPDATE error:
only ``SESSION_RESET`` errors are raised out of the decoder; the two milder actions are reported on
the decoded UPDATE instead (see ``message.Update.problems``).
"""
from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from .constants import (
    CeaseSubcode,
    ErrorCode,
    FsmSubcode,
    HeaderSubcode,
    OpenSubcode,
    RouteRefreshSubcode,
    UpdateSubcode,
)

if TYPE_CHECKING:
    from .message import Notification

_SUBCODES: dict[int, type] = {
    ErrorCode.MESSAGE_HEADER: HeaderSubcode,
    ErrorCode.OPEN_MESSAGE: OpenSubcode,
    ErrorCode.UPDATE_MESSAGE: UpdateSubcode,
    ErrorCode.FSM: FsmSubcode,
    ErrorCode.CEASE: CeaseSubcode,
    ErrorCode.ROUTE_REFRESH_MESSAGE: RouteRefreshSubcode,
}


def describe(code: int, subcode: int) -> str:
    """Human text for a (code, subcode) pair, e.g. ``UPDATE_MESSAGE/MALFORMED_AS_PATH``."""
    try:
        code_name = ErrorCode(code).name
    except ValueError:
        return f"code {code}/subcode {subcode}"
    enum = _SUBCODES.get(code)
    if enum is None:
        return code_name if subcode == 0 else f"{code_name}/{subcode}"
    try:
        return f"{code_name}/{enum(subcode).name}"
    except ValueError:
        return f"{code_name}/{subcode}"


class BgpError(Exception):
    """Base class of every error raised by node.bgp."""


class ErrorAction(Enum):
    """RFC 7606 §2 approaches, weakest first."""

    ATTRIBUTE_DISCARD = 1
    TREAT_AS_WITHDRAW = 2
    SESSION_RESET = 3


class NotificationError(BgpError):
    """An error that we answer by sending a NOTIFICATION and closing the session."""

    code: ErrorCode

    def __init__(self, subcode: int, data: bytes = b"", reason: str = ""):
        self.subcode = int(subcode)
        self.data = bytes(data)
        self.reason = reason
        text = describe(self.code, self.subcode)
        super().__init__(f"{text}: {reason}" if reason else text)

    def notification(self) -> "Notification":
        """The NOTIFICATION message that reports this error."""
        from .message import Notification

        return Notification(self.code, self.subcode, self.data)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NotificationError):
            return NotImplemented
        return (self.code, self.subcode, self.data) == (other.code, other.subcode, other.data)

    def __hash__(self) -> int:
        return hash((self.code, self.subcode, self.data))


class MessageHeaderError(NotificationError):
    """RFC 4271 §6.1: bad marker, length or type."""

    code = ErrorCode.MESSAGE_HEADER


class OpenMessageError(NotificationError):
    """RFC 4271 §6.2: an unacceptable OPEN."""

    code = ErrorCode.OPEN_MESSAGE


class UpdateMessageError(NotificationError):
    """RFC 4271 §6.3 with the RFC 7606 action: only SESSION_RESET ones are raised."""

    code = ErrorCode.UPDATE_MESSAGE

    def __init__(
        self,
        subcode: int,
        data: bytes = b"",
        reason: str = "",
        action: ErrorAction = ErrorAction.SESSION_RESET,
        attr_type: int | None = None,
    ):
        super().__init__(subcode, data, reason)
        self.action = action
        self.attr_type = attr_type


class HoldTimerExpired(NotificationError):
    """RFC 4271 §6.5."""

    code = ErrorCode.HOLD_TIMER_EXPIRED

    def __init__(self, reason: str = "hold timer expired"):
        super().__init__(0, b"", reason)


class FsmError(NotificationError):
    """RFC 4271 §6.6 / RFC 6608: an unexpected event for the state."""

    code = ErrorCode.FSM


class Cease(NotificationError):
    """RFC 4271 §6.7 / RFC 4486: a deliberate close (shutdown, collision, deconfigured...)."""

    code = ErrorCode.CEASE


class RouteRefreshMessageError(NotificationError):
    """RFC 7313 §5: a ROUTE-REFRESH with a bad length."""

    code = ErrorCode.ROUTE_REFRESH_MESSAGE


class NotificationReceived(BgpError):
    """The peer sent us a NOTIFICATION; the session is closed without answering."""

    def __init__(self, code: int, subcode: int, data: bytes = b""):
        self.code = code
        self.subcode = subcode
        self.data = bytes(data)
        super().__init__(f"received {describe(code, subcode)}{_shutdown_text(code, subcode, data)}")


def _shutdown_text(code: int, subcode: int, data: bytes) -> str:
    """RFC 8203/9003 shutdown communication, when a Cease carries one."""
    if code != ErrorCode.CEASE or subcode not in (CeaseSubcode.ADMINISTRATIVE_SHUTDOWN,
                                                   CeaseSubcode.ADMINISTRATIVE_RESET):
        return ""
    if not data or data[0] == 0 or data[0] > len(data) - 1:
        return ""
    text = bytes(data[1:1 + data[0]]).decode("utf-8", errors="replace")
    return f' "{text}"'
