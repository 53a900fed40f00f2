"""Validation as strict as libcalico-go: every field error of a resource, reported together.

Public entry points:

* ``validate(resource)`` — libcalico-go's struct validation (``validator.Validate``) plus the
  pure per-kind client rules (BGPConfiguration default-only fields); raises
  ``datastore.errors.ValidationError`` with all FieldErrors in libcalico-go's order and wording.
  Accepts a resource dataclass or its v3 JSON document.
* ``check_ippool(new, old=None, others=())`` — the IPPool client-side checks that run *before*
  ``validate`` (give it the pool as the user wrote it, before ``with_defaults``: it normalises
  the CIDR itself and must see the host bits); returns the normalised, defaulted pool.
* ``check_block_size_conflicts``, ``pools_overlap``, ``check_bgppeer_filters`` — the pieces needing datastore contents,
  as pure functions the client calls with what it read.
* ``assign_or_check_workload_endpoint_name`` — WorkloadEndpoint naming as clientv3 checks it.
* Field primitives: ``parse_asn``, ``parse_port``, ``parse_protocol``, ``parse_cidr``,
  ``validate_name``, ``validate_cidr`` and the name/label helpers in ``names``.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from datastore.errors import FieldError, ValidationError
from datastore.validation import names
from datastore.validation.fields import Port, Protocol, parse_asn, parse_port, parse_protocol
from datastore.validation.ippool import check_block_size_conflicts, overlap_errors, pools_overlap
from datastore.validation.ippool import check_ippool as _check_ippool_doc
from datastore.validation.bgp import bgpconfiguration_default_only, check_bgppeer_filters
from datastore.validation.endpoints import assign_or_check_workload_endpoint_name, expected_workload_endpoint_name
from datastore.validation.kinds import KIND_VALIDATORS
from datastore.validation.netparse import ParsedCIDR, parse_cidr, parse_cidr_or_ip, parse_ip
from datastore.validation.report import Collector

__all__ = [
    "Port",
    "Protocol",
    "assign_or_check_workload_endpoint_name",
    "expected_workload_endpoint_name",
    "ParsedCIDR",
    "check_bgppeer_filters",
    "check_block_size_conflicts",
    "check_ippool",
    "field_errors",
    "names",
    "overlap_errors",
    "parse_asn",
    "parse_cidr",
    "parse_cidr_or_ip",
    "parse_ip",
    "parse_port",
    "parse_protocol",
    "pools_overlap",
    "validate",
    "validate_cidr",
    "validate_name",
]


def _document(resource: Any) -> Mapping[str, Any]:
    if isinstance(resource, Mapping):
        return resource
    from datastore.resources import to_dict

    return to_dict(resource)


def field_errors(resource: Any) -> tuple[FieldError, ...]:
    """Every struct-validation error of ``resource`` (empty when valid); pure."""
    doc = _document(resource)
    validator = KIND_VALIDATORS.get(doc.get("kind", ""))
    if validator is None:
        raise ValueError(f"no validator for kind {doc.get('kind')!r}")
    collector = Collector()
    validator(collector, doc)
    return collector.errors


def validate(resource: Any) -> None:
    """Raise ValidationError with all field errors of ``resource`` as libcalico-go reports them.

    As in libcalico-go, BGPConfiguration's default-only field rules are a second pass, reported
    only when the struct validation passed.
    """
    errors = field_errors(resource)
    if errors:
        raise ValidationError(errors)
    doc = _document(resource)
    if doc.get("kind") == "BGPConfiguration":
        collector = Collector()
        bgpconfiguration_default_only(collector, doc)
        collector.raise_if_any()


def check_ippool(new: Any, old: Any = None, others: Iterable[Any] = ()) -> Any:
    """IPPool client-side checks and defaults (libcalico-go ``validateAndSetDefaults``).

    ``new``/``old``/``others`` may be IPPool resources or documents; the result has the same
    form as ``new``. ``old`` is the stored pool on update (None on create), ``others`` the
    existing pools (overlap is checked on create only).
    """
    old_doc = _document(old) if old is not None else None
    result = _check_ippool_doc(_document(new), old_doc, [_document(o) for o in others])
    if isinstance(new, Mapping):
        return result
    from datastore.resources import from_dict

    return from_dict(result)


def validate_name(name: str, field: str = "Metadata.Name") -> None:
    """Raise ValidationError unless ``name`` is a valid (DNS-1123 subdomain) resource name."""
    collector = Collector()
    if len(name.encode()) > names.DNS1123_SUBDOMAIN_MAX_LENGTH:
        collector.add(field, name, f"name is too long by {len(name.encode()) - names.DNS1123_SUBDOMAIN_MAX_LENGTH} bytes")
    if not names.NAME_RE.fullmatch(name):
        collector.add(field, name, names.SUBDOMAIN_NAME_REASON)
    collector.raise_if_any()


def validate_cidr(text: str, field: str = "CIDR", strict: bool = False) -> ParsedCIDR:
    """Parse ``text`` as a CIDR or IP (Go semantics); ``strict`` also forbids host bits.

    Raises ValidationError with the struct-tag reason (tag ``net`` when strict, else ``cidr``).
    """
    collector = Collector()
    try:
        parsed = parse_cidr_or_ip(text)
    except ValueError:
        parsed = None
    if parsed is None or (strict and not parsed.strictly_masked):
        collector.tag(field, text, "net" if strict else "cidr")
        collector.raise_if_any()
    return parsed
