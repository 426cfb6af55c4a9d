"""ADBC (adbc-driver-flightsql) and pyarrow against the real server process."""

import adbc_driver_flightsql.dbapi as flightsql
import pyarrow as pa
import pyarrow.flight as flight
import pytest


def test_select_one_with_adbc(server):
    with flightsql.connect(server.grpc_uri, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 AS answer")
        table = cur.fetch_arrow_table()
    assert table.num_rows == 1
    assert table.column("answer").to_pylist() == [1]


def test_adbc_binds_parameters(server):
    with flightsql.connect(server.grpc_uri, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SELECT CAST(? AS BIGINT) * 2 AS doubled", parameters=(21,))
        assert cur.fetchall() == [(42,)]


def test_adbc_bad_sql_raises_with_calcite_message(server):
    with flightsql.connect(server.grpc_uri, autocommit=True) as conn, conn.cursor() as cur:
        with pytest.raises(Exception, match="no_such_table"):
            cur.execute("SELECT * FROM no_such_table")
        # The connection and the server survive a bad query.
        cur.execute("SELECT 2 AS two")
        assert cur.fetch_arrow_table().column("two").to_pylist() == [2]


def test_pyarrow_flight_client_reaches_the_same_port(server):
    client = flight.FlightClient(server.grpc_uri)
    # Plain Flight (no SQL layer): the server answers, and says this call is not one it serves.
    with pytest.raises(pa.ArrowNotImplementedError):
        list(client.list_flights())
    client.close()
