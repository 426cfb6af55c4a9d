"""Fixtures that start the real rrdflight server process for Python client tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from rrdflight_server import FIXTURES, JAR, ROOT, ListeningProcess, ServerProcess  # noqa: F401 (re-exported for the tests)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = ServerProcess(tmp_path_factory.mktemp("data"))
    yield srv
    srv.stop()


def rerun_binary() -> Path:
    """The `rerun` executable inside the rerun-sdk wheel. Not the venv's bin/rerun: that is a Python
    wrapper that runs it as a child, which survives the wrapper being stopped."""
    import rerun_cli

    binary = Path(rerun_cli.__file__).parent / "rerun"
    if not binary.is_file():
        raise RuntimeError(f"{binary} is missing: the venv needs rerun-sdk==0.27.3 (scripts/requirements.txt)")
    return binary


class RerunServer(ListeningProcess):
    """Rerun's own `rerun server` (0.27.3, from the rerun-sdk wheel) on an ephemeral port: the reference
    our catalog service is compared with."""

    def __init__(self, *args: str) -> None:
        binary = rerun_binary()
        super().__init__([str(binary), "server", "--addr", "127.0.0.1", "--port", "0", *args],
                         r"Listening on [^\s:]+:(\d+)", "Ready for connections", "rerun server")


def fixture_path(relative: str) -> Path:
    """A fixture written by scripts/gen-fixtures; fails with the command to run if it is missing."""
    path = FIXTURES / relative
    if not path.exists():
        raise RuntimeError(f"fixture missing: {path} (run scripts/gen-fixtures)")
    return path
