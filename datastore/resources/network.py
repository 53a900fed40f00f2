"""IPPool: the address pools Calico IPAM assigns from (CIDR helpers shared with IPAM)."""
from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass
from typing import ClassVar

from datastore.resources.base import Metadata, Resource, meta_field
from datastore.resources.kinds import KINDS
from datastore.resources.serde import jfield

DEFAULT_NODE_SELECTOR = "all()"
DEFAULT_ALLOWED_USES = ("Workload", "Tunnel")


def normalise_cidr(text: str) -> str:
    """The network form of a CIDR (host bits cleared), or the text unchanged if it is not a CIDR."""
    network = parse_cidr(text)
    return str(network) if network is not None else text


def parse_cidr(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """A CIDR (``a.b.c.d/n`` or IPv6) with host bits allowed, or None if ``text`` is not one."""
    if "/" not in text:
        return None
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


@dataclass(frozen=True)
class IPIPConfiguration:
    """The deprecated API v1 ``ipip`` block of an IPPool (must stay unset)."""

    enabled: bool = jfield("enabled", False)
    mode: str = jfield("mode", "")


@dataclass(frozen=True)
class IPPoolSpec:
    """IPPool.spec."""

    cidr: str = jfield("cidr", "", omitempty=False)
    vxlan_mode: str = jfield("vxlanMode", "", go="v3.VXLANMode")
    ipip_mode: str = jfield("ipipMode", "", go="v3.IPIPMode")
    nat_outgoing: bool = jfield("natOutgoing", False)
    disabled: bool = jfield("disabled", False)
    disable_bgp_export: bool = jfield("disableBGPExport", False)
    block_size: int = jfield("blockSize", 0)
    node_selector: str = jfield("nodeSelector", "")
    ipip: IPIPConfiguration | None = jfield("ipip", None)
    nat_outgoing_v1: bool = jfield("nat-outgoing", False)
    allowed_uses: tuple[str, ...] = jfield("allowedUses", (), go="[]v3.IPPoolAllowedUse")


@dataclass(frozen=True)
class IPPool(Resource):
    """A pool of addresses Calico IPAM assigns from."""

    KIND: ClassVar = KINDS["IPPool"]
    metadata: Metadata = meta_field()
    spec: IPPoolSpec = jfield("spec", IPPoolSpec())

    def with_defaults(self) -> "IPPool":
        """libcalico-go's IPPool defaults: normalised CIDR, block size 26/122, modes Never,
        node selector ``all()``, allowed uses Workload+Tunnel."""
        spec = self.spec
        network = parse_cidr(spec.cidr)
        block_size = spec.block_size
        if block_size == 0 and network is not None:
            block_size = 26 if network.version == 4 else 122
        spec = dataclasses.replace(
            spec,
            cidr=str(network) if network is not None else spec.cidr,
            vxlan_mode=spec.vxlan_mode or "Never",
            ipip_mode=spec.ipip_mode or "Never",
            block_size=block_size,
            node_selector=spec.node_selector or DEFAULT_NODE_SELECTOR,
            allowed_uses=spec.allowed_uses or DEFAULT_ALLOWED_USES,
        )
        return dataclasses.replace(self, spec=spec)
