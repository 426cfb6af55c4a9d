"""A plain Arrow Flight server (pyarrow.flight, C++) that serves one Arrow IPC file on DoGet: the
ceiling for moving our query's result bytes over gRPC on this machine. Usage: flight_ceiling.py FILE PORT"""

import sys

import pyarrow as pa
import pyarrow.flight as flight


class Ceiling(flight.FlightServerBase):
    def __init__(self, location, table):
        super().__init__(location)
        self.table = table

    def do_get(self, context, ticket):
        return flight.RecordBatchStream(self.table)


if __name__ == "__main__":
    with pa.memory_map(sys.argv[1]) as source:
        table = pa.ipc.open_file(source).read_all()
    server = Ceiling(f"grpc://127.0.0.1:{sys.argv[2]}", table)
    print("ready", flush=True)
    server.serve()
