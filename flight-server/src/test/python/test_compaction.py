"""A recording of many small chunks, compacted once in the background after registration (catalog README,
"Compacted copies"): afterwards rerun-sdk 0.27.3's df() and SQL still equal Rerun's local dataframe API on the
original file, and the copy itself, read by Rerun's own reader (rr.dataframe.load_recording), equals the original.
"""

from __future__ import annotations

import time

import pyarrow as pa
import pytest

from conftest import ServerProcess, fixture_path

rr = pytest.importorskip("rerun")
flightsql = pytest.importorskip("adbc_driver_flightsql.dbapi")

from rerun_views import assert_partition_equal, query_view, recordings_in, rerun_view  # noqa: E402

pytestmark = pytest.mark.skipif(rr.__version__ != "0.27.3", reason="the 0.27.3 client is the one compaction is for")

INDEXES = ["frame", "sim_time", "log_tick"]


@pytest.fixture(scope="module")
def small_chunks():
    return fixture_path("small-chunks")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("rrdflight-data")


@pytest.fixture(scope="module")
def ours(data_dir, small_chunks):
    srv = ServerProcess(data_dir, "-d", str(small_chunks))
    deadline = time.monotonic() + 300
    while not any("compacted" in line and "now read from" in line for line in srv.lines):
        assert time.monotonic() < deadline, "no compaction logged:\n" + "\n".join(srv.lines)
        assert srv.proc.poll() is None, "server stopped:\n" + "\n".join(srv.lines)
        time.sleep(0.2)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def recording(small_chunks):
    (rec,) = recordings_in(small_chunks / "small-chunks.rrd").values()
    return rec


@pytest.fixture(scope="module")
def copy(ours, data_dir):
    (path,) = (data_dir / "compacted").glob("*.rrd")
    return path


def sorted_rows(table: pa.Table, index: str) -> pa.Table:
    return table.sort_by([(index, "ascending")])


@pytest.mark.parametrize("index", INDEXES)
def test_rerun_reads_the_copy_as_the_original(copy, recording, index):
    (rec,) = recordings_in(copy).values()
    assert rec.recording_id() == recording.recording_id()
    for fill in (False, True):
        mine = rerun_view(rec, index, "/**", fill=fill)
        expected = rerun_view(recording, index, "/**", fill=fill)
        assert mine.num_rows == expected.num_rows > 1000
        assert sorted_rows(mine, index).equals(sorted_rows(expected, index)), f"{index} fill={fill}"


def test_the_copy_has_few_chunks(copy, small_chunks):
    original = rr.dataframe.load_recording(str(small_chunks / "small-chunks.rrd"))
    compacted = rr.dataframe.load_recording(str(copy))
    assert original.recording_id() == compacted.recording_id()
    assert copy.stat().st_size < (small_chunks / "small-chunks.rrd").stat().st_size


@pytest.mark.parametrize("fill", [False, True], ids=["no-fill", "fill"])
@pytest.mark.parametrize("index", INDEXES)
def test_df_after_compaction_equals_rerun_local_dataframe_api(ours, recording, index, fill):
    dataset = rr.catalog.CatalogClient(f"rerun+http://localhost:{ours.port}").get_dataset(name="small-chunks")
    view = dataset.dataframe_query_view(index=index, contents="/**")
    if fill:
        view = view.fill_latest_at()
    mine = view.df().to_arrow_table()
    expected = rerun_view(recording, index, "/**", fill=fill)
    assert_partition_equal(sorted_rows(mine, index), recording.recording_id(), sorted_rows(expected, index), f"{index} fill={fill}")


@pytest.mark.parametrize("fill", [False, True], ids=["no-fill", "fill"])
def test_window_after_compaction_equals_rerun_local_dataframe_api(ours, recording, fill):
    dataset = rr.catalog.CatalogClient(f"rerun+http://localhost:{ours.port}").get_dataset(name="small-chunks")
    view = dataset.dataframe_query_view(index="frame", contents="/**").filter_range_sequence(700, 900)
    if fill:
        view = view.fill_latest_at()
    mine = view.df().to_arrow_table()
    expected = rerun_view(recording, "frame", "/**", rng=(700, 900), fill=fill)
    assert_partition_equal(sorted_rows(mine, "frame"), recording.recording_id(), sorted_rows(expected, "frame"), f"window fill={fill}")


@pytest.mark.parametrize("fill", [False, True], ids=["no-fill", "fill"])
@pytest.mark.parametrize("index", INDEXES)
def test_sql_after_compaction_equals_rerun_local_dataframe_api(ours, recording, index, fill):
    conn = flightsql.connect(ours.grpc_uri, autocommit=True)
    try:
        mine = query_view(conn, "small-chunks", index, "/**", fill=fill)
    finally:
        conn.close()
    expected = rerun_view(recording, index, "/**", fill=fill)
    assert_partition_equal(sorted_rows(mine, index), recording.recording_id(), sorted_rows(expected, index), f"SQL {index} fill={fill}")
