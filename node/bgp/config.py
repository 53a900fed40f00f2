"""Speaker configuration: immutable values plus a loader for YAML or JSON files.

``SpeakerConfig`` is what ``Speaker.apply`` reconciles; ``FileConfig`` adds what only the
standalone process needs (control socket path). File format (YAML or JSON, same keys)::

    router_id: 198.18.0.1          # required, dotted quad
    asn: 64512                     # required, 1..4294967295 (asplain or asdot "1.10")
    listen_address: 198.18.0.1     # default "::" (all addresses, v4 and v6); null = no listener
    listen_port: 179
    cluster_id: 198.18.0.1         # route-reflector cluster id, default = router_id
    graceful_restart_time: 120     # advertised restart time, 0 disables GR
    stale_path_time: 360           # GR helper: longest wait for a re-established peer's End-of-RIB
    control_socket: /var/run/calico/bird.ctl
    peers:
      - address: 198.18.0.2        # required
        asn: 64512                 # required
        name: Mesh_198_18_0_2      # default <Kind>_<address with . or : replaced by _>
        kind: node-to-node mesh    # node-to-node mesh | global | node specific (default global)
        port: 179
        passive: false
        password: secret           # TCP MD5 (RFC 2385)
        rr_client: false
        families: [ipv4]           # default: the family of the peer address
        hold_time: 240             # BIRD's default
        keepalive_time: null       # default hold_time / 3
        connect_retry_time: 5      # Calico's bird.cfg template
        error_wait_time: 5         # Idle time after an error before retrying (BIRD "error wait time")
        ttl_security: false        # GTSM: send TTL 255, require IP_MINTTL 255 (RFC 5082)
        source_address: null       # local address for outgoing connections
        next_hop_self: false       # always announce ourselves as next hop (BIRD "next hop self")
        next_hop_keep: false       # never change the next hop towards eBGP ("next hop keep")
    prefixes:
      - prefix: 10.65.0.0/26       # required
        next_hop: null             # default: our session address towards each peer
        origin: igp                # igp | egp | incomplete
        med: null
        local_pref: null
        communities: ["64512:100"]

``ConfigError`` carries the field path and message for bad user input.
"""
from __future__ import annotations

import enum
import functools
import ipaddress
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .constants import AFI, SAFI, OriginCode

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Family = tuple[AFI, SAFI]

_FAMILY_NAMES = {"ipv4": (AFI.IPV4, SAFI.UNICAST), "ipv6": (AFI.IPV6, SAFI.UNICAST)}


class ConfigError(ValueError):
    """A bad value in a speaker configuration, with the path of the offending field."""

    def __init__(self, path: str, message: str):
        self.path = path
        super().__init__(f"{path}: {message}")


class PeerKind(enum.Enum):
    """How the peering came about; drives the protocol name prefix and ``node status`` PEER TYPE."""

    MESH = "node-to-node mesh"
    GLOBAL = "global"
    NODE = "node specific"

    @property
    def prefix(self) -> str:
        """The BIRD protocol-name prefix calico uses (``Mesh_``, ``Global_``, ``Node_``)."""
        return {PeerKind.MESH: "Mesh", PeerKind.GLOBAL: "Global", PeerKind.NODE: "Node"}[self]


def protocol_name(kind: PeerKind, address: IPAddress) -> str:
    """Calico's BIRD protocol name for a peer, e.g. ``Mesh_172_17_8_102``."""
    text = str(address).replace(".", "_").replace(":", "_")
    return f"{kind.prefix}_{text}"


@dataclass(frozen=True)
class PeerConfig:
    """One configured BGP neighbour."""

    address: IPAddress
    asn: int
    kind: PeerKind = PeerKind.GLOBAL
    name: str = ""
    port: int = 179
    passive: bool = False
    password: str | None = None
    rr_client: bool = False
    families: tuple[Family, ...] = ()
    hold_time: int = 240
    keepalive_time: int | None = None
    connect_retry_time: int = 5
    error_wait_time: int = 5
    ttl_security: bool = False
    source_address: IPAddress | None = None
    next_hop_self: bool = False
    next_hop_keep: bool = False

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", protocol_name(self.kind, self.address))
        if not self.families:
            family = _FAMILY_NAMES["ipv4" if self.address.version == 4 else "ipv6"]
            object.__setattr__(self, "families", (family,))
        _check_asn("asn", self.asn)
        if self.hold_time != 0 and not 3 <= self.hold_time <= 65535:
            raise ConfigError("hold_time", f"must be 0 or 3..65535, not {self.hold_time}")
        if self.connect_retry_time <= 0 or self.error_wait_time <= 0:
            raise ConfigError("connect_retry_time", "connect retry and error wait times must be positive")
        if not 0 < self.port < 65536:
            raise ConfigError("port", f"must be 1..65535, not {self.port}")
        if self.password is not None and len(self.password.encode()) > 80:
            raise ConfigError("password", "TCP MD5 keys are at most 80 octets")

    @functools.cached_property
    def key(self) -> str:
        """Identity of the peer in a speaker (address and port; a string, as the RIB wants non-tuple keys)."""
        if self.port == 179:
            return str(self.address)
        return f"[{self.address}]:{self.port}" if self.address.version == 6 else f"{self.address}:{self.port}"


@dataclass(frozen=True)
class OriginatedRoute:
    """A locally originated prefix and the attributes to announce it with."""

    prefix: IPNetwork
    next_hop: IPAddress | None = None
    origin: OriginCode = OriginCode.IGP
    med: int | None = None
    local_pref: int | None = None
    communities: tuple[int, ...] = ()


@dataclass(frozen=True)
class SpeakerConfig:
    """Everything ``Speaker.apply`` reconciles."""

    router_id: ipaddress.IPv4Address
    asn: int
    listen_address: str | None = "::"
    listen_port: int = 179
    cluster_id: ipaddress.IPv4Address | None = None
    graceful_restart_time: int = 120
    stale_path_time: int = 360
    peers: tuple[PeerConfig, ...] = ()
    prefixes: tuple[OriginatedRoute, ...] = ()

    def __post_init__(self) -> None:
        _check_asn("asn", self.asn)
        if not 0 <= self.graceful_restart_time <= 0xFFF:
            raise ConfigError("graceful_restart_time", "must be 0..4095")
        if self.stale_path_time < 1:
            raise ConfigError("stale_path_time", "must be at least 1")
        seen: set[str] = set()
        for i, peer in enumerate(self.peers):
            if peer.key in seen:
                raise ConfigError(f"peers[{i}].address", f"duplicate peer {peer.address} port {peer.port}")
            seen.add(peer.key)

    @property
    def effective_cluster_id(self) -> ipaddress.IPv4Address:
        """The cluster id used when reflecting: configured, else the router id (RFC 4456)."""
        return self.cluster_id or self.router_id


@dataclass(frozen=True)
class FileConfig:
    """A standalone speaker's file: the speaker configuration and the control socket path."""

    speaker: SpeakerConfig
    control_socket: str | None = None


def _check_asn(path: str, asn: int) -> None:
    if not 1 <= asn <= 0xFFFFFFFF:
        raise ConfigError(path, f"AS number {asn} is out of range 1..4294967295")


def parse_asn(value: Any, path: str) -> int:
    """An AS number in asplain (``65000``) or asdot (``1.10``) notation."""
    if isinstance(value, bool):
        raise ConfigError(path, "AS number must be an integer")
    if isinstance(value, int):
        asn = value
    elif isinstance(value, str) and value.count(".") == 1:
        high, _, low = value.partition(".")
        if not (high.isdigit() and low.isdigit()) or int(high) > 0xFFFF or int(low) > 0xFFFF:
            raise ConfigError(path, f"invalid AS number {value!r}")
        asn = (int(high) << 16) | int(low)
    elif isinstance(value, str) and value.isdigit():
        asn = int(value)
    else:
        raise ConfigError(path, f"invalid AS number {value!r}")
    _check_asn(path, asn)
    return asn


def _take(data: dict[str, Any], path: str, allowed: set[str]) -> None:
    if not isinstance(data, dict):
        raise ConfigError(path or ".", "must be a mapping")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(f"{path}.{unknown[0]}" if path else unknown[0], "unknown field")


def _ip(value: Any, path: str) -> IPAddress:
    try:
        return ipaddress.ip_address(str(value))
    except ValueError:
        raise ConfigError(path, f"invalid IP address {value!r}") from None


def _int(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(path, f"must be an integer, not {value!r}")
    return value


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(path, f"must be true or false, not {value!r}")
    return value


def _community(value: Any, path: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 0xFFFFFFFF:
        return value
    text = str(value)
    high, sep, low = text.partition(":")
    if sep and high.isdigit() and low.isdigit() and int(high) <= 0xFFFF and int(low) <= 0xFFFF:
        return (int(high) << 16) | int(low)
    raise ConfigError(path, f"invalid community {value!r} (want N:M)")


_PEER_FIELDS = {"address", "asn", "name", "kind", "port", "passive", "password", "rr_client", "families",
                "hold_time", "keepalive_time", "connect_retry_time", "error_wait_time", "ttl_security", "source_address",
                "next_hop_self", "next_hop_keep"}
_PREFIX_FIELDS = {"prefix", "next_hop", "origin", "med", "local_pref", "communities"}
_TOP_FIELDS = {"router_id", "asn", "listen_address", "listen_port", "cluster_id", "graceful_restart_time",
               "stale_path_time",
               "control_socket", "peers", "prefixes"}


def _peer(data: dict[str, Any], path: str) -> PeerConfig:
    _take(data, path, _PEER_FIELDS)
    for required in ("address", "asn"):
        if required not in data:
            raise ConfigError(f"{path}.{required}", "required field is missing")
    kw: dict[str, Any] = {"address": _ip(data["address"], f"{path}.address"),
                          "asn": parse_asn(data["asn"], f"{path}.asn")}
    if "kind" in data:
        try:
            kw["kind"] = PeerKind(data["kind"])
        except ValueError:
            choices = ", ".join(k.value for k in PeerKind)
            raise ConfigError(f"{path}.kind", f"must be one of: {choices}") from None
    for name in ("name", "password"):
        if data.get(name) is not None:
            kw[name] = str(data[name])
    for name in ("port", "hold_time", "connect_retry_time", "error_wait_time"):
        if name in data:
            kw[name] = _int(data[name], f"{path}.{name}")
    if data.get("keepalive_time") is not None:
        kw["keepalive_time"] = _int(data["keepalive_time"], f"{path}.keepalive_time")
    for name in ("passive", "rr_client", "ttl_security", "next_hop_self", "next_hop_keep"):
        if name in data:
            kw[name] = _bool(data[name], f"{path}.{name}")
    if data.get("source_address") is not None:
        kw["source_address"] = _ip(data["source_address"], f"{path}.source_address")
    if "families" in data:
        families = []
        for i, name in enumerate(data["families"] or ()):
            if name not in _FAMILY_NAMES:
                raise ConfigError(f"{path}.families[{i}]", f"unknown family {name!r} (ipv4 or ipv6)")
            families.append(_FAMILY_NAMES[name])
        kw["families"] = tuple(families)
    try:
        return PeerConfig(**kw)
    except ConfigError as exc:
        raise ConfigError(f"{path}.{exc.path}", str(exc).split(": ", 1)[1]) from None


def _prefix(data: Any, path: str) -> OriginatedRoute:
    if isinstance(data, str):
        data = {"prefix": data}
    _take(data, path, _PREFIX_FIELDS)
    if "prefix" not in data:
        raise ConfigError(f"{path}.prefix", "required field is missing")
    try:
        network = ipaddress.ip_network(str(data["prefix"]))
    except ValueError:
        raise ConfigError(f"{path}.prefix", f"invalid CIDR {data['prefix']!r}") from None
    kw: dict[str, Any] = {"prefix": network}
    if data.get("next_hop") is not None:
        kw["next_hop"] = _ip(data["next_hop"], f"{path}.next_hop")
    if "origin" in data:
        try:
            kw["origin"] = OriginCode[str(data["origin"]).upper()]
        except KeyError:
            raise ConfigError(f"{path}.origin", "must be igp, egp or incomplete") from None
    for name in ("med", "local_pref"):
        if data.get(name) is not None:
            value = _int(data[name], f"{path}.{name}")
            if not 0 <= value <= 0xFFFFFFFF:
                raise ConfigError(f"{path}.{name}", "must fit in 32 bits")
            kw[name] = value
    if data.get("communities"):
        kw["communities"] = tuple(_community(c, f"{path}.communities[{i}]")
                                  for i, c in enumerate(data["communities"]))
    return OriginatedRoute(**kw)


def config_from_dict(data: dict[str, Any]) -> FileConfig:
    """Build and validate a FileConfig from parsed YAML/JSON."""
    _take(data, "", _TOP_FIELDS)
    for required in ("router_id", "asn"):
        if required not in data:
            raise ConfigError(required, "required field is missing")
    router_id = _ip(data["router_id"], "router_id")
    if router_id.version != 4:
        raise ConfigError("router_id", "must be an IPv4 dotted quad")
    kw: dict[str, Any] = {"router_id": router_id, "asn": parse_asn(data["asn"], "asn")}
    if "listen_address" in data:
        listen = data["listen_address"]
        kw["listen_address"] = None if listen is None else str(_ip(listen, "listen_address"))
    if "listen_port" in data:
        kw["listen_port"] = _int(data["listen_port"], "listen_port")
    if data.get("cluster_id") is not None:
        cluster = _ip(data["cluster_id"], "cluster_id")
        if cluster.version != 4:
            raise ConfigError("cluster_id", "must be an IPv4 dotted quad")
        kw["cluster_id"] = cluster
    for name in ("graceful_restart_time", "stale_path_time"):
        if name in data:
            kw[name] = _int(data[name], name)
    kw["peers"] = tuple(_peer(p, f"peers[{i}]") for i, p in enumerate(data.get("peers") or ()))
    kw["prefixes"] = tuple(_prefix(p, f"prefixes[{i}]") for i, p in enumerate(data.get("prefixes") or ()))
    control = data.get("control_socket")
    return FileConfig(speaker=SpeakerConfig(**kw), control_socket=None if control is None else str(control))


def load_config(path: str | Path) -> FileConfig:
    """Read a JSON or YAML speaker file (YAML only when PyYAML is importable)."""
    text = Path(path).read_text()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as json_error:
        try:
            import yaml
        except ImportError:
            raise ConfigError(str(path), f"not valid JSON ({json_error}) and PyYAML is not installed") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(str(path), f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(str(path), "the top level must be a mapping")
    return config_from_dict(data)
