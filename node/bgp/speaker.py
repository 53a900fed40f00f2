"""The BGP speaker: listener, peers, RIB, route-change events and status.

``async with Speaker(config) as speaker`` starts it (its TaskGroup owns every session task);
``await speaker.apply(config)`` reconciles listen address, router id, AS, cluster id, the peer set
and the originated prefixes; leaving the block sends a Cease to every peer.

Shutdown keeps forwarding state, like BIRD's kernel protocol with ``persist`` in Calico's
configuration: no route change is published while stopping, so a route programmer leaves the
kernel routes in place for the next instance (which runs with ``restarting=True`` and sets the GR
forwarding-state bit truthfully). ``shutdown(graceful=True)`` (BIRD 2's ``graceful restart``
command) closes the sessions without a NOTIFICATION, so GR peers keep our routes as stale until we
are back; the plain shutdown sends Cease "Administrative shutdown" and peers drop our routes.

* Peers are keyed by address and port (``PeerConfig.key``). A changed peer is restarted with Cease "Other configuration
  change", a removed one gets Cease "Peer de-configured"; a change of router id, AS or cluster id
  restarts every session.
* Incoming connections are matched to a peer by source address. Connection collisions (RFC 4271
  §6.8) are resolved between the peer's main session and one candidate session by BGP identifier;
  a connection arriving while Established is refused with Cease "Connection collision resolution",
  unless the peer negotiated graceful restart and the new connection's OPEN carries the Restart
  State bit: then it is the peer's restart (as in BIRD and FRR), the old session ends without a
  NOTIFICATION, its routes stay as stale, the new one takes over. Without the bit it is a collision.
* Graceful restart (RFC 4724): as helper, a peer that advertised GR and whose transport fails while
  Established keeps its routes as stale until its End-of-RIB or its restart time (after it is back:
  End-of-RIB or our ``stale_path_time``); as restarting
  speaker (``restarting=True``) our OPENs carry the R bit and forwarding-preserved flags until the
  session with that peer is Established again, and we defer advertising (RFC 4724 §4.1) until every
  configured peer sent its End-of-RIB or our restart time ran out; Loc-RIB changes are withheld
  from route programmers until then too (one final change per prefix). End-of-RIB always follows
  the initial table.
* Route refresh (RFC 2918) and enhanced route refresh (RFC 7313): a request is answered with the
  family's table and End-of-RIB, or BoRR/EoRR around it; a peer's own BoRR..EoRR re-advertisement
  withdraws what it did not repeat. BoRR/EoRR are never taken for requests.
* Slow readers: a peer whose unsent output exceeds ``max_write_buffer``, or the peer with the
  longest queue while all queues together exceed ``write_budget``, is dropped ("Error: Send buffer
  overflow") and retried after its error wait time.
* Route changes: ``subscribe(callback)`` gets every ``rib.BestChange``; ``changes()`` is an async
  iterator over a bounded queue that yields ``RESYNC`` (re-read ``loc_rib``) if the consumer falls
  behind instead of growing without bound.

Invariants: only the speaker touches the RIB (sessions report events through ``SessionHost``);
a peer has at most two sessions and only its main session is ever Established; a peer's RIB
registration happens in ``_flush`` (peers that came up in one loop iteration share one table
dump), and UPDATEs that arrive before it are held, never dropped. Review questions: does every path
that withdraws routes also schedule a flush? does every session that leaves a peer get retired?
"""
from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import socket
from dataclasses import dataclass
from typing import AsyncIterator, Callable, Coroutine

from . import fsm as F
from .attributes import AsPath, PathAttributes
from .capabilities import (
    EnhancedRouteRefresh, FourOctetAs, GracefulRestart, GracefulRestartFamily, Multiprotocol, RouteRefresh,
)
from .config import PeerConfig, SpeakerConfig
from .constants import AFI, SAFI, CeaseSubcode, RouteRefreshType
from .control import PeerStatus, SpeakerStatus
from .message import Notification, Open, RouteRefresh as RouteRefreshMessage, Update
from .negotiate import Negotiated, check_open, negotiate
from .nlri import from_network
from .policy import LocalSpeaker, PeerInfo
from .rib import FAMILIES as RIB_FAMILIES, BestChange, Family, Rib
from .session import MAX_WRITE_BUFFER, Session
from .transport import listening_socket, peer_address, set_gtsm, set_md5, set_ttl_255

log = logging.getLogger(__name__)

#: Sentinel yielded by ``Speaker.changes()`` when events were dropped: re-read the Loc-RIB.
RESYNC = "resync"
CHANGE_QUEUE_SIZE = 4096
#: Octets queued towards all peers together before the slowest readers are dropped.
WRITE_BUDGET = 256 << 20


@dataclass
class _Peer:
    """A configured neighbour: its main session, a collision candidate and GR helper state."""

    config: PeerConfig
    main: Session
    candidate: Session | None = None
    restart_timer: asyncio.TimerHandle | None = None

    @property
    def key(self) -> str:
        return self.config.key

    def sessions(self) -> tuple[Session, ...]:
        return (self.main,) if self.candidate is None else (self.main, self.candidate)


class Speaker:
    """A BGP-4 speaker; see the module docstring."""

    def __init__(self, config: SpeakerConfig, *, restarting: bool = False, max_write_buffer: int = MAX_WRITE_BUFFER,
                 write_budget: int = WRITE_BUDGET):
        self.config = config
        self._max_write_buffer = max_write_buffer
        self._write_budget = write_budget
        self._restarting = restarting
        self._restart_pending: set[str] = set()
        self._eor_wanted: dict[str, set[Family]] = {}
        self._deferred: set[str] = set()
        self._deferral_timer: asyncio.TimerHandle | None = None
        self._rib = Rib(_local(config))
        self._peers: dict[str, _Peer] = {}
        self._tg: asyncio.TaskGroup | None = None
        self._server: asyncio.AbstractServer | None = None
        self._listen_sock: socket.socket | None = None
        self._listening: tuple[str | None, int] | None = None
        self._callbacks: list[Callable[[BestChange], None]] = []
        self._queues: list[asyncio.Queue] = []
        self._flush_scheduled = False
        self._originated: dict[Family, dict] = {}
        self._joining: dict[str, Session] = {}
        self._held: dict[str, list[Update]] = {}
        self._stopping = False
        self._withheld: dict[Family, dict] = {}
        self._refreshing: dict[str, dict[Family, set]] = {}

    # -- lifecycle -----------------------------------------------------------------------------

    async def __aenter__(self) -> "Speaker":
        self._tg = asyncio.TaskGroup()
        await self._tg.__aenter__()
        if self._restarting:
            self._restart_pending = {p.key for p in self.config.peers}
            if self.config.graceful_restart_time and self.config.peers:
                self._eor_wanted = {p.key: set(p.families) for p in self.config.peers}
                self._deferral_timer = asyncio.get_running_loop().call_later(
                    self.config.graceful_restart_time, self._end_deferral)
        try:
            await self.apply(self.config, force=True)
        except BaseException as exc:
            await self.__aexit__(type(exc), exc, exc.__traceback__)
            raise
        return self

    async def __aexit__(self, exc_type, exc, tb) -> bool | None:
        await self.shutdown()
        try:
            return await self._tg.__aexit__(exc_type, exc, tb)
        except BaseExceptionGroup as group:
            if exc is not None and group.exceptions == (exc,):
                return None
            raise

    async def shutdown(self, graceful: bool = False) -> None:
        """Close every session (Cease "Administrative shutdown", or no NOTIFICATION at all when
        ``graceful``) and the listener; route programmers get no withdrawals (see the module doc)."""
        self._stopping = True
        if self._deferral_timer is not None:
            self._deferral_timer.cancel()
        sessions = [s for p in self._peers.values() for s in p.sessions()]
        for peer in list(self._peers.values()):
            self._remove_peer(peer, CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, notify=not graceful)
        await self._close_listener()
        await asyncio.gather(*(s.wait_closed() for s in sessions))

    def spawn(self, coro: Coroutine, name: str) -> asyncio.Task:
        """Run a task in the speaker's TaskGroup."""
        if self._tg is None:
            coro.close()
            raise RuntimeError("the speaker is not running (use 'async with Speaker(...)')")
        return self._tg.create_task(coro, name=name)

    # -- reconciliation ------------------------------------------------------------------------

    async def apply(self, config: SpeakerConfig, *, force: bool = False) -> None:
        """Reconcile the running speaker to ``config``."""
        old = self.config
        self.config = config
        identity_changed = (old.router_id, old.asn, old.effective_cluster_id) != \
                           (config.router_id, config.asn, config.effective_cluster_id)
        if identity_changed:
            for peer in list(self._peers.values()):
                self._remove_peer(peer, CeaseSubcode.OTHER_CONFIGURATION_CHANGE)
            for family in self._originated:
                self._publish(self._rib.originate(family, {}))  # subscribers drop the old local routes
            self._rib = Rib(_local(config))
            self._originated = {}
        await self._reconcile_listener(config, force)
        wanted = {p.key: p for p in config.peers}
        for key, peer in list(self._peers.items()):
            if key not in wanted:
                self._remove_peer(peer, CeaseSubcode.PEER_DECONFIGURED)
            elif peer.config != wanted[key]:
                self._remove_peer(peer, CeaseSubcode.OTHER_CONFIGURATION_CHANGE)
        added = [self._add_peer(peer_config) for key, peer_config in wanted.items() if key not in self._peers]
        self._apply_socket_options()
        for peer in added:
            peer.main.start()
        self._originate(config)

    async def _reconcile_listener(self, config: SpeakerConfig, force: bool) -> None:
        target = (config.listen_address, config.listen_port)
        if target == self._listening and not force:
            return
        await self._close_listener()
        if config.listen_address is None:
            return
        sock = listening_socket(config.listen_address, config.listen_port)
        self._listen_sock = sock
        self._server = await asyncio.start_server(self._accepted, sock=sock, limit=1 << 18)
        self._listening = target

    async def _close_listener(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
            self._listen_sock = None
        self._listening = None

    def _apply_socket_options(self) -> None:
        """MD5 keys per peer on the listener; TTL 255 on it when any peer uses GTSM (the SYN-ACK
        is sent before we know which peer connected, and a GTSM peer drops it otherwise)."""
        sock = self._listen_sock
        if sock is None:
            return
        if any(p.config.ttl_security for p in self._peers.values()):
            set_ttl_255(sock)
        for peer in self._peers.values():
            if peer.config.password and (sock.family == socket.AF_INET6 or peer.config.address.version == 4):
                set_md5(sock, peer.config.address, peer.config.password)

    def _add_peer(self, config: PeerConfig) -> _Peer:
        peer = _Peer(config, self._new_session(config))
        self._peers[config.key] = peer
        return peer

    def _new_session(self, config: PeerConfig) -> Session:
        return Session(config, self, local_address=self.config.listen_address,
                       max_write_buffer=self._max_write_buffer)

    def _remove_peer(self, peer: _Peer, subcode: int, notify: bool = True) -> None:
        del self._peers[peer.key]
        self._refreshing.pop(peer.key, None)
        if peer.key in self._eor_wanted:
            self._eor_seen(peer.key, None)
        if peer.candidate is not None:
            peer.candidate.stop(CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, notify=notify)
        peer.main.stop(subcode, notify=notify)
        if peer.restart_timer is not None:
            peer.restart_timer.cancel()
        self._publish(self._rib.peer_down(peer.key))
        self._schedule_flush()
        sock = self._listen_sock
        if peer.config.password and sock is not None and \
                (sock.family == socket.AF_INET6 or peer.config.address.version == 4):
            set_md5(sock, peer.config.address, None)

    def _originate(self, config: SpeakerConfig) -> None:
        shared: dict[tuple, PathAttributes] = {}
        wanted: dict[Family, dict] = {(AFI.IPV4, SAFI.UNICAST): {}, (AFI.IPV6, SAFI.UNICAST): {}}
        for route in config.prefixes:
            afi, prefix = from_network(route.prefix)
            spec = (route.origin, route.next_hop, route.med, route.local_pref, route.communities)
            attrs = shared.get(spec)
            if attrs is None:
                attrs = shared[spec] = PathAttributes(origin=route.origin, as_path=AsPath(), next_hop=route.next_hop,
                                                      med=route.med, local_pref=route.local_pref,
                                                      communities=route.communities)
            wanted[(afi, SAFI.UNICAST)][prefix] = attrs
        for family, routes in wanted.items():
            if self._originated.get(family, {}) != routes:
                self._publish(self._rib.originate(family, routes))
        self._originated = wanted
        self._schedule_flush()

    # -- incoming connections ------------------------------------------------------------------

    def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        address = peer_address(sock)
        peer = next((p for p in self._peers.values() if p.config.address == address), None)
        if peer is None:
            log.info("refusing connection from unknown address %s", address)
            writer.close()
            return
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if peer.config.ttl_security:
                set_gtsm(sock, address)
        self._assign(peer, reader, writer, outgoing=False)

    def _assign(self, peer: _Peer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                outgoing: bool) -> None:
        """Give a new connection to the main session, to a collision candidate, or refuse it."""
        state = peer.main.state
        if state in (F.State.CONNECT, F.State.ACTIVE):
            peer.main.adopt(reader, writer, outgoing)
        elif peer.candidate is None and (state in (F.State.OPENSENT, F.State.OPENCONFIRM) or (
                state is F.State.ESTABLISHED and not outgoing and self._gr_peer(peer))):
            # while Established, the new connection's OPEN decides: a GR restart or a collision
            candidate = self._new_session(peer.config)
            peer.candidate = candidate
            candidate.post(F.Event(F.EventKind.ManualStart_with_PassiveTcpEstablishment))
            candidate.adopt(reader, writer, outgoing)
        elif state is F.State.ESTABLISHED:
            log.info("%s: new connection while Established, refused", peer.config.name)
            writer.write(Notification.cease(CeaseSubcode.CONNECTION_COLLISION_RESOLUTION).encode())
            writer.close()
        else:
            writer.close()

    def _gr_peer(self, peer: _Peer) -> bool:
        """Both sides of the peer's Established session do graceful restart (RFC 4724)."""
        neg = peer.main.negotiated
        return bool(self.config.graceful_restart_time) and neg is not None and neg.peer_graceful_restart is not None

    def _take_over_restart(self, peer: _Peer, session: Session) -> bool:
        """BIRD's bgp_incoming_connection (gr_ready), decided on the OPEN: a GR peer's new connection
        whose OPEN has the Restart State bit is its restart, though we never saw the old connection
        close. The old session ends like a transport failure (routes kept as stale, no NOTIFICATION)
        and the new one becomes the main session. Without the bit it is a plain collision."""
        gr = session.negotiated.peer_graceful_restart
        if not (self._gr_peer(peer) and gr is not None and gr.restarting):
            return False
        log.info("%s: new connection with the Restart State bit while Established: graceful restart",
                 peer.config.name)
        old = peer.main
        old.post(F.Event(F.EventKind.TcpConnectionFails))  # session_down keeps its routes as stale
        old.retire()
        peer.main, peer.candidate = session, None
        session.last_error = "Graceful restart"
        return True

    # -- SessionHost ---------------------------------------------------------------------------

    def local_open(self, session: Session) -> Open:
        """Our OPEN towards a peer."""
        cfg = self.config
        caps: list = [Multiprotocol(afi, safi) for afi, safi in session.peer.families]
        caps += [RouteRefresh(), EnhancedRouteRefresh(), FourOctetAs(cfg.asn)]
        if cfg.graceful_restart_time:
            restarting = session.peer.key in self._restart_pending
            caps.append(GracefulRestart(
                cfg.graceful_restart_time, restarting=restarting,
                families=tuple(GracefulRestartFamily(afi, safi, restarting) for afi, safi in session.peer.families)))
        return Open.build(cfg.asn, session.peer.hold_time, cfg.router_id, tuple(caps))

    def check_open(self, session: Session, received: Open) -> Negotiated:
        """RFC 4271 §6.2 checks, then negotiation."""
        check_open(received, peer_asn=session.peer.asn, local_asn=self.config.asn,
                   local_router_id=self.config.router_id)
        return negotiate(self.local_open(session), received)

    def collision_loser(self, session: Session) -> bool:
        """RFC 4271 §6.8 between the peer's two sessions; dumps the other one if it loses.

        The other connection may still be in OpenSent: the identifier in this OPEN is the peer's
        (§6.8 allows that check when it is known), and settling at once means the loser never
        sends a KEEPALIVE. Waiting for the other OPEN would let the peer reach Established on the
        connection we are about to dump while it refuses the other one (BIRD with both sides
        active): both would die."""
        peer = self._peers.get(session.peer.key)
        if peer is None or peer.candidate is None:
            return False
        other = peer.candidate if session is peer.main else peer.main
        if other.state is F.State.ESTABLISHED:
            return not (session is peer.candidate and self._take_over_restart(peer, session))
        if other.state not in (F.State.OPENSENT, F.State.OPENCONFIRM):
            return False
        remote_id = int(session.remote_open.router_id)
        keep_remote_initiated = F.collision_winner(int(self.config.router_id), remote_id) == "remote"
        loser = session if session.outgoing == keep_remote_initiated else other
        if loser is session:
            return True
        other.post(F.Event(F.EventKind.OpenCollisionDump))
        return False

    def extra_connection(self, session: Session, reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter) -> None:
        """Our own connection completed after an incoming one was adopted: a collision candidate."""
        peer = self._peers.get(session.peer.key)
        if peer is None or session is not peer.main:
            writer.close()
            return
        self._assign(peer, reader, writer, outgoing=True)

    def established(self, session: Session) -> None:
        """Register the peer with the RIB and send the initial table and End-of-RIB."""
        peer = self._peers[session.peer.key]
        if session is peer.candidate:
            peer.main, peer.candidate = session, peer.main
        if peer.candidate is not None:
            # RFC 4271 section 6.8: the other connection of a collision loses to an Established one.
            loser, peer.candidate = peer.candidate, None
            loser.stop(CeaseSubcode.CONNECTION_COLLISION_RESOLUTION)
        if peer.restart_timer is not None:
            peer.restart_timer.cancel()
            peer.restart_timer = None
        self._keep_or_sweep_stale(peer, session.negotiated)
        self._restart_pending.discard(peer.key)
        self._joining[peer.key] = session
        self._schedule_flush()
        log.info("%s: Established (router id %s)", session.peer.name, session.remote_open.router_id)

    def update_received(self, session: Session, update: Update) -> None:
        """Apply an UPDATE to the RIB and propagate (held until the peer's initial table is out)."""
        key = session.peer.key
        if key in self._joining:
            self._held.setdefault(key, []).append(update)
            return
        self._receive(key, update)
        self._schedule_flush()

    def _receive(self, key: str, update: Update) -> None:
        refreshing = self._refreshing.get(key)
        if refreshing:
            for family, prefixes, _ in update.announced():
                stale = refreshing.get(family)
                if stale:
                    stale.difference_update(prefixes)
        self._publish(self._rib.receive(key, update))
        if self._eor_wanted and update.end_of_rib is not None:
            self._eor_seen(key, update.end_of_rib)

    def refresh_requested(self, session: Session, request: RouteRefreshMessage) -> None:
        """A ROUTE-REFRESH: a request (subtype 0) is answered with the family's Adj-RIB-Out and
        End-of-RIB, or BoRR/EoRR around it (after any deferral). With enhanced route refresh
        negotiated, the peer's BoRR marks its routes of the family stale and its EoRR withdraws
        those not re-advertised in between (RFC 7313 §4); other subtypes are ignored (§5)."""
        key = session.peer.key
        family = (request.afi, request.safi)
        if request.subtype == RouteRefreshType.NORMAL:
            if key not in self._deferred:
                session.send(b"".join(self._rib.refresh(key, family)))
                self._enforce_write_budget()
            return
        if not session.negotiated.enhanced_route_refresh or family not in session.negotiated.families:
            log.info("%s: ignoring ROUTE-REFRESH subtype %d", session.peer.name, request.subtype)
            return
        if request.subtype == RouteRefreshType.BEGIN_OF_RIB:
            self._refreshing.setdefault(key, {})[family] = set(self._rib.adj_rib_in(key, family))
        elif request.subtype == RouteRefreshType.END_OF_RIB:
            stale = self._refreshing.get(key, {}).pop(family, None)
            if stale:
                self._publish(self._rib.withdraw(key, family, stale))
                self._schedule_flush()

    def session_down(self, session: Session, retain_routes: bool) -> None:
        """A session went to Idle: handle collision roles, GR helper or withdrawal."""
        peer = self._peers.get(session.peer.key)
        if peer is None:
            return
        if session is not peer.main:
            if session is peer.candidate:
                peer.candidate = None
            session.retire()
            return
        if peer.candidate is not None and not session.was_established:
            promoted, peer.candidate = peer.candidate, None
            peer.main = promoted
            session.retire()
            return
        if not session.was_established:
            return
        self._joining.pop(peer.key, None)
        self._held.pop(peer.key, None)
        self._refreshing.pop(peer.key, None)
        self._deferred.discard(peer.key)
        neg = session.negotiated
        gr = neg.peer_graceful_restart if neg is not None else None
        if retain_routes and gr is not None and self.config.graceful_restart_time:
            self._publish(self._rib.peer_down(peer.key, graceful=True))
            loop = asyncio.get_running_loop()
            if peer.restart_timer is not None:
                peer.restart_timer.cancel()
            peer.restart_timer = loop.call_later(gr.restart_time, self._restart_expired, peer.key)
            log.info("%s: peer restarting, keeping its routes as stale for %d s", peer.config.name, gr.restart_time)
        else:
            self._publish(self._rib.peer_down(peer.key))
        self._schedule_flush()

    def connection_lost(self, session: Session) -> None:
        """A collision candidate whose connection closed is retired at once: it must neither block
        the peer's next incoming connection nor start connecting on its own."""
        peer = self._peers.get(session.peer.key)
        if peer is not None and session is peer.candidate:
            peer.candidate = None
            session.retire()

    def _keep_or_sweep_stale(self, peer: _Peer, neg: Negotiated) -> None:
        """RFC 4724 section 4.2 on re-establishment: stale routes of a family survive only if the new
        OPEN's Graceful Restart capability lists it with the forwarding-state (F) bit; the rest wait for
        End-of-RIB, or our stale-path time at most (FRR ``stalepath-time``; not the peer's restart
        time, which a peer may set low while its table takes long to arrive)."""
        if not self._rib.stale_count(peer.key):
            return
        gr = neg.peer_graceful_restart
        kept = {(f.afi, f.safi) for f in gr.families if f.forwarding_preserved} if gr is not None else set()
        for family in RIB_FAMILIES:
            if family not in kept:
                self._publish(self._rib.sweep_stale(peer.key, family))
        self._schedule_flush()
        if self._rib.stale_count(peer.key):
            peer.restart_timer = asyncio.get_running_loop().call_later(
                self.config.stale_path_time, self._restart_expired, peer.key)

    def _restart_expired(self, key: str) -> None:
        peer = self._peers.get(key)
        if peer is None:
            return
        peer.restart_timer = None
        self._publish(self._rib.sweep_stale(key))
        self._schedule_flush()

    def _peer_info(self, session: Session) -> PeerInfo:
        cfg = session.peer
        local_ip = session.local_ip
        local = ipaddress.ip_address(local_ip) if local_ip else None
        source = cfg.source_address
        v4 = next((a for a in (local, source) if a is not None and a.version == 4), None)
        v6 = next((a for a in (local, source) if a is not None and a.version == 6), None)
        return PeerInfo(key=cfg.key, address=cfg.address, asn=cfg.asn, router_id=session.remote_open.router_id,
                        rr_client=cfg.rr_client, next_hop_self=cfg.next_hop_self, next_hop_keep=cfg.next_hop_keep,
                        local_v4=v4, local_v6=v6)

    # -- output --------------------------------------------------------------------------------

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        """Send what the RIB has pending; first give peers that just came up their initial table.

        Peers that reach Established in the same loop iteration join together, so one encoded
        table dump (cached by the RIB while the table is unchanged) serves all of them.
        """
        self._flush_scheduled = False
        if self._joining:
            self._send_pending()
            joining, self._joining = self._joining, {}
            for key, session in joining.items():
                peer = self._peers.get(key)
                if peer is None or peer.main is not session or session.state is not F.State.ESTABLISHED:
                    self._held.pop(key, None)
                    continue
                dump = self._rib.peer_up(self._peer_info(session), session.negotiated)
                if self._eor_wanted:
                    self._deferred.add(key)
                    if session.negotiated.peer_graceful_restart is None:
                        self._eor_seen(key, None)
                else:
                    session.send(b"".join(dump))
            for key in joining:
                for update in self._held.pop(key, ()):
                    self._receive(key, update)
        self._send_pending()
        self._enforce_write_budget()

    def _eor_seen(self, key: str, family: Family | None) -> None:
        """Selection deferral bookkeeping: ``family`` None means expect nothing more from this peer."""
        wanted = self._eor_wanted.get(key)
        if wanted is not None:
            if family is None:
                wanted.clear()
            else:
                wanted.discard(family)
            if not wanted:
                del self._eor_wanted[key]
        if not self._eor_wanted:
            self._end_deferral()

    def _end_deferral(self) -> None:
        """RFC 4724 section 4.1: as restarting speaker, advertise only once every peer's End-of-RIB
        is in (or the deferral timer, our restart time, ran out): then full tables and End-of-RIB."""
        if self._deferral_timer is not None:
            self._deferral_timer.cancel()
            self._deferral_timer = None
        self._eor_wanted = {}
        self._publish_withheld()
        self._send_pending()  # still skips the deferred peers: their full table follows
        deferred, self._deferred = self._deferred, set()
        for key in deferred:
            peer = self._peers.get(key)
            if peer is None or peer.main.state is not F.State.ESTABLISHED:
                continue
            # a fresh initial table ending in End-of-RIB (a refresh answer may be BoRR/EoRR instead)
            peer.main.send(b"".join(self._rib.peer_up(self._peer_info(peer.main), peer.main.negotiated)))
        log.info("selection deferral over: tables sent to %d peers", len(deferred))
        self._enforce_write_budget()

    def _enforce_write_budget(self) -> None:
        """Bound the memory all peers' unsent output may take: while the total exceeds the write
        budget, drop the session with the longest queue (it is not reading)."""
        queued = [(s.queued, s) for p in self._peers.values() for s in p.sessions()]
        total = sum(size for size, _ in queued)
        for size, session in sorted(queued, key=lambda item: item[0], reverse=True):
            if total <= self._write_budget:
                break
            session.drop_slow_reader()
            total -= size

    def _publish_withheld(self) -> None:
        """Publish the Loc-RIB changes held back during deferral, one final change per prefix."""
        withheld, self._withheld = self._withheld, {}
        grouped: dict[tuple[Family, int, int], tuple] = {}
        for family, table in withheld.items():
            for prefix, (attrs, source) in table.items():
                entry = grouped.get((family, id(attrs), id(source)))
                if entry is None:
                    entry = grouped[(family, id(attrs), id(source))] = (family, attrs, source, [])
                entry[3].append(prefix)
        self._publish([BestChange(family, tuple(prefixes), attrs, source)
                       for family, attrs, source, prefixes in grouped.values()])

    def _send_pending(self) -> None:
        for out in self._rib.take_updates():
            data = b"".join(out.messages)
            for key in out.peers:
                if key in self._deferred:
                    continue
                peer = self._peers.get(key)
                if peer is not None and peer.main.state is F.State.ESTABLISHED:
                    peer.main.send(data)

    def _publish(self, changes: list[BestChange]) -> None:
        if not changes or self._stopping:
            return
        if self._eor_wanted:
            # RFC 4724 section 4.1: selection is deferred; only the final choice is published.
            for change in changes:
                table = self._withheld.setdefault(change.family, {})
                for prefix in change.prefixes:
                    table[prefix] = (change.attrs, change.source)
            return
        for callback in self._callbacks:
            for change in changes:
                callback(change)
        for queue in self._queues:
            for change in changes:
                try:
                    queue.put_nowait(change)
                except asyncio.QueueFull:
                    while not queue.empty():
                        queue.get_nowait()
                    queue.put_nowait(RESYNC)
                    break

    def subscribe(self, callback: Callable[[BestChange], None]) -> Callable[[], None]:
        """Call ``callback`` for every Loc-RIB change; returns an unsubscribe function."""
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback)

    async def changes(self, maxsize: int = CHANGE_QUEUE_SIZE) -> AsyncIterator[BestChange | str]:
        """Loc-RIB changes as an async iterator (``RESYNC`` after an overflow)."""
        queue: asyncio.Queue = asyncio.Queue(maxsize)
        self._queues.append(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues.remove(queue)

    # -- queries -------------------------------------------------------------------------------

    @property
    def rib(self) -> Rib:
        """The RIB (read it, do not mutate it)."""
        return self._rib

    def loc_rib(self, family: Family = (AFI.IPV4, SAFI.UNICAST)) -> dict:
        """``{ip_network: (PeerInfo or None, PathAttributes)}`` for one family."""
        afi = family[0]
        make = ipaddress.IPv4Network if afi == AFI.IPV4 else ipaddress.IPv6Network
        return {make((net, plen)): (src, attrs)
                for (net, plen), src, attrs in self._rib.loc_rib(family)}

    def request_refresh(self, name: str, family: Family = (AFI.IPV4, SAFI.UNICAST)) -> None:
        """Ask a peer (by name) to resend its routes of one family."""
        for peer in self._peers.values():
            if peer.config.name == name:
                peer.main.request_refresh(*family)

    def negotiated(self, name: str) -> Negotiated | None:
        """What was negotiated with a peer (by name), None unless past OpenSent."""
        return next((p.main.negotiated for p in self._peers.values() if p.config.name == name), None)

    def peer_state(self, name: str) -> F.State | None:
        """The FSM state of a peer's main session, by name."""
        return next((p.main.state for p in self._peers.values() if p.config.name == name), None)

    def status(self) -> SpeakerStatus:
        """A snapshot for the control socket."""
        peers = []
        for peer in self._peers.values():
            session = peer.main
            if peer.candidate is not None and peer.candidate.state > session.state:
                session = peer.candidate
            cfg = peer.config
            received = self._rib.received_count(peer.key)
            peers.append(PeerStatus(
                name=cfg.name, address=str(cfg.address), port=cfg.port, asn=cfg.asn, local_asn=self.config.asn,
                kind=cfg.kind.value, state=_label(session), since=session.since, last_error=session.last_error,
                prefixes_received=received, prefixes_accepted=received,
                prefixes_sent=self._rib.advertised_count(peer.key)))
        return SpeakerStatus(router_id=str(self.config.router_id), asn=self.config.asn, peers=tuple(peers),
                             pid=os.getpid(), loc_rib=(("ipv4", self._rib.loc_rib_size((AFI.IPV4, SAFI.UNICAST))),
                                                       ("ipv6", self._rib.loc_rib_size((AFI.IPV6, SAFI.UNICAST)))))


def _label(session: Session) -> str:
    """BIRD shows a passive peer waiting for a connection as ``Passive``."""
    if session.state is F.State.ACTIVE and session.peer.passive:
        return "Passive"
    return session.state.label


def _local(config: SpeakerConfig) -> LocalSpeaker:
    return LocalSpeaker(asn=config.asn, router_id=config.router_id, cluster_id=config.cluster_id)
