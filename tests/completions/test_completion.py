"""Shell completion: committed scripts are current, and completions work in-process, through the
``_PYCALICOCTL_COMPLETE`` protocol of the installed program, and inside a real bash."""
from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pycalicoctl import completion
from pycalicoctl.cli import cli
from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PROGRAM = VENV_BIN / "pycalicoctl"


def _load_generator():
    spec = importlib.util.spec_from_file_location("gen_completions", ROOT / "tools" / "gen_completions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def values(items) -> list[str]:
    return [item.value for item in items]


# ---------------------------------------------------------------------------------------------
# Generated scripts


def test_committed_scripts_are_current():
    generator = _load_generator()
    assert generator.stale_scripts() == [], "run: .venv/bin/python tools/gen_completions.py"
    assert set(generator.SCRIPTS.values()) == {"pycalicoctl.bash", "_pycalicoctl", "pycalicoctl.fish"}


def test_check_mode_reports_a_stale_script(tmp_path, monkeypatch, capsys):
    generator = _load_generator()
    monkeypatch.setattr(generator, "COMPLETIONS_DIR", tmp_path)
    monkeypatch.setattr(generator, "ROOT", tmp_path)
    assert generator.main([]) == 0
    assert generator.main(["--check"]) == 0
    (tmp_path / "pycalicoctl.fish").write_text("# edited by hand\n")
    assert generator.main(["--check"]) == 1
    assert "stale: pycalicoctl.fish" in capsys.readouterr().err


@pytest.mark.parametrize("shell,marker", [
    ("bash", "complete -o nosort -F _pycalicoctl_completion pycalicoctl"),
    ("zsh", "#compdef pycalicoctl"),
    ("fish", 'complete --no-files --command pycalicoctl --arguments "(_pycalicoctl_completion)"'),
])
def test_source_names_the_program_and_variable(shell, marker):
    text = completion.source(cli, shell)
    assert marker in text
    assert f"_PYCALICOCTL_COMPLETE={shell}_complete" in text


# ---------------------------------------------------------------------------------------------
# Root level: global options (options-first) and command names


def test_command_names():
    names = values(completion.complete_args(cli, [], ""))
    assert {"create", "apply", "replace", "delete", "get", "patch", "label", "version"} <= set(names)
    assert values(completion.complete_args(cli, [], "re")) == ["replace"]


def test_global_options_and_their_values():
    assert values(completion.complete_args(cli, [], "--l")) == ["--log-level"]
    assert values(completion.complete_args(cli, [], "--")) == [
        "--allow-version-mismatch", "--context", "--help", "--log-level", "--version"]
    assert values(completion.complete_args(cli, ["-l"], "")) == list(completion.LOG_LEVELS)
    assert values(completion.complete_args(cli, ["--log-level"], "d")) == ["debug"]
    assert values(completion.complete_args(cli, [], "--log-level=w")) == ["--log-level=warn"]
    assert values(completion.complete_args(cli, [], "-lf")) == ["-lfatal"]
    assert values(completion.complete_args(cli, ["--context"], "")) == []


def test_commands_after_global_options():
    args = ["-l", "debug", "--allow-version-mismatch", "--context", "kind-1"]
    assert "get" in values(completion.complete_args(cli, args, "g"))
    assert "version" in values(completion.complete_args(cli, ["-ldebug"], "v"))


def test_unknown_command_completes_nothing():
    assert completion.complete_args(cli, ["frobnicate"], "") == []
