"""More calicoctl behaviours on both backends: version mismatch, directories, --skip-empty, get -f,
endpoint tables, global flags."""
from __future__ import annotations

import os

from datastore.resources import from_dict
from tests.cli.cli_support import invoke  # type: ignore[import-not-found]

POOL = ("apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: {name}\n"
        "spec:\n  cidr: {cidr}\n")


def _set_cluster_version(client, version: str) -> None:
    data = client.get("ClusterInformation", "default").to_dict()
    data["spec"] = {**data["spec"], "calicoVersion": version, "clusterType": "typha,kdd,k8s"}
    client.update(from_dict(data), system=True)


def test_version_mismatch(client, calicoctl):
    _set_cluster_version(client, "v3.28.0")
    mismatch = ("Version mismatch.\nClient Version:   v3.29.7\nCluster Version:  3.28.0\n"
                "Use --allow-version-mismatch to override.\n")
    got = calicoctl("get", "ippools")
    assert (got.code, got.out, got.err) == (1, "", "Failed to get resources: " + mismatch + "\n")
    created = calicoctl("create", "-f", "-", stdin=POOL.format(name="p1", cidr="10.1.0.0/24"))
    assert (created.code, created.err) == (1, mismatch + "\n")
    allowed = calicoctl("create", "-f", "-", "--allow-version-mismatch", stdin=POOL.format(name="p1", cidr="10.1.0.0/24"))
    assert allowed.out == "Successfully created 1 'IPPool' resource(s)\n"
    globally = calicoctl("--allow-version-mismatch", "get", "ippools")
    assert globally.code == 0 and "p1" in globally.out
    version = calicoctl("version")
    assert version.out.splitlines()[2:] == ["Cluster Version:   v3.28.0", "Cluster Type:      typha,kdd,k8s"]
    _set_cluster_version(client, "v3.29.7-12-gabc")
    assert calicoctl("get", "ippools").code == 0


def test_directory_walk_and_recursion(calicoctl, tmp_path):
    (tmp_path / "a.yaml").write_text(POOL.format(name="a", cidr="10.1.0.0/24"))
    (tmp_path / "b.JSON").write_text('{"apiVersion": "projectcalico.org/v3", "kind": "IPPool", '
                                     '"metadata": {"name": "b"}, "spec": {"cidr": "10.2.0.0/24"}}')
    (tmp_path / "notes.txt").write_text("ignored")
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "c.yml").write_text(POOL.format(name="c", cidr="10.3.0.0/24"))
    assert calicoctl("apply", "-f", str(tmp_path)).out == "Successfully applied 2 'IPPool' resource(s)\n"
    assert calicoctl("apply", "-f", str(tmp_path), "-R").out == "Successfully applied 3 'IPPool' resource(s)\n"
    listed = calicoctl("get", "-f", str(tmp_path), "-R")
    assert listed.out.count("NAME   CIDR") == 3


def test_skip_empty(calicoctl, tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing here\n")
    failed = calicoctl("create", "-f", str(empty))
    assert (failed.code, failed.err) == (1, f"No resources specified in file {empty}\n")
    skipped = calicoctl("create", "-f", str(empty), "--skip-empty")
    assert (skipped.code, skipped.out) == (0, "No resources specified\n")
    assert calicoctl("get", "-f", str(empty), "--skip-empty").out == ""
    assert calicoctl("get", "-f", str(empty), "--skip-empty", "-o", "json").out == "null\n"
    empty_dir = tmp_path / "d"
    empty_dir.mkdir()
    assert calicoctl("delete", "-f", str(empty_dir)).err == f"No resources specified in directory {empty_dir}\n"


def test_get_by_file_prints_one_table_per_resource(calicoctl):
    docs = POOL.format(name="a", cidr="10.1.0.0/24") + "---\n" + POOL.format(name="bb", cidr="10.2.0.0/24")
    calicoctl("create", "-f", "-", stdin=docs)
    assert calicoctl("get", "-f", "-", stdin=docs).out == (
        "NAME   CIDR          SELECTOR   \na      10.1.0.0/24   all()      \n\n"
        "NAME   CIDR          SELECTOR   \nbb     10.2.0.0/24   all()      \n\n"
    )
    as_yaml = calicoctl("get", "-f", "-", "-o", "yaml", stdin=docs).out
    assert as_yaml.startswith("- apiVersion: projectcalico.org/v3\n  kind: IPPool\n")


def test_endpoint_tables(calicoctl):
    docs = (
        "apiVersion: projectcalico.org/v3\nkind: HostEndpoint\nmetadata:\n  name: endpoint1\n"
        "spec:\n  node: host1\n  interfaceName: eth0\n  expectedIPs: [198.18.0.5, 198.18.0.6]\n"
        "  profiles: [prof1, prof2]\n---\n"
        "apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\nmetadata:\n"
        "  name: node1-k8s-abcd-eth0\n  namespace: namespace1\n"
        "spec:\n  orchestrator: k8s\n  node: node1\n  pod: abcd\n  endpoint: eth0\n"
        "  ipNetworks: [198.18.2.4/32]\n  interfaceName: cali1234\n"
    )
    created = calicoctl("create", "-f", "-", stdin=docs)
    assert created.out == "Successfully created 2 resource(s)\n", created.err
    assert calicoctl("get", "hostendpoint", "-o", "wide").out == (
        "NAME        NODE    INTERFACE   IPS                     PROFILES      \n"
        "endpoint1   host1   eth0        198.18.0.5,198.18.0.6   prof1,prof2   \n\n"
    )
    assert calicoctl("get", "wep", "-A").out == (
        "NAMESPACE    WORKLOAD   NODE    NETWORKS        INTERFACE   \n"
        "namespace1   abcd       node1   198.18.2.4/32   cali1234    \n\n"
    )
    assert calicoctl("get", "wep").out == "WORKLOAD   NODE   NETWORKS   INTERFACE   \n\n"


def test_context_flag_sets_kubeconfig_context(calicoctl, monkeypatch):
    monkeypatch.setenv("K8S_CURRENT_CONTEXT", "before")  # restored (removed) after the test
    assert calicoctl("--context", "kind-a", "get", "ippools").code == 0
    assert os.environ["K8S_CURRENT_CONTEXT"] == "kind-a"
    assert calicoctl("get", "ippools", "--context=kind-b").code == 0
    assert os.environ["K8S_CURRENT_CONTEXT"] == "kind-b"


def test_delete_read_only_and_mixed_kinds(calicoctl):
    blocked = calicoctl("delete", "clusterinformation", "default")
    assert blocked.err == ("Failed to delete 'ClusterInformation' resource: operation delete is not supported on "
                           "ClusterInformation\n\n")
    docs = POOL.format(name="a", cidr="10.1.0.0/24") + "---\n" + (
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata:\n  name: s\nspec:\n  nets: []\n")
    calicoctl("create", "-f", "-", stdin=docs)
    assert calicoctl("delete", "-f", "-", stdin=docs).out == "Successfully deleted 2 resource(s)\n"
    again = calicoctl("delete", "-f", "-", stdin=docs)
    assert again.out == ""
    assert again.err == (
        "Failed to delete resource: resource does not exist: IPPool(a) with error: <nil>\n"
        "Failed to delete resource: resource does not exist: GlobalNetworkSet(s) with error: <nil>\n\n"
    )


def test_patch_errors_in_go_wording(calicoctl):
    calicoctl("create", "-f", "-", stdin=POOL.format(name="a", cidr="10.1.0.0/24"))
    cases = {
        "{bad": "invalid character 'b' looking for beginning of object key string",
        '{"a": 1': "unexpected end of JSON input",
        '{"a": 1} x': "invalid character 'x' after top-level value",
        "[1]": "json: cannot unmarshal array into Go value of type map[string]interface {}",
    }
    for patch, reason in cases.items():
        result = calicoctl("patch", "ippool", "a", "-p", patch)
        assert (result.code, result.err) == (1, f"Hit error: performing strategic merge patch: {reason}\n")
    frozen = calicoctl("patch", "ippool", "a", "--patch", '{"spec": {"blockSize": 24}}')
    assert frozen.err == ("Hit error: updating existing resource: error with field IPPool.Spec.BlockSize = '24' "
                          "(IPPool BlockSize cannot be modified)\n")
    unknown = calicoctl("patch", "ippool", "a", "-p", '{"spec": {"colour": "red"}}')
    assert unknown.err == ("Hit error: creating resource from patched data: error parsing document: field in "
                           "document is not recognized or is in the wrong location: colour\n")
    labels = calicoctl("patch", "ippool", "a", "-p", '{"metadata": {"labels": {"x": "1"}}}')
    assert labels.code == 0
    assert calicoctl("patch", "ippool", "a", "-p", '{"metadata": {"labels": {"y": "2"}}}').code == 0
    assert "    x: \"1\"\n    \"y\": \"2\"\n" in calicoctl("get", "ippool", "a", "-o", "yaml").out


def test_output_flag_spellings(calicoctl):
    calicoctl("create", "-f", "-", stdin=POOL.format(name="a", cidr="10.1.0.0/24"))
    expected = calicoctl("get", "ippools", "-o", "json").out
    for flags in (["-ojson"], ["--output", "json"], ["--output=json"], ["--out=json"], ["--outp", "json"]):
        assert calicoctl("get", "ippools", *flags).out == expected, flags
    assert calicoctl("get", "networksets", "-a").out == "NAMESPACE   NAME   \n\n"


def test_version_without_cluster_information(datastore_client):

    result = invoke(datastore_client, ["version"])
    assert result.code == 1
    assert result.out.splitlines()[0] == "Client Version:    v3.29.7"
    assert result.err == ("Unable to retrieve Cluster Version or Type: resource does not exist: "
                          "ClusterInformation(default) with error: <nil>\n")


def test_version_flags(calicoctl):
    bad = calicoctl("version", "--poll", "soon")
    assert (bad.code, bad.out, bad.err) == (1, "", "Invalid poll duration specified: 0s\n")

    unreachable = invoke(None, ["version", "-c", "/nonexistent/calicoctl.cfg"])
    assert unreachable.code == 0
    assert unreachable.out.endswith("Unable to detect installed Calico version\n")


def test_parse_duration():
    from pycalicoctl.commands.version import parse_duration

    assert parse_duration("1m30s") == 90.0
    assert parse_duration("1.5h") == 5400.0
    assert parse_duration("250ms") == 0.25
    assert parse_duration("0") == 0.0


def test_node_asn_column_follows_global_as(calicoctl):
    nodes = (
        "apiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: node1\n"
        "spec:\n  bgp:\n    ipv4Address: 198.18.0.4/24\n---\n"
        "apiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: node2\n"
        "spec:\n  bgp:\n    asNumber: 64513\n    ipv4Address: 198.18.0.5/24\n"
    )
    assert calicoctl("create", "-f", "-", stdin=nodes).code == 0
    assert calicoctl("get", "nodes", "-o", "wide").out == (
        "NAME    ASN       IPV4            IPV6   \n"
        "node1   (64512)   198.18.0.4/24          \n"
        "node2   64513     198.18.0.5/24          \n\n"
    )
    calicoctl("apply", "-f", "-", stdin="apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\n"
                                       "metadata:\n  name: default\nspec:\n  asNumber: 63400\n")
    assert "node1   (63400)" in calicoctl("get", "nodes", "-o", "wide").out
    template = calicoctl("get", "node", "node1", "-o", 'go-template={{range .}}{{config "asnumber"}}{{end}}')
    assert template.out == "63400"


def test_tiers_listed_by_order(calicoctl):
    tiers = ("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: a-tier\nspec: {}\n---\n"
             "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: b-tier\nspec:\n  order: 50\n")
    assert calicoctl("create", "-f", "-", stdin=tiers).code == 0
    assert calicoctl("get", "tiers").out == (
        "NAME                 ORDER   \n"
        "b-tier               50      \n"
        "adminnetworkpolicy   1000    \n"
        "a-tier               1e+06   \n"
        "default              1e+06   \n\n"
    )


def test_delete_by_file_honours_resource_version(client, calicoctl):
    calicoctl("create", "-f", "-", stdin=POOL.format(name="a", cidr="10.1.0.0/24"))
    stale = POOL.format(name="a", cidr="10.1.0.0/24").replace("  name: a\n", "  name: a\n  resourceVersion: '1'\n")
    result = calicoctl("delete", "-f", "-", stdin=stale)
    assert (result.code, result.out, result.err) == (1, "", "Failed to delete 'IPPool' resource: update conflict: IPPool(a)\n\n")
    current = client.get("IPPool", "a").metadata.resource_version
    fresh = stale.replace("resourceVersion: '1'", f"resourceVersion: '{current}'")
    assert calicoctl("delete", "-f", "-", stdin=fresh).out == "Successfully deleted 1 'IPPool' resource(s)\n"


def test_go_template_file(calicoctl, tmp_path):
    calicoctl("create", "-f", "-", stdin=POOL.format(name="a", cidr="10.1.0.0/24"))
    template = tmp_path / "pools.tmpl"
    template.write_text("{{range .}}{{range .Items}}{{.ObjectMeta.Name}} {{.Spec.CIDR}}\n{{end}}{{end}}")
    assert calicoctl("get", "ippools", "-o", f"go-template-file={template}").out == "a 10.1.0.0/24\n"
    missing = calicoctl("get", "ippools", "-o", f"go-template-file={tmp_path}/nope.tmpl")
    assert (missing.code, missing.err) == (1, f"open {tmp_path}/nope.tmpl: no such file or directory\n")
    broken = calicoctl("get", "ippools", "-o", "go-template={{range .}}")
    assert broken.code == 1 and broken.err.startswith("template: get")


def test_go_template_sees_go_zero_values(calicoctl):
    calicoctl("create", "-f", "-", stdin=POOL.format(name="a", cidr="10.1.0.0/24"))
    typed = calicoctl("get", "ippool", "a", "-o",
                      "go-template={{range .}}{{.Spec.NATOutgoing}} {{.Spec.BlockSize}} {{.Labels}} {{.Kind}}{{end}}")
    assert typed.out == "false 26 map[] IPPool"
    listed = calicoctl("get", "ippools", "-o", "go-template={{range .}}{{.Kind}} {{len .Items}}{{end}}")
    assert listed.out == "IPPoolList 1"
    wrong = calicoctl("get", "ippool", "a", "-o", "go-template={{range .}}{{.Spec.Colour}}{{end}}")
    assert (wrong.code, wrong.err) == (1, "template: get: can't evaluate field Colour in type v3.IPPoolSpec\n")


def test_label_namespaced_resource(calicoctl):
    netset = ("apiVersion: projectcalico.org/v3\nkind: NetworkSet\nmetadata:\n  name: web\n  namespace: shop\n"
              "spec:\n  nets: [198.18.3.0/24]\n")
    calicoctl("create", "-f", "-", stdin=netset)
    assert calicoctl("label", "networksets", "web", "tier=front").err == "networksets web not found\n"
    done = calicoctl("label", "networksets", "web", "tier=front", "--namespace=shop")
    assert (done.code, done.out) == (0, "Successfully set label tier on networksets web\n")
    assert "      tier: front\n" in calicoctl("get", "networksets", "-n", "shop", "-o", "yaml").out


def test_replace_quirk_counts_failures_as_handled(calicoctl):
    calicoctl("create", "-f", "-", stdin=POOL.format(name="a", cidr="10.1.0.0/24"))
    docs = (POOL.format(name="a", cidr="10.1.0.0/24") + "---\n" + POOL.format(name="ghost", cidr="10.2.0.0/24")
            + "---\n" + POOL.format(name="a", cidr="10.1.0.0/24"))
    result = calicoctl("replace", "-f", "-", stdin=docs)
    assert result.code == 1
    assert result.out == "Partial success: replaced the first 3 out of 3 'IPPool' resources:\n"
    assert result.err == "Hit error: resource does not exist: IPPool(ghost) with error: <nil>\n"


def test_go_template_join_functions(calicoctl):
    netset = ("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata:\n  name: nets\n"
              "  labels:\n    b: two\n    a: one\nspec:\n  nets: [198.18.1.0/24, 198.18.2.0/24, 198.18.3.0/24]\n")
    calicoctl("create", "-f", "-", stdin=netset)
    joined = calicoctl("get", "gnetsets", "nets", "-o", 'go-template={{range .}}{{join .Spec.Nets ";"}}{{end}}')
    assert joined.out == "198.18.1.0/24;198.18.2.0/24;198.18.3.0/24"
    truncated = calicoctl("get", "gnetsets", "nets", "-o",
                          'go-template={{range .}}{{joinAndTruncate .Spec.Nets "," 20}}|{{join .Labels ","}}{{end}}')
    assert truncated.out == "198.18.1.0/24,198...|a=one,b=two"


def test_ipam_commands_check_the_version_first(client, calicoctl):
    _set_cluster_version(client, "v3.28.0")
    mismatch = ("Version mismatch.\nClient Version:   v3.29.7\nCluster Version:  3.28.0\n"
                "Use --allow-version-mismatch to override.\n")
    for args in (["ipam", "show"], ["ipam", "show", "--ip=not-an-ip"], ["ipam", "check"],
                 ["ipam", "release", "--ip=10.1.0.1"], ["ipam", "configure", "--strictaffinity=true"],
                 ["ipam", "split", "2", "--name=p"]):
        got = calicoctl(*args)
        assert (got.code, got.out, got.err) == (1, "", mismatch + "\n"), args
    assert calicoctl("ipam", "configure", "--strictaffinity=true", "--allow-version-mismatch").code == 0
    assert calicoctl("--allow-version-mismatch", "ipam", "show").code == 0
