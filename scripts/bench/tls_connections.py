"""Benchmark (not a test): what a rerun-sdk 0.41 workflow opens, and what a new TLS client costs.

1. Connections: a TCP relay in front of each server counts the connections rerun-sdk 0.41 opens per
   step of the seed workflow (register + wait, the seed view, all partitions), against `rerun server`
   from the same wheel (the anchor), rrdflight plaintext and rrdflight with TLS (a test CA).
2. A new client: `CatalogClient(url)` plus its first `dataset_names()`, and a second call on it, against
   rrdflight plaintext and with TLS, in turns (`--clients`, the first 10 not counted); medians.

    .venvs/test-newest/bin/python scripts/bench/tls_connections.py /tmp/secbench-big

Needs the runnable jar (mvn package) and openssl.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench_common import add_jar_option, use_jar
from rrdflight_server import ServerProcess, make_test_ca


class Relay:
    """Accepts on an ephemeral port of 127.0.0.1 and relays each connection to `port`, counting them."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.accepted = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            client, _ = self.sock.accept()
            self.accepted += 1
            upstream = socket.create_connection(("127.0.0.1", self.target))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            try:
                b.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def take(self) -> int:
        n, self.accepted = self.accepted, 0
        return n


def connections(name: str, server, scheme: str, files: list[str], win: tuple) -> None:
    import rerun as rr
    from newest_sdk import seed_frame

    index, segment, start, end = win
    relay = Relay(server.port)
    ds = rr.catalog.CatalogClient(f"{scheme}://localhost:{relay.port}").create_dataset("bench")
    ds.register([f"file://{f}" for f in files]).wait()
    register = relay.take()
    seed_frame(ds, index, segment, start, end).to_pandas()
    seed = relay.take()
    ds.reader(index=index).count()
    print(f"| {name} | {register} | {seed} | {relay.take()} |", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--clients", type=int, default=60)
    add_jar_option(parser)
    args = parser.parse_args()
    use_jar(args.jar)
    ca = make_test_ca(Path(tempfile.mkdtemp(prefix="rrdflight-tlsconn-")))
    os.environ["SSL_CERT_FILE"] = str(ca / "ca.pem")  # how rerun-sdk 0.41 trusts the test CA
    import rerun as rr
    from newest_sdk import RerunServer, window_of

    files = sorted(str(p.resolve()) for p in args.directory.glob("*.rrd"))
    win = window_of(files)
    tls_args = ("--tls-cert", str(ca / "server.pem"), "--tls-key", str(ca / "server.key"))
    print("| server | register + wait | seed view | all partitions |\n|---|---|---|---|")
    for name, start, scheme in (("rerun server (anchor)", RerunServer, "rerun+http"),
                                ("rrdflight", lambda: ServerProcess(Path(tempfile.mkdtemp())), "rerun+http"),
                                ("rrdflight, TLS", lambda: ServerProcess(Path(tempfile.mkdtemp()), *tls_args), "rerun+https")):
        server = start()
        try:
            connections(name, server, scheme, files, win)
        finally:
            server.stop()

    plain = ServerProcess(Path(tempfile.mkdtemp()))
    tls = ServerProcess(Path(tempfile.mkdtemp()), *tls_args)
    try:
        first = {"rerun+http": [], "rerun+https": []}
        again = {"rerun+http": [], "rerun+https": []}
        for i in range(args.clients):
            for scheme, server in (("rerun+http", plain), ("rerun+https", tls)):
                t0 = time.perf_counter()
                client = rr.catalog.CatalogClient(f"{scheme}://localhost:{server.port}")
                client.dataset_names()
                t1 = time.perf_counter()
                client.dataset_names()
                t2 = time.perf_counter()
                if i >= 10:
                    first[scheme].append(t1 - t0)
                    again[scheme].append(t2 - t1)
        print(f"\nnew client + first call, then a second call (medians of {args.clients - 10}):")
        for scheme in first:
            print(f"  {scheme}: {statistics.median(first[scheme]) * 1000:.1f} ms, then {statistics.median(again[scheme]) * 1000:.1f} ms")
    finally:
        plain.stop()
        tls.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
