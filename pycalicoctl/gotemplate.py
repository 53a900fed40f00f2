"""A subset of Go ``text/template`` for ``get -o go-template=…`` over resources' v3 JSON.

Supported: text, ``{{- … -}}`` trimming, comments, field chains with Go struct names
(``.ObjectMeta.Name``, ``.Spec.CIDR``, ``.Items`` — matched case-insensitively to the JSON names, with
ObjectMeta/TypeMeta fields promoted as Go's embedding does; on resource dataclasses only exported
(capitalised) names resolve, unset fields have Go's zero values, timestamps print as Go's
``time.Time`` and unknown fields are errors; on plain dicts a missing key is ``<no value>``), ``$``, variables from
``range $i, $v := …``, string/number/bool literals, pipelines with ``|``, ``range``/``if``/``with``
with ``else`` and ``end``, and the functions ``index len not and or eq ne join joinAndTruncate config``.
Values print as Go's ``fmt.Print`` does (``map[k:v]``, ``[a b]``, ``<no value>`` for a missing key).
``printf`` and template definitions are not supported.
"""
from __future__ import annotations

import functools
import re
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from pycalicoctl.printers import go_value


class TemplateError(Exception):
    """A template that does not parse or cannot execute (Go's ``template: get:…`` wording)."""


class _Missing:
    def __repr__(self) -> str:
        return "<no value>"


MISSING = _Missing()

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"(?:[^"\\]|\\.)*"|`[^`]*`)
    | (?P<num>-?\d+(?:\.\d+)?)
    | (?P<var>\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
    | (?P<field>(?:\.[A-Za-z0-9_]+)+|\.)
    | (?P<decl>:=|=)
    | (?P<punct>[|(),])
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


@dataclass
class _Node:
    kind: str
    value: Any = None
    body: list["_Node"] = field(default_factory=list)
    other: list["_Node"] = field(default_factory=list)
    decl: tuple[str, ...] = ()


def _lex_actions(text: str) -> list[tuple[str, str, int]]:
    """Split into ("text", s) and ("action", s) pieces, applying ``{{-`` / ``-}}`` trimming."""
    pieces: list[tuple[str, str, int]] = []
    position = 0
    line = 1
    while True:
        start = text.find("{{", position)
        if start < 0:
            pieces.append(("text", text[position:], line))
            break
        end = text.find("}}", start + 2)
        if end < 0:
            raise TemplateError(f"template: get:{line}: unclosed action")
        chunk = text[position:start]
        inner = text[start + 2:end]
        if inner.startswith("- ") or inner == "-":
            chunk = chunk.rstrip()
            inner = inner[1:]
        trim_right = inner.endswith(" -")
        if trim_right:
            inner = inner[:-1]
        pieces.append(("text", chunk, line))
        line += text.count("\n", position, start)
        pieces.append(("action", inner.strip(), line))
        line += text.count("\n", start, end)
        position = end + 2
        if trim_right:
            while position < len(text) and text[position] in " \t\r\n":
                position += 1
    return pieces


def _tokens(action: str, line: int) -> list[tuple[str, str]]:
    result = []
    position = 0
    while position < len(action):
        if action[position:].strip() == "":
            break
        match = _TOKEN.match(action, position)
        if not match or match.end() == position:
            raise TemplateError(f"template: get:{line}: unexpected {action[position:].strip()[:1]!r} in command")
        kind = match.lastgroup
        result.append((kind, match.group(kind)))
        position = match.end()
    return result


class Template:
    """A parsed template; :meth:`execute` renders it over the data."""

    def __init__(self, text: str, functions: Mapping[str, Callable[..., Any]] | None = None):
        self.functions = {**_BUILTINS, **(functions or {})}
        pieces = _lex_actions(text)
        self.root, rest, closer = self._parse(pieces, 0)
        if closer is not None:
            raise TemplateError(f"template: get:{pieces[rest - 1][2]}: unexpected {{{{{closer}}}}}")

    def _parse(self, pieces: list[tuple[str, str, int]], index: int) -> tuple[list[_Node], int, str | None]:
        nodes: list[_Node] = []
        while index < len(pieces):
            kind, text, line = pieces[index]
            index += 1
            if kind == "text":
                if text:
                    nodes.append(_Node("text", text))
                continue
            if text.startswith("/*"):
                continue
            word = text.split(None, 1)[0] if text else ""
            if word in ("end", "else"):
                if word == "else" and text.split()[1:2] == ["if"]:
                    return nodes, index, "else if " + text.split(None, 2)[2]
                return nodes, index, word
            if word in ("range", "if", "with"):
                rest = text[len(word):]
                decl: tuple[str, ...] = ()
                toks = _tokens(rest, line)
                if word == "range" and any(t[0] == "decl" for t in toks):
                    split = next(i for i, t in enumerate(toks) if t[0] == "decl")
                    decl = tuple(t[1] for t in toks[:split] if t[0] == "var")
                    toks = toks[split + 1:]
                node = _Node(word, self._pipeline(toks, line), decl=decl)
                node.body, index, closer = self._parse(pieces, index)
                current = node
                while closer is not None and closer.startswith("else if "):
                    inner = _Node("if", self._pipeline(_tokens(closer[len("else if "):], line), line))
                    inner.body, index, closer = self._parse(pieces, index)
                    current.other = [inner]
                    current = inner
                if closer == "else":
                    current.other, index, closer = self._parse(pieces, index)
                if closer != "end":
                    raise TemplateError(f"template: get:{line}: unexpected EOF")
                nodes.append(node)
                continue
            if not text:
                raise TemplateError(f"template: get:{line}: missing value for command")
            nodes.append(_Node("print", self._pipeline(_tokens(text, line), line)))
        return nodes, index, None

    def _pipeline(self, tokens: list[tuple[str, str]], line: int) -> list[list[tuple[str, str]]]:
        commands: list[list[tuple[str, str]]] = [[]]
        for token in tokens:
            if token == ("punct", "|"):
                commands.append([])
            else:
                commands[-1].append(token)
        if any(not c for c in commands):
            raise TemplateError(f"template: get:{line}: missing value for command")
        for command in commands:
            if command[0][0] == "ident" and command[0][1] not in self.functions and command[0][1] not in (
                "true", "false", "nil"
            ):
                raise TemplateError(f'template: get:{line}: function "{command[0][1]}" not defined')
        return commands

    def execute(self, data: Any) -> str:
        """Render over ``data`` (the slice of returned objects, as calicoctl passes it)."""
        out: list[str] = []
        self._run(self.root, data, {"$": data}, out)
        return "".join(out)

    def _run(self, nodes: list[_Node], dot: Any, variables: dict[str, Any], out: list[str]) -> None:
        for node in nodes:
            if node.kind == "text":
                out.append(node.value)
            elif node.kind == "print":
                out.append(_print(self._eval_pipeline(node.value, dot, variables)))
            elif node.kind == "if":
                value = self._eval_pipeline(node.value, dot, variables)
                self._run(node.body if _truth(value) else node.other, dot, variables, out)
            elif node.kind == "with":
                value = self._eval_pipeline(node.value, dot, variables)
                if _truth(value):
                    self._run(node.body, value, variables, out)
                else:
                    self._run(node.other, dot, variables, out)
            elif node.kind == "range":
                value = self._eval_pipeline(node.value, dot, variables)
                entries = _range_entries(value)
                if not entries:
                    self._run(node.other, dot, variables, out)
                for key, item in entries:
                    scope = dict(variables)
                    if len(node.decl) == 1:
                        scope[node.decl[0]] = item
                    elif len(node.decl) == 2:
                        scope[node.decl[0]], scope[node.decl[1]] = key, item
                    self._run(node.body, item, scope, out)

    def _eval_pipeline(self, commands: list[list[tuple[str, str]]], dot: Any, variables: dict[str, Any]) -> Any:
        result: Any = MISSING
        for position, command in enumerate(commands):
            extra = [result] if position else []
            result = self._eval_command(command, dot, variables, extra)
        return result

    def _eval_command(self, command: list[tuple[str, str]], dot: Any, variables: dict[str, Any],
                      extra: list[Any]) -> Any:
        head_kind, head = command[0]
        if head_kind == "ident" and head in self.functions:
            args = [self._operand(t, dot, variables) for t in command[1:]] + extra
            try:
                return self.functions[head](*args)
            except TemplateError:
                raise
            except Exception as exc:  # a template function failed: Go reports "error calling X: …"
                raise TemplateError(f"template: get: error calling {head}: {exc}") from None
        if len(command) > 1 or extra:
            raise TemplateError(f"template: get: can't give argument to non-function {head}")
        return self._operand(command[0], dot, variables)

    def _operand(self, token: tuple[str, str], dot: Any, variables: dict[str, Any]) -> Any:
        kind, text = token
        if kind == "str":
            return text[1:-1] if text.startswith("`") else _unquote(text)
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "ident":
            if text in ("true", "false"):
                return text == "true"
            if text == "nil":
                return None
            return self.functions[text]()
        if kind == "field":
            return _walk(dot, [p for p in text.split(".") if p])
        if kind == "var":
            name, *path = text.split(".")
            if name not in variables:
                raise TemplateError(f"template: get: undefined variable \"{name}\"")
            return _walk(variables[name], path)
        raise TemplateError(f"template: get: unexpected {text!r} in operand")


def _unquote(text: str) -> str:
    import json

    try:
        return json.loads(text)
    except ValueError:
        raise TemplateError(f"template: get: invalid syntax {text}") from None


def _lookup(obj: Mapping[str, Any], name: str) -> Any:
    if name in obj:
        return obj[name]
    folded = name.lower()
    for key, value in obj.items():
        if key.lower() == folded:
            return value
    return MISSING


def _typed_field(obj: Any, name: str) -> Any:
    """Field ``name`` (a Go struct field name) of a resource dataclass, with Go's zero values:
    matched against the JSON names case-insensitively; ObjectMeta/TypeMeta fields are promoted."""
    import dataclasses

    from datastore.resources.serde import JsonField, go_name

    if name == "ObjectMeta" and hasattr(obj, "metadata"):
        return obj.metadata
    if name == "TypeMeta" and hasattr(obj, "KIND"):
        return obj
    if name == "Kind" and hasattr(obj, "KIND"):
        return obj.KIND.kind
    if name == "APIVersion" and hasattr(obj, "KIND"):
        from datastore.resources import API_VERSION

        return API_VERSION
    resource = hasattr(obj, "metadata") and hasattr(obj, "KIND")
    if name[:1].isupper():
        folded = name.lower()
        for item in dataclasses.fields(obj):
            if resource and item.name == "metadata":
                continue  # Go's embedded ObjectMeta: reachable as .ObjectMeta or through its promoted fields
            json_names = [m.name for m in item.metadata.values() if isinstance(m, JsonField)]
            if folded in (item.name.replace("_", ""), *(n.lower() for n in json_names)):
                value = getattr(obj, item.name)
                if item.name in _timestamp_fields(type(obj)):
                    return go_time(value)
                return _typed_value(value)
        if resource:
            try:
                return _typed_field(obj.metadata, name)
            except TemplateError:
                pass
    if resource:
        go_type = f"*v3.{obj.KIND.kind}"
    elif type(obj).__name__ == "Metadata":
        go_type = "v1.ObjectMeta"
    else:
        go_type = f"v3.{go_name(type(obj))}"
    raise TemplateError(f"template: get: can't evaluate field {name} in type {go_type}")


@functools.cache
def _timestamp_fields(cls: type) -> frozenset[str]:
    """The fields of a resource dataclass holding a ``metav1.Time`` (plain or pointer)."""
    import typing

    from datastore.resources.scalars import TIMESTAMP

    found = set()
    for field_name, hint in typing.get_type_hints(cls, include_extras=True).items():
        options = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
        if any(TIMESTAMP in getattr(option, "__metadata__", ()) for option in options):
            found.add(field_name)
    return frozenset(found)


def go_time(value: str | None) -> str | None:
    """A stored RFC 3339 UTC timestamp as Go's ``time.Time.String()`` prints it (zero time when
    empty; None, a nil pointer, stays None)."""
    if value is None:
        return None
    if not value:
        return "0001-01-01 00:00:00 +0000 UTC"
    if value.endswith("Z"):
        return value[:-1].replace("T", " ", 1) + " +0000 UTC"
    return value


def _typed_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple):
        return [_typed_value(v) for v in value]
    return value


def _walk(value: Any, path: list[str]) -> Any:
    import dataclasses

    for name in path:
        if value is MISSING or value is None:
            return MISSING
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            value = _typed_field(value, name)
            continue
        if not isinstance(value, Mapping):
            raise TemplateError(f"template: get: can't evaluate field {name} in type {_go_type(value)}")
        if name in ("ObjectMeta", "ListMeta"):
            value = value.get("metadata", {})
            continue
        if name == "TypeMeta":
            continue
        found = _lookup(value, name)
        if found is MISSING and isinstance(value.get("metadata"), Mapping):
            found = _lookup(value["metadata"], name)
        value = found
    return value


def _go_type(value: Any) -> str:
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "float64"
    if isinstance(value, list):
        return "[]interface {}"
    return "interface {}"


def _truth(value: Any) -> bool:
    if value is MISSING or value is None:
        return False
    if isinstance(value, (str, list, tuple, Mapping)):
        return len(value) > 0
    return bool(value)


def _range_entries(value: Any) -> list[tuple[Any, Any]]:
    if value is MISSING or value is None:
        return []
    if isinstance(value, Mapping):
        return [(k, value[k]) for k in sorted(value)]
    if isinstance(value, (list, tuple)):
        return list(enumerate(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return [(i, i) for i in range(value)]
    raise TemplateError(f"template: get: range can't iterate over {_print(value)}")


def _print(value: Any) -> str:
    import dataclasses

    if value is MISSING:
        return "<no value>"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return "{" + " ".join(_print(_typed_value(getattr(value, f.name))) for f in dataclasses.fields(value)) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(_print(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{_print(value[k])}" for k in sorted(value)) + "]"
    if value is not None and not isinstance(value, (str, bool, int, float)):
        return str(value)
    return go_value(value)


def _index(value: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(value, Mapping):
            if key not in value:
                return ""
            value = value[key]
        elif isinstance(value, (list, tuple)):
            if not isinstance(key, int) or not 0 <= key < len(value):
                raise TemplateError(f"template: get: error calling index: index out of range: {key}")
            value = value[key]
        elif value is MISSING or value is None:
            return ""
        else:
            raise TemplateError(f"template: get: error calling index: can't index item of type {_go_type(value)}")
    return value


def _len(value: Any) -> int:
    if isinstance(value, (str, list, tuple, Mapping)):
        return len(value)
    raise TemplateError(f"template: get: error calling len: len of type {_go_type(value)}")


def _and(*values: Any) -> Any:
    for value in values:
        if not _truth(value):
            return value
    return values[-1]


def _or(*values: Any) -> Any:
    for value in values:
        if _truth(value):
            return value
    return values[-1]


_BUILTINS: dict[str, Callable[..., Any]] = {
    "index": _index,
    "len": _len,
    "not": lambda value: not _truth(value),
    "and": _and,
    "or": _or,
    "eq": lambda a, *others: any(a == b for b in others),
    "ne": lambda a, b: a != b,
}
