"""A 0.28+ file's registration stores only a reference to its footer; its chunk index is read from
the footer on the partition's first query (catalog/README.md, "Registration"). A server killed
(SIGKILL, no shutdown) right after such a task finished, before any query built that index, comes
back consistent: the partition is listed and answers exactly as one that was queried before the
kill. A footer that does not check out still fails at registration, on the task."""

import shutil

import adbc_driver_flightsql.dbapi as flightsql
import pytest
import rerun as rr

from conftest import ServerProcess, fixture_path

TABLES = ["frame", "log_time", "sim_time", "wall"]


def answers(server, dataset: str) -> dict:
    out = {}
    with flightsql.connect(server.grpc_uri, autocommit=True) as conn, conn.cursor() as cur:
        for table in TABLES:
            cur.execute(f'SELECT * FROM "{dataset}".rerun."{table}"')
            out[table] = cur.fetch_arrow_table().to_pylist()
    return out


@pytest.fixture
def v41_file(tmp_path):
    directory = tmp_path / "files"
    directory.mkdir()
    return shutil.copy(fixture_path("versions/rerun-0.41.0.rrd"), directory)


def test_a_server_killed_after_the_task_finished_answers_from_the_footer_after_a_restart(tmp_path, v41_file):
    data_dir = tmp_path / "data"
    server = ServerProcess(data_dir)
    try:
        client = rr.catalog.CatalogClient(f"rerun+http://localhost:{server.port}")
        queried = client.create_dataset(name="queried")
        queried.register(f"file://{v41_file}")
        before = answers(server, "queried")  # this one's index was read from the footer and used
        assert all(before[t] for t in TABLES), "every table has rows"
        fresh = client.create_dataset(name="fresh")
        partition = fresh.register(f"file://{v41_file}")  # returns once the task finished
    finally:
        server.proc.kill()  # no shutdown hook, no flush beyond the task's own commit
        server.proc.wait()

    server = ServerProcess(data_dir)
    try:
        client = rr.catalog.CatalogClient(f"rerun+http://localhost:{server.port}")
        assert client.get_dataset(name="fresh").partition_ids() == [partition]
        assert answers(server, "fresh") == before
        assert answers(server, "queried") == before
    finally:
        server.stop()


def test_a_footer_whose_checksum_fails_is_scanned_and_a_damaged_one_fails_the_task(tmp_path, v41_file):
    """The footer is read and checked at registration, as before: what the lazy index relies on is known good."""
    server = ServerProcess(tmp_path / "data")
    try:
        client = rr.catalog.CatalogClient(f"rerun+http://localhost:{server.port}")
        data = bytearray(open(v41_file, "rb").read())
        data[-40] ^= 0xFF  # inside the RrdFooter: its checksum no longer matches, so the file is scanned
        scanned = tmp_path / "files" / "footer-checksum.rrd"
        scanned.write_bytes(bytes(data))
        dataset = client.create_dataset(name="scanned")
        dataset.register(f"file://{scanned}")
        assert answers(server, "scanned") == answers_of_original(server, client, v41_file)

        truncated = tmp_path / "files" / "truncated.rrd"
        truncated.write_bytes(open(v41_file, "rb").read()[:-5000])
        with pytest.raises(ValueError, match="truncated.rrd"):
            client.create_dataset(name="broken").register(f"file://{truncated}")
    finally:
        server.stop()


def answers_of_original(server, client, v41_file) -> dict:
    client.create_dataset(name="original").register(f"file://{v41_file}")
    return answers(server, "original")
