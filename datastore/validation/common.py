"""Validators shared by several kinds: object metadata, selectors, policy rules and entity rules.

Each function appends to a Collector in the order go-playground walks the Go structs: a
struct's field tags first (in field order, descending into nested structs), then that struct's
own struct-level rule. Inputs are the decoded v3 JSON documents (``to_dict`` shape).
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from datastore import selector as selectors
from datastore.validation import names
from datastore.validation.fields import (
    ACTION_RE,
    Protocol,
    parse_port,
    parse_protocol,
    protocol_error,
)
from datastore.validation.netparse import is_cidr, is_ip_of_version, is_strict_net, parse_cidr
from datastore.validation.report import Collector

GLOBAL_SELECTOR = "global()"
GLOBAL_SELECTOR_ENTITY_RULE = f"{GLOBAL_SELECTOR} can only be used in an EntityRule namespaceSelector"
GLOBAL_SELECTOR_ONLY = f"{GLOBAL_SELECTOR} cannot be combined with other selectors"
PROTOCOL_PORTS_MSG = "rules that specify ports must set protocol to TCP or UDP or SCTP"
PROTOCOL_ICMP_MSG = "rules that specify ICMP fields must set protocol to ICMP"
PROTOCOL_HTTP_MSG = "rules that specify HTTP fields must set protocol to TCP or empty"
PORT_RANGE_MSG = "port range invalid, port number must be between 1 and 65535"

Doc = Mapping[str, Any]


def selector_is_valid(text: str) -> bool:
    """Calico tag ``selector``: the expression parses."""
    try:
        selectors.parse(text)
    except ValueError:
        return False
    return True


def check_selector(c: Collector, field: str, text: str | None, required: bool = False) -> None:
    """Tag ``selector`` on Go field ``field`` (``omitempty`` unless ``required``)."""
    if text is None or (text == "" and not required):
        return
    if not selector_is_valid(text):
        c.tag(field, text, "selector")


def check_name_tag(c: Collector, field: str, value: str | None) -> None:
    """Tag ``omitempty,name`` on Go field ``field``."""
    if value and not names.is_valid_name(value):
        c.tag(field, value, "name")


def check_annotations(c: Collector, annotations: Mapping[str, str] | None) -> None:
    """libcalico-go ``validateObjectMetaAnnotations``: keys qualified names, total size ≤ 256 KiB."""
    total = 0
    for key, value in (annotations or {}).items():
        for reason in names.qualified_name_errors(key.lower()):
            c.add("Metadata.Annotations (key)", key, reason)
        total += len(key.encode()) + len(str(value).encode())
    if total > names.TOTAL_ANNOTATION_SIZE_LIMIT:
        c.add(
            "Metadata.Annotations (key)",
            dict(annotations or {}),
            f"total size of annotations is too large by {total - names.TOTAL_ANNOTATION_SIZE_LIMIT} bytes",
        )


def check_labels(c: Collector, labels: Mapping[str, str] | None) -> None:
    """libcalico-go ``validateObjectMetaLabels``: keys qualified names, values label values."""
    for key, value in (labels or {}).items():
        for reason in names.qualified_name_errors(key):
            c.add("Metadata.Labels (label)", key, reason)
        for reason in names.label_value_errors(value):
            c.add("Metadata.Labels (value)", value, reason)


def check_name_length(c: Collector, name: str, limit: int) -> None:
    """``name is too long by <n> bytes`` when ``name`` exceeds ``limit`` bytes."""
    size = len(name.encode())
    if size > limit:
        c.add("Metadata.Name", name, f"name is too long by {size - limit} bytes")


def check_object_meta(c: Collector, metadata: Doc) -> None:
    """libcalico-go ``validateObjectMeta``: subdomain name (≤ 253), annotations, labels."""
    name = metadata.get("name", "")
    check_name_length(c, name, names.DNS1123_SUBDOMAIN_MAX_LENGTH)
    if not names.NAME_RE.fullmatch(name):
        c.add("Metadata.Name", name, names.SUBDOMAIN_NAME_REASON)
    check_annotations(c, metadata.get("annotations"))
    check_labels(c, metadata.get("labels"))


def _protocol(value: object) -> Protocol | None:
    if value is None:
        return None
    return parse_protocol(value)


def check_protocol(c: Collector, value: object) -> None:
    """Struct rule of numorstring ``Protocol`` (reported as field ``Protocol``)."""
    if value is None:
        return
    protocol = parse_protocol(value)
    reason = protocol_error(protocol)
    if reason:
        c.add("Protocol", protocol.number if protocol.number is not None else protocol.name, reason)


def check_port(c: Collector, value: object) -> None:
    """Tag ``portName`` then libcalico-go ``validatePort`` on one numorstring Port."""
    port = parse_port(value)
    if port.name and names.port_name_errors(port.name):
        c.tag("PortName", port.name, "portName")
    if port.min_port > port.max_port:
        c.add("Port", port.max_port, "port range invalid")
    if port.name:
        if port.min_port or port.max_port:
            c.add("Port", port.name, "named port invalid, if name is specified, min and max should be 0")
    elif port.min_port < 1:
        c.add("Port", port.min_port, PORT_RANGE_MSG)
    elif port.max_port < 1:
        c.add("Port", port.max_port, PORT_RANGE_MSG)


def check_icmp(c: Collector, icmp: Doc | None) -> None:
    """ICMPFields: ``type`` 0–254, ``code`` 0–255 (tags ``gte``/``lte``), code needs a type."""
    if icmp is None:
        return
    for field, key, high in (("Type", "type", 254), ("Code", "code", 255)):
        value = icmp.get(key)
        if value is None:
            continue
        if value < 0:
            c.tag(field, value, "gte")
        elif value > high:
            c.tag(field, value, "lte")
    if icmp.get("code") is not None and icmp.get("type") is None:
        c.add("Code", icmp["code"], "ICMP code specified without an ICMP type")


def _check_entity_rule(c: Collector, rule: Doc) -> None:
    for i, net in enumerate(rule.get("nets") or []):
        if not is_strict_net(net):
            c.tag(f"Nets[{i}]", net, "net")
    check_selector(c, "Selector", rule.get("selector"))
    check_selector(c, "NamespaceSelector", rule.get("namespaceSelector"))
    services = rule.get("services")
    if services is not None:
        check_name_tag(c, "Name", services.get("name"))
        check_name_tag(c, "Namespace", services.get("namespace"))
    for port in rule.get("ports") or []:
        check_port(c, port)
    for i, net in enumerate(rule.get("notNets") or []):
        if not is_strict_net(net):
            c.tag(f"NotNets[{i}]", net, "net")
    check_selector(c, "NotSelector", rule.get("notSelector"))
    for port in rule.get("notPorts") or []:
        check_port(c, port)
    accounts = rule.get("serviceAccounts")
    if accounts is not None:
        check_selector(c, "Selector", accounts.get("selector"))
    _entity_rule_struct(c, rule)


def _entity_rule_struct(c: Collector, rule: Doc) -> None:
    selector_text = rule.get("selector", "")
    if GLOBAL_SELECTOR in selector_text:
        c.add("Selector field", selector_text, GLOBAL_SELECTOR_ENTITY_RULE)
    ns_selector = rule.get("namespaceSelector", "")
    if "global(" in ns_selector and ns_selector != GLOBAL_SELECTOR:
        try:
            tokens = selectors.tokenize(ns_selector)
            only_global = len(tokens) <= 2 and tokens[0].kind is selectors.Tok.GLOBAL
        except ValueError:
            only_global = False
        if not only_global:
            c.add("NamespaceSelector field", ns_selector, GLOBAL_SELECTOR_ONLY)
    services = rule.get("services")
    if services is None:
        return
    shown = _go_struct_pointer([services.get("name", ""), services.get("namespace", "")])
    if not services.get("name"):
        c.add("Services field", shown, "must specify a service name")
    if rule.get("namespaceSelector"):
        c.add("Services field", shown, "cannot specify NamespaceSelector and Services on the same rule")
    if rule.get("selector") or rule.get("notSelector"):
        c.add("Services field", shown, "cannot specify Selector/NotSelector and Services on the same rule")
    if rule.get("serviceAccounts") is not None:
        c.add("Services field", shown, "cannot specify ServiceAccounts and Services on the same rule")
    if rule.get("nets") or rule.get("notNets"):
        c.add("Services field", shown, "cannot specify Nets/NotNets and Services on the same rule")


def _go_struct_pointer(fields: list[str]) -> str:
    """Go's ``%v`` of a pointer to a struct of strings: ``&{a b}``."""
    return "&{" + " ".join(fields) + "}"


def _paths_shown(http: Doc) -> str:
    """Go's ``%v`` of ``[]HTTPPath``: ``[{/exact } { /prefix}]``."""
    return "[" + " ".join("{" + p.get("exact", "") + " " + p.get("prefix", "") + "}"
                          for p in http.get("paths") or []) + "]"


def http_shown(http: Doc) -> str:
    """Go's ``%v`` of a ``*HTTPMatch``: ``&{[GET PUT] [{/exact } { /prefix}]}``."""
    methods = "[" + " ".join(http.get("methods") or []) + "]"
    return f"&{{{methods} {_paths_shown(http)}}}"


def _check_http(c: Collector, http: Doc | None) -> None:
    if http is None:
        return
    methods = list(http.get("methods") or [])
    if len(set(methods)) != len(methods):
        c.add("Methods", methods, f"Invalid methods (duplicates): [{' '.join(methods)}]")
    for path in http.get("paths") or []:
        exact, prefix = path.get("exact", ""), path.get("prefix", "")
        reason = None
        if exact and prefix:
            reason = "Invalid path match. Both 'exact' and 'prefix' are set"
        elif not (exact or prefix):
            reason = "Invalid path match. Either 'exact' or 'prefix' must be set"
        else:
            value = exact or prefix
            if not value.startswith("/") or any(ch in value for ch in "? #"):
                reason = f"Invalid path {value}. (must start with `/` and not contain `?` or `#`"
        if reason:
            c.add("Paths", _paths_shown(http), reason)
            break


def check_rule(c: Collector, rule: Doc) -> None:
    """One policy/profile Rule: field tags, nested structs, then libcalico-go ``validateRule``."""
    action = rule.get("action", "")
    if not ACTION_RE.fullmatch(action):
        c.tag("Action", action, "action")
    ip_version = rule.get("ipVersion")
    if ip_version is not None and ip_version not in (4, 6):
        c.tag("IPVersion", ip_version, "ipVersion")
    check_protocol(c, rule.get("protocol"))
    check_icmp(c, rule.get("icmp"))
    check_protocol(c, rule.get("notProtocol"))
    check_icmp(c, rule.get("notICMP"))
    source = rule.get("source") or {}
    destination = rule.get("destination") or {}
    _check_entity_rule(c, source)
    _check_entity_rule(c, destination)
    _check_http(c, rule.get("http"))
    metadata = rule.get("metadata")
    if metadata is not None:
        check_annotations(c, metadata.get("annotations"))
    _rule_struct(c, rule, source, destination)


def _rule_struct(c: Collector, rule: Doc, source: Doc, destination: Doc) -> None:
    protocol = _protocol(rule.get("protocol"))
    not_protocol = _protocol(rule.get("notProtocol"))
    if protocol is None or not protocol.supports_ports:
        for field, entity, key in (
            ("Source.Ports", source, "ports"),
            ("Source.NotPorts", source, "notPorts"),
            ("Destination.Ports", destination, "ports"),
            ("Destination.NotPorts", destination, "notPorts"),
        ):
            if entity.get(key):
                c.add(field, [str(parse_port(p)) for p in entity[key]], PROTOCOL_PORTS_MSG)
    http = rule.get("http")
    if http is not None and protocol is not None and not protocol.same_as("TCP"):
        c.add("Protocol", str(protocol), PROTOCOL_HTTP_MSG)
    icmp = rule.get("icmp")
    if icmp is not None and (protocol is None or not (protocol.same_as("ICMP") or protocol.same_as("ICMPv6"))):
        c.add("ICMP", _icmp_shown(icmp), PROTOCOL_ICMP_MSG)
    ip_version = rule.get("ipVersion")
    uses = {p.name for p in (protocol, not_protocol) if p is not None and p.number is None}
    if "ICMP" in uses and ip_version is not None and ip_version != 4:
        c.add("IPVersion", _icmp_shown(icmp), "must set ipversion to '4' with protocol icmp")
    if "ICMPv6" in uses and ip_version is not None and ip_version != 6:
        c.add("IPVersion", _icmp_shown(icmp), "must set ipversion to '6' with protocol icmpv6")
    _scan_nets(c, rule, source, destination)
    if rule.get("action") != "Allow" and http is not None:
        c.add("HTTP", http_shown(http), "only valid for Allow rules")
    if destination.get("services") is not None and destination.get("ports"):
        c.add("Destination.Ports", [str(parse_port(p)) for p in destination["ports"]],
              "cannot specify ports with a service selector")
    if destination.get("services") is not None and destination.get("notPorts"):
        c.add("Destination.NotPorts", [str(parse_port(p)) for p in destination["notPorts"]],
              "cannot specify notports with a service selector")


def _icmp_shown(icmp: Doc | None) -> str:
    if icmp is None:
        return "<nil>"
    parts = [str(icmp[k]) if icmp.get(k) is not None else "<nil>" for k in ("type", "code")]
    return _go_struct_pointer(parts)


def _scan_nets(c: Collector, rule: Doc, source: Doc, destination: Doc) -> None:
    seen_v4 = seen_v6 = False
    ip_version = rule.get("ipVersion")
    for field, nets in (
        ("Source.Nets", source.get("nets") or []),
        ("Source.NotNets", source.get("notNets") or []),
        ("Destination.Nets", destination.get("nets") or []),
        ("Destination.NotNets", destination.get("notNets") or []),
    ):
        v4 = v6 = False
        for net in nets:
            try:
                version = parse_cidr(net).version
            except ValueError:
                c.add(field, net, "invalid CIDR")
                continue
            v4 = v4 or version == 4
            v6 = v6 or version == 6
        if ip_version is not None and ((v4 and ip_version != 4) or (v6 and ip_version != 6)):
            c.add(field, list(source.get("nets") or []), "rule IP version doesn't match CIDR version")
        if (v4 and seen_v6) or (v6 and seen_v4) or (v4 and v6):
            c.add(field, list(nets), "rule contains both IPv4 and IPv6 CIDRs")
        seen_v4 = seen_v4 or v4
        seen_v6 = seen_v6 or v6


def check_rules(c: Collector, rules: list[Doc] | None) -> None:
    """Tag ``omitempty,dive`` over a rule list."""
    for rule in rules or []:
        check_rule(c, rule)


def spec_of(doc: Doc) -> Doc:
    """The document's ``spec`` (empty when absent)."""
    return doc.get("spec") or {}


def meta_of(doc: Doc) -> Doc:
    """The document's ``metadata`` (empty when absent)."""
    return doc.get("metadata") or {}


def check_regex_tag(c: Collector, field: str, value: str | None, regex: re.Pattern, tag: str) -> None:
    """An ``omitempty,<tag>`` field whose valid values match ``regex``."""
    if value and not regex.fullmatch(value):
        c.tag(field, value, tag)


def check_oneof(c: Collector, field: str, value: str | None, allowed: tuple[str, ...]) -> None:
    """An ``omitempty,oneof=...`` field."""
    if value and value not in allowed:
        c.tag(field, value, "oneof")


def check_ip_tag(c: Collector, field: str, value: str | None, version: int | None, tag: str) -> None:
    """An ``omitempty,ip|ipv4|ipv6`` field."""
    if value and not is_ip_of_version(value, version):
        c.tag(field, value, tag)


def check_cidr_list(c: Collector, go_field: str, values: list[str] | None) -> None:
    """An ``omitempty,dive,cidr`` list: items reported as ``<Field>[i]``."""
    for i, value in enumerate(values or []):
        if not is_cidr(value):
            c.tag(f"{go_field}[{i}]", value, "cidr")
