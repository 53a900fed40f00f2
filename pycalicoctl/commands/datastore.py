"""``calicoctl datastore migrate``: lock, unlock, export and import (calicoctl v3.29, reference §2.11).

pycalico differences, stated in the help texts: ``export`` also reads the embedded ``local``
datastore, and ``import`` writes into the embedded ``local`` datastore or an empty ``etcdv3`` one
(pycalico has no Kubernetes datastore). The file format is calicoctl's (see :mod:`pycalicoctl.migrate`).
"""
from __future__ import annotations

import sys
from typing import Any

import click

from pycalicoctl import completion, docs
from pycalicoctl.cli import CalicoCommand, CalicoGroup
from pycalicoctl.context import CliContext
from pycalicoctl.docs import DATASTORE_INTRO
from pycalicoctl.errors import CommandError
from pycalicoctl.migrate import DISPLAY_NAMES, EXPORT_PLURALS

_OPTIONS_TAIL = """  -c --config=<CONFIG>         Path to the file containing connection
                               configuration in YAML or JSON format.
                               [default: """ + docs.DEFAULT_CONFIG_PATH + """]
     --allow-version-mismatch  Allow client and cluster versions mismatch.
"""

DATASTORE_DOC = DATASTORE_INTRO + """Usage:
  <BINARY_NAME> datastore <command> [<args>...]

    migrate  Migrate the contents of an etcdv3 datastore to a Kubernetes datastore.

Options:
  -h --help      Show this screen.

Description:
  Datastore specific commands for <BINARY_NAME>.

  See '<BINARY_NAME> datastore <command> --help' to read about a specific subcommand.
"""

MIGRATE_DOC = DATASTORE_INTRO + """Usage:
  <BINARY_NAME> datastore migrate <command> [<args>...]

    export  Export the contents of the etcdv3 datastore to yaml.
    import  Store and convert yaml of resources into the Kubernetes datastore.
    lock    Lock the datastore to prevent changes from occurring during datastore migration.
    unlock  Unlock the datastore to allow changes once the migration is completed.

Options:
  -h --help      Show this screen.

Description:
  Migration specific commands.

  See '<BINARY_NAME> datastore migrate <command> --help' to read about a specific subcommand.
"""

EXPORT_DOC = """Usage:
  <BINARY_NAME> datastore migrate export [--config=<CONFIG>] [--allow-version-mismatch]

Options:
  -h --help                    Show this screen.
""" + _OPTIONS_TAIL + """
Description:
  Export the contents of the etcdv3 datastore.  Resources will be exported
  in yaml and json format. Save the results of this command to a file for
  later use with the import command.

  The following resources are exported:

""" + "".join(f"    - {DISPLAY_NAMES[p]}\n" for p in EXPORT_PLURALS) + """
  The following resources are not exported:

    - WorkloadEndpoints
    - Profiles

  pycalico: the embedded (local) datastore can be exported as well.
"""

IMPORT_DOC = """Usage:
  <BINARY_NAME> datastore migrate import --filename=<FILENAME> [--config=<CONFIG>] [--allow-version-mismatch]

Options:
  -h --help                    Show this screen.
  -f --filename=<FILENAME>     Filename to use to import resources.  If set to
                               "-" loads from stdin.
""" + _OPTIONS_TAIL + """
Description:
  Import the contents of the etcdv3 datastore from the file created by the
  export command.

  pycalico: the import target is the embedded (local) datastore, or an etcdv3
  datastore that holds no Calico resources yet (there is no Kubernetes datastore).
"""

LOCK_DOC = """Usage:
  <BINARY_NAME> datastore migrate lock [--config=<CONFIG>] [--allow-version-mismatch]

Options:
  -h --help                    Show this screen.
""" + _OPTIONS_TAIL + """
Description:
  Lock the datastore to prepare it for migration. This prevents any new
  Calico resources from affecting the cluster but does not prevent updating
  or creating new Calico resources.
"""

UNLOCK_DOC = """Usage:
  <BINARY_NAME> datastore migrate unlock [--config=<CONFIG>] [--allow-version-mismatch]

Options:
  -h --help                    Show this screen.
""" + _OPTIONS_TAIL + """
Description:
  Unlock the datastore to complete migration. This once again allows
  Calico resources to take effect in the cluster.
"""

_SUCCESS = ("Datastore information successfully imported. Please refer to the datastore migration "
            "documentation for next steps.\n")


def _out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _state() -> CliContext:
    return click.get_current_context().ensure_object(CliContext)


def _client(config: str) -> Any:
    return _state().get_client(config)


def _check_version(client: Any, allow_version_mismatch: bool) -> None:
    from pycalicoctl.engine import require_version_match

    require_version_match(client, allow_version_mismatch or _state().allow_version_mismatch)


def _datastore_type(config: str) -> str:
    """``etcdv3`` / ``local`` of the injected client's backend, else the configured datastoreType."""
    state = _state()
    if state.client is not None:
        return "etcdv3" if type(state.client.backend).__module__ == "datastore.backend.etcd" else "local"
    from pycalicoctl.context import load_config

    return load_config(config).datastore_type


def _set_ready(client: Any, ready: bool) -> None:
    import dataclasses

    from datastore.errors import DatastoreError

    purpose = "unlocking" if ready else "locking"
    try:
        info = client.get("ClusterInformation", "default")
    except DatastoreError as exc:
        raise CommandError(f"Error retrieving ClusterInformation for {purpose}: {exc}") from None
    info = dataclasses.replace(info, spec=dataclasses.replace(info.spec, datastore_ready=ready))
    try:
        client.update(info, system=True)
    except DatastoreError as exc:
        raise CommandError(f"Error updating ClusterInformation for {purpose}: {exc}") from None


def _lock(client: Any) -> None:
    from datastore.errors import DatastoreError

    try:
        client.ensure_initialized()
    except DatastoreError as exc:
        raise CommandError(f"Unable to initialize cluster information for the datastore migration: {exc}") from None
    _set_ready(client, False)
    _out("Datastore locked.\n")


def _is_locked(client: Any) -> bool:
    from datastore.errors import NotFound

    try:
        info = client.get("ClusterInformation", "default")
    except NotFound:
        return False
    return info.spec.datastore_ready is False


_CONFIG = click.option("-c", "--config", default=docs.DEFAULT_CONFIG_PATH, shell_complete=completion.complete_path)
_MISMATCH = click.option("--allow-version-mismatch", is_flag=True)


@click.group("datastore", cls=CalicoGroup, doc=DATASTORE_DOC)
def datastore() -> None:
    """Datastore management (the doc printed is DATASTORE_DOC)."""


@datastore.group("migrate", cls=CalicoGroup, doc=MIGRATE_DOC)
def migrate() -> None:
    """Datastore migration (the doc printed is MIGRATE_DOC)."""


@migrate.command("lock", cls=CalicoCommand, doc=LOCK_DOC)
@_CONFIG
@_MISMATCH
def lock(config: str, allow_version_mismatch: bool) -> None:
    """Set ClusterInformation ``default`` spec.datastoreReady to false."""
    client = _client(config)
    _check_version(client, allow_version_mismatch)
    _lock(client)


@migrate.command("unlock", cls=CalicoCommand, doc=UNLOCK_DOC)
@_CONFIG
@_MISMATCH
def unlock(config: str, allow_version_mismatch: bool) -> None:
    """Set ClusterInformation ``default`` spec.datastoreReady to true."""
    client = _client(config)
    _check_version(client, allow_version_mismatch)
    _set_ready(client, True)
    _out("Datastore unlocked.\n")


@migrate.command("export", cls=CalicoCommand, doc=EXPORT_DOC)
@_CONFIG
@_MISMATCH
def export(config: str, allow_version_mismatch: bool) -> None:
    """Print the v3 resources, the ClusterInformation and the IPAM data in calicoctl's export format."""
    from datastore.errors import DatastoreError

    datastore_type = _datastore_type(config)
    if datastore_type not in ("etcdv3", "local"):
        raise CommandError(f"Invalid datastore type: {datastore_type} to export from for datastore migration. "
                           "Datastore type must be etcdv3")
    client = _client(config)
    _check_version(client, allow_version_mismatch)
    try:
        locked = _is_locked(client)
    except DatastoreError as exc:
        raise CommandError(f"Error while checking if datastore was locked: {exc}") from None
    if not locked:
        raise CommandError("Datastore is not locked. Run the `calicoctl datastore migrate lock` command "
                           "in order to begin migration.")
    _out(_export_text(client))


def _export_text(client: Any) -> str:
    from datastore import keys
    from pycalicoctl import migrate as mig
    from pycalicoctl.engine import Action, Options, execute
    from pycalicoctl.printers import to_json, to_yaml

    parts: list[str] = []
    node_map: dict[str, str] = {}
    for plural in mig.EXPORT_PLURALS:
        options = Options(kind=plural, all_namespaces=plural in mig.NAMESPACED_PLURALS, allow_version_mismatch=True)
        results = execute(Action.GET, options, lambda: client)
        errors = ([results.err] if results.err is not None else []) + list(results.res_errs)
        if errors:
            raise CommandError("\n".join(str(e) for e in errors))
        try:
            lists = [mig.clean_list(plural, data, node_map) for data in results.resources]
        except mig.MigrateError as exc:
            raise CommandError(str(exc)) from None
        parts.append(to_yaml(lists) + "---\n")
    parts.append("===\n")
    parts.append(to_json([client.get("ClusterInformation", "default").to_dict()]))
    parts.append("===\n")
    stored, _ = client.backend.list(keys.IPAM_PREFIX)
    records = []
    for kv in stored:
        try:
            records.append((keys.parse_key(kv.key), kv.value))
        except ValueError:
            continue
    parts.append(mig.go_indent_json(mig.ipam_export(records, node_map)))
    return "".join(parts)


@migrate.command("import", cls=CalicoCommand, doc=IMPORT_DOC)
@click.option("-f", "--filename", required=True, shell_complete=completion.complete_path)
@_CONFIG
@_MISMATCH
def import_(filename: str, config: str, allow_version_mismatch: bool) -> None:
    """Load an export file into an empty etcdv3 datastore or the embedded datastore."""
    from pycalicoctl import migrate as mig

    datastore_type = _datastore_type(config)
    if datastore_type not in ("etcdv3", "local"):
        raise CommandError(f"Invalid datastore type: {datastore_type} to import to for datastore migration. "
                           "Datastore type must be local or etcdv3")
    try:
        parts = mig.split_import_file(_read(filename), "/dev/stdin" if filename == "-" else filename)
        cluster_guid, calico_version = mig.parse_cluster_info(parts.cluster_info_json)
        ipam_records = mig.parse_ipam(parts.ipam_json)
    except mig.MigrateError as exc:
        raise CommandError(str(exc)) from None
    resources = _load_resources(parts.resources_yaml)
    client = _client(config)
    _check_empty(client)
    if not _is_locked_initialised(client):
        _lock(client)
    _apply_resources(client, resources)
    _update_cluster_info(client, cluster_guid, calico_version)
    _out("Importing IPAM resources\n")
    _push_ipam(client, ipam_records)
    _out(_SUCCESS)


def _read(filename: str) -> str:
    if filename == "-":
        return sys.stdin.read()
    try:
        with open(filename, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        from pycalicoctl.migrate import MigrateError

        raise MigrateError(f"Error while reading migration file: open {filename}: "
                           f"{(exc.strerror or str(exc)).lower()}\n") from None


def _load_resources(text: str) -> list[Any]:
    """Every v3 resource of the file's first part, parsed before anything is written."""
    import io

    from datastore.errors import ParseError
    from pycalicoctl.engine import Options, load_targets
    from pycalicoctl.loader import FileInvalid, NothingLoaded

    try:
        targets = load_targets(Options(filename="-", skip_empty=True), io.StringIO(text))
    except (FileInvalid, ParseError) as exc:
        raise CommandError(f"Failed to import v3 resources: Failed to import v3 resources: "
                           f"Failed to execute command: {exc}\n\n") from None
    except NothingLoaded:
        targets = []
    return [t.resource for t in targets]


def _check_empty(client: Any) -> None:
    """calicoctl's checkCalicoResourcesNotExist (nodes included: here they are Calico's own)."""
    from datastore import keys
    from datastore.resources import lookup_kind
    from pycalicoctl.migrate import EXPORT_PLURALS, K8S_POLICY_PREFIX

    for plural in (*EXPORT_PLURALS, "clusterinformations"):
        info = lookup_kind(plural)
        existing = [r for r in client.list(info.kind, None)
                    if not (info.kind == "NetworkPolicy" and r.metadata.name.startswith(K8S_POLICY_PREFIX))]
        if existing:
            raise CommandError(f"Datastore already has Calico resources: Found existing Calico {info.kind} resource. "
                               "Clear out all Calico resources by deleting all Calico CRDs.")
    stored, _ = client.backend.list(keys.IPAM_PREFIX)
    for kv in stored:
        try:
            key = keys.parse_key(kv.key)
        except ValueError:
            continue
        if isinstance(key, (keys.BlockKey, keys.BlockAffinityKey, keys.HandleKey, keys.IPAMConfigKey)):
            raise CommandError("Datastore already has Calico resources: Found existing IPAM resources. "
                               "Clear out all Calico resources by deleting all Calico CRDs.")


def _is_locked_initialised(client: Any) -> bool:
    from datastore.errors import DatastoreError

    try:
        client.ensure_initialized()
    except DatastoreError as exc:
        raise CommandError(f"Unable to initialize cluster information for the datastore migration: {exc}") from None
    try:
        return _is_locked(client)
    except DatastoreError as exc:
        raise CommandError(f"Error while checking if datastore was locked: {exc}") from None


def _apply_resources(client: Any, resources: list[Any]) -> None:
    """calicoctl's applyV3: apply every resource, then one summary line (errors end the import)."""
    from datastore.errors import DatastoreError
    from pycalicoctl.messages import go_errors

    errors: list[Exception] = []
    handled = 0
    for resource in resources:
        try:
            client.apply(resource)
        except DatastoreError as exc:
            errors.append(exc)
            continue
        handled += 1
    prefix = "Failed to import v3 resources: Failed to import v3 resources: "
    if handled == 0:
        raise CommandError(f"{prefix}Failed to apply any resources: {go_errors(errors)}\n\n")
    if errors:
        raise CommandError(f"{prefix}Hit error(s): {go_errors(errors)}\n\n")
    kinds = {r.KIND.kind for r in resources}
    if len(kinds) == 1:
        _out(f"Successfully applied {handled} '{kinds.pop()}' resource(s)\n")
    else:
        _out(f"Successfully applied {handled} resource(s)\n")


def _update_cluster_info(client: Any, cluster_guid: str, calico_version: str) -> None:
    import dataclasses

    from datastore.errors import DatastoreError

    try:
        info = client.get("ClusterInformation", "default")
    except DatastoreError as exc:
        raise CommandError("Failed to update cluster information: Error retrieving current cluster info "
                           f"for migration: {exc}") from None
    spec = dataclasses.replace(info.spec, cluster_guid=cluster_guid, calico_version=calico_version)
    try:
        client.update(dataclasses.replace(info, spec=spec), system=True)
    except DatastoreError as exc:
        raise CommandError("Failed to update cluster information: Error updating current cluster info "
                           f"for migration: {exc}") from None


def _push_ipam(client: Any, records: list[Any]) -> None:
    """calicoctl's PushToDatastore and its summary (every record counts as handled, as there)."""
    from datastore.errors import DatastoreError
    from pycalicoctl.messages import go_errors

    errors: list[Exception] = []
    for record in records:
        try:
            client.backend.create(record.path, record.value)
        except DatastoreError as exc:
            errors.append(CommandError(f"error trying to create block affinity {record.label}: {exc}"))
    if not records:
        raise CommandError("No IPAM resources specified in file")
    if errors:
        _out(f"Partial success: applied the first {len(records)} out of {len(records)} resources:\n")
        raise CommandError(f"Hit error(s): {go_errors(errors)}")
    _out(f"Successfully applied {len(records)} IPAM resource(s)\n")
