"""Daemon-neutral router descriptions, config generators and output parsers (all pure).

`RouterSpec` / `Neighbor` describe one router; `bird_config`, `gobgp_config`, `frr_config` and
`speaker_config` turn it into each daemon's configuration; the `parse_*` functions turn each
daemon's query output into `Route` and `SessionInfo` values (session states named as in
RFC 4271: Idle, Connect, Active, OpenSent, OpenConfirm, Established).
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path


@dataclass(frozen=True)
class Neighbor:
    """One configured BGP neighbour of a real daemon."""

    address: str
    asn: int
    passive: bool = False
    password: str | None = None
    rr_client: bool = False
    port: int = 179
    hold_time: int = 90
    local_address: str | None = None
    ttl_security: bool = False
    as4: bool = True

    @property
    def ipv6(self) -> bool:
        """True for an IPv6 session (which then carries IPv6 unicast)."""
        return ipaddress.ip_address(self.address).version == 6

    @property
    def name(self) -> str:
        """A protocol name derived from the address (`p_198_18_0_1`)."""
        return "p_" + re.sub(r"[.:]", "_", self.address)


@dataclass(frozen=True)
class RouterSpec:
    """A daemon-neutral router description."""

    router_id: str
    asn: int
    neighbors: tuple[Neighbor, ...] = ()
    prefixes: tuple[str, ...] = ()
    med: int | None = None
    communities: tuple[tuple[int, int], ...] = ()
    graceful_restart: bool = False
    restart_time: int = 120
    cluster_id: str | None = None
    listen_port: int = 179
    listen_address: str | None = None
    export_all: bool = False
    connect_delay: int = 1

    def with_prefixes(self, prefixes: Iterable[str]) -> RouterSpec:
        """The same router originating `prefixes` instead."""
        return replace(self, prefixes=tuple(prefixes))


@dataclass(frozen=True)
class Route:
    """One route as a daemon reports it in its RIB."""

    prefix: str
    next_hop: str = ""
    as_path: tuple[int, ...] = ()
    origin: str = ""
    med: int | None = None
    local_pref: int | None = None
    communities: frozenset[tuple[int, int]] = frozenset()
    originator_id: str | None = None
    cluster_list: tuple[str, ...] = ()


@dataclass(frozen=True)
class SessionInfo:
    """A daemon's view of one session."""

    state: str
    last_error: str = ""


def family_of(prefix: str) -> int:
    """4 or 6: the IP version of a prefix."""
    return ipaddress.ip_network(prefix, strict=False).version


# ---------------------------------------------------------------------------------------------
# BIRD 1.6 and BIRD 2 configuration
# ---------------------------------------------------------------------------------------------

def _bird_export_filter(spec: RouterSpec, static_names: Iterable[str]) -> str:
    sets = []
    if spec.med is not None:
        sets.append(f"bgp_med = {spec.med};")
    sets.extend(f"bgp_community.add(({a},{b}));" for a, b in spec.communities)
    protos = " || ".join(f'proto = "{n}"' for n in static_names) or "false"
    return ("filter export_originated {\n"
            f"  if {protos} then {{ {' '.join(sets)} accept; }}\n"
            "  reject;\n}\n")


def _bird_neighbor_options(spec: RouterSpec, n: Neighbor, version: int) -> list[str]:
    local = f"local {spec.listen_address} as {spec.asn};" if spec.listen_address else f"local as {spec.asn};"
    port = f" port {n.port}" if n.port != 179 else ""
    delay = f"{'start' if version == 1 else 'connect'} delay time {spec.connect_delay};"
    lines = [local, f"neighbor {n.address}{port} as {n.asn};", f"hold time {n.hold_time};",
             delay, "connect retry time 2;", "error wait time 1, 5;"]
    if n.asn == spec.asn:
        lines.append("direct;")
    switches = ((n.local_address, f"source address {n.local_address};"), (n.passive, "passive on;"),
                (n.ttl_security, "ttl security on;"), (not n.as4, "enable as4 off;"),
                (n.password, f'password "{n.password}";'))
    lines += [line for wanted, line in switches if wanted]
    if n.rr_client:
        lines.append("rr client;")
        if spec.cluster_id:
            lines.append(f"rr cluster id {spec.cluster_id};")
    if spec.graceful_restart:
        lines.append("graceful restart on;")
        lines.append(f"graceful restart time {spec.restart_time};")
    if version == 1:
        lines += ["import all;", f"export {_bird_export(spec)};"]
    return lines


def _bird_export(spec: RouterSpec) -> str:
    return "all" if spec.export_all else "filter export_originated"


def bird_config(spec: RouterSpec, *, version: int, ipv6: bool = False) -> str:
    """BIRD configuration text: BIRD 1.6 (`version=1`, v4 or v6 daemon) or BIRD 2."""
    out = [f"router id {spec.router_id};", "log stderr all;"]
    if version == 1 and spec.listen_address:
        out.append(f"listen bgp address {spec.listen_address} port {spec.listen_port};")
    elif version == 1:
        out.append(f"listen bgp port {spec.listen_port};")
    out.append("protocol device { scan time 10; }")
    statics: list[str] = []
    if version == 1:
        wanted = 6 if ipv6 else 4
        prefixes = [p for p in spec.prefixes if family_of(p) == wanted]
        if prefixes:
            statics.append("originated")
            routes = "\n".join(f"  route {p} blackhole;" for p in prefixes)
            out.append(f"protocol static originated {{\n{routes}\n}}")
        neighbors = [n for n in spec.neighbors if n.ipv6 == ipv6]
    else:
        for fam in (4, 6):
            prefixes = [p for p in spec.prefixes if family_of(p) == fam]
            if prefixes:
                name = f"originated{fam}"
                statics.append(name)
                routes = "\n".join(f"  route {p} blackhole;" for p in prefixes)
                out.append(f"protocol static {name} {{\n  ipv{fam};\n{routes}\n}}")
        neighbors = list(spec.neighbors)
    out.append(_bird_export_filter(spec, statics))
    for n in neighbors:
        body = _bird_neighbor_options(spec, n, version)
        if version == 2:
            fam = 6 if n.ipv6 else 4
            body.append(f"ipv{fam} {{ import all; export {_bird_export(spec)}; }};")
        inner = "\n".join(f"  {line}" for line in body)
        out.append(f"protocol bgp {n.name} {{\n{inner}\n}}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# GoBGP configuration
# ---------------------------------------------------------------------------------------------

def gobgp_config(spec: RouterSpec) -> str:
    """gobgpd TOML configuration (prefixes are added at run time with `gobgp global rib add`)."""
    out = ["[global.config]", f"  as = {spec.asn}", f'  router-id = "{spec.router_id}"',
           f"  port = {spec.listen_port}"]
    if spec.listen_address:
        out.append(f'  local-address-list = ["{spec.listen_address}"]')
    for n in spec.neighbors:
        out += ["", "[[neighbors]]", "  [neighbors.config]",
                f'    neighbor-address = "{n.address}"', f"    peer-as = {n.asn}"]
        if n.password:
            out.append(f'    auth-password = "{n.password}"')
        out += ["  [neighbors.timers.config]", f"    hold-time = {n.hold_time}",
                f"    keepalive-interval = {max(1, n.hold_time // 3)}",
                "    connect-retry = 1"]
        out += ["  [neighbors.transport.config]", f"    passive-mode = {str(n.passive).lower()}",
                f"    remote-port = {n.port}"]
        if n.local_address:
            out.append(f'    local-address = "{n.local_address}"')
        if n.rr_client:
            out += ["  [neighbors.route-reflector.config]", "    route-reflector-client = true",
                    f'    route-reflector-cluster-id = "{spec.cluster_id or spec.router_id}"']
        if spec.graceful_restart:
            out += ["  [neighbors.graceful-restart.config]", "    enabled = true",
                    f"    restart-time = {spec.restart_time}"]
        fam = "ipv6-unicast" if n.ipv6 else "ipv4-unicast"
        out += ["  [[neighbors.afi-safis]]", "    [neighbors.afi-safis.config]",
                f'      afi-safi-name = "{fam}"']
        if spec.graceful_restart:
            out += ["    [neighbors.afi-safis.mp-graceful-restart.config]", "      enabled = true"]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# FRR configuration
# ---------------------------------------------------------------------------------------------

def frr_config(spec: RouterSpec, log_path: Path) -> str:
    """FRR bgpd configuration (bgpd runs without zebra)."""
    out = ["frr defaults traditional", "hostname pcb-frr", f"log file {log_path} informational",
           "!", f"router bgp {spec.asn}", f" bgp router-id {spec.router_id}",
           " no bgp ebgp-requires-policy", " no bgp network import-check",
           " no bgp default ipv4-unicast"]
    if spec.cluster_id:
        out.append(f" bgp cluster-id {spec.cluster_id}")
    if spec.graceful_restart:
        out += [" bgp graceful-restart", f" bgp graceful-restart restart-time {spec.restart_time}"]
    for n in spec.neighbors:
        out.append(f" neighbor {n.address} remote-as {n.asn}")
        if n.port != 179:
            out.append(f" neighbor {n.address} port {n.port}")
        if n.passive:
            out.append(f" neighbor {n.address} passive")
        if n.password:
            out.append(f" neighbor {n.address} password {n.password}")
        if n.asn != spec.asn:
            out.append(f" neighbor {n.address} disable-connected-check")
        out.append(f" neighbor {n.address} timers {max(1, n.hold_time // 3)} {n.hold_time}")
        out.append(f" neighbor {n.address} timers connect 1")
    for fam in (4, 6):
        members = [n for n in spec.neighbors if (n.ipv6 if fam == 6 else not n.ipv6)]
        prefixes = [p for p in spec.prefixes if family_of(p) == fam]
        if not members and not prefixes:
            continue
        out.append(f" address-family ipv{fam} unicast")
        out += [f"  network {p} route-map ORIGINATED" for p in prefixes]
        for n in members:
            out.append(f"  neighbor {n.address} activate")
            if n.rr_client:
                out.append(f"  neighbor {n.address} route-reflector-client")
        out.append(" exit-address-family")
    out += ["!", "route-map ORIGINATED permit 10"]
    if spec.med is not None:
        out.append(f" set metric {spec.med}")
    if spec.communities:
        out.append(" set community " + " ".join(f"{a}:{b}" for a, b in spec.communities))
    out.append("!")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# Output parsers (pure)
# ---------------------------------------------------------------------------------------------

BIRD_STATES = {"established": "Established", "active": "Active", "connect": "Connect",
               "idle": "Idle", "opensent": "OpenSent", "openconfirm": "OpenConfirm",
               "passive": "Active", "down": "Idle", "close": "Idle"}


def parse_bird_protocol(text: str) -> SessionInfo:
    """Parse `birdc show protocols all NAME` into a SessionInfo."""
    state = "Idle"
    error = ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("BGP state:"):
            state = BIRD_STATES.get(stripped.split(":", 1)[1].strip().lower(), "Idle")
        elif stripped.startswith("Last error:"):
            error = stripped.split(":", 1)[1].strip()
    return SessionInfo(state, error)


def _parse_communities(text: str) -> frozenset[tuple[int, int]]:
    return frozenset((int(a), int(b)) for a, b in re.findall(r"\((\d+),\s*(\d+)\)", text))


def _route_from_attrs(prefix: str, attrs: Mapping[str, str]) -> Route:
    as_path = tuple(int(x) for x in re.findall(r"\d+", attrs.get("as_path", "")))
    med = attrs.get("med")
    lp = attrs.get("local_pref")
    return Route(
        prefix=prefix,
        next_hop=attrs.get("next_hop", "").split()[0] if attrs.get("next_hop") else "",
        as_path=as_path,
        origin=attrs.get("origin", ""),
        med=int(med) if med is not None else None,
        local_pref=int(lp) if lp is not None else None,
        communities=_parse_communities(attrs.get("community", "")),
        originator_id=attrs.get("originator_id"),
        cluster_list=tuple(attrs.get("cluster_list", "").split()),
    )


def parse_bird_routes(text: str) -> dict[str, Route]:
    """Parse `birdc show route all` (BIRD 1.6 or 2) into the best route per prefix."""
    routes: dict[str, Route] = {}
    prefix: str | None = None
    attrs: dict[str, str] = {}
    first = False

    def flush() -> None:
        if prefix is not None and first and prefix not in routes:
            routes[prefix] = _route_from_attrs(prefix, attrs)

    for line in text.splitlines():
        if not line.strip() or line.startswith(("BIRD ", "Table ", "Access restricted")):
            continue
        if not line[0].isspace():
            flush()
            prefix = line.split()[0]
            attrs, first = {}, True
        elif line.startswith(" "):
            flush()
            attrs, first = {}, False
        else:
            m = re.match(r"\s+BGP\.(\w+):\s*(.*)$", line)
            if m:
                attrs[m.group(1)] = m.group(2).strip()
    flush()
    return routes


def _gobgp_route(prefix: str, path: Mapping) -> Route:
    as_path: list[int] = []
    kw: dict = {}
    for attr in path.get("attrs", []):
        t = attr.get("type")
        if t == 1:
            kw["origin"] = {0: "IGP", 1: "EGP", 2: "Incomplete"}.get(attr.get("value"), "")
        elif t == 2:
            for seg in attr.get("as_paths", []):
                as_path.extend(seg.get("asns", []))
        elif t == 3:
            kw["next_hop"] = attr.get("nexthop", "")
        elif t == 4:
            kw["med"] = attr.get("metric")
        elif t == 5:
            kw["local_pref"] = attr.get("value")
        elif t == 8:
            kw["communities"] = frozenset((c >> 16, c & 0xFFFF) for c in attr.get("communities", []))
        elif t == 9:
            kw["originator_id"] = attr.get("value")
        elif t == 10:
            kw["cluster_list"] = tuple(attr.get("value", []))
        elif t == 14:
            hops = attr.get("nexthop") or []
            kw["next_hop"] = hops[0] if isinstance(hops, list) and hops else str(hops)
    return Route(prefix=prefix, as_path=tuple(as_path), **kw)


def parse_gobgp_rib(data: Mapping) -> dict[str, Route]:
    """Parse `gobgp global rib -j` output (prefix -> list of paths) into best routes."""
    routes = {}
    for prefix, paths in data.items():
        best = next((p for p in paths if p.get("best")), paths[0] if paths else None)
        if best is not None:
            routes[prefix] = _gobgp_route(prefix, best)
    return routes


def parse_frr_route(data: Mapping) -> Route | None:
    """Parse FRR `show bgp ipv4|ipv6 unicast PREFIX json` into its best route."""
    paths = data.get("paths") or []
    if not paths:
        return None
    best = next((p for p in paths if p.get("bestpath", {}).get("overall")), paths[0])
    aspath = best.get("aspath", {})
    community = best.get("community", {})
    clusters = best.get("clusterList", {})
    nh = best.get("nexthops") or [{}]
    return Route(
        prefix=data["prefix"],
        next_hop=nh[0].get("ip", ""),
        as_path=tuple(int(x) for x in re.findall(r"\d+", aspath.get("string", ""))),
        origin={"incomplete": "Incomplete"}.get(best.get("origin", ""), best.get("origin", "")),
        med=best.get("metric", best.get("med")),
        local_pref=best.get("locPrf", best.get("localpref")),
        communities=frozenset(tuple(int(v) for v in c.split(":"))
                              for c in community.get("string", "").split() if ":" in c),
        originator_id=best.get("originatorId"),
        cluster_list=tuple(clusters.get("list", [])),
    )


# ---------------------------------------------------------------------------------------------
# Our speaker (python -m node.bgp)
# ---------------------------------------------------------------------------------------------

def speaker_config(spec: RouterSpec, control_socket: Path, *, peer_kind: str = "global") -> dict:
    """The standalone speaker's configuration document (node/bgp/config.py format)."""
    doc: dict = {
        "router_id": spec.router_id,
        "asn": spec.asn,
        "listen_address": spec.listen_address or "::",
        "listen_port": spec.listen_port,
        "graceful_restart_time": spec.restart_time if spec.graceful_restart else 0,
        "control_socket": str(control_socket),
        "peers": [],
        "prefixes": [],
    }
    if spec.cluster_id:
        doc["cluster_id"] = spec.cluster_id
    for n in spec.neighbors:
        peer: dict = {"address": n.address, "asn": n.asn, "kind": peer_kind, "port": n.port,
                      "passive": n.passive, "rr_client": n.rr_client, "hold_time": n.hold_time,
                      "connect_retry_time": 1}
        if n.password:
            peer["password"] = n.password
        if n.local_address:
            peer["source_address"] = n.local_address
        if n.ttl_security:
            peer["ttl_security"] = True
        doc["peers"].append(peer)
    for prefix in spec.prefixes:
        entry: dict = {"prefix": prefix}
        if spec.med is not None:
            entry["med"] = spec.med
        if spec.communities:
            entry["communities"] = [f"{a}:{b}" for a, b in spec.communities]
        doc["prefixes"].append(entry)
    return doc


def parse_speaker_routes(data: Mapping, family: int) -> dict[str, Route]:
    """Parse our speaker's `routes json` reply (Loc-RIB best routes)."""
    routes = {}
    for entry in data.get("routes", []):
        prefix = entry["prefix"]
        if family_of(prefix) != family:
            continue
        routes[prefix] = Route(
            prefix=prefix, next_hop=str(entry.get("next_hop", "")),
            as_path=tuple(entry.get("as_path", ())), origin=str(entry.get("origin", "")),
            med=entry.get("med"), local_pref=entry.get("local_pref"),
            communities=frozenset(tuple(int(x) for x in c.split(":")) for c in entry.get("communities", ())),
            originator_id=entry.get("originator_id"), cluster_list=tuple(entry.get("cluster_list", ())))
    return routes
