"""Console-script entry point: ``pycalicoctl = pycalicoctl.__main__:main``.

``get ippools`` in its plain forms is answered by the click-free :mod:`pycalicoctl.fastget` when it can
produce exactly the full CLI's output (set PYCALICOCTL_NO_FASTPATH=1 to always run the full CLI).
Otherwise imports only the root group; command modules, YAML and the datastore load on first use, and the
shell-completion machinery only when a completion request (``_PYCALICOCTL_COMPLETE``) is made.
"""
from __future__ import annotations

import os
import sys

COMPLETE_VAR = "_PYCALICOCTL_COMPLETE"
NO_FASTPATH_VAR = "PYCALICOCTL_NO_FASTPATH"


def main(argv: list[str] | None = None) -> None:
    """Run pycalicoctl with ``argv`` and exit with calicoctl's code.

    Without ``argv`` (a real invocation reading ``sys.argv``) the process ends with ``os._exit``
    once output is flushed and the client closed: interpreter teardown of the imported modules
    would otherwise add ~30 ms to every command. With ``argv`` it raises SystemExit as usual.
    """
    args = sys.argv[1:] if argv is None else argv
    if not os.environ.get(COMPLETE_VAR) and not os.environ.get(NO_FASTPATH_VAR):
        from pycalicoctl.fastget import run

        text = run(args)
        if text is not None:
            code = _write_output(text)
            if argv is not None:
                raise SystemExit(code)
            _exit_now(code)
    from pycalicoctl.cli import cli

    if os.environ.get(COMPLETE_VAR):
        from pycalicoctl.completion import run_if_requested

        run_if_requested(cli)
    if argv is not None:
        cli.main(args=argv, prog_name="calicoctl")
        return
    code = cli.main(args=sys.argv[1:], prog_name="calicoctl", standalone_mode=False)
    _exit_now(code)


def _write_output(text: str) -> int:
    """Print the fast path's output; a failing stdout is reported as the full CLI reports it."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as exc:
        from pycalicoctl.cli import report

        return report(exc)
    return 0


def _exit_now(code: int) -> None:
    """Flush what was written and leave without interpreter teardown."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    if "logging" in sys.modules:
        sys.modules["logging"].shutdown()
    os._exit(code)


if __name__ == "__main__":
    main()
