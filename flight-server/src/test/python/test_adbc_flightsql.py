"""ADBC (adbc-driver-flightsql) and pyarrow against the real server process."""

import subprocess

import adbc_driver_flightsql.dbapi as flightsql
import pyarrow as pa
import pyarrow.flight as flight
import pytest
from conftest import ROOT

NEWEST_PYTHON = ROOT / ".venvs" / "test-newest" / "bin" / "python"


def test_select_one_with_adbc(server):
    with flightsql.connect(server.grpc_uri, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 AS answer")
        table = cur.fetch_arrow_table()
    assert table.num_rows == 1
    assert table.column("answer").to_pylist() == [1]


def test_adbc_binds_parameters(server):
    with flightsql.connect(server.grpc_uri, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SELECT CAST(? AS BIGINT) * 2 AS doubled", parameters=(21,))
        assert cur.fetchall() == [(42,)]


def test_adbc_bad_sql_raises_with_calcite_message(server):
    with flightsql.connect(server.grpc_uri, autocommit=True) as conn, conn.cursor() as cur:
        with pytest.raises(Exception, match="no_such_table"):
            cur.execute("SELECT * FROM no_such_table")
        # The connection and the server survive a bad query.
        cur.execute("SELECT 2 AS two")
        assert cur.fetch_arrow_table().column("two").to_pylist() == [2]


def test_pyarrow_flight_client_reaches_the_same_port(server):
    client = flight.FlightClient(server.grpc_uri)
    # Plain Flight (no SQL layer): the server answers, and says this call is not one it serves.
    with pytest.raises(pa.ArrowNotImplementedError):
        list(client.list_flights())
    client.close()


@pytest.fixture(scope="module")
def large_server(tmp_path_factory):
    from conftest import ServerProcess, fixture_path

    if not (fixture_path("large") / "large.rrd").is_file():
        pytest.skip("fixtures missing: run scripts/gen-fixtures")
    srv = ServerProcess(tmp_path_factory.mktemp("data"), "-d", f"large={fixture_path('large')}")
    yield srv
    srv.stop()


def test_limit_and_top_n_over_rerun_list_columns_equal_rerun(large_server):
    """LIMIT and ORDER BY ... LIMIT copy rows of every column type of a real recording, Points3D's
    List<FixedSizeList<3, Float32>> positions included, equal to Rerun's local dataframe API."""
    from conftest import fixture_path
    from rerun_views import assert_partition_equal, query, recordings_in

    [(pid, rec)] = recordings_in(fixture_path("large") / "large.rrd").items()
    positions = "/large/points/p0:Points3D:positions"
    with flightsql.connect(large_server.grpc_uri, autocommit=True) as conn:
        first = query(conn, 'SELECT * FROM "large".rerun."frame" LIMIT 1')
        # The filter on an array element keeps the plan on Arrow batches (filter, top-N sort, project).
        top = query(conn, f'SELECT frame, "{positions}" FROM "large".rerun."frame" '
                          'WHERE "/large/points/p0:Points3D:colors"[1] IS NOT NULL ORDER BY frame DESC LIMIT 2')
        # Issue #11's query: the last two frames of the whole view (no p0 there: nulls).
        tail = query(conn, f'SELECT "{positions}", frame FROM "large".rerun."frame" ORDER BY frame DESC LIMIT 2')
    # Rerun's first row: the view's lowest frame, every column.
    frame0 = first.column("frame").to_pylist()[0]
    expected = rec.view(index="frame", contents="/**").filter_range_sequence(frame0, frame0).select().read_all()
    assert_partition_equal(first, pid, expected.slice(0, 1), "LIMIT 1")
    assert pa.types.is_fixed_size_list(first.schema.field(positions).type.value_type)
    # Rerun's rows of p0 from our second frame on: exactly our two, latest first.
    frames = top.column("frame").to_pylist()
    p0 = rec.view(index="frame", contents="/large/points/p0").filter_range_sequence(frames[1], 2**62).select().read_all()
    p0 = p0.filter(p0.column("/large/points/p0:Points3D:colors").is_valid())
    assert top.to_pylist() == p0.select(["frame", positions]).to_pylist()[::-1]
    assert top.schema.field(positions).type == p0.schema.field(positions).type
    last = tail.column("frame").to_pylist()
    expected = rec.view(index="frame", contents="/**").filter_range_sequence(last[1], 2**62).select("frame", positions).read_all()
    assert tail.select([positions, "frame"]).to_pylist() == expected.select([positions, "frame"]).to_pylist()[::-1]


def write_disagreeing_recordings(directory, labels) -> None:
    """In `directory`, two recordings that log /data's value as Int32 and as Int64; in `labels`, one whose labels are
    dictionary-encoded."""
    import rerun as rr

    directory.mkdir()
    labels.mkdir()
    for i, arrow_type in enumerate([pa.int32(), pa.int64()]):
        rec = rr.RecordingStream("rerun_example_types", recording_id=f"rec{i}")
        rec.save(str(directory / f"rec{i}.rrd"))
        for frame in range(3):
            rec.set_time("frame", sequence=frame)
            rec.log("/data", rr.AnyValues(value=pa.array([frame * 10 + i], type=arrow_type)))
        rec.flush()
    # rerun-sdk 0.27.3 does not log a dictionary array; 0.41 (the .venvs/test-newest interpreter) does.
    subprocess.run([str(NEWEST_PYTHON), "-c", f"""
import pyarrow as pa, rerun as rr
with rr.RecordingStream("rerun_example_types", recording_id="labels") as rec:
    rec.save({str(labels / "labels.rrd")!r})
    rec.set_time("frame", sequence=0)
    rec.log("/labels", rr.AnyValues(label=pa.array(["a", None], type=pa.dictionary(pa.int32(), pa.string()))))
"""], check=True, timeout=120)


def test_a_recording_whose_column_type_disagrees_is_refused_and_the_dataset_reads_right(tmp_path):
    """A column logged as Int32 in one recording and Int64 in another used to register both and read the Int64
    cells as pairs of Int32 ones ([1], [0], [11] for 1, 11, 21): the later one is now refused at registration,
    as by `rerun server` 0.30+, and the dataset reads the other's values. A dictionary-encoded column failed
    INTERNAL, then FAILED_PRECONDITION; it now reads as its values. The server answers the next query."""
    from conftest import ServerProcess

    write_disagreeing_recordings(tmp_path / "runs", tmp_path / "labels")
    srv = ServerProcess(tmp_path / "data", "-d", f"runs={tmp_path / 'runs'}", "-d", f"labels={tmp_path / 'labels'}")
    try:
        refusal = srv.log_once_matching("schema incompatibility on segment")
        with flightsql.connect(srv.grpc_uri, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute('SELECT rerun_partition_id, "frame", "/data:value" FROM "runs".rerun."frame" ORDER BY 1, 2')
            rows = cur.fetch_arrow_table().to_pylist()
            [kept] = {row["rerun_partition_id"] for row in rows}
            i = int(kept[-1])
            types = ["List<Int(32, true)>", "List<Int(64, true)>"]
            assert (f"schema incompatibility on segment 'rec{1 - i}', layer 'base': column /data:value is {types[i]} in the "
                    f"dataset but {types[1 - i]} here") in refusal
            assert [row["/data:value"] for row in rows] == [[frame * 10 + i] for frame in range(3)]
            cur.execute('SELECT "frame", "/labels:label" FROM "labels".rerun."frame"')
            labels = cur.fetch_arrow_table()
            assert labels.schema.field("/labels:label").type == pa.list_(pa.string())
            assert labels.to_pylist() == [{"frame": 0, "/labels:label": ["a", None]}]
            cur.execute('SELECT COUNT(*) AS n FROM "runs".rerun."frame"')
            assert cur.fetch_arrow_table().column("n").to_pylist() == [3]
        assert not [line for line in srv.lines if " ERROR " in line], "no server fault logged"
    finally:
        srv.stop()


def test_a_recording_whose_columns_are_narrower_joins_and_reads_as_the_datasets_types(tmp_path):
    """A recording whose /data value was only ever null (a Null column) and whose /pose lacks a struct field
    merges into the dataset's types at registration, as on `rerun server` 0.30+: SQL used to refuse the whole
    scan ("… is List<Int(64, true)> in the dataset but List<Null> in one of its recordings"). Each recording
    reads as Rerun's own dataframe API reads it alone, what it lacks null."""
    import rerun as rr
    from conftest import ServerProcess

    runs = tmp_path / "runs"
    runs.mkdir()
    logged = {"full": (pa.array([7], type=pa.int64()), pa.array([{"x": 1.0, "y": 2.0}])),
              "narrow": (pa.array([None], type=pa.null()), pa.array([{"x": 3.0}]))}
    for name, (value, pose) in logged.items():
        rec = rr.RecordingStream("rerun_example_narrow", recording_id=name)
        rec.save(str(runs / f"{name}.rrd"))
        for frame in range(2):
            rec.set_time("frame", sequence=frame)
            rec.log("/data", rr.AnyValues(value=value, pose=pose))
        rec.flush()
    columns = ["/data:value", "/data:pose"]
    srv = ServerProcess(tmp_path / "data", "-d", f"runs={runs}")
    try:
        with flightsql.connect(srv.grpc_uri, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute('SELECT rerun_partition_id, "frame", "/data:value", "/data:pose" FROM "runs".rerun."frame" ORDER BY 1, 2')
            table = cur.fetch_arrow_table()
        assert table.schema.field("/data:value").type == pa.list_(pa.int64())
        assert table.schema.field("/data:pose").type.value_type == pa.struct([("x", pa.float64()), ("y", pa.float64())])
        for name in logged:
            ours = table.filter(pa.compute.equal(table.column("rerun_partition_id"), name))
            alone = rr.dataframe.load_recording(str(runs / f"{name}.rrd")).view(index="frame", contents="/**")
            theirs = alone.select("frame", *columns).read_all()
            expected = [{"frame": row["frame"], **{c: [None if v is None else (
                {"x": v["x"], "y": v.get("y")} if isinstance(v, dict) else v) for v in row[c]] for c in columns}}
                for row in theirs.to_pylist()]
            assert ours.drop_columns(["rerun_partition_id"]).to_pylist() == expected, name
        assert table.column("/data:value").to_pylist() == [[7], [7], [None], [None]]
        assert table.column("/data:pose").to_pylist()[2] == [{"x": 3.0, "y": None}]
        assert not [line for line in srv.lines if " ERROR " in line or "WARN" in line], "no refusal, no fault"
    finally:
        srv.stop()


def test_the_sql_door_lists_recording_datasets_only(tmp_path):
    """create_dataset also makes a hidden blueprint dataset and an asset dataset; neither is an SQL catalog."""
    import rerun as rr
    from conftest import ServerProcess

    srv = ServerProcess(tmp_path / "data")
    try:
        client = rr.catalog.CatalogClient(f"rerun+http://127.0.0.1:{srv.port}")
        client.create_dataset("visible")
        with flightsql.connect(srv.grpc_uri, autocommit=True) as conn:
            catalogs = conn.adbc_get_objects(depth="catalogs").read_all().column("catalog_name").to_pylist()
            assert catalogs == ["visible"]
            with conn.cursor() as cur, pytest.raises(Exception, match="__as_"):
                cur.execute(f'SELECT * FROM "__as_{client.get_dataset(name="visible").id}".rerun.partitions')
    finally:
        srv.stop()
