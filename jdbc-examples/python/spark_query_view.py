"""Apache Spark reads an rrdflight query in parallel: one Spark task per Flight endpoint.

The driver asks rrdflight (any node of a fleet) for the FlightInfo of a SQL query; a query that is
one scan over several partitions comes back with several endpoints (one per partition; consecutive
partitions grouped beyond 256 or half of a node's --max-calls-per-connection), each with a
self-contained ticket and the nodes that serve it. The endpoints become the rows of a small
DataFrame, one per Spark partition, and `mapInArrow` runs on the executors: each task fetches its
ticket from the first node that answers and yields the Arrow batches, cast to types Spark has.

Usage: python spark_query_view.py [grpc://127.0.0.1:51234] [SQL]
(pyspark from scripts/requirements.txt; Spark local mode unless SPARK_MASTER / --master says otherwise).
With `rrdflight server --auth`, put a reader token in RRDFLIGHT_TOKEN: the driver and every task send it
(`authorization: Bearer …`) to every node they call; on a fleet one token works on all nodes.
"""

from __future__ import annotations

import os
import sys
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.flight as flight

from flight_doget import statement_command


def spark_type(t: pa.DataType) -> pa.DataType:
    """The Arrow type Spark can take for `t`: Spark has no unsigned or fixed-size list types and keeps microseconds."""
    if pa.types.is_fixed_size_list(t) or pa.types.is_large_list(t) or pa.types.is_list(t):
        return pa.list_(pa.field(t.value_field.name, spark_type(t.value_type), t.value_field.nullable))
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, spark_type(f.type), f.nullable) for f in t])
    if pa.types.is_unsigned_integer(t):
        return pa.int64() if t.bit_width < 64 else pa.decimal128(20, 0)
    if pa.types.is_timestamp(t):
        return pa.timestamp("us", t.tz)
    if pa.types.is_duration(t):
        return pa.int64()
    if pa.types.is_large_string(t):
        return pa.string()
    if pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        return pa.binary()
    if pa.types.is_dictionary(t):
        return spark_type(t.value_type)
    return t


def spark_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema([pa.field(f.name, spark_type(f.type), f.nullable) for f in schema])


def _cast(table: pa.Table, target: pa.Schema) -> pa.Table:
    columns = []
    for column, field in zip(table.columns, target):
        if pa.types.is_duration(column.type):
            column = column.cast(pa.int64())
        columns.append(pc.cast(column, field.type, safe=False))
    return pa.Table.from_arrays(columns, schema=target)


def call_options(token: str | None) -> flight.FlightCallOptions:
    """The bearer token (if any) as a call header: sent with every call, to whichever node it goes."""
    return flight.FlightCallOptions(headers=[(b"authorization", f"Bearer {token}".encode())] if token else [])


def plan(uri: str, sql: str, token: str | None = None) -> tuple[pa.Schema, list[tuple[bytes, list[str]]]]:
    """The query's schema and its endpoints: (ticket, locations); no location = the server asked."""
    client = flight.FlightClient(uri)
    try:
        info = client.get_flight_info(flight.FlightDescriptor.for_command(statement_command(sql)), call_options(token))
    finally:
        client.close()
    endpoints = [(e.ticket.ticket, [loc.uri.decode() for loc in e.locations] or [uri]) for e in info.endpoints]
    return info.schema, endpoints


def read_endpoint(ticket: bytes, locations: list[str], target: pa.Schema, token: str | None = None) -> Iterator[pa.RecordBatch]:
    """One endpoint's batches, from the first location that answers (a fleet node may be gone)."""
    last: Exception | None = None
    for location in locations:
        client = flight.FlightClient(location)
        try:
            reader = client.do_get(flight.Ticket(ticket), call_options(token))
            for chunk in reader:
                yield from _cast(pa.Table.from_batches([chunk.data]), target).to_batches()
            return
        except flight.FlightUnavailableError as e:  # node down: the same ticket works on the next one
            last = e
        finally:
            client.close()
    raise RuntimeError(f"no location of the endpoint answered ({', '.join(locations)})") from last


def read_query(spark, uri: str, sql: str, token: str | None = None):
    """A Spark DataFrame of the query's rows, one Spark partition per Flight endpoint."""
    from pyspark import cloudpickle
    from pyspark.sql.pandas.types import from_arrow_schema

    # The executors get this module's functions by value: only pyarrow has to be installed there.
    if __name__ != "__main__":
        cloudpickle.register_pickle_by_value(sys.modules[__name__])

    schema, endpoints = plan(uri, sql, token)
    target = spark_schema(schema)
    rows = spark.createDataFrame([(i, t, locs) for i, (t, locs) in enumerate(endpoints)],
                                 "endpoint INT, ticket BINARY, locations ARRAY<STRING>")
    rows = rows.repartition(len(endpoints), "endpoint")

    def fetch(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for ticket, locations in zip(batch.column("ticket").to_pylist(), batch.column("locations").to_pylist()):
                yield from read_endpoint(ticket, locations, target, token)

    return rows.mapInArrow(fetch, from_arrow_schema(target)), len(endpoints)


def main(uri: str = "grpc://127.0.0.1:51234", sql: str = "SELECT * FROM sample.rerun.time_1"):
    from pyspark.sql import SparkSession

    # Python workers run this file's functions with this Python (it has pyarrow); on a cluster, set PYSPARK_PYTHON.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = SparkSession.builder.appName("rrdflight-query").getOrCreate()
    try:
        df, endpoints = read_query(spark, uri, sql, os.environ.get("RRDFLIGHT_TOKEN"))
        print(f"{endpoints} endpoints")
        df.groupBy("rerun_partition_id").count().orderBy("rerun_partition_id").show(100)
    finally:
        spark.stop()


if __name__ == "__main__":
    main(*sys.argv[1:])
