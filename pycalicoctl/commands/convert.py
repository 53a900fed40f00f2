"""``calicoctl convert``: Calico v1 and Kubernetes NetworkPolicy manifests to v3 (calicoctl v3.29, §2.6).

Loading and conversion are :mod:`pycalicoctl.convert`; this module reads the file, validates the
converted resources with :mod:`datastore.validation` and prints them (YAML or JSON). No datastore
access, no version check (as in calicoctl).
"""
from __future__ import annotations

import sys
from typing import Any

import click

from pycalicoctl import completion
from pycalicoctl.cli import CalicoCommand
from pycalicoctl.docs import DATASTORE_INTRO
from pycalicoctl.errors import CommandError

CONVERT_DOC = DATASTORE_INTRO + """Usage:
  <BINARY_NAME> convert --filename=<FILENAME>
                [--output=<OUTPUT>] [--ignore-validation] [--allow-version-mismatch]

Examples:
  # Convert the contents of policy.yaml to a Calico v3 policy.
  <BINARY_NAME> convert -f ./policy.yaml -o yaml

  # Convert a policy based on the JSON passed into stdin.
  cat policy.json | <BINARY_NAME> convert -f -

Options:
  -h --help                     Show this screen.
  -f --filename=<FILENAME>      Filename to use to create the resource. If set to
                                "-" loads from stdin.
  -o --output=<OUTPUT FORMAT>   Output format. One of: yaml or json.
                                [Default: yaml]
     --ignore-validation        Skip validation on the converted manifest.
     --allow-version-mismatch   Allow client and cluster versions mismatch.


Description:
  Convert config files from Calico v1 or Kubernetes to Calico v3 API versions. Both YAML and JSON formats are accepted.

  The default output will be printed to stdout in YAML format.
"""

_DROPPED_METADATA = ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
                     "deletionGracePeriodSeconds")


@click.command("convert", cls=CalicoCommand, doc=CONVERT_DOC)
@click.option("-f", "--filename", required=True, shell_complete=completion.complete_path)
@click.option("-o", "--output", default="yaml", shell_complete=completion.choices("yaml", "json"))
@click.option("--ignore-validation", is_flag=True)
@click.option("--allow-version-mismatch", is_flag=True)
def convert(filename: str, output: str, ignore_validation: bool, allow_version_mismatch: bool) -> None:
    """Print the v3 form of every v1 resource in ``filename``."""
    if output not in ("yaml", "yml", "json"):
        raise CommandError(f"unrecognized output format '{output}'")
    from pycalicoctl.printers import to_json, to_yaml

    documents = [_checked(_converted(resource), ignore_validation) for resource in _loaded(filename)]
    objects: list[dict[str, Any]] = documents if len(documents) <= 1 else [
        {"apiVersion": "v1", "items": documents, "kind": "List", "metadata": {}}]
    sys.stdout.write(to_json(objects) if output == "json" else to_yaml(objects))
    sys.stdout.flush()


def _loaded(filename: str) -> list[dict[str, Any]]:
    """Every resource of every document of the file (all are loaded before any is converted)."""
    from pycalicoctl.convert import LoadError, load_resources
    from pycalicoctl.loader import FileInvalid, parse_document, split_documents

    try:
        text = sys.stdin.read() if filename == "-" else _read(filename)
        loaded = []
        for document in split_documents(text):
            data = parse_document(document)
            if data is not None:
                loaded.extend(load_resources(data))
        return loaded
    except (LoadError, FileInvalid) as exc:
        raise CommandError(f"Failed to create resources from file: {exc}") from None


def _converted(resource: dict[str, Any]) -> dict[str, Any]:
    from datastore.errors import ValidationError
    from pycalicoctl.convert import ConvertError, convert_resource

    try:
        return convert_resource(resource)
    except (ConvertError, ValidationError) as exc:
        raise CommandError(f"Failed to convert resource: {exc}") from None


def _read(filename: str) -> str:
    from pycalicoctl.convert import LoadError

    try:
        with open(filename, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise LoadError(f"open {filename}: {(exc.strerror or str(exc)).lower()}") from None


def _checked(document: dict[str, Any], ignore_validation: bool) -> dict[str, Any]:
    """The document as calicoctl prints it (server metadata removed), validated unless told not to."""
    from datastore.errors import ParseError, ValidationError
    from datastore.resources import from_dict
    from datastore.validation import validate

    try:
        resource = from_dict(document)
    except ParseError as exc:
        raise CommandError(f"Failed to convert resource: {exc}") from None
    if not ignore_validation:
        try:
            validate(resource)
        except ValidationError as exc:
            raise CommandError(f"Converted manifest resource(s) failed validation: {exc}"
                               "Re-run the command with '--ignore-validation' flag to see the converted output.\n"
                               ) from None
    data = resource.to_dict()
    metadata = {k: v for k, v in (data.get("metadata") or {}).items() if k not in _DROPPED_METADATA}
    return {**data, "metadata": metadata}
