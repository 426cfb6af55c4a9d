"""Benchmark (not a test): the first calls a client makes on a FRESH server, step by step, as a test
suite that starts a server per test sees them (issue 11, items 4 and 6).

Each repetition starts a new server process on an empty data dir, waits for its ready line, lets it
settle for --settle seconds (the background warm-up runs then, as it would while a client connects),
and then drives it through the running venv's rerun-sdk:
  client     CatalogClient(url)
  create     create_dataset("bench")
  register   register(every .rrd of DIR)      (the call returns a task)
  wait       .wait() on that task
  segments   segment_ids()
  seed       one segment, 10% window of its index, fill_latest_at, to pandas (skipped with --no-read)
  create2 register2 wait2   the same registration again into a second dataset (the second time)
  warm register              with --warm N: N more registrations (create, register, wait) into new datasets,
                             the median of the last half: a warm server's figure, once the JIT is done with them
Per step: wall time as the client sees it and the server's CPU time in that span (all its threads,
JIT compilers and GC included, from /proc): the robust figure on a shared machine. Output: median
(min-max) per step, and the load average. With --threads, also each step's server CPU per thread group
(thread names as /proc shortens them, without a trailing number: the JIT's compiler threads, GC, gRPC
workers, registration workers, the warm-up), medians over the repetitions: where a first call's CPU goes.

    V=.venvs/test-newest/bin/python
    $V scripts/bench/first_calls.py /tmp/big41                          # this checkout's jar, as scripts/rrdflight runs it
    $V scripts/bench/first_calls.py /tmp/big41 --jar OTHER/rrdflight.jar
    $V scripts/bench/first_calls.py /tmp/big41 --rerun                  # `rerun server` from the venv's wheel

rrdflight is started as scripts/rrdflight starts it (the class-data archive beside the jar when it
is newer than the jar, -Xmx256m, the parallel collector, MALLOC_ARENA_MAX=2); --java-opt adds flags.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import rerun as rr

from bench_common import ROOT
from newest_sdk import RerunServer, seed_frame, window_of
from bench_common import cpu_seconds
from rrdflight_server import ListeningProcess

JAR = ROOT / "flight-server" / "target" / "rrdflight.jar"


def rrdflight(jar: Path, data: Path, allow: Path, java_opts: list[str], java: str = "java",
              archive: bool = True) -> ListeningProcess:
    jsa = jar.with_suffix(".jsa")
    cds = ([f"-XX:SharedArchiveFile={jsa}", "-Xlog:cds=off", "-Xlog:cds+dynamic=off"]
           if archive and jsa.is_file() and jsa.stat().st_mtime > jar.stat().st_mtime else [])
    command = [java, "--add-opens=java.base/java.nio=ALL-UNNAMED", *cds, "-Xmx256m", "-XX:+UseParallelGC", *java_opts,
               "-jar", str(jar), "server", "--port", "0", "--data-dir", str(data), "--allow-root", str(allow)]
    return ListeningProcess(command, r"listening on [^\s:]+:(\d+)", "rrdflight ready", "rrdflight",
                            {"MALLOC_ARENA_MAX": "2"})


def thread_groups(pid: int) -> dict[str, float]:
    """CPU seconds so far of each group of the process's threads (names without digits), from /proc;
    threads that ended are not counted (their CPU shows in the process total only)."""
    groups: dict[str, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            name = open(f"/proc/{pid}/task/{tid}/comm").read().strip()
            fields = open(f"/proc/{pid}/task/{tid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        group = re.sub(r"[-#]?\d+$", "", name).strip() or name
        groups[group] = groups.get(group, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return groups


FIRST_CALLS = ("client", "create", "register", "wait", "segments", "seed")


def one_run(server: ListeningProcess, files: list[str], win: tuple | None,
            per_thread: list[tuple[str, dict[str, float]]] | None = None, warm: int = 0) -> list[tuple[str, float, float]]:
    pid = server.proc.pid
    marks = []
    last = [time.perf_counter(), cpu_seconds(pid), thread_groups(pid) if per_thread is not None else {}]

    def mark(name: str) -> None:
        now, cpu = time.perf_counter(), cpu_seconds(pid)
        marks.append((name, now - last[0], cpu - last[1]))
        if per_thread is not None:
            groups = thread_groups(pid)
            per_thread.append((name, {g: v - last[2].get(g, 0.0) for g, v in groups.items()}))
            last[2] = groups
        last[0], last[1] = time.perf_counter(), cpu_seconds(pid)

    uris = [f"file://{p}" for p in files]
    client = rr.catalog.CatalogClient(f"rerun+http://127.0.0.1:{server.port}"); mark("client")
    ds = client.create_dataset("bench"); mark("create")
    task = ds.register(uris); mark("register")
    task.wait(); mark("wait")
    ds.segment_ids(); mark("segments")
    if win is not None:
        index, segment, start, end = win
        seed_frame(ds, index, segment, start, end).to_pandas(); mark("seed")
    ds2 = client.create_dataset("bench2"); mark("create2")
    task = ds2.register(uris); mark("register2")
    task.wait(); mark("wait2")
    if warm:
        spans = []
        for i in range(warm):
            start, cpu = time.perf_counter(), cpu_seconds(pid)
            client.create_dataset(f"warm{i}").register(uris).wait()
            spans.append((time.perf_counter() - start, cpu_seconds(pid) - cpu))
        settled = spans[warm // 2:]
        marks.append((f"warm register (create + register + wait, median of the last {len(settled)} of {warm})",
                      statistics.median(w for w, _ in settled), statistics.median(c for _, c in settled)))
    return marks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir", type=Path, help="directory of .rrd files")
    parser.add_argument("--reps", type=int, default=5, help="fresh server processes")
    parser.add_argument("--jar", type=Path, default=JAR)
    parser.add_argument("--rerun", action="store_true", help="measure `rerun server` from the venv's wheel instead")
    parser.add_argument("--java-opt", action="append", default=[], help="extra JVM flag (repeatable)")
    parser.add_argument("--java", default="java", help="the java launcher (default: the one on PATH)")
    parser.add_argument("--no-archive", action="store_true", help="without the class-data archive beside the jar")
    parser.add_argument("--settle", type=float, default=1.0, help="seconds between the ready line and the first call")
    parser.add_argument("--no-read", action="store_true", help="skip the seed reader step")
    parser.add_argument("--threads", action="store_true", help="also each step's server CPU per thread group")
    parser.add_argument("--warm", type=int, default=0, help="N more registrations after the second, for a warm server's figure")
    args = parser.parse_args()

    files = sorted(str(p) for p in args.dir.resolve().glob("*.rrd"))
    win = None if args.no_read else window_of(files)
    runs = []
    loads = []
    per_thread: list[tuple[str, dict[str, float]]] | None = [] if args.threads and not args.rerun else None
    for _ in range(args.reps):
        data = Path(tempfile.mkdtemp(prefix="rrdflight-first-calls-"))
        server = RerunServer() if args.rerun else rrdflight(args.jar.resolve(), data / "data", args.dir.resolve(), args.java_opt,
                                                           args.java, not args.no_archive)
        try:
            time.sleep(args.settle)
            loads.append(os.getloadavg()[0])
            runs.append(one_run(server, files, win, per_thread, args.warm))
        finally:
            server.stop()
            shutil.rmtree(data, ignore_errors=True)
    who = ("rerun server (venv wheel)" if args.rerun else
           f"{args.java} {args.jar}{' (no archive)' if args.no_archive else ''} {' '.join(args.java_opt)}".strip())
    print(f"{who}; rerun-sdk {rr.__version__}; {len(files)} files of {args.dir}; {args.reps} fresh servers; "
          f"load average {min(loads):.1f}-{max(loads):.1f}")
    print("| step | wall median (min-max) | server CPU median (min-max) |")
    print("|---|---|---|")
    total_wall = [sum(w for n, w, _ in run if n in FIRST_CALLS) for run in runs]
    total_cpu = [sum(c for n, _, c in run if n in FIRST_CALLS) for run in runs]
    rows = [(name, [run[i][1] for run in runs], [run[i][2] for run in runs]) for i, (name, _, _) in enumerate(runs[0])]
    rows.insert(len([r for r in rows if r[0] in FIRST_CALLS]), ("first calls in all", total_wall, total_cpu))
    for name, walls, cpus in rows:
        print(f"| {name} | {statistics.median(walls):.3f} s ({min(walls):.3f}-{max(walls):.3f}) | "
              f"{statistics.median(cpus):.2f} s ({min(cpus):.2f}-{max(cpus):.2f}) |")
    if per_thread:
        print_thread_groups(per_thread, args.reps)


def print_thread_groups(per_thread: list[tuple[str, dict[str, float]]], reps: int) -> None:
    """Per step, the thread groups that took at least 0.01 s (median over the repetitions), biggest first."""
    print()
    print("| step | server CPU per thread group, median over the repetitions |")
    print("|---|---|")
    steps = list(dict.fromkeys(name for name, _ in per_thread))
    for step in steps:
        samples = [groups for name, groups in per_thread if name == step]
        names = {g for groups in samples for g in groups}
        medians = {g: statistics.median([groups.get(g, 0.0) for groups in samples] + [0.0] * (reps - len(samples)))
                   for g in names}
        shown = sorted(((v, g) for g, v in medians.items() if v >= 0.01), reverse=True)
        print(f"| {step} | " + ", ".join(f"{g} {v:.2f}" for v, g in shown) + " |")


if __name__ == "__main__":
    main()
