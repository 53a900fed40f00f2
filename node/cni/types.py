"""CNI 1.0.0 plumbing shared by both plugins, pure: environment, network config, results, errors.

A runtime runs a plugin with the command and container facts in the environment (`CNI_COMMAND`,
`CNI_CONTAINERID`, `CNI_NETNS`, `CNI_IFNAME`, `CNI_ARGS`, `CNI_PATH`) and the network configuration
JSON on stdin; the plugin prints a result (or an error object) as JSON on stdout. Error codes are
the spec's well-known ones; anything else is libcni's `ErrInternal` (999), as Calico's plugins return.
"""
from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

SPEC_VERSION = "1.0.0"
SUPPORTED_VERSIONS = ("0.3.0", "0.3.1", "0.4.0", "1.0.0")

ERR_INCOMPATIBLE_VERSION = 1
ERR_UNKNOWN_CONTAINER = 3
ERR_INVALID_ENVIRONMENT = 4
ERR_IO = 5
ERR_DECODING = 6
ERR_INVALID_NETWORK_CONFIG = 7
ERR_TRY_AGAIN_LATER = 11
ERR_INTERNAL = 999

COMMANDS = ("ADD", "DEL", "CHECK", "VERSION")
_CONTAINER_ID = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$")


class CNIError(Exception):
    """A failure reported to the runtime as ``{"cniVersion", "code", "msg"[, "details"]}``."""

    def __init__(self, code: int, msg: str, details: str = ""):
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.details = details

    def to_json(self, cni_version: str = SPEC_VERSION) -> dict[str, Any]:
        """The error object as printed on stdout."""
        data: dict[str, Any] = {"cniVersion": cni_version, "code": self.code, "msg": self.msg}
        if self.details:
            data["details"] = self.details
        return data


@dataclass(frozen=True)
class Invocation:
    """The runtime's environment for one call."""

    command: str
    container_id: str = ""
    netns: str = ""
    ifname: str = ""
    args: tuple[tuple[str, str], ...] = ()
    path: tuple[str, ...] = ()

    def arg(self, name: str, default: str = "") -> str:
        """One CNI_ARGS value."""
        return dict(self.args).get(name, default)


def parse_environment(environ: Mapping[str, str]) -> Invocation:
    """Validate the CNI_* variables as libcni's skel does (code 4 for missing or invalid ones)."""
    command = environ.get("CNI_COMMAND", "")
    if not command:
        raise CNIError(ERR_INVALID_ENVIRONMENT, "required env variables [CNI_COMMAND] missing")
    if command not in COMMANDS:
        raise CNIError(ERR_INVALID_ENVIRONMENT, f"unknown CNI_COMMAND: {command}")
    if command == "VERSION":
        return Invocation(command)
    required = ["CNI_CONTAINERID", "CNI_IFNAME", "CNI_PATH"] + (["CNI_NETNS"] if command != "DEL" else [])
    missing = [name for name in ("CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH")
               if name in required and not environ.get(name)]
    if missing:
        raise CNIError(ERR_INVALID_ENVIRONMENT, f"required env variables [{','.join(missing)}] missing")
    container_id = environ["CNI_CONTAINERID"]
    if not _CONTAINER_ID.match(container_id):
        raise CNIError(ERR_INVALID_ENVIRONMENT, "invalid characters in containerID", container_id)
    ifname = environ["CNI_IFNAME"]
    if len(ifname) > 15 or ifname in (".", "..") or any(c in ifname for c in "/: \t\n"):
        raise CNIError(ERR_INVALID_ENVIRONMENT, f"invalid interface name {ifname!r}", ifname)
    return Invocation(command, container_id, environ.get("CNI_NETNS", ""), ifname,
                      parse_cni_args(environ.get("CNI_ARGS", "")),
                      tuple(p for p in environ.get("CNI_PATH", "").split(":") if p))


def parse_cni_args(text: str) -> tuple[tuple[str, str], ...]:
    """``K=V;K2=V2`` (IgnoreUnknown is implied, as Calico forces it)."""
    pairs = []
    for item in filter(None, text.split(";")):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CNIError(ERR_INVALID_ENVIRONMENT, f'ARGS: invalid pair "{item}"')
        pairs.append((key, value))
    return tuple(pairs)


@dataclass(frozen=True)
class IPAMSettings:
    """The ``ipam`` section of the network config."""

    type: str = ""
    assign_ipv4: bool = True
    assign_ipv6: bool = False
    ipv4_pools: tuple[str, ...] = ()
    ipv6_pools: tuple[str, ...] = ()


@dataclass(frozen=True)
class NetConf:
    """The fields of the network configuration both plugins use; ``raw`` keeps everything (for delegation)."""

    cni_version: str
    name: str
    type: str
    ipam: IPAMSettings
    mtu: int = 1500
    nodename: str = ""
    nodename_file: str = "/var/lib/calico/nodename"
    nodename_file_optional: bool = False
    datastore_type: str = ""
    datastore_path: str = ""
    etcd_endpoints: str = ""
    etcd_key_file: str = ""
    etcd_cert_file: str = ""
    etcd_ca_cert_file: str = ""
    policy_type: str = ""
    allow_ip_forwarding: bool = False
    ipam_lock_file: str = "/var/run/calico/ipam.lock"
    prev_result: Mapping[str, Any] | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)


def _text_bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise CNIError(ERR_INVALID_NETWORK_CONFIG, f'invalid value for {where}: "{value}" (want "true" or "false")')


def _string_list(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CNIError(ERR_DECODING, f"failed to load netconf: {where} must be a list of strings")
    return tuple(value)


def parse_netconf(data: bytes | str) -> NetConf:
    """Decode and check the stdin network configuration (code 6 undecodable, 7 invalid, 1 bad version)."""
    try:
        doc = json.loads(data or b"")
    except ValueError as exc:
        raise CNIError(ERR_DECODING, f"failed to load netconf: {exc}") from None
    if not isinstance(doc, dict):
        raise CNIError(ERR_DECODING, "failed to load netconf: the network configuration must be a JSON object")
    version = doc.get("cniVersion", "")
    if not isinstance(version, str) or version not in SUPPORTED_VERSIONS:
        raise CNIError(ERR_INCOMPATIBLE_VERSION,
                       f'incompatible CNI versions; config is "{version}", plugin supports '
                       f'[{" ".join(SUPPORTED_VERSIONS)}]')
    name = doc.get("name")
    if not isinstance(name, str) or not name:
        raise CNIError(ERR_INVALID_NETWORK_CONFIG, "missing network name")
    ipam = doc.get("ipam") or {}
    if not isinstance(ipam, dict):
        raise CNIError(ERR_DECODING, "failed to load netconf: ipam must be an object")
    settings = IPAMSettings(
        type=str(ipam.get("type", "")),
        assign_ipv4=_text_bool(ipam.get("assign_ipv4", "true"), "assign_ipv4"),
        assign_ipv6=_text_bool(ipam.get("assign_ipv6", "false"), "assign_ipv6"),
        ipv4_pools=_string_list(ipam.get("ipv4_pools"), "ipv4_pools"),
        ipv6_pools=_string_list(ipam.get("ipv6_pools"), "ipv6_pools"),
    )
    mtu = doc.get("mtu", 1500)
    if not isinstance(mtu, int) or isinstance(mtu, bool) or not 68 <= mtu <= 65535:
        raise CNIError(ERR_INVALID_NETWORK_CONFIG, f"invalid mtu {mtu!r}")
    strings = {key: doc.get(key, "") for key in (
        "nodename", "datastore_type", "datastore_path", "etcd_endpoints", "etcd_key_file", "etcd_cert_file",
        "etcd_ca_cert_file")}
    for key, value in strings.items():
        if not isinstance(value, str):
            raise CNIError(ERR_DECODING, f"failed to load netconf: {key} must be a string")
    prev = doc.get("prevResult")
    return NetConf(
        cni_version=version, name=name, type=str(doc.get("type", "")), ipam=settings, mtu=mtu,
        nodename_file=str(doc.get("nodename_file") or "/var/lib/calico/nodename"),
        nodename_file_optional=bool(doc.get("nodename_file_optional", False)),
        policy_type=str((doc.get("policy") or {}).get("type", "")),
        allow_ip_forwarding=bool((doc.get("container_settings") or {}).get("allow_ip_forwarding", False)),
        ipam_lock_file=str(doc.get("ipam_lock_file") or "/var/run/calico/ipam.lock"),
        prev_result=prev if isinstance(prev, dict) else None,
        raw=doc, **strings,
    )


IPInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface


@dataclass(frozen=True)
class Interface:
    """A result interface (the host side has only a name; the container side its MAC and netns)."""

    name: str
    mac: str = ""
    sandbox: str = ""


@dataclass(frozen=True)
class Result:
    """A CNI result: interfaces, IPs (each optionally pointing at an interface index), routes, DNS."""

    interfaces: tuple[Interface, ...] = ()
    ips: tuple[tuple[IPInterface, int | None], ...] = ()
    routes: tuple[Mapping[str, str], ...] = ()

    def to_json(self, cni_version: str) -> dict[str, Any]:
        """The result in ``cni_version``'s shape (pre-1.0 results carry each IP's ``version``)."""
        data: dict[str, Any] = {"cniVersion": cni_version}
        if self.interfaces:
            data["interfaces"] = [{k: v for k, v in (("name", i.name), ("mac", i.mac), ("sandbox", i.sandbox)) if v}
                                  for i in self.interfaces]
        ips = []
        for address, index in self.ips:
            entry: dict[str, Any] = {}
            if cni_version != "1.0.0":
                entry["version"] = str(address.version)
            if index is not None:
                entry["interface"] = index
            entry["address"] = str(address)
            ips.append(entry)
        data["ips"] = ips
        if self.routes:
            data["routes"] = [dict(r) for r in self.routes]
        data["dns"] = {}
        return data


def result_ips(result: Mapping[str, Any]) -> list[IPInterface]:
    """The addresses of a (previous or delegated) result's ``ips``."""
    found = []
    for entry in result.get("ips") or ():
        try:
            found.append(ipaddress.ip_interface(entry["address"]))
        except (KeyError, TypeError, ValueError):
            raise CNIError(ERR_DECODING, f"invalid IP in result: {entry!r}") from None
    return found


def version_json(cni_version: str = SPEC_VERSION) -> dict[str, Any]:
    """The VERSION command's reply."""
    return {"cniVersion": cni_version, "supportedVersions": list(SUPPORTED_VERSIONS)}


def go_time_string(epoch_ns: int) -> str:
    """Go's ``time.Time.UTC().String()``: ``2024-05-01 10:00:01.123 +0000 UTC`` (fraction trimmed)."""
    import datetime

    seconds, nanos = divmod(epoch_ns, 1_000_000_000)
    moment = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    fraction = f".{nanos:09d}".rstrip("0").rstrip(".")
    return f"{moment:%Y-%m-%d %H:%M:%S}{fraction} +0000 UTC"


def host_veth_name(container_id: str, namespace: str = "", pod: str = "") -> str:
    """``cali`` + 11 chars: SHA-1 of ``<namespace>.<pod>`` for Kubernetes pods, else the container ID's first 11."""
    if pod:
        import hashlib

        return "cali" + hashlib.sha1(f"{namespace}.{pod}".encode()).hexdigest()[:11]
    return "cali" + container_id[:11]


def handle_id(network: str, container_id: str) -> str:
    """calico-ipam's handle: ``<network name>.<container ID>``."""
    return f"{network}.{container_id}"


def emit(obj: Mapping[str, Any]) -> str:
    """JSON as the plugins print it."""
    return json.dumps(obj, indent=4) + "\n"


def merge_datastore_env(environ: Mapping[str, str], conf: NetConf) -> dict[str, str]:
    """The environment the datastore config is loaded from: the network config's fields set the
    variables as Calico's CNI plugin does before loading the client config."""
    env = dict(environ)
    for key, name in (("datastore_type", "DATASTORE_TYPE"), ("etcd_endpoints", "ETCD_ENDPOINTS"),
                      ("etcd_key_file", "ETCD_KEY_FILE"), ("etcd_cert_file", "ETCD_CERT_FILE"),
                      ("etcd_ca_cert_file", "ETCD_CA_CERT_FILE"), ("datastore_path", "PYCALICO_DATASTORE_PATH")):
        value = getattr(conf, key)
        if value:
            env[name] = value
    return env


def pools_for(settings: IPAMSettings, version: int) -> Sequence[str]:
    """The explicit pools (``ipv4_pools`` / ``ipv6_pools``) for one IP version."""
    return settings.ipv4_pools if version == 4 else settings.ipv6_pools
