"""Registration through the Rerun SDK: every .rrd of DIR registered into a fresh dataset, N times in a row,
against one rrdflight server started on an empty data dir. The first registration pays for a cold JVM
(classes, interpreter, JIT); the later ones show the steady cost. Run it in the venv of the SDK to drive:

  .venvs/test-newest/bin/python scripts/bench/register_files.py /tmp/big41                # 16 files by 0.41 (footer)
  .venvs/test-newest/bin/python scripts/bench/register_files.py /tmp/big41 --data-base /dev/shm   # no fsync cost
  .venvs/test-newest/bin/python scripts/bench/register_files.py /tmp/big41 --jar OTHER.jar --no-archive

Per registration: wall time of `create_dataset` + `register([...]).wait()` as the client sees it, and the
server's CPU time in that span (all its threads, JIT included), read from /proc.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench_common import cpu_seconds

ROOT = Path(__file__).resolve().parents[2]
JAR = ROOT / "flight-server" / "target" / "rrdflight.jar"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir", type=Path, help="directory of .rrd files")
    parser.add_argument("--times", type=int, default=10, help="registrations, each into a new dataset")
    parser.add_argument("--jar", type=Path, default=JAR)
    parser.add_argument("--no-archive", action="store_true", help="without the class-data archive beside the jar")
    parser.add_argument("--data-base", type=Path, default=None, help="where the data dir is made (default: the temp dir)")
    args = parser.parse_args()

    import rerun as rr

    files = sorted(args.dir.resolve().glob("*.rrd"))
    archive = args.jar.with_suffix(".jsa")
    cds = [] if args.no_archive or not archive.is_file() else [f"-XX:SharedArchiveFile={archive}", "-Xlog:cds=off", "-Xlog:cds+dynamic=off"]
    data = Path(tempfile.mkdtemp(prefix="rrdflight-register-", dir=args.data_base))
    proc = subprocess.Popen(["java", "--add-opens=java.base/java.nio=ALL-UNNAMED", *cds, "-jar", str(args.jar), "server",
                             "--port", "0", "--data-dir", str(data), "--allow-root", str(args.dir.resolve())], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        port = None
        for line in proc.stdout:
            m = re.search(r"listening on [^\s:]+:(\d+)", line)
            port = int(m.group(1)) if m else port
            if line.strip() == "rrdflight ready":
                break
        client = rr.catalog.CatalogClient(f"rerun+http://127.0.0.1:{port}")
        walls, cpus = [], []
        for i in range(args.times):
            start, cpu = time.monotonic(), cpu_seconds(proc.pid)
            client.create_dataset(f"bench{i}").register([f"file://{p}" for p in files]).wait()
            walls.append(time.monotonic() - start)
            cpus.append(cpu_seconds(proc.pid) - cpu)
        rest = slice(1, None)
        print(f"{args.jar.name}{'' if cds else ' (no archive)'}, rerun-sdk {rr.__version__}, {len(files)} files of {args.dir}, "
              f"data dir in {data.parent}, load average {os.getloadavg()[0]:.1f}")
        print(f"first registration:  {walls[0]:.3f} s, server CPU {cpus[0]:.2f} s")
        print(f"registrations 2-{args.times}: median {statistics.median(walls[rest]):.3f} s (min {min(walls[rest]):.3f}, "
              f"max {max(walls[rest]):.3f}), server CPU median {statistics.median(cpus[rest]):.2f} s")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
