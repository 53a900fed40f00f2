"""IPPool client-side checks (libcalico-go ``clientv3/ippool.go``), run before struct validation.

``check_ippool`` reproduces ``validateAndSetDefaults``: it returns the pool document with the
CIDR normalised and the client defaults applied, or raises ValidationError. The two early
failures (CIDR missing / unparseable) are reported alone; the rest are collected in Calico's
order. Overlap with other pools is only checked on create (``old is None``) and needs the
other pools, which the caller (the datastore client) lists and passes in.
"""
from __future__ import annotations

import ipaddress
from typing import Any, Iterable, Mapping

from datastore.errors import FieldError, ValidationError
from datastore.validation.netparse import IPV4_LINK_LOCAL, IPV6_LINK_LOCAL, networks_overlap, parse_cidr
from datastore.validation.report import Collector

Doc = Mapping[str, Any]

DEFAULT_BLOCK_SIZE = {4: 26, 6: 122}
BLOCK_SIZE_RANGE = {4: (20, 32), 6: (116, 128)}
DEFAULT_ALLOWED_USES = ("Workload", "Tunnel")


def pools_overlap(cidr_a: str, cidr_b: str) -> bool:
    """True when two pool CIDRs (any textual form Go accepts) share at least one address."""
    return networks_overlap(parse_cidr(cidr_a).network, parse_cidr(cidr_b).network)


def overlap_errors(name: str, cidr: str, others: Iterable[Doc]) -> list[FieldError]:
    """The ``IPPool(<new>) CIDR overlaps with IPPool(<other>) CIDR <c>`` errors for ``cidr``."""
    errors = []
    network = parse_cidr(cidr).network
    for other in others:
        other_name = other.get("metadata", {}).get("name", "")
        other_cidr = other.get("spec", {}).get("cidr", "")
        if other_name == name:
            continue
        try:
            other_network = parse_cidr(other_cidr).network
        except ValueError:
            continue
        if networks_overlap(other_network, network):
            errors.append(FieldError(
                "IPPool.Spec.CIDR", str(network),
                f"IPPool({name}) CIDR overlaps with IPPool({other_name}) CIDR {other_cidr}",
            ))
    return errors


def check_ippool(new: Doc, old: Doc | None = None, others: Iterable[Doc] = ()) -> dict:
    """Validate and default an IPPool document as libcalico-go does before struct validation.

    ``old`` is the stored pool on update (None on create); ``others`` the existing pools
    (used on create for the overlap check). Returns the normalised, defaulted document.
    """
    spec = dict(new.get("spec", {}))
    name = new.get("metadata", {}).get("name", "")
    text = spec.get("cidr", "")
    if not text:
        raise ValidationError([FieldError("IPPool.Spec.CIDR", None, "IPPool CIDR must be specified", has_value=False)])
    try:
        parsed = parse_cidr(text)
    except ValueError:
        raise ValidationError([FieldError("IPPool.Spec.CIDR", text, "IPPool CIDR must be a valid subnet")]) from None
    network = parsed.network
    cidr = str(network)
    spec["cidr"] = cidr
    spec.setdefault("nodeSelector", "all()")
    if not spec["nodeSelector"]:
        spec["nodeSelector"] = "all()"
    c = Collector()
    old_spec = old.get("spec", {}) if old is not None else None
    if old_spec is not None and old_spec.get("cidr") != cidr:
        c.add("IPPool.Spec.CIDR", cidr, "IPPool CIDR cannot be modified")
    if not spec.get("blockSize"):
        spec["blockSize"] = DEFAULT_BLOCK_SIZE[network.version]
    if not spec.get("allowedUses"):
        spec["allowedUses"] = list(DEFAULT_ALLOWED_USES)
    block_size = spec["blockSize"]
    if old_spec is not None and old_spec.get("blockSize") != block_size:
        c.add("IPPool.Spec.BlockSize", block_size, "IPPool BlockSize cannot be modified")
    low, high = BLOCK_SIZE_RANGE[network.version]
    if not low <= block_size <= high:
        c.add("IPPool.Spec.BlockSize", block_size,
              f"IPv{network.version} block size must be between {low} and {high}")
    if not spec.get("disabled") and network.prefixlen > block_size:
        c.add("IPPool.Spec.CIDR", cidr,
              "IP pool size is too small for use with Calico IPAM. It must be equal to or greater than the block size.")
    if old is None:
        c.extend(overlap_errors(name, cidr, others))
    spec["ipipMode"] = spec.get("ipipMode") or "Never"
    spec["vxlanMode"] = spec.get("vxlanMode") or "Never"
    if spec["vxlanMode"] != "Never" and spec["ipipMode"] != "Never":
        c.add("IPPool.Spec.VXLANMode", spec["vxlanMode"], "Cannot enable both VXLAN and IPIP on the same IPPool")
    if network.version == 6 and spec["ipipMode"] != "Never":
        c.add("IPPool.Spec.IPIPMode", spec["ipipMode"], "IPIP is not supported on an IPv6 IP pool")
    if not parsed.strictly_masked:
        c.add("IPPool.Spec.CIDR", cidr, "IPPool CIDR is not strictly masked")
    if network.version == 4 and networks_overlap(network, IPV4_LINK_LOCAL):
        c.add("IPPool.Spec.CIDR", cidr, "IPPool CIDR overlaps with IPv4 Link Local range 169.254.0.0/16")
    if network.version == 6 and networks_overlap(network, IPV6_LINK_LOCAL):
        c.add("IPPool.Spec.CIDR", cidr, "IPPool CIDR overlaps with IPv6 Link Local range fe80::/10")
    c.raise_if_any()
    result = dict(new)
    result["spec"] = spec
    return result


def check_block_size_conflicts(pool: Doc, block_cidrs: Iterable[str]) -> None:
    """Create-time check: no existing allocation block of another size may overlap the pool.

    ``block_cidrs`` are the CIDRs of the existing blocks of the pool's IP family.
    """
    spec = pool.get("spec", {})
    network = parse_cidr(spec["cidr"]).network
    block_size = spec["blockSize"]
    for block in block_cidrs:
        block_network = ipaddress.ip_network(block, strict=False)
        if block_network.prefixlen != block_size and networks_overlap(block_network, network):
            raise ValidationError([FieldError(
                "IPPool.Spec.BlockSize", block_size,
                "IPPool blocksSize conflicts with existing allocations that use a different blockSize",
            )])
