"""``calicoctl ipam``: show, check, release and configure (reference/calicoctl.md §2.8 and §5).

Reading and writing go through :mod:`datastore.ipam` (the allocator bound to the client); the
analysis of ``check`` is :mod:`datastore.ipam.check`, the tables :mod:`pycalicoctl.ipamprint`.
"""
from __future__ import annotations

import ipaddress
import os
import sys

import click

from pycalicoctl import completion, docs, ipamprint
from pycalicoctl.cli import CalicoCommand, CalicoGroup
from pycalicoctl.context import CliContext
from pycalicoctl.docs import DATASTORE_INTRO
from pycalicoctl.engine import CLIENT_VERSION
from pycalicoctl.errors import CommandError, StdoutFailure, UsageFailure

_TAIL = """  -c --config=<CONFIG>         Path to the file containing connection
                               configuration in YAML or JSON format.
                               [default: """ + docs.DEFAULT_CONFIG_PATH + """]
     --allow-version-mismatch  Allow client and cluster versions mismatch.
"""

IPAM_DOC = DATASTORE_INTRO + """Usage:
  <BINARY_NAME> ipam <command> [<args>...]

    check        Check the integrity of the IPAM datastructures.
    release      Release a Calico assigned IP address.
    show         Show details of a Calico configuration,
                 assigned IP address, or of overall IP usage.
    split        Split an IP pool into the specified number of smaller IP pools.
    configure    Configure IPAM

Options:
  -h --help      Show this screen.

Description:
  IP address management commands for Calico.

  See '<BINARY_NAME> ipam <command> --help' to read about a specific subcommand.
"""

SHOW_DOC = DATASTORE_INTRO + """Usage:
  <BINARY_NAME> ipam show [--ip=<IP> | --show-blocks | --show-borrowed | --show-configuration] [--config=<CONFIG>] [--allow-version-mismatch]

Options:
  -h --help                    Show this screen.
     --ip=<IP>                 Report whether this specific IP address is in use.
     --show-blocks             Show detailed information for IP blocks as well as pools.
     --show-borrowed           Show detailed information for "borrowed" IP addresses.
     --show-configuration      Show current Calico IPAM configuration.
""" + _TAIL + """
Description:
  The ipam show command prints information about a given IP address, or about
  overall IP usage.
"""

CHECK_DOC = DATASTORE_INTRO + """Usage:
  <BINARY_NAME> ipam check [--config=<CONFIG>] [--show-all-ips] [--show-problem-ips] [-o <FILE>] [--allow-version-mismatch]

Options:
  -h --help                    Show this screen.
  -o --output=<FILE>           Path to output report file.
     --show-all-ips            Print all IPs that are checked.
     --show-problem-ips        Print all IPs that are leaked or not allocated properly.
""" + _TAIL + """
Description:
  The ipam check command checks the integrity of the IPAM datastructures against Kubernetes.
"""

RELEASE_DOC = DATASTORE_INTRO + """Usage:
  <BINARY_NAME> ipam release [--ip=<IP>] [--from-report=<REPORT>]... [--config=<CONFIG>] [--force] [--allow-version-mismatch]

Options:
  -h --help                    Show this screen.
     --ip=<IP>                 IP address to release.
     --from-report=<REPORT>    Release all leaked addresses from the report.  If multiple reports are specified,
                               only leaked IPs common to all reports will be released.
     --force                   Force release of leaked addresses.
""" + _TAIL + """
Description:
  The ipam release command releases an IP address from the Calico IP Address
  Manager that was been previously assigned to an endpoint.  When an IP address
  is released, it becomes available for assignment to any endpoint.
"""

CONFIGURE_DOC = DATASTORE_INTRO + """Usage:
  <BINARY_NAME> ipam configure --strictaffinity=<true/false> [--max-blocks-per-host=<number>] [--config=<CONFIG>] [--allow-version-mismatch]

Options:
  -h --help                        Show this screen.
     --strictaffinity=<true/false> Set StrictAffinity to true/false. When StrictAffinity
                                   is true, borrowing IP addresses is not allowed.
     --max-blocks-per-host=<number> Set the maximum number of blocks that can be affine to each host.
""" + _TAIL + """
Description:
  Modify configuration for Calico IP address management.
"""

SPLIT_DOC = DATASTORE_INTRO + """Usage:
  <BINARY_NAME> ipam split <NUMBER> [--cidr=<CIDR>] [--name=<POOL_NAME>] [--config=<CONFIG>] [--allow-version-mismatch]

Options:
  -h --help                    Show this screen.
     --cidr=<CIDR>             CIDR of the IP pool to split.
     --name=<POOL_NAME>        Name of the IP pool to split.
""" + _TAIL + """
Description:
  Split a specified IP pool into the given number (a power of 2) of smaller IP pools with the same
  settings. The datastore must be locked (calicoctl datastore migrate lock) while this is done.
"""

_GO_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_GO_FALSE = ("0", "f", "F", "FALSE", "false", "False")


def _out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _client(config: str):
    return click.get_current_context().ensure_object(CliContext).get_client(config)


def _check_version(config: str, allow_version_mismatch: bool) -> None:
    """calicoctl runs its version-mismatch check first in every ipam sub-command."""
    from pycalicoctl.engine import require_version_match

    state = click.get_current_context().ensure_object(CliContext)
    require_version_match(_client(config), allow_version_mismatch or state.allow_version_mismatch)


def _ipam(config: str):
    from datastore.ipam.service import ipam_for

    return ipam_for(_client(config))


def _parse_ip(text: str):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise StdoutFailure(f"Error executing command: invalid IP address specified: {text}") from None


@click.group("ipam", cls=CalicoGroup, doc=IPAM_DOC)
def ipam() -> None:
    """IP address management (the doc printed is IPAM_DOC)."""


@ipam.command("show", cls=CalicoCommand, doc=SHOW_DOC)
@click.option("--ip", "ip", default=None)
@click.option("--show-blocks", is_flag=True)
@click.option("--show-borrowed", is_flag=True)
@click.option("--show-configuration", is_flag=True)
@click.option("-c", "--config", default=docs.DEFAULT_CONFIG_PATH, shell_complete=completion.complete_path)
@click.option("--allow-version-mismatch", is_flag=True)
def show(ip, show_blocks, show_borrowed, show_configuration, config, allow_version_mismatch) -> None:
    """Pool/block utilisation, one IP's attributes, borrowed IPs or the IPAM configuration."""
    from datastore.ipam.usage import borrowed, utilization

    if sum(bool(x) for x in (ip, show_blocks, show_borrowed, show_configuration)) > 1:
        raise UsageFailure(docs.usage_section(SHOW_DOC))
    _check_version(config, allow_version_mismatch)
    address = _parse_ip(ip) if ip is not None else None
    allocator = _ipam(config)
    if address is not None:
        found = allocator.block_of(address)
        attribute = None if found is None else found[1].attribute_of(address)
        _out(ipamprint.ip_report(address, attribute))
    elif show_configuration:
        _out(ipamprint.config_table(allocator.ensure_config()))
    elif show_borrowed:
        _out(ipamprint.borrowed_table(*borrowed([b for _, b in allocator.blocks()])))
    else:
        from datastore.ipam.service import pools_of

        usage = utilization(pools_of(allocator.client), [b for _, b in allocator.blocks()])
        _out(ipamprint.utilization_table(usage, show_blocks))


@ipam.command("configure", cls=CalicoCommand, doc=CONFIGURE_DOC)
@click.option("--strictaffinity", "strict", required=True, shell_complete=completion.choices("true", "false"))
@click.option("--max-blocks-per-host", "max_blocks", default=None)
@click.option("-c", "--config", default=docs.DEFAULT_CONFIG_PATH, shell_complete=completion.complete_path)
@click.option("--allow-version-mismatch", is_flag=True)
def configure(strict, max_blocks, config, allow_version_mismatch) -> None:
    """Set StrictAffinity (and MaxBlocksPerHost) in the IPAM configuration."""
    import dataclasses

    from datastore.ipam.allocator import IPAMError

    _check_version(config, allow_version_mismatch)
    if strict in _GO_TRUE:
        value = True
    elif strict in _GO_FALSE:
        value = False
    else:
        raise CommandError("Invalid value. Use true or false to set strictaffinity")
    blocks = None
    if max_blocks is not None:
        try:
            blocks = int(max_blocks)
        except ValueError:
            raise CommandError("Invalid value. Use a number to set max-blocks-per-host") from None
    allocator = _ipam(config)
    current = allocator.get_config()
    wanted = dataclasses.replace(current, strict_affinity=value)
    if blocks is not None:
        wanted = dataclasses.replace(wanted, max_blocks_per_host=blocks)
    try:
        allocator.set_config(wanted)
    except IPAMError as exc:
        raise CommandError(f"Error: {exc}") from None
    _out(f"Successfully set StrictAffinity to: {'true' if value else 'false'}\n")
    if blocks is not None:
        _out(f"Successfully set MaxBlocksPerHost to: {blocks}\n")


@ipam.command("release", cls=CalicoCommand, doc=RELEASE_DOC)
@click.option("--ip", "ip", default=None)
@click.option("--from-report", "reports", multiple=True, shell_complete=completion.complete_path)
@click.option("--force", is_flag=True)
@click.option("-c", "--config", default=docs.DEFAULT_CONFIG_PATH, shell_complete=completion.complete_path)
@click.option("--allow-version-mismatch", is_flag=True)
def release(ip, reports, force, config, allow_version_mismatch) -> None:
    """Release one IP, or the leaked IPs and handles common to check reports."""
    _check_version(config, allow_version_mismatch)
    if ip is not None:
        address = _parse_ip(ip)
        allocator = _ipam(config)
        if allocator.release_ips([address]):
            raise CommandError(f"IP address {address} is not assigned")
        _out(f"Successfully released IP address {address}\n")
    elif reports:
        _release_from_reports(list(reports), force, config)


def _release_from_reports(paths: list[str], force: bool, config: str) -> None:
    from datastore.ipam.check import ReportError, common_leaked_handles, common_leaks, parse_report

    client = _client(config)
    info = client.get("ClusterInformation", "default")
    parsed = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as handle:
                parsed.append(parse_report(handle.read()))
        except OSError as exc:
            raise CommandError(f"Failed to read report file {path}: {exc.strerror}") from None
        except ReportError as exc:
            raise CommandError(f"Failed to parse report file {path}: {exc}") from None
    for path, report in zip(paths, parsed):
        if report.meta.cluster_guid != info.spec.cluster_guid:
            raise CommandError(f"Cluster does not match the provided report ({path}): mismatched cluster GUID. "
                               "Refusing to release.")
        if report.meta.version != CLIENT_VERSION:
            if not force:
                raise CommandError(f"The provided report ({path}) was produced using a different version "
                                   f"({report.meta.version}) of calicoctl. Refusing to release.")
            _out("WARNING: Report was produced using a different version of calicoctl. "
                 "Ignoring due to --force option\n")
    revision = info.metadata.resource_version
    if not any(r.meta.cluster_information_revision == revision for r in parsed):
        raise CommandError("The provided reports are all stale - at least one should be up-to-date. "
                           "Please generate a new report while the data store is locked and try again.")
    if info.spec.datastore_ready is not False:
        if not force:
            raise CommandError("Data store is not locked. Either lock the data store, or re-run with --force.")
        _out("WARNING: Data store is not locked. Ignoring due to --force option\n")
    from datastore.ipam.service import ipam_for

    allocator = ipam_for(client)
    leaks = common_leaks(parsed)
    if leaks:
        _out(f"Releasing {len(leaks)} old IPs...\n")
        released = allocator.release_allocations([(l.address, l.handle or None, l.sequence_number) for l in leaks])
        _out(f"Released {len(released)} IPs successfully\n")
        if len(released) < len(leaks):
            _out(f"{len(leaks) - len(released)} addresses marked as leaked in the report had already been cleaned up.\n")
    else:
        _out("Report didn't contain any leaked IPs to clean up.\n")
    handles = common_leaked_handles(parsed)
    if handles:
        _out(f"Deleting {len(handles)} handles...\n")
        _out("Key: '.' = Deleted OK; 'x' = skip, handle missing/changed.\n")
        marks = "".join("." if allocator.delete_handle(h.handle_id, h.revision) else "x" for h in handles)
        _out(marks + "\n")
        done = marks.count(".")
        _out(f"Released {done} handles; {len(marks) - done} skipped; 0 errors.\n")
    else:
        _out("Report didn't contain any handles to clean up.\n")
    _out("You may now unlock the data store.\n")


@ipam.command("check", cls=CalicoCommand, doc=CHECK_DOC)
@click.option("--show-all-ips", is_flag=True)
@click.option("--show-problem-ips", is_flag=True)
@click.option("-o", "--output", "output", default=None, shell_complete=completion.complete_path)
@click.option("-c", "--config", default=docs.DEFAULT_CONFIG_PATH, shell_complete=completion.complete_path)
@click.option("--allow-version-mismatch", is_flag=True)
def check(show_all_ips, show_problem_ips, output, config, allow_version_mismatch) -> None:
    """Look for leaked IPs, unallocated in-use IPs and leaked handles; optionally write a report."""
    from datastore.ipam.check import ReportMeta, analyse, report_json
    from datastore.ipam.service import check_input

    _check_version(config, allow_version_mismatch)
    client = _client(config)
    _out("Checking IPAM for inconsistencies...\n\n")
    result = analyse(check_input(client))
    _out(ipamprint.check_text(result, show_problem_ips or show_all_ips, show_all_ips))
    if output:
        info = client.get("ClusterInformation", "default")
        meta = ReportMeta(CLIENT_VERSION, info.spec.cluster_guid, info.spec.datastore_ready is False,
                          info.metadata.resource_version, info.spec.cluster_type)
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(report_json(result, meta))
        os.chmod(output, 0o777)


@ipam.command("split", cls=CalicoCommand, doc=SPLIT_DOC)
@click.argument("number")
@click.option("--cidr", default="", shell_complete=completion.complete_pool_cidr)
@click.option("--name", default="", shell_complete=completion.complete_pool_name)
@click.option("-c", "--config", default=docs.DEFAULT_CONFIG_PATH, shell_complete=completion.complete_path)
@click.option("--allow-version-mismatch", is_flag=True)
def split(number, cidr, name, config, allow_version_mismatch) -> None:
    """Replace one IP pool by ``number`` pools ``split-<name>-<i>`` covering its CIDR (datastore locked)."""
    import dataclasses

    from datastore.errors import DatastoreError, NotFound
    from datastore.ipam.usage import split_cidr

    _check_version(config, allow_version_mismatch)
    if not cidr and not name:
        raise CommandError("No name or CIDR provided. Provide a name or CIDR to denote the IP pool to split.")
    client = _client(config)
    if client.get("ClusterInformation", "default").spec.datastore_ready is not False:
        raise CommandError("Datastore is not locked. Run the `calicoctl datastore migrate lock` command in order "
                           "split the IP pools.")
    if name:
        try:
            pool = client.get("IPPool", name)
        except NotFound as exc:
            raise CommandError(f"Unable to find IP pool with name {name}: {exc}") from None
    else:
        wanted = _network_or_none(cidr)
        pool = next((p for p in client.list("IPPool") if _network_or_none(p.spec.cidr) == wanted), None)
        if pool is None:
            raise CommandError(f"Unable to find IP pool {name} covering the specified CIDR {cidr}")
    original = pool
    if not pool.spec.disabled:
        pool = client.update(dataclasses.replace(pool, spec=dataclasses.replace(pool.spec, disabled=True)))
    try:
        parts = int(number, 10)
    except ValueError:
        raise CommandError(f"Error reading number to split IP pools into. {number} is not a valid number: "
                           f'strconv.Atoi: parsing "{number}": invalid syntax') from None
    try:
        cidrs = split_cidr(ipaddress.ip_network(original.spec.cidr, strict=False), parts)
    except ValueError as exc:
        raise CommandError(f"Error splitting the CIDR {original.spec.cidr} into {parts} CIDRs: {exc}") from None
    old = original.metadata.name
    try:
        client.delete("IPPool", old)
        created = []
        for index, part in enumerate(cidrs):
            created.append(client.create(dataclasses.replace(
                original, metadata=type(original.metadata)(name=f"split-{old}-{index}",
                                                           labels=original.metadata.labels,
                                                           annotations=original.metadata.annotations),
                spec=dataclasses.replace(original.spec, cidr=str(part)))))
    except DatastoreError as exc:
        raise CommandError(f"Error: {exc}") from None
    _out(f"IP Pool {old} was successfully split into {parts} smaller pools.")
    for pool in created:
        _out(f"Created {pool.metadata.name} with CIDR {pool.spec.cidr}.\n")
    _out("Please refer to the documentation for final steps.")


def _network_or_none(text: str):
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
