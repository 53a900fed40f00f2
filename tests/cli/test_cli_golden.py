"""Golden CLI scenarios (tables, YAML, JSON, messages) run on both backends: local sqlite and real etcd.

Expected texts follow calicoctl v3.29 (reference/calicoctl.md §2–§3); volatile metadata is stripped.
"""
from __future__ import annotations

import json

from tests.cli.cli_support import strip_volatile  # type: ignore[import-not-found]

POOLS = """\
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: ippool-name1
spec:
  cidr: 10.0.1.0/24
  nodeSelector: foo == 'bar'
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: ippool-name2
spec:
  cidr: fed0:8001::/64
"""

POOL1_TABLE = "NAME           CIDR          SELECTOR       \nippool-name1   10.0.1.0/24   foo == 'bar'   \n\n"
POOL2_TABLE = "NAME           CIDR             SELECTOR   \nippool-name2   fed0:8001::/64   all()      \n\n"


def test_create_then_get_tables(calicoctl):
    created = calicoctl("create", "-f", "-", stdin=POOLS)
    assert (created.code, created.out, created.err) == (0, "Successfully created 2 'IPPool' resource(s)\n", "")

    listed = calicoctl("get", "ippools")
    assert listed.code == 0
    assert listed.out == (
        "NAME           CIDR             SELECTOR       \n"
        "ippool-name1   10.0.1.0/24      foo == 'bar'   \n"
        "ippool-name2   fed0:8001::/64   all()          \n\n"
    )
    two = calicoctl("get", "ippool", "ippool-name1", "ippool-name2")
    assert two.out == POOL1_TABLE + POOL2_TABLE

    wide = calicoctl("get", "pool", "ippool-name1", "-o", "wide")
    assert wide.out == (
        "NAME           CIDR          NAT     IPIPMODE   VXLANMODE   DISABLED   DISABLEBGPEXPORT   SELECTOR       \n"
        "ippool-name1   10.0.1.0/24   false   Never      Never       false      false              foo == 'bar'   \n\n"
    )
    custom = calicoctl("get", "IPP", "-o", "custom-columns=CIDR,NAME")
    assert custom.out == (
        "CIDR             NAME           \n10.0.1.0/24      ippool-name1   \nfed0:8001::/64   ippool-name2   \n\n"
    )


def test_empty_list_prints_header_only(calicoctl):
    assert calicoctl("get", "ippools").out == "NAME   CIDR   SELECTOR   \n\n"
    yaml_out = calicoctl("get", "ippools", "-o", "yaml").out
    assert strip_volatile(yaml_out) == (
        'apiVersion: projectcalico.org/v3\nitems: []\nkind: IPPoolList\nmetadata:\n  resourceVersion: "<rv>"\n'
    )


def test_get_yaml_and_json_shapes(calicoctl):
    calicoctl("create", "-f", "-", stdin=POOLS)
    single = calicoctl("get", "ippool", "ippool-name1", "-o", "yaml")
    assert strip_volatile(single.out) == (
        "apiVersion: projectcalico.org/v3\n"
        "kind: IPPool\n"
        "metadata:\n"
        '  creationTimestamp: "<ts>"\n'
        "  name: ippool-name1\n"
        '  resourceVersion: "<rv>"\n'
        "  uid: <uid>\n"
        "spec:\n"
        "  allowedUses:\n"
        "  - Workload\n"
        "  - Tunnel\n"
        "  blockSize: 26\n"
        "  cidr: 10.0.1.0/24\n"
        "  ipipMode: Never\n"
        "  nodeSelector: foo == 'bar'\n"
        "  vxlanMode: Never\n"
    )
    as_json = calicoctl("get", "ippool", "ippool-name1", "-o", "json")
    assert strip_volatile(as_json.out) == (
        "{\n"
        '  "kind": "IPPool",\n'
        '  "apiVersion": "projectcalico.org/v3",\n'
        '  "metadata": {\n'
        '    "name": "ippool-name1",\n'
        '    "uid": "<uid>",\n'
        '    "resourceVersion": "<rv>",\n'
        '    "creationTimestamp": "<ts>"\n'
        "  },\n"
        '  "spec": {\n'
        '    "cidr": "10.0.1.0/24",\n'
        '    "vxlanMode": "Never",\n'
        '    "ipipMode": "Never",\n'
        '    "blockSize": 26,\n'
        '    "nodeSelector": "foo == \'bar\'",\n'
        '    "allowedUses": [\n'
        '      "Workload",\n'
        '      "Tunnel"\n'
        "    ]\n"
        "  }\n"
        "}\n"
    )
    several = json.loads(calicoctl("get", "ippool", "ippool-name1", "ippool-name2", "-o", "json").out)
    assert [p["metadata"]["name"] for p in several] == ["ippool-name1", "ippool-name2"]
    listed = json.loads(calicoctl("get", "ippools", "-o", "json").out)
    assert list(listed) == ["kind", "apiVersion", "metadata", "items"]
    assert listed["kind"] == "IPPoolList" and len(listed["items"]) == 2


def test_get_output_is_valid_input(calicoctl):
    calicoctl("create", "-f", "-", stdin=POOLS)
    exported = calicoctl("get", "ippools", "-o", "yaml").out
    calicoctl("delete", "ippool", "ippool-name1", "ippool-name2")
    result = calicoctl("create", "-f", "-", stdin=_drop_versions(exported))
    assert result.out == "Successfully created 2 'IPPool' resource(s)\n"


def _drop_versions(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if "resourceVersion" not in line) + "\n"


def test_get_missing_names_print_successes_then_errors(calicoctl):
    calicoctl("create", "-f", "-", stdin=POOLS)
    result = calicoctl("get", "ippool", "ippool-name1", "blah", "nope")
    assert result.code == 1
    assert result.out == POOL1_TABLE
    assert result.err == (
        "resource does not exist: IPPool(blah) with error: <nil>\n"
        "resource does not exist: IPPool(nope) with error: <nil>\n"
    )
    nothing = calicoctl("get", "ippool", "blah", "-o", "yaml")
    assert (nothing.code, nothing.out) == (1, "null\n")
    silent = calicoctl("get", "ippool", "blah")
    assert (silent.code, silent.out) == (1, "")


def test_create_skip_exists_and_partial_failure(calicoctl):
    calicoctl("create", "-f", "-", stdin=POOLS)
    again = calicoctl("create", "-f", "-", stdin=POOLS)
    assert again.code == 1 and again.out == ""
    assert again.err == (
        "Failed to create any 'IPPool' resources: [resource already exists: IPPool(ippool-name1) "
        "resource already exists: IPPool(ippool-name2)]\n"
    )
    skipped = calicoctl("create", "-f", "-", "--skip-exists", stdin=POOLS)
    assert (skipped.code, skipped.out) == (0, "Successfully created 2 'IPPool' resource(s)\n")

    one = calicoctl("create", "-f", "-", stdin=POOLS.split("---\n")[0])
    assert one.err == "Failed to create 'IPPool' resource: [resource already exists: IPPool(ippool-name1)]\n"

    mixed = POOLS.split("---\n")[0] + "---\n" + _pool("ippool-name3", "10.0.3.0/24")
    partial = calicoctl("create", "-f", "-", stdin=mixed.replace("ippool-name1", "ippool-name4").replace(
        "10.0.1.0/24", "10.0.4.0/24") + "---\n" + _pool("ippool-name2", "10.9.0.0/24"))
    assert partial.code == 1
    assert partial.out == "Partial success: created the first 2 out of 3 'IPPool' resources:\n"
    assert partial.err == "Hit error: [resource already exists: IPPool(ippool-name2)]\n"


def _pool(name: str, cidr: str, extra: str = "") -> str:
    return (f"apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: {name}\n"
            f"spec:\n  cidr: {cidr}\n{extra}")


def test_apply_creates_then_updates(calicoctl):
    first = calicoctl("apply", "-f", "-", stdin=POOLS)
    assert first.out == "Successfully applied 2 'IPPool' resource(s)\n"
    updated = calicoctl("apply", "-f", "-", stdin=_pool("ippool-name1", "10.0.1.0/24", "  natOutgoing: true\n"))
    assert updated.out == "Successfully applied 1 'IPPool' resource(s)\n"
    wide = calicoctl("get", "ippool", "ippool-name1", "-o", "wide").out
    assert wide.splitlines()[1].split()[2] == "true"

    mixed = _pool("ippool-name5", "10.0.5.0/24") + "---\n" + (
        "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: peer1\n"
        "spec:\n  peerIP: 198.18.0.9\n  asNumber: 64514\n")
    both = calicoctl("apply", "-f", "-", stdin=mixed)
    assert both.out == "Successfully applied 2 resource(s)\n"


def test_apply_error_messages(calicoctl):
    calicoctl("apply", "-f", "-", stdin=POOLS)
    overlap = _pool("ippool-other", "10.0.1.0/25") + "---\n" + _pool("ippool-ok", "10.0.7.0/24")
    result = calicoctl("apply", "-f", "-", stdin=overlap)
    assert result.code == 1
    assert result.out == ""
    assert result.err == (
        "Hit error(s): [error with field IPPool.Spec.CIDR = '10.0.1.0/25' "
        "(IPPool(ippool-other) CIDR overlaps with IPPool(ippool-name1) CIDR 10.0.1.0/24)]\n"
    )
    stale = calicoctl("apply", "-f", "-", stdin=_pool("ippool-name1", "10.0.1.0/24").replace(
        "  name: ippool-name1\n", "  name: ippool-name1\n  resourceVersion: '1'\n"))
    assert stale.err == "Failed to apply 'IPPool' resource: [update conflict: IPPool(ippool-name1)]\n"


def test_replace_messages(calicoctl):
    calicoctl("create", "-f", "-", stdin=POOLS)
    ok = calicoctl("replace", "-f", "-", stdin=_pool("ippool-name1", "10.0.1.0/24", "  disabled: true\n"))
    assert (ok.code, ok.out) == (0, "Successfully replaced 1 'IPPool' resource(s)\n")
    missing = calicoctl("replace", "-f", "-", stdin=_pool("ghost", "10.0.9.0/24"))
    assert missing.code == 1
    assert missing.out == "Partial success: replaced the first 1 out of 1 'IPPool' resources:\n"
    assert missing.err == "Hit error: resource does not exist: IPPool(ghost) with error: <nil>\n"


def test_delete_messages(calicoctl):
    calicoctl("create", "-f", "-", stdin=POOLS)
    result = calicoctl("delete", "ippool", "ippool-name1", "ghost")
    assert result.code == 1
    assert result.out == "Successfully deleted 1 'IPPool' resource(s)\n"
    assert result.err == "Failed to delete 'IPPool' resource: resource does not exist: IPPool(ghost) with error: <nil>\n\n"
    skipped = calicoctl("delete", "ippool", "ghost", "--skip-not-exists")
    assert (skipped.code, skipped.out, skipped.err) == (0, "Successfully deleted 1 'IPPool' resource(s)\n", "")
    by_file = calicoctl("delete", "-f", "-", stdin=POOLS.split("---\n")[1])
    assert by_file.out == "Successfully deleted 1 'IPPool' resource(s)\n"
    assert calicoctl("get", "ippools").out == "NAME   CIDR   SELECTOR   \n\n"


def test_namespaced_kinds(calicoctl):
    sets = ("apiVersion: projectcalico.org/v3\nkind: NetworkSet\nmetadata:\n  name: set1\n"
            "spec:\n  nets:\n  - 198.18.1.0/24\n")
    assert calicoctl("create", "-f", "-", stdin=sets).out == "Successfully created 1 'NetworkSet' resource(s)\n"
    assert calicoctl("create", "-f", "-", "-n", "ns2", stdin=sets).code == 0
    assert calicoctl("get", "netsets").out == "NAME   \nset1   \n\n"
    assert calicoctl("get", "netsets", "-A", "-o", "wide").out == (
        "NAMESPACE   NAME   NETS            \ndefault     set1   198.18.1.0/24   \nns2         set1   198.18.1.0/24   \n\n"
    )
    assert calicoctl("get", "netsets", "-n", "ns2").out == "NAMESPACE   NAME   \nns2         set1   \n\n"
    both = calicoctl("get", "netsets", "-n", "x", "-A")
    assert (both.code, both.err) == (1, "cannot use both --namespace and --all-namespaces flags at the same time\n")
    single = calicoctl("get", "networkset", "set1", "-A")
    assert single.err == "cannot use --all-namespace flag for getting a single resource\n"
    not_namespaced = calicoctl("get", "ippools", "-n", "default")
    assert (not_namespaced.code, not_namespaced.out, not_namespaced.err) == (1, "", "IPPool is not namespaced\n")
    mismatch = calicoctl("create", "-f", "-", "-n", "other",
                         stdin=sets.replace("  name: set1\n", "  name: set2\n  namespace: ns2\n"))
    assert mismatch.err == (
        "Failed to create 'NetworkSet' resource: [resource namespace does not match client namespace. ns2 != other]\n"
    )


def test_export_strips_cluster_metadata(calicoctl):
    calicoctl("create", "-f", "-", stdin=POOLS)
    exported = calicoctl("get", "ippool", "ippool-name1", "--export", "-o", "yaml").out
    assert "uid:" not in exported and "resourceVersion" not in exported
    assert "  creationTimestamp: null\n" in exported
    listed = calicoctl("get", "ippools", "--export", "-o", "yaml").out
    assert "uid:" in listed


def test_label_lifecycle(calicoctl):
    calicoctl("create", "-f", "-", stdin=POOLS)
    assert calicoctl("label", "ippool", "ippool-name1", "team=red").out == (
        "Successfully set label team on ippool ippool-name1\n")
    clash = calicoctl("label", "ippool", "ippool-name1", "team=blue")
    assert clash.err == ("failed to update label of ippool ippool-name1, key team is already present. "
                         "please use '--overwrite' to set a new value.\n")
    assert calicoctl("label", "ippool", "ippool-name1", "team=blue", "--overwrite").out == (
        "Successfully updated label team on ippool ippool-name1\n")
    assert "    team: blue\n" in calicoctl("get", "ippool", "ippool-name1", "-o", "yaml").out
    assert calicoctl("label", "ippool", "ippool-name1", "team", "--remove").out == (
        "Successfully removed label team from ippool ippool-name1\n")
    assert calicoctl("label", "ippool", "ippool-name1", "team", "--remove").err == (
        "cannot remove label of ippool ippool-name1, key team does not exist\n")
    assert calicoctl("label", "ippool", "ghost", "a=b").err == "ippool ghost not found\n"
    assert calicoctl("label", "ippool", "ippool-name1", "a=b=c").err == "invalid label a=b=c\n"


def test_patch(calicoctl):
    calicoctl("create", "-f", "-", stdin=POOLS)
    patched = calicoctl("patch", "ippool", "ippool-name1", "-p", '{"spec": {"natOutgoing": true}}')
    assert (patched.code, patched.out) == (0, "Successfully patched 1 'IPPool' resource\n")
    assert calicoctl("get", "ippool", "ippool-name1", "-o", "wide").out.splitlines()[1].split()[2] == "true"
    missing = calicoctl("patch", "ippool", "ghost", "-p", '{"spec": {}}')
    assert (missing.code, missing.err) == (1, "Hit error: resource does not exist: IPPool(ghost) with error: <nil>\n")


def test_cluster_tables(calicoctl):
    tiers = calicoctl("get", "tiers")
    assert tiers.out == "NAME                 ORDER   \nadminnetworkpolicy   1000    \ndefault              1e+06   \n\n"
    info = calicoctl("get", "clusterinformation", "-o", "yaml").out
    assert "datastoreReady: true" in info
    profiles = calicoctl("get", "profiles")
    assert profiles.out == "NAME                          \nprojectcalico-default-allow   \n\n"


def test_bgp_tables(calicoctl):
    docs = (
        "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: bgppeer-global\n"
        "spec:\n  peerIP: 192.20.30.40\n  asNumber: 64567\n---\n"
        "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: rr-peers\n"
        "spec:\n  nodeSelector: has(rr)\n  peerSelector: has(rr)\n---\n"
        "apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata:\n  name: default\n"
        "spec:\n  logSeverityScreen: Info\n  nodeToNodeMeshEnabled: false\n  asNumber: 63400\n"
    )
    assert calicoctl("create", "-f", "-", stdin=docs).out == "Successfully created 3 resource(s)\n"
    assert calicoctl("get", "bgppeers").out == (
        "NAME             PEERIP         NODE       ASN     \n"
        "bgppeer-global   192.20.30.40   (global)   64567   \n"
        "rr-peers                        has(rr)    0       \n\n"
    )
    assert calicoctl("get", "bgpconfig").out == (
        "NAME      LOGSEVERITY   MESHENABLED   ASNUMBER   \ndefault   Info          false         63400      \n\n"
    )


def test_go_template(calicoctl):
    calicoctl("create", "-f", "-", stdin=POOLS)
    names = calicoctl("get", "ippools", "-o", "go-template={{range .}}{{range .Items}}{{.ObjectMeta.Name}},{{end}}{{end}}")
    assert (names.code, names.out) == (0, "ippool-name1,ippool-name2,")
    cidr = calicoctl("get", "ippool", "ippool-name2", "-o", "go-template={{range .}}{{.Spec.CIDR}}{{end}}")
    assert cidr.out == "fed0:8001::/64"


def test_version(calicoctl):
    result = calicoctl("version")
    lines = result.out.splitlines()
    assert result.code == 0
    assert lines[0] == "Client Version:    v3.29.7"
    assert lines[1].startswith("Git commit:        ")
    assert lines[2:] == ["Cluster Version:   unknown", "Cluster Type:      unknown"]
