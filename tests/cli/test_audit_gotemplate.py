"""Audit finding 10: go-template over resources behaves as Go's text/template over calicoctl's
structs: only exported Go field names resolve (no JSON names, no ``.Metadata``), unknown fields are
errors naming the Go type, and metav1.Time prints as ``time.Time.String()``."""
from __future__ import annotations

import pytest

POOL = """apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: p1, labels: {a: b}}
spec: {cidr: 10.1.0.0/16}
"""


@pytest.fixture
def template(calicoctl):
    calicoctl("create", "-f", "-", stdin=POOL)
    return lambda text: calicoctl("get", "ippool", "p1", "-o", f"go-template={{{{range .}}}}{text}{{{{end}}}}")


@pytest.mark.parametrize("text,field,go_type", [
    ("{{.Bogus}}", "Bogus", "*v3.IPPool"),
    ("{{.Metadata.Name}}", "Metadata", "*v3.IPPool"),
    ("{{.Spec.cidr}}", "cidr", "v3.IPPoolSpec"),
    ("{{.ObjectMeta.Bogus}}", "Bogus", "v1.ObjectMeta"),
])
def test_unknown_or_json_field_names_are_execution_errors(template, text, field, go_type):
    result = template(text)
    assert (result.code, result.out) == (1, "")
    assert result.err == f"template: get: can't evaluate field {field} in type {go_type}\n"


def test_go_field_names_and_promoted_metadata_resolve(template):
    result = template("{{.Name}} {{.ObjectMeta.Name}} {{.Spec.CIDR}} {{.Labels}} {{index .ObjectMeta.Labels \"a\"}}")
    assert result.out == "p1 p1 10.1.0.0/16 map[a:b] b"


def test_timestamps_print_as_go_time_strings(client, template):
    stamp = client.get("IPPool", "p1").metadata.creation_timestamp
    assert stamp.endswith("Z")
    expected = stamp[:-1].replace("T", " ") + " +0000 UTC"
    result = template("{{.ObjectMeta.CreationTimestamp}}|{{.CreationTimestamp}}|{{.ObjectMeta.DeletionTimestamp}}")
    assert result.out == f"{expected}|{expected}|<nil>"
