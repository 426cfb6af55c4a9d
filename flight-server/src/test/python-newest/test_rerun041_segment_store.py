"""rerun-sdk 0.41.0's `DatasetEntry.segment_store(...)` against rrdflight, compared with `rerun server` 0.41.0
from the same wheel: the manifest GetRrdManifest answers (the store's chunk index), and the store the client
collects from it with FetchChunks.

Run with the 0.41 venv: `.venvs/test-newest/bin/python -m pytest flight-server/src/test/python-newest/test_rerun041_segment_store.py`.

Both servers register the same files: recordings written by rerun-sdk 0.27.3 (no footer; rrdflight builds their
manifest from the chunks), by 0.41.0 (a footer manifest, which both servers hand on) and by 0.23.4 (legacy
column names). What differs by design, and is left out of the comparisons by name:
- "chunk keys": opaque to the client, each server's own;
- "chunk sizes and offsets": Rerun re-encodes files without footer in memory and reports its heap layout;
  rrdflight reports the chunk's bytes in the file and the size of its decoded Arrow buffers;
- "chunking": for files without footer Rerun compacts small chunks on load, so their manifests are compared
  per entity (rows, time ranges and component counts summed over the entity's chunks), not chunk by chunk;
- "application id": Rerun's manifest names the store's application "none", rrdflight the recording's own.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))
from rrdflight_server import FIXTURES, ListeningProcess, ServerProcess  # noqa: E402

rerun = pytest.importorskip("rerun")
if tuple(int(p) for p in rerun.__version__.split(".")[:2]) != (0, 41):
    pytest.skip(f"needs rerun-sdk 0.41.x, this venv has {rerun.__version__}", allow_module_level=True)

import rerun_cli  # noqa: E402

FILES = ["dataset/rec-dataset-01.rrd", "dataset/rec-dataset-04.rrd", "versions/rerun-0.23.4.rrd",
         "versions/rerun-0.27.3.rrd", "versions/rerun-0.41.0.rrd"]
WITH_FOOTER = "rec-version-0.41.0"
WITHOUT_FOOTER = ["rec-dataset-04", "rec-version-0.23.4", "rec-version-0.27.3"]
TWO_LAYERS = "rec-dataset-01"  # registered in layers "base" and "extra"
DIFFERING = ["chunk_key", "chunk_byte_offset", "chunk_byte_size", "chunk_byte_size_uncompressed"]


class RerunServer041(ListeningProcess):
    """`rerun server` 0.41.0 from this venv's wheel, on an ephemeral port of 127.0.0.1."""

    def __init__(self) -> None:
        binary = Path(rerun_cli.__file__).parent / "rerun"
        super().__init__([str(binary), "server", "--host", "127.0.0.1", "--port", "0"],
                         r"Listening on [^\s:]+:(\d+)", "Ready for connections", "rerun server")


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """The dataset `stores` on rrdflight and on rerun server, in that order."""
    servers = [ServerProcess(tmp_path_factory.mktemp("rrdflight-data")), RerunServer041()]
    datasets = []
    try:
        for server in servers:
            dataset = rerun.catalog.CatalogClient(f"rerun+http://127.0.0.1:{server.port}").create_dataset("stores")
            dataset.register([f"file://{FIXTURES / f}" for f in FILES]).wait(120)
            dataset.register([f"file://{FIXTURES / 'dataset/rec-dataset-01.rrd'}"], layer_name="extra").wait(120)
            datasets.append(dataset)
        yield datasets
    finally:
        for server in servers:
            server.stop()


def chunk_index(dataset, segment: str) -> pa.RecordBatch:
    """The manifest the client holds for a segment store (what GetRrdManifest answered, parts merged)."""
    _store_id, batch = dataset.segment_store(segment)._internal._chunk_index()
    return pa.record_batch(batch)


def fields(batch: pa.RecordBatch) -> list[tuple]:
    return [(f.name, str(f.type), f.nullable, sorted((f.metadata or {}).items())) for f in batch.schema]


def per_entity(batch: pa.RecordBatch) -> dict:
    """What a manifest says about each entity, whatever the chunking: rows, time bounds, component counts."""
    out: dict = {}
    rows = batch.to_pylist()
    for name in batch.schema.names:
        if name in DIFFERING or name in ("chunk_id", "chunk_entity_path"):
            continue
        for row in rows:
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


def canonical(table: pa.Table) -> tuple[list, list]:
    """A table as its fields (sorted by name) and its rows (sorted): readers do not promise an order."""
    table = table.select(sorted(table.column_names))
    return ([(f.name, str(f.type), sorted((f.metadata or {}).items())) for f in table.schema],
            sorted(repr(tuple(r.values())) for r in table.to_pylist()))


def test_footer_manifest_equals_rerun_servers(pair):
    mine, theirs = (chunk_index(d, WITH_FOOTER) for d in pair)
    assert fields(mine) == fields(theirs)
    assert mine.num_rows == theirs.num_rows > 0
    for name in mine.schema.names:
        if name != "chunk_key":  # "chunk keys"
            assert mine.column(name) == theirs.column(name), name


@pytest.mark.parametrize("segment", WITHOUT_FOOTER)
def test_built_manifest_says_what_rerun_servers_says_per_entity(pair, segment):
    mine, theirs = (chunk_index(d, segment) for d in pair)
    assert fields(mine) == fields(theirs)
    assert per_entity(mine) == per_entity(theirs)  # "chunking", "chunk sizes and offsets"


def test_every_layer_of_a_segment_is_in_its_manifest(pair):
    mine, theirs = (chunk_index(d, TWO_LAYERS) for d in pair)
    assert fields(mine) == fields(theirs)
    assert mine.num_rows == theirs.num_rows
    assert sorted(mine.column("chunk_id").to_pylist()) == sorted(theirs.column("chunk_id").to_pylist())
    assert per_entity(mine) == per_entity(theirs)


@pytest.mark.parametrize("segment", [WITH_FOOTER, TWO_LAYERS, *WITHOUT_FOOTER])
def test_collected_store_holds_the_same_data_as_rerun_servers(pair, segment):
    stores = [d.segment_store(segment).stream().collect() for d in pair]
    schemas = [s.schema() for s in stores]
    assert schemas[0] == schemas[1]
    indexes = [c.name for c in schemas[1].index_columns()]
    assert indexes
    for index in [*indexes, None]:
        mine, theirs = (canonical(s.reader(index=index).to_arrow_table()) for s in stores)
        assert mine == theirs, f"reader(index={index})"


def test_lazy_store_schema_and_size_equal_rerun_servers(pair):
    lazies = [d.segment_store(WITH_FOOTER) for d in pair]
    assert lazies[0].schema() == lazies[1].schema()
    assert len(lazies[0]) == len(lazies[1])
    assert lazies[0].summary() == lazies[1].summary()


def test_unknown_segment_fails_as_on_rerun_server(pair):
    errors = []
    for dataset in pair:
        with pytest.raises(Exception) as info:
            dataset.segment_store("no-such-segment")
        errors.append(type(info.value))
    assert errors[0] == errors[1]


def test_segment_url_names_the_segment_as_on_rerun_server(pair):
    urls = []
    for dataset in pair:
        url = dataset.segment_url(WITH_FOOTER, "frame", 1, 5)
        urls.append(url.split(f"/dataset/{dataset.id}", 1)[1])  # host, port and entry id are each server's own
    assert urls[0] == urls[1] == f"?segment_id={WITH_FOOTER}#when=frame@1&time_selection=frame@1..5"
