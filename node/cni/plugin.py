"""`pycalico-cni` (type `calico`): a plain-CNI workload (reference/internals.md §6).

ADD: datastore ready → the WorkloadEndpoint name ``<node>-cni-<containerID>-<ifname>`` (namespace
``default``); an existing endpoint of this container is reused (its IPs returned, nothing created);
otherwise the IPAM plugin named by ``ipam.type`` is run from ``CNI_PATH`` exactly as a runtime runs a
plugin, the veth pair, addresses, routes and sysctls are set up, the endpoint is created and the
network's Profile is ensured (unless ``policy.type`` is set). Any failure after IPAM undoes the
interfaces and releases the addresses. DEL releases through the IPAM plugin, deletes the endpoint and
the container interface; every part may already be gone. CHECK compares the kernel with the endpoint.
Kubernetes arguments (``K8S_POD_*``) are accepted and ignored (IgnoreUnknown), as this is the plain path.
"""
from __future__ import annotations

import ipaddress
import json
import os
import subprocess
from typing import Any, Mapping

from node.cni import runtime
from node.cni.types import (
    ERR_INTERNAL,
    ERR_INVALID_NETWORK_CONFIG,
    ERR_UNKNOWN_CONTAINER,
    CNIError,
    Interface,
    Invocation,
    NetConf,
    Result,
    host_veth_name,
    result_ips,
)

NAMESPACE = "default"
ORCHESTRATOR = "cni"
DELEGATE_TIMEOUT = 120


def find_plugin(invocation: Invocation, plugin_type: str) -> str:
    """The executable ``plugin_type`` in CNI_PATH."""
    if not plugin_type or "/" in plugin_type:
        raise CNIError(ERR_INVALID_NETWORK_CONFIG, f"invalid IPAM plugin type {plugin_type!r}")
    for directory in invocation.path:
        candidate = os.path.join(directory, plugin_type)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise CNIError(ERR_INTERNAL, f'failed to find plugin "{plugin_type}" in path {list(invocation.path)}')


def delegate(invocation: Invocation, conf: NetConf, environ: Mapping[str, str], command: str) -> dict | None:
    """Run the IPAM plugin with the same environment and config, as a runtime would; its error is ours."""
    binary = find_plugin(invocation, conf.ipam.type)
    env = {**environ, "CNI_COMMAND": command}
    done = subprocess.run([binary], input=json.dumps(conf.raw).encode(), env=env, capture_output=True,
                          timeout=DELEGATE_TIMEOUT, check=False)
    output = done.stdout.decode(errors="replace").strip()
    try:
        reply = json.loads(output) if output else None
    except ValueError:
        reply = None
    if done.returncode != 0:
        if isinstance(reply, dict) and "code" in reply:
            raise CNIError(int(reply["code"]), str(reply.get("msg", "")), str(reply.get("details", "")))
        raise CNIError(ERR_INTERNAL, f"IPAM plugin {conf.ipam.type} failed: {output or done.stderr.decode()}")
    return reply


def endpoint_name(node: str, invocation: Invocation) -> str:
    """The WorkloadEndpoint name of this container's interface on ``node``."""
    from datastore.resources.endpoints import WorkloadEndpointSpec, workload_endpoint_name

    return workload_endpoint_name(WorkloadEndpointSpec(orchestrator=ORCHESTRATOR, node=node,
                                                       container_id=invocation.container_id,
                                                       endpoint=invocation.ifname))


def _existing(client: Any, name: str):
    from datastore.errors import NotFound

    try:
        return client.get("WorkloadEndpoint", name, NAMESPACE)
    except NotFound:
        return None


def _result(conf: NetConf, host_ifname: str, invocation: Invocation, mac: str, networks) -> dict:
    interfaces = (Interface(host_ifname), Interface(invocation.ifname, mac, invocation.netns))
    ips = tuple((ipaddress.ip_interface(n), 1) for n in networks)
    return Result(interfaces, ips).to_json(conf.cni_version)


def ensure_profile(client: Any, network: str) -> None:
    """The plain-CNI network Profile: egress allowed, ingress only from members, members labelled."""
    from datastore.errors import AlreadyExists
    from datastore.resources import from_dict

    try:
        client.create(from_dict({
            "apiVersion": "projectcalico.org/v3", "kind": "Profile", "metadata": {"name": network},
            "spec": {"ingress": [{"action": "Allow", "source": {"selector": f"has({network})"}}],
                     "egress": [{"action": "Allow"}],
                     "labelsToApply": {network: ""}},
        }))
    except AlreadyExists:
        pass


def cmd_add(invocation: Invocation, conf: NetConf, environ: Mapping[str, str]) -> dict:
    """ADD: see the module docstring."""
    from datastore.resources import from_dict
    from node.cni import netlink

    node = runtime.determine_nodename(conf)
    client = runtime.connect(conf, environ)
    runtime.check_datastore_ready(client)
    name = endpoint_name(node, invocation)
    existing = _existing(client, name)
    if existing is not None and existing.spec.container_id == invocation.container_id:
        return _result(conf, existing.spec.interface_name, invocation, existing.spec.mac, existing.spec.ip_networks)
    if not os.path.exists(invocation.netns):
        raise CNIError(ERR_UNKNOWN_CONTAINER, f'failed to open netns "{invocation.netns}": no such file or directory')
    ipam_result = delegate(invocation, conf, environ, "ADD") or {}
    host_ifname = host_veth_name(invocation.container_id)
    created = False
    try:
        addresses = [ipaddress.ip_interface((a.ip, a.ip.max_prefixlen)) for a in result_ips(ipam_result)]
        if not addresses:
            raise CNIError(ERR_INTERNAL, f"IPAM plugin {conf.ipam.type} returned no IP addresses")
        try:
            mac = netlink.setup_workload(invocation.netns, invocation.ifname, host_ifname, addresses, conf.mtu,
                                         conf.allow_ip_forwarding)
        except netlink.NetnsMissing as exc:
            raise CNIError(ERR_UNKNOWN_CONTAINER, str(exc)) from None
        except (netlink.LinkError, OSError) as exc:
            raise CNIError(ERR_INTERNAL, f"error setting up the workload interface: {exc}") from None
        created = True
        networks = [str(a) for a in addresses]
        client.create(from_dict({
            "apiVersion": "projectcalico.org/v3", "kind": "WorkloadEndpoint",
            "metadata": {"name": name, "namespace": NAMESPACE},
            "spec": {"orchestrator": ORCHESTRATOR, "workload": invocation.container_id, "node": node,
                     "containerID": invocation.container_id, "endpoint": invocation.ifname,
                     "ipNetworks": networks, "profiles": [conf.name], "interfaceName": host_ifname, "mac": mac},
        }))
        if not conf.policy_type:
            ensure_profile(client, conf.name)
    except BaseException:
        if created:
            netlink.remove_workload(invocation.netns, invocation.ifname)
        try:
            delegate(invocation, conf, environ, "DEL")
        except CNIError:
            pass
        raise
    return _result(conf, host_ifname, invocation, mac, networks)


def cmd_del(invocation: Invocation, conf: NetConf, environ: Mapping[str, str]) -> None:
    """DEL: release the addresses, delete the endpoint and the container interface (each may be gone)."""
    from datastore.errors import NotFound
    from node.cni import netlink

    node = runtime.determine_nodename(conf)
    client = runtime.connect(conf, environ)
    runtime.check_datastore_ready(client)
    delegate(invocation, conf, environ, "DEL")
    name = endpoint_name(node, invocation)
    try:
        client.delete("WorkloadEndpoint", name, NAMESPACE)
    except NotFound:
        pass
    netlink.remove_workload(invocation.netns, invocation.ifname)
    return None


def cmd_check(invocation: Invocation, conf: NetConf, environ: Mapping[str, str]) -> None:
    """CHECK: the endpoint exists and the kernel state (addresses, MAC, host side, routes) matches it."""
    from node.cni import netlink

    node = runtime.determine_nodename(conf)
    client = runtime.connect(conf, environ)
    wep = _existing(client, endpoint_name(node, invocation))
    if wep is None:
        raise CNIError(ERR_INTERNAL, f"workload endpoint {endpoint_name(node, invocation)} does not exist")
    try:
        state = netlink.inspect(invocation.netns, invocation.ifname, wep.spec.interface_name)
    except netlink.NetnsMissing as exc:
        raise CNIError(ERR_UNKNOWN_CONTAINER, str(exc)) from None
    except netlink.LinkError as exc:
        raise CNIError(ERR_INTERNAL, str(exc)) from None
    wanted = tuple(sorted(wep.spec.ip_networks))
    if state.addresses != wanted:
        raise CNIError(ERR_INTERNAL, f"container addresses {list(state.addresses)} differ from {list(wanted)}")
    if state.mac != wep.spec.mac:
        raise CNIError(ERR_INTERNAL, f"container MAC {state.mac} differs from {wep.spec.mac}")
    if not state.host_up:
        raise CNIError(ERR_INTERNAL, f"host interface {wep.spec.interface_name} is down")
    missing = [n for n in wanted if n not in state.host_routes]
    if missing:
        raise CNIError(ERR_INTERNAL, f"host routes missing for {missing}")
    if conf.prev_result is not None:
        previous = sorted(str(ipaddress.ip_interface(a)) for a in result_ips(conf.prev_result))
        if previous != list(wanted):
            raise CNIError(ERR_INTERNAL, f"prevResult addresses {previous} differ from {list(wanted)}")
    delegate(invocation, conf, environ, "CHECK")
    return None


HANDLERS = {"ADD": cmd_add, "DEL": cmd_del, "CHECK": cmd_check}


def main() -> None:
    """Console script entry point."""
    raise SystemExit(runtime.run(HANDLERS))
