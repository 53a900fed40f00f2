"""Routing information bases (RFC 4271 §3.2, §9; RFC 4456; RFC 4724 helper side). No I/O.

* Adj-RIB-In: per peer and family, ``prefix -> PathAttributes`` (one shared object per UPDATE).
* Loc-RIB: per family, ``prefix -> (source key, PathAttributes)`` chosen by ``select`` (pure
  RFC 4271 §9.1.2.2 elimination returning the deciding ``Reason``; ``compare`` is its two-path
  form). A prefix held by a single source needs no comparison and no index: its source is the
  Loc-RIB entry's; ``_multi`` maps each prefix held by several sources to their ``Rank`` (the
  precomputed criteria, in arrival order). A new or lost path is decided against the current best
  alone (``challenge``, ``unaffected_by_removal``: exact, MED-aware); the full selection
  (``select_ranked``, same result as ``select``) runs only when they cannot tell or the best path
  itself changed, so N sources announcing one prefix cost O(N), not O(N²).
* Adj-RIB-Out: per *update group* (peers that would be sent identical messages: same AS, RR-client
  flag, next-hop options, local addresses, 4-octet AS, families and enhanced route refresh),
  ``prefix -> exported attributes`` plus the changes not yet sent. UPDATE bytes are encoded once
  per group and sent to every member (the full-table dump for newly Established members is cached
  until the table changes), which keeps a 200-client route reflector small and fast. As RFC 4456
  §6 allows, a reflected route also goes back to its originating client, which drops it
  (ORIGINATOR_ID); eBGP peers never get routes whose AS_PATH holds their AS (policy.py).
* Graceful restart helper: ``peer_down(graceful=True)`` keeps the peer's routes marked stale;
  fresh announcements clear the mark; End-of-RIB or ``sweep_stale`` (all or one family: restart
  timer, or a family the peer came back without forwarding state for) withdraws what is left.

Every mutating call returns the list of ``BestChange`` events (Loc-RIB changes) for the route
programmer; ``take_updates`` returns the encoded UPDATEs each group still has to send.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Iterable, Iterator, NamedTuple, Sequence

from .attributes import PathAttributes
from .constants import IPV4_UNICAST, IPV6_UNICAST, RouteRefreshType
from .message import RouteRefresh, Update, end_of_rib, pack_updates, pack_withdrawals
from .negotiate import Negotiated
from .nlri import Prefix
from .policy import DEFAULT_LOCAL_PREF, LocalSpeaker, PeerInfo, export_attributes, import_problem

Family = tuple[int, int]
LOCAL = "local"
EXPORT_MEMO_SIZE = 4096
FAMILIES = (IPV4_UNICAST, IPV6_UNICAST)


class Reason(Enum):
    """Why one path beat another (RFC 4271 §9.1.2.2 order plus RFC 4456 §9)."""

    ONLY_PATH = "only path"
    LOCAL_ORIGIN = "locally originated"
    LOCAL_PREF = "higher LOCAL_PREF"
    AS_PATH_LENGTH = "shorter AS_PATH"
    ORIGIN = "lower ORIGIN"
    MED = "lower MED"
    EBGP_OVER_IBGP = "eBGP over iBGP"
    ROUTER_ID = "lower router id"
    CLUSTER_LIST_LENGTH = "shorter CLUSTER_LIST"
    PEER_ADDRESS = "lower peer address"
    EQUAL = "equal"


class Candidate(NamedTuple):
    """A path competing in the decision process."""

    attrs: PathAttributes
    source: PeerInfo | None
    ebgp: bool


def _local_pref(c: Candidate) -> int:
    lp = c.attrs.local_pref
    return -(lp if lp is not None else DEFAULT_LOCAL_PREF)


def _router_id(c: Candidate) -> int:
    if c.source is None:
        return 0
    return int(c.attrs.originator_id or c.source.router_id)


def _peer_address(c: Candidate) -> tuple[int, int]:
    if c.source is None:
        return (0, 0)
    return (c.source.address.version, int(c.source.address))


_STEPS = (
    (Reason.LOCAL_ORIGIN, lambda c: 0 if c.source is None else 1),
    (Reason.LOCAL_PREF, _local_pref),
    (Reason.AS_PATH_LENGTH, lambda c: c.attrs.as_path.length()),
    (Reason.ORIGIN, lambda c: c.attrs.origin),
    (Reason.MED, None),
    (Reason.EBGP_OVER_IBGP, lambda c: 0 if c.ebgp else 1),
    (Reason.ROUTER_ID, _router_id),
    (Reason.CLUSTER_LIST_LENGTH, lambda c: len(c.attrs.cluster_list)),
    (Reason.PEER_ADDRESS, _peer_address),
)


def _med_filter(cands: Sequence[Candidate], alive: list[int]) -> list[int]:
    """RFC 4271 §9.1.2.2 (c): drop a route if one from the same neighbour AS has a lower MED."""
    lowest: dict[int | None, int] = {}
    for i in alive:
        nas, med = cands[i].attrs.as_path.first_as(), cands[i].attrs.med or 0
        if med < lowest.get(nas, med + 1):
            lowest[nas] = med
    return [i for i in alive if (cands[i].attrs.med or 0) == lowest[cands[i].attrs.as_path.first_as()]]


def select(cands: Sequence[Candidate]) -> tuple[int, Reason]:
    """Index of the best candidate and the step that decided, by RFC 4271 §9.1.2.2 elimination.

    Each step keeps only the candidates best on its criterion (MED within each neighbour AS), so
    the result does not depend on the order of ``cands``. Steps: locally originated, LOCAL_PREF,
    AS_PATH length, ORIGIN, MED, eBGP over iBGP, router id (ORIGINATOR_ID if present), CLUSTER_LIST
    length (RFC 4456 §9), peer address.
    """
    alive = list(range(len(cands)))
    if len(alive) == 1:
        return 0, Reason.ONLY_PATH
    for reason, key in _STEPS:
        if key is None:
            alive = _med_filter(cands, alive)
        else:
            values = [key(cands[i]) for i in alive]
            best = min(values)
            alive = [i for i, v in zip(alive, values) if v == best]
        if len(alive) == 1:
            return alive[0], reason
    return alive[0], Reason.EQUAL


def compare(a: Candidate, b: Candidate) -> tuple[int, Reason]:
    """-1 if ``a`` is better, 1 if ``b`` is, 0 if equal; with the deciding reason."""
    index, reason = select((a, b))
    if reason is Reason.EQUAL:
        return 0, reason
    return (-1 if index == 0 else 1), reason


_MED_STEP = next(i for i, (_, key) in enumerate(_STEPS) if key is None)
_BEFORE_MED = tuple(key for _, key in _STEPS[:_MED_STEP])
_AFTER_MED = tuple(key for _, key in _STEPS[_MED_STEP + 1:])


class Rank(NamedTuple):
    """A candidate's ``select`` criteria: the steps before MED, its neighbour AS and MED, the steps after."""

    before: tuple
    neighbour_as: int | None
    med: int
    after: tuple


def rank(c: Candidate) -> Rank:
    """The criteria ``select`` compares ``c`` on, precomputed for incremental decisions."""
    return Rank(tuple(key(c) for key in _BEFORE_MED), c.attrs.as_path.first_as(), c.attrs.med or 0,
                tuple(key(c) for key in _AFTER_MED))


def challenge(best: Rank, new: Rank) -> bool | None:
    """Whether adding ``new`` to a candidate set whose ``select`` winner is ``best`` makes ``new`` win.

    None when only a full ``select`` can tell. The steps before and after MED order candidates
    totally; MED only eliminates within a neighbour AS. ``best`` survived MED, so its MED is the
    lowest of its neighbour AS among the candidates tied with it before MED: a newcomer from the
    same neighbour AS with a higher MED loses, one with a lower MED eliminates ``best`` (a full
    selection then finds the winner). A newcomer from another neighbour AS survives MED for sure
    only with MED 0; otherwise the lowest MED of its AS is unknown here. Ties after MED (EQUAL)
    are left to ``select``, whose choice then depends on candidate order.
    """
    if new.before != best.before:
        return new.before < best.before
    if new.neighbour_as == best.neighbour_as:
        if new.med != best.med:
            return False if new.med > best.med else None
    elif new.med:
        return None
    if new.after == best.after:
        return None
    return new.after < best.after


def select_ranked(ranks: Sequence[Rank]) -> int:
    """``select``'s winner from precomputed ranks (same elimination, same tie order)."""
    low = min(r.before for r in ranks)
    alive = [i for i, r in enumerate(ranks) if r.before == low]
    if len(alive) > 1:
        lowest: dict[int | None, int] = {}
        for i in alive:
            r = ranks[i]
            if r.med < lowest.get(r.neighbour_as, r.med + 1):
                lowest[r.neighbour_as] = r.med
        alive = [i for i in alive if ranks[i].med == lowest[ranks[i].neighbour_as]]
        if len(alive) > 1:
            low = min(ranks[i].after for i in alive)
            alive = [i for i in alive if ranks[i].after == low]
    return alive[0]


def unaffected_by_removal(best: Rank, gone: Rank) -> bool:
    """Whether removing a losing candidate ``gone`` surely leaves ``best`` the ``select`` winner.

    It does if ``gone`` was eliminated before MED, or shares ``best``'s neighbour AS (whose lowest
    MED is ``best``'s own and stays). Otherwise ``gone`` may have been the lowest MED of its AS and
    eliminated candidates that now come back.
    """
    return gone.before != best.before or gone.neighbour_as == best.neighbour_as


class BestChange(NamedTuple):
    """A Loc-RIB change: the new best path of some prefixes (attrs None: they have no route any more)."""

    family: Family
    prefixes: tuple[Prefix, ...]
    attrs: PathAttributes | None
    source: PeerInfo | None


class Outgoing(NamedTuple):
    """Encoded UPDATEs and the peers (keys) they must be sent to."""

    peers: frozenset
    messages: list[bytes]


@dataclass
class _Group:
    """One Adj-RIB-Out shared by peers that get identical UPDATEs."""

    template: PeerInfo
    neg: Negotiated
    members: set = field(default_factory=set)
    table: dict[Family, dict[Prefix, PathAttributes]] = field(default_factory=dict)
    pending: dict[Family, dict[Prefix, PathAttributes | None]] = field(default_factory=dict)
    dumps: dict[Family, list[bytes]] = field(default_factory=dict)
    exports: dict[tuple, tuple[PathAttributes, PathAttributes | None]] = field(default_factory=dict)


def _group_key(peer: PeerInfo, neg: Negotiated) -> tuple:
    return (peer.asn, peer.rr_client, peer.next_hop_self, peer.next_hop_keep, peer.local_v4, peer.local_v6,
            neg.four_octet_as, neg.families, neg.enhanced_route_refresh)


class Rib:
    """Adj-RIBs-In, Loc-RIB and per-group Adj-RIBs-Out of one speaker."""

    def __init__(self, local: LocalSpeaker):
        self.local = local
        self._peers: dict[object, PeerInfo] = {}
        self._in: dict[object, dict[Family, dict[Prefix, PathAttributes]]] = {}
        self._multi: dict[Family, dict[Prefix, dict[object, Rank]]] = {f: {} for f in FAMILIES}
        self._best: dict[Family, dict[Prefix, tuple[object, PathAttributes]]] = {f: {} for f in FAMILIES}
        self._stale: dict[object, dict[Family, set[Prefix]]] = {}
        self._groups: dict[tuple, _Group] = {}
        self._member_group: dict[object, tuple] = {}
        self._in[LOCAL] = {}

    # ----- queries -----------------------------------------------------------------------------

    def best(self, family: Family, prefix: Prefix) -> tuple[PeerInfo | None, PathAttributes] | None:
        """(source, attributes) of the Loc-RIB entry, or None."""
        entry = self._best[family].get(prefix)
        if entry is None:
            return None
        return self._peers.get(entry[0]), entry[1]

    def loc_rib(self, family: Family) -> Iterator[tuple[Prefix, PeerInfo | None, PathAttributes]]:
        """Every Loc-RIB entry of a family."""
        for prefix, (key, attrs) in self._best[family].items():
            yield prefix, self._peers.get(key), attrs

    def loc_rib_size(self, family: Family) -> int:
        """Number of prefixes in the Loc-RIB for a family."""
        return len(self._best[family])

    def adj_rib_in(self, key: object, family: Family) -> dict[Prefix, PathAttributes]:
        """A read-only view of what a peer announced (after import checks)."""
        return dict(self._in.get(key, {}).get(family, {}))

    def received_count(self, key: object) -> int:
        """Prefixes currently held from a peer, all families."""
        return sum(len(t) for t in self._in.get(key, {}).values())

    def advertised_count(self, key: object) -> int:
        """Prefixes currently advertised to a peer, all families."""
        gk = self._member_group.get(key)
        if gk is None:
            return 0
        return sum(len(t) for t in self._groups[gk].table.values())

    def stale_count(self, key: object) -> int:
        """Prefixes from a peer still marked stale (graceful restart)."""
        return sum(len(s) for s in self._stale.get(key, {}).values())

    # ----- peers -------------------------------------------------------------------------------

    def peer_up(self, peer: PeerInfo, neg: Negotiated) -> list[bytes]:
        """Register an Established peer; return its initial UPDATEs (full table + End-of-RIB)."""
        self._leave_group(peer.key)
        known = self._peers.get(peer.key)
        self._peers[peer.key] = peer
        if known is not None and known != peer:
            self._rerank(peer.key)
        self._in.setdefault(peer.key, {})
        gk = _group_key(peer, neg)
        group = self._groups.get(gk)
        if group is None:
            group = self._groups[gk] = _Group(peer, neg)
            for family in FAMILIES:
                if family not in neg.families:
                    continue
                table = group.table.setdefault(family, {})
                for prefix, (src, attrs) in self._best[family].items():
                    out = self._export(group, family, src, attrs)
                    if out is not None:
                        table[prefix] = out
        group.members.add(peer.key)
        self._member_group[peer.key] = gk
        return self._dump(group)

    def refresh(self, key: object, family: Family) -> list[bytes]:
        """Messages answering a ROUTE-REFRESH for one family: the table, then End-of-RIB.

        With enhanced route refresh negotiated (RFC 7313 §4) the table is bracketed by BoRR and
        EoRR instead. A family that was not negotiated gets nothing (RFC 2918 §4).
        """
        gk = self._member_group.get(key)
        if gk is None:
            return []
        group = self._groups[gk]
        messages = self._dump(group, (family,))
        if not messages or not group.neg.enhanced_route_refresh:
            return messages
        afi, safi = family
        return ([RouteRefresh(afi, safi, RouteRefreshType.BEGIN_OF_RIB).encode()] + messages[:-1]
                + [RouteRefresh(afi, safi, RouteRefreshType.END_OF_RIB).encode()])

    def peer_down(self, key: object, graceful: bool = False) -> list[BestChange]:
        """The session is gone. With ``graceful`` its routes stay (stale) until End-of-RIB or sweep."""
        self._leave_group(key)
        if graceful:
            tables = self._in.get(key, {})
            stale = self._stale.setdefault(key, {})
            for family, table in tables.items():
                stale.setdefault(family, set()).update(table)
            return []
        changes = self.sweep_stale(key)
        for family, table in list(self._in.get(key, {}).items()):
            changes += self.withdraw(key, family, list(table))
        self._in.pop(key, None)
        self._stale.pop(key, None)
        self._peers.pop(key, None)
        return changes

    def sweep_stale(self, key: object, family: Family | None = None) -> list[BestChange]:
        """Withdraw the routes of ``key`` still marked stale (End-of-RIB or restart timer)."""
        stale = self._stale.get(key)
        if not stale:
            return []
        changes: list[BestChange] = []
        for fam in ([family] if family is not None else list(stale)):
            prefixes = stale.pop(fam, None)
            if prefixes:
                changes += self.withdraw(key, fam, list(prefixes))
        if not stale:
            del self._stale[key]
        return changes

    # ----- input ---------------------------------------------------------------------------------

    def receive(self, key: object, update: Update) -> list[BestChange]:
        """Apply a decoded UPDATE from an Established peer (RFC 7606 treat-as-withdraw honoured)."""
        changes: list[BestChange] = []
        for family, prefixes in update.withdrawals():
            if family in self._best:
                changes += self.withdraw(key, family, prefixes)
        for family, prefixes, attrs in update.announced():
            if family in self._best:
                changes += self.announce(key, family, prefixes, attrs)
        eor = update.end_of_rib
        if eor is not None:
            changes += self.sweep_stale(key, eor)
        return changes

    def announce(self, key: object, family: Family, prefixes: Iterable[Prefix],
                 attrs: PathAttributes) -> list[BestChange]:
        """Routes from ``key`` for ``prefixes`` sharing ``attrs``; loops are treated as withdrawals.

        A contested prefix is decided incrementally against its current best (``challenge``);
        the full decision process runs only when that cannot tell or the best path itself changed.
        """
        source = self._peers[key] if key != LOCAL else None
        if source is not None and import_problem(attrs, source, self.local) is not None:
            return self.withdraw(key, family, prefixes)
        table = self._in[key].setdefault(family, {})
        multi = self._multi[family]
        best = self._best[family]
        stale = self._stale.get(key, {}).get(family)
        shared = (key, attrs)
        new_rank = None
        ranks: dict[tuple, tuple] = {}
        moved: list[Prefix] = []
        contested: list[tuple[Prefix, dict[object, Rank]]] = []
        for prefix in prefixes:
            previous = table.get(prefix)
            table[prefix] = attrs
            if stale:
                stale.discard(prefix)
            current = best.get(prefix)
            if current is None:
                best[prefix] = shared
                moved.append(prefix)
                continue
            held = multi.get(prefix)
            holder = current[0]
            if holder is key or holder == key:
                if current[1] is attrs:
                    continue
                if held is None:
                    best[prefix] = shared
                    moved.append(prefix)
                else:
                    if new_rank is None:
                        new_rank = rank(self._make_candidate(key, attrs))
                    held[key] = new_rank
                    contested.append((prefix, held))
                continue
            if previous is attrs:
                continue
            if new_rank is None:
                new_rank = rank(self._make_candidate(key, attrs))
            if held is None:
                current_rank = self._rank_of(ranks, holder, current[1])
                held = multi[prefix] = {holder: current_rank, key: new_rank}
                verdict = challenge(current_rank, new_rank)
            else:
                current_rank = held[holder]
                previous_rank = held.get(key)
                held[key] = new_rank
                if previous_rank is None or unaffected_by_removal(current_rank, previous_rank):
                    verdict = challenge(current_rank, new_rank)
                else:
                    verdict = None
            if verdict is None:
                contested.append((prefix, held))
            elif verdict:
                best[prefix] = shared
                moved.append(prefix)
        changes: list[BestChange] = []
        if moved:
            changes.append(BestChange(family, tuple(moved), attrs, source))
            self._propagate(family, changes)
        if contested:
            changes += self._decide(family, contested)
        return changes

    def originate(self, family: Family, routes: dict[Prefix, PathAttributes]) -> list[BestChange]:
        """Reconcile the locally originated routes of a family to exactly ``routes``."""
        current = self._in[LOCAL].get(family, {})
        gone = [p for p in current if p not in routes]
        changes = self.withdraw(LOCAL, family, gone) if gone else []
        by_attrs: dict[int, tuple[PathAttributes, list[Prefix]]] = {}
        for prefix, attrs in routes.items():
            if current.get(prefix) != attrs:
                by_attrs.setdefault(id(attrs), (attrs, []))[1].append(prefix)
        for attrs, prefixes in by_attrs.values():
            changes += self.announce(LOCAL, family, prefixes, attrs)
        return changes

    # ----- output --------------------------------------------------------------------------------

    def take_updates(self) -> list[Outgoing]:
        """Encode and clear every group's pending changes: withdrawals first, then announcements."""
        out: list[Outgoing] = []
        for group in self._groups.values():
            if not group.pending:
                continue
            messages: list[bytes] = []
            for family, pending in group.pending.items():
                messages += self._encode(group, family, pending.items())
            group.pending = {}
            if messages:
                out.append(Outgoing(frozenset(group.members), messages))
        return out

    # ----- internals -----------------------------------------------------------------------------

    def _leave_group(self, key: object) -> None:
        gk = self._member_group.pop(key, None)
        if gk is not None:
            group = self._groups[gk]
            group.members.discard(key)
            if not group.members:
                del self._groups[gk]

    def _encode(self, group: _Group, family: Family, items: Iterable[tuple[Prefix, PathAttributes | None]]
                ) -> list[bytes]:
        withdrawn: list[Prefix] = []
        by_attrs: dict[int, tuple[PathAttributes, list[Prefix]]] = {}
        for prefix, attrs in items:
            if attrs is None:
                withdrawn.append(prefix)
            else:
                entry = by_attrs.get(id(attrs))
                if entry is None:
                    by_attrs[id(attrs)] = (attrs, [prefix])
                else:
                    entry[1].append(prefix)
        messages = pack_withdrawals(family, withdrawn, group.neg) if withdrawn else []
        for attrs, prefixes in by_attrs.values():
            messages += pack_updates(family, prefixes, attrs, group.neg)
        return messages

    def _dump(self, group: _Group, families: Iterable[Family] | None = None) -> list[bytes]:
        messages: list[bytes] = []
        for family in families if families is not None else FAMILIES:
            if family not in group.neg.families:
                continue
            dump = group.dumps.get(family)
            if dump is None:
                dump = group.dumps[family] = (self._encode(group, family, group.table.get(family, {}).items())
                                              + [end_of_rib(family, group.neg)])
            messages += dump
        return messages

    def _export(self, group: _Group, family: Family, src: object, attrs: PathAttributes) -> PathAttributes | None:
        """Export ``attrs`` to a group, memoised per (attributes object, source, family).

        The memo holds a reference to each key's attributes object, so an id is never reused
        while its entry lives; it is bounded and cleared wholesale when full.
        """
        exports = group.exports
        key = (id(attrs), src, family)
        hit = exports.get(key)
        if hit is not None and hit[0] is attrs:
            return hit[1]
        out = export_attributes(attrs, family[0], self._peers.get(src) if src != LOCAL else None,
                                group.template, self.local)
        if len(exports) >= EXPORT_MEMO_SIZE:
            exports.clear()
        exports[key] = (attrs, out)
        return out

    def withdraw(self, key: object, family: Family, prefixes: Iterable[Prefix]) -> list[BestChange]:
        """Remove routes of ``key`` for ``prefixes`` (unknown ones are ignored).

        Losing a path that is not the best needs no decision unless ``unaffected_by_removal``
        cannot vouch for it.
        """
        table = self._in.get(key, {}).get(family)
        if not table:
            return []
        multi = self._multi[family]
        best = self._best[family]
        stale = self._stale.get(key, {}).get(family)
        changed: list[tuple[Prefix, dict[object, Rank] | None]] = []
        for prefix in prefixes:
            if table.pop(prefix, None) is None:
                continue
            if stale:
                stale.discard(prefix)
            held = multi.get(prefix)
            if held is None:
                changed.append((prefix, None))
                continue
            gone = held.pop(key)
            if len(held) == 1:
                del multi[prefix]
            holder = best[prefix][0]
            if not (holder is key or holder == key) and unaffected_by_removal(held[holder], gone):
                continue
            changed.append((prefix, held))
        return self._decide(family, changed)

    def _make_candidate(self, key: object, attrs: PathAttributes) -> Candidate:
        source = self._peers.get(key) if key != LOCAL else None
        return Candidate(attrs, source, source is not None and source.asn != self.local.asn)

    def _rank_of(self, ranks: dict[tuple, tuple], key: object, attrs: PathAttributes) -> Rank:
        """The rank of ``key``'s route with ``attrs``, memoised in ``ranks``.

        The memo keeps each attributes object alive, so an id is not reused while the memo lives.
        """
        hit = ranks.get((key, id(attrs)))
        if hit is None:
            hit = ranks[(key, id(attrs))] = (attrs, rank(self._make_candidate(key, attrs)))
        return hit[1]

    def _rerank(self, key: object) -> None:
        """Recompute the stored ranks of ``key``'s routes (its router id, address or AS changed)."""
        ranks: dict[tuple, tuple] = {}
        for family, table in self._in.get(key, {}).items():
            multi = self._multi[family]
            for prefix, attrs in table.items():
                held = multi.get(prefix)
                if held is not None:
                    held[key] = self._rank_of(ranks, key, attrs)

    def _decide(self, family: Family, items: list[tuple[Prefix, dict[object, Rank] | None]]) -> list[BestChange]:
        """Re-run the decision process for (prefix, its holders' ranks) pairs; update Loc-RIB and Adj-RIBs-Out.

        Changes are grouped by their new best path so that one event (and one shared Loc-RIB
        tuple) serves every prefix that moved to the same path.
        """
        best = self._best[family]
        tables = self._in
        groups: dict[tuple[object, int], tuple[tuple[object, PathAttributes], list[Prefix]]] = {}
        gone: list[Prefix] = []
        for prefix, held in items:
            if not held:
                if best.pop(prefix, None) is not None:
                    gone.append(prefix)
                continue
            if len(held) > 1:
                key = list(held)[select_ranked(list(held.values()))]
            else:
                key = next(iter(held))
            attrs = tables[key][family][prefix]
            old = best.get(prefix)
            if old is not None and old[1] is attrs and (old[0] is key or old[0] == key):
                continue
            group = groups.get((key, id(attrs)))
            if group is None:
                group = groups[(key, id(attrs))] = ((key, attrs), [])
            best[prefix] = group[0]
            group[1].append(prefix)
        changes = [BestChange(family, tuple(gone), None, None)] if gone else []
        for (key, attrs), members in groups.values():
            changes.append(BestChange(family, tuple(members), attrs, self._peers.get(key)))
        if changes:
            self._propagate(family, changes)
        return changes

    def _propagate(self, family: Family, changes: list[BestChange]) -> None:
        for group in self._groups.values():
            if family not in group.neg.families:
                continue
            table = group.table.setdefault(family, {})
            pending = group.pending.setdefault(family, {})
            group.dumps.pop(family, None)
            for change in changes:
                if change.attrs is None:
                    out = None
                else:
                    src = change.source.key if change.source is not None else LOCAL
                    out = self._export(group, family, src, change.attrs)
                if out is None:
                    pop = table.pop
                    for prefix in change.prefixes:
                        if pop(prefix, None) is not None:
                            pending[prefix] = None
                else:
                    get = table.get
                    for prefix in change.prefixes:
                        if get(prefix) is not out:
                            table[prefix] = out
                            pending[prefix] = out
