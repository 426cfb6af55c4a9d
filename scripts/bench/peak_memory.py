"""Benchmark (not a test): where rrdflight's resident memory goes while rerun-sdk 0.41 reads everything.

Starts rrdflight from the jar with the JVM options given (not the launcher's defaults: that is the
point), registers every .rrd file of DIR, runs the seed reader and `reader(index).count()` with the
0.41 client, and prints the server's peak RSS (VmHWM), the largest sample of VmRSS / RssAnon / RssFile
(read every 0.2 s) and, with --nmt, the JVM's native memory summary right after the read. The
environment is passed on, so `MALLOC_ARENA_MAX=2 ... peak_memory.py` measures that too.

    V=.venvs/test-newest/bin/python
    $V scripts/bench/peak_memory.py /tmp/big41 --java-opts "-Xmx256m"
    MALLOC_ARENA_MAX=2 $V scripts/bench/peak_memory.py /tmp/big41 --java-opts "-Xmx256m -XX:+UseParallelGC" --nmt
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import rerun as rr

from bench_common import peak_rss_mb
from newest_sdk import seed_frame, window_of
from rrdflight_server import DEFAULT_ALLOWED_ROOTS, JAR, ListeningProcess, class_data_archive


def sampler(pid: int, samples: list[dict], stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            samples.append({k: int(re.search(k + r":\s+(\d+)", status).group(1)) // 1024 for k in ("VmRSS", "RssAnon", "RssFile")})
        except (OSError, AttributeError):
            pass
        stop.wait(0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--java-opts", default="-Xmx1g", help="JVM options, one string")
    parser.add_argument("--nmt", action="store_true", help="native memory tracking: print its summary after the read")
    args = parser.parse_args()
    files = sorted(str(p.resolve()) for p in args.directory.glob("*.rrd"))
    roots = [a for root in DEFAULT_ALLOWED_ROOTS for a in ("--allow-root", str(root))]
    data = Path(tempfile.mkdtemp(prefix="rrdflight-memory-"))
    command = ["java", "--add-opens=java.base/java.nio=ALL-UNNAMED", *class_data_archive(),
               *(["-XX:NativeMemoryTracking=summary"] if args.nmt else []), *args.java_opts.split(),
               "-jar", str(JAR), "server", "--port", "0", "--data-dir", str(data), *roots]
    server = ListeningProcess(command, r"listening on [^\s:]+:(\d+)", "rrdflight ready", "server")
    samples: list[dict] = []
    stop = threading.Event()
    threading.Thread(target=sampler, args=(server.proc.pid, samples, stop), daemon=True).start()
    try:
        index, segment, start, end = window_of(files)
        dataset = rr.catalog.CatalogClient(server.rerun_uri).create_dataset("memory")
        dataset.register([f"file://{f}" for f in files]).wait(600)
        t0 = time.perf_counter()
        seed_rows = len(seed_frame(dataset, index, segment, start, end).to_pandas())
        seed = time.perf_counter() - t0
        print(f"seed reader: {seed_rows} rows in {seed:.2f} s; peak RSS so far {peak_rss_mb(server.proc.pid):.0f} MB")
        t0 = time.perf_counter()
        rows = dataset.reader(index=index).count()
        print(f"all segments: {rows} rows in {time.perf_counter() - t0:.2f} s; peak RSS {peak_rss_mb(server.proc.pid):.0f} MB")
        print("largest sample (MB):", max(samples, key=lambda s: s["VmRSS"]))
        if args.nmt:
            print(subprocess.run(["jcmd", str(server.proc.pid), "VM.native_memory", "summary"], capture_output=True, text=True).stdout)
    finally:
        stop.set()
        server.stop()
        subprocess.run(["rm", "-rf", str(data)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
