"""Query-view scan workers (issue 11, item 2): the filled query view over fixtures/large/large.rrd through
ADBC next to the plain Flight DoGet ceiling of the same bytes, and the full query view over a 16-recording
set, each for a baseline jar (main before the parallel engine) and for our jar with 1, 2, … workers.
Every server runs alone, one after the other, on the same data; each figure is the median of --repeat
runs after --warmup runs (default 1; the JIT of a fresh server still compiles the scan's path for the
next few, so --warmup 6 gives the settled figure; --servers N repeats it all on N fresh servers per
jar, taking turns, since the code C2 makes differs between server processes), with the server process's CPU seconds during the run (user + system, all
threads: the work done, which a busy machine does not inflate the way it inflates wall time). Prints a table and writes results/workers-<UTC time>.json. See README.md.

  .venv/bin/python scripts/bench/sql/workers.py --base-jar /tmp/main.jar --big /tmp/big41
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import adbc_driver_flightsql.dbapi as flightsql
import pyarrow as pa

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(ROOT / "flight-server" / "src" / "test" / "python"))
from bench_common import cpu_seconds  # noqa: E402
from bench import JAVA_FLAG, component_columns, our_sql, timed_adbc, timed_doget  # noqa: E402
from rrdflight_server import JAR, ListeningProcess  # noqa: E402

FULL_VIEW = "SELECT * FROM TABLE(\"big\".query_view(index => 'frame', contents => '/**'))"


class Server(ListeningProcess):
    """One jar serving one dataset directory; `workers` None = the jar's default (a jar without the flag)."""

    def __init__(self, jar: Path, data_dir: Path, name: str, dataset_dir: Path, heap: str, workers: int | None) -> None:
        extra = [] if workers is None else ["--query-workers", str(workers)]
        super().__init__(["java", JAVA_FLAG, f"-Xmx{heap}", "-jar", str(jar), "server", "--port", "0",
                          "--data-dir", str(data_dir), "-d", f"{name}={dataset_dir}", *extra],
                         r"listening on [^\s:]+:(\d+)", "rrdflight ready", "rrdflight server")


def wait_registered(uri: str, dataset: str, files: int) -> None:
    deadline = time.time() + 600
    while time.time() < deadline:
        try:
            with flightsql.connect(uri, autocommit=True) as conn, conn.cursor() as cur:
                cur.execute(f'SELECT COUNT(*) FROM "{dataset}".rerun.partitions')
                if cur.fetchone()[0] >= files:
                    return
        except Exception:  # the dataset may not exist until its first file is registered
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{dataset}: {files} partitions not registered in 10 min")


def timed(server: Server, uri: str, sql: str) -> tuple[int, int, float, float]:
    """One ADBC read: rows, bytes, wall seconds, and the server's CPU seconds during it."""
    before = cpu_seconds(server.proc.pid)
    rows, nbytes, seconds, _ = timed_adbc(uri, sql)
    return rows, nbytes, seconds, cpu_seconds(server.proc.pid) - before


def median_run(runs: list[tuple]) -> dict:
    out = {"rows": runs[0][0], "bytes": runs[0][1], "median_s": statistics.median(r[2] for r in runs),
           "runs_s": [round(r[2], 3) for r in runs]}
    if len(runs[0]) > 3:
        out["server_cpu_s"] = statistics.median(r[3] for r in runs)
    return out


def pooled(per_server: list[list[tuple]]) -> dict:
    """The runs of every server of one jar as one median_run, with each server's own median wall time."""
    out = median_run([r for runs in per_server for r in runs])
    out["server_medians_s"] = [round(statistics.median(r[2] for r in runs), 3) for runs in per_server]
    return out


def servers_in_turn(turns: list[tuple], data_dirs: Path, name: str, dataset_dir: Path, files: int, heap: str):
    """For each (label, jar, workers) of `turns`: a fresh server of `jar` serving `dataset_dir` as dataset `name`,
    once its `files` recordings are registered, as (label, server, uri); stopped when the caller moves on."""
    for i, (label, jar, workers) in enumerate(turns):
        server = Server(jar, data_dirs / f"data-{name}-{i}", name, dataset_dir, heap, workers)
        try:
            uri = f"grpc://127.0.0.1:{server.port}"
            wait_registered(uri, name, files)
            yield label, server, uri
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jar", type=Path, default=JAR, help="ours (default: flight-server/target/rrdflight.jar)")
    parser.add_argument("--base-jar", type=Path, help="the baseline: a jar built from main before this change")
    parser.add_argument("--workers", default="1,2", help="comma-separated --query-workers values for our jar")
    parser.add_argument("--large", type=Path, default=Path(os.environ.get("RRDFLIGHT_FIXTURES", ROOT / "fixtures")) / "large" / "large.rrd")
    parser.add_argument("--big", type=Path, help="a directory of recordings for the full view (e.g. /tmp/big41); skipped without")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--heap", default="1g", help="server -Xmx")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs on each server before the timed ones (at least 1)")
    parser.add_argument("--servers", type=int, default=1,
                        help="fresh servers per jar, taking turns jar by jar: the code C2 makes differs between server processes "
                             "(one run of the same two builds gave 0.80 against 0.67 s, four servers each the other way round)")
    args = parser.parse_args()
    args.warmup = max(1, args.warmup)
    args.servers = max(1, args.servers)

    configs = ([("main (baseline)", args.base_jar, None)] if args.base_jar else []) + \
        [(f"ours, {w} worker{'s' if int(w) > 1 else ''}", args.jar, int(w)) for w in args.workers.split(",")]
    out = HERE / "results" / ("workers-" + dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + ".json")
    out.parent.mkdir(exist_ok=True)
    results = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start",
               "server_heap": args.heap, "warmup_runs": args.warmup, "servers_per_jar": args.servers,
               "large": {}, "big": {}}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        dataset = tmp / "large"
        dataset.mkdir()
        os.symlink(args.large.resolve(), dataset / "large.rrd")
        ipc = tmp / "result.arrow"
        turns = [c for _ in range(args.servers) for c in configs]  # jar by jar, round after round
        large_runs: dict[str, list[list[tuple]]] = {label: [] for label, _, _ in configs}
        for label, server, uri in servers_in_turn(turns, tmp, "large", dataset, 1, args.heap):
            sql = our_sql(component_columns(uri))
            results["large_sql"] = sql
            _, _, _, table = timed_adbc(uri, sql, keep=not ipc.exists())  # warm-up; the first also gives the ceiling's bytes
            for _ in range(args.warmup - 1):
                timed_adbc(uri, sql)
            if table is not None:
                with pa.OSFile(str(ipc), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                    for batch in table.to_batches():
                        writer.write_batch(batch)
                del table
            runs = [timed(server, uri, sql) for _ in range(args.repeat)]
            large_runs[label].append(runs)
            print(label, "large.rrd", median_run(runs), flush=True)
        results["large"].update({label: pooled(per_server) for label, per_server in large_runs.items()})
        # The ceiling: the same result bytes (ADBC's batches of the first server, as an Arrow IPC file)
        # served by a pyarrow.flight (C++) server and read with a pyarrow.flight client, no computing;
        # three such servers, three reads each: a single server's three reads spread 0.23-0.43 s here.
        results["large"]["plain Flight DoGet of the same bytes (ceiling)"] = median_run(
            [run for _ in range(3) for run in timed_doget(ipc)])

        if args.big:
            files = len(list(args.big.glob("*.rrd")))
            results["big_dir"] = str(args.big)
            results["big_sql"] = FULL_VIEW
            big_runs: dict[str, list[list[tuple]]] = {label: [] for label, _, _ in configs}
            for label, server, uri in servers_in_turn(turns, tmp, "big", args.big, files, args.heap):
                for _ in range(args.warmup):
                    timed_adbc(uri, FULL_VIEW)  # warm-up
                runs = [timed(server, uri, FULL_VIEW) for _ in range(args.repeat)]
                big_runs[label].append(runs)
                print(label, args.big, median_run(runs), flush=True)
            results["big"].update({label: pooled(per_server) for label, per_server in big_runs.items()})

    ceiling = results["large"]["plain Flight DoGet of the same bytes (ceiling)"]["median_s"]
    print(f"\nfilled query view over {args.large.name} via ADBC (median of {args.repeat} runs x {args.servers} servers, each after {args.warmup} warm-up runs)")
    print(f"{'server':48} {'rows':>10} {'MB':>8} {'s':>7} {'MB/s':>8} {'of ceiling':>10} {'server CPU s':>12}")
    for label, r in results["large"].items():
        print(f"{label:48} {r['rows']:>10,} {r['bytes'] / 1e6:>8.1f} {r['median_s']:>7.2f} {r['bytes'] / 1e6 / r['median_s']:>8.1f}"
              f" {ceiling / r['median_s']:>9.0%} {r.get('server_cpu_s', float('nan')):>12.2f}")
    if results["big"]:
        base = next(iter(results["big"].values()))["median_s"]
        print(f"\nfull query view over {args.big} via ADBC (median of {args.repeat} runs x {args.servers} servers, each after {args.warmup} warm-up runs)")
        print(f"{'server':48} {'rows':>12} {'MB':>8} {'s':>7} {'MB/s':>8} {'vs first':>8} {'server CPU s':>12}")
        for label, r in results["big"].items():
            print(f"{label:48} {r['rows']:>12,} {r['bytes'] / 1e6:>8.1f} {r['median_s']:>7.2f} {r['bytes'] / 1e6 / r['median_s']:>8.1f}"
                  f" {base / r['median_s']:>7.2f}x {r['server_cpu_s']:>12.2f}")
    out.write_text(json.dumps(results, indent=1))
    print("wrote", out.relative_to(ROOT))


if __name__ == "__main__":
    main()
