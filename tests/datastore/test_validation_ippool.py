"""IPPool: client-side checks (clientv3 validateAndSetDefaults) and struct validation, exact messages."""
import pytest

from datastore.errors import ValidationError
from datastore.resources import IPPool, from_dict
from datastore.validation import check_block_size_conflicts, check_ippool, field_errors, validate

TOO_SMALL = "IP pool size is too small for use with Calico IPAM. It must be equal to or greater than the block size."


def pool(name="p", **spec):
    return {"apiVersion": "projectcalico.org/v3", "kind": "IPPool", "metadata": {"name": name}, "spec": spec}


def check_errors(doc, old=None, others=()):
    with pytest.raises(ValidationError) as err:
        check_ippool(doc, old, others)
    return [str(e) for e in err.value.errors]


@pytest.mark.parametrize("spec,expected", [
    ({}, ["error with field IPPool.Spec.CIDR (IPPool CIDR must be specified)"]),
    ({"cidr": "10.0.1.0/33"}, ["error with field IPPool.Spec.CIDR = '10.0.1.0/33' (IPPool CIDR must be a valid subnet)"]),
    ({"cidr": "10.0.256.0/24"}, ["error with field IPPool.Spec.CIDR = '10.0.256.0/24' (IPPool CIDR must be a valid subnet)"]),
    ({"cidr": "fd5f::2::1/32"}, ["error with field IPPool.Spec.CIDR = 'fd5f::2::1/32' (IPPool CIDR must be a valid subnet)"]),
    ({"cidr": "10.0.0.1"}, ["error with field IPPool.Spec.CIDR = '10.0.0.1' (IPPool CIDR must be a valid subnet)"]),
    ({"cidr": "10.0.250.0/32"}, [f"error with field IPPool.Spec.CIDR = '10.0.250.0/32' ({TOO_SMALL})"]),
    ({"cidr": "192.168.0.0/27"}, [f"error with field IPPool.Spec.CIDR = '192.168.0.0/27' ({TOO_SMALL})"]),
    ({"cidr": "::/128"}, [f"error with field IPPool.Spec.CIDR = '::/128' ({TOO_SMALL})"]),
    ({"cidr": "fd5f::1/123"}, [
        f"error with field IPPool.Spec.CIDR = 'fd5f::/123' ({TOO_SMALL})",
        "error with field IPPool.Spec.CIDR = 'fd5f::/123' (IPPool CIDR is not strictly masked)",
    ]),
    ({"cidr": "10.0.0.0/16", "blockSize": 19}, [
        "error with field IPPool.Spec.BlockSize = '19' (IPv4 block size must be between 20 and 32)"]),
    ({"cidr": "10.0.0.0/16", "blockSize": 33}, [
        "error with field IPPool.Spec.BlockSize = '33' (IPv4 block size must be between 20 and 32)"]),
    ({"cidr": "fd00::/64", "blockSize": 115}, [
        "error with field IPPool.Spec.BlockSize = '115' (IPv6 block size must be between 116 and 128)"]),
    ({"cidr": "10.0.0.0/16", "ipipMode": "Always", "vxlanMode": "CrossSubnet"}, [
        "error with field IPPool.Spec.VXLANMode = 'CrossSubnet' (Cannot enable both VXLAN and IPIP on the same IPPool)"]),
    ({"cidr": "fd00::/64", "ipipMode": "CrossSubnet"}, [
        "error with field IPPool.Spec.IPIPMode = 'CrossSubnet' (IPIP is not supported on an IPv6 IP pool)"]),
    ({"cidr": "10.1.2.3/16"}, ["error with field IPPool.Spec.CIDR = '10.1.0.0/16' (IPPool CIDR is not strictly masked)"]),
    ({"cidr": "169.254.0.0/24"}, [
        "error with field IPPool.Spec.CIDR = '169.254.0.0/24' (IPPool CIDR overlaps with IPv4 Link Local range 169.254.0.0/16)"]),
    ({"cidr": "0.0.0.0/1"}, []),
    ({"cidr": "0.0.0.0/0"}, [
        "error with field IPPool.Spec.CIDR = '0.0.0.0/0' (IPPool CIDR overlaps with IPv4 Link Local range 169.254.0.0/16)"]),
    ({"cidr": "fe80::/64"}, [
        "error with field IPPool.Spec.CIDR = 'fe80::/64' (IPPool CIDR overlaps with IPv6 Link Local range fe80::/10)"]),
    ({"cidr": "fd5f::1/123", "blockSize": 130, "ipipMode": "Always", "vxlanMode": "Always"}, [
        "error with field IPPool.Spec.BlockSize = '130' (IPv6 block size must be between 116 and 128)",
        "error with field IPPool.Spec.VXLANMode = 'Always' (Cannot enable both VXLAN and IPIP on the same IPPool)",
        "error with field IPPool.Spec.IPIPMode = 'Always' (IPIP is not supported on an IPv6 IP pool)",
        "error with field IPPool.Spec.CIDR = 'fd5f::/123' (IPPool CIDR is not strictly masked)",
    ]),
])
def test_client_side_checks(spec, expected):
    if not expected:
        check_ippool(pool(**spec))
        return
    assert check_errors(pool(**spec)) == expected


def test_disabled_pool_skips_size_check():
    out = check_ippool(pool(cidr="10.0.250.0/32", disabled=True, blockSize=26))
    assert out["spec"]["cidr"] == "10.0.250.0/32"


def test_defaults_and_normalisation():
    out = check_ippool(pool(cidr="fd00:0::/64"))
    assert out["spec"] == {
        "cidr": "fd00::/64", "nodeSelector": "all()", "blockSize": 122,
        "allowedUses": ["Workload", "Tunnel"], "ipipMode": "Never", "vxlanMode": "Never",
    }
    assert check_ippool(pool(cidr="10.0.0.0/16"))["spec"]["blockSize"] == 26


def test_message_text_several_fields():
    with pytest.raises(ValidationError) as err:
        check_ippool(pool(cidr="fd5f::1/123"))
    assert str(err.value) == (
        "error with the following fields:\n"
        f"-  IPPool.Spec.CIDR = 'fd5f::/123' ({TOO_SMALL})\n"
        "-  IPPool.Spec.CIDR = 'fd5f::/123' (IPPool CIDR is not strictly masked)\n"
    )


def test_overlap_on_create_only():
    others = [pool("a", cidr="10.0.0.0/16"), pool("b", cidr="10.1.0.0/16"), pool("new", cidr="10.0.0.0/8")]
    assert check_errors(pool("new", cidr="10.0.0.0/8"), None, others) == [
        "error with field IPPool.Spec.CIDR = '10.0.0.0/8' (IPPool(new) CIDR overlaps with IPPool(a) CIDR 10.0.0.0/16)",
        "error with field IPPool.Spec.CIDR = '10.0.0.0/8' (IPPool(new) CIDR overlaps with IPPool(b) CIDR 10.1.0.0/16)",
    ]
    check_ippool(pool("new", cidr="10.2.0.0/16"), None, others)
    stored = check_ippool(pool("new", cidr="10.0.0.0/8"))
    check_ippool(pool("new", cidr="10.0.0.0/8", natOutgoing=True), stored, others)


def test_update_cannot_change_cidr_or_block_size():
    stored = check_ippool(pool(cidr="10.0.0.0/16"))
    assert check_errors(pool(cidr="10.1.0.0/16", blockSize=24), stored) == [
        "error with field IPPool.Spec.CIDR = '10.1.0.0/16' (IPPool CIDR cannot be modified)",
        "error with field IPPool.Spec.BlockSize = '24' (IPPool BlockSize cannot be modified)",
    ]
    check_ippool(pool(cidr="10.0.0.0/16", blockSize=26), stored)


def test_block_size_conflicts():
    spec_pool = check_ippool(pool(cidr="10.0.0.0/16", blockSize=28))
    check_block_size_conflicts(spec_pool, ["10.0.0.0/28", "10.1.0.0/26"])
    with pytest.raises(ValidationError) as err:
        check_block_size_conflicts(spec_pool, ["10.1.0.0/26", "10.0.1.0/26"])
    assert str(err.value) == (
        "error with field IPPool.Spec.BlockSize = '28' "
        "(IPPool blocksSize conflicts with existing allocations that use a different blockSize)"
    )


def test_check_ippool_on_resources_returns_resource():
    resource = from_dict(pool(cidr="10.0.0.0/16"))
    out = check_ippool(resource)
    assert isinstance(out, IPPool)
    validate(out)


@pytest.mark.parametrize("spec,expected", [
    ({"cidr": "10.0.0.0/16", "ipipMode": "always"}, [
        "error with field IPIPMode = 'always' (Reason: failed to validate Field: IPIPMode because of Tag: ipIpMode )"]),
    ({"cidr": "10.0.0.0/16", "vxlanMode": "sometimes"}, [
        "error with field VXLANMode = 'sometimes' (Reason: failed to validate Field: VXLANMode because of Tag: vxlanMode )"]),
    ({"cidr": "10.0.0.0/16", "nodeSelector": "a ="}, [
        "error with field NodeSelector = 'a =' (Reason: failed to validate Field: NodeSelector because of Tag: selector )"]),
    ({"cidr": "10.0.0.0/16", "allowedUses": ["Workload", "Bogus"]}, [
        "error with field IPpool.AllowedUses = '[Workload Bogus]' (unknown use: Bogus)"]),
    ({"cidr": "10.0.0.0/16", "ipip": {"enabled": True, "mode": "always"}}, [
        "error with field Mode = 'always' (Reason: failed to validate Field: Mode because of Tag: ipIpMode )"]),
    ({"cidr": "10.0.0.0/16", "ipip": {"enabled": True}}, [
        "error with field Mode = '' (Reason: failed to validate Field: Mode because of Tag: ipIpMode )"]),
    ({"cidr": "10.0.0.0/16", "nat-outgoing": True}, [
        "error with field NATOutgoingV1 = 'true' (Reason: failed to validate Field: NATOutgoingV1 because of Tag: mustBeFalse )"]),
    ({"cidr": "10.0.0.1/16"}, [
        "error with field CIDR = '10.0.0.1/16' (Reason: failed to validate Field: CIDR because of Tag: net )",
        "error with field IPpool.CIDR = '10.0.0.0/16' (IP pool CIDR is not strictly masked)",
    ]),
    ({"cidr": ""}, [
        "error with field CIDR = '' (Reason: failed to validate Field: CIDR because of Tag: net )",
        "error with field IPpool.CIDR = '' (IPPool CIDR must be specified)",
        "error with field IPpool.CIDR = '' (IPPool CIDR must be a valid subnet)",
    ]),
    ({"cidr": "fd00::/124", "ipipMode": "Always", "blockSize": 122}, [
        "error with field IPpool.IPIPMode = 'Always' (IPIPMode other than 'Never' is not supported on an IPv6 IP pool)",
        f"error with field IPpool.CIDR = 'fd00::/124' ({TOO_SMALL})",
    ]),
    ({"cidr": "10.0.0.0/16", "ipipMode": "CrossSubnet", "vxlanMode": "Always"}, [
        "error with field IPpool.IPIPMode = 'CrossSubnet' (IPIPMode and VXLANMode cannot both be enabled on the same IP pool)"]),
    ({"cidr": "169.254.0.0/16", "ipipMode": "Never"}, [
        "error with field IPpool.CIDR = '169.254.0.0/16' (IP pool range overlaps with IPv4 Link Local range 169.254.0.0/16)"]),
    ({"cidr": "10.0.0.0/16", "ipipMode": "CrossSubnet", "natOutgoing": True, "disabled": True,
      "nodeSelector": "has(x)", "allowedUses": ["Tunnel"], "blockSize": 29}, []),
])
def test_struct_validation(spec, expected):
    assert [str(e) for e in field_errors(pool(**spec))] == expected
