"""Our SQL results equal rerun-sdk 0.27.3's own dataframe API on the same recordings.

For every index timeline, several content expressions, with and without an index range and
fill_latest_at, the rows of `query_view(...)` for each partition must equal what
`rr.dataframe.load_recording(file).view(index=, contents=)...select().read_all()` returns:
same values and nulls, same column names and Arrow types. Columns that only other partitions
have must be all null (query-semantics.md §9.2).
"""

from __future__ import annotations

import functools

import pytest

from conftest import FIXTURES, ServerProcess

rr = pytest.importorskip("rerun")
flightsql = pytest.importorskip("adbc_driver_flightsql.dbapi")

from rerun_views import assert_partition_equal, middle_range, query, query_view, recordings_in, rerun_view  # noqa: E402

DATASET = FIXTURES / "dataset"
TIMELINES = ["frame", "log_tick", "log_time", "sim_time", "time_1", "time_2", "time_3", "wall_clock"]
CONTENTS = ["/**", "/obj1 /obj2", "/robot/**", "+/** -/obj2 -/text1"]

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
    out = {}
    for p in sorted(DATASET.glob("*.rrd")):
        out.update(recordings_in(p))
    return out


@functools.lru_cache(maxsize=None)
def dataset_range(index):
    tables = []
    for rec in recordings().values():
        try:
            tables.append(rerun_view(rec, index, "/**"))
        except Exception:
            continue
    return middle_range(tables, index)


@pytest.mark.parametrize("fill", [False, True], ids=["nofill", "fill"])
@pytest.mark.parametrize("ranged", [False, True], ids=["all", "range"])
@pytest.mark.parametrize("contents", CONTENTS)
@pytest.mark.parametrize("index", TIMELINES)
def test_query_view_equals_rerun(conn, index, contents, ranged, fill):
    rng = dataset_range(index) if ranged else None
    if ranged and rng is None:
        pytest.skip(f"no values on {index}")
    table = query_view(conn, "dataset", index, contents, rng, fill)
    assert table.schema.names[0] == "rerun_partition_id"
    assert str(table.schema.field("rerun_partition_id").type) == "string"
    for pid, rec in recordings().items():
        expected = rerun_view(rec, index, contents, rng, fill)
        assert_partition_equal(table, pid, expected, f"index={index} contents={contents} range={rng} fill={fill}")


def test_partition_filter_returns_only_those_partitions(conn):
    table = query_view(conn, "dataset", "time_3", "/**", None, True, partition_ids=["rec-dataset-04", "rec-dataset-07"])
    assert set(table.column("rerun_partition_id").to_pylist()) == {"rec-dataset-04", "rec-dataset-07"}
    for pid in ["rec-dataset-04", "rec-dataset-07"]:
        assert_partition_equal(table, pid, rerun_view(recordings()[pid], "time_3", "/**", None, True), "partition filter")


def test_timeline_table_equals_an_unfiltered_view(conn):
    table = query(conn, "SELECT * FROM dataset.rerun.time_1 WHERE rerun_partition_id = 'rec-dataset-03'")
    assert_partition_equal(table, "rec-dataset-03", rerun_view(recordings()["rec-dataset-03"], "time_1", "/**"), "time_1 table")
