"""Several runtimes calling the plugin at once (two nodes, each with its own host lock, so the IPAM
compare-and-swap races for real): distinct addresses, `ipam check` clean, and DEL leaves nothing."""
from concurrent.futures import ThreadPoolExecutor

from datastore.ipam.service import ipam_for
from tests.cli.cli_support import invoke
from tests.cni.conftest import ip

WORKLOADS = 6


def test_concurrent_adds_and_dels(bench, store, container_ns, tmp_path):
    namespaces = [container_ns() for _ in range(WORKLOADS)]

    def call(command, index):
        node = f"node-{'ab'[index % 2]}"
        conf = bench.conf(nodename=node, ipam_lock_file=str(tmp_path / f"{node}.lock"))
        return bench.run("pycalico-cni", command, f"{index:x}{'a' * 15}", f"/var/run/netns/{namespaces[index]}",
                         conf=conf)

    with ThreadPoolExecutor(WORKLOADS) as pool:
        replies = list(pool.map(lambda i: call("ADD", i), range(WORKLOADS)))
    assert all(r.code == 0 for r in replies), [r.doc for r in replies if r.code]
    addresses = [r.doc["ips"][0]["address"] for r in replies]
    assert len(set(addresses)) == WORKLOADS
    blocks = {b.affinity for _, b in ipam_for(store).blocks()}
    assert blocks == {"host:node-a", "host:node-b"}
    check = invoke(store, ["ipam", "check"])
    assert f"Found {WORKLOADS} workload IPs." in check.out
    assert check.out.endswith("Check complete; found 0 problems.\n"), check.out

    with ThreadPoolExecutor(WORKLOADS) as pool:
        replies = list(pool.map(lambda i: call("DEL", i), range(WORKLOADS)))
    assert all(r.code == 0 for r in replies), [r.doc for r in replies if r.code]
    assert "cali" not in ip("link", netns=bench.host_ns)
    assert store.list("WorkloadEndpoint") == ()
    assert all(b.is_empty for _, b in ipam_for(store).blocks()) and ipam_for(store).handles() == []
    assert invoke(store, ["ipam", "check"]).out.endswith("Check complete; found 0 problems.\n")
