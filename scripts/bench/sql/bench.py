"""SQL benchmark: a query view with latest-at fill over fixtures/large/large.rrd, read through JDBC and
ADBC from a real rrdflight server, next to DuckDB computing the same latest-at with ASOF JOIN over the
same data exported to Parquet, and next to a plain Flight DoGet of the same result bytes (our
transport ceiling). Prints a table and writes results/<UTC time>.json. See README.md.

Run through ./run (it makes the venv, builds the jar and checks the fixture).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import adbc_driver_flightsql.dbapi as flightsql
import pyarrow as pa
import pyarrow.flight as flight
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT / "flight-server" / "src" / "test" / "python"))
from rrdflight_server import JAR, ListeningProcess  # noqa: E402

JDBC_DRIVER = Path.home() / ".m2/repository/org/apache/arrow/flight-sql-jdbc-driver/18.3.0/flight-sql-jdbc-driver-18.3.0.jar"
JAVA_FLAG = "--add-opens=java.base/java.nio=ALL-UNNAMED"


class Server(ListeningProcess):
    """rrdflight serving large.rrd as the dataset "large", with a given heap."""

    def __init__(self, data_dir: Path, dataset_dir: Path, heap: str) -> None:
        super().__init__(["java", JAVA_FLAG, f"-Xmx{heap}", "-jar", str(JAR), "server", "--port", "0",
                          "--data-dir", str(data_dir), "-d", f"large={dataset_dir}"],
                         r"listening on [^\s:]+:(\d+)", "rrdflight ready", "rrdflight server")


def component_columns(uri: str) -> list[str]:
    with flightsql.connect(uri, autocommit=True) as conn, conn.cursor() as cur:
        # The result schema alone (GetFlightInfo), no rows: nothing is scanned.
        schema = cur.adbc_execute_schema("SELECT * FROM TABLE(\"large\".query_view(index => 'frame'))")
        return [n for n in schema.names if ":" in n]


def our_sql(components: list[str]) -> str:
    columns = ", ".join(['frame'] + [f'"{c}"' for c in components])
    return f"SELECT {columns} FROM TABLE(\"large\".query_view(index => 'frame', contents => '/**', fill_latest_at => true))"


def timed_adbc(uri: str, sql: str, keep: bool = False):
    start = time.perf_counter()
    batches = []
    rows = nbytes = 0
    with flightsql.connect(uri, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(sql)
        for batch in cur.fetch_record_batch():
            rows += batch.num_rows
            nbytes += batch.nbytes
            if keep:
                batches.append(batch)
    seconds = time.perf_counter() - start
    return rows, nbytes, seconds, (pa.Table.from_batches(batches) if keep else None)


def timed_jdbc(url: str, sql: str, mode: str):
    out = subprocess.run(["java", JAVA_FLAG, "-Xmx2g", "-cp", str(JDBC_DRIVER), str(HERE / "JdbcBench.java"), url, sql, mode],
                         check=True, capture_output=True, text=True).stdout.split()
    return int(out[0]), float(out[1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed_doget(ipc_file: Path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(HERE / "flight_ceiling.py"), str(ipc_file), str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        client = flight.FlightClient(f"grpc://127.0.0.1:{port}")
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            rows = nbytes = 0
            for chunk in client.do_get(flight.Ticket(b"result")):
                rows += chunk.data.num_rows
                nbytes += chunk.data.nbytes
            runs.append((rows, nbytes, time.perf_counter() - start))
        client.close()
        return runs
    finally:
        proc.terminate()
        proc.wait()


def export_parquet(large: Path, out: Path) -> dict[str, Path]:
    """Each entity of large.rrd as rerun-sdk 0.27.3 reads it (frame + its components), one Parquet file each."""
    import rerun as rr

    out.mkdir(parents=True, exist_ok=True)
    rec = rr.dataframe.load_recording(str(large))
    files = {}
    entities = sorted({c.entity_path for c in rec.schema().component_columns() if not c.entity_path.startswith("/__")})
    for entity in entities:
        path = out / (entity.strip("/").replace("/", "_") + ".parquet")
        static = all(c.is_static for c in rec.schema().component_columns() if c.entity_path == entity)
        if not path.exists():
            table = rec.view(index=None if static else "frame", contents=entity).select().read_all()
            keep = [n for n in table.column_names if ":" in n or (n == "frame" and not static)]
            pq.write_table(table.select(keep), path)
        files[entity] = path
    return files


def duckdb_sql(files: dict[str, Path], components: list[str]) -> str:
    """Rerun's fill_latest_at as SQL: the rows are every frame some entity has, each column the entity's latest value."""
    temporal = {e: p for e, p in files.items() if "frame" in pq.read_schema(p).names}
    static = {e: p for e, p in files.items() if e not in temporal}
    alias = {e: f"e{i}" for i, e in enumerate(files)}
    frames = " UNION ".join(f"SELECT frame FROM read_parquet('{p}')" for p in temporal.values())
    select = ["f.frame"] + [f'{alias[c.split(":")[0]]}."{c}"' for c in components]
    joins = [f"ASOF LEFT JOIN read_parquet('{p}') {alias[e]} ON f.frame >= {alias[e]}.frame" for e, p in temporal.items()]
    joins += [f"CROSS JOIN read_parquet('{p}') {alias[e]}" for e, p in static.items()]
    return f"WITH frames AS ({frames}) SELECT {', '.join(select)} FROM frames f {' '.join(joins)} ORDER BY f.frame"


def timed_duckdb(sql: str):
    import duckdb  # only here: workers.py imports this module from a venv without DuckDB

    con = duckdb.connect()
    start = time.perf_counter()
    rows = nbytes = 0
    for batch in con.sql(sql).to_arrow_reader(65_536):
        rows += batch.num_rows
        nbytes += batch.nbytes
    seconds = time.perf_counter() - start
    con.close()
    return rows, nbytes, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=Path, default=Path(os.environ.get("RRDFLIGHT_FIXTURES", ROOT / "fixtures")) / "large" / "large.rrd")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--heap", default="1g", help="server -Xmx")
    parser.add_argument("--out", type=Path, help="where to write the figures (default results/<UTC time>.json)")
    args = parser.parse_args()

    work = HERE / "work"
    out = args.out or HERE / "results" / (dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + ".json")
    out.parent.mkdir(exist_ok=True)
    results = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start",
               "server_heap": args.heap, "fixture": str(args.large), "runs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        dataset = Path(tmp) / "large"
        dataset.mkdir()
        os.symlink(args.large, dataset / "large.rrd")
        server = Server(Path(tmp) / "data", dataset, args.heap)
        try:
            uri = f"grpc://127.0.0.1:{server.port}"
            url = f"jdbc:arrow-flight-sql://127.0.0.1:{server.port}/?useEncryption=false"
            components = component_columns(uri)
            sql = our_sql(components)
            results["sql"] = sql
            rows, nbytes, _, table = timed_adbc(uri, sql, keep=True)  # warm-up, and the bytes for the ceiling
            ipc = Path(tmp) / "result.arrow"
            with pa.OSFile(str(ipc), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                for batch in table.to_batches():
                    writer.write_batch(batch)
            checksum = pa.compute.sum(pa.compute.list_flatten(table.column(components[-1]))).as_py()
            del table
            results["runs"]["rrdflight ADBC (Arrow batches)"] = [timed_adbc(uri, sql)[:3] for _ in range(args.repeat)]
            jdbc_next = [timed_jdbc(url, sql, "next") for _ in range(args.repeat)]
            results["runs"]["rrdflight JDBC (next only)"] = [(r, nbytes, s) for r, s in jdbc_next]
            jdbc_values = [timed_jdbc(url, sql, "values") for _ in range(args.repeat)]
            results["runs"]["rrdflight JDBC (getObject every cell)"] = [(r, nbytes, s) for r, s in jdbc_values]
        finally:
            server.stop()
        results["runs"]["plain Flight DoGet of the same bytes (ceiling)"] = timed_doget(ipc)[: args.repeat]
        out.write_text(json.dumps(results, indent=1))  # kept even if the DuckDB part fails

    files = export_parquet(args.large, work / "parquet")
    dsql = duckdb_sql(files, components)
    results["duckdb_sql"] = dsql
    results["runs"]["DuckDB ASOF JOIN over Parquet (in-process)"] = [timed_duckdb(dsql) for _ in range(args.repeat)]
    import duckdb

    con = duckdb.connect()
    duck = con.sql(dsql).to_arrow_table()
    results["check"] = {"rows": [rows, duck.num_rows],
                        "sum of the last component's values": [checksum, pa.compute.sum(pa.compute.list_flatten(duck.column(components[-1]))).as_py()]}
    del duck

    print(f"{'reader':50} {'rows':>10} {'MB':>8} {'best s':>8} {'rows/s':>12} {'MB/s':>8}")
    for name, runs in results["runs"].items():
        best = min(runs, key=lambda r: r[2])
        print(f"{name:50} {best[0]:>10,} {best[1] / 1e6:>8.1f} {best[2]:>8.2f} {best[0] / best[2]:>12,.0f} {best[1] / 1e6 / best[2]:>8.1f}"
              f"   (median {statistics.median(r[2] for r in runs):.2f} s)")
    print("check (ours, DuckDB):", results["check"])
    out.write_text(json.dumps(results, indent=1))
    print("wrote", out)


if __name__ == "__main__":
    main()
