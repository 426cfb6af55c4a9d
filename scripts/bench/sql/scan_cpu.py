"""Scan CPU of the filled query view over fixtures/large/large.rrd, jars side by side (issue 11, item 2).

Every jar's server runs at once and the queries alternate between them (ADBC, one after the other), so
each sees the same machine load; after --warm queries each, --n are measured. Per query: wall, the
server's CPU seconds (all threads) and the CPU of the busiest stream/worker thread (the one that
computes and writes the batches with --query-workers 1), from /proc. On a shared, busy machine the
last figure is the one to compare. Each line also splits the server's CPU by thread group (scan: the
stream and worker threads; C2/C1: the JIT; GC; grpc: Netty's event loops) and gives the client's
(ADBC, in this process) CPU: where a query's CPU goes, on the same 2 cores. `label=jar@2` runs that
jar with 2 query workers; --ceiling then serves the first jar's result bytes from a plain
pyarrow.flight DoGet server (bench.py's ceiling) three times three reads, in the same run.

  .venv/bin/python scripts/bench/sql/scan_cpu.py main=/tmp/main.jar branch=flight-server/target/rrdflight.jar
  .venv/bin/python scripts/bench/sql/scan_cpu.py one=J.jar two=J.jar@2 --ceiling
"""

from __future__ import annotations

import argparse
import collections
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "flight-server" / "src" / "test" / "python"))
import pyarrow as pa  # noqa: E402
from bench import JAVA_FLAG, component_columns, our_sql, timed_adbc, timed_doget  # noqa: E402
from rrdflight_server import ListeningProcess  # noqa: E402
from workers import cpu_seconds, wait_registered  # noqa: E402


def thread_cpu(pid: int) -> dict[str, tuple[str, float]]:
    """Per thread id: its name and user + system CPU seconds so far."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            out[task.name] = ((task / "comm").read_text().strip(), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
        except FileNotFoundError:  # the thread ended meanwhile
            pass
    return out


THREAD_GROUPS = (("rrdflight-s", "scan"), ("flight-server", "scan"), ("C2", "C2"), ("C1", "C1"), ("GC", "GC"), ("G1", "GC"), ("grpc", "grpc"))


def thread_group(name: str) -> str:
    return next((group for prefix, group in THREAD_GROUPS if name.startswith(prefix)), "other")


def client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def ceiling(uri: str, sql: str, tmp: Path) -> float:
    """The plain DoGet of this result's bytes: 3 x 3 reads, with the (pyarrow) client's CPU; returns their median wall."""
    _, _, _, table = timed_adbc(uri, sql, keep=True)
    ipc = tmp / "result.arrow"
    with pa.OSFile(str(ipc), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        for batch in table.to_batches():
            writer.write_batch(batch)
    del table
    walls = []
    for _ in range(3):
        before = client_cpu()
        walls += [r[2] for r in timed_doget(ipc)]
        print(f"plain DoGet: {walls[-3]:.2f} / {walls[-2]:.2f} / {walls[-1]:.2f} s, client CPU {(client_cpu() - before) / 3:.2f} s per read,"
              f" load {os.getloadavg()[0]:.1f}", flush=True)
    print(f"plain DoGet: median of {len(walls)}: {statistics.median(walls):.3f} s")
    return statistics.median(walls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("jars", nargs="+", help="label=path of a jar")
    parser.add_argument("--large", type=Path, default=Path(os.environ.get("RRDFLIGHT_FIXTURES", ROOT / "fixtures")) / "large" / "large.rrd")
    parser.add_argument("--warm", type=int, default=4)
    parser.add_argument("--n", type=int, default=6)
    parser.add_argument("--workers", type=int, default=1, help="query workers of a jar given without @N")
    parser.add_argument("--settle", type=float, default=0,
                        help="seconds to wait after the servers are ready, before the first query (their start-up warm-up then runs alone)")
    parser.add_argument("--ceiling", action="store_true", help="also the plain DoGet of the same bytes (bench.py's ceiling)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        dataset = tmp / "large"
        dataset.mkdir()
        os.symlink(args.large.resolve(), dataset / "large.rrd")
        servers = {}
        try:
            for spec in args.jars:
                label, jar = spec.split("=", 1)
                jar, _, workers = jar.partition("@")
                server = ListeningProcess(["java", JAVA_FLAG, "-Xmx1g", "-jar", jar, "server", "--port", "0", "--data-dir", str(tmp / f"data-{label}"),
                                           "-d", f"large={dataset}", "--query-workers", workers or str(args.workers)],
                                          r"listening on [^\s:]+:(\d+)", "rrdflight ready", label)
                servers[label] = server
                uri = f"grpc://127.0.0.1:{server.port}"
                wait_registered(uri, "large", 1)
            if args.settle:
                for label, server in servers.items():
                    print(f"{label}: start-up CPU {cpu_seconds(server.proc.pid):.2f} s before settling", flush=True)
                time.sleep(args.settle)
                for label, server in servers.items():
                    print(f"{label}: start-up CPU {cpu_seconds(server.proc.pid):.2f} s after settling {args.settle:g} s", flush=True)
            runs: dict[str, list[tuple[float, float, float, dict]]] = {label: [] for label in servers}
            for i in range(args.warm + args.n):
                for label, server in servers.items():
                    uri = f"grpc://127.0.0.1:{server.port}"
                    sql = our_sql(component_columns(uri))
                    before, cpu = thread_cpu(server.proc.pid), cpu_seconds(server.proc.pid)
                    client = client_cpu()
                    rows, _, wall, _ = timed_adbc(uri, sql)
                    client = client_cpu() - client
                    cpu = cpu_seconds(server.proc.pid) - cpu
                    after = thread_cpu(server.proc.pid)
                    scan = max(after[t][1] - before.get(t, ("", 0.0))[1] for t in after
                               if after[t][0].startswith(("rrdflight-", "flight-server")))
                    groups = collections.Counter({"client": client})
                    for t in after:
                        groups[thread_group(after[t][0])] += after[t][1] - before.get(t, ("", 0.0))[1]
                    split = ", ".join(f"{k} {v:.2f}" for k, v in sorted(groups.items()))
                    print(f"{label} query {i + 1}: {rows:,} rows, wall {wall:.2f} s, server CPU {cpu:.2f} s, scan thread {scan:.2f} s ({split}),"
                          f" load {os.getloadavg()[0]:.1f}", flush=True)
                    if i >= args.warm:
                        runs[label].append((wall, cpu, scan, groups))
            if args.ceiling:
                first = next(iter(servers.values()))
                uri = f"grpc://127.0.0.1:{first.port}"
                ceiling(uri, our_sql(component_columns(uri)), tmp)
        finally:
            for server in servers.values():
                server.stop()
    for label, rs in runs.items():
        print(f"{label}: median of {len(rs)}: wall {statistics.median(r[0] for r in rs):.2f} s, server CPU "
              f"{statistics.median(r[1] for r in rs):.2f} s, scan thread {statistics.median(r[2] for r in rs):.2f} s; CPU by thread group "
              + ", ".join(f"{k} {statistics.median(r[3][k] for r in rs):.2f}" for k in sorted({k for r in rs for k in r[3]})))


if __name__ == "__main__":
    main()
