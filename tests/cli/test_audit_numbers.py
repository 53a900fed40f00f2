"""Audit finding 11g: non-integral floats (policy ``order``) print as Go does: encoding/json in
JSON output (plain from 1e-6 up to 1e21), go-yaml's ``FormatFloat(f, 'g', -1)`` in YAML output; and
go-yaml reads ``1e21`` (no dot) as a number."""
from __future__ import annotations

import pytest

from pycalicoctl import loader
from pycalicoctl.printers import to_json, to_yaml

ORDERS = [
    (1000000.0, "1000000", "1000000"),
    (0.000001, "0.000001", "1e-06"),
    (0.00001, "0.00001", "1e-05"),
    (5e-7, "5e-7", "5e-07"),
    (1e21, "1e+21", "1e+21"),
    (123456789.5, "123456789.5", "1.234567895e+08"),
    (-2.5, "-2.5", "-2.5"),
]


def _policy(order: float) -> dict:
    return {"kind": "GlobalNetworkPolicy", "apiVersion": "projectcalico.org/v3",
            "metadata": {"name": "p", "labels": {"x": "1e-06"}}, "spec": {"order": order}}


@pytest.mark.parametrize("order,json_text,yaml_text", ORDERS)
def test_order_in_json_and_yaml_output(order, json_text, yaml_text):
    assert f'"order": {json_text}\n' in to_json([_policy(order)])
    assert f"  order: {yaml_text}\n" in to_yaml([_policy(order)])


def test_float_like_strings_stay_strings():
    assert '"x": "1e-06"' in to_json([_policy(0.5)])
    assert '    x: "1e-06"\n' in to_yaml([_policy(0.5)])


def test_yaml_numbers_without_a_dot_are_floats_as_in_go_yaml():
    assert loader.parse_document("a: 1e21\nb: 26\nc: 1.5e-3\nd: '1e3'\ne: 0x1F\n") == {
        "a": 1e21, "b": 26, "c": 0.0015, "d": "1e3", "e": 31}


def test_policies_round_trip_through_the_cli(calicoctl):
    text = "".join(f"---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {{name: o{i}}}\n"
                   f"spec: {{order: {value}}}\n" for i, value in enumerate(["0.000001", "1e21", "123456789.5"]))
    assert calicoctl("apply", "-f", "-", stdin=text).code == 0
    out = calicoctl("get", "gnp", "o0", "o1", "o2", "-o", "json").out
    assert [line.strip().rstrip(",") for line in out.splitlines() if '"order"' in line] == [
        '"order": 0.000001', '"order": 1e+21', '"order": 123456789.5']
    out = calicoctl("get", "gnp", "o0", "o1", "o2", "-o", "yaml").out
    assert [line.strip() for line in out.splitlines() if "order:" in line] == [
        "order: 1e-06", "order: 1e+21", "order: 1.234567895e+08"]
