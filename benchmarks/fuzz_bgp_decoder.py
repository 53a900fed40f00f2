"""Fuzz the BGP decoder: mutations of valid messages plus random bytes, counting anything that is
not one of our typed NOTIFICATION errors as a crash.

    .venv/bin/python benchmarks/fuzz_bgp_decoder.py --inputs 1000000 --seed 1

Each input goes through what a session does with bytes from the wire: ``split_messages`` (header
checks) then ``decode_body`` under one of several negotiated contexts (iBGP/eBGP, 2-/4-octet AS).
Prints one JSON line with counts, rate and the first crashes (input hex + traceback); the exit
status is 1 if anything crashed.
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import random
import sys
import time
import traceback

from node.bgp import capabilities as caps
from node.bgp import message as m
from node.bgp.attributes import Aggregator, AsPath, PathAttributes, UnknownAttribute
from node.bgp.constants import AFI, IPV4_UNICAST, IPV6_UNICAST, MARKER, SAFI, CeaseSubcode, MessageType
from node.bgp.errors import NotificationError
from node.bgp.negotiate import Negotiated

FAMS = frozenset({IPV4_UNICAST, IPV6_UNICAST})
CONTEXTS = (
    Negotiated(local_asn=65000, peer_asn=65000, families=FAMS),
    Negotiated(local_asn=65000, peer_asn=65001, families=FAMS),
    Negotiated(local_asn=65000, peer_asn=65000, families=FAMS, four_octet_as=False),
    Negotiated(local_asn=65000, peer_asn=65001, four_octet_as=False),
)


def seeds() -> list[bytes]:
    """Valid messages of every type and shape the mutator starts from."""
    v4, v6 = ipaddress.IPv4Address, ipaddress.IPv6Address
    neg = CONTEXTS[0]
    attrs = PathAttributes(
        origin=1, as_path=AsPath.sequence(65001, 4200000001), next_hop=v4("198.18.0.2"), med=10,
        local_pref=200, atomic_aggregate=True, aggregator=Aggregator(4200000001, v4("10.0.0.9")),
        communities=(0xFFFFFF01, 0x00010002), originator_id=v4("1.1.1.1"), cluster_list=(v4("2.2.2.2"),),
        unknown=(UnknownAttribute(99, 0xE0, b"abcdef"),))
    prefixes = [((10 << 24) + (i << 8), 24) for i in range(20)]
    out = [
        m.Keepalive().encode(),
        m.Notification.cease(CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, "bye").encode(),
        m.RouteRefresh(AFI.IPV4, SAFI.UNICAST).encode(),
        m.Open.build(4200000001, 90, "10.0.0.1", (
            caps.Multiprotocol(1, 1), caps.Multiprotocol(2, 1), caps.RouteRefresh(), caps.FourOctetAs(4200000001),
            caps.GracefulRestart(120, True, False, (caps.GracefulRestartFamily(1, 1, True),)),
            caps.UnknownCapability(73, b"host"))).encode(),
        m.Update(withdrawn=tuple(prefixes[:5]), attributes=attrs, nlri=tuple(prefixes)).encode(neg),
        m.Update(withdrawn=tuple(prefixes[:5]), attributes=attrs, nlri=tuple(prefixes)).encode(CONTEXTS[2]),
        m.pack_updates(IPV6_UNICAST, [(0x20010DB8 << 96 | i << 64, 64) for i in range(10)],
                       attrs.replace(next_hop=v6("2001:db8::1"), next_hop_link_local=v6("fe80::1")), neg)[0],
        m.pack_withdrawals(IPV6_UNICAST, [(0x20010DB8 << 96 | i << 64, 64) for i in range(10)], neg)[0],
        m.end_of_rib(IPV4_UNICAST, neg),
        m.end_of_rib(IPV6_UNICAST, neg),
    ]
    return out


def mutate(rng: random.Random, data: bytes) -> bytes:
    """Byte flips, bit flips, insertions, deletions, truncation, length-field edits, splices."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if len(buf) <= 19:
            buf += rng.randbytes(rng.randint(1, 8))
            continue
        op = rng.randrange(8)
        pos = rng.randrange(19, len(buf))
        if op == 0:
            buf[pos] = rng.randrange(256)
        elif op == 1:
            buf[pos] ^= 1 << rng.randrange(8)
        elif op == 2:
            buf[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 3:
            del buf[pos:pos + rng.randint(1, 8)]
        elif op == 4:
            del buf[rng.randint(19, max(19, len(buf))):]
        elif op == 5:
            buf[pos] = rng.choice((0, 1, 2, 3, 4, 5, 0x7F, 0x80, 0xFF))
        elif op == 6 and len(buf) > pos + 1:
            buf[pos:pos + 2] = rng.randrange(65536).to_bytes(2, "big")
        else:
            buf[pos:pos] = buf[rng.randrange(19, len(buf)):][:rng.randint(1, 16)]
    if rng.random() < 0.8 and len(buf) >= 19:
        buf[16:18] = min(len(buf), 0xFFFF).to_bytes(2, "big")
    return bytes(buf)


def random_input(rng: random.Random) -> bytes:
    """A random body behind a valid header (or, sometimes, entirely random bytes)."""
    if rng.random() < 0.1:
        return rng.randbytes(rng.randint(0, 64))
    body = rng.randbytes(rng.randint(0, 200))
    msg_type = rng.choice(list(MessageType))
    return MARKER + (19 + len(body)).to_bytes(2, "big") + bytes((msg_type,)) + body


def run(inputs: int, seed: int, max_report: int = 5) -> dict:
    """Fuzz ``inputs`` inputs; return counts and the first crashes."""
    rng = random.Random(seed)
    pool = seeds()
    stats = {"inputs": 0, "decoded": 0, "notification_errors": 0, "crashes": 0}
    crashes: list[dict] = []
    start = time.perf_counter()
    split, decode_body = m.split_messages, m.decode_body
    for i in range(inputs):
        data = mutate(rng, rng.choice(pool)) if rng.random() < 0.85 else random_input(rng)
        neg = CONTEXTS[i & 3]
        try:
            msgs, _ = split(data)
            for msg_type, body in msgs:
                decode_body(msg_type, body, neg)
            stats["decoded"] += 1
        except NotificationError:
            stats["notification_errors"] += 1
        except Exception:  # noqa: BLE001 - counting every other exception is the point of a fuzzer
            stats["crashes"] += 1
            if len(crashes) < max_report:
                crashes.append({"input": data.hex(), "traceback": traceback.format_exc()})
        stats["inputs"] += 1
    elapsed = time.perf_counter() - start
    stats.update(seconds=round(elapsed, 2), inputs_per_second=round(inputs / elapsed), seed=seed,
                 first_crashes=crashes)
    return stats


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    stats = run(args.inputs, args.seed)
    print(json.dumps(stats))
    return 1 if stats["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
