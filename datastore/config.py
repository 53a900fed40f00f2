"""Datastore client configuration, loaded the way calicoctl loads ``CalicoAPIConfig``.

Precedence (reference/calicoctl.md §6):
1. the config file (``-c``; default /etc/calico/calicoctl.cfg). If it exists it is the only source.
   A missing file is an error unless it is the default path, which silently falls back to 2.
2. the environment: each field from ``CALICO_<NAME>`` first, else the bare ``<NAME>``
   (``DATASTORE_TYPE``, ``ETCD_ENDPOINTS``, ``ETCD_CA_CERT_FILE``, ...).
3. defaults: no ``datastoreType`` → ``etcdv3`` when etcd endpoints (or a discovery domain) are given,
   else our embedded ``local`` store at ``datastorePath`` / $PYCALICO_DATASTORE_PATH /
   /var/lib/pycalico/datastore.db.

The file is YAML or JSON and parsed strictly like Go's ``yaml.UnmarshalStrict``: unknown fields and
wrong types are errors, field names match case-insensitively. Errors carry calicoctl's wording.
"""
from __future__ import annotations

import os
from collections import namedtuple

from datastore.errors import DatastoreError, FrozenRecord

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Mapping

DEFAULT_CONFIG_PATH = "/etc/calico/calicoctl.cfg"
DEFAULT_DATASTORE_PATH = "/var/lib/pycalico/datastore.db"
DATASTORE_PATH_ENV = "PYCALICO_DATASTORE_PATH"
API_VERSION = "projectcalico.org/v3"
KIND = "CalicoAPIConfig"
DATASTORE_TYPES = ("local", "etcdv3")


class ConfigError(DatastoreError):
    """The client configuration is unusable; calicoctl prints ``Failed to create Calico API client: <msg>``."""


class ConfigFileNotFound(ConfigError):
    """A config file named with ``-c`` does not exist; calicoctl prints exactly this message, exit 1."""

    def __init__(self, path: str):
        self.path = path
        super().__init__(f"Error reading config file: {path}")


# One spec field: attribute, JSON name, bare env name ("" = file only; the CALICO_ prefixed name is
# always tried first), Python type, and an env name used instead of both (e.g. CALICO_K8SAPITOKEN).
_Field = namedtuple("_Field", ("attr", "json_name", "env", "kind", "env_prefixed_only"), defaults=(str, ""))


_FIELDS: tuple[_Field, ...] = (
    _Field("datastore_type", "datastoreType", "DATASTORE_TYPE"),
    _Field("etcd_endpoints", "etcdEndpoints", "ETCD_ENDPOINTS"),
    _Field("etcd_discovery_srv", "etcdDiscoverySrv", "ETCD_DISCOVERY_SRV"),
    _Field("etcd_username", "etcdUsername", "ETCD_USERNAME"),
    _Field("etcd_password", "etcdPassword", "ETCD_PASSWORD"),
    _Field("etcd_key_file", "etcdKeyFile", "ETCD_KEY_FILE"),
    _Field("etcd_cert_file", "etcdCertFile", "ETCD_CERT_FILE"),
    _Field("etcd_ca_cert_file", "etcdCACertFile", "ETCD_CA_CERT_FILE"),
    _Field("etcd_key", "etcdKey", ""),
    _Field("etcd_cert", "etcdCert", ""),
    _Field("etcd_ca_cert", "etcdCACert", ""),
    _Field("kubeconfig", "kubeconfig", "KUBECONFIG"),
    _Field("k8s_api_endpoint", "k8sAPIEndpoint", "K8S_API_ENDPOINT"),
    _Field("k8s_key_file", "k8sKeyFile", "K8S_KEY_FILE"),
    _Field("k8s_cert_file", "k8sCertFile", "K8S_CERT_FILE"),
    _Field("k8s_ca_file", "k8sCAFile", "K8S_CA_FILE"),
    _Field("k8s_api_token", "k8sAPIToken", "", str, "CALICO_K8SAPITOKEN"),
    _Field("k8s_insecure_skip_tls_verify", "k8sInsecureSkipTLSVerify", "K8S_INSECURE_SKIP_TLS_VERIFY", bool),
    _Field("k8s_disable_node_poll", "k8sDisableNodePoll", "K8S_DISABLE_NODE_POLL", bool),
    _Field("use_pod_cidr", "usePodCIDR", "USE_POD_CIDR", bool),
    _Field("kubeconfig_inline", "kubeconfigInline", ""),
    _Field("k8s_client_qps", "k8sClientQPS", "", float, "CALICO_K8SCLIENTQPS"),
    _Field("k8s_current_context", "k8sCurrentContext", "K8S_CURRENT_CONTEXT"),
    _Field("datastore_path", "datastorePath", "", str, DATASTORE_PATH_ENV),
)
_BY_JSON = {f.json_name.lower(): f for f in _FIELDS}
_CONFIG_DEFAULTS: dict[str, Any] = {
    **{f.attr: f.kind() for f in _FIELDS}, "datastore_type": "local", "datastore_path": DEFAULT_DATASTORE_PATH,
    "source": "environment",
}

# Kubernetes ObjectMeta JSON names (the config's ``metadata`` is one, and is decoded strictly too).
_OBJECT_META = {name.lower() for name in (
    "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
    "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
    "ownerReferences", "finalizers", "managedFields")}


class DatastoreConfig(FrozenRecord):
    """Where and how to reach the datastore (``CalicoAPIConfigSpec`` plus our ``local`` fields).

    Immutable; built with keyword arguments (unset fields take the defaults below), copied with
    :meth:`replace`.
    """

    __slots__ = ("datastore_type", "datastore_path", "etcd_endpoints", "etcd_discovery_srv", "etcd_username",
                 "etcd_password", "etcd_key_file", "etcd_cert_file", "etcd_ca_cert_file", "etcd_key", "etcd_cert",
                 "etcd_ca_cert", "kubeconfig", "k8s_api_endpoint", "k8s_key_file", "k8s_cert_file", "k8s_ca_file",
                 "k8s_api_token", "k8s_insecure_skip_tls_verify", "k8s_disable_node_poll", "use_pod_cidr",
                 "kubeconfig_inline", "k8s_client_qps", "k8s_current_context", "source")
    datastore_type: str
    datastore_path: str
    etcd_endpoints: str
    etcd_discovery_srv: str
    etcd_username: str
    etcd_password: str
    etcd_key_file: str
    etcd_cert_file: str
    etcd_ca_cert_file: str
    etcd_key: str
    etcd_cert: str
    etcd_ca_cert: str
    kubeconfig: str
    k8s_api_endpoint: str
    k8s_key_file: str
    k8s_cert_file: str
    k8s_ca_file: str
    k8s_api_token: str
    k8s_insecure_skip_tls_verify: bool
    k8s_disable_node_poll: bool
    use_pod_cidr: bool
    kubeconfig_inline: str
    k8s_client_qps: float
    k8s_current_context: str
    source: str

    def __init__(self, **values: Any):
        unknown = set(values) - set(_CONFIG_DEFAULTS)
        if unknown:
            raise TypeError(f"DatastoreConfig got unexpected fields: {', '.join(sorted(unknown))}")
        for name, default in _CONFIG_DEFAULTS.items():
            object.__setattr__(self, name, values.get(name, default))

    def replace(self, **changes: Any) -> "DatastoreConfig":
        """A copy with ``changes`` applied."""
        return DatastoreConfig(**{**dict(zip(self.__slots__, self._values())), **changes})

    def environ(self) -> dict[str, str]:
        """Environment variables that make a child process (e.g. pycalicoctl) load this same config."""
        env = {DATASTORE_PATH_ENV: self.datastore_path}
        for spec in _FIELDS:
            value = getattr(self, spec.attr)
            name = spec.env_prefixed_only or (f"CALICO_{spec.env}" if spec.env else "")
            if name and value not in ("", False, 0.0) and spec.attr != "datastore_path":
                env[name] = "true" if value is True else str(value)
        env["CALICO_DATASTORE_TYPE"] = self.datastore_type
        return env


def load_config(path: str | None = None, environ: Mapping[str, str] = os.environ,
                default_path: str = DEFAULT_CONFIG_PATH) -> DatastoreConfig:
    """The client configuration per calicoctl's precedence (see the module docstring)."""
    config_path = default_path if path is None else path
    if os.path.exists(config_path):
        try:
            with open(config_path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise ConfigError(f"open {config_path}: {exc.strerror}") from exc
        try:
            values = parse_config_bytes(data)
        except ConfigError as exc:
            raise ConfigError(f"syntax error in {config_path}: {exc}") from exc
        return _finish(values, environ, config_path)
    if config_path != default_path:
        raise ConfigFileNotFound(config_path)
    return _finish(_from_environ(environ), environ, "environment")


def parse_config_bytes(data: bytes | str) -> dict[str, Any]:
    """The spec values of a ``CalicoAPIConfig`` document (YAML or JSON), decoded strictly."""
    import yaml

    try:
        document = yaml.safe_load(data) if data else None
    except yaml.YAMLError as exc:
        raise ConfigError(f"failed to parse config as YAML/JSON: error converting YAML to JSON: {_yaml_reason(exc)}") \
            from exc
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise _json_error(f"json: cannot unmarshal {_json_type(document)} into Go value of type "
                          "apiconfig.CalicoAPIConfig")
    api_version = kind = ""
    spec: Any = {}
    for key, value in document.items():
        folded = str(key).lower()
        if folded == "apiversion":
            api_version = _as_string(value, "CalicoAPIConfig.apiVersion")
        elif folded == "kind":
            kind = _as_string(value, "CalicoAPIConfig.kind")
        elif folded == "metadata":
            _check_metadata(value)
        elif folded == "spec":
            spec = value
        else:
            raise _json_error(f'json: unknown field "{key}"')
    values = _decode_spec(spec)
    if api_version != API_VERSION:
        raise ConfigError(f"invalid config file: unknown APIVersion '{api_version}'")
    if kind != KIND:
        raise ConfigError(f"invalid config file: expected kind '{KIND}', got '{kind}'")
    return values


def _json_error(text: str) -> ConfigError:
    return ConfigError(f"failed to parse config as YAML/JSON: error unmarshaling JSON: while decoding JSON: {text}")


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"


def _as_string(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _json_error(f"json: cannot unmarshal {_json_type(value)} into Go struct field {where} of type string")
    return value


def _check_metadata(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise _json_error(f"json: cannot unmarshal {_json_type(value)} into Go struct field "
                          "CalicoAPIConfig.metadata of type v1.ObjectMeta")
    for key in value:
        if str(key).lower() not in _OBJECT_META:
            raise _json_error(f'json: unknown field "{key}"')


_GO_TYPES = {str: "string", bool: "bool", float: "float32"}


def _decode_spec(spec: Any) -> dict[str, Any]:
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise _json_error(f"json: cannot unmarshal {_json_type(spec)} into Go struct field "
                          "CalicoAPIConfig.spec of type apiconfig.CalicoAPIConfigSpec")
    values: dict[str, Any] = {}
    for key, value in spec.items():
        field_spec = _BY_JSON.get(str(key).lower())
        if field_spec is None:
            raise _json_error(f'json: unknown field "{key}"')
        if value is None:
            continue
        expected = field_spec.kind
        ok = (isinstance(value, bool) if expected is bool
              else isinstance(value, (int, float)) and not isinstance(value, bool) if expected is float
              else isinstance(value, str))
        if not ok:
            raise _json_error(
                f"json: cannot unmarshal {_json_type(value)} into Go struct field "
                f"CalicoAPIConfigSpec.spec.{field_spec.json_name} of type {_GO_TYPES[expected]}")
        values[field_spec.attr] = float(value) if expected is float else value
    return values


def _yaml_reason(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is not None:
        return f"yaml: line {mark.line + 1}: {problem}"
    return f"yaml: {problem}"


def _parse_bool(text: str) -> bool:
    """Go's strconv.ParseBool."""
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise ValueError(f'strconv.ParseBool: parsing "{text}": invalid syntax')


def _from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for spec in _FIELDS:
        if spec.env_prefixed_only:
            names = [spec.env_prefixed_only]
        elif spec.env:
            names = [f"CALICO_{spec.env}", spec.env]
        else:
            continue
        for name in names:
            if name in environ:
                text = environ[name]
                try:
                    if spec.kind is bool:
                        values[spec.attr] = _parse_bool(text) if text else False
                    elif spec.kind is float:
                        values[spec.attr] = float(text) if text else 0.0
                    else:
                        values[spec.attr] = text
                except ValueError as exc:
                    go_type = _GO_TYPES[spec.kind]
                    go_name = "".join(p.capitalize() for p in spec.attr.split("_"))
                    raise ConfigError(
                        f"failed to load config from env vars: envconfig.Process: assigning {name} to "
                        f"{go_name}: converting '{text}' to type {go_type}. details: {exc}") from exc
                break
    return values


def _finish(values: dict[str, Any], environ: Mapping[str, str], source: str) -> DatastoreConfig:
    """Apply the defaults (datastore type, local path) to decoded values."""
    if not values.get("datastore_type"):
        etcd = values.get("etcd_endpoints") or values.get("etcd_discovery_srv")
        values["datastore_type"] = "etcdv3" if etcd else "local"
    if not values.get("datastore_path"):
        values["datastore_path"] = environ.get(DATASTORE_PATH_ENV) or DEFAULT_DATASTORE_PATH
    return DatastoreConfig(**{**values, "source": source})


def check_supported(config: DatastoreConfig) -> None:
    """Raise ConfigError unless pycalico can open this datastore type with these settings."""
    if config.datastore_type == "kubernetes":
        raise ConfigError("datastore type 'kubernetes' is not supported by pycalico (use 'etcdv3' or 'local')")
    if config.datastore_type not in DATASTORE_TYPES:
        raise ConfigError(f"unknown datastore type: {config.datastore_type}")
    if config.datastore_type == "etcdv3":
        if config.etcd_endpoints and config.etcd_discovery_srv:
            raise ConfigError('multiple discovery or bootstrap options specified, use either "etcdEndpoints" or '
                              '"etcdDiscoverySrv"')
        if config.etcd_discovery_srv:
            raise ConfigError("etcdDiscoverySrv is not supported by pycalico: set etcdEndpoints")
        if not [e for e in config.etcd_endpoints.split(",") if e.strip()]:
            raise ConfigError("no etcd endpoints specified")
        inline = config.etcd_cert or config.etcd_key or config.etcd_ca_cert
        files = config.etcd_cert_file or config.etcd_key_file or config.etcd_ca_cert_file
        if inline and files:
            raise ConfigError("Cannot mix inline certificate-key and certificate / key files")
