"""Runs Rerun's own end-to-end catalog suite against `rerun server` and rrdflight, and compares the outcomes.

Rerun's repository holds the suite (rerun_py/tests/e2e_redap_tests, which takes --redap-url); its .rrd and
.rbl resources are Git LFS files, so regenerate them with the scripts beside them first. The suite is
Rerun's code and stays in Rerun's checkout: this script only runs it, once per server, each with a fresh
data dir, and prints the tests whose outcome differs.

  PYTHON=/path/to/venv/bin/python  # rerun-sdk of the wanted version, pytest, pytest-timeout, syrupy, inline-snapshot, datafusion
  $PYTHON scripts/rerun_e2e.py --rerun-py ~/rerun/rerun_py [--jar flight-server/target/rrdflight.jar]

The `rerun` of the same venv is the reference server. Exit status 1 when a test passes on one server only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def outcomes(junit: Path) -> dict[str, str]:
    """Per test (file::name): passed, failed or skipped."""
    result = {}
    for case in ET.parse(junit).iter("testcase"):
        name = case.get("classname").split(".")[-1] + "::" + case.get("name")
        tags = {child.tag for child in case}
        result[name] = "failed" if tags & {"failure", "error"} else "skipped" if "skipped" in tags else "passed"
    return result


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def run_suite(label: str, server_command: list[str], rerun_py: Path, work: Path, port: int) -> dict[str, str]:
    """Starts the server, runs the suite against it, stops it; the outcomes."""
    log = (work / f"server-{label}.log").open("w")
    # Its own process group: the SDK's `rerun` is a Python wrapper around the server binary, which outlives a
    # signal to the wrapper alone.
    server = subprocess.Popen(server_command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not listening(port):
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{label} server did not start; see {work / f'server-{label}.log'}")
            time.sleep(0.2)
        junit = work / f"junit-{label}.xml"
        tmp = work / f"tmp-{label}"
        tmp.mkdir()
        # The suite turns warnings into errors; a deprecation in the SDK itself would abort its collection.
        subprocess.run([sys.executable, "-m", "pytest", "-c", str(rerun_py / "pyproject.toml"), str(rerun_py / "tests" / "e2e_redap_tests"),
                        "--redap-url", f"rerun+http://127.0.0.1:{port}", "-q", "-p", "no:cacheprovider", "-W", "default::DeprecationWarning",
                        "--timeout", "120", "--junitxml", str(junit)],
                       cwd=rerun_py, env={**os.environ, "TMPDIR": str(tmp)}, stdout=(work / f"pytest-{label}.txt").open("w"),
                       stderr=subprocess.STDOUT, check=False)
        return outcomes(junit)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rerun-py", type=Path, required=True, help="rerun_py of a Rerun checkout, resources regenerated")
    parser.add_argument("--jar", type=Path, default=ROOT / "flight-server" / "target" / "rrdflight.jar")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, junit files)")
    args = parser.parse_args()
    rerun = Path(sys.executable).parent / "rerun"
    if not (args.rerun_py / "tests" / "e2e_redap_tests").is_dir():
        parser.error(f"{args.rerun_py} holds no tests/e2e_redap_tests: give rerun_py of a Rerun checkout")
    if not args.jar.is_file():
        parser.error(f"{args.jar} is not a file: build it (mvn package) or give --jar")
    if not rerun.is_file():
        parser.error(f"{rerun} missing: run this script with the python of a venv that has rerun-sdk")
    work = Path(tempfile.mkdtemp(prefix="rerun-e2e-"))
    try:
        reference_port, our_port = free_port(), free_port()
        reference = run_suite("rerun", [str(rerun), "server", "--host", "127.0.0.1", "--port", str(reference_port)],
                              args.rerun_py, work, reference_port)
        ours = run_suite("rrdflight", ["java", "-jar", str(args.jar), "server", "--data-dir", str(work / "data"), "--port", str(our_port),
                                       "--allow-root", str(args.rerun_py), "--allow-root", str(work)],
                         args.rerun_py, work, our_port)
        for label, result in (("rerun server", reference), ("rrdflight", ours)):
            counts = {k: sum(1 for v in result.values() if v == k) for k in ("passed", "failed", "skipped")}
            print(f"{label}: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
        differ = sorted(t for t in set(reference) | set(ours) if reference.get(t) != ours.get(t))
        for test in differ:
            print(f"  {test}: rerun server {reference.get(test, 'absent')}, rrdflight {ours.get(test, 'absent')}")
        if not differ:
            print("every test has the same outcome on both")
        print(f"work directory: {work}" if args.keep else "")
        return 1 if differ else 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
