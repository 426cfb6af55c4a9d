"""Flight SQL with nothing but pyarrow.flight: what ADBC and JDBC do underneath. A statement is a
`CommandStatementQuery` packed in a protobuf `Any`; GetFlightInfo plans it and returns a ticket;
DoGet streams the result as Arrow record batches.

Usage: python flight_doget.py [grpc://127.0.0.1:51234] [SQL]
"""

from __future__ import annotations

import sys

import pyarrow as pa
import pyarrow.flight as flight

COMMAND_STATEMENT_QUERY = "type.googleapis.com/arrow.flight.protocol.sql.CommandStatementQuery"


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _bytes_field(number: int, payload: bytes) -> bytes:
    """A protobuf length-delimited field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def statement_command(sql: str) -> bytes:
    """Any{type_url, value=CommandStatementQuery{query=sql}}, protobuf-encoded by hand."""
    query = _bytes_field(1, sql.encode())
    return _bytes_field(1, COMMAND_STATEMENT_QUERY.encode()) + _bytes_field(2, query)


def query(uri: str, sql: str) -> pa.Table:
    client = flight.FlightClient(uri)
    try:
        info = client.get_flight_info(flight.FlightDescriptor.for_command(statement_command(sql)))
        # A scan over several partitions has one endpoint each (the rows, in endpoint order, are the
        # answer); an endpoint without locations is fetched from the server that was asked.
        parts = []
        for endpoint in info.endpoints:
            if endpoint.locations:
                other = flight.FlightClient(endpoint.locations[0])
                try:
                    parts.append(other.do_get(endpoint.ticket).read_all())
                finally:
                    other.close()
            else:
                parts.append(client.do_get(endpoint.ticket).read_all())
        return pa.concat_tables(parts) if parts else info.schema.empty_table()
    finally:
        client.close()


def main(uri: str = "grpc://127.0.0.1:51234",
         sql: str = "SELECT rerun_partition_id, rerun_num_chunks FROM sample.rerun.partitions") -> pa.Table:
    table = query(uri, sql)
    print(table.to_pandas().to_string())
    return table


if __name__ == "__main__":
    main(*sys.argv[1:])
