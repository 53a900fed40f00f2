"""Typed CLI outcomes: each carries the exact text calicoctl prints, the stream, and the exit code.

``pycalicoctl.cli`` turns these (and datastore errors) into output in exactly one place.
"""
from __future__ import annotations


class CliExit(Exception):
    """End the command: ``text`` goes to ``stream`` ("stdout" / "stderr") and the process exits ``code``.

    ``text`` is printed followed by one newline, like calicoctl's ``fmt.Println`` / main's error print.
    """

    def __init__(self, text: str, code: int = 1, stream: str = "stderr"):
        super().__init__(text)
        self.text = text
        self.code = code
        self.stream = stream


class CommandError(CliExit):
    """A command failed: the message goes to stderr, exit 1 (calicoctl main's ``fmt.Fprintln(os.Stderr, err)``)."""

    def __init__(self, text: str):
        super().__init__(text, 1, "stderr")


class StdoutFailure(CliExit):
    """A failure calicoctl prints on stdout before exiting 1 (e.g. ``Failed to create Calico API client: …``)."""

    def __init__(self, text: str):
        super().__init__(text, 1, "stdout")


class HelpRequested(CliExit):
    """``-h/--help``: the command's doc on stdout, exit 0."""

    def __init__(self, doc: str):
        super().__init__(doc, 0, "stdout")


class UsageFailure(CliExit):
    """A docopt-style usage error: optional complaint line, then the usage section, on stderr, exit 1."""

    def __init__(self, usage: str, complaint: str = ""):
        text = f"{complaint}\n{usage}" if complaint else usage
        super().__init__(text, 1, "stderr")
