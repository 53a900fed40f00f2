"""datastore.client on both backends (real etcd and local sqlite): storage format, CRUD semantics,
calicoctl's apply, IPPool cross-resource checks, read-only kinds, initialisation, bulk apply."""
from __future__ import annotations

import json

import pytest

from datastore.backend import open_backend
from datastore.client import DEFAULT_ALLOW_PROFILE, Client, ResourceList
from datastore.errors import AlreadyExists, Conflict, NotFound, OperationNotSupported, ValidationError
from datastore.resources import from_dict

API = "projectcalico.org/v3"


def pool(name: str, cidr: str, **spec) -> object:
    return from_dict({"kind": "IPPool", "apiVersion": API, "metadata": {"name": name}, "spec": {"cidr": cidr, **spec}})


def netset(name: str, namespace: str, *nets: str) -> object:
    return from_dict({"kind": "NetworkSet", "apiVersion": API, "metadata": {"name": name, "namespace": namespace},
                      "spec": {"nets": list(nets)}})


@pytest.fixture
def fixed_client(datastore_config):
    """A Client with a fixed clock and uid source, for exact storage checks."""
    uids = iter(f"00000000-0000-4000-8000-00000000000{i}" for i in range(10))
    client = Client(open_backend(datastore_config), clock=lambda: "2026-01-02T03:04:05Z", new_uid=lambda: next(uids))
    yield client
    client.close()


def test_create_stores_calico_json_at_calico_key(fixed_client):
    created = fixed_client.create(pool("p1", "10.1.0.0/16", natOutgoing=True))
    kv = fixed_client.backend.get("/calico/resources/v3/projectcalico.org/ippools/p1")
    assert kv.value == (
        b'{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"p1",'
        b'"uid":"00000000-0000-4000-8000-000000000000","creationTimestamp":"2026-01-02T03:04:05Z"},'
        b'"spec":{"cidr":"10.1.0.0/16","vxlanMode":"Never","ipipMode":"Never","natOutgoing":true,"blockSize":26,'
        b'"nodeSelector":"all()","allowedUses":["Workload","Tunnel"]}}')
    assert created.metadata.resource_version == str(kv.mod_revision)
    assert created.metadata.uid == "00000000-0000-4000-8000-000000000000"
    assert fixed_client.get("IPPool", "p1") == created


def test_namespaced_key_and_list_by_namespace(datastore_client):
    datastore_client.create(netset("b", "ns1", "10.0.0.0/8"))
    datastore_client.create(netset("a", "ns1", "10.1.0.0/16"))
    datastore_client.create(netset("a", "ns2", "10.2.0.0/16"))
    datastore_client.backend.get("/calico/resources/v3/projectcalico.org/networksets/ns2/a")
    in_ns1 = datastore_client.list("NetworkSet", "ns1")
    assert [(r.metadata.namespace, r.metadata.name) for r in in_ns1] == [("ns1", "a"), ("ns1", "b")]
    everywhere = datastore_client.list("NetworkSet")
    assert [(r.metadata.namespace, r.metadata.name) for r in everywhere] == [("ns1", "a"), ("ns1", "b"), ("ns2", "a")]
    assert isinstance(everywhere, ResourceList)
    assert everywhere.resource_version == str(datastore_client.backend.current_revision())
    with pytest.raises(NotFound) as err:
        datastore_client.get("NetworkSet", "a", "ns3")
    assert str(err.value) == "resource does not exist: NetworkSet(ns3/a) with error: <nil>"


def test_create_existing_and_create_with_resource_version(datastore_client):
    datastore_client.create(pool("p1", "10.1.0.0/16"))
    with pytest.raises(AlreadyExists) as err:
        datastore_client.create(pool("p1", "10.1.0.0/16"))
    assert str(err.value) == "resource already exists: IPPool(p1)"
    with pytest.raises(ValidationError) as err:
        datastore_client.create(pool("p2", "10.2.0.0/16").with_metadata(resource_version="7"))
    assert str(err.value) == ("error with field Metadata.ResourceVersion = '7' "
                              "(field must not be set for a Create request)")


def test_update_is_cas_on_resource_version_and_keeps_server_metadata(datastore_client):
    created = datastore_client.create(pool("p1", "10.1.0.0/16"))
    edited = pool("p1", "10.1.0.0/16", natOutgoing=True).with_metadata(
        resource_version=created.metadata.resource_version, labels={"a": "b"}, uid="ignored")
    updated = datastore_client.update(edited)
    assert updated.spec.nat_outgoing is True
    assert updated.metadata.labels == {"a": "b"}
    assert (updated.metadata.uid, updated.metadata.creation_timestamp) == (
        created.metadata.uid, created.metadata.creation_timestamp)
    assert int(updated.metadata.resource_version) > int(created.metadata.resource_version)
    with pytest.raises(Conflict) as err:
        datastore_client.update(edited)
    assert str(err.value) == "update conflict: IPPool(p1)"
    latest = datastore_client.update(pool("p1", "10.1.0.0/16", disabled=True))
    assert latest.spec.disabled is True
    assert datastore_client.get("IPPool", "p1") == latest


def test_update_missing(datastore_client):
    with pytest.raises(NotFound) as err:
        datastore_client.update(pool("nope", "10.1.0.0/16"))
    assert str(err.value) == "resource does not exist: IPPool(nope) with error: <nil>"


def test_apply_creates_then_updates_and_honours_resource_version(datastore_client):
    first = datastore_client.apply(pool("p1", "10.1.0.0/16"))
    second = datastore_client.apply(pool("p1", "10.1.0.0/16", natOutgoing=True))
    assert second.spec.nat_outgoing and second.metadata.uid == first.metadata.uid
    with pytest.raises(Conflict):
        datastore_client.apply(pool("p1", "10.1.0.0/16").with_metadata(
            resource_version=first.metadata.resource_version))
    assert datastore_client.get("IPPool", "p1").spec.nat_outgoing is True


def test_delete_returns_object_and_checks_resource_version(datastore_client):
    created = datastore_client.create(pool("p1", "10.1.0.0/16"))
    datastore_client.update(pool("p1", "10.1.0.0/16", natOutgoing=True))
    with pytest.raises(Conflict) as err:
        datastore_client.delete("IPPool", "p1", resource_version=created.metadata.resource_version)
    assert str(err.value) == "update conflict: IPPool(p1)"
    deleted = datastore_client.delete("IPPool", "p1")
    assert deleted.spec.nat_outgoing is True
    with pytest.raises(NotFound) as err:
        datastore_client.delete("IPPool", "p1")
    assert str(err.value) == "resource does not exist: IPPool(p1) with error: <nil>"


def test_invalid_resource_writes_nothing(datastore_client):
    before = datastore_client.backend.current_revision()
    with pytest.raises(ValidationError) as err:
        datastore_client.create(pool("p1", "10.0.250.0/32"))
    assert str(err.value) == ("error with field IPPool.Spec.CIDR = '10.0.250.0/32' (IP pool size is too small for use "
                              "with Calico IPAM. It must be equal to or greater than the block size.)")
    with pytest.raises(ValidationError):
        datastore_client.apply(pool("p2", "10.1.0.0/16", ipipMode="Sometimes"))
    assert datastore_client.backend.current_revision() == before
    assert datastore_client.list("IPPool") == ()


def test_ippool_overlap_with_existing_pool(datastore_client):
    datastore_client.create(pool("p1", "10.1.0.0/16"))
    with pytest.raises(ValidationError) as err:
        datastore_client.create(pool("p2", "10.1.128.0/17"))
    assert str(err.value) == ("error with field IPPool.Spec.CIDR = '10.1.128.0/17' "
                              "(IPPool(p2) CIDR overlaps with IPPool(p1) CIDR 10.1.0.0/16)")


def test_ippool_cidr_and_block_size_are_immutable(datastore_client):
    datastore_client.create(pool("p1", "10.1.0.0/16"))
    with pytest.raises(ValidationError) as err:
        datastore_client.update(pool("p1", "10.2.0.0/16", blockSize=24))
    assert str(err.value) == ("error with the following fields:\n"
                              "-  IPPool.Spec.CIDR = '10.2.0.0/16' (IPPool CIDR cannot be modified)\n"
                              "-  IPPool.Spec.BlockSize = '24' (IPPool BlockSize cannot be modified)\n")


def test_ippool_block_size_conflicting_with_existing_blocks(datastore_client):
    datastore_client.backend.create("/calico/ipam/v2/assignment/ipv4/block/10.1.0.0-24", b"{}")
    with pytest.raises(ValidationError) as err:
        datastore_client.create(pool("p1", "10.1.0.0/16"))
    assert str(err.value) == ("error with field IPPool.Spec.BlockSize = '26' (IPPool blocksSize conflicts with "
                              "existing allocations that use a different blockSize)")
    assert datastore_client.create(pool("p2", "10.1.0.0/16", blockSize=24)).spec.block_size == 24


def cluster_info(**spec) -> object:
    return from_dict({"kind": "ClusterInformation", "apiVersion": API, "metadata": {"name": "default"},
                      "spec": spec})


def test_cluster_information_is_read_only(datastore_client):
    for call, message in (
        (lambda: datastore_client.create(cluster_info()), "operation create or apply is not supported on "
                                                          "ClusterInformation"),
        (lambda: datastore_client.apply(cluster_info()), "operation apply is not supported on ClusterInformation: "
                                                         "resource is readonly"),
        (lambda: datastore_client.update(cluster_info()), "operation apply or replace is not supported on "
                                                          "ClusterInformation"),
        (lambda: datastore_client.delete("ClusterInformation", "default"), "operation delete is not supported on "
                                                                           "ClusterInformation"),
    ):
        with pytest.raises(OperationNotSupported) as err:
            call()
        assert str(err.value) == message


def test_ensure_initialized_creates_cluster_information_and_tiers_once(datastore_client):
    datastore_client.ensure_initialized()
    info = datastore_client.get("ClusterInformation", "default")
    assert info.spec.datastore_ready is True
    assert len(info.spec.cluster_guid) == 32 and int(info.spec.cluster_guid, 16) >= 0
    tiers = {t.metadata.name: (t.spec.order, t.spec.default_action) for t in datastore_client.list("Tier")}
    assert tiers == {"default": (1000000, "Deny"), "adminnetworkpolicy": (1000, "Pass")}
    revision = datastore_client.backend.current_revision()
    datastore_client.ensure_initialized()
    assert datastore_client.backend.current_revision() == revision
    assert datastore_client.get("ClusterInformation", "default") == info


def test_ensure_initialized_fills_a_missing_guid(datastore_client):
    datastore_client.create(cluster_info(calicoVersion="v3.29.0"), system=True)
    datastore_client.ensure_initialized()
    info = datastore_client.get("ClusterInformation", "default")
    assert (info.spec.calico_version, info.spec.datastore_ready, len(info.spec.cluster_guid)) == ("v3.29.0", True, 32)


def test_default_allow_profile_is_synthesized(datastore_client):
    synthesized = datastore_client.get("Profile", DEFAULT_ALLOW_PROFILE)
    assert synthesized.to_dict() == {
        "kind": "Profile", "apiVersion": API,
        "metadata": {"name": DEFAULT_ALLOW_PROFILE, "resourceVersion": "1", "creationTimestamp": None},
        "spec": {"ingress": [{"action": "Allow", "source": {}, "destination": {}}],
                 "egress": [{"action": "Allow", "source": {}, "destination": {}}]}}
    datastore_client.create(profile("zzz"))
    datastore_client.create(profile("aaa"))
    assert [p.metadata.name for p in datastore_client.list("Profile")] == ["aaa", "zzz", DEFAULT_ALLOW_PROFILE]


def test_apply_many_lists_each_prefix_once_and_reports_per_resource(datastore_client):
    datastore_client.create(pool("existing", "10.9.0.0/16"))
    datastore_client.create(netset("n0", "ns1", "10.0.0.0/8"))
    backend = datastore_client.backend
    calls = {"list": 0, "get": 0}
    for name in calls:
        original = getattr(backend, name)

        def counting(*args, _original=original, _name=name):
            calls[_name] += 1
            return _original(*args)

        setattr(backend, name, counting)
    batch = [pool(f"p{i}", f"10.{i}.0.0/16") for i in range(5)]
    batch += [pool("existing", "10.9.0.0/16", natOutgoing=True), pool("bad", "10.3.128.0/17")]
    batch += [netset(f"n{i}", "ns1", "10.0.0.0/8") for i in range(3)]
    batch += [cluster_info()]
    outcomes = datastore_client.apply_many(batch)
    assert [o.error is None for o in outcomes] == [True] * 6 + [False] + [True] * 3 + [False]
    assert str(outcomes[6].error).startswith("error with field IPPool.Spec.CIDR = '10.3.128.0/17' (IPPool(bad) CIDR "
                                             "overlaps with IPPool(p3) CIDR 10.3.0.0/16)")
    assert str(outcomes[10].error) == "operation apply is not supported on ClusterInformation: resource is readonly"
    assert calls == {"list": 4, "get": 0}  # ippools, networksets, IPv4 and IPv6 blocks
    assert outcomes[5].resource.spec.nat_outgoing is True
    assert datastore_client.get("IPPool", "existing").spec.nat_outgoing is True
    assert [r.metadata.name for r in datastore_client.list("NetworkSet", "ns1")] == ["n0", "n1", "n2"]
    assert outcomes[0].resource == datastore_client.get("IPPool", "p0")


def test_apply_many_same_resource_twice_in_one_batch(datastore_client):
    outcomes = datastore_client.apply_many([pool("p1", "10.1.0.0/16"), pool("p1", "10.1.0.0/16", natOutgoing=True)])
    assert [o.error for o in outcomes] == [None, None]
    assert datastore_client.get("IPPool", "p1").spec.nat_outgoing is True


def test_apply_many_falls_back_when_another_writer_races(datastore_client):
    datastore_client.create(pool("p1", "10.1.0.0/16"))
    backend = datastore_client.backend
    original = backend.list

    def list_then_race(prefix):
        result = original(prefix)
        if "ippools" in prefix:
            datastore_client.update(pool("p1", "10.1.0.0/16", disabled=True))
        return result

    backend.list = list_then_race
    outcomes = datastore_client.apply_many([pool("p1", "10.1.0.0/16", natOutgoing=True)])
    assert outcomes[0].error is None
    stored = datastore_client.get("IPPool", "p1")
    assert stored.spec.nat_outgoing is True and not stored.spec.disabled


def test_stored_value_round_trips_through_json(datastore_client):
    created = datastore_client.create(netset("n1", "ns1", "10.0.0.0/8"))
    raw = json.loads(datastore_client.backend.get("/calico/resources/v3/projectcalico.org/networksets/ns1/n1").value)
    assert "resourceVersion" not in raw["metadata"]
    assert raw["metadata"]["uid"] == created.metadata.uid


def test_apply_many_stops_trying_once_the_datastore_is_unreachable(datastore_client):
    from datastore.errors import Unavailable

    backend = datastore_client.backend
    attempts = []

    def down(*args):
        attempts.append(args)
        raise Unavailable("cannot connect to etcd at http://127.0.0.1:1: Connection refused")

    backend.create = down
    if hasattr(backend, "create_many"):  # etcd: the five creates go in one transaction
        backend.create_many = down
    outcomes = datastore_client.apply_many([netset(f"n{i}", "ns1", "10.0.0.0/8") for i in range(5)])
    assert len(attempts) == 1
    assert [str(o.error) for o in outcomes] == ["cannot connect to etcd at http://127.0.0.1:1: Connection refused"] * 5


def profile(name: str) -> object:
    return from_dict({"kind": "Profile", "apiVersion": API, "metadata": {"name": name}, "spec": {}})


def test_default_allow_profile_cannot_be_written(datastore_client):
    reason = 'The profile "projectcalico-default-allow" is a default provided by Calico and cannot be'
    for call, message in (
        (lambda: datastore_client.create(profile(DEFAULT_ALLOW_PROFILE)),
         f"operation Create is not supported on {DEFAULT_ALLOW_PROFILE}: {reason} created"),
        (lambda: datastore_client.apply(profile(DEFAULT_ALLOW_PROFILE)),
         f"operation Update is not supported on {DEFAULT_ALLOW_PROFILE}: {reason} updated"),
        (lambda: datastore_client.update(profile(DEFAULT_ALLOW_PROFILE)),
         f"operation Update is not supported on {DEFAULT_ALLOW_PROFILE}: {reason} updated"),
        (lambda: datastore_client.delete("Profile", DEFAULT_ALLOW_PROFILE),
         f"operation Delete is not supported on {DEFAULT_ALLOW_PROFILE}: {reason} deleted"),
    ):
        with pytest.raises(OperationNotSupported) as err:
            call()
        assert str(err.value) == message


def policy(kind: str, name: str, tier: str = "", namespace: str = "") -> object:
    metadata = {"name": name, **({"namespace": namespace} if namespace else {})}
    spec = {"selector": "all()", **({"tier": tier} if tier else {})}
    return from_dict({"kind": kind, "apiVersion": API, "metadata": metadata, "spec": spec})


def test_policy_needs_an_existing_tier(datastore_client):
    with pytest.raises(NotFound) as err:
        datastore_client.create(policy("NetworkPolicy", "allow", namespace="ns1"))
    assert str(err.value) == "resource does not exist: Tier(default) with error: <nil>"
    datastore_client.ensure_initialized()
    created = datastore_client.create(policy("NetworkPolicy", "allow", namespace="ns1"))
    assert (created.spec.tier or "default", created.metadata.labels["projectcalico.org/tier"]) == ("default", "default")
    with pytest.raises(NotFound) as err:
        datastore_client.create(policy("GlobalNetworkPolicy", "security.deny", tier="security"))
    assert str(err.value) == "resource does not exist: Tier(security) with error: <nil>"


def test_policy_read_back_fills_tier_from_name(datastore_client):
    raw = (b'{"kind":"GlobalNetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":{"name":"security.deny",'
           b'"creationTimestamp":null},"spec":{"selector":"all()","types":["Ingress"]}}')
    datastore_client.backend.create("/calico/resources/v3/projectcalico.org/globalnetworkpolicies/security.deny", raw)
    read = datastore_client.get("GlobalNetworkPolicy", "security.deny")
    assert (read.spec.tier, read.metadata.labels["projectcalico.org/tier"]) == ("security", "security")


def tier(name: str, order: int = 100) -> object:
    return from_dict({"kind": "Tier", "apiVersion": API, "metadata": {"name": name}, "spec": {"order": order}})


def test_tier_delete_rules(datastore_client):
    datastore_client.ensure_initialized()
    for name in ("default", "adminnetworkpolicy"):
        with pytest.raises(OperationNotSupported) as err:
            datastore_client.delete("Tier", name)
        assert str(err.value) == f"operation Delete is not supported on {name}: Cannot delete {name} tier"
    datastore_client.create(tier("security"))
    datastore_client.create(policy("GlobalNetworkPolicy", "security.deny", tier="security"))
    with pytest.raises(OperationNotSupported) as err:
        datastore_client.delete("Tier", "security")
    assert str(err.value) == "operation delete is not supported on security: Cannot delete a non-empty tier"
    datastore_client.delete("GlobalNetworkPolicy", "security.deny")
    assert datastore_client.delete("Tier", "security").metadata.name == "security"


def test_apply_many_checks_tiers_from_one_listing(datastore_client):
    datastore_client.ensure_initialized()
    outcomes = datastore_client.apply_many([
        tier("security"), policy("GlobalNetworkPolicy", "security.a", tier="security"),
        policy("GlobalNetworkPolicy", "other.b", tier="other"), policy("NetworkPolicy", "c", namespace="ns1")])
    assert [str(o.error) if o.error else None for o in outcomes] == [
        None, None, "resource does not exist: Tier(other) with error: <nil>", None]


def test_non_numeric_resource_version_is_a_validation_error(datastore_client):
    datastore_client.create(pool("p1", "10.1.0.0/16"))
    for call in (lambda: datastore_client.update(pool("p1", "10.1.0.0/16").with_metadata(resource_version="abc")),
                 lambda: datastore_client.delete("NetworkSet", "n1", "ns1", resource_version="abc")):
        with pytest.raises(ValidationError) as err:
            call()
        assert str(err.value) == "error with field ResourceVersion = 'abc'"


def test_connect_from_environment_and_context_manager(tmp_path, monkeypatch):
    from datastore.client import connect
    from datastore.config import load_config

    monkeypatch.setenv("PYCALICO_DATASTORE_PATH", str(tmp_path / "env" / "ds.db"))
    config = load_config(None, default_path=str(tmp_path / "missing.cfg"))
    with connect(config) as client:
        client.create(pool("p1", "10.1.0.0/16"))
    with connect(config) as client:
        assert [p.metadata.name for p in client.list("IPPool")] == ["p1"]
    assert (tmp_path / "env" / "ds.db").exists()


def test_name_and_namespace_are_required(datastore_client):
    with pytest.raises(ValidationError) as err:
        datastore_client.create(netset("n1", "", "10.0.0.0/8"))
    assert str(err.value) == "error with field Metadata.Namespace (namespace is not specified on namespaced resource)"
    with pytest.raises(ValidationError) as err:
        datastore_client.get("NetworkSet", "n1")
    assert str(err.value) == "error with field Metadata.Namespace (namespace is not specified on namespaced resource)"


@pytest.fixture
def etcd_client(etcd):
    """A Client on the wiped session etcd (the backend with batched creates)."""
    from datastore.client import connect
    from datastore.config import DatastoreConfig

    with connect(DatastoreConfig(datastore_type="etcdv3", etcd_endpoints=etcd.url)) as client:
        yield client


def test_apply_many_on_etcd_writes_runs_of_creates_in_batched_transactions(etcd_client):
    from datastore import client as client_module

    datastore_client = etcd_client
    backend = datastore_client.backend
    batches = []
    original = backend.create_many

    def counting(items):
        batches.append(len(items))
        return original(items)

    backend.create_many = counting
    datastore_client.create(netset("old", "ns1", "10.0.0.0/8"))
    batch = [netset(f"n{i}", "ns1", "10.0.0.0/8") for i in range(client_module.BATCH_OPS + 5)]
    batch[3] = netset("bad name!", "ns1", "10.0.0.0/8")
    batch.insert(50, netset("old", "ns1", "10.1.0.0/16"))
    outcomes = datastore_client.apply_many(batch)
    assert [i for i, o in enumerate(outcomes) if o.error is not None] == [3]
    assert batches == [49, client_module.BATCH_OPS - 49 + 4]  # flushed before the update of "old", then at the end
    assert datastore_client.get("NetworkSet", "old", "ns1").spec.nets == ("10.1.0.0/16",)
    assert outcomes[0].resource == datastore_client.get("NetworkSet", "n0", "ns1")
    assert len(datastore_client.list("NetworkSet", "ns1")) == client_module.BATCH_OPS + 5


def test_apply_many_batch_that_races_with_another_writer_is_applied_one_by_one(etcd_client):
    datastore_client = etcd_client
    backend = datastore_client.backend
    original = backend.list

    def list_then_race(prefix):
        result = original(prefix)
        if "ippools" in prefix:
            backend.list = original
            datastore_client.create(pool("p2", "10.2.0.0/16", disabled=True))
        return result

    backend.list = list_then_race
    outcomes = datastore_client.apply_many([pool("p1", "10.1.0.0/16"), pool("p2", "10.2.0.0/16", natOutgoing=True),
                                            pool("p3", "10.1.128.0/17"), pool("p4", "10.4.0.0/16")])
    assert [o.error is None for o in outcomes] == [True, True, False, True]
    assert "IPPool(p3) CIDR overlaps with IPPool(p1) CIDR 10.1.0.0/16" in str(outcomes[2].error)
    stored = datastore_client.get("IPPool", "p2")
    assert stored.spec.nat_outgoing is True and not stored.spec.disabled
    assert [p.metadata.name for p in datastore_client.list("IPPool")] == ["p1", "p2", "p4"]
