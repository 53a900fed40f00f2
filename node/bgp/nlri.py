"""NLRI prefix codec (RFC 4271 §4.3, RFC 4760 §5) for IPv4 and IPv6 unicast, no ADD-PATH.

Each prefix on the wire is a length in bits followed by just enough octets to hold it::

    +-----------+------------------------------+
    | length(1) | prefix (ceil(length/8) octs) |
    +-----------+------------------------------+

Trailing bits past the length are ignored. In memory a prefix is the pair ``(network, length)``:
``network`` is the address as an int with host bits cleared. Pairs are cheap to build in a tight
loop, hash fast as RIB keys and convert to ``ipaddress`` objects only when someone looks
(``to_network``). The family is not part of the pair: it is known from where the prefix was found.
"""
from __future__ import annotations

import ipaddress
from typing import Iterable

from .constants import AFI

Prefix = tuple[int, int]
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_WIDTH = {AFI.IPV4: 4, AFI.IPV6: 16}
_SHIFT = {w: tuple((w - n) * 8 for n in range(w + 1)) for w in (4, 16)}
_MASK = {w: tuple(((1 << (w * 8)) - 1) ^ ((1 << (w * 8 - p)) - 1) for p in range(w * 8 + 1)) for w in (4, 16)}


class NlriError(ValueError):
    """Raised by the prefix decoder; callers turn it into the UPDATE error their field needs."""


def decode_prefixes(data: bytes, afi: int, start: int = 0, end: int | None = None) -> list[Prefix]:
    """Decode the prefixes in ``data[start:end]``; NlriError if any is too long or truncated."""
    w = _WIDTH[afi]
    max_len = w * 8
    shifts = _SHIFT[w]
    masks = _MASK[w]
    from_bytes = int.from_bytes
    stop = len(data) if end is None else end
    out: list[Prefix] = []
    append = out.append
    i = start
    while i < stop:
        plen = data[i]
        if plen > max_len:
            raise NlriError(f"prefix length {plen} exceeds {max_len}")
        n = (plen + 7) >> 3
        j = i + 1 + n
        if j > stop:
            raise NlriError(f"prefix of length {plen} overruns the field")
        append(((from_bytes(data[i + 1:j], "big") << shifts[n]) & masks[plen], plen))
        i = j
    return out


def encode_prefix(prefix: Prefix, afi: int) -> bytes:
    """Wire form of one prefix."""
    network, plen = prefix
    w = _WIDTH[afi]
    n = (plen + 7) >> 3
    return bytes((plen,)) + (network >> _SHIFT[w][n]).to_bytes(n, "big")


def encode_prefixes(prefixes: Iterable[Prefix], afi: int) -> bytes:
    """Wire form of consecutive prefixes."""
    return b"".join(encode_prefix(p, afi) for p in prefixes)


def to_network(prefix: Prefix, afi: int) -> IPNetwork:
    """``ipaddress`` network for a prefix pair."""
    if afi == AFI.IPV4:
        return ipaddress.IPv4Network(prefix)
    if afi == AFI.IPV6:
        return ipaddress.IPv6Network(prefix)
    raise ValueError(f"unsupported AFI {afi}")


def from_network(network: "IPNetwork | str") -> tuple[AFI, Prefix]:
    """(AFI, prefix pair) for an ``ipaddress`` network or CIDR text (host bits must be zero)."""
    net = ipaddress.ip_network(network)
    afi = AFI.IPV4 if net.version == 4 else AFI.IPV6
    return afi, (int(net.network_address), net.prefixlen)
