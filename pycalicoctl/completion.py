"""Shell completion for pycalicoctl (bash, zsh, fish) on top of click's completion machinery.

The root command parses calicoctl's options-first global options itself, so click's generic
context walk cannot see sub-commands; :func:`complete_args` walks ``[globals] <command> [<args>]``
the same way and then lets click complete the sub-command's options and parameters. Parameters
get values from the ``shell_complete=`` callbacks below: ``-o`` formats, kind names and aliases,
namespaces, and resource names read from the configured datastore. A datastore lookup that
fails or takes longer than :data:`LOOKUP_TIMEOUT` seconds completes nothing.

Entry point: :func:`run_if_requested` (called first thing by the CLI's ``main``) answers when
``_PYCALICOCTL_COMPLETE`` is set, e.g. ``_PYCALICOCTL_COMPLETE=bash_source pycalicoctl``.
"""
from __future__ import annotations

import os
import sys
import threading
from typing import Callable, Iterable

import click
from click.shell_completion import (
    BashComplete,
    CompletionItem,
    FishComplete,
    ShellComplete,
    ZshComplete,
    _resolve_incomplete,
    add_completion_class,
    shell_complete,
)

from pycalicoctl.cli import expand_long_prefixes
from pycalicoctl.errors import CliExit

PROG_NAME = "pycalicoctl"
COMPLETE_VAR = "_PYCALICOCTL_COMPLETE"
LOOKUP_TIMEOUT = 2.0

OUTPUT_FORMATS = ("ps", "wide", "yaml", "json", "custom-columns=", "go-template=", "go-template-file=")
LOG_LEVELS = ("panic", "fatal", "error", "warn", "info", "debug")
DEFAULT_NAMESPACE = "default"
_TEMPLATE_FILE = "go-template-file="

# Global options of the root command: (spelling, takes a value).
_GLOBAL_OPTIONS = (
    ("--allow-version-mismatch", False),
    ("--context", True),
    ("--help", False),
    ("--log-level", True),
    ("--version", False),
    ("-h", False),
    ("-l", True),
)


# ---------------------------------------------------------------------------------------------
# Parameter callbacks (wired with ``shell_complete=`` into the commands)


def _matching(candidates: Iterable[str], incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(value) for value in candidates if value.startswith(incomplete)]


def complete_output(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """``-o/--output`` values; after ``go-template-file=`` the path is completed too."""
    if incomplete.startswith(_TEMPLATE_FILE):
        return [CompletionItem(_TEMPLATE_FILE + path) for path in _paths(incomplete[len(_TEMPLATE_FILE):])]
    return _matching(OUTPUT_FORMATS, incomplete)


def _paths(prefix: str) -> list[str]:
    """Files and directories (with a trailing ``/``) whose path starts with ``prefix``."""
    directory, base = os.path.split(prefix)
    try:
        entries = sorted(os.listdir(os.path.expanduser(directory) or "."))
    except OSError:
        return []
    paths = []
    for entry in entries:
        if not entry.startswith(base) or (entry.startswith(".") and not base.startswith(".")):
            continue
        path = os.path.join(directory, entry)
        paths.append(path + "/" if os.path.isdir(os.path.expanduser(path)) else path)
    return paths


def choices(*values: str) -> Callable[[click.Context, click.Parameter, str], list[CompletionItem]]:
    """A callback completing a fixed set of values (e.g. ``node status -o``: ``json``)."""

    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
        return _matching(values, incomplete)

    return complete


def complete_path(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """File-name options (``-f/--filename``, ``-c/--config``): the shell completes paths itself."""
    return [CompletionItem(incomplete, type="file")]


def complete_kind(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """``<KIND>``: the lower-case kind names; once something is typed, every alias that matches."""
    from datastore.resources import KINDS

    kinds = sorted((info for info in KINDS.values() if info.manageable), key=lambda info: info.kind)
    if not incomplete:
        return [CompletionItem(info.kind.lower(), help=info.kind) for info in kinds]
    typed = incomplete.lower()
    items: dict[str, str] = {}
    for info in kinds:
        for spelling in (info.kind.lower(), info.plural, *info.aliases):
            if spelling.startswith(typed):
                items.setdefault(spelling, info.kind)
    return [CompletionItem(name, help=kind) for name, kind in sorted(items.items())]


def complete_resource_name(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """``<NAME>`` after a separate ``<KIND>`` argument (``patch <KIND> <NAME>``)."""
    kind = ctx.params.get("kind")
    return _names(ctx, kind, (), incomplete) if kind else []


def complete_kind_and_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """``<KIND> [<NAME>...]`` in one variadic argument (``get``, ``delete``)."""
    typed = tuple(ctx.params.get(param.name) or ())
    if not typed:
        return complete_kind(ctx, param, incomplete)
    return _names(ctx, typed[0], typed[1:], incomplete)


def complete_kind_and_name(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """``<KIND> <NAME> <key>[=<value>]`` in one variadic argument (``label``): kind, then one name."""
    typed = tuple(ctx.params.get(param.name) or ())
    if not typed:
        return complete_kind(ctx, param, incomplete)
    if len(typed) == 1:
        return _names(ctx, typed[0], (), incomplete)
    return []


def _names(ctx: click.Context, kind: str, exclude: tuple[str, ...], incomplete: str) -> list[CompletionItem]:
    """Stored names of ``kind`` (as typed: kind, plural or alias) that start with ``incomplete``.

    Namespaced kinds use ``-n`` (default ``default``), or every namespace with ``-A``.
    """
    from datastore.errors import DatastoreError
    from datastore.resources import lookup_kind

    try:
        info = lookup_kind(kind)
    except DatastoreError:
        return []
    namespace: str | None = None
    if info.namespaced and not ctx.params.get("all_namespaces"):
        namespace = ctx.params.get("namespace") or DEFAULT_NAMESPACE
    names = _lookup(ctx, lambda client: {r.metadata.name for r in client.list(info.kind, namespace)})
    return _matching(sorted(names - set(exclude)), incomplete)


def complete_namespace(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """``-n/--namespace``: namespaces that hold namespaced resources, plus ``default``."""
    from datastore.resources import KINDS

    def namespaces(client) -> set[str]:
        found = {DEFAULT_NAMESPACE}
        for info in KINDS.values():
            if info.namespaced and info.manageable:
                found.update(r.metadata.namespace for r in client.list(info.kind, None))
        return found

    return _matching(sorted(_lookup(ctx, namespaces) | {DEFAULT_NAMESPACE}), incomplete)


def complete_pool_name(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Options naming an IP pool (``ipam split --name``): the stored IPPool names."""
    names = _lookup(ctx, lambda client: {pool.metadata.name for pool in client.list("IPPool", None)})
    return _matching(sorted(names), incomplete)


def complete_pool_cidr(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Options naming an IP pool by CIDR (``ipam split --cidr``): the stored IPPools' CIDRs."""
    cidrs = _lookup(ctx, lambda client: {str(pool.spec.cidr) for pool in client.list("IPPool", None)})
    return _matching(sorted(cidrs), incomplete)


def _lookup(ctx: click.Context, query: Callable[[object], set[str]]) -> set[str]:
    """Run ``query(client)`` against the datastore named by ``-c/--config``; empty on any failure
    or when it does not answer within LOOKUP_TIMEOUT seconds. Never creates a datastore."""
    result: set[str] = set()

    def work() -> None:
        try:
            client = _read_only_client(ctx.params.get("config"))
            if client is None:
                return
            try:
                result.update(query(client))
            finally:
                client.close()
        except Exception:  # noqa: BLE001 - completion must never fail the shell
            result.clear()

    worker = threading.Thread(target=work, name="pycalicoctl-completion", daemon=True)
    worker.start()
    worker.join(LOOKUP_TIMEOUT)
    return set(result) if not worker.is_alive() else set()


def _read_only_client(config_path: str | None):
    """A datastore client for lookups, or None when the local datastore file does not exist."""
    from datastore.backend import open_backend
    from datastore.client import Client
    from datastore.config import load_config

    config = load_config(config_path)
    if config.datastore_type == "local" and not os.path.exists(config.datastore_path):
        return None
    return Client(open_backend(config))


# ---------------------------------------------------------------------------------------------
# Walking calicoctl's command line


def complete_args(cli: click.Group, args: list[str], incomplete: str) -> list[CompletionItem]:
    """Completions for the word ``incomplete`` after the complete words ``args`` (program name
    excluded). Plain items are whole-word replacements: for ``--output=ya`` they read ``--output=yaml``."""
    root = click.Context(cli, info_name=PROG_NAME, resilient_parsing=True)
    position = _skip_global_options(args)
    if position >= len(args):
        return _complete_root(root, args, incomplete)
    name, rest = args[position], args[position + 1:]
    try:
        return _complete_command(root, name, rest, incomplete)
    except (CliExit, click.ClickException, click.exceptions.Exit, click.Abort):
        # The command line cannot be parsed that far (e.g. -h, an ambiguous option): nothing to offer.
        return []


def _global_option(word: str) -> tuple[str, bool] | None:
    """The global option a word names (long options may be abbreviated), and whether its value is attached."""
    if word.startswith("-l") and not word.startswith("--"):
        return "-l", len(word) > 2
    name, eq, _ = word.partition("=")
    matches = [spelling for spelling, _ in _GLOBAL_OPTIONS if spelling == name]
    if not matches and name.startswith("--"):
        matches = [spelling for spelling, _ in _GLOBAL_OPTIONS if spelling.startswith(name)]
    if len(matches) != 1:
        return None
    return matches[0], bool(eq)


def _takes_value(option: str) -> bool:
    return dict(_GLOBAL_OPTIONS)[option]


def _skip_global_options(args: list[str]) -> int:
    """Index of the command word in ``args`` (``len(args)`` if it has not been typed yet)."""
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "-":
        found = _global_option(args[i])
        if found is not None and _takes_value(found[0]) and not found[1]:
            i += 1
        i += 1
    return i


def _complete_root(root: click.Context, args: list[str], incomplete: str) -> list[CompletionItem]:
    previous = _global_option(args[-1]) if args else None
    if previous is not None and _takes_value(previous[0]) and not previous[1]:
        return _matching(LOG_LEVELS, incomplete) if previous[0] in ("-l", "--log-level") else []
    if incomplete.startswith("--log-level="):
        typed = incomplete[len("--log-level="):]
        return [CompletionItem(f"--log-level={level}") for level in LOG_LEVELS if level.startswith(typed)]
    if incomplete.startswith("-l") and len(incomplete) > 2:
        return [CompletionItem(f"-l{level}") for level in LOG_LEVELS if level.startswith(incomplete[2:])]
    if incomplete.startswith("-"):
        return _matching((spelling for spelling, _ in _GLOBAL_OPTIONS), incomplete)
    cli = root.command
    return [CompletionItem(name, help=_short_help(root, name)) for name in cli.list_commands(root)
            if name.startswith(incomplete)]


def _short_help(ctx: click.Context, name: str) -> str | None:
    """A command's one-line help, or None when its module cannot be loaded (still completed by name)."""
    try:
        command = ctx.command.get_command(ctx, name)
    except ImportError:
        return None
    return command.get_short_help_str() if command is not None else None


def _complete_command(parent: click.Context, name: str, rest: list[str], incomplete: str) -> list[CompletionItem]:
    command = parent.command.get_command(parent, name)
    if command is None:
        return []
    if isinstance(command, click.Group):
        ctx = click.Context(command, info_name=name, parent=parent, resilient_parsing=True)
        words = [w for w in rest if not w.startswith("-")]
        if words:
            return _complete_command(ctx, words[0], rest[rest.index(words[0]) + 1:], incomplete)
        return [CompletionItem(sub, help=_short_help(ctx, sub)) for sub in command.list_commands(ctx)
                if sub.startswith(incomplete)]
    words = _as_parsed(command, rest)
    ctx = command.make_context(name, list(words), parent=parent, resilient_parsing=True)
    attached = _attached_short_option(command, incomplete)
    if attached is not None:
        param, prefix = attached
        return [_with_prefix(item, prefix) for item in param.shell_complete(ctx, incomplete[len(prefix):])]
    option_prefix, lookup = "", incomplete
    if incomplete.startswith("-") and "=" in incomplete:
        option_prefix = incomplete.partition("=")[0] + "="
        lookup = _as_parsed(command, [incomplete])[0]
    target, value = _resolve_incomplete(ctx, list(words), lookup)
    items = target.shell_complete(ctx, value)
    if option_prefix and target is not command:
        return [_with_prefix(item, option_prefix) for item in items]
    return items


def _as_parsed(command: click.Command, words: list[str]) -> list[str]:
    """The words as the command itself reads them: its rewrites (``get -a`` → ``-A``) applied and
    abbreviated long options expanded (docopt style)."""
    rewrite = getattr(command, "rewrite", {})
    words = [rewrite.get(word, word) for word in words]
    longs = [o for p in command.params for o in (*p.opts, *p.secondary_opts) if o.startswith("--")]
    try:
        return expand_long_prefixes(words, longs)
    except ValueError:
        return words


def _attached_short_option(command: click.Command, incomplete: str) -> tuple[click.Parameter, str] | None:
    """For ``-oya`` (a value-taking short option with its value attached): the option and ``-o``."""
    if len(incomplete) <= 2 or incomplete[0] != "-" or incomplete[1] == "-":
        return None
    prefix = incomplete[:2]
    for param in command.params:
        if isinstance(param, click.Option) and not param.is_flag and prefix in param.opts:
            return param, prefix
    return None


def _with_prefix(item: CompletionItem, prefix: str) -> CompletionItem:
    if item.type != "plain":
        return item
    return CompletionItem(prefix + item.value, type=item.type, help=item.help)


# ---------------------------------------------------------------------------------------------
# Shell adapters


class _CalicoctlComplete(ShellComplete):
    """Completion through :func:`complete_args` instead of click's generic context walk."""

    cli: click.Group

    def get_completions(self, args: list[str], incomplete: str) -> list[CompletionItem]:
        return complete_args(self.cli, args, incomplete)


# click's bash script, plus: no space after a completion ending in "=" or "/" (``-o custom-columns=``,
# ``go-template-file=dir/``) so the value can be typed straight on.
_SOURCE_BASH = """\
%(complete_func)s() {
    local IFS=$'\\n'
    local response

    response=$(env COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD=$COMP_CWORD \
%(complete_var)s=bash_complete $1)

    for completion in $response; do
        IFS=',' read type value <<< "$completion"

        if [[ $type == 'dir' ]]; then
            COMPREPLY=()
            compopt -o dirnames
        elif [[ $type == 'file' ]]; then
            COMPREPLY=()
            compopt -o default
        elif [[ $type == 'plain' ]]; then
            COMPREPLY+=($value)
            if [[ $value == *= || $value == */ ]]; then
                compopt -o nospace
            fi
        fi
    done

    return 0
}

%(complete_func)s_setup() {
    complete -o nosort -F %(complete_func)s %(prog_name)s
}

%(complete_func)s_setup;
"""


class CalicoctlBashComplete(_CalicoctlComplete, BashComplete):
    """Bash splits ``--output=yaml`` into three words at ``=``; join them back for completion and
    return only the part after ``=``, which is the word bash replaces."""

    source_template = _SOURCE_BASH

    def get_completions(self, args: list[str], incomplete: str) -> list[CompletionItem]:
        if incomplete == "=" and args:
            left = args[-1] + "="
            items = super().get_completions(args[:-1], left)
            return _strip_prefix(items, left, "=")
        if len(args) >= 2 and args[-1] == "=":
            left = args[-2] + "="
            items = super().get_completions(args[:-2], left + incomplete)
            return _strip_prefix(items, left, "")
        return super().get_completions(args, incomplete)


def _strip_prefix(items: list[CompletionItem], prefix: str, replacement: str) -> list[CompletionItem]:
    result = []
    for item in items:
        if item.type == "plain":
            if not item.value.startswith(prefix):
                continue
            item = CompletionItem(replacement + item.value[len(prefix):], type=item.type, help=item.help)
        result.append(item)
    return result


class CalicoctlZshComplete(_CalicoctlComplete, ZshComplete):
    """Zsh adapter."""


class CalicoctlFishComplete(_CalicoctlComplete, FishComplete):
    """Fish adapter."""


SHELLS: dict[str, type[ShellComplete]] = {
    "bash": CalicoctlBashComplete,
    "zsh": CalicoctlZshComplete,
    "fish": CalicoctlFishComplete,
}


def source(cli: click.Group, shell: str) -> str:
    """The completion script for ``shell`` (what ``_PYCALICOCTL_COMPLETE=<shell>_source`` prints)."""
    return SHELLS[shell](cli, {}, PROG_NAME, COMPLETE_VAR).source()


def run_if_requested(cli: click.Group, environ: dict[str, str] | None = None) -> None:
    """If ``_PYCALICOCTL_COMPLETE`` is set, print the script or the completions and exit."""
    environ = os.environ if environ is None else environ
    instruction = environ.get(COMPLETE_VAR)
    if not instruction:
        return
    for name, cls in SHELLS.items():
        add_completion_class(cls, name)
    sys.exit(shell_complete(cli, {}, PROG_NAME, COMPLETE_VAR, instruction))
