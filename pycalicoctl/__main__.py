"""Console-script entry point: ``pycalicoctl = pycalicoctl.__main__:main``.

Imports only the root group; command modules, YAML and the datastore load on first use, and the
shell-completion machinery only when a completion request (``_PYCALICOCTL_COMPLETE``) is made.
"""
from __future__ import annotations

import os

COMPLETE_VAR = "_PYCALICOCTL_COMPLETE"


def main(argv: list[str] | None = None) -> None:
    """Run pycalicoctl with ``argv`` (default ``sys.argv[1:]``) and exit with calicoctl's code."""
    from pycalicoctl.cli import cli

    if os.environ.get(COMPLETE_VAR):
        from pycalicoctl.completion import run_if_requested

        run_if_requested(cli)
    cli.main(args=argv, prog_name="calicoctl")


if __name__ == "__main__":
    main()
