"""Benchmark (not a test): where the CPU of rerun-sdk 0.27.3's full scan of small-chunk recordings goes.

For one server (an rrdflight jar, or `rerun server` 0.27.3 with `rerun`): register the files of DIR, wait
for rrdflight's compactions, count what one full scan gets on the wire (grpc_count.py in front: streams,
FetchChunks chunks, bytes, LZ4), then time N scans of `dataframe_query_view(index="frame",
contents="/**").df().to_arrow_table()` with the client's CPU (this process, all its threads) and the
server's CPU per scan, and the server's CPU per thread name over the N scans (e.g. the JIT's compiler
threads against the gRPC workers). rrdflight is started as users start it (scripts/rrdflight's defaults). CPU seconds hold up better than wall time on a shared machine.

    .venv/bin/python scripts/bench/small_chunks_cpu.py /tmp/small-chunks flight-server/target/rrdflight.jar 5
    .venv/bin/python scripts/bench/small_chunks_cpu.py /tmp/small-chunks rerun 5
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import bench_common  # noqa: F401 (puts the test helpers on sys.path)

import rerun as rr  # noqa: E402

import rrdflight_server  # noqa: E402 (on sys.path through bench_common)
from rrdflight_server import RerunServer, ServerProcess  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(stat_path: str) -> float:
    fields = open(stat_path).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def threads(pid: int) -> dict[tuple[str, str], float]:
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            out[(tid, open(f"/proc/{pid}/task/{tid}/comm").read().strip())] = cpu_seconds(f"/proc/{pid}/task/{tid}/stat")
        except OSError:
            pass  # the thread ended meanwhile
    return out


def wire(port: int, events: Path) -> str:
    proxy = subprocess.Popen([sys.executable, str(Path(__file__).with_name("grpc_count.py")), str(port), str(events)],
                             stdout=subprocess.PIPE, text=True)
    try:
        through = int(proxy.stdout.readline().split()[-1])
        client = rr.catalog.CatalogClient(f"rerun+http://127.0.0.1:{through}")
        client.get_dataset(name="bench").dataframe_query_view(index="frame", contents="/**").df().to_arrow_table()
    finally:
        proxy.terminate()
        proxy.wait()
    evs = [json.loads(line) for line in events.read_text().splitlines()]
    fetch = [e for e in evs if e["fetch"]]
    return (f"{len(evs)} streams, {len(fetch)} FetchChunks streams, {sum(e['chunks'] for e in fetch)} chunks, "
            f"{sum(e['bytes'] for e in evs) / 1e6:.1f} MB, payload {sum(e['payload'] for e in fetch) / 1e6:.1f} MB "
            f"(uncompressed {sum(e['uncompressed'] for e in fetch) / 1e6:.1f} MB), LZ4 chunks {sum(e['lz4'] for e in fetch)}")


def main() -> int:
    directory, which, scans = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    files = sorted(str(p.resolve()) for p in directory.glob("*.rrd"))
    work = Path(f"/tmp/rrdflight-bench-{time.time_ns()}")
    if which == "rerun":
        server = RerunServer()
    else:
        server = ServerProcess(work, allow_roots=(directory.resolve(), Path("/tmp")), jar=Path(which).resolve(), launcher=True)
    try:
        dataset = rr.catalog.CatalogClient(server.rerun_uri).create_dataset(name="bench")
        dataset.register_batch([f"file://{p}" for p in files]).wait(3600)
        while which != "rerun" and sum("now read from" in line for line in server.lines) < len(files):
            time.sleep(0.2)
        work.mkdir(parents=True, exist_ok=True)
        print(f"{which}: wire: {wire(server.port, work / 'wire.jsonl')}")
        before = threads(server.proc.pid)
        for i in range(scans):
            s0, c0, w0 = cpu_seconds(f"/proc/{server.proc.pid}/stat"), time.process_time(), time.perf_counter()
            rows = dataset.dataframe_query_view(index="frame", contents="/**").df().to_arrow_table().num_rows
            w1, c1, s1 = time.perf_counter(), time.process_time(), cpu_seconds(f"/proc/{server.proc.pid}/stat")
            print(f"scan {i}: wall {w1 - w0:.2f} s, client CPU {c1 - c0:.2f} s, server CPU {s1 - s0:.2f} s, {rows} rows, "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
        per_name: dict[str, float] = {}
        for (tid, name), seconds in threads(server.proc.pid).items():
            per_name[name] = per_name.get(name, 0) + seconds - before.get((tid, name), 0)
        top = sorted(per_name.items(), key=lambda kv: -kv[1])[:8]
        print("server CPU by thread over the scans: " + ", ".join(f"{name} {s:.2f} s" for name, s in top))
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
