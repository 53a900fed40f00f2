"""Datastore backends behind one protocol (see base.py): ``etcd`` (etcd v3 gateway) and ``local`` (sqlite).

``open_backend(config)`` builds the backend a DatastoreConfig asks for; each backend module is imported
only when used, so the CLI pays for http.client only when it talks to etcd.
"""
from __future__ import annotations

TYPE_CHECKING = False

from datastore.errors import DatastoreError

if TYPE_CHECKING:
    from datastore.backend.base import Backend
    from datastore.config import DatastoreConfig


class WatchCompacted(DatastoreError):
    """A watch asked for revisions the store has already compacted away; re-list and watch again."""

    def __init__(self, compact_revision: int):
        self.compact_revision = compact_revision
        super().__init__(f"required revision has been compacted (compact revision {compact_revision})")


def open_backend(config: "DatastoreConfig") -> "Backend":
    """The backend for ``config``: LocalBackend for ``local``, EtcdBackend for ``etcdv3`` (ConfigError otherwise).

    As in libcalico-go, etcd user/password authentication is used only when both are configured.
    """
    from datastore.config import ConfigError, check_supported

    check_supported(config)
    if config.datastore_type == "local":
        from datastore.backend.local import LocalBackend

        return LocalBackend(config.datastore_path)
    from datastore.backend.etcd import EtcdBackend, EtcdClient, TLSConfig

    try:
        client = EtcdClient(
            config.etcd_endpoints,
            tls=TLSConfig(config.etcd_ca_cert_file, config.etcd_cert_file, config.etcd_key_file,
                          config.etcd_ca_cert, config.etcd_cert, config.etcd_key),
            user=config.etcd_username if config.etcd_password else "",
            password=config.etcd_password if config.etcd_username else "",
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    return EtcdBackend(client)
