"""``get -o`` formats: choose the printer for the ``--output`` value (calicoctl's rules and errors)."""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from pycalicoctl.errors import CommandError

Printer = Callable[[Sequence[Mapping[str, Any]], Any], str]


def printer_for(output: str, print_namespace: bool) -> Printer:
    """The printer for ``-o <output>``; CommandError for an unknown or incomplete format."""
    if output in ("yaml", "yml"):
        from pycalicoctl.printers import to_yaml

        return lambda objects, _client: to_yaml(objects)
    if output == "json":
        from pycalicoctl.printers import to_json

        return lambda objects, _client: to_json(objects)
    if output in ("ps", "wide"):
        return _table_printer(wide=output == "wide", print_namespace=print_namespace, custom=None)
    key, _, value = output.partition("=")
    if key == "go-template":
        if not value:
            raise CommandError("need to specify a template")
        return _template_printer(lambda: value)
    if key == "go-template-file":
        if not value:
            raise CommandError("need to specify a template file")
        return _template_printer(lambda: _read_template(value))
    if key == "custom-columns":
        if not value:
            raise CommandError("need to specify at least one column")
        return _table_printer(wide=False, print_namespace=False, custom=tuple(value.split(",")))
    raise CommandError(f"unrecognized output format '{output}'")


def _read_template(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise CommandError(f"open {path}: {(exc.strerror or str(exc)).lower()}") from None


def _template_printer(source: Callable[[], str]) -> Printer:
    def render(objects: Sequence[Mapping[str, Any]], client: Any) -> str:
        from pycalicoctl.gotemplate import Template, TemplateError

        try:
            return Template(source(), functions=_template_functions(client)).execute(typed_objects(objects))
        except TemplateError as exc:
            raise CommandError(str(exc)) from None

    return render


def typed_objects(objects: Sequence[Mapping[str, Any]]) -> list[Any]:
    """Templates see Go structs: resources become their dataclasses (so unset fields have Go's zero
    values); ``<Kind>List`` objects keep their list metadata with typed items."""
    from datastore.resources import from_dict

    typed: list[Any] = []
    for obj in objects:
        if "items" in obj:
            typed.append({**obj, "items": [from_dict(item) for item in obj["items"]]})
        else:
            typed.append(from_dict({**obj, "metadata": {k: v for k, v in obj["metadata"].items() if v is not None}}))
    return typed


def _template_functions(client: Any) -> dict[str, Callable[..., Any]]:
    from pycalicoctl.printers import join_and_truncate

    asn = asn_lookup(client)

    def config(name: str) -> str:
        if name.lower() == "asnumber":
            return asn()
        raise ValueError("unhandled config type")

    return {
        "join": lambda items, sep: join_and_truncate(items, sep, 0),
        "joinAndTruncate": lambda items, sep, max_len: join_and_truncate(items, sep, int(max_len)),
        "config": config,
    }


def asn_lookup(client: Any) -> Callable[[], str]:
    """``config "asnumber"``: BGPConfiguration ``default`` asNumber, 64512 if unset, ``unknown`` on error."""
    cache: list[str] = []

    def lookup() -> str:
        if cache:
            return cache[0]
        from datastore.errors import DatastoreError, NotFound

        try:
            spec = client.get("BGPConfiguration", "default").to_dict().get("spec") or {}
            value = str(spec["asNumber"]) if spec.get("asNumber") is not None else "64512"
        except NotFound:
            value = "64512"
        except DatastoreError:
            value = "unknown"
        cache.append(value)
        return value

    return lookup


def _table_printer(wide: bool, print_namespace: bool, custom: tuple[str, ...] | None) -> Printer:
    def render(objects: Sequence[Mapping[str, Any]], client: Any) -> str:
        from pycalicoctl.columns import CellContext, UnknownHeading, headings_for, table

        context = CellContext(asn_lookup(client))
        parts = []
        for obj in objects:
            items = obj["items"] if "items" in obj else [obj]
            kind = obj["kind"].removesuffix("List") if "items" in obj else obj["kind"]
            try:
                headings = headings_for(kind, wide, print_namespace, custom)
            except UnknownHeading as exc:
                raise CommandError(str(exc)) from None
            parts.append(table(kind, list(items), headings, context))
        return "".join(parts)

    return render

