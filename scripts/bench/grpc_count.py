"""Counting proxy for the catalog benchmarks: what a server sends its Rerun client, measured on the wire.

    python grpc_count.py UPSTREAM_PORT EVENTS_FILE

Listens on 127.0.0.1 (ephemeral port, printed as "listening on PORT"), forwards every byte to
127.0.0.1:UPSTREAM_PORT unchanged, and parses the server-to-client half of each HTTP/2 (h2c)
connection on the side. When a response stream ends it appends one JSON line to EVENTS_FILE:

    {"bytes": DATA bytes of the stream, "fetch": is it a FetchChunks response,
     "chunks": ArrowMsg count, "payload": sum of ArrowMsg.payload lengths,
     "uncompressed": sum of ArrowMsg.uncompressed_size, "lz4": chunks with compression LZ4}

The line is written before the stream's last bytes are forwarded, so once the client call returns,
EVENTS_FILE holds every stream it caused. Standard library only, so it runs in any venv (the
varint reader is scripts/fixtures/rrd_frames.py's). It does not decode HPACK, so a stream is
recognised as FetchChunks by its messages: FetchChunksResponse is `repeated ArrowMsg chunks = 1`,
and an ArrowMsg has a varint `compression = 2` and a bytes `payload = 5` — no other response of the Rerun catalog service has that shape (EntryDetails has
field 5 but a string at 2; DataframePart has no field 5).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from rrd_frames import RrdScanError, _varint as varint  # noqa: E402  (the protobuf varint reader)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM = 0x0, 0x1, 0x3
END_STREAM, PADDED = 0x1, 0x8


def fields(b: bytes):
    """Top-level (field, wire type, value) of a protobuf message; value is an int, or (start, end) of a
    length-delimited field. Raises on malformed input."""
    i, n = 0, len(b)
    while i < n:
        key, i = varint(b, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(b, i)
        elif wire == 1:
            value, i = None, i + 8
        elif wire == 5:
            value, i = None, i + 4
        elif wire == 2:
            length, i = varint(b, i)
            value, i = (i, i + length), i + length
        else:
            raise ValueError(f"wire type {wire}")
        if i > n or number == 0:
            raise ValueError("truncated")
        yield number, wire, value


def arrow_msg(b: bytes) -> dict | None:
    """compression, uncompressed_size and payload length of an ArrowMsg, or None if `b` is not one."""
    seen: dict[int, object] = {}
    try:
        for number, wire, value in fields(b):
            seen[number] = (wire, value)
    except (ValueError, IndexError, RrdScanError):
        return None
    compression, payload = seen.get(2), seen.get(5)
    if not (compression and payload and compression[0] == 0 and payload[0] == 2):
        return None
    size = seen.get(3)
    return {"compression": compression[1], "uncompressed": size[1] if size and size[0] == 0 else 0,
            "payload": payload[1][1] - payload[1][0]}


class Stream:
    def __init__(self) -> None:
        self.buf = bytearray()
        self.bytes = 0
        self.fetch: bool | None = None  # decided by the first message
        self.chunks = self.payload = self.uncompressed = self.lz4 = 0

    def data(self, payload: bytes) -> None:
        self.bytes += len(payload)
        self.buf += payload
        while len(self.buf) >= 5:
            length = int.from_bytes(self.buf[1:5], "big")
            if len(self.buf) < 5 + length:
                break
            self.message(bytes(self.buf[5:5 + length]))
            del self.buf[:5 + length]

    def message(self, body: bytes) -> None:
        if self.fetch is False:
            return
        msgs = []
        try:
            for number, wire, value in fields(body):
                if number != 1 or wire != 2:
                    raise ValueError("not FetchChunksResponse")
                msgs.append(arrow_msg(body[value[0]:value[1]]))
        except (ValueError, IndexError, RrdScanError):
            msgs = [None]
        if not msgs or any(m is None for m in msgs):
            self.fetch = False if self.fetch is None else self.fetch
            return
        self.fetch = True
        for m in msgs:
            self.chunks += 1
            self.payload += m["payload"]
            self.uncompressed += m["uncompressed"]
            self.lz4 += m["compression"] == 2

    def event(self) -> dict:
        fetch = bool(self.fetch)
        return {"bytes": self.bytes, "fetch": fetch, "chunks": self.chunks if fetch else 0,
                "payload": self.payload if fetch else 0, "uncompressed": self.uncompressed if fetch else 0,
                "lz4": self.lz4 if fetch else 0}


class ServerSide:
    """Frames from the server: DATA bytes per stream until END_STREAM (on DATA or trailers) or RST."""

    def __init__(self, events) -> None:
        self.events = events
        self.buf = bytearray()
        self.streams: dict[int, Stream] = {}

    def feed(self, data: bytes) -> None:
        self.buf += data
        while len(self.buf) >= 9:
            length = int.from_bytes(self.buf[0:3], "big")
            if len(self.buf) < 9 + length:
                break
            kind, flags = self.buf[3], self.buf[4]
            sid = int.from_bytes(self.buf[5:9], "big") & 0x7FFFFFFF
            payload = bytes(self.buf[9:9 + length])
            del self.buf[:9 + length]
            if kind == DATA and sid:
                if flags & PADDED:
                    payload = payload[1:len(payload) - payload[0]]
                self.streams.setdefault(sid, Stream()).data(payload)
            if sid and ((kind in (DATA, HEADERS) and flags & END_STREAM) or kind == RST_STREAM):
                self.finish(sid)

    def finish(self, sid: int) -> None:
        stream = self.streams.pop(sid, Stream())
        self.events.write(json.dumps(stream.event()) + "\n")
        self.events.flush()

    def close(self) -> None:
        for sid in list(self.streams):
            self.finish(sid)


async def pipe(reader, writer, on_data) -> None:
    try:
        while data := await reader.read(1 << 20):
            if on_data:
                on_data(data)
            writer.write(data)
            await writer.drain()
    except (ConnectionResetError, BrokenPipeError):
        pass
    finally:
        writer.close()


async def main(upstream: int, events_path: str) -> None:
    events = open(events_path, "a")

    async def handle(client_reader, client_writer) -> None:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", upstream)
        try:
            first = await client_reader.readexactly(len(PREFACE))
        except asyncio.IncompleteReadError as short:
            first = short.partial
        server_writer.write(first)
        side = ServerSide(events) if first == PREFACE else None
        await asyncio.gather(pipe(client_reader, server_writer, None),
                             pipe(server_reader, client_writer, side.feed if side else None))
        if side:
            side.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(f"listening on {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
