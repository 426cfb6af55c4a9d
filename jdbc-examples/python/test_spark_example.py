"""The Spark example reads every endpoint of a query in parallel (Spark local mode) and gets the rows
that a plain Flight client gets; with a token, it does so from a fleet with `--auth` (two nodes on one
PostgreSQL catalog), each task sending the token to the node of its endpoint. Runs in .venv (pyspark is in
scripts/requirements.txt); skipped where pyspark is not installed."""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path

import pytest

pyspark = pytest.importorskip("pyspark")

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "flight-server" / "src" / "test" / "python"))
from rrdflight_server import FIXTURES, ServerProcess, create_database, rrdflight_cli, start_postgres, stop_postgres  # noqa: E402

import flight_doget  # noqa: E402
import spark_query_view  # noqa: E402

SQL = "SELECT * FROM sample.rerun.time_1"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # One endpoint per recording; 4 query workers: a query runs 4 of its slices at a time, whatever the cores.
    srv = ServerProcess(tmp_path_factory.mktemp("data"), "-d", f"sample={FIXTURES / 'dataset'}",
                        "--query-workers", "4", "--max-queries", "8")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable  # the workers need this venv's pyarrow
    session = (SparkSession.builder.master("local[2]").appName("rrdflight-test")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
               .getOrCreate())
    yield session
    session.stop()


def rows(table) -> list[str]:
    return sorted(repr(r) for r in table.to_pylist())


def test_spark_reads_one_task_per_endpoint_and_gets_the_flight_rows(server, spark):
    df, endpoints = spark_query_view.read_query(spark, server.grpc_uri, SQL)
    assert endpoints == 12
    assert df.rdd.getNumPartitions() == 12
    actual = df.toArrow()
    plain = flight_doget.query(server.grpc_uri, SQL)
    expected = spark_query_view._cast(plain, spark_query_view.spark_schema(plain.schema))
    assert actual.num_rows == expected.num_rows > 0
    assert actual.column_names == expected.column_names
    assert rows(actual) == rows(expected)
    counts = {r["rerun_partition_id"]: r["count"] for r in df.groupBy("rerun_partition_id").count().collect()}
    assert len(counts) == 12


@pytest.fixture(scope="module")
def authed_fleet(tmp_path_factory):
    """Two `--auth` nodes on a new database of the suite's PostgreSQL (or one of our own), and a reader token made once."""
    url = os.environ.get("RRDFLIGHT_TEST_POSTGRES_URL")
    own = None
    if not url:
        own = Path("/tmp") / f"rrdflight-pg-{uuid.uuid4().hex[:8]}"
        url = start_postgres(own)
    catalog = create_database(url, "spark")
    made = rrdflight_cli("token", "create", "--role", "reader", "--name", "spark", "--catalog", catalog)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]
    nodes = [ServerProcess(tmp_path_factory.mktemp("fleet-a"), "--auth", "--catalog", catalog, "-d", f"sample={FIXTURES / 'dataset'}",
                           "--query-workers", "2"),
             ServerProcess(tmp_path_factory.mktemp("fleet-b"), "--auth", "--catalog", catalog, "--query-workers", "2")]
    yield nodes, token
    for node in nodes:
        node.stop()
    if own is not None:
        stop_postgres(own)


def test_spark_with_a_token_reads_the_endpoints_of_an_authed_fleets_nodes(server, spark, authed_fleet):
    nodes, token = authed_fleet
    everyone = {f"grpc+tcp://127.0.0.1:{n.port}" for n in nodes}
    deadline = time.monotonic() + 30
    while True:  # until the second node has seen the dataset and both are live in the catalog
        try:
            _, endpoints = spark_query_view.plan(nodes[1].grpc_uri, SQL, token)
            if {locations[0] for _, locations in endpoints} == everyone:
                break
        except Exception:
            pass
        assert time.monotonic() < deadline, "endpoints on both nodes"
        time.sleep(0.5)
    df, endpoints = spark_query_view.read_query(spark, nodes[1].grpc_uri, SQL, token)
    assert endpoints == 12
    plain = flight_doget.query(server.grpc_uri, SQL)  # the same recordings, from the open server above
    assert rows(df.toArrow()) == rows(spark_query_view._cast(plain, spark_query_view.spark_schema(plain.schema)))
