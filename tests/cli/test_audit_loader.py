"""Audit finding 11c: a repeated mapping key is an error (go-yaml ``UnmarshalStrict``, used by
calicoctl's strict YAML-to-JSON step), for YAML and JSON input alike; nothing is written."""
from __future__ import annotations

import pytest

from pycalicoctl import loader

from tests.cli.cli_support import snapshot

DUPLICATE = ("apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: d\n  name: e\n"
             "spec: {cidr: 10.70.0.0/16}\n")


def test_duplicate_yaml_key_is_refused_with_go_yamls_wording(client, calicoctl):
    before = snapshot(client)
    result = calicoctl("create", "-f", "-", stdin=DUPLICATE)
    assert (result.code, result.out) == (1, "")
    assert result.err == ("Failed to execute command: error converting YAML to JSON: yaml: unmarshal errors:\n"
                          '  line 5: key "name" already set in map\n')
    assert snapshot(client) == before


@pytest.mark.parametrize("text,line", [
    ('{"apiVersion": "projectcalico.org/v3", "kind": "IPPool",\n "metadata": {"name": "d", "name": "e"}}', 2),
    ("kind: IPPool\nkind: IPPool\n", 2),
    ("a: 1\n---\nb: {x: 1, x: 2}\n", 1),
])
def test_duplicate_keys_in_any_document_form(tmp_path, text, line):
    path = tmp_path / "dup.yaml"
    path.write_text(text)
    with pytest.raises(loader.FileInvalid, match=f"unmarshal errors:\n  line {line}: key .* already set in map"):
        loader.load_resources(str(path), False, False)


def test_same_key_in_different_mappings_is_fine():
    assert loader.parse_document("a: {name: x}\nb: {name: y}\n") == {"a": {"name": "x"}, "b": {"name": "y"}}
    assert loader.parse_document('{"a": {"n": 1}, "b": {"n": 2}}') == {"a": {"n": 1}, "b": {"n": 2}}
