"""rerun-sdk 0.36.3, a middle version between 0.27.3 and the newest, against rrdflight and `rerun server`
0.36.3 from the same wheel: the seed-equivalent workflow only. 0.36 reads through QueryDataset (it knows no
FindChunks) and sends no x-rerun-client-id; otherwise its calls are 0.41's (wire-0.41.md §3).
Deliberate differences are named in known_differences.KNOWN_DIFFERENCES.
"""

from __future__ import annotations

import pyarrow as pa
import pytest
from conftest import SELF_CHECK, catalog_url, fixture_path, require_sdk
from known_differences import KNOWN_DIFFERENCES  # noqa: F401 (every exclusion below names one of its entries)
from table_compare import assert_tables_equal, canonical

require_sdk(0, 36)

import rerun as rr  # noqa: E402
from datafusion import col, lit  # noqa: E402

FILES = ["dataset/rec-dataset-01.rrd", "dataset/rec-dataset-02.rrd", "dataset/rec-dataset-04.rrd", "versions/rerun-0.41.0.rrd"]
SEGMENT = "rec-dataset-04"
# KNOWN_DIFFERENCES "timestamps", "chunk counts and sizes", "storage URLs (0.36)".
DIFFERING_SEGMENT_COLUMNS = ["rerun_last_updated_at", "rerun_num_chunks", "rerun_size_bytes", "rerun_storage_urls"]


def seed_workflow(server, window: tuple[int, int] | None) -> dict:
    """Connect, create, register, wait, list, then one segment's 10% log_time window with fill_latest_at, to pandas."""
    client = rr.catalog.CatalogClient(catalog_url(server))
    dataset = client.create_dataset(name="oss_demo")
    assert client.get_dataset(name="oss_demo").id == dataset.id
    out = {"registered": dataset.register([f"file://{fixture_path(p)}" for p in FILES]).wait(120).segment_ids,
           "segment_ids": sorted(dataset.segment_ids()),
           "segment_table": dataset.segment_table().to_arrow_table()}
    if window is None:  # only find the window, on the reference
        times = dataset.filter_segments(SEGMENT).reader(index="log_time").to_arrow_table().column("log_time")
        values = sorted(set(times.drop_null().cast(pa.int64()).to_pylist()))
        out["window"] = values[int(len(values) * 0.45)], values[int(len(values) * 0.55)]
    else:
        start, end = window
        df = (dataset.filter_segments(SEGMENT)
              .reader(index="log_time", fill_latest_at=True)
              .filter((col("log_time") >= lit(pa.scalar(start, pa.timestamp("ns"))))
                      & (col("log_time") <= lit(pa.scalar(end, pa.timestamp("ns"))))))
        out["pandas"] = df.to_pandas()
        out["arrow"] = df.to_arrow_table()
        out["static"] = dataset.reader(index=None).to_arrow_table()
        out["resampled"] = dataset.reader(index="frame", using_index_values={SEGMENT: [0, 99, 250, 10_000]}, fill_latest_at=True).to_arrow_table()
    dataset.delete()
    out["dataset_names_after_delete"] = client.dataset_names()
    return out


@pytest.fixture(scope="module")
def seeded(ours, theirs):
    window = seed_workflow(theirs, None)["window"]
    return seed_workflow(ours, window), seed_workflow(theirs, window), window


def test_seed_workflow_reads_one_segment_window_on_rrdflight(seeded):
    mine, _, (start, end) = seeded
    table = mine["arrow"]
    assert table.num_rows > 0
    assert set(table.column("rerun_segment_id").to_pylist()) == {SEGMENT}
    times = table.column("log_time").cast(pa.int64()).to_pylist()
    assert min(times) >= start and max(times) <= end
    assert len(mine["pandas"]) == table.num_rows
    if not SELF_CHECK:  # KNOWN_DIFFERENCES["storage URLs (0.36)"]: rrdflight names the registered file
        assert all(urls[0].startswith("file://") for urls in mine["segment_table"].column("rerun_storage_urls").to_pylist())


def test_seed_registrations_and_listings_equal_rerun_server(seeded):
    mine, reference, _ = seeded
    assert mine["registered"] == reference["registered"]
    assert mine["segment_ids"] == reference["segment_ids"]
    assert [n for n in mine["dataset_names_after_delete"] if not n.startswith("__")] == \
        [n for n in reference["dataset_names_after_delete"] if not n.startswith("__")]


def test_seed_segment_table_equals_rerun_server(seeded):
    mine, reference, _ = seeded
    for name in DIFFERING_SEGMENT_COLUMNS:
        assert mine["segment_table"].schema.field(name) == reference["segment_table"].schema.field(name), f"type of {name}"
    assert_tables_equal(canonical(mine["segment_table"].drop_columns(DIFFERING_SEGMENT_COLUMNS), ["rerun_segment_id"]),
                        canonical(reference["segment_table"].drop_columns(DIFFERING_SEGMENT_COLUMNS), ["rerun_segment_id"]),
                        "segment_table()", check_field_metadata=True)


def test_seed_window_equals_rerun_server(seeded):
    mine, reference, _ = seeded
    keys = ["rerun_segment_id", "log_time"]
    assert_tables_equal(canonical(mine["arrow"], keys), canonical(reference["arrow"], keys), "to_arrow_table()", check_field_metadata=True)
    assert_tables_equal(canonical(pa.Table.from_pandas(mine["pandas"], preserve_index=False), keys),
                        canonical(pa.Table.from_pandas(reference["pandas"], preserve_index=False), keys), "to_pandas()")


@pytest.mark.parametrize("what", ["static", "resampled"])
def test_static_and_resampled_readers_equal_rerun_server(seeded, what):
    mine, reference, _ = seeded
    keys = ["rerun_segment_id"] + (["frame"] if what == "resampled" else [])
    assert reference[what].num_rows > 0
    assert_tables_equal(canonical(mine[what], keys), canonical(reference[what], keys), what)


def test_duplicate_registration_fails_as_on_rerun_server(ours, theirs):
    # 0.36 servers reject a duplicate segment layer for the whole call (0.41 reports it per segment).
    kinds = []
    for server in (ours, theirs):
        dataset = rr.catalog.CatalogClient(catalog_url(server)).create_dataset("twice")
        dataset.register([f"file://{fixture_path(FILES[0])}"]).wait(60)
        with pytest.raises(Exception) as info:
            dataset.register([f"file://{fixture_path(FILES[0])}"]).wait(60)
        kinds.append(type(info.value).__name__)
        dataset.delete()
    assert kinds[0] == kinds[1]
