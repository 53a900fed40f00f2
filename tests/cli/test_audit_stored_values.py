"""Audit finding 1: values read back from the datastore are decoded leniently, as libcalico-go does.

Unknown fields in a stored value are ignored (objects written by a newer Calico), an unparseable
value is skipped in lists and gives one clear line on get; files given by the user stay strict.
"""
from __future__ import annotations

import json

import pytest

from datastore import keys
from datastore.errors import ParseError

FUTURE_POOL = {
    "kind": "IPPool", "apiVersion": "projectcalico.org/v3",
    "metadata": {"name": "future", "uid": "6f1c0000-0000-0000-0000-000000000000",
                 "creationTimestamp": "2024-05-01T10:00:00Z"},
    "spec": {"cidr": "10.244.0.0/16", "vxlanMode": "Never", "ipipMode": "Always", "natOutgoing": True,
             "blockSize": 26, "nodeSelector": "all()", "allowedUses": ["Workload", "Tunnel"],
             "assignmentMode": "Automatic"},
}

POOL_FILE = """apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: other}
spec: {cidr: 10.1.0.0/16}
"""


def _store(client, name: str, value: bytes) -> None:
    client.backend.create(keys.ResourceKey("IPPool", name).path, value)


def test_unknown_stored_field_is_ignored_by_get_list_apply_and_delete(client, calicoctl):
    _store(client, "future", json.dumps(FUTURE_POOL).encode())
    listed = calicoctl("get", "ippools")
    assert listed.code == 0, listed
    assert "future" in listed.out and "10.244.0.0/16" in listed.out
    got = calicoctl("get", "ippool", "future", "-o", "yaml")
    assert got.code == 0 and "cidr: 10.244.0.0/16" in got.out
    applied = calicoctl("apply", "-f", "-", stdin=POOL_FILE)
    assert applied.out == "Successfully applied 1 'IPPool' resource(s)\n"
    deleted = calicoctl("delete", "ippool", "future")
    assert deleted.out.startswith("Successfully deleted 1 'IPPool' resource(s)"), deleted


def test_unknown_field_in_a_user_file_is_still_rejected(calicoctl):
    text = POOL_FILE.replace("{cidr: 10.1.0.0/16}", "{cidr: 10.1.0.0/16, assignmentMode: Automatic}")
    result = calicoctl("create", "-f", "-", stdin=text)
    assert result.code == 1
    assert "field in document is not recognized or is in the wrong location: assignmentMode" in result.err


def test_unparseable_stored_value_is_skipped_in_lists_and_one_line_on_get(client, calicoctl):
    calicoctl("apply", "-f", "-", stdin=POOL_FILE)
    _store(client, "corrupt", b"not json")
    listed = calicoctl("get", "ippools")
    assert listed.code == 0 and "other" in listed.out and "corrupt" not in listed.out
    got = calicoctl("get", "ippool", "corrupt")
    assert got.code == 1
    text = got.out + got.err
    assert "JSONDecodeError" not in text and "Traceback" not in text
    assert "cannot parse the stored value of /calico/resources/v3/projectcalico.org/ippools/corrupt" in text
    assert len(text.strip().splitlines()) == 1


def test_unparseable_stored_value_of_a_non_pool_kind_can_be_deleted(client, calicoctl):
    client.backend.create(keys.ResourceKey("GlobalNetworkSet", "broken").path, b"{")
    deleted = calicoctl("delete", "globalnetworkset", "broken")
    assert deleted.out.startswith("Successfully deleted 1 'GlobalNetworkSet' resource(s)"), deleted
    assert calicoctl("get", "globalnetworksets", "-o", "name").out.strip() == ""


def test_client_decode_wrong_type_in_stored_value_is_a_parse_error(client):
    _store(client, "typed", json.dumps({**FUTURE_POOL, "spec": {"cidr": "10.9.0.0/16", "blockSize": "x"}}).encode())
    with pytest.raises(ParseError, match="cannot parse the stored value of .*ippools/typed: .*blockSize"):
        client.get("IPPool", "typed")
    assert [p.metadata.name for p in client.list("IPPool")] == []


def test_watch_skips_unparseable_puts_and_keeps_deletes(client):
    import threading

    listed = client.list("IPPool")
    watch = client.watch("IPPool", int(listed.resource_version))
    events = []

    def reader():
        for event in watch:
            events.append(event)
            if len(events) == 2:
                return

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    _store(client, "corrupt", b"not json")
    client.backend.delete(keys.ResourceKey("IPPool", "corrupt").path)
    _store(client, "future", json.dumps(FUTURE_POOL).encode())
    thread.join(5)
    watch.cancel()
    assert [(e.type, e.resource.metadata.name) for e in events] == [("DELETE", "corrupt"), ("PUT", "future")]
    assert events[1].resource.spec.cidr == "10.244.0.0/16"
