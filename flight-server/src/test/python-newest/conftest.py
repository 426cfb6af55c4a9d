"""Fixtures for the newer-SDK suites. They run in venvs of their own (.venvs/test-newest with rerun-sdk
0.41.0, .venvs/test-0.36 with rerun-sdk 0.36.3; scripts/test makes both from the pinned requirement files)
and reuse the server helpers and table comparisons of the 0.27.3 suite in ../python."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))

from rrdflight_server import RerunServer, ServerProcess, fixture_path, rerun_sdk_version  # noqa: E402,F401


def require_sdk(major: int, minor: int) -> None:
    """Skips the calling module unless the venv has rerun-sdk major.minor (each module belongs to one venv)."""
    if rerun_sdk_version()[:2] != (major, minor):
        pytest.skip(f"needs rerun-sdk {major}.{minor}.x, this venv has {'.'.join(map(str, rerun_sdk_version()))}",
                    allow_module_level=True)


def catalog_url(server) -> str:
    # "localhost", as users write it; the SDK tries the addresses it resolves to.
    return f"rerun+http://localhost:{server.port}"


# RRDFLIGHT_SELF_CHECK=1 puts a second `rerun server` where rrdflight would be: every comparison must then
# pass, which shows that the tests compare only what Rerun itself keeps stable.
SELF_CHECK = os.environ.get("RRDFLIGHT_SELF_CHECK") == "1"


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    srv = RerunServer() if SELF_CHECK else ServerProcess(tmp_path_factory.mktemp("rrdflight-data"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def theirs():
    srv = RerunServer()
    yield srv
    srv.stop()
