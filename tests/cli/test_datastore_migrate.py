"""``calicoctl datastore migrate``: lock/unlock, export format, import into local / empty etcd, round trips."""
from __future__ import annotations

import json

import pytest

from datastore.client import connect
from datastore.config import DatastoreConfig
from datastore.ipam.allocator import AssignRequest
from datastore.ipam.service import ipam_for
from datastore.resources import from_dict
from pycalicoctl.migrate import EXPORT_PLURALS
from tests.cli.cli_support import invoke, snapshot, strip_volatile

SUCCESS = ("Datastore information successfully imported. Please refer to the datastore migration "
           "documentation for next steps.\n")


def _doc(kind: str, name: str, spec: dict, namespace: str = "", **meta) -> dict:
    metadata = {"name": name, **meta}
    if namespace:
        metadata["namespace"] = namespace
    return {"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": metadata, "spec": spec}


def _populate(client) -> None:
    """A small cluster: pool, peers, policies, sets, node, configs, and IPAM blocks/handles/affinities."""
    client.ensure_initialized()
    for document in (
        _doc("IPPool", "pool-a", {"cidr": "10.70.0.0/16", "ipipMode": "Always"}),
        _doc("BGPPeer", "peer-1", {"peerIP": "198.18.0.9", "asNumber": 64600}),
        _doc("GlobalNetworkPolicy", "default.allow-dns", {"selector": "all()", "order": 10}),
        _doc("GlobalNetworkSet", "gns", {"nets": ["198.18.5.0/24"]}, labels={"role": "ext"}),
        _doc("NetworkPolicy", "default.np1", {"selector": "app == 'web'"}, namespace="prod"),
        _doc("NetworkSet", "ns1", {"nets": ["198.18.6.0/24"]}, namespace="prod"),
        _doc("Node", "node-1", {"bgp": {"ipv4Address": "198.18.0.1/24"}}),
        _doc("BGPConfiguration", "default", {"asNumber": 64512, "nodeToNodeMeshEnabled": True}),
        _doc("FelixConfiguration", "default", {"logSeverityScreen": "Info"}),
    ):
        client.apply(from_dict(document))
    ipam = ipam_for(client)
    ipam.auto_assign(AssignRequest(3, "wep-1", "node-1", attrs={"node": "node-1", "pod": "p1"}), 4)
    ipam.auto_assign(AssignRequest(1, "ipip-tunnel-addr-node-1", "node-1", attrs={"node": "node-1"}), 4)
    ipam.set_config(ipam.get_config().__class__(strict_affinity=True, auto_allocate_blocks=True,
                                                max_blocks_per_host=7))


def _ipam_items(client) -> list[tuple[str, bytes]]:
    items, _ = client.backend.list("/calico/ipam/v2/")
    return [(kv.key, kv.value) for kv in items]


def _get_all(client) -> str:
    """Every exported kind as ``get -o yaml`` shows it (volatile fields masked)."""
    text = []
    for plural in EXPORT_PLURALS:
        namespaced = ["-A"] if plural in ("networkpolicies", "networksets") else []
        run = invoke(client, ["get", plural, "-o", "yaml", *namespaced])
        assert run.code == 0, run.err
        text.append(strip_volatile(run.out))
    return "".join(text)


@pytest.fixture
def local_target(tmp_path):
    """A fresh, never-initialised embedded datastore to import into."""
    client = connect(DatastoreConfig(datastore_type="local", datastore_path=str(tmp_path / "target.db")))
    yield client
    client.close()


@pytest.fixture
def etcd_source(etcd):
    client = connect(DatastoreConfig(datastore_type="etcdv3", etcd_endpoints=etcd.url))
    yield client
    client.close()


# ---------------------------------------------------------------------------------------------- groups

def test_group_without_subcommand_prints_usage_on_stderr(calicoctl):
    run = calicoctl("datastore")
    assert (run.code, run.out) == (1, "")
    assert run.err == "Usage:\n  calicoctl datastore <command> [<args>...]\n"
    run = calicoctl("datastore", "migrate")
    assert run.code == 1
    assert run.err == "Usage:\n  calicoctl datastore migrate <command> [<args>...]\n"


def test_unknown_subcommand_prints_the_group_doc(calicoctl):
    run = calicoctl("datastore", "migrate", "frobnicate")
    assert run.code == 0
    assert run.out.startswith("Set the Calico datastore access information in the environment variables or\n")
    assert "    lock    Lock the datastore to prevent changes from occurring during datastore migration.\n" in run.out
    run = calicoctl("datastore", "nope")
    assert run.code == 0
    assert "    migrate  Migrate the contents of an etcdv3 datastore to a Kubernetes datastore.\n" in run.out


def test_subcommand_help_has_no_datastore_intro(calicoctl):
    run = calicoctl("datastore", "migrate", "export", "--help")
    assert run.code == 0
    assert run.out.startswith("Usage:\n  calicoctl datastore migrate export [--config=<CONFIG>] [--allow-version-mismatch]\n")
    assert "    - IPPools\n    - BGPPeers\n    - Tiers\n" in run.out
    assert "    - BGPFilters\n\n  The following resources are not exported:\n" in run.out
    assert "embedded (local) datastore" in run.out
    run = calicoctl("datastore", "migrate", "import", "-h")
    assert run.out.startswith("Usage:\n  calicoctl datastore migrate import --filename=<FILENAME>")


def test_import_without_filename_is_a_usage_error(calicoctl):
    run = calicoctl("datastore", "migrate", "import")
    assert run.code == 1
    assert run.err.startswith("Usage:\n  calicoctl datastore migrate import --filename=<FILENAME>")


# ---------------------------------------------------------------------------------------------- lock

def test_lock_and_unlock_toggle_datastore_ready(calicoctl, client):
    run = calicoctl("datastore", "migrate", "lock")
    assert (run.code, run.out, run.err) == (0, "Datastore locked.\n", "")
    assert client.get("ClusterInformation", "default").spec.datastore_ready is False
    run = calicoctl("datastore", "migrate", "unlock")
    assert (run.code, run.out, run.err) == (0, "Datastore unlocked.\n", "")
    assert client.get("ClusterInformation", "default").spec.datastore_ready is True


def test_lock_initialises_an_empty_datastore(local_target):
    run = invoke(local_target, ["datastore", "migrate", "lock"])
    assert run.code == 0
    info = local_target.get("ClusterInformation", "default")
    assert info.spec.datastore_ready is False and len(info.spec.cluster_guid) == 32
    assert {t.metadata.name for t in local_target.list("Tier")} == {"default", "adminnetworkpolicy"}


def test_unlock_without_cluster_information_fails(local_target):
    run = invoke(local_target, ["datastore", "migrate", "unlock"])
    assert run.code == 1
    assert run.err.startswith("Error retrieving ClusterInformation for unlocking: ")


def test_lock_checks_the_version_unless_allowed(calicoctl, client):
    import dataclasses

    info = client.get("ClusterInformation", "default")
    client.update(dataclasses.replace(info, spec=dataclasses.replace(info.spec, calico_version="v3.20.1")), system=True)
    run = calicoctl("datastore", "migrate", "lock")
    assert run.code == 1
    assert run.err.startswith("Version mismatch.\nClient Version:   v3.29.7\nCluster Version:  3.20.1\n")
    assert client.get("ClusterInformation", "default").spec.datastore_ready is True
    run = calicoctl("datastore", "migrate", "lock", "--allow-version-mismatch")
    assert (run.code, run.out) == (0, "Datastore locked.\n")


# ---------------------------------------------------------------------------------------------- export

def test_export_requires_a_locked_datastore(calicoctl):
    run = calicoctl("datastore", "migrate", "export")
    assert (run.code, run.out) == (1, "")
    assert run.err == ("Datastore is not locked. Run the `calicoctl datastore migrate lock` command in order "
                       "to begin migration.\n")


def test_export_rejects_a_kubernetes_datastore(tmp_path):
    config = tmp_path / "calicoctl.cfg"
    config.write_text("apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n  datastoreType: kubernetes\n")
    run = invoke(None, ["datastore", "migrate", "export", "-c", str(config)])
    assert run.code == 1
    assert run.err == ("Invalid datastore type: kubernetes to export from for datastore migration. "
                       "Datastore type must be etcdv3\n")
    run = invoke(None, ["datastore", "migrate", "import", "-f", "x", "-c", str(config)])
    assert run.err.startswith("Invalid datastore type: kubernetes to import to for datastore migration.")


def test_export_and_import_through_config_files(tmp_path):
    def config(name: str) -> str:
        path = tmp_path / f"{name}.cfg"
        path.write_text("apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n  datastoreType: local\n"
                        f"  datastorePath: {tmp_path / name}.db\n")
        return str(path)

    source = connect(DatastoreConfig(datastore_type="local", datastore_path=str(tmp_path / "src.db")))
    try:
        _populate(source)
    finally:
        source.close()
    assert invoke(None, ["datastore", "migrate", "lock", "-c", config("src")]).code == 0
    exported = invoke(None, ["datastore", "migrate", "export", "--config", config("src")])
    assert exported.code == 0, exported.err
    (tmp_path / "export.txt").write_text(exported.out)
    run = invoke(None, ["datastore", "migrate", "import", "-f", str(tmp_path / "export.txt"), "-c", config("dst")])
    assert run.code == 0, run.err
    assert invoke(None, ["datastore", "migrate", "unlock", "-c", config("dst")]).out == "Datastore unlocked.\n"
    shown = invoke(None, ["get", "ippools", "-c", config("dst")])
    assert shown.out.splitlines()[1].split() == ["pool-a", "10.70.0.0/16", "all()"]


def test_export_format(client):
    _populate(client)
    assert invoke(client, ["datastore", "migrate", "lock"]).code == 0
    run = invoke(client, ["datastore", "migrate", "export"])
    assert (run.code, run.err) == (0, "")
    resources, cluster_info, ipam = run.out.split("===\n")
    documents = resources.split("---\n")
    assert documents[-1] == ""
    kinds = [next(line for line in d.splitlines() if line.startswith("kind: ")) for d in documents[:-1]]
    assert kinds == ["kind: IPPoolList", "kind: BGPPeerList", "kind: TierList", "kind: GlobalNetworkPolicyList",
                     "kind: GlobalNetworkSetList", "kind: HostEndpointList", "kind: KubeControllersConfigurationList",
                     "kind: NetworkPolicyList", "kind: NetworkSetList", "kind: NodeList",
                     "kind: BGPConfigurationList", "kind: FelixConfigurationList", "kind: IPReservationList",
                     "kind: BGPFilterList"]
    assert "uid:" not in resources
    assert resources.count("resourceVersion:") == len(EXPORT_PLURALS)  # only the lists' own
    assert "    creationTimestamp: null\n    name: pool-a\n" in resources
    assert "    name: default.np1\n    namespace: prod\n" in resources
    assert "items: []\nkind: BGPFilterList\n" in resources
    info = json.loads(cluster_info)
    assert list(info) == ["kind", "apiVersion", "metadata", "spec"]
    assert cluster_info.startswith('{\n  "kind": "ClusterInformation",\n')
    assert info["spec"]["datastoreReady"] is False
    assert info["spec"]["clusterGUID"] == client.get("ClusterInformation", "default").spec.cluster_guid
    data = json.loads(ipam)
    assert list(data) == ["block_affinities", "blocks", "handles", "config"]
    assert ipam.startswith('{\n  "block_affinities": [\n    {\n      "Key": "/calico/ipam/v2/host/node-1/ipv4/block/')
    assert [h["Key"] for h in data["handles"]] == ["/calico/ipam/v2/handle/ipip-tunnel-addr-node-1",
                                                   "/calico/ipam/v2/handle/wep-1"]
    assert data["config"] == {"Key": "/calico/ipam/v2/config", "TTL": 0,
                              "Value": {"strict_affinity": True, "auto_allocate_blocks": True, "maxBlocksPerHost": 7}}
    stored = dict(_ipam_items(client))
    for entry in data["blocks"] + data["handles"] + data["block_affinities"]:
        assert entry["TTL"] == 0
        assert json.loads(stored[entry["Key"]]) == entry["Value"]


def test_export_of_a_datastore_without_ipam(calicoctl):
    assert calicoctl("datastore", "migrate", "lock").code == 0
    run = calicoctl("datastore", "migrate", "export")
    assert run.code == 0
    assert run.out.endswith("===\n{}\n")


def test_export_renames_nodes_to_their_kubernetes_names(calicoctl, client):
    client.create(from_dict(_doc("Node", "etcd-host", {"orchRefs": [{"orchestrator": "k8s", "nodeName": "k8s-host"}]})))
    client.create(from_dict(_doc("FelixConfiguration", "node.etcd-host", {"iptablesFilterAllowAction": "Accept"})))
    assert calicoctl("datastore", "migrate", "lock").code == 0
    run = calicoctl("datastore", "migrate", "export")
    assert run.code == 0
    assert "    name: k8s-host\n" in run.out and "name: etcd-host" not in run.out
    assert "    name: node.k8s-host\n" in run.out


# ---------------------------------------------------------------------------------------------- import

def _export(client) -> str:
    assert invoke(client, ["datastore", "migrate", "lock"]).code == 0
    run = invoke(client, ["datastore", "migrate", "export"])
    assert run.code == 0, run.err
    return run.out


def test_round_trip_etcd_to_local(etcd_source, local_target, tmp_path):
    _populate(etcd_source)
    exported = tmp_path / "export.yaml"
    exported.write_text(_export(etcd_source))
    run = invoke(local_target, ["datastore", "migrate", "import", "-f", str(exported)])
    assert run.err == ""
    assert run.code == 0
    assert run.out == ("Datastore locked.\nSuccessfully applied 11 resource(s)\nImporting IPAM resources\n"
                       "Successfully applied 5 IPAM resource(s)\n" + SUCCESS)
    assert _get_all(local_target) == _get_all(etcd_source)
    assert _ipam_items(local_target) == _ipam_items(etcd_source)
    source_info = etcd_source.get("ClusterInformation", "default").spec
    target_info = local_target.get("ClusterInformation", "default").spec
    assert target_info.cluster_guid == source_info.cluster_guid
    assert target_info.datastore_ready is False
    for args in (["ipam", "show", "--show-blocks"], ["ipam", "show", "--show-configuration"]):
        assert invoke(local_target, args).out == invoke(etcd_source, args).out


def test_round_trip_local_to_empty_etcd(local_datastore_path, etcd, tmp_path):
    source = connect(DatastoreConfig(datastore_type="local", datastore_path=local_datastore_path))
    target = connect(DatastoreConfig(datastore_type="etcdv3", etcd_endpoints=etcd.url))
    try:
        _populate(source)
        exported = tmp_path / "export.yaml"
        exported.write_text(_export(source))
        run = invoke(target, ["datastore", "migrate", "import", "--filename", str(exported)])
        assert run.code == 0, run.err
        assert run.out.endswith(SUCCESS)
        assert _get_all(target) == _get_all(source)
        assert _ipam_items(target) == _ipam_items(source)
    finally:
        source.close()
        target.close()


def test_import_from_stdin(local_target, datastore_client):
    _populate(datastore_client)
    text = _export(datastore_client)
    run = invoke(local_target, ["datastore", "migrate", "import", "-f", "-"], stdin=text)
    assert run.code == 0, run.err
    assert _ipam_items(local_target) == _ipam_items(datastore_client)


def test_import_refuses_a_datastore_with_calico_resources(client, tmp_path):
    _populate(client)
    exported = tmp_path / "export.yaml"
    exported.write_text(_export(client))
    before = snapshot(client)
    run = invoke(client, ["datastore", "migrate", "import", "-f", str(exported)])
    assert (run.code, run.out) == (1, "")
    assert run.err == ("Datastore already has Calico resources: Found existing Calico IPPool resource. "
                       "Clear out all Calico resources by deleting all Calico CRDs.\n")
    assert snapshot(client) == before


def test_import_refuses_a_datastore_with_only_ipam_data(local_target, tmp_path):
    local_target.backend.create("/calico/ipam/v2/handle/leftover", b'{"block":{},"deleted":false}')
    exported = tmp_path / "export.yaml"
    exported.write_text("---\n===\n{}\n===\n{}\n")
    run = invoke(local_target, ["datastore", "migrate", "import", "-f", str(exported)])
    assert run.err == ("Datastore already has Calico resources: Found existing IPAM resources. "
                       "Clear out all Calico resources by deleting all Calico CRDs.\n")


@pytest.mark.parametrize("content", ["", "just yaml\n", "a\n===\nb\n===\nc\n===\nd\n"])
def test_import_of_an_improperly_formatted_file_writes_nothing(local_target, tmp_path, content):
    bad = tmp_path / "bad.txt"
    bad.write_text(content)
    run = invoke(local_target, ["datastore", "migrate", "import", "-f", str(bad)])
    assert (run.code, run.out) == (1, "")
    assert run.err == (f"Error while reading migration file: Imported file: {bad} is improperly formatted. "
                       "Try recreating with 'calicoctl export'\n\n")
    assert snapshot(local_target) == []


def test_improperly_formatted_stdin_is_named_as_go_names_it(local_target):
    run = invoke(local_target, ["datastore", "migrate", "import", "-f", "-"], stdin="nothing here\n")
    assert run.err == ("Error while reading migration file: Imported file: /dev/stdin is improperly formatted. "
                       "Try recreating with 'calicoctl export'\n\n")


def test_import_of_a_missing_file(local_target, tmp_path):
    run = invoke(local_target, ["datastore", "migrate", "import", "-f", str(tmp_path / "none")])
    assert run.code == 1
    assert run.err == f"Error while reading migration file: open {tmp_path / 'none'}: no such file or directory\n\n"


def test_import_with_broken_ipam_json_writes_nothing(local_target, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text('---\n===\n{"spec": {}}\n===\n{"blocks": [\n')
    run = invoke(local_target, ["datastore", "migrate", "import", "-f", str(bad)])
    assert run.code == 1
    assert run.err == ("Failed to read IPAM resources: "
                       "unexpected end of JSON input\n\n")
    assert snapshot(local_target) == []


def test_import_with_invalid_resources_writes_nothing(local_target, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("apiVersion: projectcalico.org/v3\nkind: IPPoolList\nitems:\n- kind: IPPool\n"
                   "  apiVersion: projectcalico.org/v3\n  metadata: {name: p}\n  spec: {cidr: 10.1.0.0/16, bogus: 1}\n"
                   "---\n===\n{}\n===\n{}\n")
    run = invoke(local_target, ["datastore", "migrate", "import", "-f", str(bad)])
    assert run.code == 1
    assert run.err.startswith("Failed to import v3 resources: Failed to import v3 resources: Failed to execute command: ")
    assert "bogus" in run.err
    assert snapshot(local_target) == []


def test_import_without_ipam_data_fails_after_the_resources(local_target, tmp_path):
    exported = tmp_path / "export.yaml"
    exported.write_text(_doc_yaml() + "---\n===\n{}\n===\n{}\n")
    run = invoke(local_target, ["datastore", "migrate", "import", "-f", str(exported)])
    assert run.code == 1
    assert run.out == ("Datastore locked.\nSuccessfully applied 1 'IPPool' resource(s)\n"
                       "Importing IPAM resources\n")
    assert run.err == "No IPAM resources specified in file\n"
    assert [p.metadata.name for p in local_target.list("IPPool")] == ["p"]


def _doc_yaml() -> str:
    return ("apiVersion: projectcalico.org/v3\nkind: IPPoolList\nitems:\n- kind: IPPool\n"
            "  apiVersion: projectcalico.org/v3\n  metadata: {name: p}\n  spec: {cidr: 10.1.0.0/16}\n")
