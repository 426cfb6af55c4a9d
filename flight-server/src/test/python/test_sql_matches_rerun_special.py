"""SQL results equal rerun-sdk 0.27.3's dataframe API on the special-case recordings.

Each file of fixtures/single and fixtures/versions is served as a dataset of its own (a file with
two recordings is a dataset with two partitions). For every timeline of the file, with and without
recording properties in the contents, a range and fill_latest_at, `query_view` must equal Rerun's
local view: clears (empty lists, recursive clears of ancestors, tombstone columns hidden), static
data and static overwrites, properties, semantically empty columns dropped, send_columns chunks,
images, blobs, tensors (unions) and the 0.23 / 0.41 writers. The static table equals index=None.
"""

from __future__ import annotations

import shutil

import pytest

from conftest import FIXTURES, ServerProcess

rr = pytest.importorskip("rerun")
flightsql = pytest.importorskip("adbc_driver_flightsql.dbapi")

from rerun_views import (  # noqa: E402
    assert_partition_equal,
    assert_same_column_order,
    middle_range,
    query,
    query_view,
    recordings_in,
    rerun_view,
)

FILES = {
    "clears": "single/clears.rrd",
    "static_and_properties": "single/static_and_properties.rrd",
    "scalars_columns": "single/scalars_columns.rrd",
    "points3d": "single/points3d.rrd",
    "image": "single/image.rrd",
    "tensor": "single/tensor.rrd",
    "two_recordings": "single/two_recordings.rrd",
    "blueprint": "single/blueprint.rrd",
    "v0_23": "versions/rerun-0.23.4.rrd",
    "v0_27": "versions/rerun-0.27.3.rrd",
    "v0_41": "versions/rerun-0.41.0.rrd",
}
CONTENTS = ["/**", "/** /__properties/**"]

pytestmark = pytest.mark.skipif(not (FIXTURES / "single").is_dir(), reason="fixtures missing: run scripts/gen-fixtures")


def write_semantically_empty(path):
    """A recording with a column that is always logged but never holds a value, which Rerun hides."""
    rec = rr.RecordingStream("rrdflight_test", recording_id="rec-semantically-empty")
    rec.save(str(path))
    for f in range(4):
        rec.set_time("frame", sequence=f)
        rec.log("/empty", rr.Points3D([]))  # an empty list in every row: semantically empty
        rec.log("/full", rr.Scalars([float(f)]))
        rec.log("/sometimes", rr.Points3D([] if f < 2 else [[f, 0, 0]]))  # empty at first, then not
    rec.flush()
    rec.disconnect()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    path = tmp_path_factory.mktemp("generated") / "semantically_empty.rrd"
    write_semantically_empty(path)
    return path


@pytest.fixture(scope="module")
def conn(tmp_path_factory, generated):
    # One directory per file: `-d NAME=DIR` serves each as its own dataset.
    root = tmp_path_factory.mktemp("special")
    args = []
    for name, path in [*((n, FIXTURES / rel) for n, rel in FILES.items()), ("semantically_empty", generated)]:
        (root / name).mkdir()
        shutil.copy(path, root / name)
        args += ["-d", f"{name}={root / name}"]
    srv = ServerProcess(tmp_path_factory.mktemp("data"), *args)
    connection = flightsql.connect(srv.grpc_uri, autocommit=True)
    yield connection
    connection.close()
    srv.stop()


def cases():
    for name, rel in FILES.items():
        path = FIXTURES / rel
        if not path.is_file():
            continue
        timelines = sorted({c.name for rec in recordings_in(path).values() for c in rec.schema().index_columns()})
        for index in timelines:
            for contents in CONTENTS:
                for ranged in (False, True):
                    for fill in (False, True):
                        yield pytest.param(name, index, contents, ranged, fill,
                                           id=f"{name}-{index}-{contents}-{'range' if ranged else 'all'}-{'fill' if fill else 'nofill'}")


def served(conn, name):
    """The recordings of a dataset the server registered; a file the reader cannot decode skips its cases."""
    pids = set(query(conn, f'SELECT rerun_partition_id FROM "{name}".partitions').column(0).to_pylist())
    recs = recordings_in(FIXTURES / FILES[name])
    if not pids:
        pytest.skip(f"{FILES[name]} did not register (the rrd reader cannot decode it yet)")
    assert pids == set(recs), f"{name}: partitions {pids} vs recordings {set(recs)}"
    return recs


@pytest.mark.parametrize("name,index,contents,ranged,fill", list(cases()))
def test_query_view_equals_rerun(conn, name, index, contents, ranged, fill):
    recs = served(conn, name)
    rng = middle_range([rerun_view(rec, index, "/**") for rec in recs.values()], index) if ranged else None
    if ranged and rng is None:
        pytest.skip(f"no values on {index}")
    table = query_view(conn, name, index, contents, rng, fill)
    for pid, rec in recs.items():
        expected = rerun_view(rec, index, contents, rng, fill)
        context = f"{name} index={index} contents={contents} range={rng} fill={fill}"
        assert_partition_equal(table, pid, expected, context)
        assert_same_column_order(table, expected, context)


@pytest.mark.parametrize("name", list(FILES))
def test_static_table_equals_the_static_only_view(conn, name):
    recs = served(conn, name)
    table = query(conn, f'SELECT * FROM "{name}".rerun.static_data')
    for pid, rec in recs.items():
        expected = rec.view(index=None, contents="/**").select().read_all()
        assert_partition_equal(table, pid, expected, f"{name} static")


@pytest.mark.parametrize("name", ["tensor", "points3d", "image"])
def test_top_n_and_limit_copy_rows_of_unions_and_fixed_size_lists_as_rerun_has_them(conn, name):
    """ORDER BY ... LIMIT and LIMIT copy rows of every column (tensors' unions, positions' fixed-size
    lists): the rows equal Rerun's view's last two and first rows."""
    recs = served(conn, name)
    for pid, rec in recs.items():
        expected = rerun_view(rec, "frame", "/**")
        top = query(conn, f'SELECT * FROM "{name}".rerun."frame" WHERE rerun_partition_id = \'{pid}\' ORDER BY frame DESC LIMIT 2')
        last = expected.slice(max(0, expected.num_rows - 2))
        assert_partition_equal(top, pid, last.take(list(range(last.num_rows))[::-1]), f"{name} ORDER BY frame DESC LIMIT 2")
        first = query(conn, f'SELECT * FROM "{name}".rerun."frame" WHERE rerun_partition_id = \'{pid}\' LIMIT 1')
        assert_partition_equal(first, pid, expected.slice(0, 1), f"{name} LIMIT 1")


@pytest.mark.parametrize("fill", [False, True], ids=["nofill", "fill"])
def test_semantically_empty_columns_are_dropped_as_rerun_drops_them(conn, generated, fill):
    (rec,) = recordings_in(generated).values()
    expected = rerun_view(rec, "frame", "/**", None, fill)
    assert "/empty:Points3D:positions" not in expected.column_names  # what the test relies on
    table = query_view(conn, "semantically_empty", "frame", "/**", None, fill)
    assert "/empty:Points3D:positions" not in table.column_names
    assert "/sometimes:Points3D:positions" in table.column_names
    assert_partition_equal(table, rec.recording_id(), expected, f"semantically empty fill={fill}")
    assert_same_column_order(table, expected, "semantically empty")
