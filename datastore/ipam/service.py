"""An IPAM bound to a datastore Client: what libcalico-go's `ipam.NewIPAMClient` reads around the allocator.

* pools: the IPPool resources (name order), Calico's defaults applied (blockSize 26/122, all());
* node labels: the Calico Node resource's labels (None when the node does not exist);
* reservations: every CIDR of every IPReservation;
* configuration: `/calico/ipam/v2/config` is the library's source of truth; setting it also applies
  the v3 `IPAMConfiguration default` resource so both views agree, as calicoctl shows them.
"""
from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any, Mapping

from datastore.errors import NotFound
from datastore.ipam.allocator import IPAM, PoolInfo
from datastore.ipam.block import IPNetwork
from datastore.ipam.records import IPAMConfig

if TYPE_CHECKING:
    from datastore.ipam.check import CheckInput


def pools_of(client: Any) -> list[PoolInfo]:
    """The IPPools of the datastore as PoolInfo, in list (name) order, with Calico's defaults."""
    return [PoolInfo.from_resource(pool.with_defaults()) for pool in client.list("IPPool")]


def node_labels_of(client: Any, hostname: str) -> Mapping[str, str] | None:
    """The labels of Calico Node ``hostname``; None if there is no such Node."""
    try:
        node = client.get("Node", hostname)
    except NotFound:
        return None
    return dict(node.metadata.labels or {})


def reservations_of(client: Any) -> list[IPNetwork]:
    """Every reserved CIDR of every IPReservation."""
    return [ipaddress.ip_network(cidr, strict=False)
            for reservation in client.list("IPReservation") for cidr in reservation.spec.reserved_cidrs]


class ClientIPAM(IPAM):
    """The allocator reading pools, node labels and reservations through ``client``."""

    def __init__(self, client: Any, **kwargs: Any):
        super().__init__(
            client.backend,
            pools=lambda: pools_of(client),
            node_labels=lambda host: node_labels_of(client, host),
            reservations=lambda: reservations_of(client),
            **kwargs,
        )
        self.client = client

    def get_config(self) -> IPAMConfig:
        """The library config; when only the v3 ``IPAMConfiguration default`` exists, its values."""
        from datastore.keys import IPAMConfigKey

        try:
            return IPAMConfig.from_json(self.backend.get(IPAMConfigKey().path).value)
        except NotFound:
            pass
        try:
            spec = self.client.get("IPAMConfiguration", "default").spec
        except NotFound:
            return IPAMConfig()
        return IPAMConfig(spec.strict_affinity, spec.auto_allocate_blocks, spec.max_blocks_per_host)

    def ensure_config(self) -> IPAMConfig:
        """The config, stored with the defaults first if none exists (as `ipam show --show-configuration` does)."""
        from datastore.keys import IPAMConfigKey

        config = self.get_config()
        try:
            self.backend.get(IPAMConfigKey().path)
        except NotFound:
            self.set_config(config)
        return config

    def set_config(self, config: IPAMConfig) -> None:
        """Store the library config, then mirror it into the v3 ``IPAMConfiguration default``."""
        super().set_config(config)
        from datastore.resources import from_dict

        self.client.apply(from_dict({
            "apiVersion": "projectcalico.org/v3",
            "kind": "IPAMConfiguration",
            "metadata": {"name": "default"},
            "spec": {"strictAffinity": config.strict_affinity,
                     "autoAllocateBlocks": config.auto_allocate_blocks,
                     "maxBlocksPerHost": config.max_blocks_per_host},
        }))


def ipam_for(client: Any) -> ClientIPAM:
    """The IPAM of the datastore ``client`` is connected to."""
    return ClientIPAM(client)


def node_tunnel_addresses(node: Any) -> list[str]:
    """The tunnel addresses `ipam check` counts as in use by a Node (IPIP, VXLAN v4/v6, WireGuard v4)."""
    from datastore.resources import to_dict

    spec = to_dict(node).get("spec") or {}
    found = [(spec.get("bgp") or {}).get("ipv4IPIPTunnelAddr"), spec.get("ipv4VXLANTunnelAddr"),
             spec.get("ipv6VXLANTunnelAddr"), (spec.get("wireguard") or {}).get("interfaceIPv4Address")]
    return [text for text in found if text]


def check_input(client: Any) -> "CheckInput":
    """Read everything `ipam check` analyses: blocks, active pools, node and workload IPs, handles."""
    from datastore.ipam.check import CheckInput, HandleRecord, addresses
    from datastore.keys import HANDLE_PREFIX

    allocator = ipam_for(client)
    blocks = tuple(block for _, block in allocator.blocks())
    pools = tuple(p.cidr for p in pools_of(client) if not p.disabled)
    node_ips = tuple((node.metadata.name, address) for node in client.list("Node")
                     for address in addresses(node_tunnel_addresses(node)))
    workload_ips = tuple((f"{wep.metadata.namespace}/{wep.metadata.name}", address)
                         for wep in client.list("WorkloadEndpoint")
                         for address in addresses(wep.spec.ip_networks))
    kvs, _ = client.backend.list(HANDLE_PREFIX)
    handles = tuple(HandleRecord(kv.key[len(HANDLE_PREFIX):], kv.mod_revision) for kv in kvs)
    return CheckInput(blocks, pools, node_ips, workload_ips, handles)
