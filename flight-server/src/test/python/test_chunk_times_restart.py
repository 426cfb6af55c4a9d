"""What scans learn about chunks (their index values per component) is kept in the catalog, so the first
COUNT(*) after a restart need not decode every chunk again: after a restart on the same data dir, every
table's counts, per-recording counts and full rows equal those of the first (cold) server, for 0.27.3
files (scanned at registration) and a 0.41 file (footer); a file changed on disk loses what was learnt."""

import shutil
import sqlite3

import adbc_driver_flightsql.dbapi as flightsql
import pytest

from conftest import ServerProcess, fixture_path
from rrdflight_server import restart_cycle

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


def stored_times(data_dir) -> dict[str, tuple[int, str]]:
    """Chunk times in the catalog by partition id: how many, and the file versions they are stamped with."""
    with sqlite3.connect(data_dir / "catalog.db") as db:
        rows = db.execute("SELECT partition_id, COUNT(*), GROUP_CONCAT(DISTINCT file_version) FROM chunk_times GROUP BY partition_id")
        return {p: (n, versions) for p, n, versions in rows.fetchall()}


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
    cycle = restart_cycle(lambda: start(data_dir, v41_dir), answers, lambda: stored_times(data_dir), v41_dir / "rerun-0.41.0.rrd")
    cold = cycle.answers[0]
    assert next(iter(cold[("robots", "frame", "count")][0].values())) > 0
    assert cycle.answers[1] == cold and cycle.answers[2] == cold
    learnt = cycle.stored[0]
    assert len(learnt) == 12 + 1, f"every recording's chunks, 0.27.3 and 0.41: {learnt}"
    assert cycle.stored[1] == learnt, "nothing new to learn after the restart"
    # A changed file is registered again: what was learnt from its old bytes went with it (rows of a chunk
    # already stored are never replaced), and was learnt again from the file as it is now, with its new stamp.
    after = cycle.stored[2]
    changed = sorted(p for p in learnt if after.get(p) != learnt[p])
    assert len(changed) == 1 and after.keys() == learnt.keys(), f"{learnt} → {after}"
    assert after[changed[0]][0] == learnt[changed[0]][0] and after[changed[0]][1] != learnt[changed[0]][1], (learnt, after)
