"""`--auth` on a fleet: three real `rrdflight server --auth` processes on one real PostgreSQL catalog keep one
auth state in that database (signing key, tokens, users). A token made once with `rrdflight token create
--catalog …` works on every node, for every client: rerun-sdk 0.27.3 and 0.41, ADBC and the Flight SQL JDBC
driver, whose split queries read endpoints on all nodes (so they must send the token to each location). A
revocation by the CLI is refused on every node; a reader is refused writes on every node; a user added once
signs in on every node. One fleet for the module; the CLI runs once per token or user."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import adbc_driver_flightsql.dbapi as flightsql
import pyarrow as pa
import pyarrow.flight as flight
import pytest
import rerun as rr

from conftest import FIXTURES, ServerProcess
from rrdflight_server import rrdflight_cli as rrdflight
from test_auth import run_newest
from test_fleet import PER_NODE, catalog_url, location_of, wait_for  # noqa: F401 (catalog_url: a fixture, a database of our own)
from test_split_endpoints import PARTITIONS, SPLIT, statement_descriptor

DATASET = FIXTURES / "dataset"
PASSWORD = "fl33t-pa55"


class FleetTokens:
    """Makes tokens in the fleet's catalog with the CLI, as an operator would, and remembers them for the log check."""

    def __init__(self, catalog: str) -> None:
        self.catalog = catalog
        self.made: list[str] = []

    def create(self, role: str, name: str) -> str:
        done = rrdflight("token", "create", "--role", role, "--name", name, "--catalog", self.catalog)
        assert done.returncode == 0, done.stderr
        token = done.stdout.strip().splitlines()[-1]
        self.made.append(token)
        return token


@pytest.fixture(scope="module")
def tokens(catalog_url):
    return FleetTokens(catalog_url)


@pytest.fixture(scope="module")
def reader_token(tokens):
    # Made before any node runs: the CLI creates the fleet's key and tables when it is first.
    return tokens.create("reader", "fleet-reader")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory, catalog_url, reader_token, tokens):
    writer = ServerProcess(tmp_path_factory.mktemp("a"), "--auth", "--catalog", catalog_url, "-d", f"dataset={DATASET}", *PER_NODE)
    readers = [ServerProcess(tmp_path_factory.mktemp(n), "--auth", "--catalog", catalog_url, *PER_NODE) for n in ("b", "c")]
    nodes = [writer, *readers]
    yield nodes
    for node in nodes:
        node.stop()
    for node in nodes:
        log = "\n".join(node.lines)
        for token in tokens.made:
            assert token.split(".")[2] not in log, "a token's signature reached a node's log"
        assert PASSWORD not in log
        assert catalog_url.split("password=")[1] not in log, "the database password reached a node's log"


def bearer(token: str) -> flight.FlightCallOptions:
    return flight.FlightCallOptions(headers=[(b"authorization", b"Bearer " + token.encode())])


def flight_info(node, token: str, sql: str = SPLIT) -> flight.FlightInfo:
    client = flight.FlightClient(node.grpc_uri)
    try:
        return client.get_flight_info(statement_descriptor(sql), bearer(token))
    finally:
        client.close()


def read(location: str, ticket: flight.Ticket, token: str | None) -> pa.Table:
    client = flight.FlightClient(location)
    try:
        return client.do_get(ticket, bearer(token) if token else flight.FlightCallOptions()).read_all()
    finally:
        client.close()


def catalog(node, token: str) -> rr.catalog.CatalogClient:
    return rr.catalog.CatalogClient(node.rerun_uri, token=token)


@pytest.fixture(scope="module")
def spread(fleet, reader_token):
    """A FlightInfo of SPLIT whose endpoints are on all three nodes (the readers join, and see the dataset, by polling)."""
    everyone = {location_of(n) for n in fleet}

    def on_everyone():
        try:
            info = flight_info(fleet[1], reader_token)
        except pa.ArrowInvalid:  # "Object 'dataset' not found" until the reader's first poll
            return None
        return info if {e.locations[0].uri.decode() for e in info.endpoints if e.locations} == everyone else None
    return wait_for(on_everyone, "endpoints on all three nodes")


@pytest.fixture(scope="module")
def expected(spread, reader_token) -> pa.Table:
    """SPLIT's rows, read endpoint by endpoint from the node each names, with the token: once for the module."""
    return pa.concat_tables([read(e.locations[0].uri.decode(), e.ticket, reader_token) for e in spread.endpoints])


def test_a_token_made_once_with_the_cli_works_on_every_node(fleet, reader_token, spread):
    for node in fleet:
        assert "dataset" in catalog(node, reader_token).dataset_names()
        # The banner tells the operator where this fleet's tokens are made, password masked.
        log = node.log_once_matching(r"rrdflight token create --catalog jdbc:postgresql://\S*password=\*\*\*")
        assert re.search(r"rrdflight token create --catalog jdbc:postgresql://\S*password=\*\*\*", log), log


def test_endpoints_on_every_node_refuse_a_ticket_without_the_token(spread, expected):
    # What the clients below must do: every node checks the token of every DoGet, also of another node's
    # ticket (`expected` read them all with it).
    for endpoint in spread.endpoints:
        with pytest.raises(flight.FlightUnauthenticatedError, match="requires a token"):
            read(endpoint.locations[0].uri.decode(), endpoint.ticket, None)
    assert expected.num_rows > 0


def test_adbc_sends_the_authorization_header_to_every_endpoints_node(fleet, reader_token, expected):
    header = {"adbc.flight.sql.authorization_header": "Bearer " + reader_token}
    with flightsql.connect(fleet[2].grpc_uri, db_kwargs=header, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(SPLIT)
        table = cur.fetch_arrow_table()
    assert table.equals(expected)
    assert sorted(set(table.column("rerun_partition_id").to_pylist())) == PARTITIONS


JDBC_QUERY = """
import java.sql.*;
class Query {
  public static void main(String[] args) throws Exception {
    long rows = 0;
    try (Connection c = DriverManager.getConnection(args[0]); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(args[1])) {
      while (rs.next()) rows++;
    }
    System.out.println("rows " + rows);
  }
}
"""


def jdbc_driver() -> Path:
    found = sorted((Path.home() / ".m2" / "repository" / "org" / "apache" / "arrow" / "flight-sql-jdbc-driver").glob("*/flight-sql-jdbc-driver-*.jar"))
    if not found:
        pytest.skip("the Flight SQL JDBC driver is not in ~/.m2 (mvn -pl jdbc-examples package fetches it)")
    return found[-1]


def test_jdbc_driver_token_reads_endpoints_on_every_node(fleet, reader_token, expected, tmp_path):
    source = tmp_path / "Query.java"
    source.write_text(JDBC_QUERY)
    url = f"jdbc:arrow-flight-sql://127.0.0.1:{fleet[1].port}/?useEncryption=false&token={reader_token}"
    done = subprocess.run(["java", "--add-opens=java.base/java.nio=ALL-UNNAMED", "-cp", str(jdbc_driver()), str(source), url, SPLIT],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == f"rows {expected.num_rows}"


def test_newest_sdk_uses_the_fleet_token_on_a_node_that_did_not_make_it(fleet, reader_token, spread):
    done = run_newest(fleet[2].rerun_uri, reader_token)
    assert done.returncode == 0, done.stderr
    assert "'dataset'" in done.stdout
    assert "refused CreateDatasetEntry needs role writer" in done.stdout, done.stdout


def test_a_reader_token_cannot_register_on_any_node(fleet, reader_token, spread):
    recording = f"file://{sorted(DATASET.glob('*.rrd'))[0].resolve()}"
    for node in fleet:
        dataset = catalog(node, reader_token).get_dataset(name="dataset")
        with pytest.raises(Exception, match="PermissionDenied.*needs role writer"):
            dataset.register(recording)


def test_a_revocation_by_the_cli_is_refused_on_every_node(fleet, tokens, catalog_url, spread):
    token = tokens.create("reader", "leaked")
    for node in fleet:
        catalog(node, token).dataset_names()  # now in every node's cache
    done = rrdflight("token", "revoke", "leaked", "--catalog", catalog_url)
    assert done.returncode == 0, done.stderr

    def refused(node):
        try:
            flight_info(node, token, "SELECT 1")
        except flight.FlightUnauthenticatedError as e:
            assert "token 'leaked' was revoked" in str(e)
            return True
        return False
    for node in fleet:  # within PostgresAuthStore.CHANGE_CHECK_INTERVAL (0.2 s); polled, not timed
        wait_for(lambda: refused(node), f"the revocation on {location_of(node)}", seconds=10)
        with pytest.raises(PermissionError, match="revoked"):
            catalog(node, token).dataset_names()


def test_a_user_added_once_signs_in_on_every_node(fleet, catalog_url, spread):
    added = rrdflight("user", "add", "fleet-user", "--role", "reader", "--catalog", catalog_url, stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    for node in fleet:
        client = flight.FlightClient(node.grpc_uri)
        try:
            key, value = client.authenticate_basic_token("fleet-user", PASSWORD)
            assert key == b"authorization" and value.startswith(b"Bearer ")
            # The session token one node answers with works on the others: it is signed with the fleet's key.
            other = fleet[(fleet.index(node) + 1) % len(fleet)]
            assert flight_info(other, value.decode()[len("Bearer "):], "SELECT 1").endpoints
        finally:
            client.close()
    with flightsql.connect(fleet[1].grpc_uri, db_kwargs={"username": "fleet-user", "password": PASSWORD}, autocommit=True) as conn, \
            conn.cursor() as cur:
        cur.execute(SPLIT)
        assert sorted(set(cur.fetch_arrow_table().column("rerun_partition_id").to_pylist())) == PARTITIONS
