"""The lazy per-invocation context object: global flags plus a datastore client built on first use.

Tests inject a ready client with ``CliRunner().invoke(cli, args, obj=CliContext(client=...))``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pycalicoctl.docs import DEFAULT_CONFIG_PATH
from pycalicoctl.errors import StdoutFailure


@dataclass
class CliContext:
    """State shared by the commands of one invocation."""

    client: Any = None
    log_level: str = "panic"
    allow_version_mismatch: bool = False
    owns_client: bool = False

    def get_client(self, config_path: str = DEFAULT_CONFIG_PATH) -> Any:
        """The datastore client, connected on first use from ``-c`` (calicoctl's precedence rules)."""
        if self.client is None:
            self.client = connect(config_path)
            self.owns_client = True
        return self.client

    def close(self) -> None:
        """Close the client if this context connected it (an injected client belongs to its owner)."""
        if self.owns_client and self.client is not None:
            self.client.close()
            self.client, self.owns_client = None, False


def load_config(config_path: str = DEFAULT_CONFIG_PATH) -> Any:
    """The DatastoreConfig for ``-c`` (calicoctl precedence); failures are calicoctl's stdout messages."""
    from datastore import config as ds_config

    try:
        return ds_config.load_config(config_path)
    except ds_config.ConfigFileNotFound as exc:
        raise StdoutFailure(str(exc)) from None
    except ds_config.ConfigError as exc:
        raise StdoutFailure(f"Failed to create Calico API client: {exc}") from None


def connect(config_path: str = DEFAULT_CONFIG_PATH) -> Any:
    """A datastore Client for ``-c``; failures → ``Failed to create Calico API client: <err>`` (stdout)."""
    config = load_config(config_path)
    from datastore import client as ds_client
    from datastore.errors import DatastoreError

    try:
        return ds_client.connect(config)
    except (DatastoreError, ValueError, OSError) as exc:
        raise StdoutFailure(f"Failed to create Calico API client: {exc}") from None
