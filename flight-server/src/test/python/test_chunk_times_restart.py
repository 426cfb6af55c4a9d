"""What scans learn about chunks (their index values per component) is kept in the catalog, so the first
COUNT(*) after a restart need not decode every chunk again: after a restart on the same data dir, every
table's counts, per-recording counts and full rows equal those of the first (cold) server, for 0.27.3
files (scanned at registration) and a 0.41 file (footer); a file changed on disk loses what was learnt."""

import os
import shutil
import sqlite3

import adbc_driver_flightsql.dbapi as flightsql
import pytest

from conftest import ServerProcess, fixture_path

TABLES = {"robots": ["frame", "log_tick", "log_time", "sim_time", "time_1", "time_2", "time_3", "wall_clock"],
          "v41": ["frame", "log_time", "sim_time", "wall"]}


def answers(server) -> dict:
    out = {}
    with flightsql.connect(server.grpc_uri, autocommit=True) as conn, conn.cursor() as cur:
        for dataset, tables in TABLES.items():
            for table in tables:
                name = f'"{dataset}".rerun."{table}"'
                for what, sql in (("count", f"SELECT COUNT(*) FROM {name}"),
                                  ("per recording", f"SELECT rerun_partition_id, COUNT(*) FROM {name} GROUP BY rerun_partition_id"
                                                    " ORDER BY rerun_partition_id"),
                                  ("rows", f"SELECT * FROM {name}")):
                    cur.execute(sql)
                    out[(dataset, table, what)] = cur.fetch_arrow_table().to_pylist()
    return out


def stored_times(data_dir) -> dict[str, int]:
    """Chunk times in the catalog, by partition id (read with SQLite while no server runs)."""
    with sqlite3.connect(data_dir / "catalog.db") as db:
        return dict(db.execute("SELECT partition_id, COUNT(*) FROM chunk_times GROUP BY partition_id").fetchall())


@pytest.fixture
def v41_dir(tmp_path):
    directory = tmp_path / "v41"
    directory.mkdir()
    shutil.copy(fixture_path("versions/rerun-0.41.0.rrd"), directory)
    return directory


def start(data_dir, v41_dir):
    return ServerProcess(data_dir, "-d", f"robots={fixture_path('dataset')}", "-d", f"v41={v41_dir}")


def test_a_restarted_server_answers_as_the_cold_one_from_the_stored_chunk_times(tmp_path, v41_dir):
    data_dir = tmp_path / "data"
    server = start(data_dir, v41_dir)
    try:
        cold = answers(server)
    finally:
        server.stop()  # writes what the scans learnt
    learnt = stored_times(data_dir)
    assert len(learnt) == 12 + 1, f"every recording's chunks, 0.27.3 and 0.41: {learnt}"
    assert next(iter(cold[("robots", "frame", "count")][0].values())) > 0

    server = start(data_dir, v41_dir)
    try:
        assert answers(server) == cold
    finally:
        server.stop()
    assert stored_times(data_dir) == learnt, "nothing new to learn after the restart"

    # A changed file is registered again: what was learnt from its old bytes is gone with it.
    recording = v41_dir / "rerun-0.41.0.rrd"
    stat = recording.stat()
    os.utime(recording, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    server = start(data_dir, v41_dir)
    try:
        dropped = stored_times(data_dir)  # read while the server runs: WAL lets a reader in
        assert len(dropped) == 12, f"the 0.41 recording's times dropped at its new registration: {dropped}"
        assert answers(server) == cold
    finally:
        server.stop()
    assert stored_times(data_dir) == learnt, "learnt again from the file as it is now"
