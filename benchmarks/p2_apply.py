"""P2: ``pycalicoctl apply -f`` of one file with 1,000 resources against writing the same 1,000 keys
with our Python etcd client (datastore/backend/etcd.py) directly; prints the median ratio (target <= 2x).

Both sides are fresh processes timed end to end against the same throwaway etcd, wiped before
every run; the reference writes exactly the bytes pycalicoctl stored (read back after a CLI run).

Usage: .venv/bin/python benchmarks/p2_apply.py [--rounds N] [--count N] [--kind IPPool|GlobalNetworkSet|mixed]
(``mixed``: IPPools, GlobalNetworkSets, namespaced NetworkSets, GlobalNetworkPolicies, HostEndpoints and
BGPPeers in turn.)
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import urllib.request

from p1_get_ippools import PYCALICOCTL, cli_env, etcd_server, pools_yaml, timed

REFERENCE = """
import json, sys
from datastore.backend.etcd import EtcdClient
url, path = sys.argv[1], sys.argv[2]
with open(path) as handle:
    pairs = json.load(handle)
client = EtcdClient([url])
for key, value in pairs:
    client.put(key, value)
client.close()
"""


def netsets_yaml(count: int) -> str:
    """``count`` GlobalNetworkSet documents, each with two nets and a label."""
    return "---\n".join(
        f"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata:\n  name: set-{i}\n"
        f"  labels:\n    role: bench\nspec:\n  nets:\n  - 198.18.{i // 256}.{i % 256}/32\n  - 198.19.0.0/16\n"
        for i in range(count)
    )


def mixed_yaml(count: int) -> str:
    """``count`` documents cycling through six kinds (pools, sets, policies, endpoints, peers)."""
    head = "apiVersion: projectcalico.org/v3\n"
    makers = (
        lambda i: f"{head}kind: IPPool\nmetadata:\n  name: pool-{i}\nspec:\n  cidr: 10.{i // 256}.{i % 256}.0/24\n",
        lambda i: f"{head}kind: GlobalNetworkSet\nmetadata:\n  name: set-{i}\nspec:\n  nets: [198.18.{i % 256}.0/24]\n",
        lambda i: f"{head}kind: NetworkSet\nmetadata:\n  name: ns-{i}\n  namespace: bench\nspec:\n"
                  f"  nets: [198.19.{i % 256}.0/24]\n",
        lambda i: f"{head}kind: GlobalNetworkPolicy\nmetadata:\n  name: gnp-{i}\nspec:\n  order: {i}\n"
                  f"  selector: role == 'db-{i}'\n  ingress:\n  - action: Allow\n    protocol: TCP\n"
                  f"    source:\n      selector: role == 'web'\n    destination:\n      ports: [5432]\n",
        lambda i: f"{head}kind: HostEndpoint\nmetadata:\n  name: hep-{i}\n  labels:\n    role: bench\nspec:\n"
                  f"  node: node-{i}\n  interfaceName: eth0\n  expectedIPs: [198.18.{i // 256}.{i % 256}]\n",
        lambda i: f"{head}kind: BGPPeer\nmetadata:\n  name: peer-{i}\nspec:\n  peerIP: 198.19.{i // 256}.{i % 256}\n"
                  f"  asNumber: {64512 + i % 1000}\n",
    )
    return "---\n".join(makers[i % len(makers)](i) for i in range(count))


DOCUMENTS = {"IPPool": pools_yaml, "GlobalNetworkSet": netsets_yaml, "mixed": mixed_yaml}


def wipe(url: str) -> None:
    """Delete every key in the etcd."""
    body = json.dumps({"key": "AA==", "range_end": "AA=="}).encode()
    request = urllib.request.Request(url + "/v3/kv/deleterange", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=10) as reply:
        reply.read()


def stored_pairs(url: str, prefix: str) -> list[tuple[str, str]]:
    """Every (key, value) under ``prefix`` as pycalicoctl wrote them."""
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from datastore.backend.etcd import EtcdClient

    client = EtcdClient([url])
    try:
        return [(meta.key.decode(), value.decode()) for value, meta in client.get_prefix(prefix)]
    finally:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--kind", choices=tuple(DOCUMENTS), default="IPPool")
    args = parser.parse_args()
    document = DOCUMENTS[args.kind](args.count)
    prefix = "/calico/resources/v3/projectcalico.org/"
    applied = "resource(s)" if args.kind == "mixed" else f"'{args.kind}' resource(s)"
    with tempfile.TemporaryDirectory() as tmp, etcd_server() as url:
        env = cli_env(url)
        path = os.path.join(tmp, "resources.yaml")
        with open(path, "w") as handle:
            handle.write(document)
        timed([PYCALICOCTL, "get", "ippools"], env)  # warm the bytecode cache
        ours, reference = [], []
        pairs_path = os.path.join(tmp, "pairs.json")
        for _ in range(args.rounds):
            wipe(url)
            elapsed, out = timed([PYCALICOCTL, "apply", "-f", path], env)
            assert out == f"Successfully applied {args.count} {applied}\n", out
            ours.append(elapsed)
            pairs = [pair for pair in stored_pairs(url, prefix)
                     if "/clusterinformations/" not in pair[0] and "/tiers/" not in pair[0]]
            assert len(pairs) == args.count
            with open(pairs_path, "w") as handle:
                json.dump(pairs, handle)
            wipe(url)
            elapsed, _ = timed([sys.executable, "-c", REFERENCE, url, pairs_path],
                               {**env, "PYTHONPATH": os.path.dirname(os.path.dirname(os.path.abspath(__file__)))})
            reference.append(elapsed)
    ours_s, ref_s = statistics.median(ours), statistics.median(reference)
    print(f"P2 rounds={args.rounds} count={args.count} kind={args.kind}")
    print(f"  pycalicoctl apply -f        median {ours_s * 1000:8.1f} ms  ({args.count / ours_s:7.0f} resources/s)")
    print(f"  EtcdClient.put x{args.count:<5}     median {ref_s * 1000:8.1f} ms  ({args.count / ref_s:7.0f} keys/s)")
    print(f"  median ratio {ours_s / ref_s:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
