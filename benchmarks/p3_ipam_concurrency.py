"""P3: 4 concurrent allocator processes assigning 4,096 addresses on real etcd, against the raw
compare-and-swap transaction rate of the same Python etcd client on the same server in the same run.

Allocators: N processes (default 4), each a different node, each auto-assigning one address per
request (as a CNI ADD does; ``--per-request K`` asks for K per request) for its own handles, through datastore.ipam.allocator.IPAM on
datastore.backend.etcd. Reference: N processes, each doing the same number of raw compare-and-swap
txns (compare mod_revision, put: nothing else) on its own key with the same etcd client, run once
just before and once just after the allocation phase; the reference rate is both runs' operations over
both runs' time, so a change in the shared machine's load during a round weighs on both sides alike.
Reports duplicates (must be 0), `ipam check`-style consistency, both rates and their ratio (target >= 50%).
A second reference repeats the CAS loop with values as large as the stored blocks (an allocation
writes one small handle and one block of a few KB; etcd's cost per txn grows with the value). A third
replays prepared allocation txns (block + handle, the same bytes) without the IPAM logic: the ceiling
the txn shape itself leaves.

Usage: .venv/bin/python benchmarks/p3_ipam_concurrency.py [--procs N] [--total N] [--rounds N (10)] [--per-request K]
"""
from __future__ import annotations

import argparse
import ipaddress
import multiprocessing
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from p1_get_ippools import etcd_server  # noqa: E402
from p2_apply import wipe  # noqa: E402

from datastore.backend.base import WriteOp  # noqa: E402
from datastore.backend.etcd import EtcdBackend, EtcdClient  # noqa: E402
from datastore.errors import Conflict  # noqa: E402
from datastore.ipam.allocator import IPAM, AssignRequest, PoolInfo  # noqa: E402
from datastore.ipam.block import AllocationBlock  # noqa: E402
from datastore.ipam.check import CheckInput, HandleRecord, analyse  # noqa: E402
from datastore.ipam.records import AllocationHandle  # noqa: E402
from datastore.keys import HANDLE_PREFIX, BlockKey, HandleKey  # noqa: E402

POOL = PoolInfo("bench", ipaddress.ip_network("10.128.0.0/16"), 26)


def allocator(url: str, index: int, count: int, start, queue, per_request: int = 1) -> None:
    """Assign ``count`` addresses for node ``bench-<index>``, ``per_request`` at a time; report (addresses, seconds)."""
    backend = EtcdBackend(EtcdClient([url]))
    ipam = IPAM(backend, lambda: [POOL])
    host = f"bench-{index}"
    start.wait()
    began = time.perf_counter()
    got = []
    for n in range(0, count, per_request):
        request = AssignRequest(count=min(per_request, count - n), handle_id=f"bench.{index}-{n}", hostname=host,
                                attrs={"node": host})
        got += [str(a.ip) for a in ipam.auto_assign(request, 4)]
    queue.put((got, time.perf_counter() - began))
    backend.close()


def cas_loop(url: str, index: int, count: int, start, queue, value_size: int = 0) -> None:
    """``count`` raw compare-and-swap txns on one key (compare mod_revision, put; nothing else in the
    txn), values the loop counter or ``value_size`` bytes; report ([], seconds). Sent through
    ``EtcdBackend.commit``, the client's leanest path for a CAS (the request it builds is that txn
    exactly; ``EtcdClient.transaction`` sends the same txn but spends more client CPU building it)."""
    backend = EtcdBackend(EtcdClient([url]))
    key = f"/bench/cas/{index}"
    revision = backend.put(key, b"0").mod_revision
    start.wait()
    began = time.perf_counter()
    for n in range(count):
        value = str(n).encode()
        try:
            [written] = backend.commit([WriteOp.update(key, value.rjust(value_size, b"x") if value_size else value,
                                                       revision)])
        except Conflict:
            raise RuntimeError(f"CAS on {key} lost at revision {revision}") from None
        revision = written.mod_revision
    queue.put(([], time.perf_counter() - began))
    backend.close()


def shape_replay(url: str, index: int, count: int, start, queue, _unused: int = 0) -> None:
    """The allocation transactions without the IPAM logic: the block values an allocator would write
    (``count`` one-address allocations filling /26 blocks in turn) and one new handle each, prepared
    before the start and then committed exactly as an allocation does (block at its revision + handle
    create, one txn); report ([], seconds). Shows what the txn shape alone costs next to a raw CAS."""
    backend = EtcdBackend(EtcdClient([url]))
    host, writes, blocks = f"bench-{index}", [], {}
    for n in range(count):
        if n % 64 == 0:
            cidr = POOL.block_at(index * (count // 64 + 1) + n // 64)
            block = AllocationBlock.new(cidr, f"host:{host}", time.time_ns())
            key = BlockKey(cidr).path
            blocks[key] = block.to_bytes()
        block = block.assign(1, f"bench.{index}-{n}", {"node": host}).block.for_write()
        handle = AllocationHandle(f"bench.{index}-{n}").increment(str(cidr), 1)
        writes.append((key, block.to_bytes(), HandleKey(handle.handle_id).path, handle.to_bytes()))
    revisions = {key: backend.create(key, value).mod_revision for key, value in blocks.items()}
    start.wait()
    began = time.perf_counter()
    for key, value, handle_key, handle_value in writes:
        revisions[key] = backend.commit([WriteOp.update(key, value, revisions[key]),
                                         WriteOp.create(handle_key, handle_value)])[0].mod_revision
    queue.put(([], time.perf_counter() - began))
    backend.close()


def run_parallel(target, url: str, procs: int, per_proc: int, extra: int = 1) -> tuple[list[str], float]:
    """Run ``procs`` workers released together (``extra``: the worker's last argument); wall time from
    release to the slowest worker's end."""
    ctx = multiprocessing.get_context("fork")
    start, queue = ctx.Event(), ctx.Queue()
    workers = [ctx.Process(target=target, args=(url, i, per_proc, start, queue, extra)) for i in range(procs)]
    for worker in workers:
        worker.start()
    time.sleep(0.3)
    start.set()
    results = [queue.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join(30)
        if worker.exitcode != 0:
            raise RuntimeError(f"worker failed with exit code {worker.exitcode}")
    return [a for got, _ in results for a in got], max(elapsed for _, elapsed in results)


def consistency(url: str) -> tuple[int, int, int]:
    """(problems found by the ipam-check analysis, allocations recorded in blocks, mean block value size)."""
    backend = EtcdBackend(EtcdClient([url]))
    ipam = IPAM(backend, lambda: [POOL])
    blocks = tuple(block for _, block in ipam.blocks())
    owners = tuple((block.host, address) for block in blocks for address, _ in block.allocated())
    kvs, _ = backend.list(HANDLE_PREFIX)
    handles = tuple(HandleRecord(kv.key[len(HANDLE_PREFIX):], kv.mod_revision) for kv in kvs)
    result = analyse(CheckInput(blocks, (POOL.cidr,), owners, (), handles))
    sizes = [len(kv.value) for kv, _ in ipam.blocks()]
    backend.close()
    return (result.problems + len(result.missing_handles) + len(result.multiple_owners), result.allocation_count,
            sum(sizes) // max(len(sizes), 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procs", type=int, default=4)
    parser.add_argument("--total", type=int, default=4096)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--per-request", type=int, default=1, help="addresses per auto-assign request")
    args = parser.parse_args()
    per_proc = args.total // args.procs
    total = per_proc * args.procs
    ratios, alloc_rates, cas_rates, sized_ratios, shape_ratios = [], [], [], [], []
    with etcd_server() as url:
        for round_no in range(args.rounds):
            wipe(url)
            _, cas_before = run_parallel(cas_loop, url, args.procs, per_proc, 0)
            wipe(url)
            addresses, alloc_seconds = run_parallel(allocator, url, args.procs, per_proc, args.per_request)
            duplicates = len(addresses) - len(set(addresses))
            problems, recorded, block_size = consistency(url)
            wipe(url)
            _, cas_after = run_parallel(cas_loop, url, args.procs, per_proc, 0)
            wipe(url)
            _, sized_seconds = run_parallel(cas_loop, url, args.procs, per_proc, block_size)
            wipe(url)
            _, shape_seconds = run_parallel(shape_replay, url, args.procs, per_proc)
            alloc_rate, cas_rate = total / alloc_seconds, 2 * total / (cas_before + cas_after)
            sized_ratios.append(alloc_rate * sized_seconds / total)
            shape_ratios.append(total / shape_seconds / cas_rate)
            alloc_rates.append(alloc_rate)
            cas_rates.append(cas_rate)
            ratios.append(alloc_rate / cas_rate)
            print(f"round {round_no + 1}: {len(addresses)} addresses, {duplicates} duplicates, "
                  f"{recorded} recorded in blocks, {problems} check problems; "
                  f"alloc {alloc_rate:7.0f}/s  CAS {cas_rate:7.0f}/s (before {total / cas_before:.0f}, after "
                  f"{total / cas_after:.0f})  ratio {alloc_rate / cas_rate:.0%}  "
                  f"(CAS of {block_size}-byte values {total / sized_seconds:7.0f}/s, ratio {sized_ratios[-1]:.0%}; "
                  f"allocation txns replayed without IPAM {total / shape_seconds:7.0f}/s, {shape_ratios[-1]:.0%} of CAS)")
            if duplicates or problems or len(addresses) != total or recorded != total:
                raise SystemExit("FAILED: duplicate, missing or inconsistent allocations")
    print(f"P3 procs={args.procs} total={total} rounds={args.rounds} addresses/request={args.per_request}")
    print(f"  allocations/s median {statistics.median(alloc_rates):7.0f}")
    print(f"  CAS txns/s    median {statistics.median(cas_rates):7.0f}")
    print(f"  median ratio {statistics.median(ratios):.0%} (target >= 50%), duplicates 0; "
          f"rounds at or above 50%: {sum(r >= 0.5 for r in ratios)} of {len(ratios)}, "
          f"per-round ratios {' '.join(f'{r:.0%}' for r in ratios)}")
    print(f"  median ratio against CAS of block-sized values {statistics.median(sized_ratios):.0%}")
    print(f"  allocation txns replayed without the IPAM logic: median {statistics.median(shape_ratios):.0%} of CAS "
          "(the txn shape's own ceiling)")


if __name__ == "__main__":
    main()
