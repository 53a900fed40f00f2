"""RFC 4271 section 8 FSM: the full state x event transition table and the actions that matter."""
import dataclasses

import pytest
from hypothesis import given, strategies as st

from node.bgp.fsm import (
    OPEN_SENT_HOLD_TIME, DropConnection, Event, EventKind as E,
    Fsm, FsmConfig, InitiateConnection, ProcessUpdate, ReleaseResources, SendKeepalive, SendNotification,
    SendOpen, SessionEstablished, StartTimer, State as S, StopTimer, Timer, collision_winner,
    step,
)

I, C, A, OS, OC, EST = S.IDLE, S.CONNECT, S.ACTIVE, S.OPENSENT, S.OPENCONFIRM, S.ESTABLISHED

STARTS = [E.ManualStart, E.AutomaticStart, E.AutomaticStart_with_DampPeerOscillations]
PASSIVE_STARTS = [E.ManualStart_with_PassiveTcpEstablishment, E.AutomaticStart_with_PassiveTcpEstablishment,
                  E.AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment]

# Next state for an active (non-passive) peer, for every state and every one of the 28 events.
# Columns follow RFC 4271 section 8.2.2, per state; anything not listed for a state goes to Idle
# except in Idle itself, where unlisted events are ignored.
TABLE = {
    I: {**{e: C for e in STARTS}, **{e: A for e in PASSIVE_STARTS}, E.IdleHoldTimer_Expires: C},
    C: {**{e: C for e in STARTS + PASSIVE_STARTS}, E.ConnectRetryTimer_Expires: C,
        E.TcpConnection_Valid: C, E.Tcp_CR_Invalid: C, E.Tcp_CR_Acked: OS, E.TcpConnectionConfirmed: OS},
    A: {**{e: A for e in STARTS + PASSIVE_STARTS}, E.ConnectRetryTimer_Expires: C,
        E.TcpConnection_Valid: A, E.Tcp_CR_Invalid: A, E.Tcp_CR_Acked: OS, E.TcpConnectionConfirmed: OS},
    OS: {**{e: OS for e in STARTS + PASSIVE_STARTS}, E.TcpConnection_Valid: OS, E.Tcp_CR_Invalid: OS,
         E.Tcp_CR_Acked: OS, E.TcpConnectionConfirmed: OS, E.TcpConnectionFails: A, E.BGPOpen: OC},
    OC: {**{e: OC for e in STARTS + PASSIVE_STARTS}, E.TcpConnection_Valid: OC, E.Tcp_CR_Invalid: OC,
         E.Tcp_CR_Acked: OC, E.TcpConnectionConfirmed: OC, E.KeepaliveTimer_Expires: OC, E.KeepAliveMsg: EST},
    EST: {**{e: EST for e in STARTS + PASSIVE_STARTS}, E.TcpConnection_Valid: EST, E.Tcp_CR_Invalid: EST,
          E.Tcp_CR_Acked: EST, E.TcpConnectionConfirmed: EST, E.KeepaliveTimer_Expires: EST,
          E.KeepAliveMsg: EST, E.UpdateMsg: EST},
}


def at(state, **kw):
    return Fsm(config=FsmConfig(hold_time=90, connect_retry_time=5), state=state, negotiated_hold_time=kw.pop("hold", 90), **kw)


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize("kind", list(E))
def test_transition_table(state, kind):
    fsm, actions = step(at(state), Event(kind, hold_time=30 if kind is E.BGPOpen else None))
    assert fsm.state is TABLE[state].get(kind, I)
    if fsm.state is I and state is not I:
        # every exit to Idle releases resources and drops the connection
        assert any(isinstance(a, ReleaseResources) for a in actions)
        assert any(isinstance(a, DropConnection) for a in actions)


def test_start_connects_and_arms_connect_retry():
    fsm, actions = step(Fsm(config=FsmConfig(connect_retry_time=5)), Event(E.ManualStart))
    assert fsm.state is C and fsm.connect_retry_counter == 0
    assert actions == (StopTimer(Timer.IDLE_HOLD), StartTimer(Timer.CONNECT_RETRY, 5), InitiateConnection())


def test_passive_peer_never_connects():
    cfg = FsmConfig(passive=True)
    fsm, actions = step(Fsm(config=cfg), Event(E.ManualStart))
    assert fsm.state is A
    assert not any(isinstance(a, (InitiateConnection, StartTimer)) for a in actions)
    fsm2, actions2 = step(fsm, Event(E.ConnectRetryTimer_Expires))
    assert fsm2.state is A and actions2 == ()


def test_passive_start_event_on_active_peer_arms_retry():
    fsm, actions = step(Fsm(config=FsmConfig(connect_retry_time=7)), Event(E.ManualStart_with_PassiveTcpEstablishment))
    assert fsm.state is A
    assert StartTimer(Timer.CONNECT_RETRY, 7) in actions and InitiateConnection() not in actions


def test_tcp_up_sends_open_with_large_hold_timer():
    fsm, actions = step(at(C), Event(E.TcpConnectionConfirmed))
    assert fsm.state is OS
    assert actions == (StopTimer(Timer.CONNECT_RETRY), SendOpen(), StartTimer(Timer.HOLD, OPEN_SENT_HOLD_TIME))


def test_open_negotiates_hold_and_keepalive():
    fsm, actions = step(at(OS), Event(E.BGPOpen, hold_time=30))
    assert fsm.state is OC and fsm.negotiated_hold_time == 30
    assert actions == (StopTimer(Timer.CONNECT_RETRY), SendKeepalive(), StartTimer(Timer.KEEPALIVE, 10),
                       StartTimer(Timer.HOLD, 30))


def test_zero_hold_time_means_no_timers():
    fsm, actions = step(at(OS), Event(E.BGPOpen, hold_time=0))
    assert fsm.state is OC
    assert not any(isinstance(a, StartTimer) for a in actions)
    fsm, actions = step(fsm, Event(E.KeepAliveMsg))
    assert fsm.state is EST and actions == (SessionEstablished(),)
    assert step(fsm, Event(E.KeepaliveTimer_Expires)) == (fsm, ())
    assert step(fsm, Event(E.UpdateMsg)) == (fsm, (ProcessUpdate(),))


def test_keepalive_established():
    fsm, actions = step(at(OC, hold=90), Event(E.KeepAliveMsg))
    assert fsm.state is EST
    assert actions == (StartTimer(Timer.HOLD, 90), SessionEstablished())
    assert step(fsm, Event(E.KeepaliveTimer_Expires))[1] == (SendKeepalive(), StartTimer(Timer.KEEPALIVE, 30))
    assert step(fsm, Event(E.UpdateMsg))[1] == (ProcessUpdate(), StartTimer(Timer.HOLD, 90))


def test_configured_keepalive_is_capped_by_hold():
    fsm = Fsm(config=FsmConfig(keepalive_time=20), negotiated_hold_time=30)
    assert fsm.keepalive_time == 10
    assert dataclasses.replace(fsm, negotiated_hold_time=90).keepalive_time == 20


@pytest.mark.parametrize("state", [OS, OC, EST])
def test_hold_timer_expiry_notifies(state):
    fsm, actions = step(at(state, connect_retry_counter=2), Event(E.HoldTimer_Expires))
    assert fsm.state is I and fsm.connect_retry_counter == 3
    assert actions[0] == SendNotification(4, 0)
    assert actions.index(SendNotification(4, 0)) < actions.index(DropConnection())
    assert StartTimer(Timer.IDLE_HOLD, 5) in actions


@pytest.mark.parametrize("state", [OS, OC, EST])
def test_manual_stop_sends_cease_and_resets_counter(state):
    fsm, actions = step(at(state, connect_retry_counter=4), Event(E.ManualStop))
    assert fsm.state is I and fsm.connect_retry_counter == 0
    assert actions[0] == SendNotification(6, 2)
    assert not any(isinstance(a, StartTimer) for a in actions)


@pytest.mark.parametrize("state,subcode", [(OS, 1), (OC, 2), (EST, 3)])
def test_unexpected_message_is_fsm_error(state, subcode):
    kind = E.UpdateMsg if state is not EST else E.BGPOpen
    fsm, actions = step(at(state), Event(kind))
    assert fsm.state is I and actions[0] == SendNotification(5, subcode)


@pytest.mark.parametrize("state,kind", [(OS, E.BGPHeaderErr), (OS, E.BGPOpenMsgErr), (OC, E.BGPHeaderErr),
                                        (EST, E.UpdateMsgErr), (EST, E.BGPHeaderErr)])
def test_message_errors_send_their_notification(state, kind):
    fsm, actions = step(at(state), Event(kind, notification=(3, 5, b"\x40\x01")))
    assert fsm.state is I and actions[0] == SendNotification(3, 5, b"\x40\x01")


@pytest.mark.parametrize("state", [OS, OC])
def test_collision_dump_sends_cease_collision(state):
    fsm, actions = step(at(state), Event(E.OpenCollisionDump))
    assert fsm.state is I and actions[0] == SendNotification(6, 7)


def test_received_notification_is_never_answered():
    for state in (OC, EST):
        _, actions = step(at(state), Event(E.NotifMsg))
        assert not any(isinstance(a, SendNotification) for a in actions)


def test_gr_helper_may_retain_only_on_transport_failure_in_established():
    _, actions = step(at(EST), Event(E.TcpConnectionFails))
    assert ReleaseResources(retain_routes=True) in actions
    _, actions = step(at(EST), Event(E.NotifMsg))
    assert ReleaseResources(retain_routes=False) in actions


def test_opensent_tcp_failure_goes_active_and_rearms_retry():
    fsm, actions = step(at(OS), Event(E.TcpConnectionFails))
    assert fsm.state is A
    assert StartTimer(Timer.CONNECT_RETRY, 5) in actions and DropConnection() in actions


def test_idle_hold_restarts_passive_peer_passively():
    fsm = Fsm(config=FsmConfig(passive=True))
    assert step(fsm, Event(E.IdleHoldTimer_Expires))[0].state is A


def test_connect_retry_in_connect_reconnects():
    fsm, actions = step(at(C), Event(E.ConnectRetryTimer_Expires))
    assert fsm.state is C
    assert actions == (DropConnection(), StartTimer(Timer.CONNECT_RETRY, 5), InitiateConnection())


def test_collision_winner():
    assert collision_winner(0x01010101, 0x02020202) == "remote"
    assert collision_winner(0x02020202, 0x01010101) == "local"


def test_config_validation():
    with pytest.raises(ValueError):
        FsmConfig(hold_time=2)
    with pytest.raises(ValueError):
        FsmConfig(connect_retry_time=0)


@given(st.lists(st.sampled_from(list(E)), max_size=60), st.booleans())
def test_random_event_sequences_keep_invariants(kinds, passive):
    fsm = Fsm(config=FsmConfig(passive=passive, connect_retry_time=5))
    for kind in kinds:
        fsm, actions = step(fsm, Event(kind, hold_time=9 if kind is E.BGPOpen else None))
        assert fsm.connect_retry_counter >= 0
        if passive:
            assert InitiateConnection() not in actions
        if fsm.state is I:
            assert fsm.negotiated_hold_time == 0
