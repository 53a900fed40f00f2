"""Loading resources from ``-f FILE|DIR|-`` as calicoctl does.

Documents are split on calicoctl's separator (``\\n---`` up to the end of that line), each parsed as
YAML (JSON is YAML) and may be one resource, a ``<Kind>List`` or an array of resources. Directory
walks take ``.yaml``/``.yml``/``.json`` files in lexical order (sub-directories only with ``-R``).
"""
from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from typing import Any, TextIO

_SEPARATOR = re.compile(r"\n---[^\n]*(?:\n|$)")
_EXTENSIONS = (".yaml", ".yml", ".json")


class FileInvalid(Exception):
    """The input cannot be parsed: printed as ``Failed to execute command: <text>``."""


class NothingLoaded(Exception):
    """An input held no resources: ``No resources specified in file <f>`` / ``… in directory <d>``."""


@dataclass(frozen=True)
class Source:
    """One input document stream: where it came from and its text."""

    path: str
    text: str


def read_sources(filename: str, recursive: bool, stdin: TextIO | None = None) -> list[Source]:
    """The texts behind ``-f``: stdin for ``-``, one file, or a directory walk. FileInvalid if unreadable."""
    if filename == "-":
        return [Source("-", (stdin or sys.stdin).read())]
    if os.path.isdir(filename):
        return [_read(path) for path in _walk(filename, recursive)]
    return [_read(filename)]


def _walk(directory: str, recursive: bool) -> list[str]:
    """Go ``filepath.Walk`` order: entries in lexical order, sub-directories visited where they sort."""
    found: list[str] = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if os.path.isdir(path):
            if recursive:
                found.extend(_walk(path, recursive))
        elif os.path.splitext(name)[1].lower() in _EXTENSIONS:
            found.append(path)
    return found


def _read(path: str) -> Source:
    try:
        with open(path, encoding="utf-8") as handle:
            return Source(path, handle.read())
    except FileNotFoundError:
        raise FileInvalid(f"open {path}: no such file or directory") from None
    except IsADirectoryError:
        raise FileInvalid(f"read {path}: is a directory") from None
    except PermissionError:
        raise FileInvalid(f"open {path}: permission denied") from None
    except UnicodeDecodeError as exc:
        raise FileInvalid(f"error reading {path}: {exc.reason}") from None


def split_documents(text: str) -> list[str]:
    """calicoctl's YAML document separator: split at every line that starts with ``---``."""
    return [doc for doc in _SEPARATOR.split(text)]


def parse_document(text: str) -> Any:
    """One document as data (None when it holds nothing). YAML errors → FileInvalid in Go's style."""
    stripped = text.strip()
    if not stripped:
        return None
    if stripped[0] in "[{":
        try:
            return json.loads(stripped, object_pairs_hook=_unique_keys)
        except ValueError:
            pass  # not plain JSON (or a duplicate key): the YAML parser reports it as calicoctl does
    import yaml

    try:
        return yaml.load(text, Loader=_loader())
    except yaml.YAMLError as exc:
        raise FileInvalid(_yaml_error_text(exc)) from None


def parse_documents(documents: list[str]) -> list[Any]:
    """Every document as data, parsed in one YAML stream for speed; on an error the documents are
    parsed one by one so the message carries the failing document's own line number."""
    if len(documents) < 2:
        return [parse_document(d) for d in documents]
    import yaml

    try:
        return list(yaml.load_all("\n---\n".join(documents), Loader=_loader()))
    except yaml.YAMLError:
        return [parse_document(d) for d in documents]


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's pairs as a dict; ValueError on a repeated key."""
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


_DUPLICATE_KEY = "already set in map"


def _yaml_error_text(exc: Any) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if problem.endswith(_DUPLICATE_KEY) and mark is not None:
        return f"error converting YAML to JSON: yaml: unmarshal errors:\n  line {mark.line + 1}: {problem}"
    line = f"line {mark.line + 1}: " if mark is not None else ""
    return f"error converting YAML to JSON: yaml: {line}{problem}"


_LOADER: Any = None
# go-yaml v2's float form: unlike YAML 1.1 it needs no dot (``1e21`` is a number, not a string).
_GO_YAML_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")


def _loader() -> Any:
    """A safe loader that, like ghodss/yaml, keeps timestamps as strings and, like go-yaml's
    ``UnmarshalStrict`` (which calicoctl's strict YAML path uses), refuses a repeated mapping key."""
    global _LOADER
    if _LOADER is None:
        import yaml

        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        class StringTimestampLoader(base):  # type: ignore[misc, valid-type]
            """SafeLoader without the implicit timestamp type, refusing duplicate keys."""

            def construct_mapping(self, node: Any, deep: bool = False) -> Any:
                seen: set[Any] = set()
                for key_node, _ in node.value:
                    key = self.construct_object(key_node, deep=True)
                    if isinstance(key, str) or not isinstance(key, (list, dict)):
                        if key in seen:
                            quoted = json.dumps(key) if isinstance(key, str) else key
                            raise yaml.constructor.ConstructorError(
                                None, None, f"key {quoted} {_DUPLICATE_KEY}", key_node.start_mark)
                        seen.add(key)
                return super().construct_mapping(node, deep=deep)

        StringTimestampLoader.yaml_implicit_resolvers = {
            first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
            for first, resolvers in base.yaml_implicit_resolvers.items()
        }
        StringTimestampLoader.add_implicit_resolver("tag:yaml.org,2002:float", _GO_YAML_FLOAT,
                                                    list("-+0123456789."))
        _LOADER = StringTimestampLoader
    return _LOADER


def _check_manageable(data: Any) -> None:
    """Refuse documents of kinds calicoctl has no resource manager for (CalicoNodeStatus,
    IPAMConfiguration, BlockAffinity and their lists), with its ``Unknown resource type`` wording."""
    from datastore.resources import API_VERSION, KINDS

    if isinstance(data, list):
        for item in data:
            _check_manageable(item)
        return
    if not isinstance(data, dict):
        return
    kind, api_version = data.get("kind"), data.get("apiVersion")
    if not isinstance(kind, str) or api_version != API_VERSION:
        return
    info = KINDS.get(kind[: -len("List")] if kind.endswith("List") else kind) or KINDS.get(kind)
    if info is not None and not info.manageable:
        raise FileInvalid(f"Unknown resource type ({kind}) and/or version ({api_version})")


def load_resources(filename: str, recursive: bool, skip_empty: bool, stdin: TextIO | None = None) -> list[Any]:
    """Every resource behind ``-f``, in order. FileInvalid for bad input; NothingLoaded when an input
    is empty and ``--skip-empty`` is not set."""
    from datastore.errors import ParseError
    from datastore.resources import from_dict_many

    sources = read_sources(filename, recursive, stdin)
    if not sources and not skip_empty:
        raise NothingLoaded(f"No resources specified in directory {filename}")
    resources: list[Any] = []
    for source in sources:
        found = 0
        for data in parse_documents(split_documents(source.text)):
            if data is None:
                continue
            _check_manageable(data)
            try:
                parsed = from_dict_many(data)
            except ParseError as exc:
                raise FileInvalid(str(exc)) from None
            found += len(parsed)
            resources.extend(parsed)
        if not found and not skip_empty:
            raise NothingLoaded(f"No resources specified in file {source.path}")
    return resources
