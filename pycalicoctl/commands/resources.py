"""The resource commands: create, apply, replace, delete, get, patch, label (calicoctl v3.29 behaviour)."""
from __future__ import annotations

import sys
from typing import Any, Callable

import click

from pycalicoctl import docs, messages
from pycalicoctl.cli import CalicoCommand
from pycalicoctl.context import CliContext
from pycalicoctl.engine import Action, Options, Results, execute
from pycalicoctl.errors import CommandError, UsageFailure

def _complete(name: str) -> Callable[..., Any]:
    """A shell_complete callback that imports pycalicoctl.completion only when completing."""

    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> Any:
        from pycalicoctl import completion

        return getattr(completion, name)(ctx, param, incomplete)

    return complete


_CONFIG = click.option("-c", "--config", default=docs.DEFAULT_CONFIG_PATH, shell_complete=_complete("complete_path"))
_NAMESPACE = click.option("-n", "--namespace", default="", shell_complete=_complete("complete_namespace"))
_CONTEXT = click.option("--context", "kube_context", default=None)
_MISMATCH = click.option("--allow-version-mismatch", is_flag=True)
_RECURSIVE = click.option("-R", "--recursive", is_flag=True)
_SKIP_EMPTY = click.option("--skip-empty", is_flag=True)


def _common(function: Callable) -> Callable:
    for decorator in (_MISMATCH, _CONTEXT, _NAMESPACE, _CONFIG):
        function = decorator(function)
    return function


def _state() -> CliContext:
    ctx = click.get_current_context()
    return ctx.ensure_object(CliContext)


def _client_factory(config: str) -> Callable[[], Any]:
    state = _state()
    return lambda: state.get_client(config)


def _set_context(kube_context: str | None) -> None:
    if kube_context is not None:
        import os

        os.environ["K8S_CURRENT_CONTEXT"] = kube_context


def _finish(out: str, error: str | None) -> None:
    if out:
        sys.stdout.write(out)
        sys.stdout.flush()
    if error is not None:
        raise CommandError(error)


def _run(action: Action, options: Options, config: str) -> Results:
    state = _state()
    options = _with_mismatch(options, state)
    return execute(action, options, _client_factory(config), stdin=sys.stdin)


def _with_mismatch(options: Options, state: CliContext) -> Options:
    if state.allow_version_mismatch and not options.allow_version_mismatch:
        from dataclasses import replace

        return replace(options, allow_version_mismatch=True)
    return options


def _file_command(name: str, doc: str, action: Action, formatter: Callable[[Results], tuple[str, str | None]],
                  skip_exists: bool = False) -> click.Command:
    def run(filename: str, recursive: bool, skip_empty: bool, config: str, namespace: str,
            kube_context: str | None, allow_version_mismatch: bool, skip_exists: bool = False) -> None:
        _set_context(kube_context)
        options = Options(filename=filename, recursive=recursive, skip_empty=skip_empty, namespace=namespace,
                          skip_exists=skip_exists, allow_version_mismatch=allow_version_mismatch)
        _finish(*formatter(_run(action, options, config)))

    command = run
    if skip_exists:
        command = click.option("--skip-exists", is_flag=True)(command)
    filename = click.option("-f", "--filename", required=True, shell_complete=_complete("complete_path"))
    command = _common(_SKIP_EMPTY(_RECURSIVE(filename(command))))
    return click.command(name, cls=CalicoCommand, doc=doc)(command)


create = _file_command("create", docs.CREATE, Action.CREATE, messages.create, skip_exists=True)
apply = _file_command("apply", docs.APPLY, Action.APPLY, messages.apply)
replace = _file_command("replace", docs.REPLACE, Action.REPLACE, messages.replace)


def _kind_or_file(doc: str, args: tuple[str, ...], filename: str | None) -> tuple[str | None, tuple[str, ...]]:
    """``( (<KIND> [<NAME>...]) | --filename=<FILE> … )``: exactly one of the two forms."""
    if (filename is None) == (not args):
        raise UsageFailure(docs.usage_section(doc))
    if filename is not None:
        return None, ()
    return args[0], tuple(args[1:])


@click.command("delete", cls=CalicoCommand, doc=docs.DELETE)
@click.argument("args", nargs=-1, shell_complete=_complete("complete_kind_and_names"))
@click.option("-f", "--filename", default=None, shell_complete=_complete("complete_path"))
@_RECURSIVE
@_SKIP_EMPTY
@click.option("-s", "--skip-not-exists", is_flag=True)
@_common
def delete(args: tuple[str, ...], filename: str | None, recursive: bool, skip_empty: bool, skip_not_exists: bool,
           config: str, namespace: str, kube_context: str | None, allow_version_mismatch: bool) -> None:
    _set_context(kube_context)
    kind, names = _kind_or_file(docs.DELETE, args, filename)
    options = Options(filename=filename, recursive=recursive, skip_empty=skip_empty, kind=kind, names=names,
                      namespace=namespace, skip_not_exists=skip_not_exists,
                      allow_version_mismatch=allow_version_mismatch)
    _finish(*messages.delete(_run(Action.DELETE, options, config)))


@click.command("get", cls=CalicoCommand, doc=docs.GET, rewrite={"-a": "-A"})
@click.argument("args", nargs=-1, shell_complete=_complete("complete_kind_and_names"))
@click.option("-f", "--filename", default=None, shell_complete=_complete("complete_path"))
@_RECURSIVE
@_SKIP_EMPTY
@click.option("-o", "--output", default="ps", shell_complete=_complete("complete_output"))
@click.option("-A", "--all-namespaces", is_flag=True)
@click.option("--export", is_flag=True)
@_common
def get(args: tuple[str, ...], filename: str | None, recursive: bool, skip_empty: bool, output: str,
        all_namespaces: bool, export: bool, config: str, namespace: str, kube_context: str | None,
        allow_version_mismatch: bool) -> None:
    from pycalicoctl import output as out

    _set_context(kube_context)
    kind, names = _kind_or_file(docs.GET, args, filename)
    printer = out.printer_for(output, print_namespace=all_namespaces or bool(namespace))
    options = Options(filename=filename, recursive=recursive, skip_empty=skip_empty, kind=kind, names=names,
                      namespace=namespace, all_namespaces=all_namespaces, export=export,
                      allow_version_mismatch=allow_version_mismatch)
    results = _run(Action.GET, options, config)
    if results.file_invalid:
        raise CommandError(f"Failed to execute command: {results.err}")
    if results.err is not None:
        raise CommandError(f"Failed to get resources: {results.err}")
    text = printer(results.resources, results.client)
    _finish(text, "\n".join(str(e) for e in results.res_errs) if results.res_errs else None)


@click.command("patch", cls=CalicoCommand, doc=docs.PATCH)
@click.argument("kind", shell_complete=_complete("complete_kind"))
@click.argument("name", shell_complete=_complete("complete_resource_name"))
@click.option("-p", "--patch", "patch_text", required=True)
@click.option("-t", "--type", "patch_type", default="strategic")
@_common
def patch(kind: str, name: str, patch_text: str, patch_type: str, config: str, namespace: str,
          kube_context: str | None, allow_version_mismatch: bool) -> None:
    _set_context(kube_context)
    options = Options(kind=kind, names=(name,), namespace=namespace, patch=patch_text,
                      allow_version_mismatch=allow_version_mismatch)
    _finish(*messages.patch(_run(Action.PATCH, options, config)))


@click.command("label", cls=CalicoCommand, doc=docs.LABEL)
@click.argument("args", nargs=-1, shell_complete=_complete("complete_kind_and_name"))
@click.option("--overwrite", is_flag=True)
@click.option("--remove", is_flag=True)
@_common
def label(args: tuple[str, ...], overwrite: bool, remove: bool, config: str, namespace: str,
          kube_context: str | None, allow_version_mismatch: bool) -> None:
    from pycalicoctl.labels import run_label

    _set_context(kube_context)
    if len(args) != 3 or (overwrite and remove):
        raise UsageFailure(docs.usage_section(docs.LABEL))
    kind, name, key_value = args
    state = _state()
    options = _with_mismatch(Options(kind=kind, names=(name,), namespace=namespace,
                                     allow_version_mismatch=allow_version_mismatch), state)
    _finish(run_label(options, key_value, overwrite, remove, _client_factory(config)), None)
