"""Fixtures that start the real rrdflight server process for Python client tests."""

from __future__ import annotations

import os
import re
import subprocess
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
JAR = ROOT / "flight-server" / "target" / "rrdflight.jar"
FIXTURES = Path(os.environ.get("RRDFLIGHT_FIXTURES", ROOT / "fixtures"))


class ServerProcess:
    """`rrdflight server` on an ephemeral port; output is kept for failure messages."""

    def __init__(self, data_dir: Path, *args: str) -> None:
        if not JAR.is_file():
            raise RuntimeError(f"{JAR} is missing: build with 'mvn package' (scripts/test does)")
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            ["java", "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Xmx1g", "-jar", str(JAR),
             "server", "--port", "0", "--data-dir", str(data_dir), *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        ready = threading.Event()
        self.port: int | None = None

        def pump() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                line = line.rstrip("\n")
                self.lines.append(line)
                m = re.search(r"listening on [^\s:]+:(\d+)", line)
                if m:
                    self.port = int(m.group(1))
                if line == "rrdflight ready":
                    ready.set()
            ready.set()

        self._pump = threading.Thread(target=pump, daemon=True)
        self._pump.start()
        if not ready.wait(60) or self.port is None:
            self.stop()
            raise RuntimeError("server did not start:\n" + "\n".join(self.lines))

    @property
    def grpc_uri(self) -> str:
        return f"grpc://127.0.0.1:{self.port}"

    @property
    def rerun_uri(self) -> str:
        return f"rerun+http://127.0.0.1:{self.port}"

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._pump.join(5)
        return self.proc.returncode


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


class RerunServer:
    """Rerun's own `rerun server` (0.27.3, from the rerun-sdk wheel) on an ephemeral port: the reference
    our catalog service is compared with."""

    def __init__(self, *args: str) -> None:
        binary = rerun_binary()
        self.lines: list[str] = []
        self.proc = subprocess.Popen([str(binary), "server", "--addr", "127.0.0.1", "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        ready = threading.Event()
        self.port: int | None = None

        def pump() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                self.lines.append(line.rstrip("\n"))
                m = re.search(r"Listening on [^\s:]+:(\d+)", line)
                if m:
                    self.port = int(m.group(1))
                if "Ready for connections" in line:
                    ready.set()
            ready.set()

        self._pump = threading.Thread(target=pump, daemon=True)
        self._pump.start()
        if not ready.wait(60) or self.port is None:
            self.stop()
            raise RuntimeError("rerun server did not start:\n" + "\n".join(self.lines))

    @property
    def rerun_uri(self) -> str:
        return f"rerun+http://127.0.0.1:{self.port}"

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._pump.join(5)
        return self.proc.returncode


def fixture_path(relative: str) -> Path:
    """A fixture written by scripts/gen-fixtures; fails with the command to run if it is missing."""
    path = FIXTURES / relative
    if not path.exists():
        raise RuntimeError(f"fixture missing: {path} (run scripts/gen-fixtures)")
    return path
