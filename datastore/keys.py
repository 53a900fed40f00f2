"""Calico's etcd key layout as value objects that render to a path and parse back from one.

Layout (libcalico-go ``etcdv3`` backend, reference/internals.md §1):

    /calico/resources/v3/projectcalico.org/<plural>/<name>                 cluster-scoped v3 resource
    /calico/resources/v3/projectcalico.org/<plural>/<namespace>/<name>     namespaced v3 resource
    /calico/ipam/v2/assignment/ipv4/block/10.244.42.64-26                  AllocationBlock
    /calico/ipam/v2/host/<node>/ipv4/block/10.244.42.64-26                 block affinity (type host)
    /calico/ipam/v2/virtual/<name>/ipv4/block/10.244.42.64-26              block affinity (type virtual)
    /calico/ipam/v2/host/<node>                                            legacy IPAM host marker
    /calico/ipam/v2/handle/<handle id>                                     IPAM handle
    /calico/ipam/v2/config                                                 IPAM settings
    /calico/felix/v2/<region>/host/<hostname>/status                       felix status (leased)
    /calico/felix/v2/<region>/host/<hostname>/last_reported_status         felix status (no lease)

CIDRs in keys have their ``/`` replaced by ``-``. Listing prefixes end in ``/`` so that ``/a`` does not
match ``/ab``. ``parse_key`` turns any of these paths back into its key object (ValueError otherwise).
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from datastore.resources.kinds import KindInfo

RESOURCES_PREFIX = "/calico/resources/v3/projectcalico.org/"
IPAM_PREFIX = "/calico/ipam/v2/"
FELIX_PREFIX = "/calico/felix/v2/"

IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]



def _segment(value: str, what: str) -> str:
    if not value or "/" in value:
        raise ValueError(f"invalid {what} {value!r} for a datastore key")
    return value


@cache
def _kinds() -> "tuple[dict[str, KindInfo], dict[str, KindInfo]]":
    """The kind registry by kind and by plural, imported on first use so that IPAM-only users
    (the CNI plugin) do not pay for loading every resource class."""
    from datastore.resources.kinds import KINDS

    return KINDS, {info.plural: info for info in KINDS.values()}


def _kind_info(kind: str) -> "KindInfo":
    """The KindInfo of a canonical kind name (ValueError for an unknown kind)."""
    try:
        return _kinds()[0][kind]
    except KeyError:
        raise ValueError(f"unknown kind {kind!r}") from None


@dataclass(frozen=True, slots=True)
class ResourceKey:
    """A v3 resource: ``kind`` is the canonical kind (``IPPool``); ``namespace`` only for namespaced kinds."""

    kind: str
    name: str
    namespace: str = ""

    def __post_init__(self) -> None:
        info = _kind_info(self.kind)
        _segment(self.name, "name")
        if info.namespaced:
            _segment(self.namespace, "namespace")
        elif self.namespace:
            raise ValueError(f"{self.kind} is not namespaced")

    @property
    def path(self) -> str:
        info = _kind_info(self.kind)
        if info.namespaced:
            return f"{RESOURCES_PREFIX}{info.plural}/{self.namespace}/{self.name}"
        return f"{RESOURCES_PREFIX}{info.plural}/{self.name}"

    def __str__(self) -> str:
        return self.path


def resource_prefix(kind: str, namespace: str | None = None) -> str:
    """The listing prefix for a kind (all namespaces when ``namespace`` is None or empty)."""
    info = _kind_info(kind)
    if info.namespaced and namespace:
        return f"{RESOURCES_PREFIX}{info.plural}/{_segment(namespace, 'namespace')}/"
    return f"{RESOURCES_PREFIX}{info.plural}/"


def _cidr_segment(cidr: IPNetwork) -> str:
    return f"{cidr.network_address}-{cidr.prefixlen}"


def _parse_cidr_segment(text: str) -> IPNetwork:
    address, sep, length = text.rpartition("-")
    if not sep:
        raise ValueError(f"invalid CIDR segment {text!r}")
    return ipaddress.ip_network(f"{address}/{length}")


def _network(cidr: "IPNetwork | str") -> IPNetwork:
    return cidr if isinstance(cidr, (ipaddress.IPv4Network, ipaddress.IPv6Network)) else ipaddress.ip_network(cidr)


@dataclass(frozen=True, slots=True)
class BlockKey:
    """An IPAM AllocationBlock, keyed by its CIDR."""

    cidr: IPNetwork

    def __post_init__(self) -> None:
        object.__setattr__(self, "cidr", _network(self.cidr))

    @property
    def path(self) -> str:
        return f"{IPAM_PREFIX}assignment/ipv{self.cidr.version}/block/{_cidr_segment(self.cidr)}"

    def __str__(self) -> str:
        return self.path


def block_prefix(version: int) -> str:
    """The listing prefix of all blocks of one IP version (4 or 6)."""
    return f"{IPAM_PREFIX}assignment/ipv{version}/block/"


@dataclass(frozen=True, slots=True)
class BlockAffinityKey:
    """A block's affinity to a host (``affinity_type`` "host") or a virtual owner ("virtual")."""

    host: str
    cidr: IPNetwork
    affinity_type: str = "host"

    def __post_init__(self) -> None:
        _segment(self.host, "host")
        if self.affinity_type not in ("host", "virtual"):
            raise ValueError(f"invalid affinity type {self.affinity_type!r}")
        object.__setattr__(self, "cidr", _network(self.cidr))

    @property
    def path(self) -> str:
        return (f"{IPAM_PREFIX}{self.affinity_type}/{self.host}/ipv{self.cidr.version}/block/"
                f"{_cidr_segment(self.cidr)}")

    def __str__(self) -> str:
        return self.path


def block_affinity_prefix(host: str | None = None, version: int | None = None, affinity_type: str = "host") -> str:
    """Listing prefix of affinities: all of a type, all of one host, or one host and IP version."""
    if host is None:
        return f"{IPAM_PREFIX}{affinity_type}/"
    if version is None:
        return f"{IPAM_PREFIX}{affinity_type}/{_segment(host, 'host')}/"
    return f"{IPAM_PREFIX}{affinity_type}/{_segment(host, 'host')}/ipv{version}/block/"


@dataclass(frozen=True, slots=True)
class IPAMHostKey:
    """The legacy per-host IPAM marker (only ever deleted, when a node is removed)."""

    host: str

    def __post_init__(self) -> None:
        _segment(self.host, "host")

    @property
    def path(self) -> str:
        return f"{IPAM_PREFIX}host/{self.host}"

    def __str__(self) -> str:
        return self.path


@dataclass(frozen=True, slots=True)
class HandleKey:
    """An IPAM handle (one workload's or tunnel's allocations)."""

    handle_id: str

    def __post_init__(self) -> None:
        _segment(self.handle_id, "handle id")

    @property
    def path(self) -> str:
        return f"{IPAM_PREFIX}handle/{self.handle_id}"

    def __str__(self) -> str:
        return self.path


HANDLE_PREFIX = f"{IPAM_PREFIX}handle/"


@dataclass(frozen=True, slots=True)
class IPAMConfigKey:
    """The IPAM library's settings key (a singleton)."""

    @property
    def path(self) -> str:
        return f"{IPAM_PREFIX}config"

    def __str__(self) -> str:
        return self.path


@dataclass(frozen=True, slots=True)
class FelixStatusKey:
    """Felix's per-host status report (``last_reported`` selects the copy without a lease)."""

    hostname: str
    region: str = "no-region"
    last_reported: bool = False

    def __post_init__(self) -> None:
        _segment(self.hostname, "hostname")
        _segment(self.region, "region")

    @property
    def path(self) -> str:
        leaf = "last_reported_status" if self.last_reported else "status"
        return f"{FELIX_PREFIX}{self.region}/host/{self.hostname}/{leaf}"

    def __str__(self) -> str:
        return self.path


Key = Union[ResourceKey, BlockKey, BlockAffinityKey, IPAMHostKey, HandleKey, IPAMConfigKey, FelixStatusKey]


def parse_key(path: str) -> Key:
    """The key object a datastore path denotes; ValueError for anything outside the layout."""
    try:
        key = _parse(path)
    except (ValueError, KeyError, IndexError) as exc:
        raise ValueError(f"not a Calico datastore key: {path!r}") from exc
    if key.path != path:
        raise ValueError(f"not a Calico datastore key: {path!r}")
    return key


def _parse(path: str) -> Key:
    if path.startswith(RESOURCES_PREFIX):
        parts = path[len(RESOURCES_PREFIX):].split("/")
        info = _kinds()[1][parts[0]]
        if info.namespaced and len(parts) == 3:
            return ResourceKey(info.kind, parts[2], parts[1])
        if not info.namespaced and len(parts) == 2:
            return ResourceKey(info.kind, parts[1])
        raise ValueError(path)
    if path.startswith(IPAM_PREFIX):
        parts = path[len(IPAM_PREFIX):].split("/")
        if parts == ["config"]:
            return IPAMConfigKey()
        if parts[0] == "handle" and len(parts) == 2:
            return HandleKey(parts[1])
        if parts[0] == "assignment" and len(parts) == 4 and parts[2] == "block":
            return BlockKey(_parse_cidr_segment(parts[3]))
        if parts[0] == "host" and len(parts) == 2:
            return IPAMHostKey(parts[1])
        if parts[0] in ("host", "virtual") and len(parts) == 5 and parts[3] == "block":
            return BlockAffinityKey(parts[1], _parse_cidr_segment(parts[4]), parts[0])
        raise ValueError(path)
    if path.startswith(FELIX_PREFIX):
        parts = path[len(FELIX_PREFIX):].split("/")
        if len(parts) == 4 and parts[1] == "host" and parts[3] in ("status", "last_reported_status"):
            return FelixStatusKey(parts[2], parts[0], parts[3] == "last_reported_status")
    raise ValueError(path)
