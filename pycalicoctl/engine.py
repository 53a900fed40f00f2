"""calicoctl's resource engine (``ExecuteConfigCommand``): load targets, act on each, collect results.

Per-resource failures never stop the run; they are collected in :class:`Results` and the command
module turns the results into calicoctl's messages (:mod:`pycalicoctl.messages`).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, NamedTuple, TextIO

from pycalicoctl.loader import FileInvalid, NothingLoaded

CLIENT_VERSION = "v3.29.7"


class Action(Enum):
    """The resource operation a command performs."""

    CREATE = "create"
    APPLY = "apply"
    REPLACE = "replace"
    DELETE = "delete"
    GET = "get"
    PATCH = "patch"


class Options(NamedTuple):
    """What the command line asked for (already parsed by click)."""

    filename: str | None = None
    recursive: bool = False
    skip_empty: bool = False
    kind: str | None = None
    names: tuple[str, ...] = ()
    namespace: str = ""
    all_namespaces: bool = False
    skip_exists: bool = False
    skip_not_exists: bool = False
    export: bool = False
    allow_version_mismatch: bool = False
    patch: str = ""


class Target(NamedTuple):
    """One thing to act on: a parsed resource from a file, or kind + name from the command line."""

    kind: Any  # datastore.resources.KindInfo
    name: str
    namespace: str = ""
    resource: Any = None


@dataclass
class Results:
    """calicoctl's ``CommandResults``."""

    num_resources: int = 0
    num_handled: int = 0
    single_kind: str = ""
    resources: list[Any] = field(default_factory=list)
    res_errs: list[Exception] = field(default_factory=list)
    err: Exception | None = None
    file_invalid: bool = False
    client: Any = None


class EngineError(Exception):
    """A per-resource error raised by the engine itself (namespace misuse and the like)."""


def version_mismatch(client: Any) -> str | None:
    """calicoctl's version check: the error text when ClusterInformation's calicoVersion differs.

    An unreachable datastore is not reported through calicoctl's two-line wrapper: Unavailable
    propagates so the command prints one line naming the endpoint.
    """
    from datastore.errors import DatastoreError, NotFound, Unavailable

    try:
        info = client.get("ClusterInformation", "default")
    except NotFound:
        return None
    except Unavailable:
        raise
    except DatastoreError as exc:
        return (
            f"Unable to get Cluster Information to verify version mismatch: {exc}\n"
            "Use --allow-version-mismatch to override.\n"
        )
    cluster = str((info.to_dict().get("spec") or {}).get("calicoVersion") or "")
    if not cluster:
        return None

    def strip(version: str) -> str:
        return version.removeprefix("v").split("-", 1)[0]

    if strip(cluster) == strip(CLIENT_VERSION):
        return None
    return (
        f"Version mismatch.\nClient Version:   {CLIENT_VERSION}\nCluster Version:  {strip(cluster)}\n"
        "Use --allow-version-mismatch to override.\n"
    )


def load_targets(options: Options, stdin: TextIO | None = None) -> list[Target]:
    """The targets of the command: from ``-f`` or ``<KIND> [<NAME>...]``. Raises FileInvalid,
    NothingLoaded or ParseError (unknown kind) / EngineError (empty name)."""
    if options.filename is not None:
        from pycalicoctl.loader import load_resources

        resources = load_resources(options.filename, options.recursive, options.skip_empty, stdin)
        return [Target(r.KIND, r.metadata.name, r.metadata.namespace, r) for r in resources]
    from datastore.resources import lookup_kind

    info = lookup_kind(options.kind or "")
    if not options.names:
        return [Target(info, "")]
    if any(name == "" for name in options.names):
        raise EngineError("resource name may not be empty")
    return [Target(info, name) for name in options.names]


def single_kind(targets: list[Target]) -> str:
    """The kind shared by all targets, else ''."""
    kinds = {t.kind.kind for t in targets}
    return kinds.pop() if len(kinds) == 1 else ""


def resolve_namespace(target: Target, options: Options, action: Action) -> str:
    """calicoctl's namespace rules for one target; EngineError with its wording on misuse."""
    info = target.kind
    if options.namespace and options.all_namespaces:
        raise EngineError("cannot use both --namespace and --all-namespaces flags at the same time")
    if not info.namespaced:
        if options.namespace or options.all_namespaces:
            raise EngineError(f"{info.kind} is not namespaced")
        if target.namespace:
            raise EngineError(
                f"namespace should not be specified for a non-namespaced resource. {info.kind} is not a namespaced resource"
            )
        return ""
    if target.namespace and options.namespace and target.namespace != options.namespace:
        raise EngineError(
            f"resource namespace does not match client namespace. {target.namespace} != {options.namespace}"
        )
    if action is Action.GET and options.all_namespaces:
        if target.name:
            raise EngineError("cannot use --all-namespace flag for getting a single resource")
        return target.namespace
    return target.namespace or options.namespace or "default"


def require_version_match(client: Any, allowed: bool) -> None:
    """calicoctl's ``common.CheckVersionMismatch`` for the non-resource commands (ipam, datastore):
    raise CommandError with the mismatch text unless ``--allow-version-mismatch`` was given."""
    if allowed:
        return
    mismatch = version_mismatch(client)
    if mismatch:
        from pycalicoctl.errors import CommandError

        raise CommandError(mismatch)


def execute(action: Action, options: Options, client_factory: Callable[[], Any],
            stdin: TextIO | None = None) -> Results:
    """Run ``action`` over every target, collecting per-resource successes and errors."""
    from datastore.errors import DatastoreError, ParseError, Unavailable

    results = Results()
    client = None
    if not options.allow_version_mismatch:
        client = client_factory()
        results.client = client
        try:
            mismatch = version_mismatch(client)
        except Unavailable as exc:
            results.err = exc
            return results
        if mismatch:
            results.err = EngineError(mismatch)
            return results
    try:
        targets = load_targets(options, stdin)
    except FileInvalid as exc:
        results.err, results.file_invalid = exc, True
        return results
    except (NothingLoaded, EngineError, ParseError) as exc:
        results.err = exc
        return results
    results.num_resources = len(targets)
    results.single_kind = single_kind(targets)
    if not targets:
        return results
    if client is None:
        client = client_factory()
        results.client = client
    if action in (Action.CREATE, Action.APPLY, Action.REPLACE):
        try:
            client.ensure_initialized()
        except DatastoreError:
            pass
    if action is Action.APPLY:
        _apply_bulk(client, targets, options, results)
        return results
    handler = _HANDLERS[action]
    for target in targets:
        try:
            namespace = resolve_namespace(target, options, action)
            outcome = handler(client, target, namespace, options)
        except (DatastoreError, EngineError) as exc:
            _record_error(results, action, exc)
            if isinstance(exc, Unavailable):
                break
            continue
        results.num_handled += 1
        if outcome is not None:
            results.resources.append(outcome)
    return results


def _record_error(results: Results, action: Action, exc: Exception) -> None:
    results.res_errs.append(exc)
    if action in (Action.REPLACE, Action.PATCH):
        results.num_handled += 1
        results.err = exc


def _apply_bulk(client: Any, targets: list[Target], options: Options, results: Results) -> None:
    """apply through the client's bulk path (one list per kind, then one write each), same outcomes
    and order as applying the resources one by one."""
    from datastore.errors import DatastoreError

    prepared: list[Any] = []
    for target in targets:
        try:
            prepared.append(_with_namespace(target.resource, resolve_namespace(target, options, Action.APPLY)))
        except EngineError as exc:
            prepared.append(exc)
    resources = [p for p in prepared if not isinstance(p, Exception)]
    try:
        outcomes = iter(client.apply_many(resources))
    except DatastoreError as exc:
        results.res_errs.append(exc)
        return
    for item in prepared:
        error = item if isinstance(item, Exception) else next(outcomes).error
        if error is not None:
            results.res_errs.append(error)
        else:
            results.num_handled += 1


def _with_namespace(resource: Any, namespace: str) -> Any:
    if resource.KIND.namespaced and resource.metadata.namespace != namespace:
        return resource.with_metadata(namespace=namespace)
    return resource


def _create(client: Any, target: Target, namespace: str, options: Options) -> Any:
    from datastore.errors import AlreadyExists
    from datastore.resources import Metadata

    meta = target.resource.metadata
    reduced = Metadata(
        name=meta.name, namespace=namespace, resource_version=meta.resource_version,
        labels=meta.labels, annotations=meta.annotations,
    )
    try:
        return client.create(dataclasses.replace(target.resource, metadata=reduced))
    except AlreadyExists:
        if options.skip_exists:
            return None
        raise


def _apply(client: Any, target: Target, namespace: str, options: Options) -> Any:
    return client.apply(_with_namespace(target.resource, namespace))


def _replace(client: Any, target: Target, namespace: str, options: Options) -> Any:
    return client.update(_with_namespace(target.resource, namespace))


def _delete(client: Any, target: Target, namespace: str, options: Options) -> Any:
    from datastore.errors import NotFound

    revision = target.resource.metadata.resource_version if target.resource is not None else ""
    try:
        return client.delete(target.kind.kind, target.name, namespace, resource_version=revision)
    except NotFound:
        if options.skip_not_exists:
            return None
        raise


def _get(client: Any, target: Target, namespace: str, options: Options) -> Any:
    """A single resource dict, or the ``<Kind>List`` dict for a list (name empty)."""
    from datastore.resources import to_list_dict

    if target.name:
        resource = client.get(target.kind.kind, target.name, namespace)
        data = resource.to_dict()
        if options.export and options.filename is None:
            data = export(data)
        return data
    list_namespace = None if (target.kind.namespaced and options.all_namespaces) else namespace
    items, revision = list_with_revision(client, target.kind.kind, list_namespace)
    if target.kind.kind == "Tier":
        items.sort(key=_tier_order)
    return to_list_dict(target.kind.kind, items, revision)


def _tier_order(tier: Any) -> float:
    """calicoctl lists tiers stably sorted by order (a nil order counts as the default 1000000)."""
    order = (tier.to_dict().get("spec") or {}).get("order")
    return 1000000.0 if order is None else float(order)


def list_with_revision(client: Any, kind: str, namespace: str | None) -> tuple[list[Any], str]:
    """The items of a list query and the store revision it was read at (the list's resourceVersion)."""
    listed = client.list(kind, namespace)
    revision = getattr(listed, "resource_version", "")
    return list(listed), str(revision or "")


def export(data: dict[str, Any]) -> dict[str, Any]:
    """``--export``: drop namespace, uid, resourceVersion, creation/deletion metadata."""
    meta = {k: v for k, v in data.get("metadata", {}).items() if k not in _EXPORT_DROPPED}
    meta["creationTimestamp"] = None
    return {**data, "metadata": meta}


_EXPORT_DROPPED = frozenset(
    {"namespace", "uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"}
)


def _patch(client: Any, target: Target, namespace: str, options: Options) -> Any:
    import json

    from datastore.errors import DatastoreError, ParseError
    from datastore.resources import from_dict
    from datastore.resources.serde import json_kind

    current = client.get(target.kind.kind, target.name, namespace)
    try:
        patch = json.loads(options.patch)
    except json.JSONDecodeError as exc:
        raise EngineError(f"performing strategic merge patch: {go_json_syntax_error(exc)}") from None
    if not isinstance(patch, dict):
        raise EngineError("performing strategic merge patch: json: cannot unmarshal "
                          f"{json_kind(patch)} into Go value of type map[string]interface {{}}")
    merged = strategic_merge(current.to_dict(), patch)
    try:
        patched = from_dict(merged)
    except ParseError as exc:
        raise EngineError(f"creating resource from patched data: {exc}") from None
    try:
        return client.update(patched)
    except DatastoreError as exc:
        raise EngineError(f"updating existing resource: {exc}") from None


_GO_JSON_CONTEXT = {
    "Expecting value": "looking for beginning of value",
    "Expecting property name enclosed in double quotes": "looking for beginning of object key string",
    "Expecting ':' delimiter": "after object key",
    "Expecting ',' delimiter": "after object key:value pair",
    "Extra data": "after top-level value",
}


def go_json_syntax_error(exc: Any) -> str:
    """Go ``encoding/json``'s wording for a JSON syntax error found by Python's decoder."""
    if exc.pos >= len(exc.doc.rstrip()):
        return "unexpected end of JSON input"
    context = _GO_JSON_CONTEXT.get(exc.msg, "looking for beginning of value")
    return f"invalid character {exc.doc[exc.pos]!r} {context}"




def strategic_merge(original: Any, patch: Any) -> Any:
    """Kubernetes strategic-merge of plain JSON (no patch directives on Calico types): maps merge
    recursively, ``null`` deletes a key, lists and scalars replace."""
    if not isinstance(original, dict) or not isinstance(patch, dict):
        return patch
    merged = dict(original)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = strategic_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


_HANDLERS: dict[Action, Callable[[Any, Target, str, Options], Any]] = {
    Action.CREATE: _create,
    Action.APPLY: _apply,
    Action.REPLACE: _replace,
    Action.DELETE: _delete,
    Action.GET: _get,
    Action.PATCH: _patch,
}
