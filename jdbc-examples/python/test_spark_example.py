"""The Spark example reads every endpoint of a query in parallel (Spark local mode) and gets the rows
that a plain Flight client gets. Runs in the venv of scripts/requirements-spark.txt (scripts/test);
skipped where pyspark is not installed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

pyspark = pytest.importorskip("pyspark")

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "flight-server" / "src" / "test" / "python"))
from rrdflight_server import FIXTURES, ServerProcess  # noqa: E402

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
