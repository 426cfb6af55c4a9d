"""Benchmark (not a test): the SQL door over a generated big set (bench_common.make_big), through ADBC
and the Flight SQL JDBC driver, on one rrdflight server (`-d big=DIR`), optionally next to another
build of it (`--baseline-jar`, e.g. main before a change) on the same files in the same run.

Queries (each timed from the request to the last batch, best of --repeat after one warm-up):
  seed view     query_view of one recording, a 10% window of `frame`, fill_latest_at (ADBC)
  full view     every recording's rows on `frame`, every column (ADBC; JDBC moving the cursor)
  count         SELECT COUNT(*) FROM "big".rerun."frame" (ADBC)
  group by      rows and the mean of one scalar per recording (ADBC)

    .venvs/bench-sql/bin/python scripts/bench/sql_big.py /tmp/big41 --json out.json

--restart measures what a restart costs instead (issue 11 item 3): one server counts once on a fresh data
dir and stops, a second on the same data dir then runs count twice and group by twice, each timed once, with
the server's CPU seconds per query (/proc), e.g. main's jar as --baseline-jar against this build.
--delay S waits S seconds after the second server's ready line before its first query (a user who queries
a moment after a restart, once the warm-up after the banner is done; 0: at once, as a script would).
--wait-counts S makes the first (fresh) server's first count wait until its log says its background row
counts are ready, at most S seconds (a build without them waits S), and reports what counting took (wall
from the ready line, server CPU); without it the first count runs at once, beside the counting.
Servers start with the jar's class-data archive when the build made one (as scripts/rrdflight does).
Run by scripts/bench/compare (which makes the venv and the data).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import adbc_driver_flightsql.dbapi as flightsql

from bench_common import BIG_SEGMENT, ROOT, big_frames, peak_rss_mb
from register_files import cpu_seconds
from rrdflight_server import JAR, ListeningProcess, class_data_archive

JDBC_DRIVER = Path.home() / ".m2/repository/org/apache/arrow/flight-sql-jdbc-driver/18.3.0/flight-sql-jdbc-driver-18.3.0.jar"
JDBC_BENCH = Path(__file__).parent / "sql" / "JdbcBench.java"
JAVA_FLAG = "--add-opens=java.base/java.nio=ALL-UNNAMED"


def queries(frames: int) -> dict[str, str]:
    lo, hi = frames * 45 // 100, frames * 55 // 100
    return {
        "seed view": f"SELECT * FROM TABLE(\"big\".query_view(index => 'frame', contents => '/**', partition_ids => '{BIG_SEGMENT}',"
                     f" range_start => {lo}, range_end => {hi}, fill_latest_at => true))",
        "full view": "SELECT * FROM \"big\".rerun.\"frame\"",
        "count": "SELECT COUNT(*) FROM \"big\".rerun.\"frame\"",
        "group by": "SELECT rerun_partition_id, COUNT(*) AS n, AVG(\"/scalars/s0:Scalars:scalars\"[1]) AS mean"
                    " FROM \"big\".rerun.\"frame\" GROUP BY rerun_partition_id ORDER BY rerun_partition_id",
    }


class Server(ListeningProcess):
    def __init__(self, jar: Path, data_dir: Path, dataset: Path, heap: str) -> None:
        # With the jar's class-data archive when the build made one, as scripts/rrdflight starts it.
        super().__init__(["java", JAVA_FLAG, f"-Xmx{heap}", *class_data_archive(jar), "-jar", str(jar), "server", "--port", "0",
                          "--data-dir", str(data_dir), "-d", f"big={dataset}"],
                         r"listening on [^\s:]+:(\d+)", "rrdflight ready", "rrdflight server")


def adbc(uri: str, sql: str) -> dict:
    start = time.perf_counter()
    rows = nbytes = 0
    first = None
    with flightsql.connect(uri, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(sql)
        for batch in cur.fetch_record_batch():
            rows += batch.num_rows
            nbytes += batch.nbytes
            if first is None and batch.num_rows:
                first = batch.slice(0, 1).to_pylist()[0]
    return {"wall": time.perf_counter() - start, "rows": rows, "bytes": nbytes, "first": first}


def jdbc(port: int, sql: str) -> dict:
    url = f"jdbc:arrow-flight-sql://127.0.0.1:{port}/?useEncryption=false"
    out = subprocess.run(["java", JAVA_FLAG, "-Xmx2g", "-cp", str(JDBC_DRIVER), str(JDBC_BENCH), url, sql, "next"],
                         check=True, capture_output=True, text=True).stdout.split()
    return {"wall": float(out[1]), "rows": int(out[0])}


def measure(jar: Path, dataset: Path, repeat: int, heap: str) -> dict:
    frames = big_frames(dataset)
    if frames is None:
        raise SystemExit(f"{dataset} is not a generated set (bench_common.make_big)")
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(jar, Path(tmp) / "data", dataset, heap)
        try:
            uri = f"grpc://127.0.0.1:{server.port}"
            for name, sql in queries(frames).items():
                runs = [adbc(uri, sql) for _ in range(repeat + 1)][1:]  # the first warms up
                best = min(runs, key=lambda r: r["wall"])
                out[f"{name} (ADBC)"] = {**best, "runs": [r["wall"] for r in runs]}
                print(f"{jar.name} {name} (ADBC): {best['wall']:.2f} s, {best['rows']} rows", file=sys.stderr, flush=True)
            if JDBC_DRIVER.is_file():
                runs = [jdbc(server.port, queries(frames)["full view"]) for _ in range(repeat)]
                best = min(runs, key=lambda r: r["wall"])
                out["full view (JDBC next)"] = {**best, "runs": [r["wall"] for r in runs]}
            out["peak RSS MB"] = peak_rss_mb(server.proc.pid)
        finally:
            server.stop()
    return out


ROW_COUNTS_READY = r"row counts ready: \d+ views of \d+ partitions"


def measure_restart(jar: Path, dataset: Path, heap: str, delay: float = 0.0, wait_counts: float = 0.0) -> dict:
    """Count on a fresh data dir, then, after a restart on it, count, count, group by, group by."""
    q = queries(big_frames(dataset) or 0)
    steps = [("count, first after a fresh start", "count"), ("count, first after a restart", "count"), ("count, 2nd", "count"),
             ("group by, 1st after the counts", "group by"), ("group by, 2nd", "group by")]
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for started, run in ((1, steps[:1]), (2, steps[1:])):
            server = Server(jar, Path(tmp) / "data", dataset, heap)
            try:
                uri = f"grpc://127.0.0.1:{server.port}"
                if started == 2:
                    time.sleep(delay)
                elif wait_counts > 0:
                    ready = time.perf_counter()
                    before = cpu_seconds(server.proc.pid)
                    found = re.search(ROW_COUNTS_READY, server.log_once_matching(ROW_COUNTS_READY, timeout=wait_counts))
                    out["background row counts"] = {"found": bool(found), "wall": round(time.perf_counter() - ready, 2),
                                                    "server CPU s": round(cpu_seconds(server.proc.pid) - before, 2), "rows": 0}
                    print(f"{jar} server 1 background row counts: {out['background row counts']}", file=sys.stderr, flush=True)
                for label, name in run:
                    before = cpu_seconds(server.proc.pid)
                    out[label] = {**adbc(uri, q[name]), "server CPU s": round(cpu_seconds(server.proc.pid) - before, 2)}
                    print(f"{jar} server {started} {label}: {out[label]['wall']:.2f} s, CPU {out[label]['server CPU s']} s,"
                          f" {out[label]['rows']} rows", file=sys.stderr, flush=True)
            finally:
                server.stop()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--heap", default="1g", help="server -Xmx")
    parser.add_argument("--baseline-jar", type=Path, help="another rrdflight.jar measured the same way (e.g. main before a change)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--restart", action="store_true", help="the first queries after a restart on the same data dir (see above)")
    parser.add_argument("--delay", type=float, default=0.0, help="with --restart: seconds from the restart's ready line to its first query")
    parser.add_argument("--wait-counts", type=float, default=0.0,
                        help="with --restart: the fresh server's first count waits for its background row counts, at most this many seconds")
    args = parser.parse_args()
    run = (lambda jar: measure_restart(jar, args.directory.resolve(), args.heap, args.delay, args.wait_counts)) if args.restart else (
        lambda jar: measure(jar, args.directory.resolve(), args.repeat, args.heap))
    results = {"rrdflight": run(JAR)}
    if args.baseline_jar:
        results["baseline"] = run(args.baseline_jar.resolve())
        for name, ours in results["rrdflight"].items():
            theirs = results["baseline"].get(name)
            if isinstance(ours, dict) and isinstance(theirs, dict) and (ours["rows"], ours.get("first")) != (theirs["rows"], theirs.get("first")):
                print(f"WARNING: {name}: rows or first row differ from the baseline", file=sys.stderr)
    for name, r in results["rrdflight"].items():
        if isinstance(r, dict):
            r.pop("first", None)
    for r in results.get("baseline", {}).values():
        if isinstance(r, dict):
            r.pop("first", None)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    print(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
