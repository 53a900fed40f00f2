"""Tunnel address allocation for a node (calico-node `allocateip`, reference/internals.md §2.7).

For each tunnel type the enabled pools are those that select the node, are enabled, have the right
IP family, allow the ``Tunnel`` use and have the encapsulation on (IPIP: ``ipipMode``, VXLAN:
``vxlanMode`` Always/CrossSubnet; WireGuard: any pool, if the node has a public key). The address is
kept while it is still inside an enabled pool and owned by the tunnel's handle; an address with no
handle (old data) is re-assigned with the handle; an address outside every enabled pool is released
and a new one assigned; a disabled tunnel type releases its handle and clears the Node field.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from datastore.errors import NotFound, retry_on_conflict
from datastore.ipam.allocator import USE_TUNNEL, AssignRequest, PoolInfo
from datastore.selector import parse

ENCAP_ON = ("Always", "CrossSubnet")


@dataclass(frozen=True)
class TunnelType:
    """One kind of tunnel address: its IP family, handle prefix, allocation type and Node field path."""

    name: str
    version: int
    handle_prefix: str
    attr_type: str
    node_field: tuple[str, ...]

    def handle(self, node: str) -> str:
        return f"{self.handle_prefix}{node}"


IPIP = TunnelType("ipip", 4, "ipip-tunnel-addr-", "ipipTunnelAddress", ("bgp", "ipv4IPIPTunnelAddr"))
VXLAN = TunnelType("vxlan", 4, "vxlan-tunnel-addr-", "vxlanTunnelAddress", ("ipv4VXLANTunnelAddr",))
VXLAN_V6 = TunnelType("vxlan", 6, "vxlan-v6-tunnel-addr-", "vxlanV6TunnelAddress", ("ipv6VXLANTunnelAddr",))
WIREGUARD = TunnelType("wireguard", 4, "wireguard-tunnel-addr-", "wireguardTunnelAddress",
                       ("wireguard", "interfaceIPv4Address"))
WIREGUARD_V6 = TunnelType("wireguard", 6, "wireguard-v6-tunnel-addr-", "wireguardV6TunnelAddress",
                          ("wireguard", "interfaceIPv6Address"))
TUNNELS = (IPIP, VXLAN, VXLAN_V6, WIREGUARD, WIREGUARD_V6)


def enabled_pools(tunnel: TunnelType, pools: Sequence[Any], labels: Mapping[str, str],
                  has_wireguard_key: bool) -> list[PoolInfo]:
    """The (defaulted) IPPool resources this tunnel type may take an address from on this node."""
    chosen = []
    for pool in pools:
        spec = pool.spec
        info = PoolInfo.from_resource(pool)
        if info.disabled or info.cidr.version != tunnel.version or USE_TUNNEL not in info.allowed_uses:
            continue
        if not parse(info.node_selector).evaluate(labels):
            continue
        if tunnel.name == "ipip" and spec.ipip_mode not in ENCAP_ON:
            continue
        if tunnel.name == "vxlan" and spec.vxlan_mode not in ENCAP_ON:
            continue
        if tunnel.name == "wireguard" and not has_wireguard_key:
            continue
        chosen.append(info)
    return chosen


def _get_field(spec: Mapping[str, Any], path: tuple[str, ...]) -> str:
    value: Any = spec
    for part in path:
        value = (value or {}).get(part) if isinstance(value, Mapping) else None
    return value or ""


def _set_field(spec: dict[str, Any], path: tuple[str, ...], value: str) -> dict[str, Any]:
    spec = dict(spec)
    if len(path) == 1:
        if value:
            spec[path[0]] = value
        else:
            spec.pop(path[0], None)
        return spec
    inner = dict(spec.get(path[0]) or {})
    if value:
        inner[path[1]] = value
    else:
        inner.pop(path[1], None)
    if inner:
        spec[path[0]] = inner
    else:
        spec.pop(path[0], None)
    return spec


def reconcile_node(ipam: Any, client: Any, node_name: str, tunnels: Sequence[TunnelType] = TUNNELS) -> dict[str, str]:
    """Make the Node's tunnel addresses match its enabled pools; returns {handle: address or ""}."""
    from datastore.resources import from_dict, to_dict

    node = client.get("Node", node_name)
    labels = dict(node.metadata.labels or {})
    has_key = bool(node.status is not None and node.status.wireguard_public_key)
    pools = [pool.with_defaults() for pool in client.list("IPPool")]
    spec = to_dict(node).get("spec") or {}
    outcome: dict[str, str] = {}
    for tunnel in tunnels:
        current = _get_field(spec, tunnel.node_field)
        wanted = _desired(ipam, tunnel, node_name, current,
                          enabled_pools(tunnel, pools, labels, has_key))
        outcome[tunnel.handle(node_name)] = wanted
        spec = _set_field(spec, tunnel.node_field, wanted)

    def write() -> None:
        latest = to_dict(client.get("Node", node_name))
        merged = latest.get("spec") or {}
        for tunnel in tunnels:
            merged = _set_field(merged, tunnel.node_field, outcome[tunnel.handle(node_name)])
        if merged != (latest.get("spec") or {}):
            client.update(from_dict({**latest, "spec": merged}))

    retry_on_conflict(write)
    return outcome


def _desired(ipam: Any, tunnel: TunnelType, node: str, current: str, pools: Sequence[PoolInfo]) -> str:
    handle = tunnel.handle(node)
    address = ipaddress.ip_address(current) if current else None
    if not pools:
        _release_handle(ipam, handle)
        if address is not None:
            _release_if_unowned(ipam, address)
        return ""
    if address is not None and any(address in p.cidr for p in pools):
        found = ipam.block_of(address)
        owner = None if found is None else found[1].attribute_of(address)
        if owner is not None and owner.handle_id == handle:
            return current
        if owner is None or owner.handle_id is None:
            if owner is not None:
                ipam.release_ips([address])
            ipam.assign_ip(address, handle, {"node": node, "type": tunnel.attr_type}, node)
            return current
    if address is not None:
        _release_if_unowned(ipam, address, handle)
    _release_handle(ipam, handle)
    request = AssignRequest(count=1, handle_id=handle, hostname=node, attrs={"node": node, "type": tunnel.attr_type},
                            pools=tuple(p.name for p in pools), intended_use=USE_TUNNEL)
    got = ipam.auto_assign(request, tunnel.version)
    return str(got[0].ip) if got else ""


def _release_handle(ipam: Any, handle: str) -> None:
    try:
        ipam.release_by_handle(handle)
    except NotFound:
        pass


def _release_if_unowned(ipam: Any, address, handle: str | None = None) -> None:
    """Release an old tunnel address that has no handle (or this tunnel's handle); others' IPs are left alone."""
    found = ipam.block_of(address)
    owner = None if found is None else found[1].attribute_of(address)
    if owner is not None and owner.handle_id in (None, handle):
        ipam.release_ips([address])

