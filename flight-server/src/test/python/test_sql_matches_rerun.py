"""Our SQL results equal rerun-sdk 0.27.3's own dataframe API on the same recordings.

For every index timeline, several content expressions, with and without an index range and
fill_latest_at, the rows of `query_view(...)` for each partition must equal what
`rr.dataframe.load_recording(file).view(index=, contents=)...select().read_all()` returns:
same values and nulls, same column names and Arrow types. Columns that only other partitions
have must be all null (query-semantics.md §9.2).
"""

from __future__ import annotations

import functools

import pyarrow as pa
import pytest

from conftest import FIXTURES, ServerProcess

rr = pytest.importorskip("rerun")
flightsql = pytest.importorskip("adbc_driver_flightsql.dbapi")

DATASET = FIXTURES / "dataset"
TIMELINES = ["frame", "log_tick", "log_time", "sim_time", "time_1", "time_2", "time_3", "wall_clock"]
CONTENTS = ["/**", "/obj1 /obj2", "/robot/**", "+/** -/obj2 -/text1"]
SEQUENCES = {"frame", "log_tick", "time_3"}

pytestmark = pytest.mark.skipif(not DATASET.is_dir(), reason="fixtures missing: run scripts/gen-fixtures")


@pytest.fixture(scope="module")
def conn(tmp_path_factory):
    srv = ServerProcess(tmp_path_factory.mktemp("data"), "-d", f"dataset={DATASET}")
    connection = flightsql.connect(srv.grpc_uri, autocommit=True)
    yield connection
    connection.close()
    srv.stop()


@functools.lru_cache(maxsize=None)
def recordings():
    return {rec.recording_id(): rec for rec in (rr.dataframe.load_recording(str(p)) for p in sorted(DATASET.glob("*.rrd")))}


def rerun_view(rec, index, contents, rng, fill):
    view = rec.view(index=index, contents=contents)
    if rng is not None:
        view = view.filter_range_sequence(*rng) if index in SEQUENCES else view.filter_range_nanos(*rng)
    if fill:
        view = view.fill_latest_at()
    return view.select().read_all()


@functools.lru_cache(maxsize=None)
def middle_range(index):
    values = []
    for rec in recordings().values():
        try:
            t = rerun_view(rec, index, "/**", None, False)
        except Exception:
            continue
        if index in t.column_names:
            values += [v for v in t.column(index).cast(pa.int64()).to_pylist() if v is not None]
    values.sort()
    if not values:
        return None
    return values[len(values) * 3 // 10], values[len(values) * 6 // 10]


def query(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetch_arrow_table()


def ours(conn, index, contents, rng, fill, partition_ids=None):
    args = [f"index => '{index}'", f"contents => '{contents}'"]
    if partition_ids:
        args.append(f"partition_ids => '{','.join(partition_ids)}'")
    if rng is not None:
        args += [f"range_start => {rng[0]}", f"range_end => {rng[1]}"]
    if fill:
        args.append("fill_latest_at => true")
    return query(conn, f"SELECT * FROM TABLE(dataset.query_view({', '.join(args)}))")


def assert_partition_equal(ours_table, pid, expected, context):
    mine = ours_table.filter(pa.compute.equal(ours_table.column("rerun_partition_id"), pid))
    assert mine.num_rows == expected.num_rows, f"{context} {pid}: {mine.num_rows} rows, Rerun has {expected.num_rows}"
    for name in expected.column_names:
        assert name in mine.column_names, f"{context} {pid}: column {name} missing; ours: {mine.column_names}"
        field = mine.schema.field(name)
        assert field.type == expected.schema.field(name).type, f"{context} {pid} {name}: {field.type} vs {expected.schema.field(name).type}"
        assert mine.column(name).to_pylist() == expected.column(name).to_pylist(), f"{context} {pid}: column {name} differs"
    for name in mine.column_names:
        if name != "rerun_partition_id" and name not in expected.column_names:
            assert mine.column(name).null_count == mine.num_rows, f"{context} {pid}: column {name} not in Rerun's result but not null"


@pytest.mark.parametrize("fill", [False, True], ids=["nofill", "fill"])
@pytest.mark.parametrize("ranged", [False, True], ids=["all", "range"])
@pytest.mark.parametrize("contents", CONTENTS)
@pytest.mark.parametrize("index", TIMELINES)
def test_query_view_equals_rerun(conn, index, contents, ranged, fill):
    rng = middle_range(index) if ranged else None
    if ranged and rng is None:
        pytest.skip(f"no values on {index}")
    table = ours(conn, index, contents, rng, fill)
    assert table.schema.field("rerun_partition_id").type == pa.utf8()
    assert table.schema.names[0] == "rerun_partition_id"
    for pid, rec in recordings().items():
        expected = rerun_view(rec, index, contents, rng, fill)
        assert_partition_equal(table, pid, expected, f"index={index} contents={contents} range={rng} fill={fill}")


def test_partition_filter_returns_only_those_partitions(conn):
    table = ours(conn, "time_3", "/**", None, True, partition_ids=["rec-dataset-04", "rec-dataset-07"])
    assert set(table.column("rerun_partition_id").to_pylist()) == {"rec-dataset-04", "rec-dataset-07"}
    for pid in ["rec-dataset-04", "rec-dataset-07"]:
        assert_partition_equal(table, pid, rerun_view(recordings()[pid], "time_3", "/**", None, True), "partition filter")


def test_timeline_table_equals_an_unfiltered_view(conn):
    table = query(conn, "SELECT * FROM dataset.rerun.time_1 WHERE rerun_partition_id = 'rec-dataset-03'")
    assert_partition_equal(table, "rec-dataset-03", rerun_view(recordings()["rec-dataset-03"], "time_1", "/**", None, False), "time_1 table")
