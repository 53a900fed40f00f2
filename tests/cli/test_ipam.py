"""`pycalicoctl ipam show|configure|release --ip` against real datastores (local and etcd): golden text."""
import ipaddress
import json

import pytest

from datastore.ipam.records import IPAMConfig
from datastore.ipam.service import ipam_for
from datastore.keys import IPAMConfigKey
from datastore.resources import from_dict
from pycalicoctl.ipamprint import go_g5, percent
from tests.cli.cli_support import invoke, snapshot

ip = ipaddress.ip_address

GOLDEN_SHOW_BLOCKS = """\
+----------+-------------------------------------------+------------+------------+-------------------+
| GROUPING |                   CIDR                    | IPS TOTAL  | IPS IN USE |     IPS FREE      |
+----------+-------------------------------------------+------------+------------+-------------------+
| IP Pool  | 10.65.0.0/16                              |      65536 | 5 (0%)     | 65531 (100%)      |
| Block    | 10.65.79.0/26                             |         64 | 5 (8%)     | 59 (92%)          |
| IP Pool  | 10.66.0.0/16                              |      65536 | 11 (0%)    | 65525 (100%)      |
| Block    | 10.66.137.224/29                          |          8 | 8 (100%)   | 0 (0%)            |
| Block    | 10.66.137.232/29                          |          8 | 3 (38%)    | 5 (62%)           |
| IP Pool  | fd5f:abcd:64::/48                         | 1.2089e+24 | 7 (0%)     | 1.2089e+24 (100%) |
| Block    | fd5f:abcd:64:4f2c:ec1b:27b9:1989:77c0/122 |         64 | 7 (11%)    | 57 (89%)          |
+----------+-------------------------------------------+------------+------------+-------------------+
"""

GOLDEN_SHOW = """\
+----------+-------------------+------------+------------+-------------------+
| GROUPING |       CIDR        | IPS TOTAL  | IPS IN USE |     IPS FREE      |
+----------+-------------------+------------+------------+-------------------+
| IP Pool  | 10.65.0.0/16      |      65536 | 5 (0%)     | 65531 (100%)      |
| IP Pool  | 10.66.0.0/16      |      65536 | 11 (0%)    | 65525 (100%)      |
| IP Pool  | fd5f:abcd:64::/48 | 1.2089e+24 | 7 (0%)     | 1.2089e+24 (100%) |
+----------+-------------------+------------+------------+-------------------+
"""


def make_pool(client, name, cidr, block_size, **spec):
    client.create(from_dict({"apiVersion": "projectcalico.org/v3", "kind": "IPPool", "metadata": {"name": name},
                             "spec": {"cidr": cidr, "blockSize": block_size, **spec}}))


def fill(allocator, first, count, host="node-a", handle_prefix="h"):
    base = ip(first)
    for i in range(count):
        allocator.assign_ip(base + i, f"{handle_prefix}{i}", {"node": host}, host)


@pytest.fixture
def populated(client):
    """The pools and block usage of calicoctl's own `ipam show --show-blocks` example."""
    make_pool(client, "pool-a", "10.65.0.0/16", 26)
    make_pool(client, "pool-b", "10.66.0.0/16", 29)
    make_pool(client, "pool-c", "fd5f:abcd:64::/48", 122)
    allocator = ipam_for(client)
    fill(allocator, "10.65.79.0", 5, handle_prefix="a")
    fill(allocator, "10.66.137.224", 8, handle_prefix="b")
    fill(allocator, "10.66.137.232", 3, handle_prefix="c")
    fill(allocator, "fd5f:abcd:64:4f2c:ec1b:27b9:1989:77c0", 7, handle_prefix="d")
    return client


def test_show_blocks_matches_calicoctl_example(populated):
    run = invoke(populated, ["ipam", "show", "--show-blocks"])
    assert (run.code, run.out, run.err) == (0, GOLDEN_SHOW_BLOCKS, "")


def test_show_prints_pool_rows_only(populated):
    run = invoke(populated, ["ipam", "show"])
    assert (run.code, run.out) == (0, GOLDEN_SHOW)


def test_show_with_no_pools_is_a_header_only_table(client):
    run = invoke(client, ["ipam", "show"])
    assert run.out.splitlines() == [
        "+----------+------+-----------+------------+----------+",
        "| GROUPING | CIDR | IPS TOTAL | IPS IN USE | IPS FREE |",
        "+----------+------+-----------+------------+----------+",
        "+----------+------+-----------+------------+----------+",
    ]


def test_go_number_and_percent_formats():
    assert go_g5(65536.0) == "65536"
    assert go_g5(float(1 << 20)) == "1.0486e+06"
    assert go_g5(float(1 << 24)) == "1.6777e+07"
    assert go_g5(100000.0) == "1e+05"
    assert percent(3, 8) == "38%" and percent(5, 8) == "62%" and percent(1, 8) == "12%"


def test_show_ip_reports_attributes_or_not_assigned(populated):
    run = invoke(populated, ["ipam", "show", "--ip=10.65.79.1"])
    assert (run.code, run.out) == (0, "IP 10.65.79.1 is in use\nAttributes:\n  node: node-a\n")
    run = invoke(populated, ["ipam", "show", "--ip=10.65.79.9"])
    assert (run.code, run.out) == (0, "10.65.79.9 is not assigned\n")
    run = invoke(populated, ["ipam", "show", "--ip=10.99.0.1"])
    assert (run.code, run.out) == (0, "10.99.0.1 is not assigned\n")
    ipam_for(populated).assign_ip(ip("10.65.79.20"), "bare", {}, "node-a")
    run = invoke(populated, ["ipam", "show", "--ip=10.65.79.20"])
    assert run.out == "IP 10.65.79.20 is in use\nNo attributes defined\n"


def test_show_ip_rejects_a_malformed_address(client):
    run = invoke(client, ["ipam", "show", "--ip=10.1.2"])
    assert (run.code, run.out) == (1, "Error executing command: invalid IP address specified: 10.1.2\n")


def test_show_borrowed_lists_foreign_allocations(client):
    make_pool(client, "pool-a", "10.65.0.0/16", 29)
    allocator = ipam_for(client)
    allocator.assign_ip(ip("10.65.0.1"), "own", {"node": "node-a"}, "node-a")
    allocator.assign_ip(ip("10.65.0.2"), "k8s-pod-network.c1",
                        {"node": "node-b", "namespace": "ns", "pod": "web-1"}, "node-b")
    allocator.assign_ip(ip("10.65.0.3"), "vxlan-tunnel-addr-node-c",
                        {"node": "node-c", "type": "vxlanTunnelAddress"}, "node-c")
    allocator.assign_ip(ip("10.65.0.4"), "nonode", {}, "node-a")
    run = invoke(client, ["ipam", "show", "--show-borrowed"])
    assert run.out == """\
+-----------+----------------+--------------+-------------+--------------------+--------------+
|    IP     | BORROWING-NODE |    BLOCK     | BLOCK OWNER |        TYPE        | ALLOCATED-TO |
+-----------+----------------+--------------+-------------+--------------------+--------------+
| 10.65.0.2 | node-b         | 10.65.0.0/29 | node-a      | pod                | ns/web-1     |
| 10.65.0.3 | node-c         | 10.65.0.0/29 | node-a      | vxlanTunnelAddress |              |
+-----------+----------------+--------------+-------------+--------------------+--------------+

Note: found 1 IP allocations without an explicit node association. Unable to determine if they are borrowed.
"""


def test_show_borrowed_empty(client):
    run = invoke(client, ["ipam", "show", "--show-borrowed"])
    assert run.out == """\
+----+----------------+-------+-------------+------+--------------+
| IP | BORROWING-NODE | BLOCK | BLOCK OWNER | TYPE | ALLOCATED-TO |
+----+----------------+-------+-------------+------+--------------+
+----+----------------+-------+-------------+------+--------------+
"""


CONFIG_DEFAULT = """\
+--------------------+-------+
|      PROPERTY      | VALUE |
+--------------------+-------+
| StrictAffinity     | false |
| AutoAllocateBlocks | true  |
| MaxBlocksPerHost   |     0 |
+--------------------+-------+
"""


def test_show_configuration_stores_the_defaults_when_absent(client):
    assert invoke(client, ["ipam", "show", "--show-configuration"]).out == CONFIG_DEFAULT
    assert json.loads(client.backend.get(IPAMConfigKey().path).value) == {"auto_allocate_blocks": True}
    v3 = client.get("IPAMConfiguration", "default").spec
    assert (v3.strict_affinity, v3.auto_allocate_blocks, v3.max_blocks_per_host) == (False, True, 0)


def test_v3_ipamconfiguration_is_used_when_the_library_key_is_absent(client):
    client.create(from_dict({"apiVersion": "projectcalico.org/v3", "kind": "IPAMConfiguration",
                             "metadata": {"name": "default"},
                             "spec": {"strictAffinity": True, "autoAllocateBlocks": True, "maxBlocksPerHost": 7}}))
    assert ipam_for(client).get_config() == IPAMConfig(True, True, 7)
    assert "| MaxBlocksPerHost   |     7 |" in invoke(client, ["ipam", "show", "--show-configuration"]).out


def test_configure_then_show_configuration(client):
    run = invoke(client, ["ipam", "configure", "--strictaffinity=true", "--max-blocks-per-host=4"])
    assert (run.code, run.out) == (0, "Successfully set StrictAffinity to: true\n"
                                      "Successfully set MaxBlocksPerHost to: 4\n")
    assert json.loads(client.backend.get(IPAMConfigKey().path).value) == {
        "strict_affinity": True, "auto_allocate_blocks": True, "maxBlocksPerHost": 4}
    v3 = client.get("IPAMConfiguration", "default").spec
    assert (v3.strict_affinity, v3.auto_allocate_blocks, v3.max_blocks_per_host) == (True, True, 4)
    assert invoke(client, ["ipam", "show", "--show-configuration"]).out == CONFIG_DEFAULT.replace(
        "| StrictAffinity     | false |", "| StrictAffinity     | true  |").replace("|     0 |", "|     4 |")


def test_configure_rejects_bad_values_and_writes_nothing(client):
    before = snapshot(client)
    run = invoke(client, ["ipam", "configure", "--strictaffinity=yes"])
    assert (run.code, run.err) == (1, "Invalid value. Use true or false to set strictaffinity\n")
    run = invoke(client, ["ipam", "configure", "--strictaffinity=F", "--max-blocks-per-host=3"])
    assert (run.code, run.err) == (1, "Error: MaxBlocksPerHost requires StrictAffinity to be enabled\n")
    assert snapshot(client) == before
    assert IPAMConfig() == ipam_for(client).get_config()


def test_release_ip(populated):
    run = invoke(populated, ["ipam", "release", "--ip=10.65.79.2"])
    assert (run.code, run.out) == (0, "Successfully released IP address 10.65.79.2\n")
    assert invoke(populated, ["ipam", "show", "--ip=10.65.79.2"]).out == "10.65.79.2 is not assigned\n"
    run = invoke(populated, ["ipam", "release", "--ip=10.65.79.2"])
    assert (run.code, run.err) == (1, "IP address 10.65.79.2 is not assigned\n")
    run = invoke(populated, ["ipam", "release", "--ip=nonsense"])
    assert (run.code, run.out) == (1, "Error executing command: invalid IP address specified: nonsense\n")


def test_release_without_options_does_nothing(populated):
    before = snapshot(populated)
    run = invoke(populated, ["ipam", "release"])
    assert (run.code, run.out, run.err) == (0, "", "")
    assert snapshot(populated) == before


def test_ipam_group_usage_and_exclusive_show_options(client):
    run = invoke(client, ["ipam"])
    assert run.code == 1 and run.err.startswith("Usage:\n  calicoctl ipam <command> [<args>...]")
    run = invoke(client, ["ipam", "show", "--show-blocks", "--show-borrowed"])
    assert run.code == 1 and "calicoctl ipam show [--ip=<IP>" in run.err
