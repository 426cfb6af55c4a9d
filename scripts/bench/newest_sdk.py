"""Benchmark (not a test): rrdflight vs `rerun server` 0.41.0, both driven by rerun-sdk 0.41.0.

On the same files, for each server (started fresh, empty catalog, with the counting proxy
grpc_count.py in front of it): time, through rerun-sdk 0.41's CatalogClient,
  1. register + wait: CatalogClient(url) + create_dataset + register(every file) + wait;
  2. the seed reader: one segment, a 10% window of its index, fill_latest_at=True, to pandas;
  3. all segments on the index: reader(index).count().
For each step: wall time, what the server sent the client (FetchChunks chunks, their bytes, and
every byte of every response, as counted by the proxy) and the server's peak RSS so far (VmHWM).
The servers alternate, `--reps` times each, every time in a new process. After rrdflight's last
repetition it is restarted on the same data dir and the script asserts that the dataset id, the
segment ids and the seed reader's rows are the same. Output: one Markdown table (stdout).

    V=.venvs/test-newest/bin/python     # rerun-sdk[catalog]==0.41.0; its wheel's `rerun server` is the reference
    $V scripts/bench/newest_sdk.py fixtures/dataset                       # quick: 12 small 0.27.3 files
    $V scripts/bench/newest_sdk.py --make-big /tmp/big41 --files 16       # ~2.2 GB written by 0.41.0 (footer)
    .venv/bin/python scripts/bench/seed_workflow.py --make-big /tmp/big27 # the same recordings by 0.27.3
    $V scripts/bench/newest_sdk.py /tmp/big41
    $V scripts/bench/newest_sdk.py /tmp/big27

Needs the runnable jar (mvn package). Windows of non-generated files are read with the 0.27.3
venv (.venv), whose local dataframe API the 0.41 SDK no longer has.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import rerun as rr
from datafusion import col, lit

from bench_common import ROOT, big_frames, make_big, peak_rss_mb, use_jar, window
from conftest import rerun_binary
from rrdflight_server import ListeningProcess, ServerProcess

# rrdflight is started with scripts/rrdflight (its JVM memory defaults), unless --as-tests.
LAUNCHER = True

STEPS = [("register", "register + wait"), ("seed", "seed reader (1 segment, 10% window, fill)"),
         ("all", "all segments (count)")]


class RerunServer(ListeningProcess):
    """`rerun server` from this venv's rerun-sdk wheel (0.41 takes --host where 0.27.3 took --addr)."""

    def __init__(self) -> None:
        super().__init__([str(rerun_binary()), "server", "--host", "127.0.0.1", "--port", "0"],
                         r"Listening on [^\s:]+:(\d+)", "Ready for connections", "rerun server")


class Wire:
    """The counting proxy in front of one server, in its own process (no GIL shared with the client)."""

    def __init__(self, upstream: int, events: Path) -> None:
        self.events = events
        self.offset = 0
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("grpc_count.py")), str(upstream), str(events)],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening on "):
            raise RuntimeError(f"grpc_count.py did not start: {line!r}")
        self.port = int(line.split()[-1])

    def take(self) -> dict:
        """Totals of the response streams that ended since the last call."""
        totals = dict.fromkeys(["bytes", "fetch_calls", "chunks", "payload", "uncompressed", "lz4"], 0)
        if self.events.exists():
            with self.events.open() as f:
                f.seek(self.offset)
                for line in f:
                    e = json.loads(line)
                    totals["bytes"] += e["bytes"]
                    totals["fetch_calls"] += e["fetch"]
                    for k in ("chunks", "payload", "uncompressed", "lz4"):
                        totals[k] += e[k]
                self.offset = f.tell()
        return totals

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class Direct:
    """No proxy: the client talks to the server itself (wall times without the proxy's hop; no counts)."""

    def __init__(self, upstream: int) -> None:
        self.port = upstream

    def take(self) -> dict:
        return dict.fromkeys(["bytes", "fetch_calls", "chunks", "payload", "uncompressed", "lz4"], 0)

    def stop(self) -> None:
        pass


def seed_frame(ds, index: str, segment: str, start: int, end: int):
    """The seed reader: one segment, fill_latest_at, a closed window on the index (pushed down)."""
    if index == "frame":
        lo, hi = lit(start), lit(end)
    else:
        lo, hi = lit(pa.scalar(start, pa.timestamp("ns"))), lit(pa.scalar(end, pa.timestamp("ns")))
    return ds.filter_segments(segment).reader(index=index, fill_latest_at=True).filter((col(index) >= lo) & (col(index) <= hi))


def run(uri: str, pid: int, wire: Wire, files: list[str], win: tuple) -> tuple[dict, object]:
    index, segment, start, end = win
    out = {}
    wire.take()
    t0 = time.perf_counter()
    client = rr.catalog.CatalogClient(uri)
    ds = client.create_dataset("bench")
    ds.register([f"file://{p}" for p in files]).wait()
    wall = time.perf_counter() - t0
    segments = sorted(ds.segment_ids())
    out["register"] = {"wall": wall, "rows": len(segments), **wire.take(), "rss": peak_rss_mb(pid)}
    t0 = time.perf_counter()
    seed = seed_frame(ds, index, segment, start, end).to_pandas()
    out["seed"] = {"wall": time.perf_counter() - t0, "rows": len(seed), **wire.take(), "rss": peak_rss_mb(pid),
                   "filled": {c: int(seed[c].notna().sum()) for c in seed.columns}}
    t0 = time.perf_counter()
    rows = ds.reader(index=index).count()
    out["all"] = {"wall": time.perf_counter() - t0, "rows": rows, **wire.take(), "rss": peak_rss_mb(pid)}
    return out, (str(ds.id), segments, out["seed"]["rows"])


def restart_check(data: Path, win: tuple, expected: tuple) -> str:
    """rrdflight, restarted on the same data dir: same dataset id, segment ids and seed rows."""
    index, segment, start, end = win
    server = ServerProcess(data, launcher=LAUNCHER)
    try:
        ds = rr.catalog.CatalogClient(server.rerun_uri).get_dataset(name="bench")
        actual = (str(ds.id), sorted(ds.segment_ids()), len(seed_frame(ds, index, segment, start, end).to_pandas()))
    finally:
        server.stop()
    if actual != expected:
        raise AssertionError(f"rrdflight restart changed the dataset: before {expected}, after {actual}")
    return (f"restart check: OK — after a restart on the same data dir the 0.41 client finds dataset id {actual[0]}, "
            f"the same {len(actual[1])} segment ids and the same {actual[2]} seed rows")


def window_of(files: list[str]) -> tuple:
    if big_frames(Path(files[0]).parent) is not None:
        return window(files)
    # Files not made by the generator: their index values are read with rerun-sdk 0.27's local API.
    code = "import json, sys; from bench_common import window; print(json.dumps(window(sys.argv[1:])))"
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c", code, *files], check=True,
                         capture_output=True, text=True, cwd=Path(__file__).parent)
    return tuple(json.loads(out.stdout))


def size(n: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}" if n < 100 * scale else f"{n / scale:.0f} {unit}"
    return f"{n:.0f} B"


def cell(values: list[float], show) -> str:
    """One figure, or every repetition's figure when they differ."""
    shown = [show(v) for v in values]
    return shown[0] if len(set(shown)) == 1 else " / ".join(shown)


def ratio(ours: list[float], theirs: list[float]) -> str:
    a, b = statistics.mean(ours), statistics.mean(theirs)
    if b == 0:
        return "—" if a == 0 else "∞"
    return f"{a / b:.2f}"


COUNT = "{:.0f}".format
ROWS = [  # (measure, key, how it is shown)
    ("wall time", "wall", lambda v: f"{v:.2f} s"),
    ("result rows (register: segments)", "rows", COUNT),
    ("FetchChunks calls", "fetch_calls", COUNT),
    ("chunks sent", "chunks", COUNT),
    ("chunk payload bytes", "payload", size),
    ("chunks sent LZ4-compressed", "lz4", COUNT),
    ("chunk bytes uncompressed", "uncompressed", size),
    ("all response bytes to the client", "bytes", size),
    ("server peak RSS so far", "rss", lambda v: f"{v:.0f} MB"),
]


def table(names: list[str], results: dict[str, list[dict]]) -> list[str]:
    ours, theirs = names
    lines = [f"| step | measure | {ours} | {theirs} | {ours} / {theirs} |", "|---|---|---|---|---|"]
    for step, label in STEPS:
        for i, (measure, key, show) in enumerate(ROWS):
            if key != "wall" and key != "rss" and key != "rows" and not any(r[step][key] for n in names for r in results[n]):
                continue  # nothing of that kind sent in this step by either server
            a = [r[step][key] for r in results[ours]]
            b = [r[step][key] for r in results[theirs]]
            lines.append(f"| {label if i == 0 else ''} | {measure} | {cell(a, show)} | {cell(b, show)} | {ratio(a, b)} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, nargs="?")
    parser.add_argument("--make-big", type=Path, help="write the big dataset with this venv's rerun-sdk into this directory and exit")
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--frames", type=int, default=1_000_000, help="frames per generated recording")
    parser.add_argument("--reps", type=int, default=2, help="fresh server processes per server")
    parser.add_argument("--direct", action="store_true", help="no counting proxy: wall times without its hop, no byte counts")
    parser.add_argument("--json", type=Path, help="also write every figure to this file (for compare.py)")
    parser.add_argument("--jar", type=Path, help="rrdflight's runnable jar to start (another build, with its archive beside it); "
                        "default: this checkout's")
    parser.add_argument("--as-tests", action="store_true",
                        help="start rrdflight as the tests do (java -Xmx1g -jar), not with scripts/rrdflight and its memory defaults")
    args = parser.parse_args()
    global LAUNCHER
    LAUNCHER = not args.as_tests
    use_jar(args.jar)
    if args.make_big:
        make_big(args.make_big, args.files, args.frames)
        return 0
    files = sorted(str(p.resolve()) for p in args.directory.glob("*.rrd"))
    win = window_of(files)
    version = subprocess.run([str(rerun_binary()), "--version"], capture_output=True, text=True).stdout.split()[1]
    if rr.__version__ != version:
        raise SystemExit(f"client rerun-sdk {rr.__version__} but the wheel's server says {version}")
    names = ["rrdflight", f"rerun server {version}"]
    results: dict[str, list[dict]] = {n: [] for n in names}
    notes = []
    work = Path(tempfile.mkdtemp(prefix="rrdflight-bench41-"))
    try:
        for rep in range(args.reps):
            for name in names:
                data = work / f"data-{rep}"
                server = ServerProcess(data, launcher=LAUNCHER) if name == "rrdflight" else RerunServer()
                wire = Direct(server.port) if args.direct else Wire(server.port, work / f"wire-{name.split()[0]}-{rep}.jsonl")
                try:
                    figures, ids = run(f"rerun+http://127.0.0.1:{wire.port}", server.proc.pid, wire, files, win)
                    results[name].append(figures)
                    print(f"{name} run {rep + 1}: " + json.dumps(figures), file=sys.stderr, flush=True)
                finally:
                    wire.stop()
                    server.stop()
                if name == "rrdflight" and rep == args.reps - 1:
                    notes.append(restart_check(data, win, ids))
    finally:
        shutil.rmtree(work, ignore_errors=True)  # data dirs and proxy logs: nothing to keep once the figures are out
    filled = {n: results[n][-1]["seed"]["filled"] for n in names}
    if filled[names[0]] != filled[names[1]]:
        differ = {c: (filled[names[0]].get(c), filled[names[1]].get(c)) for c in sorted(set(filled[names[0]]) | set(filled[names[1]]))
                  if filled[names[0]].get(c) != filled[names[1]].get(c)}
        notes.append(f"seed reader results DIFFER — non-null cells per column ({names[0]}, {names[1]}): {differ}")
    else:
        notes.append(f"seed reader results: same columns and non-null cell counts on both servers")
    size = sum(Path(p).stat().st_size for p in files) / 1e6
    print(f"\n{len(files)} files, {size:.0f} MB ({args.directory}); client rerun-sdk {rr.__version__}; "
          f"seed: segment {win[1]}, {win[0]} in [{win[2]}, {win[3]}]; {args.reps} fresh processes per server "
          f"(figures that differ between them are shown as a / b; ratios of the means)"
          f"{'; no proxy (--direct)' if args.direct else '; through the counting proxy'}"
          f"; rrdflight started {'as the tests do (java -Xmx1g -jar)' if args.as_tests else 'with scripts/rrdflight'}"
          f"{f' from {args.jar}' if args.jar else ''}\n")
    print("\n".join(table(names, results)))
    print("\n" + "\n".join(notes))
    if args.json:
        for runs in results.values():
            for r in runs:
                r["seed"].pop("filled", None)
        args.json.write_text(json.dumps({"client": rr.__version__, "names": names, "files": len(files), "mb": size,
                                         "results": results, "notes": notes}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
