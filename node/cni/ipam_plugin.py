"""`pycalico-ipam` (type `calico-ipam`): CNI IPAM over datastore.ipam.

ADD assigns one IPv4 (and one IPv6 with ``assign_ipv6: "true"``) for the handle
``<network name>.<container ID>`` with attributes ``{node, timestamp}``, under the host-wide lock;
if one family fails the other is released. Addresses are returned as /32 and /128.
DEL releases by that handle and then by the legacy handle (the container ID); missing is fine.
CHECK verifies that the handle still holds every address of ``prevResult``.
"""
from __future__ import annotations

import ipaddress
import time
from typing import Any, Mapping

from node.cni import runtime
from node.cni.types import (
    ERR_INTERNAL,
    ERR_INVALID_NETWORK_CONFIG,
    CNIError,
    Invocation,
    NetConf,
    Result,
    go_time_string,
    handle_id,
    pools_for,
    result_ips,
)


def _allocator(conf: NetConf, environ: Mapping[str, str]):
    from datastore.ipam.service import ipam_for

    client = runtime.connect(conf, environ)
    runtime.check_datastore_ready(client)
    return ipam_for(client)


def assign(ipam: Any, conf: NetConf, handle: str, node: str, attrs: Mapping[str, str]) -> list:
    """One address per wanted family as /32 or /128; on any failure nothing stays allocated."""
    from datastore.errors import DatastoreError
    from datastore.ipam.allocator import AssignRequest

    families = [v for v, wanted in ((4, conf.ipam.assign_ipv4), (6, conf.ipam.assign_ipv6)) if wanted]
    if not families:
        raise CNIError(ERR_INVALID_NETWORK_CONFIG, "at least one of assign_ipv4 and assign_ipv6 must be true")
    addresses = []
    try:
        for version in families:
            request = AssignRequest(count=1, handle_id=handle, hostname=node, attrs=dict(attrs),
                                    pools=tuple(pools_for(conf.ipam, version)))
            got = ipam.auto_assign(request, version)
            if not got:
                raise CNIError(ERR_INTERNAL, f"failed to request 1 IPv{version} addresses. IPAM allocated only 0")
            addresses += [ipaddress.ip_interface((a.ip, a.ip.max_prefixlen)) for a in got]
    except (CNIError, DatastoreError) as exc:
        _release_quietly(ipam, handle)
        if isinstance(exc, CNIError):
            raise
        raise CNIError(ERR_INTERNAL, str(exc)) from None
    except BaseException:
        _release_quietly(ipam, handle)
        raise
    return addresses


def _release_quietly(ipam: Any, handle: str) -> None:
    from datastore.errors import NotFound

    try:
        ipam.release_by_handle(handle)
    except NotFound:
        pass


def cmd_add(invocation: Invocation, conf: NetConf, environ: Mapping[str, str]) -> dict:
    """ADD: assign under the host lock and return the addresses."""
    node = runtime.determine_nodename(conf)
    ipam = _allocator(conf, environ)
    attrs = {"node": node, "timestamp": go_time_string(time.time_ns())}
    with runtime.ipam_lock(conf.ipam_lock_file):
        addresses = assign(ipam, conf, handle_id(conf.name, invocation.container_id), node, attrs)
    return Result(ips=tuple((a, None) for a in addresses)).to_json(conf.cni_version)


def cmd_del(invocation: Invocation, conf: NetConf, environ: Mapping[str, str]) -> None:
    """DEL: release by handle, then by the legacy handle; missing is fine."""
    runtime.determine_nodename(conf)
    ipam = _allocator(conf, environ)
    with runtime.ipam_lock(conf.ipam_lock_file):
        _release_quietly(ipam, handle_id(conf.name, invocation.container_id))
        _release_quietly(ipam, invocation.container_id)
    return None


def cmd_check(invocation: Invocation, conf: NetConf, environ: Mapping[str, str]) -> None:
    """CHECK: every prevResult address is still allocated to this handle."""
    ipam = _allocator(conf, environ)
    handle = handle_id(conf.name, invocation.container_id)
    for address in result_ips(conf.prev_result or {}):
        found = ipam.block_of(address.ip)
        attribute = None if found is None else found[1].attribute_of(address.ip)
        if attribute is None or attribute.handle_id != handle:
            raise CNIError(ERR_INTERNAL, f"IP {address.ip} is not allocated to handle {handle}")
    return None


HANDLERS = {"ADD": cmd_add, "DEL": cmd_del, "CHECK": cmd_check}


def main() -> None:
    """Console script entry point."""
    raise SystemExit(runtime.run(HANDLERS))
