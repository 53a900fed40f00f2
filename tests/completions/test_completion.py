"""Shell completion: committed scripts are current, and completions work in-process, through the
``_PYCALICOCTL_COMPLETE`` protocol of the installed program, and inside a real bash."""
from __future__ import annotations

import importlib.util
import os
import shlex
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


# ---------------------------------------------------------------------------------------------
# The program's completion protocol and the real shells


@pytest.fixture
def shell_env(tmp_path):
    """Environment for running the installed program: our venv first on PATH, a private datastore."""
    require(PROGRAM.exists(), f"{PROGRAM} (pip install -e .)")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CALICO_", "DATASTORE_", "ETCD_"))}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    env["PYCALICO_DATASTORE_PATH"] = str(tmp_path / "datastore.db")
    env["HOME"] = str(tmp_path)
    return env


def run_protocol(env, shell: str, words: str, cword: str, cwd: Path) -> str:
    result = subprocess.run(
        [str(PROGRAM)], env={**env, "COMP_WORDS": words, "COMP_CWORD": cword, completion.COMPLETE_VAR: f"{shell}_complete"},
        cwd=cwd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def test_protocol_for_each_shell(shell_env, tmp_path):
    assert run_protocol(shell_env, "bash", "pycalicoctl ver", "1", tmp_path) == "plain,version\n"
    assert run_protocol(shell_env, "zsh", "pycalicoctl ver", "1", tmp_path).startswith("plain\nversion\n")
    assert run_protocol(shell_env, "fish", "pycalicoctl ver", "ver", tmp_path).startswith("plain,version")


def test_protocol_source_matches_committed_scripts(shell_env, tmp_path):
    for shell, filename in (("bash", "pycalicoctl.bash"), ("zsh", "_pycalicoctl"), ("fish", "pycalicoctl.fish")):
        result = subprocess.run([str(PROGRAM)], env={**shell_env, completion.COMPLETE_VAR: f"{shell}_source"},
                                cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0
        assert result.stdout == (ROOT / "completions" / filename).read_text()


def bash_complete(env, words: list[str], cwd: Path) -> list[str]:
    """Source the committed bash script, complete the last of ``words`` (split as bash splits the
    line, ``=`` being a word break), and return COMPREPLY."""
    require(shutil.which("bash") is not None, "bash")
    script = ROOT / "completions" / "pycalicoctl.bash"
    quoted = " ".join(shlex.quote(word) for word in words)
    program = f"""
source {shlex.quote(str(script))}
COMP_WORDS=({quoted})
COMP_CWORD={len(words) - 1}
_pycalicoctl_completion pycalicoctl "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    result = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], env=env,
                            cwd=cwd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [word for word in result.stdout.splitlines() if word]


def test_real_bash_completes_commands_and_global_options(shell_env, tmp_path):
    assert bash_complete(shell_env, ["pycalicoctl", "ver"], tmp_path) == ["version"]
    assert bash_complete(shell_env, ["pycalicoctl", "-l", ""], tmp_path) == list(completion.LOG_LEVELS)
    assert "get" in bash_complete(shell_env, ["pycalicoctl", "--log-level", "debug", ""], tmp_path)
    # "--log-level=w": bash splits at "=", so the word being replaced is "w" (or "=" right after it).
    assert bash_complete(shell_env, ["pycalicoctl", "--log-level", "=", "w"], tmp_path) == ["warn"]
    assert bash_complete(shell_env, ["pycalicoctl", "--log-level", "="], tmp_path) == [
        "=" + level for level in completion.LOG_LEVELS]


def fish_complete(env, line: str, cwd: Path) -> list[str]:
    """Load the committed fish script and ask fish to complete ``line``."""
    require(shutil.which("fish") is not None, "fish (tools/install.sh)")
    script = ROOT / "completions" / "pycalicoctl.fish"
    result = subprocess.run(["fish", "--no-config", "-c", f"source {script}; complete -C $LINE"],
                            env={**env, "LINE": line}, cwd=cwd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [entry.split("\t")[0] for entry in result.stdout.splitlines()]


def test_real_fish_completes_commands(shell_env, tmp_path):
    assert fish_complete(shell_env, "pycalicoctl ver", tmp_path) == ["version"]
    assert fish_complete(shell_env, "pycalicoctl --log-level=d", tmp_path) == ["--log-level=debug"]


def test_zsh_script_is_valid_zsh():
    require(shutil.which("zsh") is not None, "zsh (tools/install.sh)")
    result = subprocess.run(["zsh", "-n", str(ROOT / "completions" / "_pycalicoctl")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
