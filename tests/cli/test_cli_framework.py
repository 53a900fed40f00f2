"""The calicoctl-style command framework: options-first globals, help and usage texts, exit codes,
docopt long-option prefixes, and lazy imports on the console-script path."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.cli.cli_support import invoke  # type: ignore[import-not-found]
from pycalicoctl import docs
from pycalicoctl.cli import expand_long_prefixes, parse_global_options

ROOT_USAGE = "Usage:\n  calicoctl [options] <command> [<args>...]"


def test_root_help_is_calicoctl_text():
    result = invoke(None, ["--help"])
    assert result.code == 0 and result.err == ""
    assert result.out.startswith(ROOT_USAGE + "\n\n    create       Create a resource by file, directory or stdin.\n")
    assert result.out.endswith("  See 'calicoctl <command> --help' to read about a specific subcommand.\n")
    assert invoke(None, ["-h"]).out == result.out


def test_version_flag():
    result = invoke(None, ["--version"])
    assert (result.code, result.out) == (0, "Run 'calicoctl version' to see version information.\n")


def test_invalid_global_option_and_missing_command():
    result = invoke(None, ["--allow-version-mismatch", "-m"])
    assert result.code == 1
    assert result.err == ROOT_USAGE + "\n"
    assert result.out == ("Invalid option: '--allow-version-mismatch -m'. "
                          "Use flag '--help' to read about a specific subcommand.\n")
    empty = invoke(None, [])
    assert (empty.code, empty.err) == (1, ROOT_USAGE + "\n")


def test_unknown_command_prints_doc_to_stderr():
    result = invoke(None, ["frobnicate"])
    assert result.code == 1 and result.out == ""
    assert result.err.startswith('Unknown command: "frobnicate"\n' + ROOT_USAGE)


def test_bad_log_level():
    result = invoke(None, ["--log-level=loud", "get", "ippools"])
    assert result.code == 1
    assert result.out == "Unknown log level: loud, expected one of: \npanic, fatal, error, warn, info, debug.\n"


def test_global_options_parse_options_first():
    options, command, rest = parse_global_options(["-l", "debug", "--context=k1", "--allow", "get", "-o", "yaml"])
    assert options == {"log_level": "debug", "context": "k1", "allow_version_mismatch": True}
    assert (command, rest) == ("get", ["-o", "yaml"])
    assert parse_global_options(["-lwarn", "version"])[0] == {"log_level": "warn"}


@pytest.mark.parametrize("command,doc", [("create", docs.CREATE), ("apply", docs.APPLY), ("replace", docs.REPLACE),
                                         ("delete", docs.DELETE), ("get", docs.GET), ("patch", docs.PATCH),
                                         ("label", docs.LABEL), ("version", docs.VERSION)])
def test_subcommand_help_anywhere(command, doc):
    result = invoke(None, [command, "-x", "--help"])
    assert result.code == 0 and result.err == ""
    assert result.out == docs.render(doc) + "\n"
    if doc is not docs.VERSION:
        assert result.out.startswith("Set the Calico datastore access information in the environment variables or\n")
    assert "    - ippool\n" in result.out or command == "version"


def test_usage_errors_print_usage_section_to_stderr():
    missing = invoke(None, ["create"])
    assert missing.code == 1 and missing.out == ""
    assert missing.err == (
        "Usage:\n  calicoctl create --filename=<FILENAME> [--recursive] [--skip-empty]\n"
        "                   [--skip-exists] [--config=<CONFIG>] [--namespace=<NS>] [--context=<context>] "
        "[--allow-version-mismatch]\n"
    )
    needs_value = invoke(None, ["get", "ippools", "-o"])
    assert needs_value.err.startswith("-o requires argument\nUsage:\n  calicoctl get ( (<KIND> [<NAME>...]) |\n")
    ambiguous = invoke(None, ["create", "--skip", "-f", "x.yaml"])
    assert ambiguous.err.startswith("--skip is not a unique prefix: --skip-empty, --skip-exists?\nUsage:\n")
    neither = invoke(None, ["get"])
    assert neither.code == 1 and neither.err.startswith("Usage:\n  calicoctl get (")
    both = invoke(None, ["delete", "ippool", "-f", "x.yaml"])
    assert both.code == 1 and both.err.startswith("Usage:\n  calicoctl delete (")
    label = invoke(None, ["label", "node", "n1", "k=v", "--overwrite", "--remove"])
    assert label.code == 1 and label.err.startswith("Usage:\n  calicoctl label (<KIND> <NAME>\n")


def test_long_option_prefixes():
    longs = ["--output", "--all-namespaces", "--skip-empty", "--skip-exists"]
    assert expand_long_prefixes(["--out=yaml", "--all", "x"], longs) == ["--output=yaml", "--all-namespaces", "x"]
    assert expand_long_prefixes(["--", "--out"], longs) == ["--", "--out"]
    with pytest.raises(ValueError, match="--skip is not a unique prefix"):
        expand_long_prefixes(["--skip"], longs)


def test_usage_section_cut_from_doc():
    assert docs.usage_section(docs.VERSION) == (
        "Usage:\n  calicoctl version [--config=<CONFIG>] [--poll=<POLL>] [--allow-version-mismatch]"
    )


def test_kubectl_plugin_name():
    assert docs.binary_name("/usr/local/bin/kubectl-calico") == ("kubectl-calico", "calico kubectl plugin")
    assert docs.binary_name("/usr/bin/pycalicoctl") == ("calicoctl", "calicoctl command line tool")


def test_missing_config_file_is_stdout_failure():
    result = invoke(None, ["get", "ippools", "-c", "/nonexistent/calicoctl.cfg"])
    assert (result.code, result.out, result.err) == (1, "Error reading config file: /nonexistent/calicoctl.cfg\n", "")


def test_broken_config_file_fails_client_creation(tmp_path):
    config = tmp_path / "calicoctl.cfg"
    config.write_text("apiVersion: projectcalico.org/v3\nkind: Nope\nspec: {}\n")
    result = invoke(None, ["get", "ippools", "-c", str(config)])
    assert result.code == 1
    assert result.out == (f"Failed to create Calico API client: syntax error in {config}: "
                          "invalid config file: expected kind 'CalicoAPIConfig', got 'Nope'\n")


def test_entry_point_imports_stay_lazy():
    code = (
        "import sys; from pycalicoctl.cli import cli; "
        "heavy = [m for m in ('yaml', 'datastore', 'pycalicoctl.commands.resources', 'http.client', 'json') "
        "if m in sys.modules]; print(heavy)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_get_ps_path_does_not_import_yaml(tmp_path):
    code = (
        "import sys\nfrom pycalicoctl.__main__ import main\n"
        "try:\n    main(['get', 'ippools'])\nexcept SystemExit:\n    pass\n"
        "print('yaml' in sys.modules, 'pycalicoctl.commands.version' in sys.modules,\n"
        "      'pycalicoctl.completion' in sys.modules, file=sys.stderr)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYCALICO_DATASTORE_PATH": str(tmp_path / "ds.db")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.stdout == "NAME   CIDR   SELECTOR   \n\n"
    assert done.stderr.strip() == "False False False"


class _ExplodingClient:
    """A client whose every call fails with an unexpected (non-datastore) exception."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise RuntimeError("disk on fire\nsecond line")

        return fail


_INTERNAL = ("Failed to execute command: internal error: disk on fire second line "
             "(run with -l debug for the traceback)")


def test_unexpected_error_is_one_line_without_traceback():
    result = invoke(_ExplodingClient(), ["get", "ippools"])
    assert (result.code, result.out, result.err) == (1, "", _INTERNAL + "\n")


def test_debug_log_level_adds_the_traceback():
    result = invoke(_ExplodingClient(), ["-l", "debug", "get", "ippools"])
    assert result.code == 1
    assert result.err.startswith(_INTERNAL + "\nTraceback (most recent call last):\n")


def test_config_file_selects_etcd(etcd, tmp_path):
    config = tmp_path / "calicoctl.cfg"
    config.write_text("apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata:\nspec:\n"
                      f"  datastoreType: etcdv3\n  etcdEndpoints: {etcd.url}\n")
    pool = "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: p\nspec:\n  cidr: 10.5.0.0/24\n"
    created = invoke(None, ["apply", "-c", str(config), "-f", "-"], stdin=pool)
    assert (created.code, created.out) == (0, "Successfully applied 1 'IPPool' resource(s)\n")
    listed = invoke(None, ["get", "ippools", "--config", str(config)])
    assert listed.out == "NAME   CIDR          SELECTOR   \np      10.5.0.0/24   all()      \n\n"


def test_silent_etcd_fails_within_the_read_timeout_naming_the_endpoint():
    """An etcd that accepts connections but never answers: one line naming it, within a few seconds."""
    import os
    import socket
    import time

    from datastore.backend.etcd import DEFAULT_TIMEOUT

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        endpoint = f"http://127.0.0.1:{listener.getsockname()[1]}"
        env = {**os.environ, "DATASTORE_TYPE": "etcdv3", "ETCD_ENDPOINTS": endpoint}
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "pycalicoctl", "get", "ippools"], env=env,
                              capture_output=True, text=True, timeout=30)
        elapsed = time.monotonic() - started
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == f"Failed to get resources: etcd request to {endpoint} failed: timed out\n"
    assert DEFAULT_TIMEOUT <= elapsed < DEFAULT_TIMEOUT + 3
