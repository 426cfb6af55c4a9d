"""rerun-sdk 0.41.0 registering recordings in S3-compatible object storage (a real s3proxy process).

The same fixture files are put in a bucket and registered by s3:// URL and as an s3:// prefix; what the
0.41 reader returns for them equals what it returns for the files registered from local disk (which the
catalog suite holds to `rerun server` 0.41.0), and the 0.41 `register(..., object_store_config=...)` is
refused with a message saying where rrdflight takes its object-store settings from.
"""

from __future__ import annotations

import pytest

from conftest import ServerProcess, catalog_url, fixture_path, require_sdk
from rrdflight_server import S3PROXY_JAR, S3Proxy

require_sdk(0, 41)

import rerun as rr  # noqa: E402

FILES = ["dataset/rec-dataset-01.rrd", "dataset/rec-dataset-02.rrd", "versions/rerun-0.41.0.rrd"]

pytestmark = pytest.mark.skipif(not S3PROXY_JAR.is_file(), reason="s3proxy jar missing: mvn generate-test-resources")


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    store = S3Proxy(tmp_path_factory.mktemp("s3proxy"))
    for relative in FILES:
        store.put("fleet", f"runs/{relative.split('/')[-1]}", fixture_path(relative))
    yield store
    store.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory, s3):
    srv = ServerProcess(tmp_path_factory.mktemp("data"), "--s3-endpoint", s3.endpoint, "--allow-root", "s3://fleet/",
                        env=s3.credentials())
    yield srv
    srv.stop()


def table(dataset, index):
    return dataset.reader(index=index, fill_latest_at=True).to_arrow_table().sort_by(
        [("rerun_segment_id", "ascending"), (index, "ascending")])


def test_objects_read_as_the_same_files_from_disk(server):
    client = rr.catalog.CatalogClient(catalog_url(server))
    from_bucket = client.create_dataset("from_bucket")
    from_disk = client.create_dataset("from_disk")
    registered = from_bucket.register([f"s3://fleet/runs/{r.split('/')[-1]}" for r in FILES]).wait(120).segment_ids
    from_disk.register([f"file://{fixture_path(r)}" for r in FILES]).wait(120)
    assert sorted(registered) == sorted(from_disk.segment_ids())
    for index in ("log_time", "frame"):
        ours, reference = table(from_bucket, index), table(from_disk, index)
        assert ours.num_rows == reference.num_rows > 0
        assert ours.select(sorted(ours.column_names)).to_pylist() == reference.select(sorted(reference.column_names)).to_pylist()
    from_bucket.delete()
    from_disk.delete()


def test_a_prefix_names_its_segments_in_the_answer(server):
    dataset = rr.catalog.CatalogClient(catalog_url(server)).create_dataset("prefixed")
    registered = dataset.register_prefix("s3://fleet/runs/").wait(120).segment_ids
    assert sorted(registered) == sorted(dataset.segment_ids()) == ["rec-dataset-01", "rec-dataset-02", "rec-version-0.41.0"]
    dataset.delete()


def test_a_client_object_store_config_is_refused_naming_the_servers_own(server):
    dataset = rr.catalog.CatalogClient(catalog_url(server)).create_dataset("configured")
    with pytest.raises(Exception, match="not a client's object_store_config"):
        dataset.register(["s3://fleet/runs/rec-dataset-01.rrd"], object_store_config='{"endpoint": "http://elsewhere"}').wait(60)
    with pytest.raises(Exception, match="no object s3://fleet/runs/missing.rrd"):
        dataset.register(["s3://fleet/runs/missing.rrd"]).wait(60)
    assert dataset.segment_ids() == []
    dataset.delete()
