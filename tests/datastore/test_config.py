"""datastore.config: calicoctl's config precedence, strict file parsing and exact error texts."""
from __future__ import annotations

import pytest

from datastore.backend import open_backend
from datastore.backend.etcd import EtcdBackend
from datastore.backend.local import LocalBackend
from datastore.config import (
    DEFAULT_DATASTORE_PATH,
    ConfigError,
    ConfigFileNotFound,
    DatastoreConfig,
    load_config,
)

HEADER = "apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata:\nspec:\n"


@pytest.fixture
def cfg(tmp_path):
    def write(text: str, name: str = "calicoctl.cfg") -> str:
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return write


def _load(path=None, env=None, default="/nonexistent/calicoctl.cfg"):
    return load_config(path, environ=env or {}, default_path=default)


def test_nothing_configured_is_local_at_default_path():
    config = _load()
    assert (config.datastore_type, config.datastore_path, config.source) == ("local", DEFAULT_DATASTORE_PATH,
                                                                            "environment")


def test_local_path_from_pycalico_env():
    assert _load(env={"PYCALICO_DATASTORE_PATH": "/tmp/x.db"}).datastore_path == "/tmp/x.db"


def test_etcd_endpoints_env_selects_etcd():
    config = _load(env={"ETCD_ENDPOINTS": "http://127.0.0.1:2379"})
    assert (config.datastore_type, config.etcd_endpoints) == ("etcdv3", "http://127.0.0.1:2379")


def test_calico_prefixed_env_wins_over_bare_name():
    config = _load(env={"ETCD_ENDPOINTS": "http://a:1", "CALICO_ETCD_ENDPOINTS": "http://b:2",
                        "ETCD_USERNAME": "u", "ETCD_CA_CERT_FILE": "/ca.pem", "CALICO_ETCD_PASSWORD": "p"})
    assert (config.etcd_endpoints, config.etcd_username, config.etcd_password, config.etcd_ca_cert_file) == (
        "http://b:2", "u", "p", "/ca.pem")


def test_set_but_empty_prefixed_env_shadows_bare_name():
    assert _load(env={"ETCD_USERNAME": "u", "CALICO_ETCD_USERNAME": ""}).etcd_username == ""


def test_datastore_type_env_without_endpoints_is_kept():
    assert _load(env={"DATASTORE_TYPE": "etcdv3"}).datastore_type == "etcdv3"


def test_bool_env_parsing_and_error_wording():
    assert _load(env={"K8S_DISABLE_NODE_POLL": "t"}).k8s_disable_node_poll is True
    with pytest.raises(ConfigError) as err:
        _load(env={"CALICO_K8S_DISABLE_NODE_POLL": "maybe"})
    assert str(err.value) == (
        "failed to load config from env vars: envconfig.Process: assigning CALICO_K8S_DISABLE_NODE_POLL to "
        "K8sDisableNodePoll: converting 'maybe' to type bool. details: "
        'strconv.ParseBool: parsing "maybe": invalid syntax')


def test_file_is_the_only_source_when_it_exists(cfg):
    path = cfg(HEADER + '  datastoreType: "etcdv3"\n  etcdEndpoints: "http://etcd1:2379,http://etcd2:2379"\n')
    config = _load(path, env={"ETCD_USERNAME": "ignored", "CALICO_ETCD_ENDPOINTS": "http://other:1"})
    assert config.etcd_endpoints == "http://etcd1:2379,http://etcd2:2379"
    assert config.etcd_username == ""
    assert config.source == path


def test_default_path_file_is_read_when_present(cfg):
    path = cfg(HEADER + "  etcdEndpoints: http://e:2379\n  etcdUsername: calico\n")
    config = load_config(None, environ={}, default_path=path)
    assert (config.datastore_type, config.etcd_username) == ("etcdv3", "calico")


def test_file_with_local_store(cfg):
    config = _load(cfg(HEADER + "  datastoreType: local\n  datastorePath: /srv/calico.db\n"))
    assert (config.datastore_type, config.datastore_path) == ("local", "/srv/calico.db")


def test_file_without_datastore_path_uses_env_path(cfg):
    config = _load(cfg(HEADER + "  datastoreType: local\n"), env={"PYCALICO_DATASTORE_PATH": "/e.db"})
    assert config.datastore_path == "/e.db"


def test_json_file_and_case_insensitive_names(cfg):
    path = cfg('{"apiVersion": "projectcalico.org/v3", "kind": "CalicoAPIConfig", '
               '"spec": {"EtcdEndpoints": "http://e:1", "etcdcacertfile": "/ca", "k8sInsecureSkipTLSVerify": true}}')
    config = _load(path)
    assert (config.etcd_endpoints, config.etcd_ca_cert_file, config.k8s_insecure_skip_tls_verify) == (
        "http://e:1", "/ca", True)


def test_missing_non_default_file_is_an_error():
    with pytest.raises(ConfigFileNotFound) as err:
        _load("/nonexistent/other.cfg")
    assert str(err.value) == "Error reading config file: /nonexistent/other.cfg"


@pytest.mark.parametrize("text, message", [
    (HEADER + "  etcdEndpoint: x\n",
     'failed to parse config as YAML/JSON: error unmarshaling JSON: while decoding JSON: json: unknown field '
     '"etcdEndpoint"'),
    (HEADER.replace("metadata:\n", "metadata:\n  foo: 1\n"),
     'failed to parse config as YAML/JSON: error unmarshaling JSON: while decoding JSON: json: unknown field "foo"'),
    ("apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nextra: 1\n",
     'failed to parse config as YAML/JSON: error unmarshaling JSON: while decoding JSON: json: unknown field '
     '"extra"'),
    (HEADER + "  etcdEndpoints: 5\n",
     "failed to parse config as YAML/JSON: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal "
     "number into Go struct field CalicoAPIConfigSpec.spec.etcdEndpoints of type string"),
    (HEADER + "  usePodCIDR: sure\n",
     "failed to parse config as YAML/JSON: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal "
     "string into Go struct field CalicoAPIConfigSpec.spec.usePodCIDR of type bool"),
    ("apiVersion: projectcalico.org/v2\nkind: CalicoAPIConfig\n",
     "invalid config file: unknown APIVersion 'projectcalico.org/v2'"),
    ("apiVersion: projectcalico.org/v3\nkind: IPPool\n",
     "invalid config file: expected kind 'CalicoAPIConfig', got 'IPPool'"),
    ("", "invalid config file: unknown APIVersion ''"),
    ("spec: [\n", "failed to parse config as YAML/JSON: error converting YAML to JSON: yaml: line 2: "),
])
def test_file_errors_have_calicoctl_wording(cfg, text, message):
    path = cfg(text)
    with pytest.raises(ConfigError) as err:
        _load(path)
    assert str(err.value).startswith(f"syntax error in {path}: {message}")


@pytest.mark.parametrize("config, message", [
    (DatastoreConfig(datastore_type="kubernetes"),
     "datastore type 'kubernetes' is not supported by pycalico (use 'etcdv3' or 'local')"),
    (DatastoreConfig(datastore_type="consul"), "unknown datastore type: consul"),
    (DatastoreConfig(datastore_type="etcdv3"), "no etcd endpoints specified"),
    (DatastoreConfig(datastore_type="etcdv3", etcd_endpoints="http://a:1", etcd_discovery_srv="example.com"),
     'multiple discovery or bootstrap options specified, use either "etcdEndpoints" or "etcdDiscoverySrv"'),
    (DatastoreConfig(datastore_type="etcdv3", etcd_endpoints="ftp://a:1"), "invalid etcd endpoint 'ftp://a:1'"),
    (DatastoreConfig(datastore_type="etcdv3", etcd_endpoints="https://a:1", etcd_cert="PEM", etcd_ca_cert_file="/ca"),
     "Cannot mix inline certificate-key and certificate / key files"),
])
def test_unusable_configs_are_config_errors(config, message):
    with pytest.raises(ConfigError) as err:
        open_backend(config)
    assert str(err.value) == message


def test_open_backend_builds_the_configured_backend(tmp_path, test_certs):
    local = open_backend(DatastoreConfig(datastore_path=str(tmp_path / "d" / "x.db")))
    assert isinstance(local, LocalBackend)
    local.close()
    etcd = open_backend(DatastoreConfig(
        datastore_type="etcdv3", etcd_endpoints="https://127.0.0.1:1,https://127.0.0.1:2",
        etcd_ca_cert_file=test_certs["ca"], etcd_cert_file=test_certs["client_cert"],
        etcd_key_file=test_certs["client_key"], etcd_username="u", etcd_password="p"))
    assert isinstance(etcd, EtcdBackend)
    assert [e.port for e in etcd.client.endpoints] == [1, 2]
    assert (etcd.client.user, etcd.client.tls.cert) == ("u", test_certs["client_cert"])


def test_inline_pem_config_reaches_a_tls_etcd(etcd_tls_server, test_certs):
    def read(name):
        with open(test_certs[name]) as handle:
            return handle.read()

    backend = open_backend(DatastoreConfig(
        datastore_type="etcdv3", etcd_endpoints=etcd_tls_server.url,
        etcd_ca_cert=read("ca"), etcd_cert=read("client_cert"), etcd_key=read("client_key")))
    backend.put("/calico/inline", b"1")
    assert backend.get("/calico/inline").value == b"1"
    backend.close()


def test_environ_round_trips_through_load_config():
    config = DatastoreConfig(datastore_type="etcdv3", etcd_endpoints="http://e:1", etcd_username="u",
                             etcd_password="p", etcd_ca_cert_file="/ca", datastore_path="/x.db")
    again = _load(env=config.environ())
    assert again == config


def test_username_without_password_means_no_auth():
    backend = open_backend(DatastoreConfig(datastore_type="etcdv3", etcd_endpoints="http://127.0.0.1:1",
                                           etcd_username="calico"))
    assert (backend.client.user, backend.client.password) == ("", "")
