"""CLI test fixtures: run pycalicoctl in-process against a real datastore client (local and etcd)."""
from __future__ import annotations

import pytest

from tests.cli.cli_support import invoke  # type: ignore[import-not-found]

@pytest.fixture
def client(datastore_client):
    """A connected Client on each backend (local sqlite file, real etcd), already initialised as
    calicoctl leaves a datastore after its first write."""
    datastore_client.ensure_initialized()
    return datastore_client


@pytest.fixture
def calicoctl(client):
    """``calicoctl(*args, stdin=None) -> Run`` bound to the parametrised datastore."""
    return lambda *args, stdin=None, **state: invoke(client, list(args), stdin, **state)
