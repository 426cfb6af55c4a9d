"""Recordings in S3-compatible object storage (a real s3proxy process), with rerun-sdk 0.27.3.

The same fixture files are put in a bucket and registered by s3:// URL (one by one and as a prefix), and
served from the bucket with `-d NAME=s3://bucket/prefix/`. Every answer equals Rerun's own local dataframe
API on the same files (the oracle of the other suites) and the answer for the files registered from local
disk. Bad input gets a clear error and the server stays up.
"""

from __future__ import annotations

import re

import pytest

from conftest import FIXTURES, ServerProcess
from rrdflight_server import S3PROXY_JAR, S3Proxy

rr = pytest.importorskip("rerun")
flightsql = pytest.importorskip("adbc_driver_flightsql.dbapi")

from rerun_views import assert_partition_equal, query, query_view, recordings_in, rerun_view  # noqa: E402

DATASET = FIXTURES / "dataset"
FILES = ["rec-dataset-01.rrd", "rec-dataset-02.rrd", "rec-dataset-03.rrd", "rec-dataset-04.rrd"]

pytestmark = [pytest.mark.skipif(not DATASET.is_dir(), reason="fixtures missing: run scripts/gen-fixtures"),
              pytest.mark.skipif(not S3PROXY_JAR.is_file(), reason="s3proxy jar missing: mvn generate-test-resources")]


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    store = S3Proxy(tmp_path_factory.mktemp("s3proxy"))
    for name in FILES:
        store.put("fleet", f"runs/{name}", DATASET / name)
        store.put("fleet", f"single/{name}", DATASET / name)
    yield store
    store.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory, s3):
    srv = ServerProcess(tmp_path_factory.mktemp("data"), "--s3-endpoint", s3.endpoint, "--allow-root", "s3://fleet/",
                        "-d", "served=s3://fleet/runs/", env=s3.credentials())
    yield srv
    srv.stop()


def client(server):
    return rr.catalog.CatalogClient(f"rerun+http://localhost:{server.port}")


def catalog_rows(server, dataset_name, index="time_1"):
    dataset = client(server).get_dataset_entry(name=dataset_name)
    table = dataset.dataframe_query_view(index=index, contents="/**").df().to_arrow_table()
    return table


def sorted_rows(table, index):
    return table.sort_by([("rerun_partition_id", "ascending"), (index, "ascending")]).to_pylist()


def test_objects_registered_one_by_one_equal_the_same_files_registered_locally(server):
    c = client(server)
    from_bucket = c.create_dataset(name="from_bucket")
    from_disk = c.create_dataset(name="from_disk")
    from_bucket.register_batch([f"s3://fleet/single/{name}" for name in FILES]).wait(120)
    from_disk.register_batch([f"file://{DATASET / name}" for name in FILES]).wait(120)
    urls = sorted(u for us in from_bucket.partition_table().df().to_arrow_table().column("rerun_storage_urls").to_pylist() for u in us)
    assert urls == [f"s3://fleet/single/{name}" for name in FILES]
    for index in ("time_1", "frame", "log_time"):
        assert sorted_rows(catalog_rows(server, "from_bucket", index), index) == sorted_rows(catalog_rows(server, "from_disk", index), index)
    from_bucket.delete()
    from_disk.delete()


def test_a_registered_prefix_equals_rerun_local_dataframe_api(server):
    dataset = client(server).create_dataset(name="prefix")
    dataset.register_prefix("s3://fleet/runs/").wait(120)
    assert sorted(dataset.partition_ids()) == [name.removesuffix(".rrd") for name in FILES]
    with flightsql.connect(server.grpc_uri, autocommit=True) as conn:
        for index in ("time_1", "frame"):
            for fill in (False, True):
                ours = query_view(conn, "prefix", index, "/**", fill=fill)
                for name in FILES:
                    (pid, rec), = recordings_in(DATASET / name).items()
                    assert_partition_equal(ours, pid, rerun_view(rec, index, "/**", fill=fill), f"s3 prefix {index} fill={fill}")
    dataset.delete()


def test_a_served_bucket_prefix_equals_rerun_local_dataframe_api(server):
    with flightsql.connect(server.grpc_uri, autocommit=True) as conn:
        ours = query_view(conn, "served", "time_3", "/**")
        for name in FILES:
            (pid, rec), = recordings_in(DATASET / name).items()
            assert_partition_equal(ours, pid, rerun_view(rec, "time_3", "/**"), "-d s3://")
        storage = query(conn, 'SELECT rerun_storage_url FROM "served".rerun.partitions').column(0).to_pylist()
        assert sorted(storage) == [f"s3://fleet/runs/{name}" for name in FILES]


def test_an_object_of_small_chunks_is_served_as_is_and_says_it_is_not_compacted(server, s3):
    small = FIXTURES / "small-chunks" / "small-chunks.rrd"
    s3.put("fleet", "small/small-chunks.rrd", small)
    dataset = client(server).create_dataset(name="small_object")
    dataset.register_batch(["s3://fleet/small/small-chunks.rrd"]).wait(120)
    with flightsql.connect(server.grpc_uri, autocommit=True) as conn:
        listed = query(conn, 'SELECT rerun_num_chunks, rrdflight_compaction FROM "small_object".rerun.partitions').to_pylist()
    assert listed[0]["rrdflight_compaction"] == "skipped" and listed[0]["rerun_num_chunks"] > 1000, listed
    assert any("is not compacted: only local files are" in line for line in server.lines), "\n".join(server.lines[-20:])
    (pid, rec), = recordings_in(small).items()
    mine = dataset.dataframe_query_view(index="frame", contents="/**").df().to_arrow_table()
    assert_partition_equal(mine.sort_by([("frame", "ascending")]), pid, rerun_view(rec, "frame", "/**").sort_by([("frame", "ascending")]),
                           "small-chunk object")
    dataset.delete()


def test_bad_object_urls_are_clear_errors_and_the_server_stays_up(server, s3, tmp_path):
    dataset = client(server).create_dataset(name="bad_objects")
    with pytest.raises(ValueError, match=re.escape("no object s3://fleet/runs/missing.rrd")):
        dataset.register("s3://fleet/runs/missing.rrd")
    with pytest.raises(PermissionError, match="is not under a prefix this server registers objects from"):
        dataset.register("s3://other-bucket/run.rrd")
    with pytest.raises(ValueError, match="is a prefix"):
        dataset.register("s3://fleet/runs/")
    not_rrd = tmp_path / "not.rrd"
    not_rrd.write_bytes(b"RRF2" + b"\0" * 100)
    s3.put("fleet", "bad/not.rrd", not_rrd)
    with pytest.raises(ValueError, match=re.escape("s3://fleet/bad/not.rrd")):
        dataset.register("s3://fleet/bad/not.rrd")
    # An object changed after registration: its ETag no longer matches.
    s3.put("fleet", "changing/run.rrd", DATASET / FILES[0])
    dataset.register("s3://fleet/changing/run.rrd")
    s3.put("fleet", "changing/run.rrd", DATASET / FILES[1])
    with flightsql.connect(server.grpc_uri, autocommit=True) as conn:
        with pytest.raises(Exception, match="changed since it was registered"):
            query(conn, 'SELECT COUNT(*) FROM "bad_objects".rerun.time_1')
        assert query(conn, "SELECT 1 AS answer").column(0).to_pylist() == [1]
    dataset.delete()


def test_wrong_credentials_are_named_and_the_server_stays_up(tmp_path, s3):
    srv = ServerProcess(tmp_path / "data", "--s3-endpoint", s3.endpoint, "--allow-root", "s3://fleet/",
                        env=s3.credentials(secret="not-the-secret"))
    try:
        dataset = client(srv).create_dataset(name="refused")
        with pytest.raises(PermissionError, match="refused the credentials") as info:
            dataset.register("s3://fleet/runs/rec-dataset-01.rrd")
        assert "not-the-secret" not in str(info.value)
        assert dataset.partition_ids() == []
    finally:
        assert srv.stop() is not None
