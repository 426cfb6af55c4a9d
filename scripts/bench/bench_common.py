"""Pieces the benchmarks share: the big generated dataset, the seed window, a server's peak RSS and CPU time.

Imported by seed_workflow.py (rerun-sdk 0.27.3 venv) and newest_sdk.py (rerun-sdk 0.41 venv), so
it only uses rerun API that both SDKs have, and imports rerun where it is needed; numpy too, so that
scripts of the standard library only (startup.py) can import it with a bare python3.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "flight-server" / "src" / "test" / "python"))

BIG_FRAMES = 1_000_000
BIG_BATCH = 10_000
BIG_SEGMENT = "rec-big-00"
SET_FILE = "bench-set.json"  # written next to the generated recordings: what made them


def make_big(directory: Path, files: int, frames: int = BIG_FRAMES) -> None:
    """`files` recordings shaped like fixtures/large (scalars and points by send_columns), ~135 MB each
    at the default `frames`. Deterministic: the same seed and calls whichever SDK runs it; what differs
    is the SDK's own doing (from 0.28 the files end with the RRF2FOOT footer)."""
    import numpy as np
    import rerun as rr

    if frames % BIG_BATCH:
        raise ValueError(f"frames must be a multiple of {BIG_BATCH}: {frames}")
    directory.mkdir(parents=True, exist_ok=True)
    made = directory / SET_FILE
    spec = {"files": files, "frames": frames, "sdk": rr.__version__}
    if made.exists() and json.loads(made.read_text()) != spec:
        raise SystemExit(f"{directory} holds another set ({made.read_text().strip()}): use an empty directory")
    made.write_text(json.dumps(spec) + "\n")
    for f in range(files):
        path = directory / f"big-{f:02d}.rrd"
        # The generator draws the same numbers in the same order for every file: skipping an existing
        # file would shift the later files' data, so the random stream is re-seeded per file.
        rng = np.random.default_rng([7, f])
        if path.exists():
            continue
        rec = rr.RecordingStream("rrdflight_bench", recording_id=f"rec-big-{f:02d}")
        rec.save(str(path))
        rec.log("/info", rr.TextDocument(f"benchmark recording {f}"), static=True)
        for start in range(0, frames, BIG_BATCH):
            batch = np.arange(start, start + BIG_BATCH, dtype=np.int64)
            indexes = [rr.TimeColumn("frame", sequence=batch)]
            for e in range(4):
                rec.send_columns(f"/scalars/s{e}", indexes=indexes,
                                 columns=rr.Scalars.columns(scalars=rng.standard_normal(len(batch))))
            if start % (2 * BIG_BATCH) == 0:
                positions = rng.standard_normal((len(batch) * 8, 3)).astype(np.float32)
                rec.send_columns("/points", indexes=indexes,
                                 columns=rr.Points3D.columns(positions=positions).partition([8] * len(batch)))
        rec.flush()
        rec.disconnect()  # ends the stream: the End frame, and from 0.28 the footer
        del rec
        print(f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB)", file=sys.stderr)


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int, children: bool = False) -> float:
    """User + system CPU time of a process so far (all its threads: JIT and GC count), from /proc; with
    `children`, also that of its children it has waited for (a launcher script's java, say)."""
    return _stat_seconds(Path(f"/proc/{pid}/stat"), 4 if children else 2)


def thread_cpu_seconds(pid: int, name: str) -> float:
    """User + system CPU time of the process's threads called `name` (as /proc/PID/task/*/comm says)."""
    tasks = Path(f"/proc/{pid}/task").iterdir()
    return sum(_stat_seconds(task / "stat", 2) for task in tasks if (task / "comm").read_text().strip() == name)


def _stat_seconds(stat: Path, counters: int) -> float:
    """The first `counters` of utime, stime, cutime, cstime of a /proc stat file, summed, in seconds.
    The fields are counted after the command name's closing parenthesis (a name may hold spaces)."""
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:11 + counters]) / os.sysconf("SC_CLK_TCK")


def big_frames(directory: Path) -> int | None:
    """Frames per recording of a generated set, None for other directories."""
    made = directory / SET_FILE
    if made.exists():
        return json.loads(made.read_text())["frames"]
    if (directory / "big-00.rrd").exists():
        return BIG_FRAMES  # made before SET_FILE existed
    return None


def window(files: list[str]) -> tuple[str, str, int, int]:
    """Index, segment (partition) id and a 10% window of the first file's index values (the 45th to
    the 55th percentile of its distinct values). Generated sets need no read; other files are read with
    rerun-sdk 0.27's local dataframe API, so call this from the 0.27.3 venv for those."""
    frames = big_frames(Path(files[0]).parent)
    if frames is not None:
        return "frame", BIG_SEGMENT, frames * 45 // 100, frames * 55 // 100
    import pyarrow as pa
    import pyarrow.compute as pc
    import rerun as rr

    rec = rr.dataframe.load_recording(files[0])
    column = rec.view(index="log_time", contents="/**").select().read_all().column("log_time").drop_null()
    times = sorted(set(pc.cast(column, pa.int64()).to_pylist()))
    return "log_time", rec.recording_id(), times[len(times) * 45 // 100], times[len(times) * 55 // 100]


BUCKET = "bench"
BUCKET_PREFIX = "big/"


def bucket_of(files: list[Path], work: Path):
    """A real S3-compatible server on this machine (s3proxy, its filesystem store under `work`) holding
    `files` under s3://bench/big/: what object_storage.py and fleet.py serve with `-d NAME=s3://bench/big/`
    and `--s3-endpoint`. Returns the running S3Proxy (its `endpoint`, `credentials()`; the caller stops it)."""
    import time

    from rrdflight_server import S3Proxy

    blobs = work / "blobs"
    blobs.mkdir(parents=True, exist_ok=True)
    s3 = S3Proxy(work / "s3proxy", blob_dir=blobs)
    try:
        start = time.perf_counter()
        for f in files:
            s3.put(BUCKET, f"{BUCKET_PREFIX}{f.name}", f)
        size = sum(f.stat().st_size for f in files)
        print(f"{len(files)} files, {size / 1e6:.0f} MB, put in s3://{BUCKET}/{BUCKET_PREFIX} in {time.perf_counter() - start:.1f} s",
              file=sys.stderr, flush=True)
    except BaseException:
        s3.stop()
        raise
    return s3


def add_jar_option(parser) -> None:
    """`--jar`: run the servers from another build's rrdflight.jar (e.g. main's, for a before/after pair)."""
    parser.add_argument("--jar", type=Path, default=None, help="another build's rrdflight.jar (default: this checkout's)")


def use_jar(jar: Path | None) -> None:
    """Makes rrdflight_server.ServerProcess start `jar` (when given) instead of this checkout's build."""
    if jar is not None:
        import rrdflight_server

        rrdflight_server.JAR = jar.resolve()
