"""Fixtures for interop tests: a `Lab` of network namespaces torn down even on failure."""
import os
import shutil

import pytest

from tests.conftest import require

from .daemons import BIRD1, BIRD2, FRR_BGPD, GOBGPD
from .netns import Lab, have_tools



@pytest.fixture
def lab(tmp_path):
    """A Lab whose namespaces and processes are removed after the test."""
    require(have_tools(), "root and iproute2 (`ip`) for network namespaces")
    the_lab = Lab(tmp_path)
    try:
        yield the_lab
    finally:
        the_lab.close()


@pytest.fixture
def need_daemons():
    """Require the real BGP daemons used by the interop tests."""
    def check(*names: str) -> None:
        paths = {"bird": BIRD1, "bird2": BIRD2, "gobgpd": GOBGPD, "frr": FRR_BGPD}
        for name in names:
            path = paths[name]
            require(os.access(path, os.X_OK), f"{name} at {path}")
            if name == "frr":
                require(shutil.which("vtysh") is not None, "vtysh for frr")
    return check
