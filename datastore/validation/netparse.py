"""IP and CIDR parsing with Go ``net`` semantics, as libcalico-go (``lib/net``) uses them.

Differences from a plain ``ipaddress`` call that matter for faithful validation:

* Go's ``net.ParseCIDR`` accepts only ``<addr>/<decimal prefix>`` (no netmask or hostmask
  forms, no IPv6 zone) and keeps the host bits in the returned IP while the network is masked;
* an IPv4-mapped IPv6 address (``::ffff:1.2.3.4``) is an IPv4 address for Go (``To4() != nil``),
  so it is returned here as an ``IPv4Address`` (and such a CIDR with prefix >= 96 as IPv4);
* ``ParseCIDROrIP`` also accepts a bare address, meaning a full-length mask.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

IPV4_LINK_LOCAL = ipaddress.IPv4Network("169.254.0.0/16")
IPV6_LINK_LOCAL = ipaddress.IPv6Network("fe80::/10")


@dataclass(frozen=True)
class ParsedCIDR:
    """Result of a Go-style CIDR parse: the address as written and the masked network."""

    ip: IPAddress
    network: IPNetwork

    @property
    def version(self) -> int:
        """4 or 6."""
        return self.network.version

    @property
    def strictly_masked(self) -> bool:
        """True when the written address has no host bits set."""
        return self.ip == self.network.network_address


def _unmap(ip: IPAddress) -> IPAddress:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def parse_ip(text: str) -> IPAddress | None:
    """Go ``net.ParseIP``: the address, or None when ``text`` is not an IP (zones rejected)."""
    if not isinstance(text, str) or "%" in text or "/" in text:
        return None
    try:
        return _unmap(ipaddress.ip_address(text))
    except ValueError:
        return None


def parse_cidr(text: str) -> ParsedCIDR:
    """Go ``net.ParseCIDR``; raises ValueError(``invalid CIDR address: <text>``)."""
    error = ValueError(f"invalid CIDR address: {text}")
    if not isinstance(text, str):
        raise error
    addr, sep, mask = text.partition("/")
    if not sep or not mask or not (mask.isascii() and mask.isdigit()):
        raise error
    ip = parse_ip(addr)
    raw = None if "%" in addr else _raw_ip(addr)
    if ip is None or raw is None:
        raise error
    prefix = int(mask)
    if prefix > raw.max_prefixlen:
        raise error
    if raw.version == 6 and ip.version == 4:
        if prefix < 96:
            network = ipaddress.IPv6Network((raw, prefix), strict=False)
            return ParsedCIDR(raw, network)
        prefix -= 96
    return ParsedCIDR(ip, ipaddress.ip_network((ip, prefix), strict=False))


def _raw_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def parse_cidr_or_ip(text: str) -> ParsedCIDR:
    """libcalico-go ``ParseCIDROrIP``: a CIDR, or a bare IP taken as a full-length prefix."""
    try:
        return parse_cidr(text)
    except ValueError:
        ip = parse_ip(text)
        if ip is None:
            raise
        return ParsedCIDR(ip, ipaddress.ip_network(ip))


def is_cidr(text: str) -> bool:
    """Go tag ``cidr``: any CIDR or IP (host bits allowed)."""
    try:
        parse_cidr_or_ip(text)
    except ValueError:
        return False
    return True


def is_strict_net(text: str, version: int | None = None) -> bool:
    """Go tags ``net``/``netv4``/``netv6``: a CIDR or IP with no host bits (and of ``version``)."""
    try:
        parsed = parse_cidr_or_ip(text)
    except ValueError:
        return False
    if version is not None and parsed.ip.version != version:
        return False
    return parsed.strictly_masked


def is_cidr_of_version(text: str, version: int) -> bool:
    """Go tags ``cidrv4``/``cidrv6``: a CIDR or IP of the given family (host bits allowed)."""
    try:
        return parse_cidr_or_ip(text).ip.version == version
    except ValueError:
        return False


def is_ip_of_version(text: str, version: int | None = None) -> bool:
    """Go tags ``ip``/``ipv4``/``ipv6``: a bare address (of ``version`` when given)."""
    ip = parse_ip(text)
    return ip is not None and (version is None or ip.version == version)


def networks_overlap(a: IPNetwork, b: IPNetwork) -> bool:
    """libcalico-go ``IsNetOverlap``: same family and one contains the other's network address."""
    return a.version == b.version and a.overlaps(b)
