"""The typed datastore client: v3 resources in, v3 resources out, over any Backend.

What it adds on top of the raw key/value backend (libcalico-go ``clientv3`` semantics):
- storage as Calico does it: the key of ``datastore.keys.ResourceKey``, the value the compact Go JSON
  of the whole object with ``resourceVersion`` and ``selfLink`` cleared; ``resourceVersion`` of every
  returned object is the key's mod_revision (a list also carries the store revision);
- create stamps ``uid`` and ``creationTimestamp``; update keeps them (and every other server-side
  field) from the stored object, taking only labels and annotations from the input;
- defaults, IPPool's client-side checks (overlap with other pools, block size vs. existing blocks),
  struct validation, read-only kinds, and the synthesized ``projectcalico-default-allow`` profile;
- cross-resource rules: an IPIP/VXLAN pool switches the encapsulation on in FelixConfiguration
  ``default``; deleting a pool disables it and releases its block affinities; deleting a Node cleans
  up its addresses, endpoints, affinities, peers and per-node configuration; policies need their tier,
  and the built-in or non-empty tiers cannot be deleted;
- calicoctl's apply (create, else update; without a resourceVersion retried up to 5 times on
  conflict) and a bulk ``apply_many`` that lists each affected prefix once before writing;
- ``ensure_initialized``: ClusterInformation ``default`` and the ``default`` / ``adminnetworkpolicy`` tiers;
- ``watch``: typed change events from a list's resourceVersion.

Every write is one compare-and-swap on the backend; invalid input is rejected before anything is written.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime
import functools
import ipaddress
import json
import time
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Callable

from datastore import keys
from datastore.backend.base import Backend, KeyValue
from datastore.errors import (
    AlreadyExists,
    Conflict,
    DatastoreError,
    FieldError,
    NotFound,
    OperationNotSupported,
    ParseError,
    ResourceId,
    Unavailable,
    ValidationError,
    retry_on_conflict,
)
from datastore.resources import API_VERSION, KINDS, dumps, from_dict, to_dict, with_defaults
from datastore.resources.serde import format_timestamp

APPLY_ATTEMPTS = 5
BATCH_OPS = 100  # creates per etcd transaction (etcd's default --max-txn-ops is 128)
BATCH_BYTES = 512 * 1024  # stored bytes per transaction (etcd's default request limit is 1.5 MiB)
POOL_DELETE_PAUSE = 0.5
DEFAULT_ALLOW_PROFILE = "projectcalico-default-allow"
READ_ONLY_KINDS = frozenset({"ClusterInformation"})
_TIERS = (("default", 1000000, "Deny"), ("adminnetworkpolicy", 1000, "Pass"))
PROTECTED_TIERS = frozenset(name for name, _, _ in _TIERS)
TIERED_KINDS = ("NetworkPolicy", "GlobalNetworkPolicy")
TIER_LABEL = "projectcalico.org/tier"
# Policies Kubernetes owns (calicoctl resourcemgr: conversion.K8sNetworkPolicyNamePrefix and the
# admin network policy prefix): refused on create, update and delete with these reasons.
KUBERNETES_OWNED = {
    "NetworkPolicy": ("knp.default.", "kubernetes network policies must be managed through the kubernetes API"),
    "GlobalNetworkPolicy": ("kanp.adminnetworkpolicy.",
                            "kubernetes admin network policies must be managed through the kubernetes API"),
}


@dataclass(frozen=True)
class _PendingCreate:
    """A prepared create of a bulk apply waiting for its batch write (``index``: its outcome slot)."""

    index: int
    resource: Any
    key: str
    stamped: Any
    value: bytes


@dataclass
class _BulkRun:
    """The state of one ``apply_many``: listed keys, known pools/blocks/tiers, queued creates, outcomes."""

    stored: dict[str, KeyValue]
    pools: "PoolIndex | None"
    blocks: list[str] | None
    tiers: set[str] | None
    outcomes: list[Any] = dataclasses.field(default_factory=list)
    pending: list[_PendingCreate] = dataclasses.field(default_factory=list)
    pending_keys: set[str] = dataclasses.field(default_factory=set)
    pending_bytes: int = 0
    unavailable: Unavailable | None = None


class ResourceList(tuple):
    """The resources of a list call plus ``resource_version``: the store revision it was read at."""

    resource_version: str

    def __new__(cls, items: Iterable[Any] = (), resource_version: str = "") -> "ResourceList":
        self = super().__new__(cls, items)
        self.resource_version = resource_version
        return self


@dataclass(frozen=True)
class BulkOutcome:
    """One resource's result in ``apply_many``: the stored resource, or the error it hit."""

    resource: Any = None
    error: DatastoreError | None = None


def _now() -> str:
    return format_timestamp(datetime.datetime.now(datetime.timezone.utc))


def _new_uid() -> str:
    import uuid

    return str(uuid.uuid4())


def _new_guid() -> str:
    import uuid

    return uuid.uuid4().hex


def _default_allow_profile() -> Any:
    """The synthesized ``projectcalico-default-allow`` Profile (its kind module loaded on first use)."""
    from datastore.resources.policy import default_allow_profile as profile

    return profile()


def _start(item: tuple[int, str]) -> int:
    return item[0]


@functools.lru_cache(maxsize=4096)
def _pool_network(cidr: str) -> Any:
    """The network of a pool CIDR as the validator parses it (ValueError if it does not); memoised,
    as a bulk apply parses each new pool's CIDR for its overlap check and again for the index."""
    from datastore.validation.netparse import parse_cidr

    return parse_cidr(cidr).network


class PoolIndex:
    """IPPools by network, for the overlap check of a new pool in O(log n) instead of a scan.

    Two CIDRs overlap exactly when one contains the other, so the pools overlapping a network are
    those stored at one of its supernets (one lookup per prefix length) plus those whose network
    starts inside it (a bisect over the sorted start addresses); only the prefix lengths some pool has
    are looked up. Networks are parsed with the validator's ``parse_cidr``, once per pool; pools it
    cannot parse are always candidates (the validator skips them itself). ``overlapping`` returns
    pools in insertion order, as a scan would.
    """

    def __init__(self, pools: Iterable[tuple[str, Any]] = ()):
        self._pools: dict[str, Any] = {}
        self._position: dict[str, int] = {}
        self._added = 0
        self._network: dict[str, Any] = {}
        self._unparsed: set[str] = set()
        self._exact: dict[tuple[int, int, int], set[str]] = {}
        self._starts: dict[int, list[tuple[int, str]]] = {4: [], 6: []}
        self._lengths: dict[int, dict[int, int]] = {4: {}, 6: {}}
        for key, pool in pools:
            self.put(key, pool)

    def put(self, key: str, pool: Any) -> None:
        """Add or replace the pool stored at ``key``."""
        self._drop(key)
        if key not in self._position:
            self._position[key] = self._added
            self._added += 1
        self._pools[key] = pool
        try:
            network = _pool_network(pool.spec.cidr)
        except ValueError:
            self._unparsed.add(key)
            return
        self._network[key] = network
        start = int(network.network_address)
        self._exact.setdefault((network.version, start, network.prefixlen), set()).add(key)
        insort(self._starts[network.version], (start, key))
        lengths = self._lengths[network.version]
        lengths[network.prefixlen] = lengths.get(network.prefixlen, 0) + 1

    def remove(self, key: str) -> None:
        """Forget the pool stored at ``key`` (if any)."""
        self._drop(key)
        self._pools.pop(key, None)
        self._position.pop(key, None)

    def _drop(self, key: str) -> None:
        self._unparsed.discard(key)
        network = self._network.pop(key, None)
        if network is not None:
            start = int(network.network_address)
            self._exact[(network.version, start, network.prefixlen)].discard(key)
            self._starts[network.version].remove((start, key))
            lengths = self._lengths[network.version]
            lengths[network.prefixlen] -= 1
            if not lengths[network.prefixlen]:
                del lengths[network.prefixlen]

    def overlapping(self, network: Any) -> list[Any]:
        """The pools whose network overlaps ``network`` (and the unparseable ones), in insertion order."""
        found = set(self._unparsed)
        start, bits = int(network.network_address), network.max_prefixlen
        for length in self._lengths[network.version]:
            if length <= network.prefixlen:
                masked = start >> (bits - length) << (bits - length)
                found.update(self._exact.get((network.version, masked, length), ()))
        starts = self._starts[network.version]
        low = bisect_left(starts, start, key=_start)
        high = bisect_right(starts, int(network.broadcast_address), key=_start)
        found.update(key for _, key in starts[low:high])
        return [self._pools[key] for key in sorted(found, key=self._position.__getitem__)]


def _ident(resource: Any) -> ResourceId:
    return ResourceId(resource.KIND.kind, resource.metadata.name, resource.metadata.namespace)


class Client:
    """Typed CRUD over a Backend (see the module docstring for the semantics)."""

    def __init__(self, backend: Backend, *, clock: Callable[[], str] = _now, new_uid: Callable[[], str] = _new_uid,
                 pool_delete_pause: float = POOL_DELETE_PAUSE):
        self.backend = backend
        self._clock = clock
        self._new_uid = new_uid
        self.pool_delete_pause = pool_delete_pause

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- keys and (de)serialisation ------------------------------------------------------------

    @staticmethod
    def _key(kind: str, name: str, namespace: str = "") -> str:
        info = KINDS.get(kind)
        if info is None:
            raise ValueError(f"unknown kind {kind!r}")
        if not name:
            raise ValidationError([FieldError("Metadata.Name", "", "field must be set for a Create request")])
        if info.namespaced and not namespace:
            raise ValidationError([FieldError("Metadata.Namespace", None, "namespace is not specified on namespaced "
                                                                    "resource", has_value=False)])
        try:
            return keys.ResourceKey(kind, name, namespace if info.namespaced else "").path
        except ValueError as exc:
            raise ValidationError([FieldError("Metadata.Name", name, str(exc))]) from None

    @staticmethod
    def encode(resource: Any) -> bytes:
        """The stored value: compact Go JSON of the object without resourceVersion and selfLink."""
        meta = resource.metadata
        stored = resource.with_metadata(resource_version="", self_link="") if (
            meta.resource_version or meta.self_link) else resource
        return dumps(to_dict(stored)).encode()

    @staticmethod
    def decode(kv: KeyValue) -> Any:
        """A stored value as a resource whose resourceVersion is the key's mod_revision.

        Policies read back as libcalico-go returns them: an empty ``spec.tier`` is taken from the
        name (``<tier>.<name>``, else ``default``) and the ``projectcalico.org/tier`` label is added.
        Unknown fields are ignored (libcalico-go decodes stored values with a plain ``json.Unmarshal``,
        so objects written by a newer Calico read fine); a value that is not a resource raises a
        one-line ParseError naming the key.
        """
        try:
            resource = from_dict(json.loads(kv.value), strict=False)
        except (ValueError, ParseError) as exc:
            raise ParseError(f"cannot parse the stored value of {kv.key}: {exc}") from None
        resource = resource.with_metadata(resource_version=str(kv.mod_revision))
        if resource.KIND.kind in TIERED_KINDS:
            resource = _with_tier_filled(resource)
        return resource

    @classmethod
    def decode_readable(cls, items: Iterable[KeyValue]) -> Iterable[tuple[KeyValue, Any]]:
        """The stored values that decode, with their resources; the others are skipped, as
        libcalico-go's etcdv3 list (``convertListResponse``) skips them."""
        for kv in items:
            try:
                yield kv, cls.decode(kv)
            except ParseError:
                continue

    # -- checks ----------------------------------------------------------------------------------

    @staticmethod
    def _check_read_only(kind: str, operation: str, reason: str = "") -> None:
        if kind in READ_ONLY_KINDS:
            raise OperationNotSupported(operation, kind, reason)

    def _prepare(self, resource: Any, current: Any | None, others: PoolIndex | None = None,
                 blocks: list[str] | None = None) -> Any:
        """Defaults + client-side checks + validation; ``current`` is the stored object on update.

        ``others``/``blocks`` let a bulk caller pass what it already holds (the stored pools, block CIDRs).
        """
        kind = resource.KIND.kind
        if kind == "IPPool":
            resource = self._prepare_ippool(resource, current, others, blocks)
        resource = with_defaults(resource)
        from datastore.validation import validate

        validate(resource)
        if kind in TIERED_KINDS:
            _check_tiered_policy_name(resource)
        elif kind == "BGPPeer" and resource.spec.filters:
            from datastore.validation import check_bgppeer_filters

            check_bgppeer_filters(to_dict(resource), self._bgp_filter_names())
        return resource

    def _bgp_filter_names(self) -> set[str]:
        items, _ = self.backend.list(keys.resource_prefix("BGPFilter"))
        return {keys.parse_key(kv.key).name for kv in items}

    def _prepare_ippool(self, pool: Any, current: Any | None, others: PoolIndex | None,
                        blocks: list[str] | None) -> Any:
        from datastore.validation.ippool import check_block_size_conflicts, check_ippool

        other_docs: list[dict[str, object]] = []
        if current is None:
            if others is None:
                others = self.pool_index()
            try:
                network = _pool_network(pool.spec.cidr)
            except ValueError:
                network = None  # check_ippool rejects the CIDR before looking at other pools
            if network is not None:
                other_docs = [to_dict(p) for p in others.overlapping(network)]
        checked = check_ippool(to_dict(pool), to_dict(current) if current is not None else None, other_docs)
        if current is None:
            if blocks is None:
                blocks = self._block_cidrs()
            check_block_size_conflicts(checked, blocks)
        return from_dict(checked)

    def pool_index(self) -> PoolIndex:
        """The stored IPPools, indexed for overlap checks."""
        items, _ = self.backend.list(keys.resource_prefix("IPPool"))
        return PoolIndex((kv.key, pool) for kv, pool in self.decode_readable(items))

    def _block_cidrs(self) -> list[str]:
        cidrs = []
        for version in (4, 6):
            items, _ = self.backend.list(keys.block_prefix(version))
            for kv in items:
                parsed = keys.parse_key(kv.key)
                cidrs.append(str(parsed.cidr))
        return cidrs

    # -- CRUD ------------------------------------------------------------------------------------

    def get(self, kind: str, name: str, namespace: str = "") -> Any:
        """The stored resource; NotFound (``resource does not exist: Kind(name) with error: <nil>``, also
        for an empty name: libcalico-go's key builder has no name check, the lookup just finds nothing)."""
        if kind == "Profile" and name == DEFAULT_ALLOW_PROFILE:
            return _default_allow_profile()
        if not name:
            raise NotFound(_unnamed(kind, namespace))
        key = self._key(kind, name, namespace)
        try:
            return self.decode(self.backend.get(key))
        except NotFound:
            raise NotFound(ResourceId(kind, name, namespace if KINDS[kind].namespaced else "")) from None

    def list(self, kind: str, namespace: str | None = None) -> ResourceList:
        """Every resource of a kind (in one namespace, or all when ``namespace`` is None/empty), by key."""
        items, revision = self.backend.list(keys.resource_prefix(kind, namespace))
        resources = [resource for _, resource in self.decode_readable(items)]
        if kind == "Profile":
            resources.append(_default_allow_profile())
        return ResourceList(resources, str(revision))

    def create(self, resource: Any, *, system: bool = False) -> Any:
        """Store a new resource (uid and creationTimestamp stamped); AlreadyExists if present.

        ``system=True`` lets pycalico itself write read-only kinds (ClusterInformation).
        """
        if not system:
            self._check_read_only(resource.KIND.kind, "create or apply")
        return self._create(resource, None, None)[0]

    def _check_special_names(self, resource: Any, operation: str, tiers: set[str] | None = None) -> None:
        """The synthesized default-allow profile can be neither created, updated nor deleted;
        a policy can only be created in an existing tier (``tiers``: names known to exist)."""
        kind, name = resource.KIND.kind, resource.metadata.name
        if kind == "Profile" and name == DEFAULT_ALLOW_PROFILE:
            raise _default_profile_error(operation)
        if operation == "Create":
            _check_kubernetes_owned(kind, name, resource.metadata.namespace, "create or apply")
        if kind in TIERED_KINDS and operation == "Create":
            tier = resource.spec.tier or "default"
            if tiers is not None and tier in tiers:
                return
            try:
                self.backend.get(keys.ResourceKey("Tier", tier).path)
            except NotFound:
                raise NotFound(ResourceId("Tier", tier)) from None

    def _create(self, resource: Any, others: PoolIndex | None, blocks: list[str] | None,
                tiers: set[str] | None = None) -> tuple[Any, KeyValue]:
        key, stamped = self._stamp_new(resource, others, blocks, tiers)
        try:
            kv = self.backend.create(key, self.encode(stamped))
        except AlreadyExists as exc:
            raise AlreadyExists(_ident(resource), exc.current_revision) from None
        return stamped.with_metadata(resource_version=str(kv.mod_revision)), kv

    def _stamp_new(self, resource: Any, others: PoolIndex | None, blocks: list[str] | None,
                   tiers: set[str] | None) -> tuple[str, Any]:
        """Everything a create does before its write: checks, defaults, validation, uid and timestamp,
        and the encapsulation switch of a new IPIP/VXLAN pool. Returns the key and the object to store."""
        resource = _with_workload_endpoint_name(resource)
        meta = resource.metadata
        if meta.name and meta.resource_version:
            raise ValidationError([FieldError("Metadata.ResourceVersion", meta.resource_version,
                                              "field must not be set for a Create request")])
        key = self._key(resource.KIND.kind, meta.name, meta.namespace)
        self._check_special_names(resource, "Create", tiers)
        if meta.namespace and not resource.KIND.namespaced:
            resource = resource.with_metadata(namespace="")
        prepared = self._prepare(resource, None, others, blocks)
        if resource.KIND.kind == "KubeControllersConfiguration" and meta.name != "default":
            raise DatastoreError('Cannot create a Kube Controllers Configuration resource with a name other than '
                                 '"default"')
        stamped = prepared.with_metadata(uid=meta.uid or self._new_uid(),
                                         creation_timestamp=meta.creation_timestamp or self._clock())
        self._maybe_enable_encapsulation(stamped)
        return key, stamped

    def update(self, resource: Any, *, system: bool = False) -> Any:
        """Replace a stored resource: compare-and-swap on ``metadata.resource_version`` when set, else on
        the latest stored revision. NotFound / Conflict (``update conflict: Kind(name)``)."""
        if not system:
            self._check_read_only(resource.KIND.kind, "apply or replace")
        resource = _with_workload_endpoint_name(resource)
        key = self._key(resource.KIND.kind, resource.metadata.name, resource.metadata.namespace)
        self._check_special_names(resource, "Update")
        try:
            current_kv = self.backend.get(key)
        except NotFound:
            raise NotFound(_ident(resource)) from None
        return self._update(resource, key, current_kv)[0]

    def _update(self, resource: Any, key: str, current_kv: KeyValue) -> tuple[Any, KeyValue]:
        wanted = resource.metadata.resource_version
        if wanted and _parse_revision(wanted) != current_kv.mod_revision:
            raise Conflict(_ident(resource), current_kv.mod_revision)
        meta = resource.metadata
        _check_kubernetes_owned(resource.KIND.kind, meta.name, meta.namespace, "apply or replace")
        current = self.decode(current_kv)
        merged = dataclasses.replace(resource, metadata=dataclasses.replace(
            current.metadata, labels=resource.metadata.labels, annotations=resource.metadata.annotations,
            resource_version=""))
        prepared = self._prepare(merged, current)
        self._maybe_enable_encapsulation(prepared)
        try:
            kv = self.backend.update(key, self.encode(prepared), current_kv.mod_revision)
        except NotFound:
            raise NotFound(_ident(resource)) from None
        except Conflict as exc:
            raise Conflict(_ident(resource), exc.current_revision) from None
        return prepared.with_metadata(resource_version=str(kv.mod_revision)), kv

    def apply(self, resource: Any) -> Any:
        """calicoctl apply: create, or update the existing object (retried on conflict without a resourceVersion)."""
        self._check_read_only(resource.KIND.kind, "apply", "resource is readonly")
        try:
            return self._create(resource.with_metadata(resource_version=""), None, None)[0]
        except (AlreadyExists, OperationNotSupported):
            pass
        if resource.metadata.resource_version:
            return self.update(resource)
        return retry_on_conflict(lambda: self.update(resource), attempts=APPLY_ATTEMPTS)

    def delete(self, kind: str, name: str, namespace: str = "", resource_version: str = "") -> Any:
        """Delete and return the stored resource (compare-and-delete when ``resource_version`` is given)."""
        self._check_read_only(kind, "delete")
        _check_kubernetes_owned(kind, name, namespace, "delete")
        if not name:
            raise NotFound(_unnamed(kind, namespace))
        key = self._key(kind, name, namespace)
        ident = ResourceId(kind, name, namespace if KINDS[kind].namespaced else "")
        revision = _parse_revision(resource_version) if resource_version else None
        if kind == "Profile" and name == DEFAULT_ALLOW_PROFILE:
            raise _default_profile_error("Delete")
        if kind == "Tier":
            self._check_tier_deletable(name)
        if kind == "IPPool":
            self._disable_pool_and_release_affinities(name, resource_version)
            revision = None
        elif kind == "Node":
            self._delete_node_dependents(name)
        try:
            deleted = self.backend.delete(key, revision)
        except NotFound:
            raise NotFound(ident) from None
        except Conflict as exc:
            raise Conflict(ident, exc.current_revision) from None
        try:
            return self.decode(deleted)
        except ParseError:
            return _identified(ident, str(deleted.mod_revision))

    # -- side effects and cascades (libcalico-go clientv3 ippool.go / node.go) -------------------

    def _maybe_enable_encapsulation(self, resource: Any) -> None:
        """An IPPool using IPIP / VXLAN turns ``ipipEnabled`` / ``vxlanEnabled`` on in FelixConfiguration
        ``default`` unless that field is already set (either way)."""
        if resource.KIND.kind != "IPPool":
            return
        modes = ((resource.spec.ipip_mode, "ipipEnabled"), (resource.spec.vxlan_mode, "vxlanEnabled"))
        wanted = [field for mode, field in modes if (mode or "Never") != "Never"]
        if not wanted:
            return

        def enable() -> None:
            try:
                current = self.get("FelixConfiguration", "default")
            except NotFound:
                self.create(from_dict(_document("FelixConfiguration", "default", {f: True for f in wanted})))
                return
            data = to_dict(current)
            felix_spec = dict(data.get("spec") or {})
            missing = [f for f in wanted if felix_spec.get(f) is None]
            if missing:
                felix_spec.update((f, True) for f in missing)
                self.update(from_dict({**data, "spec": felix_spec}))

        retry_on_conflict(enable, attempts=APPLY_ATTEMPTS)

    def _ipam(self):
        from datastore.ipam.allocator import IPAM

        return IPAM(self.backend, pools=lambda: ())

    def _disable_pool_and_release_affinities(self, name: str, resource_version: str) -> None:
        """Deleting a pool: disable it (CAS on ``resource_version`` if given), pause so in-flight
        allocations finish, release the block affinities inside it. The delete itself then needs no revision."""
        pool = self.get("IPPool", name)
        if not pool.spec.disabled:
            disabled = dataclasses.replace(pool, spec=dataclasses.replace(pool.spec, disabled=True))
            self.update(disabled.with_metadata(resource_version=resource_version))
        network = ipaddress.ip_network(pool.spec.cidr, strict=False)
        time.sleep(self.pool_delete_pause)
        ipam = self._ipam()
        items, _ = self.backend.list(keys.block_affinity_prefix())
        for kv in items:
            affinity = keys.parse_key(kv.key)
            if affinity.cidr.version == network.version and affinity.cidr.subnet_of(network):
                ipam.release_block_affinity(affinity.host, affinity.cidr)

    def _delete_node_dependents(self, name: str) -> None:
        """Deleting a Node: release its workloads' and tunnel addresses, delete its workload endpoints,
        release its block affinities and IPAM host entry, and delete its BGPPeers, per-node
        Felix/BGP configurations and host endpoints."""
        weps = [w for w in self.list("WorkloadEndpoint") if to_dict(w)["spec"].get("node") == name]
        addresses = [ipaddress.ip_interface(n).ip for w in weps for n in to_dict(w)["spec"].get("ipNetworks", ())]
        try:
            node_spec = to_dict(self.get("Node", name))["spec"]
        except NotFound:
            node_spec = {}
        for text in ((node_spec.get("bgp") or {}).get("ipv4IPIPTunnelAddr"), node_spec.get("ipv4VXLANTunnelAddr"),
                     (node_spec.get("wireguard") or {}).get("interfaceIPv4Address")):
            if text:
                addresses.append(ipaddress.ip_interface(text).ip)
        ipam = self._ipam()
        ipam.release_ips(addresses)
        for wep in weps:
            self._delete_quietly("WorkloadEndpoint", wep.metadata.name, wep.metadata.namespace)
        ipam.release_host_affinities(name)
        try:
            self.backend.delete(keys.IPAMHostKey(name).path)
        except NotFound:
            pass
        for kind in ("BGPPeer", "HostEndpoint"):
            for item in self.list(kind):
                if to_dict(item)["spec"].get("node") == name:
                    self._delete_quietly(kind, item.metadata.name)
        self._delete_quietly("FelixConfiguration", f"node.{name}")
        self._delete_quietly("BGPConfiguration", f"node.{name}")

    def _check_tier_deletable(self, name: str) -> None:
        if name in PROTECTED_TIERS:
            raise OperationNotSupported("Delete", name, f"Cannot delete {name} tier")
        for kind in TIERED_KINDS:
            if any(policy.spec.tier == name for policy in self.list(kind)):
                raise OperationNotSupported("delete", name, "Cannot delete a non-empty tier")

    def _delete_quietly(self, kind: str, name: str, namespace: str = "") -> None:
        try:
            self.delete(kind, name, namespace)
        except NotFound:
            pass

    # -- watch -----------------------------------------------------------------------------------

    def watch(self, kind: str, from_revision: int, namespace: str | None = None) -> "ResourceWatch":
        """Typed changes of a kind after ``from_revision`` (use a list's ``resource_version``)."""
        return ResourceWatch(self.backend.watch(keys.resource_prefix(kind, namespace), from_revision))

    # -- bulk ------------------------------------------------------------------------------------

    def apply_many(self, resources: Iterable[Any]) -> list[BulkOutcome]:
        """Apply many resources in order, never stopping at a failure.

        Each affected key prefix is listed once up front (and IPAM blocks once if a pool is created);
        then every resource costs one conditional write. On a backend with ``create_many`` (etcd), runs
        of consecutive creates are written together, up to ``BATCH_OPS`` per transaction, each key still
        created only if absent (the resources of one transaction share its revision). A write that races
        with another writer falls back to the single-resource ``apply`` (for a batch: resource by resource).
        Once the datastore is unreachable, the remaining resources get the same Unavailable error without
        further attempts. A backend with ``batch()`` (the local store) commits all the writes at once.
        """
        resources = list(resources)
        with getattr(self.backend, "batch", contextlib.nullcontext)():
            return self._apply_all(resources)

    def _apply_all(self, resources: list[Any]) -> list[BulkOutcome]:
        stored: dict[str, KeyValue] = {}
        writable = {r.KIND.kind for r in resources} - READ_ONLY_KINDS
        for prefix in sorted(keys.resource_prefix(kind) for kind in writable):
            items, _ = self.backend.list(prefix)
            stored.update((kv.key, kv) for kv in items)
        blocks = self._block_cidrs() if any(r.KIND.kind == "IPPool" for r in resources) else None
        tiers = None
        if any(r.KIND.kind in TIERED_KINDS for r in resources):
            tier_items, _ = self.backend.list(keys.resource_prefix("Tier"))
            tiers = {keys.parse_key(kv.key).name for kv in tier_items}
        pools: PoolIndex | None = None
        if any(r.KIND.kind == "IPPool" for r in resources):
            pool_prefix = keys.resource_prefix("IPPool")
            pools = PoolIndex((kv.key, pool) for kv, pool in self.decode_readable(
                kv for k, kv in stored.items() if k.startswith(pool_prefix)))
        run = _BulkRun(stored, pools, blocks, tiers)
        batching = hasattr(self.backend, "create_many")
        for resource in resources:
            if run.unavailable is not None:
                run.outcomes.append(BulkOutcome(error=run.unavailable))
                continue
            try:
                self._check_read_only(resource.KIND.kind, "apply", "resource is readonly")
                resource = _with_workload_endpoint_name(resource)
                key = self._key(resource.KIND.kind, resource.metadata.name, resource.metadata.namespace)
                if batching and key not in stored and key not in run.pending_keys:
                    try:
                        self._queue_create(run, resource, key)
                        continue
                    except OperationNotSupported:
                        pass  # calicoctl's apply falls back to an update (which reports the outcome)
                self._flush(run)
                if run.unavailable is not None:
                    raise run.unavailable
                result, stored[key] = self._apply_listed(resource, key, stored.get(key), pools, blocks, tiers)
            except DatastoreError as exc:
                if isinstance(exc, Unavailable):
                    run.unavailable = exc
                run.outcomes.append(BulkOutcome(error=exc))
                continue
            self._accepted(run, key, resource, result)
            run.outcomes.append(BulkOutcome(resource=result))
        self._flush(run)
        return run.outcomes

    @staticmethod
    def _accepted(run: "_BulkRun", key: str, resource: Any, result: Any) -> None:
        """Note a resource the bulk run has written (or queued): pools and tiers it must know about."""
        if run.pools is not None and resource.KIND.kind == "IPPool":
            run.pools.put(key, result)
        if run.tiers is not None and resource.KIND.kind == "Tier":
            run.tiers.add(resource.metadata.name)

    def _queue_create(self, run: "_BulkRun", resource: Any, key: str) -> None:
        """Prepare a create and queue its write; the batch is written when full."""
        _, stamped = self._stamp_new(resource.with_metadata(resource_version=""), run.pools, run.blocks, run.tiers)
        value = self.encode(stamped)
        run.outcomes.append(None)
        run.pending.append(_PendingCreate(len(run.outcomes) - 1, resource, key, stamped, value))
        run.pending_keys.add(key)
        run.pending_bytes += len(value)
        self._accepted(run, key, resource, stamped)
        if len(run.pending) >= BATCH_OPS or run.pending_bytes >= BATCH_BYTES:
            self._flush(run)

    def _flush(self, run: "_BulkRun") -> None:
        """Write the queued creates in one transaction; if a key appeared meanwhile, apply them one by one."""
        pending, run.pending, run.pending_keys, run.pending_bytes = run.pending, [], set(), 0
        if not pending:
            return
        try:
            kvs = self.backend.create_many([(p.key, p.value) for p in pending])
        except Unavailable as exc:
            run.unavailable = exc
            for p in pending:
                run.outcomes[p.index] = BulkOutcome(error=exc)
            return
        except DatastoreError:
            self._apply_one_by_one(run, pending)  # a key appeared meanwhile, or etcd refused the batch
            return
        for p, kv in zip(pending, kvs):
            run.stored[p.key] = kv
            run.outcomes[p.index] = BulkOutcome(resource=p.stamped.with_metadata(resource_version=str(kv.mod_revision)))

    def _apply_one_by_one(self, run: "_BulkRun", pending: list["_PendingCreate"]) -> None:
        for p in pending:
            if run.unavailable is not None:
                run.outcomes[p.index] = BulkOutcome(error=run.unavailable)
                continue
            try:
                result, run.stored[p.key] = self._apply_listed(p.resource, p.key, None, run.pools, run.blocks,
                                                               run.tiers)
            except DatastoreError as exc:
                if run.pools is not None and p.resource.KIND.kind == "IPPool":
                    run.pools.remove(p.key)
                if isinstance(exc, Unavailable):
                    run.unavailable = exc
                run.outcomes[p.index] = BulkOutcome(error=exc)
                continue
            self._accepted(run, p.key, p.resource, result)
            run.outcomes[p.index] = BulkOutcome(resource=result)

    def _apply_listed(self, resource: Any, key: str, listed: KeyValue | None, pools: PoolIndex | None,
                      blocks: list[str] | None, tiers: set[str] | None) -> tuple[Any, KeyValue]:
        """One apply against the listed state; a lost race falls back to ``apply`` (and a fresh read)."""
        try:
            if listed is None:
                return self._create(resource.with_metadata(resource_version=""), pools, blocks, tiers)
            return self._update(resource, key, listed)
        except (AlreadyExists, Conflict, OperationNotSupported):
            if resource.metadata.resource_version and listed is not None:
                raise
        result = self.apply(resource)
        return result, self.backend.get(key)

    # -- initialisation and synthesized objects --------------------------------------------------

    def ensure_initialized(self, calico_version: str = "", cluster_type: str = "") -> None:
        """calicoctl's EnsureInitialized: ClusterInformation ``default`` (GUID, datastoreReady) and the
        ``default`` and ``adminnetworkpolicy`` tiers, created when missing."""
        try:
            info = self.get("ClusterInformation", "default")
        except NotFound:
            info = None
        if info is None:
            spec = {"clusterGUID": _new_guid(), "datastoreReady": True}
            if calico_version:
                spec["calicoVersion"] = calico_version
            if cluster_type:
                spec["clusterType"] = cluster_type
            self._create_quietly(_document("ClusterInformation", "default", spec), system=True)
        else:
            data = to_dict(info)
            spec = dict(data.get("spec") or {})
            if not spec.get("clusterGUID") or "datastoreReady" not in spec:
                spec.setdefault("datastoreReady", True)
                spec["clusterGUID"] = spec.get("clusterGUID") or _new_guid()
                retry_on_conflict(lambda: self.update(from_dict({**data, "spec": spec}), system=True))
        for name, order, action in _TIERS:
            self._create_quietly(_document("Tier", name, {"order": order, "defaultAction": action}))

    def _create_quietly(self, document: dict[str, Any], system: bool = False) -> None:
        try:
            self.create(from_dict(document), system=system)
        except AlreadyExists:
            pass



@dataclass(frozen=True)
class ResourceEvent:
    """A typed change: ``type`` "PUT" or "DELETE"; for DELETE ``resource`` is the last stored state
    (with resourceVersion = the revision of the delete)."""

    type: str
    resource: Any


class ResourceWatch:
    """Iterates ResourceEvents from a backend watch; ``cancel()`` ends it from any thread."""

    def __init__(self, watch: Any):
        self._watch = watch

    def __iter__(self):
        """PUTs of values that do not parse are skipped (as in a list); a DELETE whose last value
        does not parse (or is absent) still yields the deleted resource's identity."""
        for event in self._watch:
            try:
                resource = Client.decode(event.kv)
            except ParseError:
                if event.type.value != "DELETE":
                    continue
                key = keys.parse_key(event.kv.key)
                resource = _identified(ResourceId(key.kind, key.name, key.namespace),
                                       str(event.kv.mod_revision))
            yield ResourceEvent(event.type.value, resource)

    def cancel(self) -> None:
        self._watch.cancel()


def _parse_revision(text: str) -> int:
    """A resourceVersion as an etcd revision (libcalico-go's parseRevision error for anything else)."""
    try:
        return int(text)
    except ValueError:
        raise ValidationError([FieldError("ResourceVersion", text)]) from None


def _default_profile_error(operation: str) -> OperationNotSupported:
    verb = {"Create": "created", "Update": "updated", "Delete": "deleted"}[operation]
    return OperationNotSupported(operation, DEFAULT_ALLOW_PROFILE, f'The profile "{DEFAULT_ALLOW_PROFILE}" is a '
                                 f"default provided by Calico and cannot be {verb}")


def tier_of_policy_name(name: str) -> str:
    """libcalico-go's TierFromPolicyName: the tier a policy name implies."""
    if name.startswith(("knp.default", "ossg.")):
        return "default"
    if name.startswith("kanp.adminnetworkpolicy."):
        return "adminnetworkpolicy"
    head, dot, _ = name.partition(".")
    return head if dot else "default"


def _with_tier_filled(policy: Any) -> Any:
    tier = policy.spec.tier or tier_of_policy_name(policy.metadata.name)
    if tier != policy.spec.tier:
        policy = dataclasses.replace(policy, spec=dataclasses.replace(policy.spec, tier=tier))
    labels = policy.metadata.labels
    if TIER_LABEL not in labels:
        policy = policy.with_metadata(labels=labels.set(TIER_LABEL, tier))
    return policy


def _check_kubernetes_owned(kind: str, name: str, namespace: str, operation: str) -> None:
    """Refuse an operation on a policy Kubernetes owns (by its name prefix), as calicoctl does."""
    owned = KUBERNETES_OWNED.get(kind)
    if owned is not None and name.startswith(owned[0]):
        ident = ResourceId(kind, name, namespace if KINDS[kind].namespaced else "")
        raise OperationNotSupported(operation, ident, owned[1])


def _check_tiered_policy_name(policy: Any) -> None:
    """libcalico-go ``names.ValidateTieredPolicyName``: outside the default tier a policy is ``<tier>.<name>``."""
    from datastore.validation.names import tiered_policy_name_error

    error = tiered_policy_name_error(policy.metadata.name, policy.spec.tier)
    if error:
        raise DatastoreError(error)


def _with_workload_endpoint_name(resource: Any) -> Any:
    """clientv3 ``assignOrValidateName``: a WorkloadEndpoint's name is computed from its spec when
    empty, and must equal that name otherwise (ValidationError on field ``Name``)."""
    if resource.KIND.kind != "WorkloadEndpoint":
        return resource
    from datastore.validation import assign_or_check_workload_endpoint_name

    name = assign_or_check_workload_endpoint_name(to_dict(resource))
    return resource if name == resource.metadata.name else resource.with_metadata(name=name)


def _unnamed(kind: str, namespace: str) -> ResourceId:
    """The identifier of a lookup without a name (``IPPool()``, ``WorkloadEndpoint(ns/)``)."""
    return ResourceId(kind, "", namespace if KINDS[kind].namespaced else "")


def _identified(ident: ResourceId, resource_version: str) -> Any:
    """A resource carrying only its identity: what a delete returns for a stored value that did not parse."""
    metadata = {"name": ident.name, "resourceVersion": resource_version}
    if ident.namespace:
        metadata["namespace"] = ident.namespace
    return from_dict({"kind": ident.kind, "apiVersion": API_VERSION, "metadata": metadata})


def _document(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"kind": kind, "apiVersion": API_VERSION, "metadata": {"name": name}, "spec": spec}


def connect(config: Any = None) -> Client:
    """A Client on the backend ``config`` (a DatastoreConfig; None = ``load_config()``) selects."""
    from datastore.backend import open_backend
    from datastore.config import load_config

    return Client(open_backend(config if config is not None else load_config()))
