"""Audit finding 9: unexpected exceptions never reach the operator as ``ClassName: text``."""
from __future__ import annotations

import io
from contextlib import redirect_stderr

from pycalicoctl.cli import report


def _reported(exc: Exception) -> tuple[int, str]:
    err = io.StringIO()
    with redirect_stderr(err):
        code = report(exc)
    return code, err.getvalue()


def test_key_error_is_an_internal_error_line_without_the_class_name():
    code, text = _reported(KeyError("BlockAffinity"))
    assert code == 1
    assert text == ("Failed to execute command: internal error: 'BlockAffinity' "
                    "(run with -l debug for the traceback)\n")


def test_os_error_reads_like_go():
    code, text = _reported(FileNotFoundError(2, "No such file or directory", "/nonexist.pem"))
    assert (code, text) == (1, "/nonexist.pem: no such file or directory\n")


def test_empty_unexpected_error_still_says_something():
    assert _reported(RuntimeError())[1] == ("Failed to execute command: internal error: no details "
                                            "(run with -l debug for the traceback)\n")
