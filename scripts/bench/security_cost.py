"""Benchmark (not a test): what tokens (`--auth`) and TLS (`--tls-cert/--tls-key`) cost, on issue 6's seed
workflow and on the SQL door, against rrdflight without either.

Modes: one server process each, running side by side, each on an empty data dir serving DIR as
dataset `bench` (`-d`):
  open          no auth, plaintext (the loopback default)
  auth          --auth, a writer token on every call
  auth+tls      --auth and TLS with a certificate of a CA made at start (openssl); the server's TLS
                engine is BoringSSL (netty-tcnative), as shipped
  auth+tls-jdk  the same with the JDK's TLS engine (-Dio.netty.handler.ssl.noOpenSsl=true), to compare
                engines; only with --modes

Each server is warmed up once (JIT, class loading, page cache) with everything below and 60 new
connections (JIT of the connection and handshake path: a TLS server compiles it during its first few
dozen connections, ~1 s of CPU that the rounds would otherwise measure); then the modes
take turns, round after round (the order rotates), each run starting once every server is idle (the
previous run's background work, e.g. row counts after a registration, done: 2.75 s without CPU, longer than
the 2 s of quiet the row counts wait for before they start, or 30 s passed). Reported: the best of the rounds, per figure
(--stat median for the median). On a machine shared with other work the best run is the least
disturbed one, and what the modes differ by shows there rather than in the noise of a median. Server
CPU is the process's user + system time: less disturbed by other work than wall time.
  - the seed workflow through the rerun-sdk of the venv that runs this script. Issue 6 defines it:
    register the recordings, then the query view of one partition in an index range with
    fill_latest_at, to a table ("seed workflow" = register + wait and the seed view). Then one more
    step, a bulk read of every partition (405 MB here), which is not part of it; "total" is all three:
    0.27.3 (.venv): seed_workflow.py's `run` (register + wait, the seed view, all partitions), open and
      auth only: 0.27.3 probes GET /version with a client that trusts only the public CAs compiled into
      it, so a test CA cannot work with it (see README, Security);
    0.41 (.venvs/test-newest): newest_sdk.py's steps (register + wait, the seed reader, all segments
      counted), every mode, the test CA trusted through SSL_CERT_FILE.
  - the seed view and all partitions as SQL through ADBC (Flight SQL), every mode (when ADBC is
    installed: .venv).
  - per-call cost: 1,000 x dataset_names() (a FindEntries round trip, every mode the SDK reaches) and
    1,000 x Flight ListActions (pyarrow, every mode), on one connection, after 300 to warm up; wall
    time and the server's CPU time per call.

    .venv/bin/python scripts/bench/seed_workflow.py --make-big /tmp/secbench-big --files 3
    .venv/bin/python scripts/bench/security_cost.py /tmp/secbench-big --rounds 3
    .venvs/test-newest/bin/python scripts/bench/security_cost.py /tmp/secbench-big --rounds 3
    .venvs/test-newest/bin/python scripts/bench/security_cost.py /tmp/secbench-big --rounds 5 --stat median \
        --modes open,auth+tls,auth+tls-jdk
    .venvs/test-newest/bin/python scripts/bench/security_cost.py /tmp/secbench-big --rounds 7 --stat median \
        --parts rerun --jar main=/tmp/main.jar --jar branch=flight-server/target/rrdflight.jar --pin

--jar LABEL=PATH (repeatable) runs every mode with each jar, all interleaved (main against a branch).
--pin runs this script (the clients) on core 0 and every server on core 1 (taskset; the JVM then sees
one core), as on two machines: the client's decryption does not take the server's core. Without it,
client and server share the cores, as a user on one box sees. The rerun part also reports the client's
CPU (this process: rerun-sdk's threads) and the server's share of both. TLS servers log each
connection's cipher suite (TlsDetector at debug); the suites seen are printed at the end.
After the table, the verdict: per round, each mode against the first mode of the same jar in that round
(back to back, so a disturbance hits both), the median of these paired changes and their interquartile
range, for each step and the CPU seconds of server and client. For a 5% question take --rounds 15 or
more with two modes (about 3 minutes for one jar when the machine is quiet).
--traffic also turns on TlsTraffic: per TLS server, the connections, full and resumed handshakes, gRPC
calls, HTTP/2 DATA frames, flushes and TLS records of one workflow (the evidence of issue #10; the
counting costs a little, so leave it off when timing).

Needs the runnable jar (mvn package), openssl, and the venv of scripts/requirements.txt.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.flight as flight
import rerun as rr

ROOT = Path(__file__).resolve().parents[1].parent
sys.path.insert(0, str(ROOT / "flight-server" / "src" / "test" / "python"))
sys.path.insert(0, str(ROOT / "scripts" / "bench"))
from rrdflight_server import JAR, ServerProcess, create_token, make_test_ca  # noqa: E402
from bench_common import cpu_seconds, window  # noqa: E402

NEWEST = tuple(int(part) for part in rr.__version__.split(".")[:2]) >= (0, 28)
HAVE_ADBC = importlib.util.find_spec("adbc_driver_flightsql") is not None
MODES = ["open", "auth", "auth+tls"]
ALL_MODES = MODES + ["auth+tls-jdk"]
TLS_MODES = ["auth+tls", "auth+tls-jdk"]
# The modes the Rerun door can be measured in with this venv's SDK (see the module docstring).
RERUN_MODES = ALL_MODES if NEWEST else ["open", "auth"]
CALLS = 1000
WARM_UP = 300
WARM_CONNECTIONS = 60


TLS_LOG = "-Dorg.slf4j.simpleLogger.log.io.rrdflight.server.transport.TlsDetector=debug"
TRAFFIC_LOG = "-Dorg.slf4j.simpleLogger.log.io.rrdflight.server.transport.TlsTraffic=debug"
TRAFFIC = re.compile(r"TLS traffic of \S+: (full|resumed) handshake, ALPN (\S+), (\d+) gRPC calls; wrote (\d+) HTTP/2 DATA "
                     r"frames \((\d+) bytes, (\d+) of 16 KB\) in (\d+) flushes, as (\d+) TLS records \((\d+) bytes, (\d+) of 16 KB\)")
CLIENT_FLOW = re.compile(r"read (\d+) WINDOW_UPDATE and (\d+) PING frames; ")
SERVER_CORE = "1"
CLIENT_CORE = 0


def client_cpu() -> float:
    """User + system CPU of this process so far: the clients (rerun-sdk's and ADBC's threads run in it)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def pin_client() -> None:
    """Every thread of this process on CLIENT_CORE (threads started later inherit it)."""
    for task in Path("/proc/self/task").iterdir():
        os.sched_setaffinity(int(task.name), {CLIENT_CORE})


def start(mode: str, directory: Path, ca: Path, jar: Path, cpus: str | None, traffic: bool) -> tuple[ServerProcess, str | None]:
    """A server of this mode, and the writer token its clients send (None without --auth)."""
    data = Path(tempfile.mkdtemp(prefix=f"rrdflight-secbench-{mode.replace('+', '-')}-"))
    args = ["-d", f"bench={directory}"]
    token = None
    if mode != "open":
        args.append("--auth")
        token = create_token(data, "writer", jar=jar)
    if mode in TLS_MODES:
        args += ["--tls-cert", str(ca / "server.pem"), "--tls-key", str(ca / "server.key")]
    # netty's own switch: OpenSsl.isAvailable() is false, so ServerTls picks the JDK's engine.
    env = None
    if mode in TLS_MODES:
        options = [os.environ.get("JAVA_TOOL_OPTIONS", ""), TLS_LOG, TRAFFIC_LOG if traffic else ""]
        if mode == "auth+tls-jdk":
            options.append("-Dio.netty.handler.ssl.noOpenSsl=true")
        env = {"JAVA_TOOL_OPTIONS": " ".join(o for o in options if o)}
    server = ServerProcess(data, *args, env=env, jar=jar, cpus=cpus)
    if mode in TLS_MODES:
        engine = next((line for line in server.lines if "TLS: " in line), "TLS: engine not logged")
        print(f"{mode}: {engine[engine.index('TLS: '):]}", file=sys.stderr)
    return server, token


def rerun_workflow(mode: str, server, token: str | None, files: list[str], name: str) -> dict:
    """The seed workflow with this venv's SDK, as seed_workflow.py (0.27) or newest_sdk.py (0.41) runs it."""
    if not NEWEST:
        from seed_workflow import run

        figures = run(server, files, name, token)
        return {**figures, "seed": figures["register"] + figures["seed_view"]}
    from newest_sdk import seed_frame, window_of

    index, segment, start, end = window_of(files)  # reads non-generated files with the 0.27.3 venv
    scheme = "rerun+https" if mode in TLS_MODES else "rerun+http"
    t0 = time.perf_counter()
    dataset = rr.catalog.CatalogClient(f"{scheme}://localhost:{server.port}", token=token).create_dataset(name)
    dataset.register([f"file://{p}" for p in files]).wait()
    t1 = time.perf_counter()
    seed_rows = len(seed_frame(dataset, index, segment, start, end).to_pandas())
    t2 = time.perf_counter()
    all_rows = dataset.reader(index=index).count()
    t3 = time.perf_counter()
    return {"register": t1 - t0, "seed_view": t2 - t1, "seed": t2 - t0, "seed_rows": seed_rows, "all_view": t3 - t2,
            "all_rows": all_rows, "total": t3 - t0}


def adbc_options(mode: str, token: str | None, ca: Path) -> dict:
    import adbc_driver_flightsql as adbc_flightsql

    options = {}
    if token:
        options["adbc.flight.sql.authorization_header"] = "Bearer " + token
    if mode in TLS_MODES:
        options[adbc_flightsql.DatabaseOptions.TLS_ROOT_CERTS.value] = (ca / "ca.pem").read_text()
    return options


def flight_uri(mode: str, port: int) -> str:
    return f"grpc+tls://localhost:{port}" if mode in TLS_MODES else f"grpc://localhost:{port}"


def sql(mode: str, server, token, ca, files) -> dict:
    import adbc_driver_flightsql.dbapi as flightsql

    index, pid, s, e = window(files)
    seed = (f"SELECT * FROM TABLE(\"bench\".query_view(index => '{index}', contents => '/**', partition_ids => '{pid}',"
            f" range_start => {s}, range_end => {e}, fill_latest_at => true))")
    everything = f"SELECT * FROM TABLE(\"bench\".query_view(index => '{index}', contents => '/**'))"
    out = {}
    with flightsql.connect(flight_uri(mode, server.port), db_kwargs=adbc_options(mode, token, ca), autocommit=True) as conn:
        for key, query in [("sql_seed", seed), ("sql_all", everything)]:
            cpu, t = cpu_seconds(server.proc.pid), time.perf_counter()
            with conn.cursor() as cur:
                cur.execute(query)
                rows = sum(batch.num_rows for batch in cur.fetch_record_batch())
            out[key] = time.perf_counter() - t
            out[key + "_cpu"] = cpu_seconds(server.proc.pid) - cpu
            out[key + "_rows"] = rows
    return out


def timed_calls(server, call, key: str) -> dict:
    for _ in range(WARM_UP):
        call()
    cpu, t = cpu_seconds(server.proc.pid), time.perf_counter()
    for _ in range(CALLS):
        call()
    return {key + "_ms": (time.perf_counter() - t) / CALLS * 1000,
            key + "_cpu_us": (cpu_seconds(server.proc.pid) - cpu) / CALLS * 1e6}


def per_call(mode: str, server, token, ca) -> dict:
    out = {}
    if mode in RERUN_MODES:
        scheme = "rerun+https" if mode in TLS_MODES else "rerun+http"
        client = rr.catalog.CatalogClient(f"{scheme}://localhost:{server.port}", token=token)
        out.update(timed_calls(server, client.dataset_names, "find_entries"))
    kwargs = {"tls_root_certs": (ca / "ca.pem").read_bytes()} if mode in TLS_MODES else {}
    client = flight.FlightClient(flight_uri(mode, server.port), **kwargs)
    options = flight.FlightCallOptions(headers=[(b"authorization", b"Bearer " + token.encode())] if token else [])
    out.update(timed_calls(server, lambda: list(client.list_actions(options)), "list_actions"))
    client.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stat", choices=["best", "median"], default="best", help="per figure, over the rounds")
    parser.add_argument("--parts", default="rerun,sql,calls", help="comma-separated: which of rerun, sql, calls to measure")
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, the first is the base; of {', '.join(ALL_MODES)}")
    parser.add_argument("--jar", action="append", default=[], metavar="LABEL=PATH",
                        help="run every mode with this jar too (repeatable; default: the build's jar)")
    parser.add_argument("--traffic", action="store_true",
                        help="TLS servers count each connection's handshake, calls, flushes and records (TlsTraffic); printed per workflow")
    parser.add_argument("--pin", action="store_true", help=f"clients on core {CLIENT_CORE}, servers on core {SERVER_CORE} (taskset)")
    args = parser.parse_args()
    modes = args.modes.split(",")
    if not modes or any(m not in ALL_MODES for m in modes):
        parser.error(f"--modes: each of {', '.join(ALL_MODES)}")
    stat = min if args.stat == "best" else statistics.median
    parts = set(args.parts.split(","))
    files = sorted(str(p.resolve()) for p in args.directory.glob("*.rrd"))
    ca = make_test_ca(Path(tempfile.mkdtemp(prefix="rrdflight-secbench-ca-")))
    os.environ["SSL_CERT_FILE"] = str(ca / "ca.pem")  # how rerun-sdk 0.41 trusts the test CA
    jars = dict(j.split("=", 1) for j in args.jar) or {"": str(JAR)}
    if args.pin:
        pin_client()
    # A run: one server, "label mode" (the label of its jar when there are several).
    runs = [(f"{label} {mode}".strip(), Path(jar), mode) for label, jar in jars.items() for mode in modes]
    results: dict[str, list[dict]] = {name: [] for name, _, _ in runs}
    failures: list[str] = []
    servers = {name: start(mode, args.directory.resolve(), ca, jar, SERVER_CORE if args.pin else None, args.traffic) for name, jar, mode in runs}
    try:
        for r in range(args.rounds + 1):  # round 0 warms up
            order = runs[r % len(runs):] + runs[:r % len(runs)]
            for name, _, mode in order:
                server, token = servers[name]
                settle([s for s, _ in servers.values()])
                figures = {}
                try:
                    measure(figures, mode, server, token, ca, files, parts, r)
                except Exception as e:  # noqa: BLE001 - a failed run is reported and left out, the others go on
                    failures.append(f"round {r} {name}: {str(e).splitlines()[0]}")
                    print(f"round {r} {name}: FAILED {e}\n  server's last lines: " + "\n  ".join(server.lines[-5:]), file=sys.stderr)
                    continue
                if r > 0:
                    figures["round"] = r
                    results[name].append(figures)
                print(f"round {r}{' (warm-up)' if r == 0 else ''} {name}: " + ", ".join(
                    f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items() if k != "round"), file=sys.stderr)
    finally:
        for server, _ in servers.values():
            server.stop()
    for failure in failures:
        print("failed (left out): " + failure, file=sys.stderr)
    if args.traffic:
        traffic_report(servers, args.rounds + 1)
    report(servers, results, runs, modes, files, stat, args)
    paired_report(results, runs, modes)
    return 0


def settle(servers: list, quiet_cpu: float = 0.02, slice_s: float = 0.25, quiet_for_s: float = 2.75, longest_s: float = 30.0) -> None:
    """Waits until no server works in the background (the row counts a registration starts, compaction):
    their CPU under `quiet_cpu` s in every `slice_s` for `quiet_for_s` in a row, at most `longest_s`. The
    previous run's background work would otherwise land on the next run, of another mode. The quiet
    stretch is longer than the 2 s of quiet the row counts wait for before they start, so counts that
    have not started yet when a run ends are waited for too."""
    end = time.monotonic() + longest_s
    quiet_since = time.monotonic()
    while time.monotonic() < end:
        before = sum(cpu_seconds(s.proc.pid) for s in servers)
        time.sleep(slice_s)
        if sum(cpu_seconds(s.proc.pid) for s in servers) - before >= quiet_cpu:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_for_s:
            return


def warm_connections(mode: str, server, token) -> None:
    """WARM_CONNECTIONS new clients, each a new connection (over TLS a full handshake) and one call: a
    server that has run a while has compiled its connection and handshake path; a fresh one compiles it
    (C1/C2, ~1 s of CPU for TLS) during the first few dozen connections, which the rounds would measure."""
    scheme = "rerun+https" if mode in TLS_MODES else "rerun+http"
    for _ in range(WARM_CONNECTIONS):
        rr.catalog.CatalogClient(f"{scheme}://localhost:{server.port}", token=token).dataset_names()


def measure(figures: dict, mode: str, server, token, ca, files, parts, r: int) -> None:
    """One run of one server: the parts asked for, into `figures`."""
    if r == 0 and mode in RERUN_MODES:
        warm_connections(mode, server, token)
    if mode in RERUN_MODES and "rerun" in parts:
        cpu, own = cpu_seconds(server.proc.pid), client_cpu()
        figures.update(rerun_workflow(mode, server, token, files, f"seed_{r}"))
        figures["total_cpu"] = cpu_seconds(server.proc.pid) - cpu
        figures["client_cpu"] = client_cpu() - own
        figures["server_share"] = figures["total_cpu"] / (figures["total_cpu"] + figures["client_cpu"]) * 100
    if HAVE_ADBC and "sql" in parts:
        figures.update(sql(mode, server, token, ca, files))
    if "calls" in parts:
        figures.update(per_call(mode, server, token, ca))


def traffic_report(servers: dict, workflows: int) -> None:
    """Per TLS server, what its connections logged (TlsTraffic), summed and divided by the workflows run."""
    for name, (server, _) in servers.items():
        lines = [CLIENT_FLOW.sub("", line) for line in server.lines if "TLS traffic of" in line]
        rows = [m for line in lines if (m := TRAFFIC.search(line))]
        flow = [m for line in server.lines if (m := CLIENT_FLOW.search(line))]
        if not rows:
            continue
        full = sum(m[1] == "full" for m in rows)

        def total(group: int) -> int:
            return sum(int(m[group]) for m in rows)

        print(f"{name}, per workflow (of {workflows}, {len(rows)} connections in all): {len(rows) / workflows:.1f} connections "
              f"({full / workflows:.1f} full handshakes, {(len(rows) - full) / workflows:.1f} resumed; "
              f"{sum(m[2] != 'h2' for m in rows) / workflows:.1f} HTTP/1.1), {total(3) / workflows:.0f} gRPC calls, "
              f"{sum(int(m[1]) for m in flow) / workflows:.0f} WINDOW_UPDATE and {sum(int(m[2]) for m in flow) / workflows:.0f} PING "
              f"frames from the client, {total(4) / workflows:.0f} HTTP/2 DATA frames ({total(5) / workflows / 1e6:.1f} MB, {total(6) / workflows:.0f} of 16 KB) "
              f"in {total(7) / workflows:.0f} flushes, {total(8) / workflows:.0f} TLS records ({total(9) / workflows / 1e6:.1f} MB, "
              f"{total(10) / workflows:.0f} of 16 KB)", file=sys.stderr)


PAIRED = [("register", "register + wait"), ("seed_view", "seed view"), ("seed", "seed workflow"), ("all_view", "all partitions"), ("total", "total"),
          ("total_cpu", "server CPU"), ("client_cpu", "client CPU"), ("sql_all", "SQL all"), ("sql_all_cpu", "SQL server CPU")]


def paired_report(results: dict[str, list[dict]], runs: list, modes: list[str]) -> None:
    """The verdict: per round, each mode against the base mode of the same jar measured in that round
    (they ran back to back, so a disturbance of the machine hits both); the median of those paired
    changes and their interquartile range. Steadier than comparing two medians whose rounds spread ±15%."""
    names = [n for n, _, _ in runs]
    lines = []
    for name, _, mode in runs:
        base_name = runs[names.index(name) // len(modes) * len(modes)][0]
        if name == base_name:
            continue
        base = {f["round"]: f for f in results[base_name]}
        cells = []
        for key, title in PAIRED:
            pairs = [(f[key], base[f["round"]][key]) for f in results[name] if key in f and key in base.get(f["round"], {})]
            if len(pairs) < 2:
                continue
            change = [(v / b - 1) * 100 for v, b in pairs if b > 0]
            delta = [v - b for v, b in pairs]
            q1, _, q3 = statistics.quantiles(change, n=4)
            cells.append(f"{title} {statistics.median(change):+.1f}% [{q1:+.1f} .. {q3:+.1f}] ({statistics.median(delta):+.3f} s)")
        if cells:
            lines.append(f"{name} vs {base_name}, {len(results[name])} paired rounds: " + "; ".join(cells))
    if lines:
        print("\nPaired per round (median change [interquartile range] (median difference)):")
        for line in lines:
            print("  " + line)


def report(servers: dict, results: dict[str, list[dict]], runs: list, modes: list[str], files: list[str], stat, args) -> None:
    """The suites the TLS servers logged, then the table: per run, `stat` of its rounds and the spread."""
    suites = sorted({line[line.index("TLS handshake"):].split(": ", 1)[1] for server, _ in servers.values()
                     for line in server.lines if "TLS handshake" in line})
    if suites:
        print("negotiated by the clients (TlsDetector): " + "; ".join(suites), file=sys.stderr)
    size = sum(Path(p).stat().st_size for p in files) / 1e6
    print(f"\n{len(files)} files, {size:.0f} MB ({args.directory}); rerun-sdk {rr.__version__}; {args.stat} of {args.rounds} rounds"
          f" [min-max]; in brackets: change against {modes[0]} of the same jar; "
          f"{'clients on core 0, servers on core 1' if args.pin else 'not pinned'}; "
          f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    columns = [("register", "rerun: register + wait", "s"), ("seed_view", "rerun: seed view", "s"),
               ("seed", "rerun: seed workflow (register + seed view)", "s"),
               ("all_view", "rerun: all partitions", "s"), ("total", "rerun: total", "s"), ("total_cpu", "its server CPU", "s"),
               ("client_cpu", "its client CPU", "s"), ("server_share", "server's share of the CPU", "%"),
               ("sql_seed", "SQL: seed view", "s"), ("sql_all", "SQL: all partitions", "s"), ("sql_all_cpu", "its server CPU", "s"),
               ("find_entries_ms", "FindEntries call", "ms"), ("find_entries_cpu_us", "its server CPU", "us"),
               ("list_actions_ms", "Flight call", "ms"), ("list_actions_cpu_us", "its server CPU", "us")]
    columns = [c for c in columns if any(c[0] in f for f in results[runs[0][0]])]  # what this venv could measure
    print("| mode | " + " | ".join(title for _, title, _ in columns) + " |")
    print("|---|" + "---|" * len(columns))
    for name, _, mode in runs:
        base_name = runs[[n for n, _, _ in runs].index(name) // len(modes) * len(modes)][0]
        base = {key: stat(v) for key, _, _ in columns if (v := [f[key] for f in results[base_name] if key in f])}
        cells = []
        for key, _, unit in columns:
            values = [f[key] for f in results[name] if key in f]
            if not values:
                cells.append("n/a")
                continue
            m = stat(values)
            change = "" if name == base_name or unit == "%" or key not in base else f" ({(m / base[key] - 1) * 100:+.1f}%)"
            digits = {"ms": 3, "us": 0, "%": 0}.get(unit, 2)
            spread = f" [{min(values):.{digits}f}-{max(values):.{digits}f}]" if len(values) > 1 and unit == "s" else ""
            cells.append(f"{m:.{digits}f} {unit}{change}{spread}")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    sys.exit(main())
