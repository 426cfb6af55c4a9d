"""A query over several partitions comes back as several Flight endpoints, each with a self-contained
ticket: one per partition, but no more than the server runs at once for one query (the query workers,
at most half of --max-queries); beyond that, consecutive partitions share an endpoint. ADBC,
pyarrow.flight (and the JDBC driver, FlightSqlSplitIT) read them all and get the rows of the unsplit
answer: the single-partition queries, which keep one endpoint, in order."""

import concurrent.futures

import adbc_driver_flightsql.dbapi as flightsql
import pyarrow as pa
import pyarrow.flight as flight
import pytest

from conftest import FIXTURES, ServerProcess

DATASET = FIXTURES / "dataset"
PARTITIONS = [f"rec-dataset-{i:02d}" for i in range(1, 13)]
SPLIT = "SELECT * FROM dataset.rerun.time_1"
# 4 query workers and 8 queries at once: a split query gets 4 endpoints, whatever the machine's cores.
SLOTS = 4


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = ServerProcess(tmp_path_factory.mktemp("data"), "-d", f"dataset={DATASET}",
                        "--query-workers", str(SLOTS), "--max-queries", "8")
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


def test_a_scan_over_twelve_partitions_has_one_endpoint_per_slot_read_by_pyarrow_flight(server):
    client = flight.FlightClient(server.grpc_uri)
    try:
        info = client.get_flight_info(statement_descriptor(SPLIT))
        assert len(info.endpoints) == SLOTS
        assert all(not e.locations for e in info.endpoints)  # one server: "the server you asked"
        parts = [client.do_get(e.ticket).read_all() for e in info.endpoints]
        # A ticket is self-contained: reading it again gives the same rows.
        assert client.do_get(info.endpoints[3].ticket).read_all().equals(parts[3])
    finally:
        client.close()
    per_endpoint = len(PARTITIONS) // SLOTS  # consecutive partitions, in order
    for i, part in enumerate(parts):
        assert part.column("rerun_partition_id").to_pylist() == sorted(
            part.column("rerun_partition_id").to_pylist(), key=PARTITIONS.index)
        assert set(part.column("rerun_partition_id").to_pylist()) == set(PARTITIONS[i * per_endpoint:(i + 1) * per_endpoint])
    expected = one_by_one(server, lambda pid: f"{SPLIT} WHERE rerun_partition_id = '{pid}'")
    assert pa.concat_tables(parts).equals(expected)


def test_adbc_reads_every_endpoint_and_gets_the_unsplit_rows(server):
    expected = one_by_one(server, lambda pid: f"{SPLIT} WHERE rerun_partition_id = '{pid}'")
    with flightsql.connect(server.grpc_uri, autocommit=True) as conn, conn.cursor() as cur:
        partitions, _schema = cur.adbc_execute_partitions(SPLIT)
        assert len(partitions) == SLOTS
        cur.execute(SPLIT)
        table = cur.fetch_arrow_table()
    # ADBC reads endpoints concurrently but returns them in order (the FlightInfo says ordered).
    assert table.equals(expected)


def test_bound_values_travel_in_the_tickets_and_few_partitions_get_one_endpoint_each(server):
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
            2, _field(1, b"rrdflight-slice-1:" + bytes(20)))
        with pytest.raises(pa.ArrowInvalid, match=r"Damaged query ticket \(truncated\)"):
            client.do_get(flight.Ticket(damaged)).read_all()
        assert client.do_get(flight.Ticket(ticket)).read_all().num_rows > 0
    finally:
        client.close()


@pytest.fixture(scope="module")
def two_query_server(tmp_path_factory):
    """--max-queries 2: a split query gets one endpoint (half the slots), so two run side by side."""
    srv = ServerProcess(tmp_path_factory.mktemp("two"), "-d", f"many={FIXTURES / 'many'}", "--max-queries", "2")
    yield srv
    srv.stop()
    assert_no_leak(srv)


def test_a_split_over_a_thousand_partitions_fits_two_query_slots_and_the_server_answers_after(two_query_server):
    """Once every partition had its endpoint and each was a query for admission: ADBC opened them all,
    the slices beyond --max-queries waited in the queue while the admitted ones waited for the client
    to read endpoint 0 (a deadlock until the queue's 60 s)."""
    sql = "SELECT * FROM many.rerun.\"frame\""
    with flightsql.connect(two_query_server.grpc_uri, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) AS n, COUNT(DISTINCT rerun_partition_id) AS p FROM many.rerun.\"frame\"")
        expected = cur.fetch_arrow_table().to_pylist()[0]
        assert expected == {"n": 20 * 1000, "p": 1000}  # 20 frames per recording
        partitions, _schema = cur.adbc_execute_partitions(sql)
        assert len(partitions) == 1

    def read_all(_):
        with flightsql.connect(two_query_server.grpc_uri, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetch_arrow_table()

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        tables = list(pool.map(read_all, range(2)))
    for table in tables:
        assert table.num_rows == expected["n"]
        assert len(set(table.column("rerun_partition_id").to_pylist())) == 1000
    with flightsql.connect(two_query_server.grpc_uri, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 AS answer")
        assert cur.fetch_arrow_table().to_pylist() == [{"answer": 1}]
