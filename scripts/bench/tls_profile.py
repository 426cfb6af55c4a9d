"""Benchmark (not a test): where TLS's extra server CPU goes on issue 6's seed workflow (issue 10).

Starts an `open` and an `auth+tls` server of one build side by side (as security_cost.py does: BoringSSL,
the test CA, warmed up with 60 new connections and a workflow), then runs rerun-sdk 0.41's seed
workflow on each in turn for `--rounds`, and reports per workflow:
  - the server's CPU per thread group (threads named alike, e.g. grpc-nio-worker-ELG-*, summed; user +
    system from /proc), each mode and the difference: which threads carry TLS's cost;
  - with --perf (Linux `perf`, no call graphs, so it disturbs little): the event-loop threads' samples
    by what they were running, in CPU seconds: BoringSSL (netty-tcnative: the cipher, record sealing,
    handshakes), libc memmove (BoringSSL's sealed records copied into netty's buffer through
    tcnative's BIO), HotSpot copy stubs (SslHandler gathering HTTP/2 frames into records; nothing in
    the open mode), the kernel (socket writes and reads), Java and the rest. Samples at 999 Hz;
    the figures are of the same workflow the thread CPU times measure.
A thread that ends during a workflow takes its CPU time out of its group's figure (a pool's idle
threads do), so the groups need not add up to the process's figure.

    .venvs/test-newest/bin/python scripts/bench/tls_profile.py /tmp/secbench-big --rounds 3 --perf [--jar JAR]

Wall times of one round are not reported: the question is which work TLS adds, and the CPU
seconds answer it on a shared machine too. Needs rerun-sdk 0.41 (.venvs/test-newest), openssl and,
for --perf, perf allowed to attach to the server (perf_event_paranoid <= 2 for one's own processes).
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import security_cost as sc
from bench_common import add_jar_option, cpu_seconds
from rrdflight_server import JAR, make_test_ca

MODES = ["open", "auth+tls"]
EVENT_LOOP = "grpc-nio-worker"  # gRPC's netty event-loop threads (/proc comm is cut at 15 characters)
PERF_HZ = "999"


def thread_groups(pid: int) -> collections.Counter:
    """CPU seconds so far per thread group: the /proc comm without its trailing number (C2 CompilerThre0 and 1 are one group)."""
    out: collections.Counter = collections.Counter()
    tick = os.sysconf("SC_CLK_TCK")
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        out[re.sub(r"[-#]?\d+$", "", name) or name] += (int(fields[11]) + int(fields[12])) / tick
    return out


def category(sample: str) -> str:
    """What an event-loop sample was doing, from its leaf symbol and library as `perf script` prints them
    (see the module docstring); netty-tcnative's library is unpacked to /tmp and deleted once loaded."""
    library = next((sample[i + 2:] for i in (sample.find(" (/"), sample.find(" ([")) if i >= 0), "")
    if "tcnative" in library:
        return "BoringSSL (tcnative)"
    if "memmove" in sample or "memcpy" in sample:
        return "libc memmove (tcnative BIO)"
    if sample.startswith("StubRoutines") or "arraycopy" in sample:
        return "HotSpot copy stubs (SslHandler gather)"
    if "kernel.kallsyms" in library:
        return "kernel"
    if "libjvm" in library or "libc" in library:
        return "JVM and libc, other"
    return "Java (JIT and interpreter)"


def perf_categories(data: Path) -> collections.Counter:
    """Event-loop samples of one `perf record`, per category."""
    out: collections.Counter = collections.Counter()
    script = subprocess.run(["perf", "script", "-i", str(data), "-F", "comm,ip,sym,dso"], capture_output=True, text=True, check=False)
    for line in script.stdout.splitlines():
        line = line.strip()
        parts = line[len(EVENT_LOOP):].split(None, 1)  # the address, then the symbol and its library
        if not line.startswith(EVENT_LOOP) or len(parts) < 2:
            continue
        out[category(parts[1].strip())] += 1
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--perf", action="store_true", help="also sample the event-loop threads with perf (leaf only)")
    add_jar_option(parser)
    args = parser.parse_args()
    jar = args.jar or JAR
    if not sc.NEWEST:
        parser.error("needs rerun-sdk 0.41 (.venvs/test-newest): 0.27.3 cannot trust a test CA")
    files = sorted(str(p.resolve()) for p in args.directory.glob("*.rrd"))
    work = Path(tempfile.mkdtemp(prefix="rrdflight-tlsprofile-"))
    ca = make_test_ca(work / "ca")
    os.environ["SSL_CERT_FILE"] = str(ca / "ca.pem")
    servers = {mode: sc.start(mode, args.directory.resolve(), ca, jar, None, False) for mode in MODES}
    threads = {mode: collections.Counter() for mode in MODES}
    samples = {mode: collections.Counter() for mode in MODES}
    client = {mode: 0.0 for mode in MODES}
    process = {mode: 0.0 for mode in MODES}
    recorded: list[tuple[str, Path]] = []
    try:
        for r in range(args.rounds + 1):  # round 0 warms up
            for mode in MODES if r % 2 else reversed(MODES):
                server, token = servers[mode]
                sc.settle([s for s, _ in servers.values()])
                if r == 0:
                    sc.warm_connections(mode, server, token)
                perf = None
                data = work / f"perf-{mode}-{r}.data"
                if args.perf and r > 0:
                    perf = subprocess.Popen(["perf", "record", "-q", "-F", PERF_HZ, "-p", str(server.proc.pid), "-o", str(data)],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    time.sleep(0.5)  # perf attaches to every thread before the workflow starts
                before, own, cpu = thread_groups(server.proc.pid), sc.client_cpu(), cpu_seconds(server.proc.pid)
                figures = sc.rerun_workflow(mode, server, token, files, f"profile_{r}")
                after, own, cpu = thread_groups(server.proc.pid), sc.client_cpu() - own, cpu_seconds(server.proc.pid) - cpu
                if perf is not None:
                    perf.send_signal(signal.SIGINT)
                    perf.wait()
                print(f"round {r}{' (warm-up)' if r == 0 else ''} {mode}: total {figures['total']:.2f} s, all partitions "
                      f"{figures['all_view']:.2f} s, server CPU {cpu:.2f} s, client CPU {own:.2f} s",
                      file=sys.stderr)
                if r > 0:
                    after.subtract(before)
                    threads[mode].update(after)
                    client[mode] += own
                    process[mode] += cpu
                    if perf is not None:
                        recorded.append((mode, data))
        if recorded:
            # perf names JIT-compiled code (HotSpot's copy stubs among it) from /tmp/perf-PID.map, which
            # HotSpot writes on request; the code cache at the end stands for the rounds (stubs do not move).
            for server, _ in servers.values():
                subprocess.run(["jcmd", str(server.proc.pid), "Compiler.perfmap"], capture_output=True, check=False)
            for mode, data in recorded:
                samples[mode].update(perf_categories(data))
    finally:
        for server, _ in servers.values():
            server.stop()
            Path(f"/tmp/perf-{server.proc.pid}.map").unlink(missing_ok=True)
    report(threads, process, samples, client, args.rounds)
    return 0


def report(threads: dict, process: dict, samples: dict, client: dict, rounds: int) -> None:
    open_, tls = MODES
    print(f"\nCPU seconds per workflow (mean of {rounds} rounds; load average at the end: "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())})\n")
    print(f"| thread group | {open_} | {tls} | difference |\n|---|---|---|---|")
    groups = sorted(set(threads[open_]) | set(threads[tls]), key=lambda g: -(threads[tls][g] - threads[open_][g]))
    rows = [("server process", process[open_], process[tls]),
            *((g, threads[open_][g], threads[tls][g]) for g in groups), ("client (this process)", client[open_], client[tls])]
    for name, o, t in rows:
        if max(abs(o), abs(t)) / rounds >= 0.005:
            print(f"| {name} | {o / rounds:.3f} | {t / rounds:.3f} | {(t - o) / rounds:+.3f} |")
    if any(samples.values()):
        hz = float(PERF_HZ)
        print(f"\nEvent-loop threads ({EVENT_LOOP}), perf samples per workflow as CPU seconds\n")
        print(f"| running | {open_} | {tls} | difference |\n|---|---|---|---|")
        cats = sorted(set(samples[open_]) | set(samples[tls]), key=lambda c: -(samples[tls][c] - samples[open_][c]))
        for cat in ["all", *cats]:
            o = sum(samples[open_].values()) if cat == "all" else samples[open_][cat]
            t = sum(samples[tls].values()) if cat == "all" else samples[tls][cat]
            print(f"| {cat} | {o / hz / rounds:.3f} | {t / hz / rounds:.3f} | {(t - o) / hz / rounds:+.3f} |")


if __name__ == "__main__":
    sys.exit(main())
