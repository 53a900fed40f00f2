"""Pure printer, column, loader and go-template tests (no datastore)."""
from __future__ import annotations

import io

import pytest

from pycalicoctl import columns, loader
from pycalicoctl.gotemplate import Template, TemplateError
from pycalicoctl.printers import go_float_v, go_json_number, join_and_truncate, tabwriter, to_json, to_yaml


def test_tabwriter_matches_calicoctl_example():
    rows = [["NAME", "CIDR", "SELECTOR"], ["ippool-name1", "10.0.1.0/24", "foo == 'bar'"]]
    assert tabwriter(rows) == "NAME           CIDR          SELECTOR       \nippool-name1   10.0.1.0/24   foo == 'bar'   \n"
    assert tabwriter([["NAME"], ["a"]]) == "NAME   \na      \n"


@pytest.mark.parametrize("value,text", [(1e6, "1e+06"), (1000.0, "1000"), (1000.5, "1000.5"), (100.0, "100"),
                                        (123456.0, "123456"), (1234567.0, "1.234567e+06"), (0.0001, "0.0001"),
                                        (0.00001, "1e-05"), (-2.5, "-2.5"), (0.0, "0")])
def test_go_float_v(value, text):
    assert go_float_v(value) == text


def test_go_json_number():
    assert go_json_number(1e6) == "1000000"
    assert go_json_number(1e21) == "1e+21"
    assert go_json_number(0.5) == "0.5"


def test_join_and_truncate_examples():
    animals = {"giraffe": "praying mantis", "bird": "felix", "go": "gopher", "elephant": "hippo"}
    assert join_and_truncate(animals, ",", 15) == "bird=felix,e..."
    assert join_and_truncate([12345, 67890], ",", 6) == "123..."
    assert join_and_truncate([123456], ",", 6) == "123456"
    nets = [f"10.0.{i}.0/28" for i in range(10)]
    assert join_and_truncate(nets, ",", 80) == (
        "10.0.0.0/28,10.0.1.0/28,10.0.2.0/28,10.0.3.0/28,10.0.4.0/28,10.0.5.0/28,10.0...."
    )
    assert join_and_truncate(None, ",") == ""


def test_json_go_conventions():
    obj = {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
           "metadata": {"name": "p", "labels": {"a": "b"}},
           "spec": {"selector": "a == 'x' && b == 'y'", "order": 1000000.0}}
    text = to_json([obj])
    assert text.startswith('{\n  "kind": "GlobalNetworkPolicy",\n  "apiVersion": "projectcalico.org/v3",\n')
    assert '"name": "p",\n    "creationTimestamp": null,\n    "labels": {' in text
    assert '"selector": "a == \'x\' \\u0026\\u0026 b == \'y\'"' in text
    assert '"order": 1000000\n' in text
    assert to_json([]) == "null\n"
    assert to_json([obj, obj]).startswith("[\n  {\n")


def test_yaml_go_conventions():
    obj = {"kind": "IPPool", "apiVersion": "projectcalico.org/v3",
           "metadata": {"name": "p", "resourceVersion": "1234", "creationTimestamp": "2024-05-01T10:00:00Z"},
           "spec": {"nodeSelector": "!has(foo)", "allowedUses": ["Workload"], "empty": {}, "none": [],
                    "flag": "true", "blank": "", "port": "80", "multi": "a\nb", "order": 100.0}}
    assert to_yaml([obj]) == (
        "apiVersion: projectcalico.org/v3\n"
        "kind: IPPool\n"
        "metadata:\n"
        '  creationTimestamp: "2024-05-01T10:00:00Z"\n'
        "  name: p\n"
        '  resourceVersion: "1234"\n'
        "spec:\n"
        "  allowedUses:\n"
        "  - Workload\n"
        '  blank: ""\n'
        "  empty: {}\n"
        '  flag: "true"\n'
        "  multi: |-\n"
        "    a\n"
        "    b\n"
        "  nodeSelector: '!has(foo)'\n"
        "  none: []\n"
        "  order: 100\n"
        '  port: "80"\n'
    )
    assert to_yaml([]) == "null\n"
    assert to_yaml([obj, obj]).startswith("- apiVersion: projectcalico.org/v3\n")


def _node(name, bgp=None):
    return {"kind": "Node", "metadata": {"name": name}, "spec": {"bgp": bgp} if bgp is not None else {}}


def test_node_wide_asn_column():
    items = [_node("node1", {"ipv4Address": "1.2.3.4/24", "ipv6Address": "aa:bb:cc::ff/120"}),
             _node("node2", {"asNumber": 64513, "ipv4Address": "10.0.0.2/24"}), _node("node3")]
    headings = columns.headings_for("Node", True, False)
    text = columns.table("Node", items, headings, columns.CellContext(lambda: "64512"))
    assert text == (
        "NAME    ASN       IPV4          IPV6               \n"
        "node1   (64512)   1.2.3.4/24    aa:bb:cc::ff/120   \n"
        "node2   64513     10.0.0.2/24                      \n"
        "node3                                              \n\n"
    )


def test_workload_endpoint_columns_with_namespace():
    wep = {"kind": "WorkloadEndpoint", "metadata": {"name": "w", "namespace": "namespace1"},
           "spec": {"pod": "abcd", "node": "node1", "ipNetworks": ["1.2.3.4/32"], "interfaceName": "cali1234"}}
    headings = columns.headings_for("WorkloadEndpoint", False, True)
    assert columns.table("WorkloadEndpoint", [wep], headings, columns.CellContext()) == (
        "NAMESPACE    WORKLOAD   NODE    NETWORKS     INTERFACE   \n"
        "namespace1   abcd       node1   1.2.3.4/32   cali1234    \n\n"
    )


def test_hostendpoint_wide_and_unknown_heading():
    hep = {"kind": "HostEndpoint", "metadata": {"name": "endpoint1"},
           "spec": {"node": "host1", "interfaceName": "eth0", "profiles": ["prof1", "prof2"]}}
    headings = columns.headings_for("HostEndpoint", True, False)
    assert columns.table("HostEndpoint", [hep], headings, columns.CellContext()) == (
        "NAME        NODE    INTERFACE   IPS   PROFILES      \nendpoint1   host1   eth0              prof1,prof2   \n\n"
    )
    with pytest.raises(columns.UnknownHeading, match="Unknown heading FOO, valid values are: NAME, NODE"):
        columns.headings_for("HostEndpoint", False, False, ("NAME", "FOO"))


def test_policy_order_column():
    gnp = {"kind": "GlobalNetworkPolicy", "metadata": {"name": "a"}, "spec": {"tier": "default", "order": 1000.5}}
    unordered = {"kind": "GlobalNetworkPolicy", "metadata": {"name": "b"}, "spec": {"tier": "default"}}
    text = columns.table("GlobalNetworkPolicy", [gnp, unordered], columns.headings_for("GlobalNetworkPolicy", True, False),
                         columns.CellContext())
    assert text.splitlines()[1:3] == ["a      default   1000.5" + " " * 14, "b      default   <nil>" + " " * 15]


def test_split_documents_separator_rules():
    text = "a: 1\n---\nb: 2\n--- # comment\nc: 3\n----\nd: 4\n---"
    assert loader.split_documents(text) == ["a: 1", "b: 2", "c: 3", "d: 4", ""]
    assert loader.split_documents("---\na: 1\n") == ["---\na: 1\n"]


def test_parse_document_keeps_timestamps_as_strings():
    data = loader.parse_document("metadata:\n  creationTimestamp: 2024-05-01T10:00:00Z\n")
    assert data == {"metadata": {"creationTimestamp": "2024-05-01T10:00:00Z"}}
    assert loader.parse_document("  \n# only a comment\n") is None
    assert loader.parse_document('{"a": [1, 2]}') == {"a": [1, 2]}


def test_load_resources_lists_arrays_and_directories(tmp_path):
    pool = ("apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: {n}\nspec:\n  cidr: 10.0.{i}.0/24\n")
    (tmp_path / "a.yaml").write_text(pool.format(n="a", i=1) + "---\n" + pool.format(n="b", i=2))
    (tmp_path / "b.json").write_text('[{"apiVersion": "projectcalico.org/v3", "kind": "IPPool", '
                                     '"metadata": {"name": "c"}, "spec": {"cidr": "10.0.3.0/24"}}]')
    (tmp_path / "ignored.txt").write_text("not yaml: [")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "d.yml").write_text("apiVersion: projectcalico.org/v3\nkind: IPPoolList\nitems:\n"
                               "- apiVersion: projectcalico.org/v3\n  kind: IPPool\n  metadata:\n    name: d\n"
                               "  spec:\n    cidr: 10.0.4.0/24\n")
    flat = loader.load_resources(str(tmp_path), recursive=False, skip_empty=False)
    assert [r.metadata.name for r in flat] == ["a", "b", "c"]
    deep = loader.load_resources(str(tmp_path), recursive=True, skip_empty=False)
    assert [r.metadata.name for r in deep] == ["a", "b", "c", "d"]
    (tmp_path / "z.yaml").write_text(pool.format(n="z", i=9))
    walked = loader.load_resources(str(tmp_path), recursive=True, skip_empty=False)
    assert [r.metadata.name for r in walked] == ["a", "b", "c", "d", "z"]
    (tmp_path / "a-dir").mkdir()
    (tmp_path / "a-dir" / "x.yaml").write_text(pool.format(n="x", i=8))
    walked = loader.load_resources(str(tmp_path), recursive=True, skip_empty=False)
    assert [r.metadata.name for r in walked] == ["x", "a", "b", "c", "d", "z"]
    stdin = loader.load_resources("-", False, False, io.StringIO(pool.format(n="e", i=5)))
    assert [r.metadata.name for r in stdin] == ["e"]


def test_load_resources_empty_inputs(tmp_path):
    (tmp_path / "empty.yaml").write_text("")
    with pytest.raises(loader.NothingLoaded, match=f"No resources specified in file {tmp_path}/empty.yaml"):
        loader.load_resources(str(tmp_path / "empty.yaml"), False, False)
    assert loader.load_resources(str(tmp_path / "empty.yaml"), False, True) == []
    empty_dir = tmp_path / "nothing"
    empty_dir.mkdir()
    with pytest.raises(loader.NothingLoaded, match=f"No resources specified in directory {empty_dir}"):
        loader.load_resources(str(empty_dir), False, False)


DATA = [{"kind": "IPPoolList", "apiVersion": "projectcalico.org/v3", "metadata": {"resourceVersion": "5"},
         "items": [{"kind": "IPPool", "metadata": {"name": "a", "labels": {"x": "1"}}, "spec": {"cidr": "10.0.0.0/24"}},
                   {"kind": "IPPool", "metadata": {"name": "b"}, "spec": {"cidr": "10.1.0.0/24"}}]}]


@pytest.mark.parametrize("template,expected", [
    ("{{range .}}{{range .Items}}{{.ObjectMeta.Name}},{{end}}{{end}}", "a,b,"),
    ("{{range .}}{{range .Items}}{{.Name}}={{.Spec.CIDR}} {{end}}{{end}}", "a=10.0.0.0/24 b=10.1.0.0/24 "),
    ('{{range .}}{{range $i, $p := .Items}}{{$i}}:{{index $p.Metadata.Labels "x"}};{{end}}{{end}}', "0:1;1:;"),
    ('{{range .}}{{range .Items}}{{if .Labels}}L{{else if eq .Name "b"}}B{{else}}N{{end}}{{end}}{{end}}', "LB"),
    ("{{- range . -}}\n  {{ .Kind }} {{ len .Items }} {{ .Nope }}{{/* note */}}\n{{- end }}", "IPPoolList 2 <no value>"),
    ('{{range .}}{{join .Items "|"}}{{end}}', None),
    ("{{range .}}{{.Metadata}}{{end}}", "map[resourceVersion:5]"),
    ('{{"literal\\n"}}{{`raw`}}', "literal\nraw"),
    ("{{with $x := 1}}{{end}}", None),
])
def test_go_template_subset(template, expected):
    if expected is None:
        try:
            Template(template).execute(DATA)
        except TemplateError as exc:
            assert str(exc).startswith("template: get")
        return
    assert Template(template).execute(DATA) == expected


@pytest.mark.parametrize("template", ["{{range .}}", "{{end}}", "{{printf \"%s\" .}}", "{{.Kind"])
def test_go_template_errors(template):
    with pytest.raises(TemplateError, match="^template: get"):
        Template(template).execute(DATA)
