"""The root command group: calicoctl's options-first top level, lazy sub-commands, one error handler.

Sub-commands are registered in ``COMMANDS`` as ``name -> "module:attribute"`` and imported only when
invoked, so ``pycalicoctl get ippools`` never imports the other command families.
Every outcome (success, typed CLI exits, datastore errors, click usage errors) is turned into output
and an exit code by :func:`report` — the only place that prints errors.
"""
from __future__ import annotations

import os
import sys
from importlib import import_module

import click

from pycalicoctl import docs
from pycalicoctl.errors import CliExit, HelpRequested, StdoutFailure, UsageFailure

# One line per command family (name -> "module:attribute"); modules are imported on first use.
COMMANDS: dict[str, str] = {
    "create": "pycalicoctl.commands.resources:create",
    "replace": "pycalicoctl.commands.resources:replace",
    "apply": "pycalicoctl.commands.resources:apply",
    "patch": "pycalicoctl.commands.resources:patch",
    "delete": "pycalicoctl.commands.resources:delete",
    "get": "pycalicoctl.commands.resources:get",
    "label": "pycalicoctl.commands.resources:label",
    "version": "pycalicoctl.commands.version:version",
    "node": "pycalicoctl.commands.node:node",
    "ipam": "pycalicoctl.commands.ipam:ipam",
    "datastore": "pycalicoctl.commands.datastore:datastore",
    "convert": "pycalicoctl.commands.convert:convert",
}

LOG_LEVELS = ("panic", "fatal", "error", "warn", "info", "debug")
_GLOBAL_LONGS = ("--help", "--log-level", "--context", "--allow-version-mismatch", "--version")


class CalicoCommand(click.Command):
    """A sub-command that parses like calicoctl's docopt: ``-h`` anywhere prints the doc, long options
    may be abbreviated to a unique prefix, and usage errors print the doc's usage section."""

    def __init__(self, *args, doc: str, rewrite: dict[str, str] | None = None, **kwargs):
        kwargs.setdefault("add_help_option", False)
        super().__init__(*args, **kwargs)
        self.doc = doc
        self.rewrite = rewrite or {}

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args = [self.rewrite.get(a, a) for a in args]
        if any(a in ("-h", "--help") for a in args):
            raise HelpRequested(docs.render(self.doc))
        try:
            args = expand_long_prefixes(args, self._long_options())
        except ValueError as exc:
            raise UsageFailure(docs.usage_section(self.doc), str(exc)) from None
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            raise UsageFailure(docs.usage_section(self.doc), _docopt_complaint(exc)) from None

    def _long_options(self) -> list[str]:
        return [o for p in self.params for o in (*p.opts, *p.secondary_opts) if o.startswith("--")]


class CalicoGroup(click.Group):
    """A command group in calicoctl style (``ipam``, ``node``): no sub-command → usage on stderr,
    exit 1; unknown sub-command → the full doc on stdout, exit 0."""

    def __init__(self, *args, doc: str, **kwargs):
        kwargs.setdefault("add_help_option", False)
        super().__init__(*args, **kwargs)
        self.doc = doc

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args:
            raise UsageFailure(docs.usage_section(self.doc))
        if args[0] in ("-h", "--help"):
            raise HelpRequested(docs.render(self.doc))
        if args[0] not in self.commands:
            raise HelpRequested(docs.render(self.doc))
        return super().parse_args(ctx, args)


class RootGroup(click.Group):
    """calicoctl's top level: global options must precede the command (docopt options-first)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["pycalicoctl.argv"] = list(args)
        ctx.args = []
        return []

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attribute = target.partition(":")
        return getattr(import_module(module), attribute)

    def invoke(self, ctx: click.Context):
        argv = ctx.meta["pycalicoctl.argv"]
        options, command, rest = parse_global_options(argv)
        state = ctx.ensure_object(_context_class())
        ctx.call_on_close(state.close)
        state.log_level = options.get("log_level", "panic")
        ctx.meta["pycalicoctl.debug"] = state.log_level == "debug"
        if options.get("allow_version_mismatch"):
            state.allow_version_mismatch = True
        if "context" in options:
            os.environ["K8S_CURRENT_CONTEXT"] = options["context"]
        _configure_logging(state.log_level)
        sub = self.get_command(ctx, command)
        if sub is None:
            raise CliExit(f'Unknown command: "{command}"\n{docs.render(docs.ROOT)}')
        if options.get("allow_version_mismatch"):
            rest = [*rest, "--allow-version-mismatch"]
        with sub.make_context(command, rest, parent=ctx) as sub_ctx:
            return sub.invoke(sub_ctx)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        argv = list(sys.argv[1:] if args is None else args)
        ctx = None
        try:
            ctx = self.make_context(prog_name or "calicoctl", argv, **extra)
            with ctx:
                self.invoke(ctx)
            code = 0
        except BaseException as exc:  # noqa: BLE001 - the single place errors become output
            code = report(exc, debug=bool(ctx is not None and ctx.meta.get("pycalicoctl.debug")))
        if standalone_mode:
            sys.exit(code)
        return code


def _context_class():
    from pycalicoctl.context import CliContext

    return CliContext


def parse_global_options(argv: list[str]) -> tuple[dict[str, object], str, list[str]]:
    """Split ``[options] <command> [<args>...]``; options-first as docopt does.

    Returns (options, command, rest). Raises the calicoctl help/usage exits.
    """
    options: dict[str, object] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("-") or arg == "-":
            break
        if arg.startswith("--"):
            name, eq, value = arg.partition("=")
            name = _unique_long(name, _GLOBAL_LONGS, argv)
        elif arg.startswith("-l"):
            name, eq, value = "--log-level", ("=" if len(arg) > 2 else ""), arg[2:]
        else:
            name, eq, value = arg, "", ""
        if name in ("-h", "--help"):
            raise HelpRequested(docs.render(docs.ROOT))
        if name == "--version":
            binary, _ = docs.binary_name()
            raise CliExit(f"Run '{binary} version' to see version information.", 0, "stdout")
        if name == "--allow-version-mismatch" and not eq:
            options["allow_version_mismatch"] = True
        elif name in ("--log-level", "--context"):
            if not eq:
                i += 1
                if i >= len(argv):
                    raise _invalid_global(argv)
                value = argv[i]
            if name == "--context":
                options["context"] = value
            elif value not in LOG_LEVELS:
                raise StdoutFailure(f"Unknown log level: {value}, expected one of: \n{', '.join(LOG_LEVELS)}.")
            else:
                options["log_level"] = value
        else:
            raise _invalid_global(argv)
        i += 1
    if i >= len(argv):
        raise _invalid_global(argv)
    return options, argv[i], argv[i + 1:]


def _unique_long(name: str, known: tuple[str, ...], argv: list[str]) -> str:
    if name in known:
        return name
    matches = [k for k in known if k.startswith(name)]
    if len(matches) == 1:
        return matches[0]
    raise _invalid_global(argv)


def _invalid_global(argv: list[str]) -> CliExit:
    return _SplitExit(
        docs.usage_section(docs.ROOT),
        f"Invalid option: '{' '.join(argv)}'. Use flag '--help' to read about a specific subcommand.",
    )


class _SplitExit(CliExit):
    """Top-level docopt failure: usage on stderr, the ``Invalid option`` line on stdout, exit 1."""

    def __init__(self, stderr_text: str, stdout_text: str):
        super().__init__(stdout_text, 1, "stdout")
        self.stderr_text = stderr_text


def expand_long_prefixes(args: list[str], longs: list[str]) -> list[str]:
    """docopt accepts any unambiguous prefix of a long option (``--out=yaml``, ``--all``).

    Raises ValueError with docopt's complaint when a prefix is ambiguous.
    """
    result = []
    for position, arg in enumerate(args):
        if arg == "--":
            result.extend(args[position:])
            break
        if arg.startswith("--") and len(arg) > 2:
            name, eq, value = arg.partition("=")
            if name not in longs:
                matches = [o for o in longs if o.startswith(name)]
                if len(matches) > 1:
                    raise ValueError(f"{name} is not a unique prefix: {', '.join(sorted(matches))}?")
                if len(matches) == 1:
                    arg = matches[0] + eq + value
        result.append(arg)
    return result


def _docopt_complaint(exc: click.UsageError) -> str:
    option = getattr(exc, "option_name", None)
    if option and "requires an argument" in exc.format_message():
        return f"{option} requires argument"
    return ""


def _configure_logging(level: str) -> None:
    if level in ("panic", "fatal"):
        return
    import logging

    logging.basicConfig(
        stream=sys.stderr,
        level={"error": logging.ERROR, "warn": logging.WARNING, "info": logging.INFO, "debug": logging.DEBUG}[level],
        format="%(asctime)s [%(levelname)s] %(name)s: %(message)s",
    )


def report(exc: BaseException, debug: bool = False) -> int:
    """Print ``exc`` the way calicoctl would and return the exit code (the only error printer).

    Unexpected exceptions print one line (with the traceback after it under ``-l debug``)."""
    if isinstance(exc, SystemExit):
        return exc.code if isinstance(exc.code, int) else 1
    if isinstance(exc, click.exceptions.Exit):
        return exc.exit_code
    if isinstance(exc, _SplitExit):
        _write(sys.stderr, exc.stderr_text + "\n")
    if isinstance(exc, CliExit):
        _write(sys.stdout if exc.stream == "stdout" else sys.stderr, exc.text + "\n")
        return exc.code
    if isinstance(exc, click.UsageError):
        _write(sys.stderr, docs.usage_section(docs.ROOT) + "\n")
        return 1
    if isinstance(exc, (KeyboardInterrupt, click.Abort)):
        return 1
    if isinstance(exc, BrokenPipeError):
        _silence_stdout()
        return 1
    if isinstance(exc, Exception):
        _write(sys.stderr, _one_line(exc) + "\n")
        if debug:
            import traceback

            traceback.print_exception(exc, file=sys.stderr)
        return 1
    raise exc


def _one_line(exc: Exception) -> str:
    """Typed datastore errors carry their user-facing text; an OS error reads like Go's
    (``<file>: no such file or directory``); anything else is reported as an internal error with its
    text (never the Python class name) and a pointer to ``-l debug`` for the traceback."""
    from datastore.errors import DatastoreError

    text = " ".join(str(exc).split())
    if isinstance(exc, DatastoreError) and text:
        return text
    if isinstance(exc, OSError) and exc.strerror:
        reason = exc.strerror[:1].lower() + exc.strerror[1:]
        return f"{exc.filename}: {reason}" if exc.filename else reason
    return f"Failed to execute command: internal error: {text or 'no details'} (run with -l debug for the traceback)"


def _silence_stdout() -> None:
    """The reader went away (``| head``): send the rest of stdout to /dev/null so exit stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _write(stream, text: str) -> None:
    try:
        stream.write(text)
        stream.flush()
    except BrokenPipeError:
        _silence_stdout()


@click.group(cls=RootGroup, add_help_option=False, invoke_without_command=True)
def cli() -> None:
    """calicoctl clone (the help text printed is calicoctl's, see pycalicoctl.docs.ROOT)."""
