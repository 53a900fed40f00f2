"""All of the CNI plugin's kernel work (pyroute2): the workload veth pair, addresses, routes, sysctls.

Layout Calico builds for a workload (reference/internals.md §4.1, §6.2)::

    host netns                                   container netns (CNI_NETNS)
    caliXXXXXXXXXXX  <-------- veth -------->    eth0   10.x.y.z/32
      mac ee:ee:ee:ee:ee:ee, no address            169.254.1.1 dev eth0 scope link
      proxy_arp=1 route_localnet=1 forwarding=1    default via 169.254.1.1 dev eth0
      10.x.y.z/32 dev cali… scope link (proto boot) 169.254.1.1 lladdr ee:ee:ee:ee:ee:ee PERMANENT
                                                   (v6: default via fe80::ecee:eeff:feee:eeee, DAD off)
"""
from __future__ import annotations

import errno
import ipaddress
import os
from dataclasses import dataclass
from typing import Sequence

from pyroute2 import IPRoute
from pyroute2.netns import setns
from pyroute2.netlink.exceptions import NetlinkError

HOST_MAC = "ee:ee:ee:ee:ee:ee"
GATEWAY_V4 = "169.254.1.1"
GATEWAY_V6 = "fe80::ecee:eeff:feee:eeee"
PROTO_BOOT = 3
SCOPE_LINK = 253
NUD_PERMANENT = 0x80

IPInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface


class NetnsMissing(Exception):
    """The container's network namespace does not exist."""


class LinkError(Exception):
    """A kernel operation on the workload's interfaces failed; the text says which."""


@dataclass(frozen=True)
class ContainerState:
    """What CHECK compares: the container interface's MAC and addresses, and whether the host side is up."""

    mac: str
    addresses: tuple[str, ...]
    host_up: bool
    host_routes: tuple[str, ...]


def _open_netns(path: str) -> IPRoute:
    if not os.path.exists(path):
        raise NetnsMissing(f"failed to Statfs \"{path}\": no such file or directory")
    return IPRoute(netns=path)


def _write_sysctl(name: str, value: str) -> None:
    with open(f"/proc/sys/{name.replace('.', '/')}", "w", encoding="ascii") as handle:
        handle.write(value)


def host_sysctls(host_ifname: str, ipv4: bool, ipv6: bool) -> None:
    """The host-side interface settings Calico applies (proxy ARP/NDP, forwarding, no RA)."""
    if ipv4:
        for key, value in (("conf/{}/route_localnet", "1"), ("neigh/{}/proxy_delay", "0"),
                           ("conf/{}/proxy_arp", "1"), ("conf/{}/forwarding", "1")):
            _write_sysctl("net/ipv4/" + key.format(host_ifname), value)
    if os.path.exists(f"/proc/sys/net/ipv6/conf/{host_ifname}"):
        settings = [("accept_ra", "0")]
        if ipv6:
            settings += [("disable_ipv6", "0"), ("accept_dad", "0"), ("proxy_ndp", "1"), ("forwarding", "1")]
        for key, value in settings:
            _write_sysctl(f"net/ipv6/conf/{host_ifname}/{key}", value)


def delete_host_link(name: str) -> None:
    """Remove a stale host-side veth of this name (absent is fine)."""
    with IPRoute() as ipr:
        found = ipr.link_lookup(ifname=name)
        if found:
            ipr.link("del", index=found[0])


def setup_workload(netns: str, ifname: str, host_ifname: str, addresses: Sequence[IPInterface],
                   mtu: int, allow_ip_forwarding: bool = False) -> str:
    """Create and configure the veth pair and host routes; returns the container side's MAC.

    On failure everything created here is removed again before the error propagates."""
    with _open_netns(netns) as container:
        if container.link_lookup(ifname=ifname):
            raise LinkError(f"container veth name provided ({ifname}) already exists")
    delete_host_link(host_ifname)
    with IPRoute() as ipr:
        try:
            ipr.link("add", ifname=host_ifname, kind="veth", mtu=mtu, peer={"ifname": ifname, "net_ns_fd": netns,
                                                                            "mtu": mtu})
        except NetlinkError as exc:
            raise LinkError(f"failed to create veth pair {host_ifname}/{ifname}: {exc.args[1]}") from None
    try:
        mac = _configure_container(netns, ifname, addresses, allow_ip_forwarding)
        _configure_host(host_ifname, addresses)
    except BaseException:
        delete_host_link(host_ifname)
        raise
    return mac


def _configure_container(netns: str, ifname: str, addresses: Sequence[IPInterface],
                         allow_ip_forwarding: bool) -> str:
    has_v4 = any(a.version == 4 for a in addresses)
    has_v6 = any(a.version == 6 for a in addresses)
    with _open_netns(netns) as container:
        index = container.link_lookup(ifname=ifname)[0]
        if has_v6:
            _in_netns_sysctls(netns, ifname)
        container.link("set", index=index, state="up")
        for address in addresses:
            container.addr("add", index=index, address=str(address.ip), prefixlen=address.max_prefixlen)
        if has_v4:
            container.route("add", dst=f"{GATEWAY_V4}/32", oif=index, scope=SCOPE_LINK, proto=PROTO_BOOT)
            container.route("add", dst="0.0.0.0/0", gateway=GATEWAY_V4, oif=index, proto=PROTO_BOOT)
            container.neigh("add", dst=GATEWAY_V4, lladdr=HOST_MAC, ifindex=index, state=NUD_PERMANENT)
        if has_v6:
            container.route("add", dst="::/0", gateway=GATEWAY_V6, oif=index, proto=PROTO_BOOT, family=10)
        if allow_ip_forwarding:
            _in_netns_forwarding(netns)
        return container.get_links(index)[0].get_attr("IFLA_ADDRESS")


def _in_netns(netns: str, writes: Sequence[tuple[str, str]]) -> None:
    """Write sysctls inside the container's netns (a short-lived child enters it; /proc/sys/net is per netns)."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            setns(netns, flags=0)
            for name, value in writes:
                if os.path.exists(f"/proc/sys/{name}"):
                    _write_sysctl(name, value)
        except BaseException:  # noqa: BLE001 - the child only reports success or failure
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise LinkError(f"failed to set sysctls in {netns}")


def _in_netns_sysctls(netns: str, ifname: str) -> None:
    _in_netns(netns, [(f"net/ipv6/conf/{ifname}/accept_dad", "0"), (f"net/ipv6/conf/{ifname}/disable_ipv6", "0")])


def _in_netns_forwarding(netns: str) -> None:
    _in_netns(netns, [("net/ipv4/ip_forward", "1"), ("net/ipv6/conf/all/forwarding", "1")])


def _configure_host(host_ifname: str, addresses: Sequence[IPInterface]) -> None:
    with IPRoute() as ipr:
        index = ipr.link_lookup(ifname=host_ifname)[0]
        ipr.link("set", index=index, address=HOST_MAC)
        host_sysctls(host_ifname, any(a.version == 4 for a in addresses), any(a.version == 6 for a in addresses))
        ipr.link("set", index=index, state="up")
        for address in addresses:
            dst = f"{address.ip}/{address.max_prefixlen}"
            family = 2 if address.version == 4 else 10
            try:
                ipr.route("add", dst=dst, oif=index, scope=SCOPE_LINK, proto=PROTO_BOOT, family=family)
            except NetlinkError as exc:
                if exc.code != errno.EEXIST:
                    raise LinkError(f"failed to add route {dst} via {host_ifname}: {exc.args[1]}") from None
                existing = ipr.route("get", dst=str(address.ip), family=family)
                if not existing or existing[0].get_attr("RTA_OIF") != index:
                    raise LinkError(f"route ({dst}) already exists for an interface other than "
                                    f"'{host_ifname}'") from None


def remove_workload(netns: str, ifname: str) -> None:
    """Delete the container interface (the host side and its routes go with it); gone netns/link is fine."""
    if not netns or not os.path.exists(netns):
        return
    with IPRoute(netns=netns) as container:
        found = container.link_lookup(ifname=ifname)
        if found:
            container.link("del", index=found[0])


def inspect(netns: str, ifname: str, host_ifname: str) -> ContainerState:
    """The current state of a workload's interfaces (LinkError if either side is missing)."""
    with _open_netns(netns) as container:
        found = container.link_lookup(ifname=ifname)
        if not found:
            raise LinkError(f"interface {ifname} not found in {netns}")
        mac = container.get_links(found[0])[0].get_attr("IFLA_ADDRESS")
        addresses = tuple(sorted(f"{a.get_attr('IFA_ADDRESS')}/{a['prefixlen']}"
                                 for a in container.get_addr(index=found[0])
                                 if a["scope"] == 0))
    with IPRoute() as ipr:
        host = ipr.link_lookup(ifname=host_ifname)
        if not host:
            raise LinkError(f"host interface {host_ifname} not found")
        link = ipr.get_links(host[0])[0]
        up = bool(link["flags"] & 1)
        routes = tuple(sorted(f"{r.get_attr('RTA_DST')}/{r['dst_len']}"
                              for family in (2, 10) for r in ipr.get_routes(family=family, oif=host[0])
                              if r.get_attr("RTA_DST") and r["dst_len"] in (32, 128)))
    return ContainerState(mac, addresses, up, routes)
