"""A recording of many small chunks, compacted once in the background after registration (catalog README,
"Compacted copies"): afterwards rerun-sdk 0.27.3's df() and SQL still equal Rerun's local dataframe API on the
original file, and the copy itself, read by Rerun's own reader (rr.dataframe.load_recording), equals the original.
"""

from __future__ import annotations

import os
import re

import pyarrow as pa
import pytest

from conftest import ServerProcess, fixture_path
from rrdflight_server import rrdflight_cli

rr = pytest.importorskip("rerun")
flightsql = pytest.importorskip("adbc_driver_flightsql.dbapi")

from rerun_views import assert_partition_equal, query_view, recordings_in, rerun_view  # noqa: E402

pytestmark = pytest.mark.skipif(rr.__version__ != "0.27.3", reason="the 0.27.3 client is the one compaction is for")

INDEXES = ["frame", "sim_time", "log_tick"]
COMPACTED = r"compacted (\d+) chunks into (\d+) .* now read from"


def wait_for_log(srv, pattern: str, what: str) -> str:
    """The server's output once a line matches `pattern` (a compaction runs in the background, and lines
    reach the test through a reader thread); fails naming `what` if none comes."""
    log = srv.log_once_matching(pattern, timeout=300)
    assert re.search(pattern, log), f"no {what} logged:\n{log}"
    return log


@pytest.fixture(scope="module")
def small_chunks():
    return fixture_path("small-chunks")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("rrdflight-data")


@pytest.fixture(scope="module")
def ours(data_dir, small_chunks):
    srv = ServerProcess(data_dir, "-d", str(small_chunks))
    wait_for_log(srv, COMPACTED, "compaction")
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


def sql(srv, query: str) -> pa.Table:
    conn = flightsql.connect(srv.grpc_uri, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(query)
            return cur.fetch_arrow_table()
    finally:
        conn.close()


def test_listings_show_the_chunks_clients_are_served_and_the_compaction(ours):
    chunks_out = int(re.search(COMPACTED, wait_for_log(ours, COMPACTED, "compaction")).group(2))
    listed = sql(ours, 'SELECT rerun_num_chunks, rrdflight_compaction FROM "small-chunks".rerun.partitions').to_pylist()
    assert listed == [{"rerun_num_chunks": chunks_out, "rrdflight_compaction": "done"}]
    dataset = rr.catalog.CatalogClient(f"rerun+http://localhost:{ours.port}").get_dataset(name="small-chunks")
    assert dataset.partition_table().df().to_arrow_table().column("rerun_num_chunks").to_pylist() == [chunks_out]


def test_the_same_file_in_a_second_dataset_shares_the_copy(ours, data_dir, small_chunks, recording):
    client = rr.catalog.CatalogClient(f"rerun+http://localhost:{ours.port}")
    dataset = client.create_dataset(name="small-chunks-again")
    dataset.register_batch([(small_chunks / "small-chunks.rrd").resolve().as_uri()]).wait(300)
    wait_for_log(ours, "shares the compacted copy", "shared copy")
    assert len(list((data_dir / "compacted").glob("*.rrd"))) == 1
    mine = dataset.dataframe_query_view(index="frame", contents="/**").df().to_arrow_table()
    expected = rerun_view(recording, "frame", "/**", fill=False)
    assert_partition_equal(sorted_rows(mine, "frame"), recording.recording_id(), sorted_rows(expected, "frame"), "second dataset")
    client.get_dataset(name="small-chunks-again").delete()
    assert len(list((data_dir / "compacted").glob("*.rrd"))) == 1, "the first dataset still reads the copy"


def test_compaction_can_be_turned_off(tmp_path, small_chunks, recording):
    srv = ServerProcess(tmp_path / "data", "-d", str(small_chunks), "--compact-small-chunks", "off")
    try:
        listed = sql(srv, 'SELECT rerun_num_chunks, rrdflight_compaction FROM "small-chunks".rerun.partitions').to_pylist()
        assert listed[0]["rrdflight_compaction"] == "none" and listed[0]["rerun_num_chunks"] > 1000
        dataset = rr.catalog.CatalogClient(f"rerun+http://localhost:{srv.port}").get_dataset(name="small-chunks")
        mine = dataset.dataframe_query_view(index="frame", contents="/**").df().to_arrow_table()
        expected = rerun_view(recording, "frame", "/**", fill=False)
        assert_partition_equal(sorted_rows(mine, "frame"), recording.recording_id(), sorted_rows(expected, "frame"), "off")
        assert not re.search(COMPACTED, "\n".join(srv.lines))
        assert not list((tmp_path / "data" / "compacted").glob("*.rrd"))
    finally:
        srv.stop()


def test_a_bad_compaction_setting_is_named():
    result = rrdflight_cli("server", "--compact-small-chunks", "often")
    assert result.returncode == 2
    assert "--compact-small-chunks" in result.stderr and "MIN_CHUNKS:MAX_MEAN_ROWS" in result.stderr, result.stderr


def test_a_copy_damaged_in_place_is_never_served_and_made_again(tmp_path, small_chunks, recording):
    data = tmp_path / "data"
    srv = ServerProcess(data, "-d", str(small_chunks))
    try:
        wait_for_log(srv, COMPACTED, "compaction")
    finally:
        srv.stop()
    (copy,) = (data / "compacted").glob("*.rrd")
    stat = copy.stat()
    with open(copy, "r+b") as f:  # bytes changed in place: same size, modification time put back
        f.seek(stat.st_size // 2)
        block = f.read(64)
        f.seek(stat.st_size // 2)
        f.write(bytes(b ^ 0x5A for b in block))
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    srv = ServerProcess(data, "-d", str(small_chunks))
    try:
        # Served right away: from the original until the copy is made again, never from the damaged one.
        dataset = rr.catalog.CatalogClient(f"rerun+http://localhost:{srv.port}").get_dataset(name="small-chunks")
        expected = sorted_rows(rerun_view(recording, "frame", "/**", fill=False), "frame")
        mine = dataset.dataframe_query_view(index="frame", contents="/**").df().to_arrow_table()
        assert_partition_equal(sorted_rows(mine, "frame"), recording.recording_id(), expected, "while checking")
        log = wait_for_log(srv, COMPACTED, "compaction again")
        assert len(re.findall("is damaged", log)) == 1, log
        assert not copy.exists()
        mine = dataset.dataframe_query_view(index="frame", contents="/**").df().to_arrow_table()
        assert_partition_equal(sorted_rows(mine, "frame"), recording.recording_id(), expected, "made again")
    finally:
        srv.stop()
