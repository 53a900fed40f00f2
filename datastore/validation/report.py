"""Collecting field errors the way libcalico-go's validator reports them.

* A struct-tag failure reads ``Reason: failed to validate Field: <Field> because of Tag: <tag> ``
  (trailing space) and is named by the Go struct field (``PeerIP``, ``Nets[0]``).
* A struct-level failure carries its own reason and the name the Go code passed.
* Values print as Go's ``%v`` would print them (``[a b]`` for lists, ``true``/``false``, ``1e+06``).
"""
from __future__ import annotations

import math
from typing import Iterable

from datastore.errors import FieldError, ValidationError


def go_value(value: object) -> str:
    """Render ``value`` as Go's ``fmt`` ``%v`` renders the decoded JSON value."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(go_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{go_value(k)}:{go_value(value[k])}" for k in sorted(value)) + "]"
    return str(value)


def go_float(value: float) -> str:
    """Go ``%v`` of a float64: shortest digits, ``%e`` form when the exponent is < -4 or >= 6."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    mantissa, _, exp_text = f"{abs(value)!r}".partition("e")
    whole, _, frac = mantissa.partition(".")
    exp = int(exp_text) if exp_text else 0
    digits = (whole + frac).lstrip("0")
    point = len(whole.lstrip("0")) + exp if whole.strip("0") else exp - (len(frac) - len(frac.lstrip("0")))
    digits = digits.rstrip("0") or "0"
    decimal_exp = point - 1
    if decimal_exp < -4 or decimal_exp >= 6:
        body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{body}e{'+' if decimal_exp >= 0 else '-'}{abs(decimal_exp):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def tag_reason(field: str, tag: str) -> str:
    """The reason text go-playground produces for a failed struct tag."""
    return f"Reason: failed to validate Field: {field} because of Tag: {tag} "


class Collector:
    """Accumulates FieldErrors in report order for one validation pass."""

    def __init__(self) -> None:
        self._errors: list[FieldError] = []

    def add(self, name: str, value: object, reason: str) -> None:
        """A struct-level error: field ``name`` with ``value`` (None: no value part) and ``reason``."""
        if value is None:
            self._errors.append(FieldError(name, None, reason, has_value=False))
        else:
            self._errors.append(FieldError(name, go_value(value), reason))

    def tag(self, field: str, value: object, tag: str) -> None:
        """A struct-tag failure of Go field ``field``."""
        self.add(field, value, tag_reason(field, tag))

    def extend(self, errors: Iterable[FieldError]) -> None:
        """Append already-built field errors."""
        self._errors.extend(errors)

    @property
    def errors(self) -> tuple[FieldError, ...]:
        """The errors collected so far."""
        return tuple(self._errors)

    def raise_if_any(self) -> None:
        """Raise ValidationError with every collected error, if there is at least one."""
        if self._errors:
            raise ValidationError(self._errors)
