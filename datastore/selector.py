"""Calico's label-selector language: tokenizer, parser, canonical form and evaluator.

Behaviour follows libcalico-go ``lib/selector/{tokenizer,parser}`` as shipped in Calico v3.29
(the regular-expression tokenizer, before the 2024-12 rewrite):

* whitespace between tokens is only space and tab; a label is ``[a-zA-Z0-9_./-]{1,512}``;
  strings are ``"..."`` or ``'...'`` without escapes;
* after a label only an operator may follow: ``==``, ``!=``, ``contains``, ``starts with``,
  ``ends with``, ``not in``, ``in`` (``startswith``, ``notin`` ... also work);
* precedence, lowest first: ``||``, ``&&``, prefix ``!`` (any number, collapsed by parity),
  primaries (``all()``, ``global()``, ``has(k)``, ``k op "v"``, ``k [not] in {..}``, ``( .. )``);
* an empty selector means ``all()``;
* ``!=`` and ``not in`` are true when the label is absent; the other comparisons need it present;
* ``str(selector)`` is Go's ``String()``: ``&&``/``||`` groups always parenthesised, values in
  double quotes unless they contain ``"``, set members sorted and de-duplicated.

Errors carry libcalico-go's wording (tokens shown as Go prints them, ``{17 <nil>}``) plus the
0-based position of the offending input.
"""
from __future__ import annotations

import base64
from abc import ABC, abstractmethod
import hashlib
import re
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache
from typing import Callable, Mapping

__all__ = [
    "MAX_LABEL_LENGTH",
    "SelectorParseError",
    "Selector",
    "Tok",
    "Token",
    "tokenize",
    "Node",
    "AllNode",
    "GlobalNode",
    "HasNode",
    "EqNode",
    "NeNode",
    "ContainsNode",
    "StartsWithNode",
    "EndsWithNode",
    "InNode",
    "NotInNode",
    "NotNode",
    "AndNode",
    "OrNode",
    "parse",
]

MAX_LABEL_LENGTH = 512

Evaluator = Callable[[Mapping[str, str]], bool]


class SelectorParseError(ValueError):
    """A selector that libcalico-go would reject.

    ``reason`` is libcalico-go's error text, ``position`` the 0-based index into the selector
    where the problem was found; ``str(err)`` (also ``err.message``) combines both.
    """

    def __init__(self, reason: str, position: int):
        self.reason = reason
        self.position = position
        self.message = f"{reason} (at position {position})"
        super().__init__(self.message)


# ---------------------------------------------------------------------------------------------
# Tokenizer


class Tok(IntEnum):
    """Token kinds, numbered as libcalico-go's ``tokenKind`` (the numbers appear in parser errors)."""

    NONE = 0
    LABEL = 1
    STRING = 2
    LBRACE = 3
    RBRACE = 4
    COMMA = 5
    EQ = 6
    NE = 7
    IN = 8
    NOT = 9
    NOT_IN = 10
    CONTAINS = 11
    STARTS_WITH = 12
    ENDS_WITH = 13
    ALL = 14
    HAS = 15
    LPAREN = 16
    RPAREN = 17
    AND = 18
    OR = 19
    GLOBAL = 20
    EOF = 21


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind, its value (label name or string contents, else None) and start position."""

    kind: Tok
    value: str | None
    pos: int

    def __str__(self) -> str:
        """Go's ``%v`` of the token struct, as it appears in parser errors: ``{17 <nil>}``, ``{1 app}``."""
        return f"{{{int(self.kind)} {'<nil>' if self.value is None else self.value}}}"


_SINGLE_CHAR = {"(": Tok.LPAREN, ")": Tok.RPAREN, "{": Tok.LBRACE, "}": Tok.RBRACE, ",": Tok.COMMA}
_DOUBLE_CHAR = {"=": (Tok.EQ, "expected =="), "&": (Tok.AND, "expected &&"), "|": (Tok.OR, "expected ||")}

# The tokenizer's regular expressions (RE2 ``\s`` is [\t\n\f\r ], ``\b`` is ASCII).
_LABEL = rf"[a-zA-Z0-9_./-]{{1,{MAX_LABEL_LENGTH}}}"
_SPACE = r"[\t\n\f\r ]"
_WHITESPACE_RE = re.compile(r"[ \t]*")
_LABEL_RE = re.compile(_LABEL)
_HAS_RE = re.compile(rf"has\({_SPACE}*({_LABEL}){_SPACE}*\)")
_ALL_RE = re.compile(rf"all\({_SPACE}*\)")
_GLOBAL_RE = re.compile(rf"global\({_SPACE}*\)")
_OPERATORS_AFTER_LABEL = (
    (re.compile("contains"), Tok.CONTAINS),
    (re.compile(rf"starts{_SPACE}*with"), Tok.STARTS_WITH),
    (re.compile(rf"ends{_SPACE}*with"), Tok.ENDS_WITH),
    (re.compile(rf"not{_SPACE}*in\b", re.ASCII), Tok.NOT_IN),
    (re.compile(r"in\b", re.ASCII), Tok.IN),
)


def _operator_after_label(text: str, i: int, label: str) -> tuple[Token, int]:
    """The word operator at ``i`` that follows a label (``contains``, ``starts with``, ...)."""
    for pattern, kind in _OPERATORS_AFTER_LABEL:
        match = pattern.match(text, i)
        if match:
            return Token(kind, None, i), match.end()
    raise SelectorParseError(f"unexpected characters after label '{label}', was expecting an operator", i)


def _word_token(text: str, i: int) -> tuple[Token, int]:
    """``has(label)``, ``all()``, ``global()`` or a label starting at ``i``."""
    match = _HAS_RE.match(text, i)
    if match:
        return Token(Tok.HAS, match.group(1), i), match.end()
    for pattern, kind in ((_ALL_RE, Tok.ALL), (_GLOBAL_RE, Tok.GLOBAL)):
        match = pattern.match(text, i)
        if match:
            return Token(kind, None, i), match.end()
    match = _LABEL_RE.match(text, i)
    if match:
        return Token(Tok.LABEL, match.group(), i), match.end()
    raise SelectorParseError("unexpected characters", i)


def tokenize(text: str) -> list[Token]:
    """Split a selector into tokens, ending with an EOF token; raises SelectorParseError."""
    tokens: list[Token] = []
    n = len(text)
    i = 0
    while True:
        i = _WHITESPACE_RE.match(text, i).end()
        if i >= n:
            tokens.append(Token(Tok.EOF, None, i))
            return tokens
        c = text[i]
        if c in _SINGLE_CHAR:
            token, i = Token(_SINGLE_CHAR[c], None, i), i + 1
        elif c == '"' or c == "'":
            end = text.find(c, i + 1)
            if end == -1:
                raise SelectorParseError("unterminated string", i)
            token, i = Token(Tok.STRING, text[i + 1:end], i), end + 1
        elif c == "!":
            token = Token(Tok.NE if text.startswith("!=", i) else Tok.NOT, None, i)
            i += 2 if token.kind is Tok.NE else 1
        elif c in _DOUBLE_CHAR:
            kind, error = _DOUBLE_CHAR[c]
            if not text.startswith(c + c, i):
                raise SelectorParseError(error, i)
            token, i = Token(kind, None, i), i + 2
        elif tokens and tokens[-1].kind is Tok.LABEL:
            token, i = _operator_after_label(text, i, tokens[-1].value)
        else:
            token, i = _word_token(text, i)
        tokens.append(token)


# ---------------------------------------------------------------------------------------------
# AST


def _quoted(value: str) -> str:
    quote = "'" if '"' in value else '"'
    return f"{quote}{value}{quote}"


class Node(ABC):
    """Base of the selector AST; nodes are immutable and compile to a fast evaluator closure."""

    __slots__ = ()

    @abstractmethod
    def compile(self) -> Evaluator:
        """Return a function evaluating this node against a label mapping."""

    @abstractmethod
    def __str__(self) -> str:
        """The node's fragment of the canonical selector string."""


def _always_true(labels: Mapping[str, str]) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class AllNode(Node):
    """``all()``: matches everything."""

    def compile(self) -> Evaluator:
        return _always_true

    def __str__(self) -> str:
        return "all()"


@dataclass(frozen=True, slots=True)
class GlobalNode(Node):
    """``global()``: matches every label set (it marks non-namespaced resources in policy scoping)."""

    def compile(self) -> Evaluator:
        return _always_true

    def __str__(self) -> str:
        return "global()"


@dataclass(frozen=True, slots=True)
class HasNode(Node):
    """``has(label)``: the label is present (any value)."""

    label: str

    def compile(self) -> Evaluator:
        label = self.label
        return lambda labels: label in labels

    def __str__(self) -> str:
        return f"has({self.label})"


@dataclass(frozen=True, slots=True)
class EqNode(Node):
    """``label == "value"``: present and equal."""

    label: str
    value: str

    def compile(self) -> Evaluator:
        label, value = self.label, self.value
        return lambda labels: labels.get(label) == value

    def __str__(self) -> str:
        return f"{self.label} == {_quoted(self.value)}"


@dataclass(frozen=True, slots=True)
class NeNode(Node):
    """``label != "value"``: absent, or present with another value."""

    label: str
    value: str

    def compile(self) -> Evaluator:
        label, value = self.label, self.value
        return lambda labels: labels.get(label) != value

    def __str__(self) -> str:
        return f"{self.label} != {_quoted(self.value)}"


@dataclass(frozen=True, slots=True)
class ContainsNode(Node):
    """``label contains "s"``: present and the value contains s."""

    label: str
    value: str

    def compile(self) -> Evaluator:
        label, value = self.label, self.value

        def evaluate(labels: Mapping[str, str]) -> bool:
            actual = labels.get(label)
            return actual is not None and value in actual

        return evaluate

    def __str__(self) -> str:
        return f"{self.label} contains {_quoted(self.value)}"


@dataclass(frozen=True, slots=True)
class StartsWithNode(Node):
    """``label starts with "s"``: present and the value starts with s."""

    label: str
    value: str

    def compile(self) -> Evaluator:
        label, value = self.label, self.value

        def evaluate(labels: Mapping[str, str]) -> bool:
            actual = labels.get(label)
            return actual is not None and actual.startswith(value)

        return evaluate

    def __str__(self) -> str:
        return f"{self.label} starts with {_quoted(self.value)}"


@dataclass(frozen=True, slots=True)
class EndsWithNode(Node):
    """``label ends with "s"``: present and the value ends with s."""

    label: str
    value: str

    def compile(self) -> Evaluator:
        label, value = self.label, self.value

        def evaluate(labels: Mapping[str, str]) -> bool:
            actual = labels.get(label)
            return actual is not None and actual.endswith(value)

        return evaluate

    def __str__(self) -> str:
        return f"{self.label} ends with {_quoted(self.value)}"


def _set_literal(values: tuple[str, ...]) -> str:
    return "{" + ", ".join(_quoted(v) for v in values) + "}"


@dataclass(frozen=True, slots=True)
class InNode(Node):
    """``label in {"a", "b"}``: present and one of the values (``values`` sorted, unique)."""

    label: str
    values: tuple[str, ...]

    def compile(self) -> Evaluator:
        label, values = self.label, frozenset(self.values)
        return lambda labels: labels.get(label) in values

    def __str__(self) -> str:
        return f"{self.label} in {_set_literal(self.values)}"


@dataclass(frozen=True, slots=True)
class NotInNode(Node):
    """``label not in {"a", "b"}``: absent, or present with a value outside the set."""

    label: str
    values: tuple[str, ...]

    def compile(self) -> Evaluator:
        label, values = self.label, frozenset(self.values)
        return lambda labels: labels.get(label) not in values

    def __str__(self) -> str:
        return f"{self.label} not in {_set_literal(self.values)}"


@dataclass(frozen=True, slots=True)
class NotNode(Node):
    """``!operand``."""

    operand: Node

    def compile(self) -> Evaluator:
        inner = self.operand.compile()
        return lambda labels: not inner(labels)

    def __str__(self) -> str:
        return f"!{self.operand}"


@dataclass(frozen=True, slots=True)
class AndNode(Node):
    """Two or more operands joined by ``&&``."""

    operands: tuple[Node, ...]

    def compile(self) -> Evaluator:
        compiled = tuple(op.compile() for op in self.operands)
        if len(compiled) == 2:
            first, second = compiled
            return lambda labels: first(labels) and second(labels)

        def evaluate(labels: Mapping[str, str]) -> bool:
            for operand in compiled:
                if not operand(labels):
                    return False
            return True

        return evaluate

    def __str__(self) -> str:
        return "(" + " && ".join(str(op) for op in self.operands) + ")"


@dataclass(frozen=True, slots=True)
class OrNode(Node):
    """Two or more operands joined by ``||``."""

    operands: tuple[Node, ...]

    def compile(self) -> Evaluator:
        compiled = tuple(op.compile() for op in self.operands)
        if len(compiled) == 2:
            first, second = compiled
            return lambda labels: first(labels) or second(labels)

        def evaluate(labels: Mapping[str, str]) -> bool:
            for operand in compiled:
                if operand(labels):
                    return True
            return False

        return evaluate

    def __str__(self) -> str:
        return "(" + " || ".join(str(op) for op in self.operands) + ")"


# ---------------------------------------------------------------------------------------------
# Parser


class _Parser:
    """Recursive descent over a token list, mirroring libcalico-go's parser step by step."""

    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.i = 0

    def peek(self, offset: int = 0) -> Token:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def parse_or(self) -> Node:
        operands = [self.parse_and()]
        while self.peek().kind is Tok.OR:
            self.i += 1
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else OrNode(tuple(operands))

    def parse_and(self) -> Node:
        operands = [self.parse_operation()]
        while self.peek().kind is Tok.AND:
            self.i += 1
            operands.append(self.parse_operation())
        return operands[0] if len(operands) == 1 else AndNode(tuple(operands))

    def parse_operation(self) -> Node:
        negated = False
        while self.peek().kind is Tok.NOT:
            negated = not negated
            self.i += 1
        node = self.parse_primary()
        return NotNode(node) if negated else node

    def parse_primary(self) -> Node:
        token = self.peek()
        kind = token.kind
        if kind is Tok.HAS:
            self.i += 1
            return HasNode(token.value)
        if kind is Tok.ALL:
            self.i += 1
            return AllNode()
        if kind is Tok.GLOBAL:
            self.i += 1
            return GlobalNode()
        if kind is Tok.LABEL:
            return self.parse_comparison(token)
        if kind is Tok.LPAREN:
            self.i += 1
            node = self.parse_or()
            closing = self.peek()
            if closing.kind is not Tok.RPAREN:
                raise SelectorParseError("Expected )", closing.pos)
            self.i += 1
            return node
        raise SelectorParseError(f"Unexpected token: {token}", token.pos)

    def parse_comparison(self, label: Token) -> Node:
        if len(self.tokens) - self.i < 3:
            listing = " ".join(str(t) for t in self.tokens[self.i:])
            raise SelectorParseError(f"Unexpected end of string in middle of op[{listing}]", self.peek(1).pos)
        op, operand = self.peek(1), self.peek(2)
        if op.kind in _VALUE_OPS:
            if operand.kind is not Tok.STRING:
                raise SelectorParseError("Expected string", operand.pos)
            self.i += 3
            return _VALUE_OPS[op.kind](label.value, operand.value)
        if op.kind is Tok.IN or op.kind is Tok.NOT_IN:
            if operand.kind is not Tok.LBRACE:
                raise SelectorParseError("Expected set literal", operand.pos)
            self.i += 3
            values = self.parse_set_members()
            members = tuple(sorted(set(values)))
            return InNode(label.value, members) if op.kind is Tok.IN else NotInNode(label.value, members)
        raise SelectorParseError(f"Expected == or != not {op}", op.pos)

    def parse_set_members(self) -> list[str]:
        values: list[str] = []
        while self.peek().kind is Tok.STRING:
            values.append(self.peek().value)
            self.i += 1
            if self.peek().kind is not Tok.COMMA:
                break
            self.i += 1
        closing = self.peek()
        if closing.kind is not Tok.RBRACE:
            raise SelectorParseError("Expected }", closing.pos)
        self.i += 1
        return values


_VALUE_OPS: dict[Tok, Callable[[str, str], Node]] = {
    Tok.EQ: EqNode,
    Tok.NE: NeNode,
    Tok.CONTAINS: ContainsNode,
    Tok.STARTS_WITH: StartsWithNode,
    Tok.ENDS_WITH: EndsWithNode,
}


class Selector:
    """A parsed selector: ``evaluate(labels)``, ``str()`` (canonical form), ``unique_id``.

    Two selectors are equal when their canonical strings are equal.
    """

    __slots__ = ("root", "_canonical", "_evaluate")

    def __init__(self, root: Node):
        self.root = root
        self._canonical = str(root)
        self._evaluate = root.compile()

    def evaluate(self, labels: Mapping[str, str]) -> bool:
        """True when the label mapping matches this selector."""
        return self._evaluate(labels)

    @property
    def unique_id(self) -> str:
        """libcalico-go's ``UniqueID()``: ``s:`` + unpadded URL-safe base64 of SHA-224("s:" + canonical)."""
        digest = hashlib.sha224(f"s:{self._canonical}".encode()).digest()
        return "s:" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def __str__(self) -> str:
        return self._canonical

    def __repr__(self) -> str:
        return f"Selector({self._canonical!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Selector):
            return NotImplemented
        return self._canonical == other._canonical

    def __hash__(self) -> int:
        return hash(self._canonical)


@lru_cache(maxsize=4096)
def parse(text: str) -> Selector:
    """Parse a selector expression; raises SelectorParseError (a ValueError) if it is invalid.

    Unlike Go, nesting is bounded by Python's recursion limit (about 200 levels of parentheses);
    deeper input is rejected with ``selector is nested too deeply``.
    """
    tokens = tokenize(text)
    if tokens[0].kind is Tok.EOF:
        return Selector(AllNode())
    parser = _Parser(tokens)
    try:
        root = parser.parse_or()
        rest = tokens[parser.i:]
        if len(rest) != 1:
            listing = " ".join(str(t) for t in rest)
            raise SelectorParseError(f"unexpected content at end of selector [{listing}]", rest[0].pos)
        return Selector(root)
    except RecursionError:
        raise SelectorParseError("selector is nested too deeply", tokens[parser.i].pos) from None
