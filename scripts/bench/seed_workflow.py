"""Benchmark (not a test): issue 6's seed workflow, end to end, on rrdflight and on `rerun server` 0.27.3.

For each server: start it with an empty catalog, then time, through rerun-sdk's CatalogClient,
create_dataset + register(first file) + register_batch(the rest) + tasks.wait, then the seed view
(one partition, a 10% index window, fill_latest_at) as df().to_arrow_table(), then the same view
over every partition without a window. Peak RSS is the server process's VmHWM, read before it
stops. Figures go to stdout as a Markdown table (scripts/bench/README.md keeps the last run).

    .venv/bin/python scripts/bench/seed_workflow.py fixtures/dataset
    .venv/bin/python scripts/bench/seed_workflow.py --make-big /tmp/big --files 16   # writes ~2.2 GB once
    .venv/bin/python scripts/bench/seed_workflow.py /tmp/big
    .venv/bin/python scripts/bench/seed_workflow.py /tmp/big --once --jar OTHER/flight-server/target/rrdflight.jar

Needs the runnable jar (mvn package) and the venv of scripts/requirements.txt.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import rerun as rr

from bench_common import make_big, peak_rss_mb, use_jar, window
from conftest import RerunServer, ServerProcess  # on sys.path through bench_common


def run(server, files: list[str], name: str, token: str | None = None) -> dict:
    index, pid, s, e = window(files)
    client = rr.catalog.CatalogClient(f"rerun+http://localhost:{server.port}", token=token)
    t0 = time.perf_counter()
    dataset = client.create_dataset(name=name)
    dataset.register(f"file://{files[0]}", timeout_secs=3600)
    dataset.register_batch([f"file://{p}" for p in files[1:]]).wait(3600)
    t1 = time.perf_counter()
    view = (dataset.dataframe_query_view(index=index, contents="/**")
            .filter_partition_id(pid).filter_range_nanos(start=s, end=e).fill_latest_at())
    seed = view.df().to_arrow_table()
    t2 = time.perf_counter()
    everything = dataset.dataframe_query_view(index=index, contents="/**").df().count()
    t3 = time.perf_counter()
    return {"register": t1 - t0, "seed_view": t2 - t1, "seed_rows": seed.num_rows, "all_view": t3 - t2, "all_rows": everything,
            "total": t3 - t0, "rss": peak_rss_mb(server.proc.pid)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, nargs="?")
    parser.add_argument("--make-big", type=Path, help="write the big dataset into this directory and exit")
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--once", action="store_true", help="first run only (no second dataset in the same process)")
    parser.add_argument("--json", type=Path, help="also write every figure to this file (for compare.py)")
    parser.add_argument("--jar", type=Path, help="rrdflight's runnable jar to start (another build, with its archive beside it); "
                        "default: this checkout's")
    args = parser.parse_args()
    use_jar(args.jar)
    if args.make_big:
        make_big(args.make_big, args.files)
        return 0
    files = sorted(str(p.resolve()) for p in args.directory.glob("*.rrd"))
    size = sum(Path(p).stat().st_size for p in files) / 1e6
    rows = []
    for name, start in [("rrdflight", lambda d: ServerProcess(d)), ("rerun server 0.27.3", lambda d: RerunServer())]:
        data = Path(f"/tmp/rrdflight-bench-{time.time_ns()}")
        server = start(data)
        try:
            rows.append((name + ", first run", run(server, files, "bench")))
            # The same again in a second dataset of the same process: without start-up costs (JIT,
            # class loading, cold page cache), closer to a server that has been up for a while.
            if not args.once:
                rows.append((name + ", second run", run(server, files, "bench_again")))
        finally:
            server.stop()
    print(f"\n{len(files)} files, {size:.0f} MB ({args.directory})\n")
    print("| server | register + wait | seed view (1 partition, 10% window, fill) | all partitions | total | peak RSS |")
    print("|---|---|---|---|---|---|")
    for name, r in rows:
        print(f"| {name} | {r['register']:.2f} s | {r['seed_view']:.2f} s ({r['seed_rows']} rows) | "
              f"{r['all_view']:.2f} s ({r['all_rows']} rows) | {r['total']:.2f} s | {r['rss']:.0f} MB |")
    if args.json:
        args.json.write_text(json.dumps({"client": rr.__version__, "files": len(files), "mb": size, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
