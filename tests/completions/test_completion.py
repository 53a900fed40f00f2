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


ZSH_HARNESS = """
compdef() { : }
source "$SCRIPT"
# Record what the completion function offers instead of handing it to the line editor.
compadd() { local name=${@[-1]}; print -rl -- "${(@P)name}" }
_describe() { local name=$3; print -rl -- "${(@P)name}" }
words=(${(Q)${(z)LINE}})
[[ $LINE == *" " ]] && words+=("")
CURRENT=${#words}
_pycalicoctl_completion
"""


def zsh_complete(env, line: str, cwd: Path) -> list[str]:
    """Run the committed zsh script's completion function for ``line`` (cursor at its end)."""
    require(shutil.which("zsh") is not None, "zsh (tools/install.sh)")
    script = ROOT / "completions" / "_pycalicoctl"
    result = subprocess.run(["zsh", "-f", "-c", ZSH_HARNESS], env={**env, "LINE": line, "SCRIPT": str(script)},
                            cwd=cwd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_real_zsh_completes_commands_values_and_names(shell_env, tmp_path, config):
    assert zsh_complete(shell_env, "pycalicoctl ver", tmp_path) == ["version"]
    assert zsh_complete(shell_env, "pycalicoctl get -o ", tmp_path) == list(completion.OUTPUT_FORMATS)
    assert zsh_complete(shell_env, "pycalicoctl get pool", tmp_path) == ["pool:IPPool", "pools:IPPool"]
    assert zsh_complete(shell_env, f"pycalicoctl get -c {config} ippools ", tmp_path) == ["pool-a", "pool-b"]


def test_zsh_script_is_valid_zsh():
    require(shutil.which("zsh") is not None, "zsh (tools/install.sh)")
    result = subprocess.run(["zsh", "-n", str(ROOT / "completions" / "_pycalicoctl")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------------------------------------
# Values: -o formats, kinds and aliases, names and namespaces from the datastore

V3 = "projectcalico.org/v3"
STORED = [
    {"apiVersion": V3, "kind": "IPPool", "metadata": {"name": "pool-a"}, "spec": {"cidr": "198.18.0.0/24"}},
    {"apiVersion": V3, "kind": "IPPool", "metadata": {"name": "pool-b"}, "spec": {"cidr": "198.18.1.0/24"}},
    {"apiVersion": V3, "kind": "NetworkPolicy", "metadata": {"name": "allow-dns", "namespace": "default"},
     "spec": {"selector": "all()"}},
    {"apiVersion": V3, "kind": "NetworkPolicy", "metadata": {"name": "deny-all", "namespace": "kube-system"},
     "spec": {}},
    {"apiVersion": V3, "kind": "Node", "metadata": {"name": "node-1"}, "spec": {}},
]


def write_config(directory: Path, spec: str) -> str:
    path = directory / "calicoctl.cfg"
    path.write_text(f"apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata:\nspec:\n{spec}")
    return str(path)


@pytest.fixture
def config(tmp_path):
    """A calicoctl.cfg selecting a local datastore file that holds the STORED resources."""
    from datastore.client import connect
    from datastore.config import load_config
    from datastore.resources import from_dict

    path = write_config(tmp_path, f"  datastoreType: local\n  datastorePath: {tmp_path / 'datastore.db'}\n")
    client = connect(load_config(path))
    client.ensure_initialized()
    for document in STORED:
        client.create(from_dict(document))
    client.close()
    return path


def test_output_formats():
    assert values(completion.complete_args(cli, ["get", "-o"], "")) == list(completion.OUTPUT_FORMATS)
    assert values(completion.complete_args(cli, ["get", "--output"], "go")) == ["go-template=", "go-template-file="]
    assert values(completion.complete_args(cli, ["get"], "--output=y")) == ["--output=yaml"]


def test_options_read_as_the_command_reads_them():
    assert values(completion.complete_args(cli, ["get", "--out"], "w")) == ["wide"]
    assert values(completion.complete_args(cli, ["get"], "--outp=j")) == ["--outp=json"]
    assert values(completion.complete_args(cli, ["get"], "-oj")) == ["-ojson"]
    assert values(completion.complete_args(cli, ["get"], "--o")) == ["--output"]
    assert values(completion.complete_args(cli, ["create"], "--skip")) == ["--skip-empty", "--skip-exists"]
    assert values(completion.complete_args(cli, ["get", "-a"], "wor")) == ["workloadendpoint", "workloadendpoints"]
    assert completion.complete_args(cli, ["get", "-h"], "") == []
    assert completion.complete_args(cli, ["get", "--all"], "") == []  # ambiguous, as calicoctl says


def test_group_sub_commands():
    assert "status" in values(completion.complete_args(cli, ["node"], ""))
    assert values(completion.complete_args(cli, ["node", "status", "-o"], "")) == ["json"]


def test_ipam_sub_commands_and_values():
    assert {"check", "configure", "release", "show"} <= set(values(completion.complete_args(cli, ["ipam"], "")))
    assert values(completion.complete_args(cli, ["ipam", "configure", "--strictaffinity"], "")) == ["true", "false"]
    assert values(completion.complete_args(cli, ["ipam", "configure"], "--strictaffinity=f")) == [
        "--strictaffinity=false"]
    report = completion.complete_args(cli, ["ipam", "release", "--from-report"], "rep")
    assert [(item.value, item.type) for item in report] == [("rep", "file")]


def test_convert_and_nested_datastore_groups():
    assert values(completion.complete_args(cli, ["convert", "-o"], "")) == ["yaml", "json"]
    assert values(completion.complete_args(cli, ["datastore"], "")) == ["migrate"]
    assert values(completion.complete_args(cli, ["datastore", "migrate"], "")) == ["export", "import", "lock", "unlock"]
    items = completion.complete_args(cli, ["datastore", "migrate", "import", "-f"], "dump")
    assert [(item.value, item.type) for item in items] == [("dump", "file")]


def test_template_file_paths(tmp_path, monkeypatch):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "names.tpl").write_text("{{.}}")
    (tmp_path / ".hidden").write_text("")
    monkeypatch.chdir(tmp_path)
    assert values(completion.complete_args(cli, ["get", "-o"], "go-template-file=")) == [
        "go-template-file=templates/"]
    assert values(completion.complete_args(cli, ["get", "-o"], "go-template-file=templates/n")) == [
        "go-template-file=templates/names.tpl"]
    assert values(completion.complete_args(cli, ["get", "-o"], "go-template-file=missing/")) == []


def test_kinds_and_aliases():
    from datastore.resources import cli_kind_names

    assert values(completion.complete_args(cli, ["get"], "")) == list(cli_kind_names())
    assert values(completion.complete_args(cli, ["delete"], "gn")) == ["gnetsets", "gnp", "gnps"]
    assert values(completion.complete_args(cli, ["patch"], "IPP")) == ["ipp", "ippool", "ippools", "ipps"]
    helps = {item.value: item.help for item in completion.complete_args(cli, ["get"], "po")}
    assert helps == {"pol": "NetworkPolicy", "policies": "NetworkPolicy", "policy": "NetworkPolicy",
                     "pols": "NetworkPolicy", "pool": "IPPool", "pools": "IPPool"}
    assert "caliconodestatus" not in values(completion.complete_args(cli, ["get"], "calico"))


def test_names_from_the_datastore(config):
    complete = lambda args, incomplete="": values(completion.complete_args(cli, args, incomplete))  # noqa: E731
    assert complete(["get", "-c", config, "ippools"]) == ["pool-a", "pool-b"]
    assert complete(["get", "-c", config, "IPP"], "pool-b") == ["pool-b"]
    assert complete(["delete", "--config", config, "pools", "pool-a"]) == ["pool-b"]
    assert complete(["get", "-c", config, "nodes"]) == ["node-1"]
    assert complete(["get", "-c", config, "networkpolicy"]) == ["allow-dns"]
    assert complete(["get", "-c", config, "-n", "kube-system", "np"]) == ["deny-all"]
    assert complete(["get", "-c", config, "-A", "policies"]) == ["allow-dns", "deny-all"]
    assert complete(["patch", "-c", config, "node"]) == ["node-1"]
    assert complete(["label", "-c", config, "ippool"]) == ["pool-a", "pool-b"]
    assert complete(["label", "-c", config, "ippool", "pool-a"]) == []
    assert complete(["get", "-c", config, "frobs"]) == []
    assert complete(["get", "-c", config, "-n"]) == ["default", "kube-system"]
    assert complete(["ipam", "split", "-c", config, "--name"]) == ["pool-a", "pool-b"]
    assert complete(["ipam", "split", "-c", config, "--cidr"], "198.18.1") == ["198.18.1.0/24"]


def test_unusable_datastores_complete_nothing(tmp_path):
    missing_file = tmp_path / "absent" / "datastore.db"
    cases = {
        "no such config file": str(tmp_path / "nope.cfg"),
        "local file not created yet": write_config(tmp_path, f"  datastoreType: local\n  datastorePath: {missing_file}\n"),
    }
    for what, path in cases.items():
        assert completion.complete_args(cli, ["get", "-c", path, "ippools"], "") == [], what
    assert not missing_file.parent.exists(), "completion must not create a datastore"


def test_unreachable_and_silent_etcd_complete_nothing_in_time(tmp_path, monkeypatch):
    monkeypatch.setattr(completion, "LOOKUP_TIMEOUT", 0.5)
    with socket.socket() as closed, socket.socket() as silent:
        closed.bind(("127.0.0.1", 0))
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        for port in (closed.getsockname()[1], silent.getsockname()[1]):
            path = write_config(tmp_path, f"  datastoreType: etcdv3\n  etcdEndpoints: http://127.0.0.1:{port}\n")
            started = time.monotonic()
            assert completion.complete_args(cli, ["get", "-c", path, "ippools"], "") == []
            assert time.monotonic() - started < 1.5


def test_real_bash_completes_values_and_names(shell_env, tmp_path, config):
    assert bash_complete(shell_env, ["pycalicoctl", "get", "-c", config, "ippools", ""], tmp_path) == [
        "pool-a", "pool-b"]
    assert bash_complete(shell_env, ["pycalicoctl", "get", "-o", ""], tmp_path) == list(completion.OUTPUT_FORMATS)
    assert bash_complete(shell_env, ["pycalicoctl", "get", "--output", "=", "ya"], tmp_path) == ["yaml"]
    assert bash_complete(shell_env, ["pycalicoctl", "delete", "wor"], tmp_path) == ["workloadendpoint",
                                                                                  "workloadendpoints"]


def test_real_bash_does_not_add_a_space_after_an_open_value(shell_env, tmp_path):
    script = ROOT / "completions" / "pycalicoctl.bash"
    program = f"""
source {shlex.quote(str(script))}
compopt() {{ local IFS=" "; echo "compopt $*"; }}  # record what the script asks of readline (a builtin outside completion)
for word in custom-c y; do
    COMP_WORDS=(pycalicoctl get -o "$word")
    COMP_CWORD=3
    COMPREPLY=()
    _pycalicoctl_completion pycalicoctl "$word" -o
    echo "reply ${{COMPREPLY[*]}}"
done
"""
    result = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], env=shell_env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.splitlines() == ["compopt -o nospace", "reply custom-columns=", "reply yaml"]


def test_real_fish_completes_names(shell_env, tmp_path, config):
    assert fish_complete(shell_env, f"pycalicoctl get -c {config} ippools pool-", tmp_path) == ["pool-a", "pool-b"]
    assert fish_complete(shell_env, "pycalicoctl get -o w", tmp_path) == ["wide"]
