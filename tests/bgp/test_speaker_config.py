"""Speaker configuration values and the YAML/JSON loader."""
import ipaddress
import json

import pytest

from node.bgp.config import (
    ConfigError, OriginatedRoute, PeerConfig, PeerKind, SpeakerConfig, config_from_dict, load_config, parse_asn,
    protocol_name,
)
from node.bgp.constants import AFI, SAFI, OriginCode

FULL = {
    "router_id": "198.18.0.1", "asn": "1.10", "listen_address": "198.18.0.1", "listen_port": 1179,
    "cluster_id": "1.2.3.4", "graceful_restart_time": 90, "stale_path_time": 30, "control_socket": "/tmp/x.ctl",
    "peers": [
        {"address": "198.18.0.2", "asn": 64512, "kind": "node-to-node mesh", "passive": True,
         "password": "pw", "rr_client": True, "hold_time": 30, "keepalive_time": 5, "ttl_security": True,
         "source_address": "198.18.0.1", "connect_retry_time": 2, "port": 1180,
         "error_wait_time": 3, "next_hop_self": True},
        {"address": "fd00::2", "asn": 4200000000, "families": ["ipv6", "ipv4"]},
    ],
    "prefixes": ["10.0.0.0/24", {"prefix": "fd10::/64", "next_hop": "fd00::1", "origin": "incomplete", "med": 5,
                                 "local_pref": 200, "communities": ["64512:100", 7]}],
}


def test_full_file_round_trip(tmp_path):
    path = tmp_path / "speaker.json"
    path.write_text(json.dumps(FULL))
    cfg = load_config(path)
    sp = cfg.speaker
    assert cfg.control_socket == "/tmp/x.ctl"
    assert sp.router_id == ipaddress.IPv4Address("198.18.0.1") and sp.asn == 65546
    assert sp.listen_address == "198.18.0.1" and sp.listen_port == 1179 and sp.graceful_restart_time == 90
    assert sp.stale_path_time == 30 and config_from_dict({"router_id": "1.1.1.1", "asn": 1}).speaker.stale_path_time == 360
    assert sp.effective_cluster_id == ipaddress.IPv4Address("1.2.3.4")
    mesh, v6 = sp.peers
    assert mesh == PeerConfig(
        address=ipaddress.ip_address("198.18.0.2"), asn=64512, kind=PeerKind.MESH, name="Mesh_198_18_0_2", port=1180,
        passive=True, password="pw", rr_client=True, families=((AFI.IPV4, SAFI.UNICAST),), hold_time=30,
        keepalive_time=5, connect_retry_time=2, error_wait_time=3, ttl_security=True,
        source_address=ipaddress.ip_address("198.18.0.1"), next_hop_self=True)
    assert mesh.key == "198.18.0.2:1180"
    assert v6.name == "Global_fd00__2" and v6.kind is PeerKind.GLOBAL and v6.hold_time == 240
    assert v6.key == "fd00::2" and PeerConfig(ipaddress.ip_address("fd00::2"), 1, port=1179).key == "[fd00::2]:1179"
    assert v6.families == ((AFI.IPV6, SAFI.UNICAST), (AFI.IPV4, SAFI.UNICAST))
    assert sp.prefixes == (
        OriginatedRoute(ipaddress.ip_network("10.0.0.0/24")),
        OriginatedRoute(ipaddress.ip_network("fd10::/64"), ipaddress.ip_address("fd00::1"), OriginCode.INCOMPLETE, 5,
                        200, ((64512 << 16) | 100, 7)),
    )


def test_yaml_file(tmp_path):
    path = tmp_path / "speaker.yaml"
    path.write_text("router_id: 10.0.0.1\nasn: 64512\npeers:\n  - {address: 10.0.0.2, asn: 64512}\n")
    cfg = load_config(path)
    assert cfg.speaker.peers[0].families == ((AFI.IPV4, SAFI.UNICAST),)
    assert cfg.speaker.listen_address == "::" and cfg.control_socket is None


@pytest.mark.parametrize("mutation,path", [
    ({"asn": 0}, "asn"),
    ({"asn": "x"}, "asn"),
    ({"router_id": "fd00::1"}, "router_id"),
    ({"bogus": 1}, "bogus"),
    ({"peers": [{"address": "1.2.3.4"}]}, "peers[0].asn"),
    ({"peers": [{"address": "1.2.3.4", "asn": 1, "hold_time": 2}]}, "peers[0].hold_time"),
    ({"peers": [{"address": "1.2.3.4", "asn": 1, "kind": "mesh"}]}, "peers[0].kind"),
    ({"peers": [{"address": "1.2.3.4", "asn": 1, "families": ["ipx"]}]}, "peers[0].families[0]"),
    ({"peers": [{"address": "1.2.3.4", "asn": 1, "passive": "yes"}]}, "peers[0].passive"),
    ({"peers": [{"address": "1.2.3.4", "asn": 1}, {"address": "1.2.3.4", "asn": 2}]}, "peers[1].address"),
    ({"stale_path_time": 0}, "stale_path_time"),
    ({"prefixes": ["10.0.0.1/24"]}, "prefixes[0].prefix"),
    ({"prefixes": [{"prefix": "10.0.0.0/24", "communities": ["1:x"]}]}, "prefixes[0].communities[0]"),
    ({"prefixes": [{"prefix": "10.0.0.0/24", "origin": "bgp"}]}, "prefixes[0].origin"),
])
def test_errors_name_the_field(mutation, path):
    data = {"router_id": "10.0.0.1", "asn": 64512, **mutation}
    with pytest.raises(ConfigError) as err:
        config_from_dict(data)
    assert err.value.path == path


def test_asn_notations_and_names():
    assert parse_asn("65000", "a") == 65000 and parse_asn("65535.65535", "a") == 0xFFFFFFFF
    with pytest.raises(ConfigError):
        parse_asn(True, "a")
    assert protocol_name(PeerKind.NODE, ipaddress.ip_address("fd80:24e2::2")) == "Node_fd80_24e2__2"
    with pytest.raises(ConfigError):
        SpeakerConfig(ipaddress.IPv4Address("1.1.1.1"), 1, graceful_restart_time=5000)


def test_not_a_mapping(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("[1, 2]")
    with pytest.raises(ConfigError):
        load_config(path)
