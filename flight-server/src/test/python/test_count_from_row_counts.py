"""COUNT(*) with no filter is answered from each recording's row counts, counted in the background after
registration (and kept in the catalog's view_row_counts): on every fixture group, every table's count equals
the number of rows its scan returns, on a fresh server once its counts are ready, after a restart (nothing
counted again) and after a file changed on disk (only its counts are counted again). The counts serve SQL
only: a server that started empty counts nothing for registrations through Rerun's catalog API until the
Flight SQL door's first call."""

import re
import shutil
import sqlite3
import time

import adbc_driver_flightsql.dbapi as flightsql
import pytest
import rerun as rr

from conftest import ServerProcess, fixture_path
from rrdflight_server import ROW_COUNTS_READY, restart_cycle

GROUPS = {"dataset": "dataset", "large": "large", "versions": "versions", "chunks": "small-chunks"}
# single/: its sound recordings (the truncated ones are refused at registration, another test's subject).
SINGLE = ["blueprint.rrd", "clears.rrd", "image.rrd", "points3d.rrd", "scalars_columns.rrd", "static_and_properties.rrd",
          "tensor.rrd", "two_recordings.rrd"]


@pytest.fixture
def dirs(tmp_path):
    single = tmp_path / "single"
    single.mkdir()
    for name in SINGLE:
        shutil.copy(fixture_path(f"single/{name}"), single)
    v41 = tmp_path / "v41"
    v41.mkdir()
    shutil.copy(fixture_path("versions/rerun-0.41.0.rrd"), v41)
    return {"single": single, "v41": v41}


def start(data_dir, dirs):
    args = [a for name, group in GROUPS.items() for a in ("-d", f"{name}={fixture_path(group)}")]
    return ServerProcess(data_dir, *args, "-d", f"single={dirs['single']}", "-d", f"v41={dirs['v41']}")


def tables(conn) -> list[str]:
    objects = conn.adbc_get_objects(depth="tables").read_all().to_pylist()
    return sorted(f'"{o["catalog_name"]}".rerun."{t["table_name"]}"' for o in objects if o["catalog_name"] in set(GROUPS) | {"single", "v41"}
                  for s in (o["catalog_db_schemas"] or []) if s["db_schema_name"] == "rerun" for t in (s["db_schema_tables"] or []))


def one(cur, sql):
    cur.execute(sql)
    return cur.fetch_arrow_table().to_pylist()


def counts(server) -> dict:
    """Per table: the count-only answer, twice, checked against the scan's rows; returns the counts."""
    out = {}
    with flightsql.connect(server.grpc_uri, autocommit=True) as conn, conn.cursor() as cur:
        names = tables(conn)
        assert len(names) > 20, names
        for name in names:
            first = next(iter(one(cur, f"SELECT COUNT(*) FROM {name}")[0].values()))
            cur.execute(f"SELECT rerun_partition_id FROM {name}")
            scanned = cur.fetch_arrow_table().num_rows
            assert first == scanned, f"{name}: COUNT(*) {first}, the scan {scanned} rows"
            assert next(iter(one(cur, f"SELECT COUNT(*) FROM {name}")[0].values())) == scanned, name
            out[name] = scanned
        plan = "\n".join(str(r) for r in one(cur, 'EXPLAIN PLAN FOR SELECT COUNT(*) FROM "dataset".rerun."frame"'))
        assert "count=[rows]" in plan, plan
    return out


def stored_counts(data_dir) -> dict[tuple[str, str], dict[tuple[str, str], int]]:
    """Stored row counts by (dataset id, recording) (versions/ and v41 share a recording id), then (timeline, contents)."""
    with sqlite3.connect(data_dir / "catalog.db") as db:
        rows = db.execute("SELECT dataset_id, partition_id, timeline, contents, row_count FROM view_row_counts").fetchall()
    out: dict = {}
    for dataset, partition, timeline, contents, n in rows:
        out.setdefault((dataset, partition), {})[(timeline, contents)] = n
    return out


def test_counts_equal_the_scans_rows_fresh_after_a_restart_and_after_a_file_changed(tmp_path, dirs):
    data_dir = tmp_path / "data"
    cycle = restart_cycle(lambda: start(data_dir, dirs), counts, lambda: stored_counts(data_dir), dirs["v41"] / "rerun-0.41.0.rrd")
    cold, restarted, changed = cycle.answers
    assert restarted == cold and changed == cold
    stored = cycle.stored[0]
    assert len(stored) >= 12 + 1, f"the recordings' counts are stored: {stored}"
    assert all(contents == "/**" for views in stored.values() for _, contents in views), stored
    assert cycle.counted[0] == (sum(len(v) for v in stored.values()), len(stored)), "all counted in the background"
    assert cycle.counted[1] == (0, 0), "nothing to count after a restart"
    assert cycle.counted[2] == (4, 1), "only the changed recording's four timelines are counted again"
    assert cycle.stored[1] == stored and cycle.stored[2] == stored, "counted again from the file as it is now"


def test_a_server_that_started_empty_counts_rows_only_once_sql_is_used(tmp_path):
    data_dir = tmp_path / "data"
    files = sorted(fixture_path("dataset").glob("*.rrd"))
    server = ServerProcess(data_dir)
    try:
        dataset = rr.catalog.CatalogClient(server.rerun_uri).create_dataset(name="runs")
        dataset.register_batch([f"file://{f}" for f in files]).wait(120)
        # The counter starts after 2 s without calls (RrdflightServer.ROW_COUNTS_QUIET): give it more than that.
        time.sleep(4)
        log = server.log_once_matching(ROW_COUNTS_READY, timeout=0)
        assert not re.search(ROW_COUNTS_READY, log), f"counted for a Rerun client alone:\n{log}"
        assert stored_counts(data_dir) == {}, "nothing counted before SQL was used"

        with flightsql.connect(server.grpc_uri, autocommit=True) as conn:
            conn.adbc_get_objects(depth="catalogs").read_all()  # a first SQL call that scans nothing
            log = server.log_once_matching(ROW_COUNTS_READY, timeout=120)
            assert re.search(ROW_COUNTS_READY, log), f"no row counts after the first SQL call:\n{log}"
            stored = stored_counts(data_dir)
            assert len(stored) == len(files), f"every registered recording counted in the background: {stored}"
            with conn.cursor() as cur:
                scanned = len(one(cur, 'SELECT rerun_partition_id FROM "runs".rerun."frame"'))
                assert next(iter(one(cur, 'SELECT COUNT(*) FROM "runs".rerun."frame"')[0].values())) == scanned
    finally:
        server.stop()
