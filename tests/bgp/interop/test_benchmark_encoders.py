"""The benchmarks' wire encoders (the replay sender's UPDATEs, the MRT file for gobgpd) and P4's timing."""
import ipaddress
import struct

from benchmarks.p4_bgp_ingest import Observation, bracket, mrt_table_dump, update_stream
from node.bgp.message import decode, split_messages
from node.bgp.negotiate import Negotiated


def test_replay_updates_decode_with_our_codec_and_cover_every_prefix():
    data = update_stream(2500, "198.18.0.2", (65100, 65099))
    messages, used = split_messages(data)
    assert used == len(data)
    assert [len(body) + 19 <= 4096 for _, body in messages] == [True] * 3
    neg = Negotiated(local_asn=65200, peer_asn=65100)
    seen = []
    for msg_type, body in messages:
        update = decode(b"\xff" * 16 + struct.pack("!HB", 19 + len(body), int(msg_type)) + body, neg)
        assert update.attributes.as_path.segments == ((2, (65100, 65099)),)
        assert update.attributes.next_hop == ipaddress.ip_address("198.18.0.2")
        seen.extend(update.nlri)
    first = int(ipaddress.ip_address("16.0.0.0"))
    assert seen == [(first + (i << 8), 24) for i in range(2500)]


def test_mrt_table_dump_layout():
    data = mrt_table_dump(3, "198.18.0.2", 65099)
    records = []
    i = 0
    while i < len(data):
        _, mrt_type, subtype, length = struct.unpack("!IHHI", data[i:i + 12])
        records.append((mrt_type, subtype, data[i + 12:i + 12 + length]))
        i += 12 + length
    assert [(t, s) for t, s, _ in records] == [(13, 1), (13, 2), (13, 2), (13, 2)]
    peer_table = records[0][2]
    assert peer_table[4:8] == b"\x00\x00\x00\x01"  # empty view name, one peer
    assert peer_table[8] == 0x02 and struct.unpack("!I", peer_table[17:21]) == (65099,)
    for seq, (_, _, rib) in enumerate(records[1:]):
        assert struct.unpack("!IB", rib[:5]) == (seq, 24)
        assert rib[5:8] == bytes([16, 0, seq])
        assert struct.unpack("!H", rib[8:10]) == (1,)


def test_p4_event_time_is_the_middle_of_the_poll_bracket():
    polls = [Observation(10.0, 10.1, False, 0), Observation(10.2, 10.3, True, 500),
             Observation(10.4, 10.9, True, 1000), Observation(11.0, 11.1, True, 1000)]
    # Established: after the first poll started, before the second one returned.
    estimate, half_width = bracket(polls, lambda o: o.established)
    assert (round(estimate, 6), round(half_width, 6)) == (10.15, 0.15)
    # All 1000 in the Loc-RIB: after the second poll started, before the (slow) third returned.
    estimate, half_width = bracket(polls, lambda o: o.held >= 1000)
    assert (round(estimate, 6), round(half_width, 6)) == (10.55, 0.35)
    # Seen by the very first poll: only its own duration bounds it.
    estimate, half_width = bracket(polls, lambda o: o.before >= 10.0)
    assert (round(estimate, 6), round(half_width, 6)) == (10.05, 0.05)
    # Nothing happens before the session's known start.
    estimate, half_width = bracket(polls, lambda o: o.held >= 1000, not_before=10.3)
    assert (round(estimate, 6), round(half_width, 6)) == (10.6, 0.3)
