"""Start-up time of `rrdflight server`: from process start to its `rrdflight ready` line.

Two cases, each run --reps times with fresh processes, printed as median, min and max:
  first start: an empty data dir, so the -d directory's files are registered before the banner;
  restart:     the data dir the first start left, so nothing is registered again.
The clock starts just before the process is spawned (the launcher script included when --launcher
is given) and stops when the banner line is read from its stdout; the server is then stopped with
SIGTERM and waited for, outside the measurement. Also printed, read from /proc at the banner: the
process's CPU time (all threads: JIT compilers and GC included) and that of the thread running
main(), which on a loaded machine says more than wall time. Standard library only.

  python3 scripts/bench/startup.py fixtures/dataset                 # java -jar flight-server/target/rrdflight.jar
  python3 scripts/bench/startup.py fixtures/dataset --archive       # the same with the jar's class-data archive
  python3 scripts/bench/startup.py fixtures/dataset --launcher      # scripts/rrdflight (as users run it)
  python3 scripts/bench/startup.py fixtures/dataset --jar OTHER.jar --java-opt=-Xshare:off
  python3 scripts/bench/startup.py fixtures/dataset --launcher --jar MAIN.jar --jar MINE.jar   # interleaved

--jar is repeatable: each repetition then runs every jar in turn (first start, restart), so that builds are
compared in the same run on a shared machine; with --launcher the launcher runs the jar as RRDFLIGHT_JAR
(with the archive beside it). --threads also prints the restart's CPU at the banner per thread group
(main, C1, C2, GC, warm-up, other).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench_common import cpu_seconds, thread_cpu_seconds

ROOT = Path(__file__).resolve().parents[2]
JAR = ROOT / "flight-server" / "target" / "rrdflight.jar"


def command(args, jar: Path, data_dir: Path, dataset: Path) -> list[str]:
    server = ["server", "-d", f"sample={dataset}", "--data-dir", str(data_dir), "--port", "0"]
    if args.launcher:
        return [str(ROOT / "scripts" / "rrdflight"), *server]
    archive = [f"-XX:SharedArchiveFile={jar.with_suffix('.jsa')}"] if args.archive else []
    return ["java", "--add-opens=java.base/java.nio=ALL-UNNAMED", *archive, *args.java_opt, "-jar", str(jar), *server]


THREAD_GROUPS = {"java": "main", "C1 CompilerThre": "C1", "C2 CompilerThre": "C2", "rrdflight-warmup": "warm-up"}


def thread_groups(pid: int) -> dict[str, float]:
    """CPU seconds so far of the process's threads, grouped by name (GC threads together, the rest as 'other')."""
    groups: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        group = THREAD_GROUPS.get(name, "GC" if name.startswith("GC Thread") or name.startswith("VM Thread") else "other")
        groups[group] = groups.get(group, 0.0) + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return groups


def time_to_ready(cmd: list[str], env: dict[str, str], groups: list[dict[str, float]] | None = None) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, main-thread CPU seconds) from spawning the process to its banner; with
    `groups`, the CPU per thread group at the banner is appended to it."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        for line in proc.stdout:
            if line.strip() == "rrdflight ready":
                wall = time.monotonic() - start
                if groups is not None:
                    groups.append(thread_groups(proc.pid))
                # The launcher execs java: same pid. The thread running main() is the one the launcher names "java" (JIT and
                # GC threads have their own names): the critical path of a start on an otherwise idle machine.
                return wall, cpu_seconds(proc.pid, children=True), thread_cpu_seconds(proc.pid, "java")
        raise SystemExit(f"server exited with {proc.wait()} before 'rrdflight ready': {' '.join(cmd)}")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def summary(name: str, times: list[float]) -> str:
    return (f"{name:12s} median {statistics.median(times):.3f} s   min {min(times):.3f} s   max {max(times):.3f} s"
            f"   ({', '.join(f'{t:.2f}' for t in times)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", type=Path, help="directory of .rrd files served as dataset 'sample'")
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--launcher", action="store_true", help="start through scripts/rrdflight")
    parser.add_argument("--jar", type=Path, action="append", default=[],
                        help=f"the runnable jar (default: {JAR.relative_to(ROOT)}); repeatable: the jars run interleaved")
    parser.add_argument("--archive", action="store_true", help="with the class-data archive beside the jar (rrdflight.jsa)")
    parser.add_argument("--java-opt", action="append", default=[], help="extra JVM flag (repeatable; not with --launcher)")
    parser.add_argument("--threads", action="store_true", help="also the restart's CPU at the banner per thread group")
    args = parser.parse_args()
    jars = [jar.resolve() for jar in args.jar] or [JAR]
    env = dict(os.environ)
    if args.launcher and args.java_opt:
        env["RRDFLIGHT_JAVA_OPTS"] = " ".join(args.java_opt)
    dataset = args.dataset.resolve()
    results = {jar: {key: [] for key in ("first", "first_cpu", "first_main", "restart", "restart_cpu", "restart_main")} for jar in jars}
    groups: dict[Path, list[dict[str, float]]] = {jar: [] for jar in jars}
    work = Path(tempfile.mkdtemp(prefix="rrdflight-startup-"))
    try:
        for rep in range(args.reps):
            for n, jar in enumerate(jars):
                jar_env = dict(env)
                if args.launcher and args.jar:
                    jar_env["RRDFLIGHT_JAR"] = str(jar)
                r = results[jar]
                data_dir = work / f"data-{rep}-{n}"
                wall, cpu, main_cpu = time_to_ready(command(args, jar, data_dir, dataset), jar_env)
                r["first"].append(wall)
                r["first_cpu"].append(cpu)
                r["first_main"].append(main_cpu)
                wall, cpu, main_cpu = time_to_ready(command(args, jar, data_dir, dataset), jar_env, groups[jar])
                r["restart"].append(wall)
                r["restart_cpu"].append(cpu)
                r["restart_main"].append(main_cpu)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for jar in jars:
        how = "scripts/rrdflight" if args.launcher else " ".join(command(args, jar, Path("DATA"), dataset)[:-7])
        r = results[jar]
        print(f"{how}: {jar}: {dataset} ({len(list(dataset.glob('*.rrd')))} files), {args.reps} reps, "
              f"load average {os.getloadavg()[0]:.1f}, nice {os.nice(0)}")
        print(summary("first start", r["first"]))
        print(summary("  CPU", r["first_cpu"]))
        print(summary("  main CPU", r["first_main"]))
        print(summary("restart", r["restart"]))
        print(summary("  CPU", r["restart_cpu"]))
        print(summary("  main CPU", r["restart_main"]))
        if args.threads:
            names = sorted({name for g in groups[jar] for name in g})
            print("  restart CPU by thread (median): " + ", ".join(
                f"{name} {statistics.median(g.get(name, 0.0) for g in groups[jar]):.3f}" for name in names))


if __name__ == "__main__":
    main()
