"""The filled query view over large.rrd read by two clients, against the plain DoGet of the same bytes (issue 11, item 2).

One server (started as the tests start it: java -Xmx1g -jar, --query-workers 1, `-d large=…`). After
--warm reads, --n reads each of the filled view through
  pyarrow.flight   Flight SQL's CommandStatementQuery written by hand, then DoGet of each endpoint
                   (Arrow's C++ client: the same library as the ceiling's client)
  ADBC             the Flight SQL driver (Go), as scan_cpu.py and bench.py read it
then the plain DoGet of the same result bytes from a pyarrow.flight server (scan_cpu.py's ceiling), 3 x 3
reads. Prints medians, the server's CPU per read and the client's (this process), and each client's
share of the ceiling. Separates the server's part of item 2 from the client's: a client that needs
more CPU per byte than the ceiling's shares the same 2 cores with the server.

  .venv/bin/python scripts/bench/sql/clients.py flight-server/target/rrdflight.jar [--warm 20 --n 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "scripts" / "bench"))
sys.path.insert(0, str(ROOT / "flight-server" / "src" / "test" / "python"))
import pyarrow.flight as flight  # noqa: E402
import scan_cpu  # noqa: E402
from bench import JAVA_FLAG, component_columns, our_sql, timed_adbc  # noqa: E402
from bench_common import cpu_seconds  # noqa: E402
from rrdflight_server import ListeningProcess  # noqa: E402
from test_split_endpoints import statement_descriptor  # noqa: E402
from workers import wait_registered  # noqa: E402


def timed(read, pid: int) -> tuple[float, int, float, float]:
    """One read: wall, rows, the server's CPU and this process's CPU in it."""
    server, client, start = cpu_seconds(pid), scan_cpu.client_cpu(), time.perf_counter()
    rows = read()
    return time.perf_counter() - start, rows, cpu_seconds(pid) - server, scan_cpu.client_cpu() - client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("jar", type=Path)
    parser.add_argument("--large", type=Path, default=Path(os.environ.get("RRDFLIGHT_FIXTURES", ROOT / "fixtures")) / "large" / "large.rrd")
    parser.add_argument("--warm", type=int, default=20, help="reads before the measured ones (the JIT's first ~16 s)")
    parser.add_argument("--n", type=int, default=9, help="measured reads per client")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "large").mkdir()
        os.symlink(args.large.resolve(), tmp / "large" / "large.rrd")
        server = ListeningProcess(["java", JAVA_FLAG, "-Xmx1g", "-jar", str(args.jar), "server", "--port", "0", "--data-dir", str(tmp / "data"),
                                   "-d", f"large={tmp / 'large'}", "--query-workers", "1"],
                                  r"listening on [^\s:]+:(\d+)", "rrdflight ready", "rrdflight")
        try:
            uri = f"grpc://127.0.0.1:{server.port}"
            wait_registered(uri, "large", 1)
            sql = our_sql(component_columns(uri))
            client = flight.FlightClient(uri)

            def by_pyarrow() -> int:
                info = client.get_flight_info(statement_descriptor(sql))
                return sum(chunk.data.num_rows for e in info.endpoints for chunk in client.do_get(e.ticket))

            def by_adbc() -> int:
                return timed_adbc(uri, sql)[0]

            results = {}
            for name, read in (("pyarrow.flight", by_pyarrow), ("ADBC", by_adbc)):
                for _ in range(args.warm):
                    read()
                results[name] = [timed(read, server.proc.pid) for _ in range(args.n)]
            client.close()
            ceiling = scan_cpu.ceiling(uri, sql, tmp)
            for name, runs in results.items():
                wall = statistics.median(r[0] for r in runs)
                print(f"{name}: {runs[0][1]:,} rows, median {wall:.3f} s of {len(runs)} = {ceiling / wall:.0%} of the DoGet;"
                      f" server CPU {statistics.median(r[2] for r in runs):.2f} s, client CPU {statistics.median(r[3] for r in runs):.2f} s per read;"
                      f" load {os.getloadavg()[0]:.1f}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
