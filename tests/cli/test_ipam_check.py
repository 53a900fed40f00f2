"""`pycalicoctl ipam check` and `ipam release --from-report` on real datastores (local and etcd)."""
import ipaddress
import json
import os

import pytest

from datastore.ipam.records import AllocationHandle
from datastore.ipam.service import ipam_for
from datastore.keys import HandleKey
from datastore.resources import from_dict, to_dict
from pycalicoctl.engine import CLIENT_VERSION
from tests.cli.cli_support import invoke

ip = ipaddress.ip_address


def create(client, kind, name, spec, namespace=None):
    metadata = {"name": name, **({"namespace": namespace} if namespace else {})}
    client.create(from_dict({"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": metadata, "spec": spec}))


def wep(client, container, address):
    create(client, "WorkloadEndpoint", f"node--a-cni-{container}-eth0",
           {"orchestrator": "cni", "workload": container, "node": "node-a", "containerID": container,
            "endpoint": "eth0", "ipNetworks": [address], "interfaceName": f"cali{container}"}, "default")


@pytest.fixture
def messy(client):
    """One workload, one node tunnel address, a leaked IP, an orphan handle, a missing handle record,
    an in-pool workload IP without allocation and a workload IP outside every pool."""
    create(client, "IPPool", "pool-a", {"cidr": "10.65.0.0/16"})
    create(client, "Node", "node-a", {"ipv4VXLANTunnelAddr": "10.65.0.2"})
    allocator = ipam_for(client)
    allocator.assign_ip(ip("10.65.0.1"), "net.c1", {"node": "node-a"}, "node-a")
    allocator.assign_ip(ip("10.65.0.2"), "vxlan-tunnel-addr-node-a", {"node": "node-a", "type": "vxlanTunnelAddress"},
                        "node-a")
    allocator.assign_ip(ip("10.65.0.3"), "leak1", {"node": "node-a"}, "node-a")
    client.backend.delete(HandleKey("vxlan-tunnel-addr-node-a").path)
    client.backend.create(HandleKey("orphan").path, AllocationHandle("orphan").increment("10.65.0.0/26", 1).to_bytes())
    wep(client, "c1", "10.65.0.1/32")
    wep(client, "c2", "10.65.0.10/32")
    wep(client, "c3", "192.168.99.1/32")
    return client


EXPECTED = """\
Checking IPAM for inconsistencies...

Loading all IPAM blocks...
Found 1 IPAM blocks.
 IPAM block 10.65.0.0/26 affinity=host:node-a:
IPAM blocks record 3 allocations.

Loading all IPAM pools...
  10.65.0.0/16
Found 1 active IP pools.

Loading all nodes.
Found 1 node tunnel IPs.

Loading all workload endpoints.
Found 3 workload IPs.
Workloads and nodes are using 4 IPs.

Loading all handles
Looking for top (up to 20) nodes by allocations...
  node-a has 3 allocations
Node with most allocations has 3; median is 3

Scanning for IPs that are allocated but not actually in use...
  10.65.0.3 leaked; attrs Main:leak1 Extra:node=node-a
Found 1 IPs that are allocated in IPAM but not actually in use.
Scanning for IPs that are in use by a workload or node but not allocated in IPAM...
  192.168.99.1 in use by Workload(default/node--a-cni-c3-eth0) is not in any active IP pool.
  10.65.0.10 in use by Workload(default/node--a-cni-c2-eth0) and in active IPAM pool but has no IPAM allocation.
Found 1 in-use IPs that are not in active IP pools.
Found 1 in-use IPs that are in active IP pools but have no corresponding IPAM allocation.

Scanning for IPAM handles with no matching IPs...
Found 1 handles with no matching IPs (and 2 handles with matches).
Scanning for IPs with missing handle...
  vxlan-tunnel-addr-node-a is in use in a block but doesn't exist.
Found 1 handles mentioned in blocks with no matching handle resource.
Check complete; found 4 problems.
"""


def test_check_reports_every_kind_of_problem(messy, tmp_path):
    report = tmp_path / "report.json"
    run = invoke(messy, ["ipam", "check", "--show-problem-ips", "-o", str(report)])
    assert (run.code, run.out) == (0, EXPECTED)
    doc = json.loads(report.read_text())
    info = messy.get("ClusterInformation", "default")
    assert doc["version"] == CLIENT_VERSION and doc["clusterGUID"] == info.spec.cluster_guid
    assert doc["clusterInformationRevision"] == info.metadata.resource_version
    assert doc["datastoreLocked"] is False
    assert list(doc["allocations"]) == ["10.65.0.3"]
    entry = doc["allocations"]["10.65.0.3"][0]
    assert (entry["handle"], entry["node"], entry["inUse"]) == ("leak1", "node-a", False)
    assert isinstance(entry["sequenceNumber"], int)
    assert [h["ID"] for h in doc["leakedHandles"]] == ["orphan"]
    assert os.stat(report).st_mode & 0o777 == 0o777


def test_check_show_all_ips_lists_owners_and_allocations(messy):
    out = invoke(messy, ["ipam", "check", "--show-all-ips"]).out
    assert "  10.65.0.1 allocated; attrs Main:net.c1 Extra:node=node-a\n" in out
    assert "  10.65.0.2 belongs to Node(node-a)\n" in out
    assert "  orphan doesn't have any active IPs.\n" in out
    assert "  10.65.0.3 leaked; attrs" in out


def test_release_from_report_cleans_leaks_and_orphans(messy, tmp_path):
    report = tmp_path / "report.json"
    invoke(messy, ["ipam", "check", "-o", str(report)])
    run = invoke(messy, ["ipam", "release", f"--from-report={report}"])
    assert (run.code, run.err) == (1, "Data store is not locked. Either lock the data store, or re-run with --force.\n")
    run = invoke(messy, ["ipam", "release", f"--from-report={report}", "--force"])
    assert (run.code, run.out) == (0, """\
WARNING: Data store is not locked. Ignoring due to --force option
Releasing 1 old IPs...
Released 1 IPs successfully
Deleting 1 handles...
Key: '.' = Deleted OK; 'x' = skip, handle missing/changed.
.
Released 1 handles; 0 skipped; 0 errors.
You may now unlock the data store.
""")
    assert invoke(messy, ["ipam", "show", "--ip=10.65.0.3"]).out == "10.65.0.3 is not assigned\n"
    assert invoke(messy, ["ipam", "show", "--ip=10.65.0.1"]).out.startswith("IP 10.65.0.1 is in use")
    again = invoke(messy, ["ipam", "release", f"--from-report={report}", "--force"])
    assert "Released 0 IPs successfully\n1 addresses marked as leaked in the report had already been cleaned up.\n" in again.out
    assert "\nx\nReleased 0 handles; 1 skipped; 0 errors.\n" in again.out
    out = invoke(messy, ["ipam", "check"]).out
    assert "Found 0 IPs that are allocated in IPAM but not actually in use." in out
    assert "Found 0 handles with no matching IPs (and 1 handles with matches)." in out
    assert out.endswith("Check complete; found 2 problems.\n")


def test_release_keeps_an_ip_reallocated_since_the_report(messy, tmp_path):
    report = tmp_path / "report.json"
    invoke(messy, ["ipam", "check", "-o", str(report)])
    allocator = ipam_for(messy)
    allocator.release_ips([ip("10.65.0.3")])
    allocator.assign_ip(ip("10.65.0.3"), "leak1", {"node": "node-a"}, "node-a")
    run = invoke(messy, ["ipam", "release", f"--from-report={report}", "--force"])
    assert "Released 0 IPs successfully" in run.out
    assert invoke(messy, ["ipam", "show", "--ip=10.65.0.3"]).out.startswith("IP 10.65.0.3 is in use")


def lock(client, locked=True):
    info = to_dict(client.get("ClusterInformation", "default"))
    info["spec"]["datastoreReady"] = not locked
    client.update(from_dict(info), system=True)


def test_release_refuses_stale_foreign_and_other_version_reports(messy, tmp_path):
    lock(messy)
    report = tmp_path / "report.json"
    invoke(messy, ["ipam", "check", "-o", str(report)])
    doc = json.loads(report.read_text())

    foreign = tmp_path / "foreign.json"
    foreign.write_text(json.dumps({**doc, "clusterGUID": "0" * 32}))
    run = invoke(messy, ["ipam", "release", f"--from-report={foreign}"])
    assert (run.code, run.err) == (1, f"Cluster does not match the provided report ({foreign}): mismatched "
                                      "cluster GUID. Refusing to release.\n")
    old = tmp_path / "old.json"
    old.write_text(json.dumps({**doc, "version": "v3.20.0"}))
    run = invoke(messy, ["ipam", "release", f"--from-report={old}"])
    assert (run.code, run.err) == (1, f"The provided report ({old}) was produced using a different version "
                                      "(v3.20.0) of calicoctl. Refusing to release.\n")
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps({**doc, "clusterInformationRevision": "1"}))
    run = invoke(messy, ["ipam", "release", f"--from-report={stale}"])
    assert run.code == 1 and run.err.startswith("The provided reports are all stale")

    run = invoke(messy, ["ipam", "release", f"--from-report={old}", "--force"])
    assert run.code == 0 and run.out.startswith(
        "WARNING: Report was produced using a different version of calicoctl. Ignoring due to --force option\n"
        "Releasing 1 old IPs...\n")
    assert "WARNING: Data store is not locked" not in run.out


def test_release_with_several_reports_only_frees_common_leaks(messy, tmp_path):
    lock(messy)
    first = tmp_path / "first.json"
    invoke(messy, ["ipam", "check", "-o", str(first)])
    ipam_for(messy).assign_ip(ip("10.65.0.4"), "leak2", {"node": "node-a"}, "node-a")
    second = tmp_path / "second.json"
    invoke(messy, ["ipam", "check", "-o", str(second)])
    assert set(json.loads(second.read_text())["allocations"]) == {"10.65.0.3", "10.65.0.4"}
    run = invoke(messy, ["ipam", "release", f"--from-report={first}", f"--from-report={second}"])
    assert run.code == 0 and "Releasing 1 old IPs..." in run.out
    assert invoke(messy, ["ipam", "show", "--ip=10.65.0.4"]).out.startswith("IP 10.65.0.4 is in use")
    assert invoke(messy, ["ipam", "show", "--ip=10.65.0.3"]).out == "10.65.0.3 is not assigned\n"


def test_clean_datastore_check(client):
    run = invoke(client, ["ipam", "check"])
    assert run.out.endswith("Found 0 handles mentioned in blocks with no matching handle resource.\n"
                            "Check complete; found 0 problems.\n")
    assert "Node with most allocations" not in run.out
