"""calicoctl's help documents (docopt style) and the helpers that cut usage sections out of them.

Texts follow calicoctl v3.29; ``<BINARY_NAME>`` becomes ``calicoctl`` (``kubectl-calico`` when the
program is invoked as a kubectl plugin) and ``<RESOURCE_LIST>`` the sorted lower-case kinds.
"""
from __future__ import annotations

import os
import sys

DEFAULT_CONFIG_PATH = "/etc/calico/calicoctl.cfg"

DATASTORE_INTRO = """Set the Calico datastore access information in the environment variables or
supply details in a config file.

"""

ROOT = """Usage:
  <BINARY_NAME> [options] <command> [<args>...]

    create       Create a resource by file, directory or stdin.
    replace      Replace a resource by file, directory or stdin.
    apply        Apply a resource by file, directory or stdin.  This creates a resource
                 if it does not exist, and replaces a resource if it does exists.
    patch        Patch a preexisting resource in place.
    delete       Delete a resource identified by file, directory, stdin or resource type and
                 name.
    get          Get a resource identified by file, directory, stdin or resource type and
                 name.
    label        Add or update labels of resources.
    convert      Convert config files between different API versions.
    ipam         IP address management.
    node         Calico node management.
    version      Display the version of this binary.
    datastore    Calico datastore management.

Options:
  -h --help                    Show this screen.
  -l --log-level=<level>       Set the log level (one of panic, fatal, error,
                               warn, info, debug) [default: panic]
     --context=<context>       The name of the kubeconfig context to use.
     --allow-version-mismatch  Allow client and cluster versions mismatch.

Description:
  The <DESCRIPTION> is used to manage Calico network and security
  policy, to view and manage endpoint configuration, and to manage a Calico
  node instance.

  See '<BINARY_NAME> <command> --help' to read about a specific subcommand.
"""

_FILE_OPTION = """  -f --filename=<FILENAME>     Filename to use to {verb} the resource.  If set to
                               "-" loads from stdin. If filename is a directory, this command is
                               invoked for each .json .yaml and .yml file within that directory,
                               terminating after the first failure.
  -R --recursive               Process the filename specified in -f or --filename recursively.
     --skip-empty              Do not error if any files or directory specified using -f or --filename contain no
                               data.
"""

_CONFIG_OPTION = """  -c --config=<CONFIG>         Path to the file containing connection
                               configuration in YAML or JSON format.
                               [default: """ + DEFAULT_CONFIG_PATH + """]
"""

_NAMESPACE_OPTION = """  -n --namespace=<NS>          Namespace of the resource.
                               Only applicable to NetworkPolicy, NetworkSet, and WorkloadEndpoint.
                               Uses the default namespace if not specified.
"""

_TAIL_OPTIONS = """     --context=<context>       The name of the kubeconfig context to use.
     --allow-version-mismatch  Allow client and cluster versions mismatch.
"""

CREATE = DATASTORE_INTRO + """Usage:
  <BINARY_NAME> create --filename=<FILENAME> [--recursive] [--skip-empty]
                   [--skip-exists] [--config=<CONFIG>] [--namespace=<NS>] [--context=<context>] [--allow-version-mismatch]

Examples:
  # Create a policy using the data in policy.yaml.
  <BINARY_NAME> create -f ./policy.yaml

  # Create a policy based on the JSON passed into stdin.
  cat policy.json | <BINARY_NAME> create -f -

Options:
  -h --help                    Show this screen.
""" + _FILE_OPTION.format(verb="create") + """     --skip-exists             Skip over and treat as successful any attempts to
                               create an entry that already exists.
""" + _CONFIG_OPTION + _NAMESPACE_OPTION + _TAIL_OPTIONS + """
Description:
  The create command is used to create a set of resources by filename or stdin.
  JSON and YAML formats are accepted.

  Valid resource types are:

<RESOURCE_LIST>
  Attempting to create a resource that already exists is treated as a
  terminating error unless the --skip-exists flag is set.  If this flag is set,
  resources that already exist are skipped.

  The output of the command indicates how many resources were successfully
  created, and the error reason if an error occurred.  If the --skip-exists
  flag is set then skipped resources are included in the success count.

  The resources are created in the order they are specified.  In the event of a
  failure creating a specific resource it is possible to work out which
  resource failed based on the number of resources successfully created.
"""

APPLY = DATASTORE_INTRO + """Usage:
  <BINARY_NAME> apply --filename=<FILENAME> [--recursive] [--skip-empty]
                  [--config=<CONFIG>] [--namespace=<NS>] [--context=<context>] [--allow-version-mismatch]

Examples:
  # Apply a policy using the data in policy.yaml.
  <BINARY_NAME> apply -f ./policy.yaml

  # Apply a policy based on the JSON passed into stdin.
  cat policy.json | <BINARY_NAME> apply -f -

Options:
  -h --help                    Show this screen.
""" + _FILE_OPTION.format(verb="apply") + _CONFIG_OPTION + _NAMESPACE_OPTION + _TAIL_OPTIONS + """
Description:
  The apply command is used to create or replace a set of resources by filename
  or stdin.  JSON and YAML formats are accepted.

  Valid resource types are:

<RESOURCE_LIST>
  When applying a resource:
  -  if the resource does not already exist (as determined by it's primary
     identifiers) then it is created
  -  if the resource already exists then the specification for that resource is
     replaced in it's entirety by the new resource specification.

  The output of the command indicates how many resources were successfully
  applied, and the error reason if an error occurred.

  The resources are applied in the order they are specified.  In the event of a
  failure applying a specific resource it is possible to work out which
  resource failed based on the number of resources successfully applied

  When applying a resource to perform an update, the complete resource spec
  must be provided, it is not sufficient to supply only the fields that are
  being updated.
"""

REPLACE = DATASTORE_INTRO + """Usage:
  <BINARY_NAME> replace --filename=<FILENAME> [--recursive] [--skip-empty]
                    [--config=<CONFIG>] [--namespace=<NS>] [--context=<context>] [--allow-version-mismatch]

Examples:
  # Replace a policy using the data in policy.yaml.
  <BINARY_NAME> replace -f ./policy.yaml

  # Replace a policy based on the JSON passed into stdin.
  cat policy.json | <BINARY_NAME> replace -f -

Options:
  -h --help                    Show this screen.
""" + _FILE_OPTION.format(verb="replace") + _CONFIG_OPTION + _NAMESPACE_OPTION + _TAIL_OPTIONS + """
Description:
  The replace command is used to replace a set of resources by filename or
  stdin.  JSON and YAML formats are accepted.

  Valid resource types are:

<RESOURCE_LIST>
  Attempting to replace a resource that does not exist is treated as a
  terminating error.

  The output of the command indicates how many resources were successfully
  replaced, and the error reason if an error occurred.

  The resources are replaced in the order they are specified.  In the event of
  a failure replacing a specific resource it is possible to work out which
  resource failed based on the number of resources successfully replaced.

  When replacing a resource, the complete resource spec must be provided, it is
  not sufficient to supply only the fields that are being updated.
"""

DELETE = DATASTORE_INTRO + """Usage:
  <BINARY_NAME> delete ( (<KIND> [<NAME>...]) |
                   --filename=<FILE> [--recursive] [--skip-empty] )
                   [--skip-not-exists] [--config=<CONFIG>] [--namespace=<NS>] [--context=<context>] [--allow-version-mismatch]

Examples:
  # Delete a policy using the type and name specified in policy.yaml.
  <BINARY_NAME> delete -f ./policy.yaml

  # Delete a policy based on the type and name in the YAML passed into stdin.
  cat policy.yaml | <BINARY_NAME> delete -f -

  # Delete policies with names "foo" and "bar"
  <BINARY_NAME> delete policy foo bar

Options:
  -h --help                    Show this screen.
  -s --skip-not-exists         Skip over and treat as successful, resources that
                               don't exist.
""" + _FILE_OPTION.format(verb="delete") + _CONFIG_OPTION + _NAMESPACE_OPTION + _TAIL_OPTIONS + """
Description:
  The delete command is used to delete a set of resources by filename or stdin,
  or by type and identifiers.  JSON and YAML formats are accepted for file and
  stdin format.

  Valid resource types are:

<RESOURCE_LIST>
  The resource type is case-insensitive and may be pluralized.

  Attempting to delete a resource that does not exists is treated as a
  terminating error unless the --skip-not-exists flag is set.  If this flag is
  set, resources that do not exist are skipped.

  When deleting resources by type, only a single type may be specified at a
  time.  The name is required along with any and other identifiers required to
  uniquely identify a resource of the specified type.

  The output of the command indicates how many resources were successfully
  deleted, and the error reason if an error occurred.  If the --skip-not-exists
  flag is set then skipped resources are included in the success count.

  The resources are deleted in the order they are specified.  In the event of a
  failure deleting a specific resource it is possible to work out which
  resource failed based on the number of resources successfully deleted.
"""

GET = DATASTORE_INTRO + """Usage:
  <BINARY_NAME> get ( (<KIND> [<NAME>...]) |
                --filename=<FILENAME> [--recursive] [--skip-empty] )
                [--output=<OUTPUT>] [--config=<CONFIG>] [--namespace=<NS>] [--all-namespaces] [--export] [--context=<context>] [--allow-version-mismatch]

Examples:
  # List all policy in default output format.
  <BINARY_NAME> get policy

  # List specific policies in YAML format
  <BINARY_NAME> get -o yaml policy my-policy-1 my-policy-2

Options:
  -h --help                    Show this screen.
""" + _FILE_OPTION.format(verb="get") + """  -o --output=<OUTPUT FORMAT>  Output format.  One of: yaml, json, ps, wide,
                               custom-columns=..., go-template=...,
                               go-template-file=...   [Default: ps]
""" + _CONFIG_OPTION + _NAMESPACE_OPTION + """  -A --all-namespaces          If present, list the requested object(s) across all namespaces.
     --export                  If present, returns the requested object(s) stripped of
                               cluster-specific information. This flag will be ignored
                               if <NAME> is not specified.
""" + _TAIL_OPTIONS + """
Description:
  The get command is used to display a set of resources by filename or stdin,
  or by type and identifiers.  JSON and YAML formats are accepted for file and
  stdin format.

  Valid resource types are:

<RESOURCE_LIST>
  The resource type is case-insensitive and may be pluralized.

  Attempting to get resources that do not exist will simply return no results.

  When getting resources by type, only a single type may be specified at a
  time.  The name and other identifiers (hostname, scope) are optional, and are
  wildcarded when omitted. Thus if you specify no identifiers at all (other
  than type), then all configured resources of the requested type will be
  returned.

  By default the results are output in a ps-style table output.  There are
  alternative ways to display the data using the --output option:

    ps                    Display the results in ps-style output.
    wide                  As per the ps option, but includes more headings.
    custom-columns        As per the ps option, but only display the columns
                          that are requested in the comma-separated list.
    go-template           Display the results using the specified golang
                          template.  This can be used to filter results, for
                          example to return a specific value.
    go-template-file      Display the results using the golang template that is
                          contained in the specified file.
    yaml                  Display the results in YAML output format.
    json                  Display the results in JSON output format.

  Note that the data output using YAML or JSON format is always valid to use as
  input to all of the resource management commands (create, apply, replace,
  delete, get).

  Please refer to the docs at https://docs.projectcalico.org for more details on
  the output formats, including example outputs, resource structure (required
  for the golang template definitions) and the valid column names (required for
  the custom-columns option).
"""

PATCH = DATASTORE_INTRO + """Usage:
  <BINARY_NAME> patch <KIND> <NAME> --patch=<PATCH> [--type=<TYPE>] [--config=<CONFIG>] [--namespace=<NS>] [--context=<context>] [--allow-version-mismatch]

Examples:
  # Partially update a node using a strategic merge patch.
  <BINARY_NAME> patch node node-0 --patch '{"spec":{"bgp": {"routeReflectorClusterID": "CLUSTER_ID"}}}'

  # Partially update a node using a json merge patch.
  <BINARY_NAME> patch node node-0 --patch '{"spec":{"bgp": {"routeReflectorClusterID": "CLUSTER_ID"}}}' --type json

Options:
  -h --help                    Show this screen.
  -p --patch=<PATCH>           Spec to use to patch the resource.
  -t --type=<TYPE>             Format of patch type:
                                  strategic   Strategic merge patch (default)
                                  json        JSON Patch, RFC 6902 (not yet implemented)
                                  merge       JSON Merge Patch, RFC 7386 (not yet implemented)
""" + _CONFIG_OPTION + _NAMESPACE_OPTION + _TAIL_OPTIONS + """
Description:
  The patch command is used to patch a specific resource by type and identifiers in place.
  Currently, only JSON format is accepted.

  Valid resource types are:

<RESOURCE_LIST>
  The resource type is case-insensitive and may be pluralized.

  Attempting to patch a resource that does not exists is treated as a
  terminating error unless the --skip-not-exists flag is set.  If this flag is
  set, resources that do not exist are skipped.

  When patching resources by type, only a single type may be specified at a
  time.  The name is required along with any and other identifiers required to
  uniquely identify a resource of the specified type.
"""

LABEL = DATASTORE_INTRO + """Usage:
  <BINARY_NAME> label (<KIND> <NAME>
                ( <key>=<value> [--overwrite] |
                  <key> --remove )
                [--config=<CONFIG>] [--namespace=<NS>] [--context=<context>]) [--allow-version-mismatch]

Examples:
  # Label a workload endpoint
  <BINARY_NAME> label workloadendpoints nginx --namespace=default app=web

  # Label a node and overwrite the original value of key 'cluster'
  <BINARY_NAME> label nodes node1 cluster=frontend --overwrite

  # Remove label with key 'cluster' of the node
  <BINARY_NAME> label nodes node1 cluster --remove

Options:
  -h --help                    Show this screen.
""" + _CONFIG_OPTION + _NAMESPACE_OPTION + """     --overwrite               If true, overwrite the value when the key is already
                               present in labels. Otherwise reports error when the
                               labeled resource already have the key in its labels.
                               Cannot be used with --remove.
     --remove                  If true, remove the specified key in labels of the
                               resource. Reports error when specified key does not
                               exist. Cannot be used with --overwrite.
""" + _TAIL_OPTIONS + """
Description:
  The label command is used to add or update a label on a resource. Resource types
  that can be labeled are:

<RESOURCE_LIST>
  The resource type is case-insensitive and may be pluralized.

  Attempting to label resources that do not exist will get an error.

  Attempting to remove a label that does not in the resource will get an error.

  When labeling a resource on an existing key:
  - gets an error if option --overwrite is not provided.
  - value of the key updates to specified value if option --overwrite is provided.
"""

VERSION = """Usage:
  <BINARY_NAME> version [--config=<CONFIG>] [--poll=<POLL>] [--allow-version-mismatch]

Options:
  -h --help                    Show this screen.
  -c --config=<CONFIG>         Path to the file containing connection configuration in
                               YAML or JSON format.
                               [default: """ + DEFAULT_CONFIG_PATH + """]
     --poll=<POLL>             Poll for changes to the cluster information at a frequency specified using POLL duration
                               (e.g. 1s, 10m, 2h etc.). A value of 0 (the default) disables polling.
     --allow-version-mismatch  Allow client and cluster versions mismatch.

Description:
  Display the version of <BINARY_NAME>.
"""


def binary_name(argv0: str | None = None) -> tuple[str, str]:
    """(name, description) used in help texts; ``kubectl-*`` invocations are the kubectl plugin."""
    base = os.path.basename(argv0 if argv0 is not None else (sys.argv[0] if sys.argv else ""))
    if base.startswith("kubectl-"):
        return "kubectl-calico", "calico kubectl plugin"
    return "calicoctl", "calicoctl command line tool"


def resource_list() -> str:
    """The ``    - <kind>`` lines of the kinds calicoctl manages, sorted, lower-case."""
    from pycalicoctl.columns import CLI_KINDS

    return "".join(f"    - {kind.lower()}\n" for kind in sorted(CLI_KINDS))


def render(doc: str) -> str:
    """The doc as printed: placeholders substituted, surrounding blank lines trimmed."""
    name, description = binary_name()
    text = doc.replace("<BINARY_NAME>", name).replace("<DESCRIPTION>", description)
    if "<RESOURCE_LIST>" in text:
        text = text.replace("<RESOURCE_LIST>\n", resource_list(), 1)
    return text.strip("\n")


def usage_section(doc: str) -> str:
    """docopt's ``printable_usage``: from the ``Usage:`` line up to the first blank line, trimmed."""
    text = render(doc)
    start = text.lower().index("usage:")
    block = text[start:].split("\n\n", 1)[0]
    return block.strip()
