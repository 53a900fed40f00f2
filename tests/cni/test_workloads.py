"""Real workloads: pycalico-cni run as a runtime runs it, on namespaces the tests create."""
import ipaddress
import json
import os
import shutil
import subprocess
import time

import pytest

from datastore.ipam.service import ipam_for
from tests.cli.cli_support import invoke
from tests.cni.conftest import BIN, NETWORK, Bench, ip
from tests.conftest import require

CONTAINER = "0123456789abcdef0123"
HOST_VETH = "cali0123456789a"


def netns_path(name: str) -> str:
    return f"/var/run/netns/{name}"


def allocations(client):
    return [(str(a), attr.handle_id) for _, block in ipam_for(client).blocks() for a, attr in block.allocated()]


def test_add_creates_a_pingable_workload_and_del_removes_everything(bench, store, container_ns):
    ns = container_ns()
    reply = bench.run("pycalico-cni", "ADD", CONTAINER, netns_path(ns))
    assert reply.code == 0, reply
    doc = reply.doc
    address = doc["ips"][0]["address"]
    assert ipaddress.ip_interface(address).network.prefixlen == 32
    assert ipaddress.ip_address(address.split("/")[0]) in ipaddress.ip_network("198.19.0.0/24")
    assert doc["cniVersion"] == "1.0.0" and doc["dns"] == {}
    assert doc["interfaces"][0] == {"name": HOST_VETH}
    assert doc["interfaces"][1]["name"] == "eth0" and doc["interfaces"][1]["sandbox"] == netns_path(ns)
    assert doc["ips"] == [{"interface": 1, "address": address}]

    host_link = ip("-d", "link", "show", HOST_VETH, netns=bench.host_ns)
    assert "ee:ee:ee:ee:ee:ee" in host_link and "state UP" in host_link and "mtu 1400" in host_link
    assert ip("-o", "addr", "show", "dev", "eth0", "scope", "global", netns=ns).split()[3] == address
    container_routes = ip("route", netns=ns)
    assert "default via 169.254.1.1 dev eth0" in container_routes
    assert "169.254.1.1 dev eth0" in container_routes and "scope link" in container_routes
    host_route = ip("route", "show", address, netns=bench.host_ns)
    assert f"dev {HOST_VETH}" in host_route and "scope link" in host_route
    sysctl = lambda key: open_sysctl(bench.host_ns, key)
    assert sysctl(f"net.ipv4.conf.{HOST_VETH}.proxy_arp") == "1"
    assert sysctl(f"net.ipv4.conf.{HOST_VETH}.route_localnet") == "1"
    assert sysctl(f"net.ipv4.neigh.{HOST_VETH}.proxy_delay") == "0"

    ping = subprocess.run(["ip", "netns", "exec", bench.host_ns, "ping", "-c", "2", "-i", "0.2", "-W", "2",
                           address.split("/")[0]], capture_output=True, text=True)
    assert ping.returncode == 0, ping.stdout + ping.stderr

    wep = store.get("WorkloadEndpoint", f"node--a-cni-{CONTAINER}-eth0", "default")
    assert wep.spec.ip_networks == (address,) and wep.spec.interface_name == HOST_VETH
    assert wep.spec.mac == doc["interfaces"][1]["mac"] and wep.spec.profiles == (NETWORK,)
    assert (wep.spec.orchestrator, wep.spec.container_id, wep.spec.node) == ("cni", CONTAINER, "node-a")
    assert allocations(store) == [(address.split("/")[0], f"{NETWORK}.{CONTAINER}")]
    assert store.get("Profile", NETWORK).spec.labels_to_apply == {NETWORK: ""}

    listed = invoke(store, ["get", "workloadendpoints", "-o", "wide"])
    assert f"node--a-cni-{CONTAINER}-eth0" in listed.out and address in listed.out and HOST_VETH in listed.out
    listed = invoke(store, ["get", "wep"])
    assert listed.out.splitlines()[0].split() == ["WORKLOAD", "NODE", "NETWORKS", "INTERFACE"]
    assert listed.out.splitlines()[1].split()[1:] == ["node-a", address, HOST_VETH]

    assert bench.run("pycalico-cni", "CHECK", CONTAINER, netns_path(ns),
                     conf=bench.conf(prevResult=doc)).code == 0

    reply = bench.run("pycalico-cni", "DEL", CONTAINER, netns_path(ns))
    assert (reply.code, reply.doc) == (0, None)
    assert HOST_VETH not in ip("link", netns=bench.host_ns)
    assert "eth0" not in ip("link", netns=ns)
    assert ip("route", "show", address, netns=bench.host_ns).strip() == ""
    assert store.list("WorkloadEndpoint") == ()
    assert allocations(store) == [] and ipam_for(store).handles() == []
    again = bench.run("pycalico-cni", "DEL", CONTAINER, netns_path(ns))
    assert again.code == 0, again


def open_sysctl(netns: str, key: str) -> str:
    return subprocess.run(["ip", "netns", "exec", netns, "sysctl", "-n", key],
                          capture_output=True, text=True, check=True).stdout.strip()


def test_add_is_idempotent(bench, store, container_ns):
    ns = container_ns()
    first = bench.run("pycalico-cni", "ADD", CONTAINER, netns_path(ns))
    second = bench.run("pycalico-cni", "ADD", CONTAINER, netns_path(ns))
    assert first.code == second.code == 0
    assert second.doc["ips"] == first.doc["ips"]
    assert len(allocations(store)) == 1 and len(store.list("WorkloadEndpoint")) == 1


def test_two_workloads_get_distinct_addresses_and_reach_each_other(bench, store, container_ns):
    a, b = container_ns(), container_ns()
    ra = bench.run("pycalico-cni", "ADD", "aaaaaaaaaaaaaaaa", netns_path(a))
    rb = bench.run("pycalico-cni", "ADD", "bbbbbbbbbbbbbbbb", netns_path(b))
    assert ra.code == rb.code == 0
    ip_a = ra.doc["ips"][0]["address"].split("/")[0]
    ip_b = rb.doc["ips"][0]["address"].split("/")[0]
    assert ip_a != ip_b
    subprocess.run(["ip", "netns", "exec", bench.host_ns, "sysctl", "-qw", "net.ipv4.ip_forward=1"], check=True)
    ping = subprocess.run(["ip", "netns", "exec", a, "ping", "-c", "1", "-W", "2", ip_b], capture_output=True, text=True)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    for cid, ns in (("aaaaaaaaaaaaaaaa", a), ("bbbbbbbbbbbbbbbb", b)):
        assert bench.run("pycalico-cni", "DEL", cid, netns_path(ns)).code == 0
    assert allocations(store) == []


def test_dual_stack_workload(bench, store, container_ns):
    from tests.cni.conftest import make_pool

    make_pool(store, "pool-v6", "fd00:198:19::/120", 124)
    ns = container_ns()
    conf = bench.conf(ipam={"type": "calico-ipam", "assign_ipv4": "true", "assign_ipv6": "true"})
    reply = bench.run("pycalico-cni", "ADD", CONTAINER, netns_path(ns), conf=conf)
    assert reply.code == 0, reply
    addresses = [e["address"] for e in reply.doc["ips"]]
    assert [ipaddress.ip_interface(a).version for a in addresses] == [4, 6]
    assert addresses[1].endswith("/128")
    assert "default via fe80::ecee:eeff:feee:eeee dev eth0" in ip("-6", "route", netns=ns)
    assert f"dev {HOST_VETH}" in ip("-6", "route", "show", addresses[1], netns=bench.host_ns)
    assert bench.run("pycalico-cni", "DEL", CONTAINER, netns_path(ns), conf=conf).code == 0
    assert allocations(store) == []


def test_check_fails_when_the_container_interface_is_gone(bench, store, container_ns):
    ns = container_ns()
    assert bench.run("pycalico-cni", "ADD", CONTAINER, netns_path(ns)).code == 0
    ip("link", "del", "eth0", netns=ns)
    reply = bench.run("pycalico-cni", "CHECK", CONTAINER, netns_path(ns))
    assert reply.code == 1 and reply.doc["code"] == 999 and "eth0" in reply.doc["msg"]
    assert bench.run("pycalico-cni", "DEL", CONTAINER, netns_path(ns)).code == 0
    assert allocations(store) == [] and store.list("WorkloadEndpoint") == ()


def test_ipam_plugin_add_del_as_a_runtime_calls_it(plain_bench, store):
    reply = plain_bench.run("pycalico-ipam", "ADD", "c1", "/var/run/netns/whatever")
    assert reply.code == 0, reply
    assert reply.doc["cniVersion"] == "1.0.0" and len(reply.doc["ips"]) == 1
    assert reply.doc["ips"][0]["address"].endswith("/32") and "interface" not in reply.doc["ips"][0]
    block = ipam_for(store).blocks()[0][1]
    attrs = block.attribute_of(ipaddress.ip_address(reply.doc["ips"][0]["address"].split("/")[0]))
    assert attrs.handle_id == f"{NETWORK}.c1" and attrs.attrs["node"] == "node-a"
    assert attrs.attrs["timestamp"].endswith(" +0000 UTC")
    check = plain_bench.run("pycalico-ipam", "CHECK", "c1", "/x", conf=plain_bench.conf(prevResult=reply.doc))
    assert check.code == 0, check
    old = plain_bench.run("pycalico-ipam", "ADD", "c1", "/x", conf=json.dumps(plain_bench.conf(cniVersion="0.3.1")))
    assert old.doc["ips"][0]["version"] == "4"
    assert plain_bench.run("pycalico-ipam", "DEL", "c1", "").code == 0
    assert allocations(store) == []
    bad = plain_bench.run("pycalico-ipam", "CHECK", "c1", "/x", conf=plain_bench.conf(prevResult=reply.doc))
    assert bad.code == 1 and bad.doc["code"] == 999



@pytest.fixture
def etcd_in_host_ns(host_ns, tmp_path):
    """A real etcd inside the host namespace (where a node's etcd client runs), on that namespace's
    loopback; stopped by PID (``ip netns exec`` execs etcd in place)."""
    require(shutil.which("etcd") is not None and shutil.which("etcdctl") is not None, "etcd-server, etcd-client")
    url, peer = "http://127.0.0.1:2379", "http://127.0.0.1:2380"
    log = open(tmp_path / "etcd.log", "wb")
    proc = subprocess.Popen(
        ["ip", "netns", "exec", host_ns, shutil.which("etcd"), "--name", "t", "--data-dir", str(tmp_path / "etcd"),
         "--listen-client-urls", url, "--advertise-client-urls", url, "--listen-peer-urls", peer,
         "--initial-advertise-peer-urls", peer, "--initial-cluster", f"t={peer}", "--logger", "zap",
         "--log-level", "error"], stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + 20
    while in_ns(host_ns, "etcdctl", "--endpoints", url, "endpoint", "health", check=False).returncode != 0:
        assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "etcd.log").read_text()[-2000:]
        time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(10)


def in_ns(netns: str, *argv: str, stdin: str = "", check: bool = True, **env: str) -> subprocess.CompletedProcess:
    """Run a command inside ``netns`` (etcdctl speaks v3; ``env`` added to the environment)."""
    environ = {**os.environ, "ETCDCTL_API": "3", **env}
    return subprocess.run(["ip", "netns", "exec", netns, *argv], input=stdin, capture_output=True, text=True,
                          env=environ, check=check, timeout=60)


def test_workload_on_etcd_chosen_by_the_network_config(etcd_in_host_ns, host_ns, cni_path, tmp_path, container_ns):
    """The datastore comes from the network config's own fields (datastore_type, etcd_endpoints): the
    workload's WorkloadEndpoint and allocation live in etcd under Calico's keys, and DEL leaves no
    key of the workload behind."""
    url = etcd_in_host_ns
    pool = ("apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: pool-a}\n"
            "spec: {cidr: 198.19.0.0/24, blockSize: 28}\n")
    in_ns(host_ns, str(BIN / "pycalicoctl"), "apply", "-f", "-", stdin=pool, ETCD_ENDPOINTS=url)
    bench = Bench("", host_ns, cni_path, str(tmp_path / "ipam.lock"))
    conf = bench.conf(datastore_type="etcdv3", etcd_endpoints=url)
    del conf["datastore_path"]
    ns = container_ns()
    reply = bench.run("pycalico-cni", "ADD", CONTAINER, netns_path(ns), conf=conf)
    assert reply.code == 0, reply
    address = reply.doc["ips"][0]["address"]
    ping = in_ns(host_ns, "ping", "-c", "1", "-W", "2", address.split("/")[0], check=False)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    wep_key = f"/calico/resources/v3/projectcalico.org/workloadendpoints/default/node--a-cni-{CONTAINER}-eth0"
    handle_key = f"/calico/ipam/v2/handle/{NETWORK}.{CONTAINER}"
    stored = in_ns(host_ns, "etcdctl", "--endpoints", url, "get", "--print-value-only", wep_key).stdout
    assert json.loads(stored)["spec"]["ipNetworks"] == [address]
    blocks = in_ns(host_ns, "etcdctl", "--endpoints", url, "get", "--prefix", "--print-value-only",
                   "/calico/ipam/v2/assignment/ipv4/block/").stdout
    [attribute] = json.loads(blocks)["attributes"]
    assert attribute["handle_id"] == f"{NETWORK}.{CONTAINER}" and attribute["secondary"]["node"] == "node-a"
    assert in_ns(host_ns, "etcdctl", "--endpoints", url, "get", "--print-value-only", handle_key).stdout.strip()
    listed = in_ns(host_ns, str(BIN / "pycalicoctl"), "get", "wep", ETCD_ENDPOINTS=url).stdout
    assert listed.splitlines()[1].split()[1:] == ["node-a", address, HOST_VETH]

    reply = bench.run("pycalico-cni", "DEL", CONTAINER, netns_path(ns), conf=conf)
    assert (reply.code, reply.doc) == (0, None)
    assert HOST_VETH not in ip("link", netns=host_ns)
    keys = in_ns(host_ns, "etcdctl", "--endpoints", url, "get", "--prefix", "--keys-only", "/calico/").stdout
    assert wep_key not in keys and handle_key not in keys
    blocks = in_ns(host_ns, "etcdctl", "--endpoints", url, "get", "--prefix", "--print-value-only",
                   "/calico/ipam/v2/assignment/ipv4/block/").stdout
    assert json.loads(blocks)["attributes"] == [] and json.loads(blocks)["allocations"] == [None] * 16
