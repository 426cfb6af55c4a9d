"""Benchmark (not a test): issue 6's seed workflow, end to end, on rrdflight and on `rerun server` 0.27.3.

For each server: start it with an empty catalog, then time, through rerun-sdk's CatalogClient,
create_dataset + register(first file) + register_batch(the rest) + tasks.wait, then the seed view
(one partition, a 10% index window, fill_latest_at) as df().to_arrow_table(), then the same view
over every partition without a window. Peak RSS is the server process's VmHWM, read before it
stops. Figures go to stdout as a Markdown table (scripts/bench/README.md keeps the last run).

    .venv/bin/python scripts/bench/seed_workflow.py fixtures/dataset
    .venv/bin/python scripts/bench/seed_workflow.py --make-big /tmp/big --files 16   # writes ~2.2 GB once
    .venv/bin/python scripts/bench/seed_workflow.py /tmp/big

Needs the runnable jar (mvn package) and the venv of scripts/requirements.txt.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import rerun as rr

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "flight-server" / "src" / "test" / "python"))
from conftest import RerunServer, ServerProcess  # noqa: E402

BIG_FRAMES = 1_000_000
BIG_BATCH = 10_000


def make_big(directory: Path, files: int) -> None:
    """`files` recordings shaped like fixtures/large (scalars and points by send_columns), ~135 MB each."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    for f in range(files):
        path = directory / f"big-{f:02d}.rrd"
        if path.exists():
            continue
        rec = rr.RecordingStream("rrdflight_bench", recording_id=f"rec-big-{f:02d}")
        rec.save(str(path))
        rec.log("/info", rr.TextDocument(f"benchmark recording {f}"), static=True)
        for start in range(0, BIG_FRAMES, BIG_BATCH):
            frames = np.arange(start, start + BIG_BATCH, dtype=np.int64)
            indexes = [rr.TimeColumn("frame", sequence=frames)]
            for e in range(4):
                rec.send_columns(f"/scalars/s{e}", indexes=indexes, columns=rr.Scalars.columns(scalars=rng.standard_normal(len(frames))))
            if start % (2 * BIG_BATCH) == 0:
                positions = rng.standard_normal((len(frames) * 8, 3)).astype(np.float32)
                rec.send_columns("/points", indexes=indexes,
                                 columns=rr.Points3D.columns(positions=positions).partition([8] * len(frames)))
        rec.flush()
        del rec
        print(f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB)", file=sys.stderr)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def window(files: list[str]) -> tuple[str, str, int, int]:
    """Index, partition id and a 10% window of the first file, without loading big files."""
    if Path(files[0]).name.startswith("big-"):
        return "frame", "rec-big-00", BIG_FRAMES * 45 // 100, BIG_FRAMES * 55 // 100
    rec = rr.dataframe.load_recording(files[0])
    times = sorted(set(pc.cast(rec.view(index="log_time", contents="/**").select().read_all().column("log_time").drop_null(),
                               pa.int64()).to_pylist()))
    return "log_time", rec.recording_id(), times[len(times) * 45 // 100], times[len(times) * 55 // 100]


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
    args = parser.parse_args()
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
            rows.append((name + ", second run", run(server, files, "bench_again")))
        finally:
            server.stop()
    print(f"\n{len(files)} files, {size:.0f} MB ({args.directory})\n")
    print("| server | register + wait | seed view (1 partition, 10% window, fill) | all partitions | total | peak RSS |")
    print("|---|---|---|---|---|---|")
    for name, r in rows:
        print(f"| {name} | {r['register']:.2f} s | {r['seed_view']:.2f} s ({r['seed_rows']} rows) | "
              f"{r['all_view']:.2f} s ({r['all_rows']} rows) | {r['total']:.2f} s | {r['rss']:.0f} MB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
