"""Benchmark (not a test): rerun-sdk 0.27.3's full scan of recordings made of many small chunks.

Files written by `rr.log` per frame with many entities hold chunks of a few rows each; `rerun server`
0.27.3 compacts them when it loads the files; rrdflight compacts them once, in the background after
registration, into its data dir (catalog README, "Compacted copies"). For each server (rrdflight, once
per --jar, and `rerun server` 0.27.3), in one run: register the files, wait for rrdflight's compactions
(as many "compacted" log lines as files; a jar that logs none, e.g. main before compaction, is not
waited for), then time `dataframe_query_view(index="frame", contents="/**").df().to_arrow_table()`
over all partitions, twice (the second run of a server has no start-up costs), and check that every
server returned the same rows. rrdflight runs as users start it, through scripts/rrdflight and its memory
defaults (256 MB heap, parallel collector), unless --test-jvm asks for the test harness's `java -Xmx1g -jar`
(G1 then lets the heap grow to 1 GB: a higher peak RSS, not more memory needed); the output says which.

    .venv/bin/python scripts/bench/small_chunks.py --make-small-chunks /tmp/small-chunks   # once
    .venv/bin/python scripts/bench/small_chunks.py /tmp/small-chunks [--jar before=/tmp/old.jar]

Needs the runnable jar (mvn package) and the venv of scripts/requirements.txt (rerun-sdk 0.27.3).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

from bench_common import ROOT, cpu_seconds, peak_rss_mb

sys.path.insert(0, str(ROOT / "scripts" / "fixtures"))
from write_small_chunks import write_small_chunks  # noqa: E402 (sets the SDK's batcher variables first)

import pyarrow as pa  # noqa: E402
import rerun as rr  # noqa: E402

import rrdflight_server  # noqa: E402 (on sys.path through bench_common)
from rrdflight_server import RerunServer, ServerProcess  # noqa: E402

SET_FILE = "small-chunks-set.json"


def make(directory: Path, files: int, frames: int, entities: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    spec = {"files": files, "frames": frames, "entities": entities, "sdk": rr.__version__}
    made = directory / SET_FILE
    if made.exists() and json.loads(made.read_text()) != spec:
        raise SystemExit(f"{directory} holds another set ({made.read_text().strip()}): use an empty directory")
    made.write_text(json.dumps(spec) + "\n")
    for f in range(files):
        path = directory / f"small-chunks-{f:02d}.rrd"
        if not path.exists():
            write_small_chunks(path, f"rec-small-chunks-{f:02d}", frames, entities, seed=100 + f)
            print(f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB)", file=sys.stderr)


def canonical(table: pa.Table) -> pa.Table:
    """Rows in one order (partition, frame, log_tick), columns by name: servers may emit them in any order."""
    table = table.select(sorted(table.column_names))
    keys = [k for k in ("rerun_partition_id", "frame", "log_tick") if k in table.column_names]
    return table.sort_by([(k, "ascending") for k in keys])


COMPACTED = re.compile(r"compacted (\d+) chunks into (\d+) .* in (\d+) ms|shares the compacted copy")


def compactions(server) -> list[re.Match]:
    """A file's copy made, or (a file registered again in another dataset) shared."""
    return [m for m in (COMPACTED.search(line) for line in getattr(server, "lines", [])) if m]


def scan(server, files: list[str], name: str, compacts: bool) -> tuple[dict, pa.Table]:
    client = rr.catalog.CatalogClient(f"rerun+http://localhost:{server.port}")
    before = len(compactions(server))
    t0 = time.perf_counter()
    dataset = client.create_dataset(name=name)
    dataset.register_batch([f"file://{p}" for p in files]).wait(3600)
    t1 = time.perf_counter()
    while compacts and len(compactions(server)) < before + len(files):
        time.sleep(0.2)
    done = compactions(server)[before:]
    t2 = time.perf_counter()
    cpu_before = cpu_seconds(server.proc.pid)
    table = dataset.dataframe_query_view(index="frame", contents="/**").df().to_arrow_table()
    t3 = time.perf_counter()
    cpu = cpu_seconds(server.proc.pid)
    figures = {"register": t1 - t0, "compaction": t2 - t1, "scan": t3 - t2, "rows": table.num_rows, "rss": peak_rss_mb(server.proc.pid),
               "server_cpu": cpu - cpu_before,
               "per_file": [f"{int(m.group(1))}->{int(m.group(2))} chunks {int(m.group(3)) / 1000:.1f} s" if m.group(1) else "shared"
                             for m in done]}
    return figures, table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, nargs="?")
    parser.add_argument("--make-small-chunks", type=Path, metavar="DIR", help="write the recordings into DIR and exit")
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--frames", type=int, default=8000)
    parser.add_argument("--entities", type=int, default=16)
    parser.add_argument("--jar", action="append", default=[], metavar="NAME=PATH",
                        help="another rrdflight jar to measure in the same run (e.g. before=/tmp/main.jar)")
    parser.add_argument("--test-jvm", action="store_true",
                        help="start rrdflight as the tests do (java -Xmx1g -jar, G1) instead of with the launcher's defaults")
    args = parser.parse_args()
    if args.make_small_chunks:
        make(args.make_small_chunks, args.files, args.frames, args.entities)
        return 0
    files = sorted(str(p.resolve()) for p in args.directory.glob("*.rrd"))
    size = sum(Path(p).stat().st_size for p in files) / 1e6
    servers = [(f"rrdflight ({name})", Path(path)) for name, path in (j.split("=", 1) for j in args.jar)]
    servers += [("rrdflight", rrdflight_server.JAR), ("rerun server 0.27.3", None)]
    rows, reference = [], None
    for name, jar in servers:
        data = Path(f"/tmp/rrdflight-bench-{time.time_ns()}")
        server = (ServerProcess(data, allow_roots=(Path(files[0]).parent, Path("/tmp")), jar=jar, launcher=not args.test_jvm)
                  if jar else RerunServer())
        try:
            compacts = jar is not None
            for run in ("first run", "second run"):
                figures, table = scan(server, files, f"bench_{run.split()[0]}", compacts)
                table = canonical(table)
                if reference is None:
                    reference = table
                figures["equal"] = table.equals(reference)
                rows.append((f"{name}, {run}", figures))
                del table
        finally:
            server.stop()
    load = os.getloadavg()
    jvm = "java -Xmx1g -jar (the tests' JVM, G1)" if args.test_jvm else "scripts/rrdflight (the launcher's defaults: -Xmx256m, parallel GC)"
    print(f"\n{len(files)} files, {size:.0f} MB ({args.directory}); load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; rrdflight started by {jvm}\n")
    print("| server | register + wait | compaction (background) | full scan (df().to_arrow_table()) | server CPU in the scan | rows equal to the first | server peak RSS |")
    print("|---|---|---|---|---|---|---|")
    for name, r in rows:
        print(f"| {name} | {r['register']:.2f} s | {r['compaction']:.2f} s | {r['scan']:.2f} s ({r['rows']} rows) | {r['server_cpu']:.2f} s"
              f" | {'yes' if r['equal'] else 'NO'} | {r['rss']:.0f} MB |")
    for name, r in rows:
        if r["per_file"]:
            print(f"{name}: " + "; ".join(r["per_file"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
