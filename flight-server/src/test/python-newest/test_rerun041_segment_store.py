"""rerun-sdk 0.41.0's `DatasetEntry.segment_store(...)` against rrdflight, compared with `rerun server` 0.41.0
from the same wheel: the manifest GetRrdManifest answers (the store's chunk index, which the viewer reads too),
and the store the client collects from it with FetchChunks.

Both servers register the same files: recordings written by rerun-sdk 0.27.3 (no footer; rrdflight builds their
manifest from the chunks), by 0.41.0 (a footer manifest, which both servers hand on) and by 0.23.4 (legacy
column names, indicator-only chunks), and one recording in a second layer. Exclusions name their entry in
KNOWN_DIFFERENCES: "chunk keys", "chunk counts and sizes" (for files without footer Rerun compacts chunks on load,
so those manifests are compared per entity: rows, time bounds and component counts over the entity's chunks),
"manifest application id".
"""

from __future__ import annotations

import pyarrow as pa
import pytest
from conftest import catalog_url, fixture_path, require_sdk
from known_differences import KNOWN_DIFFERENCES  # noqa: F401 (every exclusion below names one of its entries)
from table_compare import canonical, field_text

require_sdk(0, 41)

import rerun as rr  # noqa: E402

FILES = ["dataset/rec-dataset-01.rrd", "dataset/rec-dataset-04.rrd", "versions/rerun-0.23.4.rrd",
         "versions/rerun-0.27.3.rrd", "versions/rerun-0.41.0.rrd"]
WITH_FOOTER = "rec-version-0.41.0"
WITHOUT_FOOTER = ["rec-dataset-04", "rec-version-0.23.4", "rec-version-0.27.3"]
TWO_LAYERS = "rec-dataset-01"  # registered in layers "base" and "extra"
# KNOWN_DIFFERENCES["chunk keys"], ["chunk counts and sizes"].
DIFFERING = ["chunk_key", "chunk_byte_offset", "chunk_byte_size", "chunk_byte_size_uncompressed"]


@pytest.fixture(scope="module")
def stores(ours, theirs):
    """The dataset `stores` on rrdflight and on rerun server, in that order."""
    datasets = []
    for server in (ours, theirs):
        dataset = rr.catalog.CatalogClient(catalog_url(server)).create_dataset("stores")
        dataset.register([f"file://{fixture_path(f)}" for f in FILES]).wait(120)
        dataset.register([f"file://{fixture_path('dataset/rec-dataset-01.rrd')}"], layer_name="extra").wait(120)
        datasets.append(dataset)
    return datasets


def chunk_index(dataset, segment: str) -> pa.RecordBatch:
    """The manifest the client holds for a segment store (what GetRrdManifest answered, parts merged); its store
    id is left out (KNOWN_DIFFERENCES["manifest application id"])."""
    _store_id, batch = dataset.segment_store(segment)._internal._chunk_index()
    return pa.record_batch(batch)


def fields(batch: pa.RecordBatch) -> list[tuple]:
    return [field_text(f) for f in batch.schema]


def per_entity(batch: pa.RecordBatch) -> dict:
    """What a manifest says about each entity, whatever the chunking: rows, time bounds, component counts."""
    out: dict = {}
    records = batch.to_pylist()
    for name in batch.schema.names:
        if name in DIFFERING or name in ("chunk_id", "chunk_entity_path"):
            continue
        for row in records:
            key = (row["chunk_entity_path"], name)
            value = row[name]
            if value is None:
                continue
            if name.endswith(":start"):
                out[key] = min(out.get(key, value), value)
            elif name.endswith(":end"):
                out[key] = max(out.get(key, value), value)
            elif name.endswith(":has_static_data") or name == "chunk_is_static":
                out[key] = out.get(key, False) or value
            else:  # chunk_num_rows and :num_rows
                out[key] = out.get(key, 0) + value
    return out


def rows(table: pa.Table, index: str | None) -> tuple[list, list]:
    """A reader's table as its fields and its rows in a fixed order (by index, then by every value)."""
    table = canonical(table, [index] if index else [])
    return [field_text(f) for f in table.schema], sorted(repr(tuple(r.values())) for r in table.to_pylist())


def test_footer_manifest_equals_rerun_servers(stores):
    mine, theirs = (chunk_index(d, WITH_FOOTER) for d in stores)
    assert fields(mine) == fields(theirs)
    assert mine.num_rows == theirs.num_rows > 0
    for name in mine.schema.names:
        if name != "chunk_key":  # KNOWN_DIFFERENCES["chunk keys"]
            assert mine.column(name) == theirs.column(name), name


@pytest.mark.parametrize("segment", WITHOUT_FOOTER)
def test_built_manifest_says_what_rerun_servers_says_per_entity(stores, segment):
    mine, theirs = (chunk_index(d, segment) for d in stores)
    assert fields(mine) == fields(theirs)
    assert per_entity(mine) == per_entity(theirs)  # KNOWN_DIFFERENCES["chunk counts and sizes"]


def test_every_layer_of_a_segment_is_in_its_manifest(stores):
    mine, theirs = (chunk_index(d, TWO_LAYERS) for d in stores)
    assert fields(mine) == fields(theirs)
    assert mine.num_rows == theirs.num_rows
    assert sorted(mine.column("chunk_id").to_pylist()) == sorted(theirs.column("chunk_id").to_pylist())
    assert per_entity(mine) == per_entity(theirs)


@pytest.mark.parametrize("segment", [WITH_FOOTER, TWO_LAYERS, *WITHOUT_FOOTER])
def test_collected_store_holds_the_same_data_as_rerun_servers(stores, segment):
    collected = [d.segment_store(segment).stream().collect() for d in stores]
    schemas = [s.schema() for s in collected]
    assert schemas[0] == schemas[1]
    indexes = [c.name for c in schemas[1].index_columns()]
    assert indexes
    for index in [*indexes, None]:
        mine, theirs = (rows(s.reader(index=index).to_arrow_table(), index) for s in collected)
        assert mine == theirs, f"reader(index={index})"


def test_lazy_store_schema_and_size_equal_rerun_servers(stores):
    lazies = [d.segment_store(WITH_FOOTER) for d in stores]
    assert lazies[0].schema() == lazies[1].schema()
    assert len(lazies[0]) == len(lazies[1])
    assert lazies[0].summary() == lazies[1].summary()


def test_unknown_segment_fails_as_on_rerun_server(stores):
    errors = []
    for dataset in stores:
        with pytest.raises(Exception) as info:
            dataset.segment_store("no-such-segment")
        errors.append(type(info.value))
    assert errors[0] == errors[1]
