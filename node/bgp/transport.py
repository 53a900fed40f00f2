"""TCP plumbing for BGP sessions: listeners, outgoing connections, TCP MD5 (RFC 2385) and GTSM.

TCP_MD5SIG takes a ``struct tcp_md5sig`` (linux/tcp.h)::

    +-------------------------------+-------+---------+--------+---------+-----------------+
    | tcpm_addr: sockaddr_storage   | flags | prefix  | keylen | ifindex | key (80 octets) |
    | (128 octets)                  | (1)   | len (1) | (2)    | (4)     |                 |
    +-------------------------------+-------+---------+--------+---------+-----------------+

The key is bound to the peer address and must be installed on the listening socket (before the
peer's SYN arrives) and on the connecting socket (before ``connect``). On an IPv6 socket an IPv4
peer is written as its v4-mapped address. GTSM (RFC 5082) sends with TTL 255 and drops segments
whose TTL is below 255 (IP_MINTTL / IPV6_MINHOPCOUNT).
"""
from __future__ import annotations

import asyncio
import ipaddress
import socket
import struct

TCP_MD5SIG = getattr(socket, "TCP_MD5SIG", 14)
TCP_MD5SIG_MAXKEYLEN = 80
IP_MINTTL = getattr(socket, "IP_MINTTL", 21)
IPV6_MINHOPCOUNT = getattr(socket, "IPV6_MINHOPCOUNT", 73)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _sockaddr(address: IPAddress, socket_family: int) -> bytes:
    """A sockaddr_storage (128 octets) for ``address`` as seen by a socket of ``socket_family``."""
    if socket_family == socket.AF_INET6:
        if address.version == 4:
            address = ipaddress.IPv6Address(f"::ffff:{address}")
        raw = struct.pack("=H", socket.AF_INET6) + struct.pack("!HI", 0, 0) + address.packed + b"\0" * 4
    else:
        if address.version != 4:
            raise ValueError(f"an IPv4 socket cannot hold a key for {address}")
        raw = struct.pack("=H", socket.AF_INET) + struct.pack("!H", 0) + address.packed
    return raw.ljust(128, b"\0")


def md5sig(address: IPAddress, key: bytes, socket_family: int) -> bytes:
    """The ``struct tcp_md5sig`` value that installs (or, with an empty key, removes) a key."""
    if len(key) > TCP_MD5SIG_MAXKEYLEN:
        raise ValueError(f"TCP MD5 key longer than {TCP_MD5SIG_MAXKEYLEN} octets")
    return _sockaddr(address, socket_family) + struct.pack("=BBHi", 0, 0, len(key), 0) + key.ljust(80, b"\0")


def set_md5(sock: socket.socket, address: IPAddress, password: str | None) -> None:
    """Install the peer's TCP MD5 key on ``sock``; ``None`` removes it."""
    key = (password or "").encode()
    try:
        sock.setsockopt(socket.IPPROTO_TCP, TCP_MD5SIG, md5sig(address, key, sock.family))
    except FileNotFoundError:
        if key:
            raise


def set_ttl_255(sock: socket.socket) -> None:
    """Send with TTL (and IPv6 hop limit) 255."""
    if sock.family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 255)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 255)


def set_gtsm(sock: socket.socket, peer: IPAddress) -> None:
    """RFC 5082: send with TTL/hop limit 255 and refuse anything that arrives with less."""
    set_ttl_255(sock)
    if sock.family == socket.AF_INET6 and peer.version == 6:
        sock.setsockopt(socket.IPPROTO_IPV6, IPV6_MINHOPCOUNT, 255)
    else:
        sock.setsockopt(socket.IPPROTO_IP, IP_MINTTL, 255)


def listening_socket(address: str, port: int) -> socket.socket:
    """A non-blocking listening socket; ``::`` accepts IPv4 and IPv6."""
    ip = ipaddress.ip_address(address)
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind((address, port))
        sock.listen(512)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def peer_address(sock: socket.socket) -> IPAddress:
    """The remote address of a connected socket, v4-mapped addresses unwrapped."""
    ip = ipaddress.ip_address(sock.getpeername()[0].split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


async def connect(peer: IPAddress, port: int, *, source: IPAddress | None, password: str | None,
                  ttl_security: bool, timeout: float) -> socket.socket:
    """Open a TCP connection to the peer with MD5 and GTSM applied before the SYN."""
    family = socket.AF_INET6 if peer.version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if password:
            set_md5(sock, peer, password)
        if ttl_security:
            set_gtsm(sock, peer)
        if source is not None:
            sock.bind((str(source), 0))
        loop = asyncio.get_running_loop()
        await asyncio.wait_for(loop.sock_connect(sock, (str(peer), port)), timeout)
    except BaseException:
        sock.close()
        raise
    return sock
