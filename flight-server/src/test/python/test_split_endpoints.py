"""A query over several partitions comes back as several Flight endpoints, each with a self-contained
ticket: one per partition (at most 256, and half of --max-calls-per-connection per node; beyond that,
consecutive partitions share an endpoint). The slices of one query share one admission slot and
budget on a server and run --query-workers at a time, in ticket order. ADBC, pyarrow.flight (and the
JDBC driver, FlightSqlSplitIT) read them all and get the rows of the unsplit answer: the
single-partition queries, which keep one endpoint, in order."""

import concurrent.futures
import re
import struct

import adbc_driver_flightsql.dbapi as flightsql
import adbc_driver_manager
import pyarrow as pa
import pyarrow.flight as flight
import pytest

from conftest import FIXTURES, ServerProcess

DATASET = FIXTURES / "dataset"
PARTITIONS = [f"rec-dataset-{i:02d}" for i in range(1, 13)]
SPLIT = "SELECT * FROM dataset.rerun.time_1"
# 4 query workers: 4 slices of a query run at once, whatever the machine's cores.
WORKERS = 4


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = ServerProcess(tmp_path_factory.mktemp("data"), "-d", f"dataset={DATASET}",
                        "--query-workers", str(WORKERS), "--max-queries", "8")
    yield srv
    srv.stop()
    assert_no_leak(srv)


def assert_no_leak(srv):
    """The server closes every query's allocator and its root at shutdown; it says so when buffers were left."""
    assert not [line for line in srv.lines if "still allocated" in line], "\n".join(srv.lines[-50:])


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def statement_descriptor(sql: str) -> flight.FlightDescriptor:
    """Flight SQL's CommandStatementQuery in a protobuf Any, written by hand (pyarrow has no Flight SQL client)."""
    command = _field(1, sql.encode())
    return flight.FlightDescriptor.for_command(
        _field(1, b"type.googleapis.com/arrow.flight.protocol.sql.CommandStatementQuery") + _field(2, command))


def one_by_one(server, sql_for_partition) -> pa.Table:
    """The unsplit answer: each partition alone (one endpoint each), in partition order."""
    client = flight.FlightClient(server.grpc_uri)
    try:
        tables = []
        for pid in PARTITIONS:
            info = client.get_flight_info(statement_descriptor(sql_for_partition(pid)))
            assert len(info.endpoints) == 1
            tables.append(client.do_get(info.endpoints[0].ticket).read_all())
        return pa.concat_tables(tables)
    finally:
        client.close()


def test_a_scan_over_twelve_partitions_has_one_endpoint_per_partition_read_by_pyarrow_flight(server):
    client = flight.FlightClient(server.grpc_uri)
    try:
        info = client.get_flight_info(statement_descriptor(SPLIT))
        assert len(info.endpoints) == len(PARTITIONS)
        assert all(not e.locations for e in info.endpoints)  # one server: "the server you asked"
        # One after the other: a slice is a query of its own once its query's earlier slices ended.
        parts = [client.do_get(e.ticket).read_all() for e in info.endpoints]
        # A ticket is self-contained: reading it again gives the same rows.
        assert client.do_get(info.endpoints[3].ticket).read_all().equals(parts[3])
    finally:
        client.close()
    for pid, part in zip(PARTITIONS, parts):
        assert set(part.column("rerun_partition_id").to_pylist()) == {pid}
    expected = one_by_one(server, lambda pid: f"{SPLIT} WHERE rerun_partition_id = '{pid}'")
    assert pa.concat_tables(parts).equals(expected)


def test_adbc_reads_every_endpoint_and_gets_the_unsplit_rows(server):
    expected = one_by_one(server, lambda pid: f"{SPLIT} WHERE rerun_partition_id = '{pid}'")
    with flightsql.connect(server.grpc_uri, autocommit=True) as conn, conn.cursor() as cur:
        partitions, _schema = cur.adbc_execute_partitions(SPLIT)
        assert len(partitions) == len(PARTITIONS)
        cur.execute(SPLIT)
        table = cur.fetch_arrow_table()
    # ADBC reads endpoints concurrently but returns them in order (the FlightInfo says ordered).
    assert table.equals(expected)


def test_bound_values_travel_in_the_tickets_and_each_partition_gets_its_endpoint(server):
    chosen = ["rec-dataset-02", "rec-dataset-09", "rec-dataset-05"]
    with flightsql.connect(server.grpc_uri, autocommit=True) as conn, conn.cursor() as cur:
        sql = f"{SPLIT} WHERE rerun_partition_id IN (?, ?, ?)"
        partitions, _schema = cur.adbc_execute_partitions(sql, parameters=tuple(chosen))
        assert len(partitions) == 3
        cur.execute(sql, parameters=tuple(chosen))
        table = cur.fetch_arrow_table()
    assert table.column("rerun_partition_id").to_pylist() == sorted(
        table.column("rerun_partition_id").to_pylist(), key=PARTITIONS.index)
    assert set(table.column("rerun_partition_id").to_pylist()) == set(chosen)


@pytest.mark.parametrize("sql", [
    f"{SPLIT} ORDER BY time_1",
    "SELECT COUNT(*) AS n FROM dataset.rerun.time_1",
    f"{SPLIT} LIMIT 5",
])
def test_sorted_aggregated_and_limited_queries_keep_one_endpoint(server, sql):
    client = flight.FlightClient(server.grpc_uri)
    try:
        assert len(client.get_flight_info(statement_descriptor(sql)).endpoints) == 1
    finally:
        client.close()


def test_a_damaged_slice_ticket_is_invalid_argument_and_the_server_carries_on(server):
    client = flight.FlightClient(server.grpc_uri)
    try:
        ticket = client.get_flight_info(statement_descriptor(SPLIT)).endpoints[0].ticket.ticket
        damaged = _field(1, b"type.googleapis.com/arrow.flight.protocol.sql.TicketStatementQuery") + _field(
            2, _field(1, b"rrdflight-slice-2:" + bytes(20)))
        with pytest.raises(pa.ArrowInvalid, match=r"Damaged query ticket \(truncated\)"):
            client.do_get(flight.Ticket(damaged)).read_all()
        assert client.do_get(flight.Ticket(ticket)).read_all().num_rows > 0
    finally:
        client.close()


def slice_ticket(body: bytes) -> flight.Ticket:
    """A Flight SQL TicketStatementQuery whose handle is a slice ticket (SliceTicket) with this body."""
    return flight.Ticket(_field(1, b"type.googleapis.com/arrow.flight.protocol.sql.TicketStatementQuery") + _field(
        2, _field(1, b"rrdflight-slice-2:" + body)))


def _string(text: str) -> bytes:
    return struct.pack(">i", len(text.encode())) + text.encode()


def slice_body(sql: str, partitions: list[str], index: int = 0) -> bytes:
    """As SliceTicket.encode writes it: execution id (16 bytes), index, SQL, partition ids."""
    return bytes(range(16)) + struct.pack(">i", index) + _string(sql) + struct.pack(">i", len(partitions)) + b"".join(
        _string(p) for p in partitions)


@pytest.mark.parametrize("body, detail", [
    (slice_body(SPLIT, ["rec-dataset-01"], index=-1), "index must not be negative: -1"),
    (bytes(16) + struct.pack(">i", 0) + struct.pack(">i", 0x7FFFFFFF), "string length 2147483647"),
    (bytes(16) + struct.pack(">i", 0) + _string(SPLIT) + struct.pack(">i", 2_000_000), "partition count 2000000"),
    (slice_body(SPLIT, ["rec-dataset-01"]) + b"x", "trailing bytes"),
], ids=["negative index", "string longer than the ticket", "a million partitions too many", "trailing bytes"])
def test_a_tampered_slice_ticket_is_invalid_argument_without_a_stack_trace(one_query_server, body, detail):
    client = flight.FlightClient(one_query_server.grpc_uri)
    try:
        with pytest.raises(pa.ArrowInvalid, match=re.escape(f"Damaged query ticket ({detail}); ask for a new FlightInfo")) as e:
            client.do_get(slice_ticket(body)).read_all()
        assert "\tat " not in str(e.value) and "Exception" not in str(e.value)
        assert client.do_get(slice_ticket(slice_body(SPLIT, ["rec-dataset-01"]))).read_all().num_rows > 0
    finally:
        client.close()


def test_a_slice_ticket_naming_another_datasets_partition_is_not_found_and_logs_no_stack_trace(one_query_server):
    """A well-formed ticket is not signed: one for `dataset` naming a partition of `many` (or none at all) is
    refused by name, not answered as an empty slice."""
    client = flight.FlightClient(one_query_server.grpc_uri)
    before = len(one_query_server.lines)
    try:
        for partitions, named in [(["rec-many-0001"], "rec-many-0001"), (["rec-dataset-01", "no-such-partition"], "no-such-partition")]:
            # pyarrow raises NOT_FOUND as ArrowKeyError.
            with pytest.raises(pa.ArrowKeyError, match=f"not found error, with message: Dataset dataset has no partition {named};") as e:
                client.do_get(slice_ticket(slice_body(SPLIT, partitions))).read_all()
            assert "\tat " not in str(e.value) and "Exception" not in str(e.value)
        assert client.do_get(slice_ticket(slice_body(SPLIT, ["rec-dataset-01"]))).read_all().num_rows > 0
    finally:
        client.close()
    logged = one_query_server.lines[before:]
    assert not [line for line in logged if line.startswith("\tat ") or "Exception in" in line], "\n".join(logged)


@pytest.fixture(scope="module")
def one_query_server(tmp_path_factory):
    """--max-queries 1 and no queue: a split query's slices must share the one slot."""
    srv = ServerProcess(tmp_path_factory.mktemp("one"), "-d", f"many={FIXTURES / 'many'}", "-d", f"dataset={DATASET}",
                        "--max-queries", "1", "--max-queued-queries", "0", "--query-workers", "2")
    yield srv
    srv.stop()
    assert_no_leak(srv)


MANY = "SELECT * FROM many.rerun.\"frame\""


def adbc_read(uri, sql):
    with flightsql.connect(uri, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetch_arrow_table()


def test_every_slice_of_a_query_shares_the_one_query_slot_and_adbc_gets_all_rows(one_query_server):
    """Once every slice was a query for admission: with one slot, ADBC's twelve DoGets at once were
    eleven too many. Now they are one query; two run at a time, in ticket order."""
    expected = one_by_one(one_query_server, lambda pid: f"{SPLIT} WHERE rerun_partition_id = '{pid}'")
    with flightsql.connect(one_query_server.grpc_uri, autocommit=True) as conn, conn.cursor() as cur:
        partitions, _schema = cur.adbc_execute_partitions(SPLIT)
        assert len(partitions) == len(PARTITIONS)
    assert adbc_read(one_query_server.grpc_uri, SPLIT).equals(expected)


def test_a_second_query_meets_the_usual_admission_while_a_split_query_holds_the_slot(one_query_server):
    """1,000 partitions: 50 endpoints (half of --max-calls-per-connection), 20 partitions each. While the
    first client has read one batch, its query holds the one slot; another client's query is turned away
    (no queue); the first then reads all its rows, and the server answers after."""
    with flightsql.connect(one_query_server.grpc_uri, autocommit=True) as conn, conn.cursor() as cur:
        partitions, _schema = cur.adbc_execute_partitions(MANY)
        assert len(partitions) == 50
        cur.execute(MANY)
        reader = cur.fetch_record_batch()
        batches = [reader.read_next_batch()]
        with pytest.raises(adbc_driver_manager.Error, match="busy"):
            adbc_read(one_query_server.grpc_uri, "SELECT COUNT(*) AS n FROM many.rerun.\"frame\"")
        batches.extend(reader)
    table = pa.Table.from_batches(batches)
    assert table.num_rows == 20 * 1000  # 20 frames per recording
    assert len(set(table.column("rerun_partition_id").to_pylist())) == 1000
    assert adbc_read(one_query_server.grpc_uri, "SELECT 1 AS answer").to_pylist() == [{"answer": 1}]


@pytest.fixture(scope="module")
def two_query_server(tmp_path_factory):
    """--max-queries 2: two split queries run side by side, each in one slot."""
    srv = ServerProcess(tmp_path_factory.mktemp("two"), "-d", f"many={FIXTURES / 'many'}", "--max-queries", "2")
    yield srv
    srv.stop()
    assert_no_leak(srv)


def test_a_split_over_a_thousand_partitions_takes_one_of_two_query_slots_and_the_server_answers_after(two_query_server):
    """Once every endpoint was a query for admission: ADBC opened them all, the slices beyond
    --max-queries waited in the queue while the admitted ones waited for the client to read endpoint 0
    (a deadlock until the queue's 60 s). Now the slices of each query share one slot: two clients at once."""
    sql = MANY
    with flightsql.connect(two_query_server.grpc_uri, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) AS n, COUNT(DISTINCT rerun_partition_id) AS p FROM many.rerun.\"frame\"")
        expected = cur.fetch_arrow_table().to_pylist()[0]
        assert expected == {"n": 20 * 1000, "p": 1000}  # 20 frames per recording
        partitions, _schema = cur.adbc_execute_partitions(sql)
        assert len(partitions) == 50  # half of --max-calls-per-connection (100); 20 consecutive partitions each

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        tables = list(pool.map(lambda _: adbc_read(two_query_server.grpc_uri, sql), range(2)))
    for table in tables:
        assert table.num_rows == expected["n"]
        assert len(set(table.column("rerun_partition_id").to_pylist())) == 1000
    assert adbc_read(two_query_server.grpc_uri, "SELECT 1 AS answer").to_pylist() == [{"answer": 1}]
