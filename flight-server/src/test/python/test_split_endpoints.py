"""A query over several partitions comes back as one Flight endpoint per partition, each with a
self-contained ticket; ADBC, pyarrow.flight (and the JDBC driver, FlightSqlSplitIT) read them all and
get the rows of the unsplit answer: the single-partition queries, which keep one endpoint, in order."""

import adbc_driver_flightsql.dbapi as flightsql
import pyarrow as pa
import pyarrow.flight as flight
import pytest

from conftest import FIXTURES, ServerProcess

DATASET = FIXTURES / "dataset"
PARTITIONS = [f"rec-dataset-{i:02d}" for i in range(1, 13)]
SPLIT = "SELECT * FROM dataset.rerun.time_1"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = ServerProcess(tmp_path_factory.mktemp("data"), "-d", f"dataset={DATASET}")
    yield srv
    srv.stop()


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


def test_a_scan_over_twelve_partitions_has_twelve_endpoints_read_by_pyarrow_flight(server):
    client = flight.FlightClient(server.grpc_uri)
    try:
        info = client.get_flight_info(statement_descriptor(SPLIT))
        assert len(info.endpoints) == len(PARTITIONS)
        assert all(not e.locations for e in info.endpoints)  # one server: "the server you asked"
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


def test_bound_values_travel_in_the_tickets(server):
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
