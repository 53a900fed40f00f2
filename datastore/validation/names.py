"""Name, label and annotation rules: Kubernetes ``util/validation`` wording and Calico's name regexes.

The ``*_errors`` functions return the list of problem strings exactly as Kubernetes words them
(an empty list means valid); the regex constants are the ones libcalico-go's validator compiles.
"""
from __future__ import annotations

import re

NAME_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
NAME_SUBDOMAIN_FMT = NAME_LABEL_FMT + "(\\." + NAME_LABEL_FMT + ")*"

NAME_RE = re.compile(NAME_SUBDOMAIN_FMT)
TIER_NAME_RE = re.compile(NAME_LABEL_FMT)
CONTAINER_ID_RE = re.compile("[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?")
NETWORK_POLICY_NAME_RE = re.compile(
    "((" + NAME_LABEL_FMT + ")(\\." + NAME_LABEL_FMT + ")?|((?:knp|ossg)\\.default\\.(" + NAME_SUBDOMAIN_FMT + ")))"
)
GLOBAL_NETWORK_POLICY_NAME_RE = re.compile("(" + NAME_LABEL_FMT + "\\.)?" + NAME_LABEL_FMT)

DNS1123_SUBDOMAIN_MAX_LENGTH = 253
DNS1123_LABEL_MAX_LENGTH = 63
QUALIFIED_NAME_MAX_LENGTH = 63
LABEL_VALUE_MAX_LENGTH = 63
TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024

SUBDOMAIN_NAME_REASON = (
    "name must consist of lower case alphanumeric characters, '-' or '.' (regex: " + NAME_SUBDOMAIN_FMT + ")"
)
LABEL_NAME_REASON = "name must consist of lower case alphanumeric characters or '-' (regex: " + NAME_LABEL_FMT + ")"

_QNAME_CHAR = "[A-Za-z0-9]"
_QNAME_EXT_CHAR = "[-A-Za-z0-9_.]"
_QUALIFIED_NAME_FMT = "(" + _QNAME_CHAR + _QNAME_EXT_CHAR + "*)?" + _QNAME_CHAR
_QUALIFIED_NAME_RE = re.compile(_QUALIFIED_NAME_FMT)
_QUALIFIED_NAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
)
_LABEL_VALUE_FMT = "(" + _QUALIFIED_NAME_FMT + ")?"
_LABEL_VALUE_RE = re.compile(_LABEL_VALUE_FMT)
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character"
)
_DNS1123_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character"
)
_PORT_NAME_CHARSET_RE = re.compile("[-a-z0-9]+")
_PORT_NAME_ONE_LETTER_RE = re.compile("[a-z]")


def max_len_error(length: int) -> str:
    """Kubernetes ``MaxLenError``."""
    return f"must be no more than {length} characters"


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """Kubernetes ``RegexError`` (its examples list really reads ``'a',  or 'b'``)."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    text = msg + " (e.g. "
    for i, example in enumerate(examples):
        if i > 0:
            text += " or "
        text += f"'{example}', "
    return text + f"regex used for validation is '{fmt}')"


def dns1123_subdomain_errors(value: str) -> list[str]:
    """Kubernetes ``IsDNS1123Subdomain``."""
    errors = []
    if len(value) > DNS1123_SUBDOMAIN_MAX_LENGTH:
        errors.append(max_len_error(DNS1123_SUBDOMAIN_MAX_LENGTH))
    if not NAME_RE.fullmatch(value):
        errors.append(regex_error(_DNS1123_SUBDOMAIN_MSG, NAME_SUBDOMAIN_FMT, "example.com"))
    return errors


def dns1123_label_errors(value: str) -> list[str]:
    """Kubernetes ``IsDNS1123Label``."""
    errors = []
    if len(value) > DNS1123_LABEL_MAX_LENGTH:
        errors.append(max_len_error(DNS1123_LABEL_MAX_LENGTH))
    if not TIER_NAME_RE.fullmatch(value):
        errors.append(regex_error(_DNS1123_LABEL_MSG, NAME_LABEL_FMT, "my-name", "123-abc"))
    return errors


def qualified_name_errors(value: str) -> list[str]:
    """Kubernetes ``IsQualifiedName`` (label keys, annotation keys): optional DNS prefix + '/' + name."""
    errors: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            errors.extend("prefix part " + msg for msg in dns1123_subdomain_errors(prefix))
    else:
        return [
            "a qualified name "
            + regex_error(_QUALIFIED_NAME_MSG, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > QUALIFIED_NAME_MAX_LENGTH:
        errors.append("name part " + max_len_error(QUALIFIED_NAME_MAX_LENGTH))
    if not _QUALIFIED_NAME_RE.fullmatch(name):
        errors.append(
            "name part " + regex_error(_QUALIFIED_NAME_MSG, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
        )
    return errors


def label_value_errors(value: str) -> list[str]:
    """Kubernetes ``IsValidLabelValue``."""
    errors = []
    if len(value) > LABEL_VALUE_MAX_LENGTH:
        errors.append(max_len_error(LABEL_VALUE_MAX_LENGTH))
    if not _LABEL_VALUE_RE.fullmatch(value):
        errors.append(regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errors


def port_name_errors(value: str) -> list[str]:
    """Kubernetes ``IsValidPortName`` (IANA service name rules)."""
    errors = []
    if len(value) > 15:
        errors.append(max_len_error(15))
    if not _PORT_NAME_CHARSET_RE.fullmatch(value):
        errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _PORT_NAME_ONE_LETTER_RE.search(value):
        errors.append("must contain at least one letter or number (a-z, 0-9)")
    if "--" in value:
        errors.append("must not contain consecutive hyphens")
    if value and (value[0] == "-" or value[-1] == "-"):
        errors.append("must not begin or end with a hyphen")
    return errors


def is_valid_name(value: str) -> bool:
    """Calico tag ``name``: a DNS-1123 subdomain pattern (length is not checked by the tag)."""
    return isinstance(value, str) and NAME_RE.fullmatch(value) is not None


def labels_are_valid(labels: dict[str, str]) -> bool:
    """Calico tag ``labels``: every key a qualified name and every value a label value."""
    return all(not qualified_name_errors(k) and not label_value_errors(v) for k, v in labels.items())


PRE_FORMATTED_POLICY_PREFIXES = ("knp.default.", "kanp.adminnetworkpolicy.", "ossg.")


def tiered_policy_name_error(policy: str, tier: str) -> str | None:
    """libcalico-go ``names.ValidateTieredPolicyName``: the error text, or None when the name fits the tier.

    Policies in the default tier may omit the ``default.`` prefix; in any other tier the name must be
    ``<tier>.<name>``. Kubernetes- and OpenStack-derived names are accepted as formatted.
    """
    if not policy:
        return "Policy name is empty"
    if policy.startswith(PRE_FORMATTED_POLICY_PREFIXES):
        return None
    tier = tier or "default"
    if "." not in policy and tier == "default":
        return None
    if "." in policy and policy.startswith(tier + "."):
        return None
    return f"Incorrectly formatted policy name {policy}"
