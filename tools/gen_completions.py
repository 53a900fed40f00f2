"""Regenerate the shell completion scripts in completions/ from the click app.

    .venv/bin/python tools/gen_completions.py          # rewrite the scripts
    .venv/bin/python tools/gen_completions.py --check  # exit 1 if any script is stale

The scripts are exactly what ``_PYCALICOCTL_COMPLETE=<shell>_source pycalicoctl`` prints.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pycalicoctl.cli import cli  # noqa: E402
from pycalicoctl.completion import source  # noqa: E402

COMPLETIONS_DIR = ROOT / "completions"
SCRIPTS = {"bash": "pycalicoctl.bash", "zsh": "_pycalicoctl", "fish": "pycalicoctl.fish"}


def expected_scripts() -> dict[Path, str]:
    """Each completion script's path and the text it must contain."""
    return {COMPLETIONS_DIR / filename: source(cli, shell) for shell, filename in SCRIPTS.items()}


def stale_scripts() -> list[Path]:
    """The scripts that are missing or differ from what the click app generates now."""
    return [
        path for path, text in expected_scripts().items()
        if not path.exists() or path.read_text() != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale scripts (exit 1 if any)")
    options = parser.parse_args(argv)
    if options.check:
        stale = stale_scripts()
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)} (run tools/gen_completions.py)", file=sys.stderr)
        return 1 if stale else 0
    COMPLETIONS_DIR.mkdir(exist_ok=True)
    for path, text in expected_scripts().items():
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
