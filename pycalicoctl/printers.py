"""Pure printers: Calico v3 JSON objects (as produced by ``to_dict``) → the text calicoctl prints.

* :func:`tabwriter` — Go ``text/tabwriter`` (minwidth 5, padding 3, every cell tab-terminated).
* :func:`to_json` — Go ``json.MarshalIndent`` (struct key order, ``<>&`` escaped, ``creationTimestamp: null``).
* :func:`to_yaml` — ghodss/go-yaml v2 (keys sorted, YAML-1.1-ambiguous strings double-quoted).
* :func:`go_value` / :func:`join_and_truncate` — Go ``%v`` and calicoctl's template helpers.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

TYPE_CHECKING = False  # typing stays unimported: this module is on the click-free fast path (fastget)
if TYPE_CHECKING:
    from typing import Any

_METADATA_ORDER = (
    "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
    "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
    "ownerReferences", "finalizers", "managedFields",
)
_TOP_ORDER = ("kind", "apiVersion", "metadata", "items", "spec", "status")


def tabwriter(rows: Sequence[Sequence[str]]) -> str:
    """Rows (header first) aligned as Go tabwriter(minwidth=5, tabwidth=1, padding=3) with every cell
    tab-terminated: each cell left-aligned to max(5, widest+3); trailing spaces kept."""
    if not rows:
        return ""
    columns = max(len(r) for r in rows)
    widths = [5] * columns
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell) + 3)
    return "".join("".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + "\n" for row in rows)


def _digits(value: float) -> tuple[str, str, int]:
    """(sign, shortest round-trip digits, decimal exponent of the first digit) of a finite float."""
    from decimal import Decimal

    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    text = "".join(map(str, digits))
    return ("-" if sign else ""), text, len(text) + int(exponent) - 1


def _plain(text: str, exp: int) -> str:
    if exp >= len(text) - 1:
        return text + "0" * (exp - len(text) + 1)
    if exp >= 0:
        return text[: exp + 1] + "." + text[exp + 1:]
    return "0." + "0" * (-exp - 1) + text


def _exponent_form(text: str, exp: int, min_digits: int) -> str:
    mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
    return f"{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):0{min_digits}d}"


def go_float_v(value: float) -> str:
    """Go ``fmt.Sprint`` of a float64 (``%g`` shortest): exponent form when exp < -4 or exp >= 6."""
    if value == 0:
        return "0"
    sign, text, exp = _digits(value)
    if exp < -4 or exp >= 6:
        return sign + _exponent_form(text, exp, 2)
    return sign + _plain(text, exp)


def go_json_number(value: float) -> str:
    """Go ``encoding/json`` text of a float64: plain unless |v| < 1e-6 or |v| >= 1e21."""
    if value == 0:
        return "0"
    sign, text, exp = _digits(value)
    if exp < -6 or exp >= 21:
        return sign + _exponent_form(text, exp, 1)
    return sign + _plain(text, exp)


def go_value(value: Any) -> str:
    """Go ``fmt.Sprint`` of a decoded JSON value (maps as ``map[k:v]``, slices as ``[a b]``, nil ``<nil>``)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float_v(value)
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(go_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{go_value(value[k])}" for k in sorted(value)) + "]"
    return str(value)


def join_and_truncate(items: Any, separator: str, max_len: int = 0) -> str:
    """calicoctl's ``joinAndTruncate``: maps become sorted ``k=v``; past ``max_len`` cut to max-3 + ``...``."""
    if items is None:
        return ""
    if isinstance(items, Mapping):
        items = sorted(f"{k}={go_value(v)}" for k, v in items.items())
    if not isinstance(items, (list, tuple)):
        items = [items]
    out = ""
    for index, item in enumerate(items):
        if index:
            out += separator
        out += go_value(item)
        if max_len > 0 and len(out.encode()) > max_len:
            return out.encode()[: max_len - 3].decode(errors="ignore") + "..."
    return out


# ---------------------------------------------------------------------------------------------- JSON

def go_order(obj: Any) -> Any:
    """Reorder a resource / list dict into Go struct order for JSON output (kind before apiVersion,
    ObjectMeta field order, ``creationTimestamp`` always present)."""
    if isinstance(obj, list):
        return [go_order(item) for item in obj]
    if not isinstance(obj, Mapping):
        return obj
    ordered: dict[str, Any] = {}
    for key in _TOP_ORDER:
        if key in obj:
            ordered[key] = obj[key]
    for key in obj:
        if key not in ordered:
            ordered[key] = obj[key]
    if "metadata" in ordered and isinstance(ordered["metadata"], Mapping):
        ordered["metadata"] = _order_metadata(ordered["metadata"], "items" in ordered)
    if "items" in ordered and isinstance(ordered["items"], list):
        ordered["items"] = [go_order(item) for item in ordered["items"]]
    return ordered


def _order_metadata(meta: Mapping[str, Any], is_list: bool) -> dict[str, Any]:
    if is_list:
        return dict(meta)
    stamped = {**meta, "creationTimestamp": meta.get("creationTimestamp") or None}
    ordered = {k: stamped[k] for k in _METADATA_ORDER if k in stamped}
    for key in meta:
        if key not in ordered:
            ordered[key] = meta[key]
    return ordered


def to_json(objects: Sequence[Mapping[str, Any]]) -> str:
    """``-o json``: one object alone, several as an array, none as ``null``; 2-space indent + newline."""
    payload: Any
    if not objects:
        payload = None
    elif len(objects) == 1:
        payload = go_order(objects[0])
    else:
        payload = [go_order(o) for o in objects]
    import json
    import os

    token = os.urandom(16).hex()  # per call, so no stored string can imitate a float marker
    text = json.dumps(_go_floats(payload, token), indent=2, ensure_ascii=False, default=_json_default)
    if token in text:
        text = re.sub(f'"{token}([-+.e0-9]+)"', lambda m: m.group(1), text)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n"


def _go_floats(value: Any, token: str) -> Any:
    """Floats as Go's encoding/json writes them: integral values without a fraction (``1000000``,
    not ``1000000.0``); others become ``token`` + Go's text (``0.000001``, not ``1e-06``; see
    :func:`go_json_number`), a string the caller unquotes after ``json.dumps``."""
    if isinstance(value, float) and value == value and abs(value) < 1e21 and value == int(value):
        return int(value)
    if isinstance(value, float) and math.isfinite(value):
        return token + go_json_number(value)
    if isinstance(value, Mapping):
        return {k: _go_floats(v, token) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_go_floats(v, token) for v in value]
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


# ---------------------------------------------------------------------------------------------- YAML

_GO_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_GO_EXTRA_BOOL = frozenset({"y", "Y", "n", "N"})
_DUMPER: Any = None


def _dumper() -> Any:
    global _DUMPER
    if _DUMPER is not None:
        return _DUMPER
    import yaml

    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    resolver = yaml.resolver.Resolver()

    class GoDumper(base):  # type: ignore[misc, valid-type]
        """SafeDumper emitting what go-yaml v2 emits for ghodss-converted JSON."""

    def represent_str(dumper: Any, data: str) -> Any:
        style = None
        if "\n" in data:
            style = "|"
        elif (
            data == ""
            or data in _GO_EXTRA_BOOL
            or _GO_FLOAT.match(data)
            or resolver.resolve(yaml.ScalarNode, data, (True, False)) != "tag:yaml.org,2002:str"
        ):
            style = '"'
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)

    def represent_float(dumper: Any, data: float) -> Any:
        if data == int(data) and abs(data) < 1e21:
            return dumper.represent_scalar("tag:yaml.org,2002:int", str(int(data)))
        return dumper.represent_scalar("tag:yaml.org,2002:float", go_float_v(data))

    def represent_mapping(dumper: Any, data: Mapping) -> Any:
        return dumper.represent_dict(dict(data))

    def represent_sequence(dumper: Any, data: Any) -> Any:
        return dumper.represent_list(list(data))

    GoDumper.add_representer(str, represent_str)
    GoDumper.add_representer(float, represent_float)
    GoDumper.add_implicit_resolver("tag:yaml.org,2002:float", _GO_FLOAT, list("-+0123456789."))
    GoDumper.add_multi_representer(Mapping, represent_mapping)
    GoDumper.add_representer(tuple, represent_sequence)
    _DUMPER = GoDumper
    return GoDumper


def to_yaml(objects: Sequence[Mapping[str, Any]]) -> str:
    """``-o yaml``: keys sorted, one object alone, several as a sequence, none as ``null``."""
    if not objects:
        return "null\n"
    import yaml

    payload = go_order(objects[0]) if len(objects) == 1 else [go_order(o) for o in objects]
    return yaml.dump(payload, Dumper=_dumper(), default_flow_style=False, sort_keys=True, allow_unicode=True)
