"""Pure conversion of Calico v1 API resources and Kubernetes NetworkPolicies to v3 documents
(calicoctl v3.29 ``convert``).

Follows libcalico-go ``lib/upgrade/converters``: each v1 resource goes through its v1 backend form
(rule actions ``pass`` → ``next-tier``, default policy types from the rules present) to the v3 API
object (names normalised with a sha1 qualifier when changed, tags merged into selectors / labels,
``calico/k8s_ns`` → ``projectcalico.org/namespace``, protocol names upper-cased, nets masked).
Kubernetes NetworkPolicies follow libcalico-go ``K8sNetworkPolicyToCalico``. Input documents are plain
data (parsed YAML/JSON); output documents are v3 JSON dicts.
"""
from __future__ import annotations

import hashlib
import ipaddress
import re
from typing import Any, Callable, Mapping

from datastore.resources.serde import json_kind

API_V3 = "projectcalico.org/v3"
K8S_NETWORKING = "networking.k8s.io/v1"

_NON_NAME = re.compile(r"[^-.a-z0-9]+")
_DOT_DASH = re.compile(r"[.-]*[.][.-]*")
_K8S_NS_LABEL = re.compile(r"(?<![\w./-])calico/k8s_ns(?![\w./-])")
_V3_PROTOCOLS = {"tcp": "TCP", "udp": "UDP", "icmp": "ICMP", "icmpv6": "ICMPv6", "sctp": "SCTP",
                 "udplite": "UDPLite"}
_V3_ACTIONS = ("Allow", "Deny", "Log", "Pass")

_ENTITY_FIELDS = ("tag", "net", "nets", "selector", "ports", "notTag", "notNet", "notNets", "notSelector",
                  "notPorts")
_RULE_FIELDS = ("action", "ipVersion", "protocol", "icmp", "notProtocol", "notICMP", "source", "destination")
_PORT_FIELDS = ("name", "protocol", "port")

# Accepted fields of each v1 kind: (metadata fields, spec fields).
_V1_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "ipPool": (("cidr",), ("ipip", "nat-outgoing", "disabled")),
    "bgpPeer": (("scope", "node", "peerIP"), ("asNumber",)),
    "node": (("name",), ("bgp", "orchRefs")),
    "policy": (("name", "tier", "annotations"),
               ("order", "ingress", "egress", "selector", "doNotTrack", "preDNAT", "applyOnForward", "types")),
    "profile": (("name", "tags", "labels"), ("ingress", "egress")),
    "hostEndpoint": (("name", "node", "labels"), ("interfaceName", "expectedIPs", "profiles", "ports")),
    "workloadEndpoint": (("name", "workload", "orchestrator", "node", "activeInstanceID", "labels"),
                         ("interfaceName", "mac", "ipNetworks", "ipNATs", "ipv4Gateway", "ipv6Gateway",
                          "profiles", "ports")),
}
_K8S_POLICY_FIELDS = ("kind", "apiVersion", "metadata", "spec", "status")
_K8S_METADATA_FIELDS = ("name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
                        "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
                        "annotations", "ownerReferences", "finalizers", "managedFields")
_NESTED_FIELDS: dict[str, tuple[str, ...]] = {
    "ipip": ("enabled", "mode"), "bgp": ("asNumber", "ipv4Address", "ipv6Address"),
    "orchRefs": ("nodeName", "orchestrator"), "ipNATs": ("internalIP", "externalIP"),
    "icmp": ("type", "code"), "notICMP": ("type", "code"),
}


class ConvertError(Exception):
    """A resource could not be converted; the text is calicoctl's error."""


class LoadError(ConvertError):
    """A document could not be read as a v1 / Kubernetes resource (unknown kind, field, bad value)."""


# ------------------------------------------------------------------------------------------ names

def normalize_name(name: str) -> str:
    """libcalico-go ``normalizeName``: lower-case, ``/`` → ``.``, other invalid runs → ``-``, dot/dash runs
    containing a dot → ``.``, leading/trailing dots and dashes removed."""
    name = name.lower().replace("/", ".")
    name = _NON_NAME.sub("-", name)
    name = _DOT_DASH.sub(".", name)
    return name.strip(".-")


def _qualified(original: str, final: str) -> str:
    if original == final:
        return original
    return f"{final}-{hashlib.sha1(original.encode()).hexdigest()[:8]}"


def convert_name(name: str) -> str:
    """A v1 name as a v3 name: normalised, plus an 8-hex sha1 qualifier of the original when changed."""
    return _qualified(name, normalize_name(name))


def convert_name_no_dots(name: str) -> str:
    """As :func:`convert_name` with dots turned into dashes (policy and tier names)."""
    return _qualified(name, normalize_name(name).replace(".", "-"))


def ip_to_name(text: str) -> str:
    """``1-2-3-4`` for IPv4, eight fully expanded hex groups joined by ``-`` for IPv6."""
    address = ipaddress.ip_address(text)
    if address.version == 4:
        return str(address).replace(".", "-")
    return address.exploded.replace(":", "-")


def cidr_to_name(cidr: str) -> str:
    """libcalico-go ``names.CIDRToName``: ``10.1.0.0/16`` → ``10-1-0-0-16``."""
    return cidr.replace(".", "-", 3).replace(":", "-", 7).replace("/", "-", 1)


def convert_profile_name(name: str) -> str:
    """Profile names: the ``k8s_ns.`` prefix becomes ``kns.``, then :func:`convert_name`."""
    if name.startswith("k8s_ns."):
        name = "kns." + name[len("k8s_ns."):]
    return convert_name(name)


def convert_selector(selector: str) -> str:
    """The v1 namespace label ``calico/k8s_ns`` becomes ``projectcalico.org/namespace``."""
    return _K8S_NS_LABEL.sub("projectcalico.org/namespace", selector)


def protocol_v3(protocol: Any) -> Any:
    """numorstring ``ProtocolV3FromProtocolV1``: v1's lower-case names in v3 spelling; numbers kept."""
    if isinstance(protocol, str):
        return _V3_PROTOCOLS.get(protocol, protocol)
    return protocol


# ------------------------------------------------------------------------------------------ parsing

def _network(text: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(str(text), strict=False)
    except ValueError:
        raise LoadError(f"invalid CIDR address: {text}") from None


def _interface(text: Any) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface:
    try:
        return ipaddress.ip_interface(str(text))
    except ValueError:
        raise LoadError(f"invalid CIDR address: {text}") from None


def _ip(text: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(str(text))
    except ValueError:
        raise LoadError(f"invalid IP address: {text}") from None


def _unknown_field(name: str) -> LoadError:
    return LoadError(f'error unmarshaling JSON: while decoding JSON: json: unknown field "{name}"')


def _strict(data: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise LoadError("error unmarshaling JSON: while decoding JSON: json: cannot unmarshal "
                        f"{json_kind(data)} into Go value of type object")
    for key in data:
        if key not in allowed:
            raise _unknown_field(str(key))
    return dict(data)




def _list_of(data: Any, allowed: tuple[str, ...]) -> list[dict[str, Any]]:
    if data is None:
        return []
    if not isinstance(data, list):
        raise LoadError("error unmarshaling JSON: while decoding JSON: json: cannot unmarshal "
                        f"{json_kind(data)} into Go value of type array")
    return [_strict(item, allowed) for item in data]


def load_resources(document: Any) -> list[dict[str, Any]]:
    """The resources of one parsed document (a single resource or a YAML array of them), checked like
    calicoctl's resource loader: the v1 kinds (exact ``apiVersion: v1`` spelling), Kubernetes
    ``networking.k8s.io/v1`` NetworkPolicy and ``v1`` List of them (unpacked); unknown fields rejected."""
    items = document if isinstance(document, list) else [document]
    resources = []
    for item in items:
        if not isinstance(item, Mapping):
            raise LoadError("error unmarshaling JSON: while decoding JSON: json: cannot unmarshal "
                            f"{json_kind(item)} into Go value of type unversioned.TypeMetadata")
        kind, version = str(item.get("kind") or ""), str(item.get("apiVersion") or "")
        if (kind, version) == ("NetworkPolicy", K8S_NETWORKING):
            resources.append(_k8s_policy(item))
        elif (kind, version) == ("List", "v1"):
            _strict(item, ("kind", "apiVersion", "metadata", "items"))
            resources.extend(_k8s_policy(entry) for entry in _list_of(item.get("items"), _K8S_POLICY_FIELDS))
        elif version == "v1" and kind in _V1_FIELDS:
            meta_fields, spec_fields = _V1_FIELDS[kind]
            _strict(item, ("kind", "apiVersion", "metadata", "spec"))
            resources.append({"kind": kind, "apiVersion": version,
                              "metadata": _strict(item.get("metadata"), meta_fields),
                              "spec": _strict(item.get("spec"), spec_fields)})
        else:
            raise LoadError(f"Unknown resource type ({kind}) and/or version ({version})")
    return resources


def _k8s_policy(item: Mapping[str, Any]) -> dict[str, Any]:
    policy = _strict(item, _K8S_POLICY_FIELDS)
    metadata = _strict(policy.get("metadata"), _K8S_METADATA_FIELDS)
    return {"kind": "NetworkPolicy", "apiVersion": K8S_NETWORKING, "metadata": metadata,
            "spec": _strict(policy.get("spec"), ("podSelector", "ingress", "egress", "policyTypes"))}


# ------------------------------------------------------------------------------------------ rules

def _entity(data: Any) -> dict[str, Any]:
    entity = _strict(data, _ENTITY_FIELDS)
    nets = [str(_network(n)) for n in entity.get("nets") or []]
    if entity.get("net"):
        nets.append(str(_network(entity["net"])))
    not_nets = [str(_network(n)) for n in entity.get("notNets") or []]
    if entity.get("notNet"):
        not_nets.append(str(_network(entity["notNet"])))
    out: dict[str, Any] = {}
    if nets:
        out["nets"] = nets
    selector = _merge_tag(convert_selector(entity.get("selector") or ""), entity.get("tag") or "")
    if selector:
        out["selector"] = selector
    if entity.get("ports"):
        out["ports"] = list(entity["ports"])
    if not_nets:
        out["notNets"] = not_nets
    not_selector = _merge_tag(convert_selector(entity.get("notSelector") or ""), entity.get("notTag") or "")
    if not_selector:
        out["notSelector"] = not_selector
    if entity.get("notPorts"):
        out["notPorts"] = list(entity["notPorts"])
    return out


def _merge_tag(selector: str, tag: str) -> str:
    if not tag:
        return selector
    return f"({selector}) && {tag} == ''" if selector else f"{tag} == ''"


def _action(action: str) -> str:
    if action.lower() == "pass":
        action = "next-tier"
    if action == "":
        return "Allow"
    if action == "next-tier":
        return "Pass"
    for known in _V3_ACTIONS:
        if action.lower() == known.lower():
            return known
    return action


def _icmp(data: Any) -> dict[str, Any] | None:
    fields = _strict(data, _NESTED_FIELDS["icmp"])
    if fields.get("type") is None and fields.get("code") is None:
        return None
    return {k: fields[k] for k in ("type", "code") if fields.get(k) is not None}


def convert_rule(data: Any) -> dict[str, Any]:
    """One v1 rule as a v3 rule."""
    rule = _strict(data, _RULE_FIELDS)
    out: dict[str, Any] = {"action": _action(str(rule.get("action") or ""))}
    if rule.get("ipVersion") is not None:
        out["ipVersion"] = rule["ipVersion"]
    if rule.get("protocol") is not None:
        out["protocol"] = protocol_v3(rule["protocol"])
    icmp = _icmp(rule.get("icmp"))
    if icmp is not None:
        out["icmp"] = icmp
    if rule.get("notProtocol") is not None:
        out["notProtocol"] = protocol_v3(rule["notProtocol"])
    not_icmp = _icmp(rule.get("notICMP"))
    if not_icmp is not None:
        out["notICMP"] = not_icmp
    out["source"] = _entity(rule.get("source"))
    out["destination"] = _entity(rule.get("destination"))
    return out


def _rules(data: Any) -> list[dict[str, Any]]:
    if data is None:
        return []
    if not isinstance(data, list):
        raise LoadError("error unmarshaling JSON: while decoding JSON: json: cannot unmarshal "
                        f"{json_kind(data)} into Go value of type []v1.Rule")
    return [convert_rule(r) for r in data]


# ------------------------------------------------------------------------------------------ kinds

def _v3(kind: str, metadata: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_V3, "kind": kind, "metadata": metadata, "spec": spec}


def _ippool(meta: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    if not meta.get("cidr"):
        raise ConvertError("error converting IPPool: no CIDR is set")
    iface = _interface(meta["cidr"])
    cidr = f"{iface.ip}/{iface.network.prefixlen}"
    ipip = _strict(spec.get("ipip"), _NESTED_FIELDS["ipip"])
    mode = "Never"
    if ipip.get("enabled"):
        mode = "CrossSubnet" if str(ipip.get("mode") or "").lower() == "cross-subnet" else "Always"
    out: dict[str, Any] = {"cidr": cidr, "vxlanMode": "Never", "ipipMode": mode,
                           "blockSize": 26 if iface.version == 4 else 122}
    if spec.get("nat-outgoing"):
        out["natOutgoing"] = True
    if spec.get("disabled"):
        out["disabled"] = True
    out["nodeSelector"] = "all()"
    out["allowedUses"] = ["Workload", "Tunnel"]
    return _v3("IPPool", {"name": cidr_to_name(cidr)}, out)


def _bgppeer(meta: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    if not meta.get("peerIP"):
        raise ConvertError("no PeerIP is set, invalid BGPPeer")
    peer_ip = str(_ip(meta["peerIP"]))
    scope, node = meta.get("scope") or "", meta.get("node") or ""
    out: dict[str, Any] = {"peerIP": peer_ip}
    if scope == "global":
        if node:
            raise ConvertError(f"With Global scope having a Node is invalid: {node}")
        name = ip_to_name(peer_ip)
    elif scope == "node":
        if not node:
            raise ConvertError("With Node scope a Node must be defined")
        node_name = normalize_name(node)
        out["node"] = node_name
        name = f"{node_name}.{ip_to_name(peer_ip)}"
    else:
        raise ConvertError("insufficient identifiers, missing 'scope'")
    if spec.get("asNumber") is not None:
        out["asNumber"] = spec["asNumber"]
    return _v3("BGPPeer", {"name": name}, out)


def _bgp_address(text: Any) -> str:
    iface = _interface(text)
    return f"{iface.ip}/{iface.network.prefixlen}"


def _node(meta: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if spec.get("bgp") is not None:
        bgp = _strict(spec["bgp"], _NESTED_FIELDS["bgp"])
        if not bgp.get("ipv4Address") and not bgp.get("ipv6Address"):
            raise ConvertError("Invalid NodeBGPSpec, missing address")
        converted: dict[str, Any] = {}
        if bgp.get("asNumber") is not None:
            converted["asNumber"] = bgp["asNumber"]
        if bgp.get("ipv4Address"):
            converted["ipv4Address"] = _bgp_address(bgp["ipv4Address"])
        if bgp.get("ipv6Address"):
            converted["ipv6Address"] = _bgp_address(bgp["ipv6Address"])
        out["bgp"] = converted
    refs = _list_of(spec.get("orchRefs"), _NESTED_FIELDS["orchRefs"])
    if refs:
        out["orchRefs"] = [{k: r[k] for k in ("nodeName", "orchestrator") if r.get(k)} for r in refs]
    return _v3("Node", {"name": normalize_name(str(meta.get("name") or ""))}, out)


def _policy(meta: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    tier = convert_name_no_dots(str(meta.get("tier") or "")) or "default"
    ingress, egress = _rules(spec.get("ingress")), _rules(spec.get("egress"))
    if spec.get("types"):
        types = []
        for value in spec["types"]:
            lowered = str(value).lower()
            if lowered not in ("ingress", "egress"):
                raise ConvertError(f"invalid policy type: '{value}'")
            types.append(lowered.capitalize())
    elif not spec.get("egress"):
        types = ["Ingress"]
    elif not spec.get("ingress"):
        types = ["Egress"]
    else:
        types = ["Ingress", "Egress"]
    metadata: dict[str, Any] = {"name": f"{tier}.{convert_name_no_dots(str(meta.get('name') or ''))}",
                                "labels": {"projectcalico.org/tier": tier}}
    if meta.get("annotations"):
        metadata["annotations"] = dict(meta["annotations"])
    out: dict[str, Any] = {"tier": tier}
    if spec.get("order") is not None:
        out["order"] = spec["order"]
    if ingress:
        out["ingress"] = ingress
    if egress:
        out["egress"] = egress
    if spec.get("selector"):
        out["selector"] = convert_selector(spec["selector"])
    out["types"] = types
    if spec.get("doNotTrack"):
        out["doNotTrack"] = True
    if spec.get("preDNAT"):
        out["preDNAT"] = True
    if spec.get("doNotTrack") or spec.get("preDNAT"):
        out["applyOnForward"] = True
    return _v3("GlobalNetworkPolicy", metadata, out)


def _profile(meta: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    name = convert_profile_name(str(meta.get("name") or ""))
    labels = dict(meta.get("labels") or {})
    for tag in meta.get("tags") or []:
        if tag in labels:
            raise ConvertError(f"Tag: '{tag}' and Label '{tag} == {labels[tag]}' have the same value for Profile: "
                               f"{name}. Change the Label key before proceeding")
        labels[tag] = ""
    out: dict[str, Any] = {}
    ingress, egress = _rules(spec.get("ingress")), _rules(spec.get("egress"))
    if ingress:
        out["ingress"] = ingress
    if egress:
        out["egress"] = egress
    if labels:
        out["labelsToApply"] = labels
    return _v3("Profile", {"name": name}, out)


def _ports(data: Any, convert_protocol: bool) -> list[dict[str, Any]]:
    ports = []
    for port in _list_of(data, _PORT_FIELDS):
        protocol = port.get("protocol")
        ports.append({"name": port.get("name", ""),
                      "protocol": protocol_v3(protocol) if convert_protocol else protocol,
                      "port": port.get("port", 0)})
    return ports


def _profiles(data: Any) -> list[str]:
    return [convert_profile_name(str(p)) for p in data or []]


def _host_endpoint(meta: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    node = normalize_name(str(meta.get("node") or ""))
    addresses = [_ip(ip) for ip in spec.get("expectedIPs") or []]
    ips = [str(a) for a in addresses if a.version == 4] + [str(a) for a in addresses if a.version == 6]
    metadata: dict[str, Any] = {"name": convert_name(f"{node}.{meta.get('name') or ''}")}
    if meta.get("labels"):
        metadata["labels"] = dict(meta["labels"])
    out: dict[str, Any] = {"node": node}
    if spec.get("interfaceName"):
        out["interfaceName"] = spec["interfaceName"]
    if ips:
        out["expectedIPs"] = ips
    profiles = _profiles(spec.get("profiles"))
    if profiles:
        out["profiles"] = profiles
    ports = _ports(spec.get("ports"), convert_protocol=True)
    if ports:
        out["ports"] = ports
    return _v3("HostEndpoint", metadata, out)


def _workload_endpoint(meta: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    orchestrator, workload_id = str(meta.get("orchestrator") or ""), str(meta.get("workload") or "")
    pod = container = workload = ""
    namespace = "default"
    if orchestrator == "k8s":
        if "." not in workload_id:
            raise ConvertError(f"malformed k8s workload ID '{workload_id}': workload was not added through the "
                               "Calico CNI plugin and cannot be converted")
        namespace, pod = workload_id.split(".", 1)
        container = str(meta.get("activeInstanceID") or "")
    elif orchestrator == "cni":
        container = workload_id
    elif orchestrator == "libnetwork":
        workload = "libnetwork"
    else:
        workload = convert_name(workload_id)
    labels = dict(meta.get("labels") or {})
    if "calico/k8s_ns" in labels:
        labels["projectcalico.org/namespace"] = labels.pop("calico/k8s_ns")
    nets = [_network(n) for n in spec.get("ipNetworks") or []]
    nats = _list_of(spec.get("ipNATs"), _NESTED_FIELDS["ipNATs"])
    nat_pairs = [(_ip(n.get("internalIP")), _ip(n.get("externalIP"))) for n in nats]
    out: dict[str, Any] = {"orchestrator": convert_name(orchestrator)}
    if workload:
        out["workload"] = workload
    out["node"] = normalize_name(str(meta.get("node") or ""))
    if container:
        out["containerID"] = container
    if pod:
        out["pod"] = pod
    out["endpoint"] = convert_name(str(meta.get("name") or ""))
    ip_networks = [str(n) for n in nets if n.version == 4] + [str(n) for n in nets if n.version == 6]
    if ip_networks:
        out["ipNetworks"] = ip_networks
    ordered_nats = [p for p in nat_pairs if p[0].version == 4] + [p for p in nat_pairs if p[0].version == 6]
    if ordered_nats:
        out["ipNATs"] = [{"internalIP": str(i), "externalIP": str(e)} for i, e in ordered_nats]
    for field in ("ipv4Gateway", "ipv6Gateway"):
        if spec.get(field):
            out[field] = str(_ip(spec[field]))
    profiles = _profiles(spec.get("profiles"))
    if profiles:
        out["profiles"] = profiles
    if spec.get("interfaceName"):
        out["interfaceName"] = spec["interfaceName"]
    if spec.get("mac"):
        out["mac"] = str(spec["mac"]).lower()
    ports = _ports(spec.get("ports"), convert_protocol=False)
    if ports:
        out["ports"] = ports
    from datastore.validation import expected_workload_endpoint_name

    metadata: dict[str, Any] = {"name": expected_workload_endpoint_name(out), "namespace": namespace}
    if labels:
        metadata["labels"] = labels
    return _v3("WorkloadEndpoint", metadata, out)


_CONVERTERS: dict[str, Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]] = {
    "node": _node, "hostEndpoint": _host_endpoint, "workloadEndpoint": _workload_endpoint, "profile": _profile,
    "policy": _policy, "ipPool": _ippool, "bgpPeer": _bgppeer,
}


def convert_resource(resource: Mapping[str, Any]) -> dict[str, Any]:
    """One loaded resource (see :func:`load_resources`) as a v3 document."""
    if resource["apiVersion"] == K8S_NETWORKING:
        return _k8s_network_policy(dict(resource["metadata"]), dict(resource["spec"]))
    return _CONVERTERS[resource["kind"]](dict(resource["metadata"]), dict(resource["spec"]))


# ------------------------------------------------------------------------------------------ Kubernetes

def k8s_selector(selector: Any, pod: bool) -> str:
    """libcalico-go ``k8sSelectorToCalico``: pod selectors are limited to Kubernetes endpoints; an
    empty namespace selector means all namespaces; matchLabels sorted, then matchExpressions."""
    terms = ["projectcalico.org/orchestrator == 'k8s'"] if pod else []
    if selector is None:
        return " && ".join(terms)
    selector = _strict(selector, ("matchLabels", "matchExpressions"))
    labels = selector.get("matchLabels") or {}
    expressions = _list_of(selector.get("matchExpressions"), ("key", "operator", "values"))
    if not pod and not labels and not expressions:
        return "all()"
    terms.extend(f"{key} == '{labels[key]}'" for key in sorted(labels))
    for expression in expressions:
        key, values = expression.get("key", ""), "', '".join(expression.get("values") or [])
        operator = expression.get("operator")
        if operator == "In":
            terms.append(f"{key} in {{ '{values}' }}")
        elif operator == "NotIn":
            terms.append(f"{key} not in {{ '{values}' }}")
        elif operator == "Exists":
            terms.append(f"has({key})")
        elif operator == "DoesNotExist":
            terms.append(f"! has({key})")
    return " && ".join(terms)


def _k8s_port(port: Mapping[str, Any]) -> tuple[str, Any]:
    """(protocol, Calico port or None for all ports) of one NetworkPolicyPort (TCP when unset)."""
    protocol = str(port.get("protocol") or "TCP")
    if port.get("port") is None:
        return protocol, None
    value = port["port"]
    if port.get("endPort") is not None:
        return protocol, f"{value}:{port['endPort']}"
    if isinstance(value, str) and value.isdigit():
        return protocol, int(value)
    return protocol, value


def simplify_ports(ports: list[Any]) -> list[Any]:
    """libcalico-go ``SimplifyPorts``: named ports first-come, numeric ports merged into ranges."""
    if len(ports) <= 1:
        return ports
    named, numbers = [], []
    for port in ports:
        if isinstance(port, int):
            numbers.append(port)
        elif isinstance(port, str) and ":" in port and port.replace(":", "").isdigit():
            low, high = (int(x) for x in port.split(":"))
            numbers.extend(range(low, high + 1))
        else:
            named.append(port)
    if len(numbers) <= 1:
        return ports
    numbers.sort()
    out: list[Any] = list(named)
    while numbers:
        first = last = numbers.pop(0)
        while numbers and numbers[0] <= last + 1:
            last = numbers.pop(0)
        out.append(first if first == last else f"{first}:{last}")
    return out


def _k8s_rules(peers: Any, ports: Any, ingress: bool) -> list[dict[str, Any]]:
    """libcalico-go ``k8sRuleToCalico``: one Allow rule per protocol and peer."""
    peer_list: list[dict[str, Any] | None] = list(_list_of(peers, ("podSelector", "namespaceSelector", "ipBlock")))
    port_list = _list_of(ports, ("protocol", "port", "endPort"))
    by_protocol: dict[str, list[Any] | None] = {}
    for port in port_list or [None]:
        if port is None:
            by_protocol = {"": None}
            break
        protocol, value = _k8s_port(port)
        if value is None:
            by_protocol[protocol] = None
        elif protocol not in by_protocol or by_protocol[protocol]:
            by_protocol[protocol] = [*(by_protocol.get(protocol) or []), value]
    rules = []
    for protocol in sorted(by_protocol):
        calico_ports = simplify_ports(by_protocol[protocol]) if by_protocol[protocol] else None
        for peer in peer_list or [None]:
            entity = _k8s_peer(peer)
            rule: dict[str, Any] = {"action": "Allow"}
            if protocol:
                rule["protocol"] = protocol
            if ingress:
                rule["source"] = entity
                rule["destination"] = {"ports": calico_ports} if calico_ports else {}
            else:
                rule["source"] = {}
                rule["destination"] = {**entity, **({"ports": calico_ports} if calico_ports else {})}
            rules.append(rule)
    return rules


def _k8s_peer(peer: Mapping[str, Any] | None) -> dict[str, Any]:
    if peer is None:
        return {}
    if peer.get("ipBlock") is not None:
        block = _strict(peer["ipBlock"], ("cidr", "except"))
        entity: dict[str, Any] = {"nets": [str(_network(block.get("cidr")))]}
        not_nets = [str(_network(n)) for n in block.get("except") or []]
        if not_nets:
            entity["notNets"] = not_nets
        return entity
    entity = {}
    selector = k8s_selector(peer.get("podSelector"), pod=True)
    if selector:
        entity["selector"] = selector
    namespace_selector = k8s_selector(peer.get("namespaceSelector"), pod=False)
    if namespace_selector:
        entity["namespaceSelector"] = namespace_selector
    return entity


def _k8s_network_policy(meta: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """libcalico-go ``K8sNetworkPolicyToCalico`` (order 1000), the ``knp.default.`` prefix trimmed as
    calicoctl does."""
    ingress = [rule for r in _list_of(spec.get("ingress"), ("from", "ports"))
               for rule in _k8s_rules(r.get("from"), r.get("ports"), True)]
    egress = [rule for r in _list_of(spec.get("egress"), ("to", "ports"))
              for rule in _k8s_rules(r.get("to"), r.get("ports"), False)]
    declared = spec.get("policyTypes") or []
    types = [t for t in ("Ingress", "Egress") if t in declared] or ["Ingress"]
    metadata: dict[str, Any] = {"name": str(meta.get("name") or "")}
    if meta.get("namespace"):
        metadata["namespace"] = meta["namespace"]
    out: dict[str, Any] = {"order": 1000, "selector": k8s_selector(spec.get("podSelector") or {}, pod=True)}
    if ingress:
        out["ingress"] = ingress
    if egress:
        out["egress"] = egress
    out["types"] = types
    return _v3("NetworkPolicy", metadata, out)
