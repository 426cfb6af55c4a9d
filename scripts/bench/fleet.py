"""Benchmark (not a test): one rrdflight node vs a fleet of three on this machine, for the same
query over the 16 recordings of a generated big set (bench_common.make_big, e.g. /tmp/big41), read
through ADBC and through Spark (jdbc-examples/python/spark_query_view.py, local mode).

Query: every recording's first 10% of `frame`, three columns — one scan, so one endpoint per
recording up to what the nodes run at once (--query-workers per node, at most half of --max-queries;
consecutive recordings grouped beyond). Nodes share a temporary PostgreSQL catalog (scripts/test-postgres); the first registers
the set (`-d big=DIR`), the others join as readers. Each figure: median of --repeat runs after one
warm-up, timed from the request to the last batch.

With `--storage bucket` (default: both, disk first) the same files are first put in a bucket of a
real S3-compatible server on this machine (s3proxy, as object_storage.py does: bench_common.bucket_of),
the first node registers `-d big=s3://bench/big/`, and every node reads the objects (`--s3-endpoint`).
Each storage gets a fresh catalog database and fresh nodes.

    .venv/bin/python scripts/bench/fleet.py /tmp/big41 [--repeat 3] [--storage disk,bucket] [--json out.json]
(.venv from scripts/requirements.txt has pyspark and ADBC; scripts/test makes it)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import adbc_driver_flightsql.dbapi as flightsql

from bench_common import BUCKET, BUCKET_PREFIX, ROOT, add_jar_option, big_frames, bucket_of, use_jar
from rrdflight_server import ServerProcess, create_database, start_postgres, stop_postgres

sys.path.insert(0, str(ROOT / "jdbc-examples" / "python"))
import spark_query_view  # noqa: E402


def sql(frames: int) -> str:
    return (f'SELECT rerun_partition_id, frame, "/scalars/s0:Scalars:scalars" FROM "big".rerun."frame"'
            f" WHERE frame < {frames // 10}")


def adbc(uri: str, text: str) -> tuple[float, int]:
    start = time.perf_counter()
    rows = 0
    with flightsql.connect(uri, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(text)
        for batch in cur.fetch_record_batch():
            rows += batch.num_rows
    return time.perf_counter() - start, rows


def spark_read(spark, uri: str, text: str) -> tuple[float, int]:
    start = time.perf_counter()
    df, _ = spark_query_view.read_query(spark, uri, text)
    rows = df.count()  # mapInArrow runs for every endpoint; count only sums the batches' rows
    return time.perf_counter() - start, rows


def median_of(fn, repeat: int) -> dict:
    runs = [fn() for _ in range(repeat + 1)][1:]
    return {"median_s": statistics.median(r[0] for r in runs), "runs_s": [round(r[0], 3) for r in runs], "rows": runs[0][1]}


def spread(uri: str, text: str) -> int:
    """How many distinct nodes the query's endpoints name first."""
    _, endpoints = spark_query_view.plan(uri, text)
    return len({locations[0] for _, locations in endpoints})


def run_fleet(spark, tmp: Path, catalog: str, text: str, repeat: int, serve: list[str], node_args: list[str],
              allow: list, env: dict | None) -> dict:
    """1 node, then 3 nodes on one catalog: the first serves the set (`serve`), every node gets `node_args`."""
    results = {}
    nodes = []
    try:
        nodes.append(ServerProcess(tmp / "n0", "--catalog", catalog, *serve, *node_args, allow_roots=allow, env=env))
        uri = nodes[0].grpc_uri
        for count in (1, 3):
            while len(nodes) < count:
                nodes.append(ServerProcess(tmp / f"n{len(nodes)}", "--catalog", catalog, *node_args, allow_roots=allow, env=env))
            deadline = time.monotonic() + 30
            while spread(uri, text) < count and time.monotonic() < deadline:
                time.sleep(0.5)
            key = f"{count} node{'s' if count > 1 else ''}"
            results[key] = {"endpoint nodes": spread(uri, text),
                            "ADBC": median_of(lambda: adbc(uri, text), repeat),
                            "Spark": median_of(lambda: spark_read(spark, uri, text), repeat),
                            "load average": os.getloadavg()[0]}
            print(key, json.dumps(results[key]), file=sys.stderr, flush=True)
    finally:
        for node in nodes:
            node.stop()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--spark-cores", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--storage", default="disk,bucket", help="where the nodes read the files: disk, bucket or both (default)")
    add_jar_option(parser)
    args = parser.parse_args()
    use_jar(args.jar)
    frames = big_frames(args.directory)
    if frames is None:
        raise SystemExit(f"{args.directory} is not a generated set (bench_common.make_big)")
    text = sql(frames)
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable  # the workers need this venv's pyarrow

    spark = (SparkSession.builder.master(f"local[{args.spark_cores}]").appName("rrdflight-fleet-bench")
             .config("spark.ui.enabled", "false").getOrCreate())
    results: dict = {"query": text}
    directory = args.directory.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        pg = Path("/tmp") / f"rrdflight-pg-bench-{os.getpid()}"  # under /tmp itself: the cluster runs as another user
        server_url = start_postgres(pg)
        s3 = None
        try:
            for storage in args.storage.split(","):
                catalog = create_database(server_url, f"bench_{storage}")
                work = Path(tmp) / storage
                if storage == "disk":
                    results[storage] = run_fleet(spark, work, catalog, text, args.repeat, ["-d", f"big={directory}"], [],
                                                 [directory], None)
                elif storage == "bucket":
                    s3 = bucket_of(sorted(directory.glob("*.rrd")), work)
                    results[storage] = run_fleet(spark, work, catalog, text, args.repeat, ["-d", f"big=s3://{BUCKET}/{BUCKET_PREFIX}"],
                                                 ["--s3-endpoint", s3.endpoint], [f"s3://{BUCKET}/"], s3.credentials())
                    s3.stop()
                    s3 = None
                else:
                    raise SystemExit(f"--storage: disk or bucket, not {storage!r}")
        finally:
            if s3 is not None:
                s3.stop()
            spark.stop()
            stop_postgres(pg)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
