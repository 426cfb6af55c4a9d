"""Tokens, roles, users and TLS (`rrdflight server --auth`, `--tls-cert/--tls-key`) from the real clients:
rerun-sdk 0.27.3's CatalogClient (this venv), rerun-sdk 0.41 (the `.venvs/test-newest` interpreter, in a
subprocess), ADBC and pyarrow Flight. Tokens and users are made with the jar's own CLI while the server
runs, as an operator would."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import adbc_driver_flightsql as adbc_flightsql
import adbc_driver_flightsql.dbapi as flightsql
import pyarrow.flight as flight
import pytest
import rerun as rr

from conftest import ROOT, ServerProcess, fixture_path
from rrdflight_server import create_token, make_test_ca, rrdflight_cli as rrdflight

NEWEST_PYTHON = ROOT / ".venvs" / "test-newest" / "bin" / "python"


class Tokens:
    """Makes tokens in one data dir and remembers every one, to check none reaches the server log."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.made: list[str] = []

    def create(self, role: str, name: str | None = None, *extra: str) -> str:
        token = create_token(self.data_dir, role, *extra, *(["--name", name] if name else []))
        self.made.append(token)
        return token


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("auth-data")


@pytest.fixture(scope="module")
def tokens(data_dir):
    return Tokens(data_dir)


@pytest.fixture(scope="module")
def auth_server(data_dir, tokens):
    srv = ServerProcess(data_dir, "--auth")
    yield srv
    srv.stop()
    log = "\n".join(srv.lines)
    for token in tokens.made:
        assert token not in log, "a token reached the server log"
        assert token.split(".")[2] not in log, "a token's signature reached the server log"
    assert "pa55word" not in log


def client(server, token=None) -> rr.catalog.CatalogClient:
    return rr.catalog.CatalogClient(server.rerun_uri, token=token)


def one_recording() -> str:
    return str(sorted(fixture_path("dataset").glob("*.rrd"))[0].resolve())


# --- rerun-sdk 0.27.3 -----------------------------------------------------------------------------------


def test_no_token_is_unauthenticated_and_version_stays_open(auth_server):
    import urllib.request
    with urllib.request.urlopen(f"http://127.0.0.1:{auth_server.port}/version") as answer:
        assert answer.status == 200
    with pytest.raises(PermissionError, match="requires a token"):
        client(auth_server).dataset_names()


def test_token_that_is_not_a_jwt_is_refused_by_the_sdk_itself(auth_server):
    with pytest.raises(PermissionError, match="valid JWT"):
        client(auth_server, "not-a-token")


def test_token_of_another_server_is_unauthenticated(auth_server, tmp_path):
    foreign = Tokens(tmp_path).create("admin")
    with pytest.raises(PermissionError, match="not signed by this server"):
        client(auth_server, foreign).dataset_names()


def test_expired_token_is_unauthenticated(auth_server, tokens):
    token = tokens.create("reader", "brief", "--expires", "1s")
    time.sleep(1.5)  # past the token's expiry (whole seconds)
    with pytest.raises(PermissionError, match="expired"):
        client(auth_server, token).dataset_names()


def test_revoked_token_is_unauthenticated_on_its_next_call(auth_server, tokens, data_dir):
    token = tokens.create("reader", "leaked")
    client(auth_server, token).dataset_names()
    assert rrdflight("token", "revoke", "leaked", "--data-dir", str(data_dir)).returncode == 0
    with pytest.raises(PermissionError, match="revoked"):
        client(auth_server, token).dataset_names()


def test_roles_reader_writer_admin(auth_server, tokens):
    reader = client(auth_server, tokens.create("reader"))
    writer = client(auth_server, tokens.create("writer", "ci-writer"))
    admin = client(auth_server, tokens.create("admin", "ops"))

    with pytest.raises(Exception, match="PermissionDenied.*needs role writer"):
        reader.create_dataset(name="by_reader")

    dataset = writer.create_dataset(name="robots")
    dataset.register(f"file://{one_recording()}")
    assert "robots" in reader.dataset_names()
    rows = reader.get_dataset(name="robots").dataframe_query_view(index="log_time", contents="/**").df().count()
    assert rows > 0

    with pytest.raises(Exception, match="PermissionDenied.*needs role admin"):
        writer.get_dataset(name="robots").delete()
    admin.get_dataset(name="robots").delete()
    assert "robots" not in reader.dataset_names()


def test_mutations_are_audited_with_who_what_and_outcome(auth_server, tokens):
    writer = client(auth_server, tokens.create("writer", "auditee"))
    writer.create_dataset(name="audited")
    created = r"audit - auditee \(writer, token\) CreateDatasetEntry \{name=\"audited\"\} -> OK from /127\.0\.0\.1:\d+"
    log = auth_server.log_once_matching(created)
    assert re.search(created, log), log
    assert re.search(r"audit - auditee \(writer, token\) DeleteEntry.* refused: needs admin -> PERMISSION_DENIED", log) is None
    with pytest.raises(Exception):
        writer.get_dataset(name="audited").delete()
    refused = r"audit - auditee \(writer, token\) DeleteEntry refused: needs admin -> PERMISSION_DENIED"
    log = auth_server.log_once_matching(refused)
    assert re.search(refused, log), log


# --- rerun-sdk 0.41 (the newest), in its own interpreter -------------------------------------------------

NEWEST_SCRIPT = """
import sys, rerun as rr
url, token = sys.argv[1], sys.argv[2] or None
client = rr.catalog.CatalogClient(url, token=token)
print("names", sorted(client.dataset_names()))
try:
    client.create_dataset("by_newest")
    print("created")
except Exception as e:
    print("refused", str(e).splitlines()[0])
"""


def run_newest(url: str, token: str, env: dict | None = None) -> subprocess.CompletedProcess:
    if not NEWEST_PYTHON.exists():
        pytest.skip(f"{NEWEST_PYTHON} missing (the rerun-sdk 0.41 test venv)")
    return subprocess.run([str(NEWEST_PYTHON), "-c", NEWEST_SCRIPT, url, token], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def test_newest_sdk_reads_with_a_reader_token_and_is_refused_writes(auth_server, tokens):
    done = run_newest(auth_server.rerun_uri, tokens.create("reader"))
    assert done.returncode == 0, done.stderr
    assert "names" in done.stdout
    assert "refused CreateDatasetEntry needs role writer" in done.stdout, done.stdout


def test_newest_sdk_without_token_is_unauthenticated(auth_server):
    done = run_newest(auth_server.rerun_uri, "")
    assert done.returncode != 0
    assert "requires a token" in done.stderr


def test_newest_sdk_keeps_a_token_from_hosts_it_does_not_name(auth_server, tokens):
    # rerun-sdk 0.30+ sends a token only to a host in its allowed_hosts claim (`--allowed-host`).
    done = run_newest(auth_server.rerun_uri, tokens.create("reader", None, "--allowed-host", "rrd.example.com"))
    assert done.returncode != 0
    assert "not allowed for host" in done.stderr


# --- Flight SQL: ADBC and pyarrow --------------------------------------------------------------------------


def test_adbc_with_the_authorization_header_option(auth_server, tokens):
    header = {"adbc.flight.sql.authorization_header": "Bearer " + tokens.create("reader")}
    with flightsql.connect(auth_server.grpc_uri, db_kwargs=header, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 AS answer")
        assert cur.fetchall() == [(1,)]


def test_adbc_without_credentials_is_unauthenticated(auth_server):
    with pytest.raises(Exception, match="UNAUTHENTICATED"):
        with flightsql.connect(auth_server.grpc_uri, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute("SELECT 1")


def test_adbc_and_pyarrow_user_and_password_get_a_bearer_token(auth_server, data_dir):
    added = rrdflight("user", "add", "dora", "--role", "reader", "--data-dir", str(data_dir), stdin="pa55word\n")
    assert added.returncode == 0, added.stderr
    with flightsql.connect(auth_server.grpc_uri, db_kwargs={"username": "dora", "password": "pa55word"}, autocommit=True) as conn, \
            conn.cursor() as cur:
        cur.execute("SELECT 2 AS two")
        assert cur.fetchall() == [(2,)]
    key, value = flight.FlightClient(auth_server.grpc_uri).authenticate_basic_token("dora", "pa55word")
    assert key == b"authorization" and value.startswith(b"Bearer ")
    with pytest.raises(flight.FlightUnauthenticatedError, match="wrong user name or password"):
        flight.FlightClient(auth_server.grpc_uri).authenticate_basic_token("dora", "nope")


# --- safe defaults -----------------------------------------------------------------------------------------


def test_network_host_without_auth_refuses_to_start_in_one_line(tmp_path):
    done = rrdflight("server", "--host", "0.0.0.0", "--port", "0", "--data-dir", str(tmp_path))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "without --auth" in done.stderr


def test_insecure_no_auth_starts_and_says_so(tmp_path):
    srv = ServerProcess(tmp_path, "--host", "0.0.0.0", "--insecure-no-auth")
    try:
        assert any("auth:             OFF on a network address" in line for line in srv.lines), srv.lines
    finally:
        srv.stop()


# --- TLS ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def test_ca(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    return make_test_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory, test_ca):
    data = tmp_path_factory.mktemp("tls-data")
    srv = ServerProcess(data, "--auth", "--tls-cert", str(test_ca / "server.pem"), "--tls-key", str(test_ca / "server.key"))
    srv.tokens = Tokens(data)
    yield srv
    srv.stop()


def test_grpc_tls_with_adbc_and_pyarrow(tls_server, test_ca):
    ca = (test_ca / "ca.pem").read_text()
    options = {"adbc.flight.sql.authorization_header": "Bearer " + tls_server.tokens.create("reader"),
               adbc_flightsql.DatabaseOptions.TLS_ROOT_CERTS.value: ca}
    with flightsql.connect(f"grpc+tls://localhost:{tls_server.port}", db_kwargs=options, autocommit=True) as conn, \
            conn.cursor() as cur:
        cur.execute("SELECT 3 AS three")
        assert cur.fetchall() == [(3,)]
    # pyarrow's Flight client with the same CA, through the user/password handshake
    assert rrdflight("user", "add", "tess", "--role", "reader", "--data-dir", str(tls_server.tokens.data_dir),
                     stdin="tls pass\n").returncode == 0
    c = flight.FlightClient(f"grpc+tls://localhost:{tls_server.port}", tls_root_certs=ca.encode())
    assert c.authenticate_basic_token("tess", "tls pass")[0] == b"authorization"


def test_newest_sdk_over_rerun_https_trusts_the_ca_in_ssl_cert_file(tls_server, test_ca):
    token = tls_server.tokens.create("reader")
    url = f"rerun+https://localhost:{tls_server.port}"
    done = run_newest(url, token, env={"SSL_CERT_FILE": str(test_ca / "ca.pem")})
    assert done.returncode == 0, done.stderr
    assert "names" in done.stdout
    untrusted = run_newest(url, token, env={"SSL_CERT_FILE": ""})
    assert untrusted.returncode != 0 and "UnknownIssuer" in untrusted.stderr


def test_sdk_0_27_over_rerun_https_trusts_only_public_cas_for_its_version_probe(tls_server, test_ca, monkeypatch):
    # rerun-sdk 0.27.3 probes GET /version with a client that has Mozilla's roots compiled in and reads no
    # SSL_CERT_FILE, so a private CA cannot work with it; a certificate from a public CA does.
    monkeypatch.setenv("SSL_CERT_FILE", str(test_ca / "ca.pem"))
    with pytest.raises(ConnectionError, match=r"/version.*UnknownIssuer"):
        rr.catalog.CatalogClient(f"rerun+https://localhost:{tls_server.port}", token=tls_server.tokens.create("reader"))
