"""calicoctl's result messages, as pure functions of the engine's :class:`Results`.

Each returns ``(stdout_text, error_text)``; ``error_text`` (None on success) is what calicoctl's main
prints on stderr before exiting 1. Error lists use Go's ``%v`` of a slice: ``[err1 err2]``.
"""
from __future__ import annotations

from pycalicoctl.engine import Results


def go_errors(errors: list[Exception]) -> str:
    """Go ``fmt.Sprint([]error{...})``: ``[a b]``."""
    return "[" + " ".join(str(e) for e in errors) + "]"


def _kind_phrase(results: Results, singular: bool) -> str:
    if not results.single_kind:
        return "resource" if singular else "resources"
    return f"'{results.single_kind}' resource" if singular else f"'{results.single_kind}' resources"


def file_or_engine_error(results: Results) -> str | None:
    """The error for a run that never got to the resources (bad file, unknown kind, empty input)."""
    if results.file_invalid:
        return f"Failed to execute command: {results.err}"
    if results.num_resources == 0 and results.err is not None:
        return str(results.err)
    return None


def create_like(results: Results, past: str, verb: str, hit: str) -> tuple[str, str | None]:
    """create / apply: ``Successfully created N 'K' resource(s)``, ``Failed to create …``, partial success."""
    early = file_or_engine_error(results)
    if early is not None:
        return "", early
    if results.num_resources == 0:
        return "No resources specified\n", None
    kinds = f" '{results.single_kind}'" if results.single_kind else ""
    if results.num_handled == 0:
        if results.num_resources == 1:
            return "", f"Failed to {verb} '{results.single_kind}' resource: {go_errors(results.res_errs)}"
        return "", f"Failed to {verb} any {_kind_phrase(results, False)}: {go_errors(results.res_errs)}"
    if not results.res_errs:
        return f"Successfully {past} {results.num_handled}{kinds} resource(s)\n", None
    out = ""
    if results.num_handled - len(results.res_errs) > 0:
        out = (f"Partial success: {past} the first {results.num_handled} out of "
               f"{results.num_resources} {_kind_phrase(results, False)}:\n")
    return out, f"{hit}: {go_errors(results.res_errs)}"


def create(results: Results) -> tuple[str, str | None]:
    return create_like(results, "created", "create", "Hit error")


def apply(results: Results) -> tuple[str, str | None]:
    return create_like(results, "applied", "apply", "Hit error(s)")


def replace(results: Results) -> tuple[str, str | None]:
    """replace keeps only the last error and counts failed resources as handled (calicoctl quirk)."""
    early = file_or_engine_error(results)
    if early is not None:
        return "", early
    if results.num_resources == 0:
        return "No resources specified\n", None
    kinds = f" '{results.single_kind}'" if results.single_kind else ""
    if results.num_handled == 0:
        if results.num_resources == 1:
            return "", f"Failed to replace '{results.single_kind}' resource: {results.err}"
        return "", f"Failed to replace any {_kind_phrase(results, False)}: {results.err}"
    if results.err is None:
        return f"Successfully replaced {results.num_handled}{kinds} resource(s)\n", None
    out = (f"Partial success: replaced the first {results.num_handled} out of "
           f"{results.num_resources} {_kind_phrase(results, False)}:\n")
    return out, f"Hit error: {results.err}"


def delete(results: Results) -> tuple[str, str | None]:
    """delete: successes first on stdout, then one ``Failed to delete …`` line per error."""
    early = file_or_engine_error(results)
    if early is not None:
        return "", early
    if results.num_resources == 0:
        return "No resources specified\n", None
    out = ""
    ok = results.num_handled
    if ok > 0:
        kinds = f" '{results.single_kind}'" if results.single_kind else ""
        out = f"Successfully deleted {ok}{kinds} resource(s)\n"
    if not results.res_errs:
        return out, None
    prefix = f"Failed to delete '{results.single_kind}' resource" if results.single_kind else "Failed to delete resource"
    return out, "".join(f"{prefix}: {e}\n" for e in results.res_errs)


def patch(results: Results) -> tuple[str, str | None]:
    """patch: ``Successfully patched 1 'K' resource`` or ``Hit error: <err>``."""
    if results.num_resources == 0:
        return "", str(results.err) if results.err is not None else "No resources specified"
    if results.err is not None:
        return "", f"Hit error: {results.err}"
    return f"Successfully patched {results.num_handled} '{results.single_kind}' resource\n", None
