"""Benchmark (not a test): where rrdflight's resident memory goes on the small-chunk set, phase by phase.

Starts rrdflight as users do (scripts/rrdflight: 256 MB heap, parallel collector, MALLOC_ARENA_MAX=2)
with native memory tracking, registers the files of DIR (small_chunks.py --make-small-chunks) with
rerun-sdk 0.27.3, waits for the compactions, then runs the full scan twice; with --early-scan, once
more right after registration, on the originals while their copies are being made (it reports the
rows, or the error). For each phase it prints the largest RSS seen (VmRSS, split into anonymous and
file-backed pages, sampled every 0.2 s) and the JVM's own account (`jcmd VM.native_memory summary`,
committed MB) taken near that peak (at most every 2 s) and at the phase's end: heap, class metadata,
threads, code, GC, "Other" (direct and Arrow memory), malloc in all; and the server's CPU per thread
name in each of the two scans (the first one right after the compactions).

    .venv/bin/python scripts/bench/small_chunks_memory.py /tmp/small-chunks [--jar PATH] [--java-opts="-Xlog:gc:file=gc.log"]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench_common import ROOT, cpu_seconds, peak_rss_mb

sys.path.insert(0, str(ROOT / "scripts" / "fixtures"))
from write_small_chunks import write_small_chunks  # noqa: E402,F401 (sets the SDK's batcher variables first)

import rerun as rr  # noqa: E402

import rrdflight_server  # noqa: E402
from rrdflight_server import ServerProcess  # noqa: E402
from small_chunks import compactions  # noqa: E402
from small_chunks_cpu import threads  # noqa: E402

CATEGORIES = ("Java Heap", "Class", "Thread", "Code", "GC", "Internal", "Other", "Symbol", "Shared class space", "Arena Chunk")


def status(pid: int) -> dict[str, int]:
    text = Path(f"/proc/{pid}/status").read_text()
    return {k: int(re.search(k + r":\s+(\d+)", text).group(1)) // 1024 for k in ("VmRSS", "RssAnon", "RssFile")}


def nmt(pid: int) -> dict[str, int]:
    """Committed MB per NMT category, and malloc in all."""
    out = subprocess.run(["jcmd", str(pid), "VM.native_memory", "summary"], capture_output=True, text=True, timeout=60).stdout
    figures = {}
    for name in CATEGORIES:
        m = re.search(r"-\s+" + re.escape(name) + r" \(reserved=\d+KB, committed=(\d+)KB\)", out)
        if m:
            figures[name] = int(m.group(1)) // 1024
    m = re.search(r"malloc: (\d+)KB", out)
    if m:
        figures["malloc"] = int(m.group(1)) // 1024
    m = re.search(r"Total: reserved=\d+KB, committed=(\d+)KB", out)
    if m:
        figures["NMT total"] = int(m.group(1)) // 1024
    return figures


class Phases:
    """Samples RSS; per phase keeps the largest sample and an NMT account taken near it."""

    def __init__(self, pid: int) -> None:
        self.pid, self.phase, self.stop = pid, "start", threading.Event()
        self.peaks: dict[str, tuple[dict, dict]] = {}
        self.last_nmt = 0.0
        threading.Thread(target=self.run, daemon=True).start()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                s = status(self.pid)
            except (OSError, AttributeError):
                return
            peak = self.peaks.get(self.phase)
            if peak is None or s["VmRSS"] > peak[0]["VmRSS"] + 8:
                account = peak[1] if peak else {}
                if time.monotonic() - self.last_nmt > 2:
                    account = nmt(self.pid)
                    self.last_nmt = time.monotonic()
                self.peaks[self.phase] = (s, account)
            self.stop.wait(0.2)

    def enter(self, phase: str) -> None:
        self.peaks[self.phase + " (end)"] = (status(self.pid), nmt(self.pid))
        self.phase = phase


def per_name(before: dict, after: dict) -> list[tuple[str, float]]:
    """CPU seconds per thread name (digits dropped: a pool's threads together) between two samples, largest first."""
    sums: dict[str, float] = {}
    for (tid, name), seconds in after.items():
        key = re.sub(r"\d+", "N", name)
        sums[key] = sums.get(key, 0.0) + seconds - before.get((tid, name), 0.0)
    return sorted(((n, v) for n, v in sums.items() if v >= 0.01), key=lambda x: -x[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--jar", type=Path, default=rrdflight_server.JAR)
    parser.add_argument("--early-scan", action="store_true",
                        help="also scan right after registration, while the copies are being made (the originals' indexes)")
    parser.add_argument("--java-opts", default="", help="added to RRDFLIGHT_JAVA_OPTS after native memory tracking")
    args = parser.parse_args()
    files = sorted(str(p.resolve()) for p in args.directory.glob("*.rrd"))
    data = Path(f"/tmp/rrdflight-bench-{time.time_ns()}")
    opts = ("-XX:NativeMemoryTracking=summary " + args.java_opts).strip()
    server = ServerProcess(data, allow_roots=(Path(files[0]).parent, Path("/tmp")), jar=args.jar, launcher=True,
                           env={"RRDFLIGHT_JAVA_OPTS": opts})
    pid = server.proc.pid
    try:
        phases = Phases(pid)
        client = rr.catalog.CatalogClient(f"rerun+http://localhost:{server.port}")
        phases.enter("register")
        dataset = client.create_dataset(name="memory")
        dataset.register_batch([f"file://{p}" for p in files]).wait(3600)
        early = "not asked"
        if args.early_scan:
            phases.enter("scan during compaction")
            try:
                rows = dataset.dataframe_query_view(index="frame", contents="/**").df().to_arrow_table().num_rows
                early = f"{rows} rows, {len(compactions(server))} of {len(files)} copies made when it ended"
            except Exception as e:  # noqa: BLE001 (reported: what the check is for)
                early = f"failed: {e!r}"[:300]
        phases.enter("compaction")
        while len(compactions(server)) < len(files):
            time.sleep(0.2)
        cpu, by_thread = {}, {}
        for scan in ("first scan", "second scan"):
            phases.enter(scan)
            before, threads_before = cpu_seconds(pid), threads(pid)
            dataset.dataframe_query_view(index="frame", contents="/**").df().to_arrow_table()
            cpu[scan] = cpu_seconds(pid) - before
            by_thread[scan] = per_name(threads_before, threads(pid))
        copies = [m.group(0) for m in compactions(server)]
        phases.enter("done")
        phases.stop.set()
        hwm = peak_rss_mb(pid)
    finally:
        server.stop()
    print(f"\n{args.jar}, RRDFLIGHT_JAVA_OPTS={opts!r}; peak RSS (VmHWM) {hwm:.0f} MB; server CPU first / second scan "
          f"{cpu['first scan']:.2f} / {cpu['second scan']:.2f} s; scan during compaction: {early}; load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    columns = ["VmRSS", "RssAnon", "RssFile", "NMT total", *CATEGORIES, "malloc"]
    print("| phase | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for phase, (s, account) in phases.peaks.items():
        values = {**s, **account}
        print(f"| {phase} | " + " | ".join(str(values.get(c, "")) for c in columns) + " |")
    for scan, names in by_thread.items():
        print(f"{scan}: server CPU by thread: " + ", ".join(f"{n} {v:.2f}" for n, v in names[:8]))
    print("copies: " + "; ".join(copies))
    print("(MB; a phase's row is its largest RSS sample with the NMT account nearest it, '(end)' rows as the phase ended)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
