"""A fleet: three real `rrdflight server` processes on one real PostgreSQL catalog. The first writes,
the others read; a registration on the writer reaches the readers; a split query's endpoints spread
over the live nodes; a killed node fails its endpoints with UNAVAILABLE and the same ticket succeeds
on the next location; the fleet then stops placing endpoints on it."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import adbc_driver_flightsql.dbapi as flightsql
import pyarrow as pa
import pyarrow.flight as flight
import pytest
import rerun as rr

from conftest import FIXTURES, ServerProcess
from rrdflight_server import create_database, start_postgres, stop_postgres
from test_split_endpoints import PARTITIONS, SPLIT, statement_descriptor

DATASET = FIXTURES / "dataset"


@pytest.fixture(scope="module")
def catalog_url():
    """A new database on the suite's PostgreSQL (RRDFLIGHT_TEST_POSTGRES_URL, set by scripts/test) or on one of our own."""
    url = os.environ.get("RRDFLIGHT_TEST_POSTGRES_URL")
    own = None
    if not url:
        own = Path("/tmp") / f"rrdflight-pg-{uuid.uuid4().hex[:8]}"
        url = start_postgres(own)
    yield create_database(url, "fleet")
    if own is not None:
        stop_postgres(own)


# Each node runs 2 slices of a query at a time (its query workers), in one of its query slots.
PER_NODE = ("--query-workers", "2", "--max-queries", "8")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory, catalog_url):
    writer = ServerProcess(tmp_path_factory.mktemp("a"), "--catalog", catalog_url, "-d", f"dataset={DATASET}", *PER_NODE)
    readers = [ServerProcess(tmp_path_factory.mktemp(n), "--catalog", catalog_url, *PER_NODE) for n in ("b", "c")]
    nodes = [writer, *readers]
    yield nodes
    for node in nodes:
        node.stop()


def location_of(node) -> str:
    return f"grpc+tcp://127.0.0.1:{node.port}"


def flight_info(node, sql=SPLIT) -> flight.FlightInfo:
    client = flight.FlightClient(node.grpc_uri)
    try:
        return client.get_flight_info(statement_descriptor(sql))
    finally:
        client.close()


def wait_for(check, what: str, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


def read(location: str, ticket: flight.Ticket) -> pa.Table:
    client = flight.FlightClient(location)
    try:
        return client.do_get(ticket).read_all()
    finally:
        client.close()


def unsplit(node) -> pa.Table:
    client = flight.FlightClient(node.grpc_uri)
    try:
        parts = []
        for pid in PARTITIONS:
            info = client.get_flight_info(statement_descriptor(f"{SPLIT} WHERE rerun_partition_id = '{pid}'"))
            parts.append(client.do_get(info.endpoints[0].ticket).read_all())
        return pa.concat_tables(parts)
    finally:
        client.close()


def test_endpoints_spread_over_every_live_node_and_read_the_unsplit_rows(fleet):
    expected = unsplit(fleet[0])
    everyone = {location_of(n) for n in fleet}
    def spread():
        info = flight_info(fleet[1])
        return info if {e.locations[0].uri.decode() for e in info.endpoints if e.locations} == everyone else None
    info = wait_for(spread, "endpoints on all three nodes")
    assert len(info.endpoints) == len(PARTITIONS)  # one per partition, spread over the nodes
    parts = [read(e.locations[0].uri.decode(), e.ticket) for e in info.endpoints]
    assert pa.concat_tables(parts).equals(expected)
    # ADBC follows the locations itself.
    with flightsql.connect(fleet[2].grpc_uri, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(SPLIT)
        assert cur.fetch_arrow_table().equals(expected)


def test_a_registration_on_the_writer_reaches_every_reader_and_readers_refuse_changes(fleet):
    writer, reader, _ = fleet
    added = rr.catalog.CatalogClient(writer.rerun_uri).create_dataset(name="late")
    added.register(f"file://{sorted(DATASET.glob('*.rrd'))[0].resolve()}")
    sql = "SELECT rerun_partition_id FROM late.rerun.partitions"

    def visible():
        # create_dataset and register are two calls, so a reader may poll between them and list
        # "late" with no partitions yet: wait for the registration, not only the dataset.
        try:
            info = flight_info(reader, sql)
        except pa.ArrowInvalid:  # "Object 'late' not found" until the reader's next poll
            return None
        ids = read(reader.grpc_uri, info.endpoints[0].ticket).column(0).to_pylist()
        return ids or None
    assert wait_for(visible, "the new partition on a reader") == ["rec-dataset-01"]
    with pytest.raises(Exception, match="writes it: make changes there"):
        rr.catalog.CatalogClient(reader.rerun_uri).create_dataset(name="refused")


def test_a_killed_node_fails_its_endpoints_and_the_same_ticket_succeeds_elsewhere(fleet):
    expected = unsplit(fleet[0])
    victim = fleet[2]
    info = flight_info(fleet[0])
    on_victim = {i for i, e in enumerate(info.endpoints) if e.locations and e.locations[0].uri.decode() == location_of(victim)}
    assert on_victim
    victim.proc.kill()  # SIGKILL: no goodbye, its heartbeat just stops
    victim.proc.wait()
    parts = []
    for i, e in enumerate(info.endpoints):
        uris = [loc.uri.decode() for loc in e.locations]
        if i in on_victim:
            with pytest.raises(flight.FlightUnavailableError):
                read(uris[0], e.ticket)
            parts.append(read(uris[1], e.ticket))  # the next location the FlightInfo named
        else:
            parts.append(read(uris[0], e.ticket))
    assert pa.concat_tables(parts).equals(expected)
    # Once its heartbeat is old, new FlightInfos leave the dead node out.
    wait_for(lambda: all(location_of(victim) not in {loc.uri.decode() for loc in e.locations} for e in flight_info(fleet[1]).endpoints),
             "the dead node to leave the endpoints", seconds=20)
