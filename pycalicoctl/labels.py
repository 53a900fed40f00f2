"""``calicoctl label``: set, overwrite or remove one label (kind and name echoed as typed)."""
from __future__ import annotations

from typing import Any, Callable

from pycalicoctl.engine import Action, EngineError, Options, Target, resolve_namespace, version_mismatch
from pycalicoctl.errors import CommandError


def run_label(options: Options, key_value: str, overwrite: bool, remove: bool,
              client_factory: Callable[[], Any]) -> str:
    """Apply the label change and return the success line; CommandError with calicoctl's wording."""
    from datastore.errors import DatastoreError, NotFound, ParseError
    from datastore.resources import FrozenMap, lookup_kind

    kind_text, name = options.kind or "", options.names[0]
    if remove:
        key, value = key_value, ""
    else:
        parts = key_value.split("=")
        if len(parts) != 2:
            raise CommandError(f"invalid label {key_value}")
        key, value = parts
    client = client_factory()
    if not options.allow_version_mismatch:
        try:
            mismatch = version_mismatch(client)
        except DatastoreError as exc:
            mismatch = str(exc)
        if mismatch:
            raise CommandError(f"failed to get {kind_text} {name}, error {mismatch}")
    try:
        info = lookup_kind(kind_text)
    except ParseError as exc:
        raise CommandError(f"failed to get {kind_text} {name}, error {exc}") from None
    try:
        namespace = resolve_namespace(Target(info, name), options, Action.GET)
        resource = client.get(info.kind, name, namespace)
    except (NotFound, EngineError, DatastoreError):
        raise CommandError(f"{kind_text} {name} not found") from None
    labels = dict(resource.metadata.labels)
    overwritten = False
    if remove:
        if key not in labels:
            raise CommandError(f"cannot remove label of {kind_text} {name}, key {key} does not exist")
        del labels[key]
    elif key in labels:
        if not (overwrite or labels[key] == value):
            raise CommandError(
                f"failed to update label of {kind_text} {name}, key {key} is already present. "
                "please use '--overwrite' to set a new value."
            )
        labels[key] = value
        overwritten = True
    else:
        labels[key] = value
    try:
        client.update(resource.with_metadata(labels=FrozenMap(labels)))
    except DatastoreError:
        raise CommandError(f"failed to update {kind_text} {name}, label not changed") from None
    if remove:
        return f"Successfully removed label {key} from {kind_text} {name}\n"
    if overwritten:
        return f"Successfully updated label {key} on {kind_text} {name}\n"
    return f"Successfully set label {key} on {kind_text} {name}\n"
