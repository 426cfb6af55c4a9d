"""Fixtures that start the real rrdflight server process for Python client tests."""

from __future__ import annotations

import pytest

from rrdflight_server import (  # noqa: F401 (re-exported for the tests)
    FIXTURES, JAR, ROOT, ListeningProcess, RerunServer, ServerProcess, fixture_path, rerun_binary)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = ServerProcess(tmp_path_factory.mktemp("data"))
    yield srv
    srv.stop()
