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


def command(args, data_dir: Path, dataset: Path) -> list[str]:
    server = ["server", "-d", f"sample={dataset}", "--data-dir", str(data_dir), "--port", "0"]
    if args.launcher:
        return [str(ROOT / "scripts" / "rrdflight"), *server]
    archive = [f"-XX:SharedArchiveFile={args.jar.with_suffix('.jsa')}"] if args.archive else []
    return ["java", "--add-opens=java.base/java.nio=ALL-UNNAMED", *archive, *args.java_opt, "-jar", str(args.jar), *server]


def time_to_ready(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, main-thread CPU seconds) from spawning the process to its banner."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        for line in proc.stdout:
            if line.strip() == "rrdflight ready":
                wall = time.monotonic() - start
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
    parser.add_argument("--jar", type=Path, default=JAR, help=f"the runnable jar (default: {JAR.relative_to(ROOT)})")
    parser.add_argument("--archive", action="store_true", help="with the class-data archive beside the jar (rrdflight.jsa)")
    parser.add_argument("--java-opt", action="append", default=[], help="extra JVM flag (repeatable; not with --launcher)")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.launcher and args.java_opt:
        env["RRDFLIGHT_JAVA_OPTS"] = " ".join(args.java_opt)
    dataset = args.dataset.resolve()
    first, restart, first_cpu, restart_cpu, first_main, restart_main = [], [], [], [], [], []
    work = Path(tempfile.mkdtemp(prefix="rrdflight-startup-"))
    try:
        for rep in range(args.reps):
            data_dir = work / f"data-{rep}"
            wall, cpu, main_cpu = time_to_ready(command(args, data_dir, dataset), env)
            first.append(wall)
            first_cpu.append(cpu)
            first_main.append(main_cpu)
            wall, cpu, main_cpu = time_to_ready(command(args, data_dir, dataset), env)
            restart.append(wall)
            restart_cpu.append(cpu)
            restart_main.append(main_cpu)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    how = "scripts/rrdflight" if args.launcher else " ".join(command(args, Path("DATA"), dataset)[:-7])
    print(f"{how}: {dataset} ({len(list(dataset.glob('*.rrd')))} files), {args.reps} reps, "
          f"load average {os.getloadavg()[0]:.1f}, nice {os.nice(0)}")
    print(summary("first start", first))
    print(summary("  CPU", first_cpu))
    print(summary("  main CPU", first_main))
    print(summary("restart", restart))
    print(summary("  CPU", restart_cpu))
    print(summary("  main CPU", restart_main))


if __name__ == "__main__":
    main()
