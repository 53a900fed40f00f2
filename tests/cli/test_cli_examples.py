"""The sample resources in examples/ (used by the README's first command) apply cleanly, twice."""
from __future__ import annotations

import os
import subprocess
import sys

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")
QUICKSTART = os.path.join(EXAMPLES, "quickstart.yaml")


def test_quickstart_applies_idempotently(calicoctl):
    first = calicoctl("apply", "-f", QUICKSTART)
    assert (first.code, first.out, first.err) == (0, "Successfully applied 9 resource(s)\n", "")
    assert calicoctl("apply", "-f", QUICKSTART).out == "Successfully applied 9 resource(s)\n"
    pools = calicoctl("get", "ippools", "-o", "wide").out.splitlines()
    assert pools[0].split() == ["NAME", "CIDR", "NAT", "IPIPMODE", "VXLANMODE", "DISABLED", "DISABLEBGPEXPORT",
                                "SELECTOR"]
    assert [line.split()[:5] for line in pools[1:4]] == [
        ["default-ipv4-ippool", "192.168.0.0/16", "true", "Always", "Never"],
        ["default-ipv6-ippool", "fd5f:abcd:64::/48", "false", "Never", "Never"],
        ["vxlan-pool", "10.244.0.0/16", "true", "Never", "CrossSubnet"],
    ]
    assert calicoctl("get", "bgppeers").out == (
        "NAME               PEERIP       NODE       ASN     \n"
        "rack1-tor          198.18.0.1   (global)   64513   \n"
        "route-reflectors                all()      0       \n\n"
    )
    assert calicoctl("get", "networkpolicy", "-n", "default").out == (
        "NAMESPACE   NAME                        TIER      \ndefault     allow-frontend-to-backend   default   \n\n"
    )


def test_readme_first_command_on_the_embedded_store(tmp_path):
    env = {**os.environ, "PYCALICO_DATASTORE_PATH": str(tmp_path / "datastore.db")}
    for variable in ("DATASTORE_TYPE", "CALICO_DATASTORE_TYPE", "ETCD_ENDPOINTS", "CALICO_ETCD_ENDPOINTS"):
        env.pop(variable, None)
    run = [sys.executable, "-m", "pycalicoctl"]
    applied = subprocess.run([*run, "apply", "-f", QUICKSTART], env=env, capture_output=True, text=True, timeout=60)
    assert (applied.returncode, applied.stdout) == (0, "Successfully applied 9 resource(s)\n")
    listed = subprocess.run([*run, "get", "ippools", "-o", "wide"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert listed.returncode == 0 and listed.stdout.count("\n") == 5
