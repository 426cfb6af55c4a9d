"""COUNT(*) with no filter is answered from each recording's row count, learnt by the first scan of the
whole table and kept in the catalog (view_row_counts, apart from the chunk times): on every fixture group, every table's count
equals the number of rows its scan returns (first count: scanned; second: from the counts; after a
restart: from the stored counts); a file changed on disk loses its stored counts with its registration."""

import os
import shutil
import sqlite3

import adbc_driver_flightsql.dbapi as flightsql
import pytest

from conftest import ServerProcess, fixture_path

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


def stored_counts(data_dir) -> dict[tuple[str, str], int]:
    """Stored row counts (one per table counted) by (dataset id, recording): versions/ and v41 share a recording id."""
    with sqlite3.connect(data_dir / "catalog.db") as db:
        rows = db.execute("SELECT dataset_id, partition_id, COUNT(*) FROM view_row_counts GROUP BY dataset_id, partition_id").fetchall()
    return {(d, p): n for d, p, n in rows}


def test_counts_equal_the_scans_rows_cold_warm_after_a_restart_and_after_a_file_changed(tmp_path, dirs):
    data_dir = tmp_path / "data"
    server = start(data_dir, dirs)
    try:
        cold = counts(server)
    finally:
        server.stop()
    stored = stored_counts(data_dir)
    assert len(stored) >= 12 + 1, f"the recordings' counts are stored: {stored}"

    server = start(data_dir, dirs)
    try:
        with flightsql.connect(server.grpc_uri, autocommit=True) as conn, conn.cursor() as cur:
            for name, n in cold.items():  # the restarted server's first count of each table: from the stored counts
                assert next(iter(one(cur, f"SELECT COUNT(*) FROM {name}")[0].values())) == n, name
        assert counts(server) == cold
    finally:
        server.stop()

    recording = dirs["v41"] / "rerun-0.41.0.rrd"
    stat = recording.stat()
    os.utime(recording, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    before = dict(stored_counts(data_dir))
    server = start(data_dir, dirs)
    try:
        now = stored_counts(data_dir)  # WAL lets a reader in while the server runs
        assert len(now) == len(before) - 1, f"the changed recording's counts went with its registration: {before} → {now}"
        assert counts(server) == cold
    finally:
        server.stop()
    assert len(stored_counts(data_dir)) == len(before), "counted again from the file as it is now"
