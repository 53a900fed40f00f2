"""`pycalicoctl ipam split` on real datastores: calicoctl's messages, the lock requirement, the new pools."""
from datastore.resources import from_dict, to_dict
from tests.cli.cli_support import invoke, snapshot


def setup_pool(client, locked=True):
    client.create(from_dict({"apiVersion": "projectcalico.org/v3", "kind": "IPPool", "metadata": {"name": "big"},
                             "spec": {"cidr": "10.90.0.0/16", "natOutgoing": True, "blockSize": 26}}))
    info = to_dict(client.get("ClusterInformation", "default"))
    info["spec"]["datastoreReady"] = not locked
    client.update(from_dict(info), system=True)


def test_split_by_name_replaces_the_pool(client):
    setup_pool(client)
    run = invoke(client, ["ipam", "split", "4", "--name=big"])
    assert (run.code, run.out) == (0, "IP Pool big was successfully split into 4 smaller pools."
                                      "Created split-big-0 with CIDR 10.90.0.0/18.\n"
                                      "Created split-big-1 with CIDR 10.90.64.0/18.\n"
                                      "Created split-big-2 with CIDR 10.90.128.0/18.\n"
                                      "Created split-big-3 with CIDR 10.90.192.0/18.\n"
                                      "Please refer to the documentation for final steps.")
    pools = {p.metadata.name: p.spec for p in client.list("IPPool")}
    assert sorted(pools) == ["split-big-0", "split-big-1", "split-big-2", "split-big-3"]
    assert all(spec.nat_outgoing and not spec.disabled and spec.block_size == 26 for spec in pools.values())


def test_split_by_cidr(client):
    setup_pool(client)
    run = invoke(client, ["ipam", "split", "2", "--cidr=10.90.0.0/16"])
    assert run.code == 0 and "Created split-big-1 with CIDR 10.90.128.0/17.\n" in run.out


def test_split_errors(client):
    run = invoke(client, ["ipam", "split", "2"])
    assert (run.code, run.err) == (1, "No name or CIDR provided. Provide a name or CIDR to denote the IP pool "
                                      "to split.\n")
    setup_pool(client, locked=False)
    before = snapshot(client)
    run = invoke(client, ["ipam", "split", "2", "--name=big"])
    assert (run.code, run.err) == (1, "Datastore is not locked. Run the `calicoctl datastore migrate lock` "
                                      "command in order split the IP pools.\n")
    assert snapshot(client) == before
    info = to_dict(client.get("ClusterInformation", "default"))
    info["spec"]["datastoreReady"] = False
    client.update(from_dict(info), system=True)
    run = invoke(client, ["ipam", "split", "2", "--name=nope"])
    assert run.code == 1 and run.err.startswith("Unable to find IP pool with name nope: ")
    run = invoke(client, ["ipam", "split", "2", "--cidr=10.1.0.0/16"])
    assert (run.code, run.err) == (1, "Unable to find IP pool  covering the specified CIDR 10.1.0.0/16\n")
    run = invoke(client, ["ipam", "split", "3", "--name=big"])
    assert (run.code, run.err) == (1, "Error splitting the CIDR 10.90.0.0/16 into 3 CIDRs: Number to split CIDR "
                                      "into is not a valid power of 2: 3\n")
    assert client.get("IPPool", "big").spec.disabled, "calicoctl disables the pool before validating the number"
    run = invoke(client, ["ipam", "split", "x", "--name=big"])
    assert (run.code, run.err) == (1, 'Error reading number to split IP pools into. x is not a valid number: '
                                      'strconv.Atoi: parsing "x": invalid syntax\n')
    run = invoke(client, ["ipam", "split", "131072", "--name=big"])
    assert run.err == ("Error splitting the CIDR 10.90.0.0/16 into 131072 CIDRs: The CIDR 10.90.0.0/16 is not "
                       "large enough to be split into 131072 parts\n")
