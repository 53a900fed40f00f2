"""Bad input to the plugins: a CNI error object with the spec's code and a clear message, nothing left behind."""
import pytest

from datastore.ipam.allocator import AssignRequest
from datastore.ipam.service import ipam_for
from tests.cli.cli_support import snapshot
from tests.cni.conftest import ip, make_pool

CONTAINER = "feedfacefeedface"


@pytest.mark.parametrize("plugin", ["pycalico-cni", "pycalico-ipam"])
@pytest.mark.parametrize("case, expected_code, fragment", [
    (dict(drop=("CNI_COMMAND",)), 4, "required env variables [CNI_COMMAND] missing"),
    (dict(env={"CNI_COMMAND": "MOVE"}), 4, "unknown CNI_COMMAND: MOVE"),
    (dict(drop=("CNI_NETNS",)), 4, "required env variables [CNI_NETNS] missing"),
    (dict(drop=("CNI_CONTAINERID", "CNI_IFNAME")), 4, "required env variables [CNI_CONTAINERID,CNI_IFNAME] missing"),
    (dict(env={"CNI_CONTAINERID": "-bad id"}), 4, "invalid characters in containerID"),
    (dict(env={"CNI_IFNAME": "an-interface-name-too-long"}), 4, "invalid interface name"),
    (dict(env={"CNI_ARGS": "K8S_POD_NAME"}), 4, 'ARGS: invalid pair "K8S_POD_NAME"'),
    (dict(conf="{not json"), 6, "failed to load netconf"),
    (dict(conf="[1, 2]"), 6, "must be a JSON object"),
    (dict(conf='{"cniVersion": "9.9.9", "name": "n"}'), 1, 'incompatible CNI versions; config is "9.9.9"'),
    (dict(conf='{"cniVersion": "1.0.0"}'), 7, "missing network name"),
    (dict(conf='{"cniVersion": "1.0.0", "name": "n", "ipam": {"assign_ipv4": "yes"}}'), 7, "assign_ipv4"),
])
def test_bad_input_gives_cni_error_and_writes_nothing(plain_bench, store, plugin, case, expected_code, fragment):
    before = snapshot(store)
    kwargs = {"container_id": CONTAINER, "netns": "/var/run/netns/pcc-none", **case}
    reply = plain_bench.run(plugin, "ADD", **kwargs)
    assert reply.code == 1
    assert reply.doc["code"] == expected_code and fragment in reply.doc["msg"], reply.doc
    assert reply.doc["cniVersion"] == "1.0.0"
    assert snapshot(store) == before


@pytest.mark.parametrize("plugin", ["pycalico-cni", "pycalico-ipam"])
def test_version(plain_bench, plugin):
    reply = plain_bench.run(plugin, "VERSION", conf="")
    assert reply.code == 0
    assert reply.doc == {"cniVersion": "1.0.0", "supportedVersions": ["0.3.0", "0.3.1", "0.4.0", "1.0.0"]}


def test_nonexistent_netns_is_unknown_container_and_allocates_nothing(bench, store):
    before = snapshot(store)
    reply = bench.run("pycalico-cni", "ADD", CONTAINER, "/var/run/netns/pcc-does-not-exist")
    assert (reply.code, reply.doc["code"]) == (1, 3)
    assert "/var/run/netns/pcc-does-not-exist" in reply.doc["msg"]
    assert snapshot(store) == before


def test_exhausted_pool_reports_and_leaves_nothing(bench, store, container_ns):
    store.delete("IPPool", "pool-a")
    make_pool(store, "tiny", "198.19.9.0/31", 31)
    allocator = ipam_for(store)
    for n in range(2):
        allocator.auto_assign(AssignRequest(count=1, handle_id=f"x{n}", hostname="node-a",
                                            attrs={"node": "node-a"}), 4)
    before = snapshot(store)
    ns = container_ns()
    reply = bench.run("pycalico-cni", "ADD", CONTAINER, f"/var/run/netns/{ns}")
    assert (reply.code, reply.doc["code"]) == (1, 999)
    assert "IPv4" in reply.doc["msg"] or "pool" in reply.doc["msg"], reply.doc
    assert snapshot(store) == before
    assert "cali" not in ip("link", netns=bench.host_ns) and "eth0" not in ip("link", netns=ns)


def test_no_pools_is_a_clear_error(plain_bench, store):
    store.delete("IPPool", "pool-a")
    before = snapshot(store)
    reply = plain_bench.run("pycalico-ipam", "ADD", CONTAINER, "/x")
    assert (reply.code, reply.doc["code"]) == (1, 999)
    assert reply.doc["msg"] == "no configured Calico pools for node node-a"
    assert snapshot(store) == before


def test_missing_nodename_file_fails_unless_optional(plain_bench, store, tmp_path):
    conf = plain_bench.conf(nodename_file_optional=False, nodename_file=str(tmp_path / "nodename"))
    reply = plain_bench.run("pycalico-ipam", "ADD", CONTAINER, "/x", conf=conf)
    assert reply.code == 1 and "check that the calico/node container is running" in reply.doc["msg"]
    (tmp_path / "nodename").write_text("node-from-file\n")
    conf.pop("nodename")
    reply = plain_bench.run("pycalico-ipam", "ADD", CONTAINER, "/x", conf=conf)
    assert reply.code == 0, reply
    block = ipam_for(store).blocks()[0][1]
    assert block.affinity == "host:node-from-file"


def test_datastore_not_ready_is_try_again_later(plain_bench, store):
    from datastore.resources import from_dict, to_dict

    info = to_dict(store.get("ClusterInformation", "default"))
    info["spec"]["datastoreReady"] = False
    store.update(from_dict(info), system=True)
    reply = plain_bench.run("pycalico-ipam", "ADD", CONTAINER, "/x")
    assert (reply.code, reply.doc["code"]) == (1, 11)
    assert reply.doc["msg"] == "Calico is currently not ready to process requests"


def test_missing_ipam_plugin_in_cni_path(bench, store, container_ns):
    before = snapshot(store)
    ns = container_ns()
    reply = bench.run("pycalico-cni", "ADD", CONTAINER, f"/var/run/netns/{ns}",
                      conf=bench.conf(ipam={"type": "host-local-missing"}))
    assert (reply.code, reply.doc["code"]) == (1, 999)
    assert 'failed to find plugin "host-local-missing"' in reply.doc["msg"]
    assert snapshot(store) == before
