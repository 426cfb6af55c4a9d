"""Tables through Flight SQL with ADBC: bulk ingestion in every mode, plain-name queries, joins with a
dataset's tables, browsing, and the same table seen by the Rerun SDK.

The oracle for the join is the same join computed with pyarrow on what the server answers for each side
alone; for ingestion, the rows that went in.
"""

from __future__ import annotations

import subprocess
import time

import adbc_driver_flightsql.dbapi as flightsql
import adbc_driver_manager
import pyarrow as pa
import pytest
import rerun as rr

from conftest import ServerProcess, fixture_path
from table_compare import assert_tables_equal, canonical

FLAGS = pa.table({
    "segment_id": pa.array(["rec-dataset-01", "rec-dataset-02", "rec-dataset-03"]),
    "success": pa.array([True, False, True]),
    "operator": pa.array(["ana", "bo", None]),
})


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = ServerProcess(tmp_path_factory.mktemp("data"), "-d", str(fixture_path("dataset")))
    yield srv
    srv.stop()


def connect(server):
    return flightsql.connect(server.grpc_uri, autocommit=True)


def query(server, sql: str) -> pa.Table:
    with connect(server) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetch_arrow_table()


def ingest(server, name: str, data: pa.Table, mode: str) -> int:
    with connect(server) as conn, conn.cursor() as cur:
        return cur.adbc_ingest(name, data, mode=mode)


def test_ingest_create_then_query_by_plain_name(server):
    assert ingest(server, "flags", FLAGS, "create") == 3
    got = query(server, "SELECT * FROM flags")
    assert_tables_equal(canonical(got, ["segment_id"]), canonical(FLAGS, ["segment_id"]), "SELECT * FROM flags")
    with pytest.raises(adbc_driver_manager.Error, match="already exists"):
        ingest(server, "flags", FLAGS, "create")


def test_ingest_append_replace_and_create_append(server):
    more = pa.table({"segment_id": ["rec-dataset-04"], "success": [False], "operator": ["cy"]})
    ingest(server, "flags2", FLAGS, "create_append")
    ingest(server, "flags2", more, "append")
    ingest(server, "flags2", more, "create_append")
    assert query(server, "SELECT COUNT(*) AS n FROM flags2").column("n").to_pylist() == [5]
    replaced = pa.table({"id": pa.array([1, 2], pa.int64())})
    ingest(server, "flags2", replaced, "replace")
    assert_tables_equal(query(server, "SELECT * FROM flags2"), replaced, "after replace")
    with pytest.raises(adbc_driver_manager.Error, match="No table named 'missing'"):
        ingest(server, "missing", more, "append")


def ingest_command(table: str, if_exists: int) -> bytes:
    """Flight SQL's CommandStatementIngest (create if missing; if_exists 2 append, 3 replace) packed in a
    protobuf Any, written out by hand: pyarrow has no Flight SQL messages."""
    def field(number: int, payload: bytes) -> bytes:  # a length-delimited field (no value here reaches 128 bytes)
        return bytes([number << 3 | 2, len(payload)]) + payload

    options = bytes([1 << 3, 1, 2 << 3, if_exists])  # if_not_exist = CREATE, if_exists
    command = field(1, options) + field(2, table.encode())
    return field(1, b"type.googleapis.com/arrow.flight.protocol.sql.CommandStatementIngest") + field(2, command)


def test_an_upload_with_a_schema_and_no_batch_replaces_the_rows_with_none(server):
    """A Flight SQL ingest that sends its schema and no batch, with mode replace: the table then has that
    schema's columns and no rows (the old rows stayed)."""
    import pyarrow.flight as flight

    ingest(server, "emptied", FLAGS, "create")
    client = flight.FlightClient(server.grpc_uri)
    schema = pa.schema([("id", pa.int64())])
    writer, reader = client.do_put(flight.FlightDescriptor.for_command(ingest_command("emptied", 3)), schema)
    writer.done_writing()
    reader.read()
    writer.close()
    client.close()
    got = query(server, "SELECT * FROM emptied")
    assert got.num_rows == 0 and got.column_names == ["id"]


def test_an_ingest_that_sends_nothing_is_refused_not_left_waiting(server):
    """ADBC's Go driver ingests a table without rows as a DoPut with no message at all: that call held a
    server thread and its client for good. It is refused, and the server goes on."""
    import threading

    outcome = {}

    def empty_ingest():
        try:
            ingest(server, "never_sent", pa.table({"id": pa.array([], pa.int64())}), "create")
            outcome["result"] = "written"
        except adbc_driver_manager.Error as e:
            outcome["result"] = str(e)

    worker = threading.Thread(target=empty_ingest, daemon=True)
    worker.start()
    worker.join(60)
    assert "result" in outcome, "the ingest of an empty table is still waiting after 60 s"
    assert "ended before its first message" in outcome["result"], outcome["result"]
    # The server's side: no thread is left waiting for the upload's first message.
    waiting = ""
    for _ in range(50):
        threads = subprocess.run(["jstack", str(server.proc.pid)], capture_output=True, text=True, check=True).stdout
        waiting = [t for t in threads.split("\n\n") if "FlightStream.getDescriptor" in t or "FlightStream.getRoot" in t]
        if not waiting:
            break
        time.sleep(0.1)
    assert not waiting, waiting
    with pytest.raises(adbc_driver_manager.Error, match="never_sent"):
        query(server, "SELECT * FROM never_sent")  # nothing was made
    assert ingest(server, "never_sent", FLAGS, "create") == 3


def test_create_append_ingests_racing_to_make_one_table_all_land(server):
    """Two create_append ingests to a new name at once: the one that finds the table made by the other
    since its lookup appends to it (it was refused as ALREADY_EXISTS)."""
    from concurrent.futures import ThreadPoolExecutor

    for attempt in range(3):
        name = f"raced{attempt}"
        with ThreadPoolExecutor(4) as pool:
            counts = list(pool.map(lambda _: ingest(server, name, FLAGS, "create_append"), range(4)))
        assert counts == [3, 3, 3, 3]
        assert query(server, f"SELECT COUNT(*) AS n FROM {name}").column("n").to_pylist() == [12]


def test_append_with_another_column_is_refused_and_writes_nothing(server):
    ingest(server, "flags3", FLAGS, "create")
    wrong = pa.table({"segment_id": ["x"], "success": [True], "colour": ["red"]})
    with pytest.raises(adbc_driver_manager.Error, match="colour"):
        ingest(server, "flags3", wrong, "append")
    assert query(server, "SELECT COUNT(*) AS n FROM flags3").column("n").to_pylist() == [3]


def test_a_name_taken_by_a_dataset_is_refused(server):
    with pytest.raises(adbc_driver_manager.Error, match="already exists"):
        ingest(server, "dataset", FLAGS, "create")


def test_table_joins_per_recording_aggregates(server):
    ingest(server, "success_flags", FLAGS, "create")
    sql = """
        SELECT f.segment_id, f.success, a.n
        FROM success_flags f
        JOIN (SELECT rerun_partition_id, COUNT(*) AS n FROM dataset.rerun.time_1 GROUP BY rerun_partition_id) a
          ON a.rerun_partition_id = f.segment_id
        WHERE f.success"""
    got = canonical(query(server, sql), ["segment_id"])
    counts = query(server, "SELECT rerun_partition_id, COUNT(*) AS n FROM dataset.rerun.time_1 GROUP BY rerun_partition_id")
    expected = (FLAGS.filter(FLAGS.column("success"))
                .join(counts, "segment_id", "rerun_partition_id", join_type="inner")
                .select(["segment_id", "success", "n"]))
    assert got.num_rows == 2
    assert_tables_equal(got, canonical(expected, ["segment_id"]), "join of a table with per-recording aggregates")


def test_tables_are_browsable_without_catalog_or_schema(server):
    ingest(server, "browse_me", FLAGS, "create")
    with connect(server) as conn:
        objects = conn.adbc_get_objects(depth="tables").read_all().to_pylist()
        root = [o for o in objects if o["catalog_name"] in (None, "")]
        names = [t["table_name"] for o in root for s in (o["catalog_db_schemas"] or []) for t in (s["db_schema_tables"] or [])]
        assert "browse_me" in names, objects
        schema = conn.adbc_get_table_schema("browse_me")
        assert schema.names == ["segment_id", "success", "operator"]


def test_an_ingested_table_is_a_rerun_table_entry(server):
    ingest(server, "for_rerun", FLAGS, "create")
    client = rr.catalog.CatalogClient(server.rerun_uri)
    assert "for_rerun" in client.table_names()
    got = client.get_table(name="for_rerun").to_arrow_table()
    assert_tables_equal(canonical(got, ["segment_id"]), canonical(FLAGS, ["segment_id"]), "the SDK's view of an ingested table")


def test_parameters_bind_one_row_to_a_query_and_many_to_an_insert(server):
    """A NULL parameter is a value; a query refuses several rows of parameters (it used to keep one
    silently); an INSERT sent as a query is refused (it answered the rows and inserted nothing); an
    INSERT run as an update takes every row of parameters, in one commit."""
    with connect(server) as conn, conn.cursor() as cur:
        cur.execute("SELECT CAST(? AS BIGINT) AS v", parameters=(None,))
        assert cur.fetch_arrow_table().column("v").to_pylist() == [None]

        two_batches = pa.Table.from_batches([pa.record_batch([pa.array([1, 2], pa.int64())], names=["p"]),
                                             pa.record_batch([pa.array([3, 4], pa.int64())], names=["p"])])
        with pytest.raises(adbc_driver_manager.Error, match="binds one row of parameters"):
            cur.execute("SELECT CAST(? AS BIGINT) AS v", parameters=two_batches)
            cur.fetch_arrow_table()

        cur.adbc_ingest("ins", pa.table({"id": pa.array([1], pa.int64())}), mode="create")
        with pytest.raises(adbc_driver_manager.Error, match="is an update, not a query"):
            cur.execute("INSERT INTO ins SELECT CAST(? AS BIGINT)", parameters=(5,))
            cur.fetchall()
        cur.executemany("INSERT INTO ins SELECT CAST(? AS BIGINT)", [(5,), (6,), (7,)])
        cur.execute("SELECT id FROM ins ORDER BY id")
        assert cur.fetch_arrow_table().column("id").to_pylist() == [1, 5, 6, 7]

        with pytest.raises(adbc_driver_manager.Error, match="Parameter 1 is bound to a String value, but the query wants a number") as wrong:
            cur.execute("SELECT CAST(? AS BIGINT) * 2 AS v", parameters=("abc",))
            cur.fetchall()
        assert "INTERNAL" not in str(wrong.value)
        cur.execute("SELECT CAST(? AS BIGINT) * 2 AS v", parameters=(21,))
        assert cur.fetchall() == [(42,)]

        with pytest.raises(adbc_driver_manager.Error, match="INSERT goes into a table entry named plainly") as refused:
            cur.adbc_prepare("INSERT INTO a.b SELECT 1")
        assert "INTERNAL" not in str(refused.value)
