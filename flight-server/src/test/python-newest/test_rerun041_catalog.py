"""rerun-sdk 0.41.0's CatalogClient against rrdflight, compared call by call with `rerun server` 0.41.0 from
the same wheel.

Both servers run as real processes on 127.0.0.1 and get the same datasets by registering the same fixture
files (recordings written by rerun-sdk 0.27.3 without a footer, and by 0.41.0 with one). Every call of the
0.41 Python API runs against each, and what it returns is compared: rows, values, column names, Arrow
types (nested field names included) and, where the SDK passes them on, field metadata. What may
legitimately differ is removed explicitly, by name, in `KNOWN_DIFFERENCES`; nothing else is normalised.
The wire facts behind this suite are in the capture notes (wire-0.41.md).
"""

from __future__ import annotations

import re
import shutil
from contextlib import suppress

import numpy as np
import pyarrow as pa
import pytest
from conftest import SELF_CHECK, RerunServer, ServerProcess, catalog_url, fixture_path, require_sdk
from known_differences import KNOWN_DIFFERENCES  # noqa: F401 (every exclusion below names one of its entries)
from table_compare import assert_tables_equal, canonical, field_text

require_sdk(0, 41)

import rerun as rr  # noqa: E402
import rerun.blueprint as rrb  # noqa: E402
from datafusion import col, lit  # noqa: E402
from datafusion import functions as F  # noqa: E402

# The datasets both servers get: four 0.27.3 recordings without a footer and the 0.41.0 one with it.
DATASET_FILES = ["dataset/rec-dataset-01.rrd", "dataset/rec-dataset-02.rrd", "dataset/rec-dataset-03.rrd",
                 "dataset/rec-dataset-04.rrd", "versions/rerun-0.41.0.rrd"]
DIFFERING_SEGMENT_COLUMNS = ["rerun_last_updated_at", "rerun_num_chunks", "rerun_size_bytes"]  # "timestamps", "chunk counts and sizes"
DIFFERING_MANIFEST_COLUMNS = ["rerun_registration_time", "rerun_last_updated_at", "rerun_num_chunks", "rerun_size_bytes",
                              "rerun_schema_sha256"]  # "timestamps", "chunk counts and sizes", "schema hash"


def client_for(server) -> rr.catalog.CatalogClient:
    return rr.catalog.CatalogClient(catalog_url(server))


def urls(relatives: list[str]) -> list[str]:
    return [f"file://{fixture_path(r)}" for r in relatives]


def visible(names) -> list[str]:
    return sorted(n for n in names if not n.startswith("__"))


def ns(value: int, index: str):
    """A DataFusion literal of the index column's type."""
    arrow_type = {"log_time": pa.timestamp("ns"), "time_1": pa.timestamp("ns"), "wall": pa.timestamp("ns"),
                  "wall_clock": pa.timestamp("ns"), "time_2": pa.duration("ns"), "sim_time": pa.duration("ns")}
    return lit(pa.scalar(value, arrow_type.get(index, pa.int64())))


def between(index: str, start: int, end: int):
    return (col(index) >= ns(start, index)) & (col(index) <= ns(end, index))


def schema_fields(schema: pa.Schema) -> list[tuple]:
    return sorted(field_text(f) for f in schema)


@pytest.fixture(scope="module")
def pair(ours, theirs):
    """The dataset `newest` on both servers: DATASET_FILES in layer `base`, rec-dataset-01 again in layer `extra`."""
    out = []
    for server in (ours, theirs):
        dataset = client_for(server).create_dataset("newest")
        dataset.register(urls(DATASET_FILES)).wait(120)
        dataset.register(urls(["dataset/rec-dataset-01.rrd"]), layer_name="extra").wait(120)
        out.append(dataset)
    return out


@pytest.fixture(autouse=True)
def no_dataset_outlives_its_test(ours, theirs):
    """A test that fails half-way leaves its datasets behind; they are deleted so that the listings of later
    tests hold only what those tests made (and `pair`'s dataset, which the whole module shares)."""
    yield
    for server in (ours, theirs):
        with suppress(Exception):
            for entry in client_for(server).datasets():
                if entry.name != "newest":
                    with suppress(Exception):
                        entry.delete()


def index_values(dataset, segment: str, index: str) -> list[int]:
    """The distinct values of `index` in one segment, as Rerun's server answers them."""
    column = dataset.filter_segments(segment).reader(index=index).to_arrow_table().column(index)
    return sorted(set(column.drop_null().cast(pa.int64()).to_pylist()))


# --- the seed-equivalent workflow ------------------------------------------------------------------------------


def seed_workflow(server, segment: str, window: tuple[int, int]) -> dict:
    """The seed workflow written for 0.41: one segment, a 10% log_time window, fill_latest_at, to pandas."""
    start, end = window
    client = rr.catalog.CatalogClient(catalog_url(server))
    dataset = client.create_dataset(name="oss_demo")
    assert client.get_dataset(name="oss_demo").id == dataset.id
    registered = dataset.register(urls(DATASET_FILES)).wait(120).segment_ids
    df = (dataset.filter_segments(segment)
          .reader(index="log_time", fill_latest_at=True)
          .filter((col("log_time") >= lit(pa.scalar(start, pa.timestamp("ns"))))
                  & (col("log_time") <= lit(pa.scalar(end, pa.timestamp("ns"))))))
    out = {
        "registered": registered,
        "pandas": df.to_pandas(),
        "arrow": df.to_arrow_table(),
        "dataset_names": client.dataset_names(),
        "entry_names": client.entry_names(),
        "segment_ids": sorted(dataset.segment_ids()),
    }
    dataset.delete()
    out["dataset_names_after_delete"] = client.dataset_names()
    return out


SEED_SEGMENTS = ["rec-dataset-04", "rec-version-0.41.0"]  # without and with the 0.28+ footer


@pytest.fixture(scope="module", params=SEED_SEGMENTS)
def seeded(request, ours, theirs, pair):
    segment = request.param
    values = index_values(pair[1], segment, "log_time")
    assert len(values) >= 20, f"{segment} has too few log_time values for a 10% window"
    window = values[int(len(values) * 0.45)], values[int(len(values) * 0.55)]
    return seed_workflow(ours, segment, window), seed_workflow(theirs, segment, window), segment, window


def test_seed_workflow_registers_and_reads_one_segment_on_rrdflight(seeded):
    mine, _, segment, (start, end) = seeded
    assert sorted(mine["registered"]) == mine["segment_ids"]
    table = mine["arrow"]
    assert table.num_rows > 0
    assert table.column_names[0] == "rerun_segment_id"
    assert set(table.column("rerun_segment_id").to_pylist()) == {segment}
    times = table.column("log_time").cast(pa.int64()).to_pylist()
    assert min(times) >= start and max(times) <= end
    assert "oss_demo" in mine["dataset_names"] and "oss_demo" not in mine["dataset_names_after_delete"]
    assert len(mine["pandas"]) == table.num_rows


def test_seed_workflow_window_equals_rerun_server(seeded):
    mine, reference, _, _ = seeded
    keys = ["rerun_segment_id", "log_time"]
    assert_tables_equal(canonical(mine["arrow"], keys), canonical(reference["arrow"], keys), "to_arrow_table()",
                        check_field_metadata=True)
    assert_tables_equal(canonical(pa.Table.from_pandas(mine["pandas"], preserve_index=False), keys),
                        canonical(pa.Table.from_pandas(reference["pandas"], preserve_index=False), keys), "to_pandas()")


def test_seed_workflow_registrations_and_listings_equal_rerun_server(seeded):
    mine, reference, _, _ = seeded
    assert mine["registered"] == reference["registered"]
    assert mine["segment_ids"] == reference["segment_ids"]
    assert visible(mine["dataset_names"]) == visible(reference["dataset_names"])
    assert visible(mine["entry_names"]) == visible(reference["entry_names"])
    assert visible(mine["dataset_names_after_delete"]) == visible(reference["dataset_names_after_delete"])


# --- connecting and listing -----------------------------------------------------------------------------------


def test_version_info_announces_the_same_features(ours, theirs):
    features = [sorted(client_for(server).version_info().features) for server in (ours, theirs)]
    assert features[0] == features[1]


def test_listings_equal_rerun_server(ours, theirs, pair):
    seen = []
    for server in (ours, theirs):
        client = client_for(server)
        seen.append({
            "entries": sorted((e.name, str(e.kind)) for e in client.entries()),
            "datasets": sorted(e.name for e in client.datasets()),
            "tables": sorted(e.name for e in client.tables()),
            "entry_names": sorted(client.entry_names()),
            "dataset_names": sorted(client.dataset_names()),
            "table_names": sorted(client.table_names()),
        })
    assert seen[0] == seen[1]
    assert "newest" in seen[0]["dataset_names"]


def test_hidden_entries_are_the_same_kinds_as_rerun_servers(ours, theirs, pair):
    kinds = []
    for server in (ours, theirs):
        entries = client_for(server).entries(include_hidden=True)
        # KNOWN_DIFFERENCES["entry ids"] (in the names of __bp_ and __as_ entries).
        kinds.append(sorted((re.sub(r"[0-9A-Fa-f]{32}$", "<id>", e.name), str(e.kind)) for e in entries))
    assert kinds[0] == kinds[1]
    assert ("__bp_<id>", "EntryKind.BLUEPRINT_DATASET") in kinds[0]
    assert ("__as_<id>", "EntryKind.ASSET_DATASET") in kinds[0]
    assert ("__entries", "EntryKind.TABLE") in kinds[0]


def test_entries_table_equals_rerun_servers(ours, theirs, pair):
    clients = [client_for(server) for server in (ours, theirs)]  # a reader needs its client's session alive
    tables = [client.get_table(name="__entries").reader().to_arrow_table() for client in clients]
    assert [field_text(f) for f in tables[0].schema] == [field_text(f) for f in tables[1].schema]

    def rows(table):
        # KNOWN_DIFFERENCES["entry ids"], ["timestamps"].
        return sorted((re.sub(r"[0-9A-Fa-f]{32}$", "<id>", r["name"]), r["entry_kind"]) for r in table.select(["name", "entry_kind"]).to_pylist())

    assert rows(tables[0]) == rows(tables[1])


def test_get_dataset_by_name_and_by_id(ours, theirs, pair):
    for server, dataset in zip((ours, theirs), pair):
        client = client_for(server)
        by_name = client.get_dataset(name="newest")
        by_id = client.get_dataset(id=by_name.id)
        assert by_name.id == dataset.id == by_id.id
        assert by_id.name == "newest"
        assert str(by_id.kind) == "EntryKind.DATASET"


def test_create_dataset_exist_ok_returns_the_existing_entry(ours, theirs):
    for server in (ours, theirs):
        client = client_for(server)
        first = client.create_dataset("twice_ok")
        again = client.create_dataset("twice_ok", exist_ok=True)
        fresh = client.create_dataset("fresh_ok", exist_ok=True)
        assert again.id == first.id
        assert fresh.name == "fresh_ok"
        first.delete()
        fresh.delete()


# --- errors the SDK maps, with messages a user can act on ------------------------------------------------------


def errors_of(server, tmp_path) -> dict:
    """The exception type of each mistake, and whether its message names what was wrong."""
    client = client_for(server)
    out = {}

    def expect(name, call, says):
        with pytest.raises(Exception) as info:
            call()
        out[name] = (type(info.value).__name__, says in str(info.value))

    dataset = client.create_dataset("errors")
    expect("create existing name", lambda: client.create_dataset("errors"), "errors")
    expect("missing name", lambda: client.get_dataset(name="no_such_dataset"), "no_such_dataset")
    expect("missing id", lambda: client.get_dataset(id="1860390B087BC65F602d68eb646c385c"), "1860390B087BC65F602d68eb646c385c")
    missing = tmp_path / "no-such-run.rrd"  # below an allowed root of the test server
    expect("missing file", lambda: dataset.register([f"file://{missing}"]).wait(60), str(missing))
    expect("outside the allowed roots", lambda: dataset.register(["file:///no/such/run.rrd"]).wait(60), "/no/such/run.rrd")
    expect("relative file URL", lambda: dataset.register(["file://relative/run.rrd"]).wait(60), "relative")
    expect("unsupported scheme", lambda: dataset.register(["s3://bucket/run.rrd"]).wait(60), "s3://bucket/run.rrd")
    bad = tmp_path / "not_a_recording.rrd"
    bad.write_bytes(b"RRF2" + b"\0" * 100)
    expect("not a recording", lambda: dataset.register([f"file://{bad}"]).wait(60), "")
    dataset.register(urls(["dataset/rec-dataset-01.rrd"])).wait(60)
    expect("duplicate segment layer", lambda: dataset.register(urls(["dataset/rec-dataset-01.rrd"])).wait(60), "rec-dataset-01")
    expect("unregister nothing", lambda: dataset.unregister(segments_to_drop=[], layers_to_drop=[]).wait(60), "")
    dataset.delete()
    expect("deleted id", lambda: client.get_dataset(id=dataset.id), str(dataset.id))
    return out


def test_errors_are_the_same_exceptions_as_rerun_servers(ours, theirs, tmp_path):
    mine, reference = errors_of(ours, tmp_path), errors_of(theirs, tmp_path)
    # KNOWN_DIFFERENCES["unsupported URL scheme"], ["file URL with a host"], ["allowed roots"]
    deliberate = {"unsupported scheme", "relative file URL", "outside the allowed roots"}
    assert mine["outside the allowed roots"][0] == "PermissionError"
    assert {k: v[0] for k, v in mine.items() if k not in deliberate} == {k: v[0] for k, v in reference.items() if k not in deliberate}
    # Rerun's own choices, which these tests pin so that a change in a later SDK shows up here.
    assert reference["create existing name"][0] == "AlreadyExistsError"
    assert reference["missing name"][0] == "LookupError"
    assert reference["missing id"][0] == "NotFoundError"
    assert reference["missing file"][0] == "NotFoundError"
    assert reference["duplicate segment layer"][0] == "ValueError"


def test_error_messages_name_what_was_wrong(ours, tmp_path):
    unnamed = [name for name, (_, names_it) in errors_of(ours, tmp_path).items() if not names_it]
    assert unnamed == [], f"rrdflight's messages do not name the culprit for: {unnamed}"


def test_duplicate_registration_is_reported_per_segment(ours, theirs):
    results = []
    for server in (ours, theirs):
        dataset = client_for(server).create_dataset("duplicates")
        dataset.register(urls(["dataset/rec-dataset-02.rrd"])).wait(60)
        outcome = [(r.segment_id, r.is_error) for r in
                   dataset.register(urls(["dataset/rec-dataset-02.rrd", "dataset/rec-dataset-03.rrd"])).iter_results(60)]
        skip = dataset.register(urls(["dataset/rec-dataset-02.rrd"]), on_duplicate=rr.catalog.OnDuplicateSegmentLayer.SKIP).wait(60)
        replace = dataset.register(urls(["dataset/rec-dataset-02.rrd"]),
                                   on_duplicate=rr.catalog.OnDuplicateSegmentLayer.REPLACE).wait(60)
        results.append((sorted(outcome), skip.segment_ids, replace.segment_ids, sorted(dataset.segment_ids())))
        dataset.delete()
    assert results[0] == results[1]
    assert results[1][0] == [("rec-dataset-02", True), ("rec-dataset-03", False)]


def registration_refusals_of(server, tmp_path) -> dict:
    """What a registration call that names nothing to register, a file as a prefix, one segment layer twice or one
    the dataset holds raises: its type and its message."""
    dataset = client_for(server).create_dataset("refusals")
    empty = tmp_path / "empty-prefix"
    empty.mkdir(exist_ok=True)
    dataset.register(urls(["dataset/rec-dataset-02.rrd"])).wait(60)
    calls = {
        "no data sources": lambda: dataset.register([]),
        "prefix without recordings": lambda: dataset.register_prefix(f"file://{empty}"),
        "a file as prefix": lambda: dataset.register_prefix(urls(["dataset/rec-dataset-01.rrd"])[0]),
        "a segment layer the dataset holds": lambda: dataset.register(urls(["dataset/rec-dataset-02.rrd"])),
        "the same file twice": lambda: dataset.register(urls(["dataset/rec-dataset-01.rrd"] * 2)),
        "the same file twice, skip": lambda: dataset.register(urls(["dataset/rec-dataset-01.rrd"] * 2),
                                                             on_duplicate=rr.catalog.OnDuplicateSegmentLayer.SKIP),
    }
    out = {}
    for name, call in calls.items():
        with pytest.raises(Exception) as info:
            call().wait(60)
        out[name] = (type(info.value).__name__, str(info.value))
    out["registered"] = dataset.segment_ids()
    dataset.delete()
    return out


def test_a_registration_naming_nothing_or_one_segment_twice_is_refused_as_by_rerun_server(ours, theirs, tmp_path):
    mine, reference = registration_refusals_of(ours, tmp_path), registration_refusals_of(theirs, tmp_path)
    assert mine["registered"] == reference["registered"] == ["rec-dataset-02"]
    phrases = {"no data sources": "no data sources to register", "prefix without recordings": "no rrd files found",
               "a file as prefix": "expected prefix / directory but got an object",
               "a segment layer the dataset holds": "already exists",
               "the same file twice": "duplicate segment layers in request",
               "the same file twice, skip": "duplicate segment layers in request"}
    for name, phrase in phrases.items():
        assert mine[name][0] == reference[name][0], f"{name}: ours {mine[name]}, rerun {reference[name]}"
        assert phrase in reference[name][1], f"rerun server's wording changed for {name}: {reference[name][1]}"
        assert phrase in mine[name][1], f"{name}: {mine[name][1]}"
    assert "rec-dataset-01" in mine["the same file twice"][1]


def test_a_recording_whose_column_type_differs_fails_its_task_as_on_rerun_server(ours, theirs, tmp_path):
    paths = []
    for i, arrow_type in enumerate([pa.int32(), pa.int64(), pa.null()]):
        paths.append(tmp_path / f"types-{i}.rrd")
        with rr.RecordingStream("rerun_example_types", recording_id=f"types-{i}") as rec:
            rec.save(paths[-1])
            rec.set_time("frame", sequence=1)
            rec.log("/data", rr.AnyValues(value=pa.array([None] if arrow_type == pa.null() else [i], type=arrow_type)))
    outcomes = []
    for server in (ours, theirs):
        dataset = client_for(server).create_dataset("types")
        dataset.register([f"file://{paths[0]}"]).wait(60)
        with pytest.raises(ValueError) as refused:
            dataset.register([f"file://{paths[1]}"]).wait(60)
        dataset.register([f"file://{paths[2]}"]).wait(60)  # an all-null column merges with any type
        outcomes.append((sorted(dataset.segment_ids()), str(refused.value),
                         [f.type for f in dataset.schema().to_arrow() if f.name == "/data:value"]))
        dataset.delete()
    (mine, my_message, my_type), (reference, their_message, their_type) = outcomes
    assert mine == reference == ["types-0", "types-2"]
    assert my_type == their_type == [pa.list_(pa.int32())]
    assert "schema incompatibility" in their_message, their_message
    assert "schema incompatibility on segment 'types-1', layer 'base': column /data:value" in my_message, my_message


def test_a_dictionary_encoded_column_is_described_and_read_as_by_rerun_server(ours, theirs, tmp_path):
    path = tmp_path / "dictionary.rrd"
    with rr.RecordingStream("rerun_example_dictionary", recording_id="dictionary") as rec:
        rec.save(path)
        for frame, labels in enumerate([["a", "b", None], ["b"], ["c", "a"]]):
            rec.set_time("frame", sequence=frame)
            rec.log("/labels", rr.AnyValues(label=pa.array(labels, type=pa.dictionary(pa.int32(), pa.string()))))
    answers = []
    for server in (ours, theirs):
        dataset = client_for(server).create_dataset("dictionary")
        dataset.register([f"file://{path}"]).wait(60)
        answers.append((schema_fields(dataset.schema().to_arrow()),
                        dataset.reader(index="frame").to_arrow_table()))
        dataset.delete()
    (my_schema, mine), (their_schema, reference) = answers
    assert my_schema == their_schema
    assert reference.num_rows == 3
    assert_tables_equal(canonical(mine, ["rerun_segment_id", "frame"]), canonical(reference, ["rerun_segment_id", "frame"]),
                        "dictionary column", check_field_metadata=True)


# --- the dataset as the SDK describes it -----------------------------------------------------------------------


def test_segment_ids_equal_rerun_server(pair):
    mine, reference = (sorted(d.segment_ids()) for d in pair)
    assert mine == reference
    assert mine == ["rec-dataset-01", "rec-dataset-02", "rec-dataset-03", "rec-dataset-04", "rec-version-0.41.0"]


def test_segment_table_equals_rerun_server(pair):
    tables = [d.segment_table().to_arrow_table() for d in pair]
    for name in DIFFERING_SEGMENT_COLUMNS:
        assert field_text(tables[0].schema.field(name)) == field_text(tables[1].schema.field(name)), name
    keys = ["rerun_segment_id"]
    assert_tables_equal(canonical(tables[0].drop_columns(DIFFERING_SEGMENT_COLUMNS), keys),
                        canonical(tables[1].drop_columns(DIFFERING_SEGMENT_COLUMNS), keys), "segment_table()",
                        check_field_metadata=True)


def test_segment_table_join_meta_equals_rerun_server(ours, theirs, pair):
    tables = []
    for server, dataset in zip((ours, theirs), pair):
        meta = client_for(server).ctx.from_pydict({"rerun_segment_id": ["rec-dataset-01", "rec-dataset-03"], "score": [0.5, 2.0]})
        tables.append(dataset.segment_table(join_meta=meta).to_arrow_table().drop_columns(DIFFERING_SEGMENT_COLUMNS))
    assert "score" in tables[0].column_names
    assert_tables_equal(canonical(tables[0], ["rerun_segment_id"]), canonical(tables[1], ["rerun_segment_id"]),
                        "segment_table(join_meta=)")


def test_schema_equals_rerun_server(pair):
    mine, reference = (schema_fields(d.schema().to_arrow()) for d in pair)
    assert mine == reference
    columns = [sorted(str(c) for c in d.schema()) for d in pair]
    assert columns[0] == columns[1]


def test_arrow_schema_equals_rerun_server(pair):
    with pytest.warns(DeprecationWarning):
        mine, reference = (schema_fields(d.arrow_schema()) for d in pair)
    assert mine == reference


def test_manifest_equals_rerun_server(pair):
    for diagnostic in (False, True):
        with pytest.warns(DeprecationWarning):
            tables = [d.manifest(include_diagnostic_data=diagnostic).to_arrow_table() for d in pair]
        for name in DIFFERING_MANIFEST_COLUMNS:
            assert field_text(tables[0].schema.field(name)) == field_text(tables[1].schema.field(name)), name
        keys = ["rerun_segment_id", "rerun_layer_name"]
        assert_tables_equal(canonical(tables[0].drop_columns(DIFFERING_MANIFEST_COLUMNS), keys),
                            canonical(tables[1].drop_columns(DIFFERING_MANIFEST_COLUMNS), keys),
                            f"manifest(include_diagnostic_data={diagnostic})", check_field_metadata=True)


def test_index_ranges_equal_rerun_server(pair):
    mine, reference = (canonical(d.get_index_ranges().to_arrow_table(), ["rerun_segment_id"]) for d in pair)
    assert_tables_equal(mine, reference, "get_index_ranges()")


# --- reader() variants ---------------------------------------------------------------------------------------------

SEGMENT = "rec-dataset-01"  # two layers in `pair`
UNKNOWN = "no-such-segment"

READERS = {
    # name: (index, how to read given (dataset, values of the index in SEGMENT))
    "log_time_everything": ("log_time", lambda d, t: d.reader(index="log_time")),
    "segment_equality_filter": ("log_time", lambda d, t: d.reader(index="log_time").filter(col("rerun_segment_id") == lit(SEGMENT))),
    "two_segments_time_1": ("time_1", lambda d, t: d.filter_segments([SEGMENT, "rec-dataset-02"]).reader(index="time_1")),
    "time_1_range_all_segments": ("time_1", lambda d, t: d.reader(index="time_1").filter(between("time_1", t[len(t) // 3], t[2 * len(t) // 3]))),
    "time_2_range_fill": ("time_2", lambda d, t: d.filter_segments(SEGMENT).reader(index="time_2", fill_latest_at=True)
                          .filter(between("time_2", t[len(t) // 2], t[-1]))),
    "time_3_sequence_range_fill_contents": ("time_3", lambda d, t: d.filter_contents(["/obj1", "/obj2", "/text1"])
                                            .reader(index="time_3", fill_latest_at=True).filter(between("time_3", t[len(t) // 4], t[len(t) // 2]))),
    "frame_robot_after_clear": ("frame", lambda d, t: d.filter_segments("rec-dataset-04").filter_contents("/robot/**")
                                .reader(index="frame", fill_latest_at=True).filter(col("frame") >= lit(200))),
    "frame_equality": ("frame", lambda d, t: d.reader(index="frame").filter(col("frame") == lit(5))),
    "static_only": (None, lambda d, t: d.reader(index=None)),
    "properties": (None, lambda d, t: d.filter_contents(["/**", "/__properties/**"]).reader(index=None)),
    "contents_exclude": ("time_3", lambda d, t: d.filter_contents(["/**", "-/text1"]).reader(index="time_3")),
    "using_index_values_dict_fill": ("time_3", lambda d, t: d.reader(index="time_3", using_index_values={SEGMENT: t[1::3] + [t[-1] + 1]},
                                                                    fill_latest_at=True)),
    "using_index_values_array": ("time_3", lambda d, t: d.reader(index="time_3", using_index_values=np.array(t[::2], dtype=np.int64))),
    "empty_and_tombstone_columns": ("log_tick", lambda d, t: d.reader(index="log_tick", include_semantically_empty_columns=True,
                                                                      include_tombstone_columns=True)),
    "sim_time_duration": ("sim_time", lambda d, t: d.reader(index="sim_time")),
    "footer_file_wall_fill": ("wall", lambda d, t: d.filter_segments("rec-version-0.41.0").reader(index="wall", fill_latest_at=True)),
    # A segment id the dataset does not hold is skipped, not an error (Rerun's server since 0.33).
    "unknown_segment_skipped": ("time_1", lambda d, t: d.filter_segments([SEGMENT, UNKNOWN]).reader(index="time_1")),
    "unknown_segment_skipped_fill": ("time_2", lambda d, t: d.filter_segments([UNKNOWN, SEGMENT]).reader(index="time_2", fill_latest_at=True)),
    "unknown_segment_in_index_values": ("time_3", lambda d, t: d.reader(index="time_3", using_index_values={SEGMENT: t[1::3], UNKNOWN: t[:2]},
                                                                       fill_latest_at=True)),
}

AGGREGATES = {
    "rows_per_segment": lambda d: d.reader(index="frame").aggregate([col("rerun_segment_id")], [F.count(col("frame")).alias("rows")]),
    "max_time_3_per_segment": lambda d: d.reader(index="time_3").aggregate([col("rerun_segment_id")], [F.max(col("time_3")).alias("last")]),
}


@pytest.fixture(scope="module")
def segment_values(pair):
    cache = {}

    def values(index: str) -> list[int]:
        if index not in cache:
            cache[index] = index_values(pair[1], SEGMENT, index) if index else []
        return cache[index]

    return values


@pytest.mark.parametrize("name", sorted(READERS))
def test_reader_equals_rerun_server(pair, segment_values, name):
    index, read = READERS[name]
    values = segment_values(index) if index not in ("wall", "sim_time") else []
    mine, reference = (read(d, values).to_arrow_table() for d in pair)
    keys = ["rerun_segment_id"] + ([index] if index else [])
    assert reference.num_rows > 0, f"{name}: the reference answer is empty, the query tests nothing"
    assert_tables_equal(canonical(mine, keys), canonical(reference, keys), name, check_field_metadata=True)


@pytest.mark.parametrize("read", [
    lambda d: d.filter_segments(UNKNOWN).reader(index="log_time"),
    lambda d: d.reader(index="log_time").filter(col("rerun_segment_id") == lit(UNKNOWN)),
    lambda d: d.filter_segments(UNKNOWN).reader(index=None),
], ids=["filter_segments", "segment_id_filter", "static_only"])
def test_a_query_of_only_unknown_segments_reads_no_rows_as_on_rerun_server(pair, read):
    mine, reference = (read(d).to_arrow_table() for d in pair)
    assert (mine.num_rows, reference.num_rows) == (0, 0)
    assert sorted(mine.schema.names) == sorted(reference.schema.names)


@pytest.mark.parametrize("name", sorted(AGGREGATES))
def test_aggregate_over_reader_equals_rerun_server(pair, name):
    mine, reference = (canonical(AGGREGATES[name](d).to_arrow_table(), ["rerun_segment_id"]) for d in pair)
    assert reference.num_rows > 0
    assert_tables_equal(mine, reference, name)


def footer_file_with_chunk_runs(path) -> None:
    """A recording written by this SDK (with footer) holding four chunks in a row per entity on `frame`:
    a dense scalar and points every 10 frames, each chunk 100 frames long."""
    rec = rr.RecordingStream("rrdflight_test", recording_id="rec-chunk-runs")
    rec.save(path)
    for batch in range(4):
        frames = np.arange(batch * 100, batch * 100 + 100)
        rec.send_columns("/scalar", indexes=[rr.TimeColumn("frame", sequence=frames)], columns=rr.Scalars.columns(scalars=np.sin(frames / 10)))
        every10th = frames[::10]
        rec.send_columns("/points", indexes=[rr.TimeColumn("frame", sequence=every10th)],
                         columns=rr.Points3D.columns(positions=np.full((len(every10th), 3), float(batch))).partition([1] * len(every10th)))
    rec.flush()
    rec.disconnect()


@pytest.mark.parametrize("window", [(200, 250), (205, 250), (150, 320), (399, 500)])
def test_fill_from_a_window_at_or_inside_a_chunk_equals_rerun_server_on_a_footer_file(ours, theirs, tmp_path, window):
    # The planner drops chunks before a window by the footer's per-component cell ranges; the filled
    # values (from the chunk before, or from the chunk starting at the window) must stay Rerun's.
    path = tmp_path / "chunk-runs.rrd"
    footer_file_with_chunk_runs(path)
    start, end = window
    tables = []
    for server in (ours, theirs):
        dataset = client_for(server).create_dataset(f"chunk_runs_{start}")
        dataset.register([f"file://{path}"]).wait(60)
        reader = dataset.reader(index="frame", fill_latest_at=True).filter((col("frame") >= lit(start)) & (col("frame") <= lit(end)))
        tables.append(canonical(reader.to_arrow_table(), ["rerun_segment_id", "frame"]))
    assert tables[1].num_rows > 0
    assert_tables_equal(tables[0], tables[1], f"fill over frames {window} of a footer file")


def test_reader_to_pandas_equals_rerun_server(pair, segment_values):
    t = segment_values("time_1")
    frames = [d.filter_segments(SEGMENT).reader(index="time_1", fill_latest_at=True).filter(between("time_1", t[1], t[-2])).to_pandas()
              for d in pair]
    keys = ["rerun_segment_id", "time_1"]
    assert_tables_equal(canonical(pa.Table.from_pandas(frames[0], preserve_index=False), keys),
                        canonical(pa.Table.from_pandas(frames[1], preserve_index=False), keys), "to_pandas()")


# --- segment stores and URLs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("segment", ["rec-dataset-04", "rec-version-0.41.0"])
def test_segment_store_holds_the_same_data_as_rerun_servers(pair, segment):
    tables = []
    for dataset in pair:
        store = dataset.segment_store(segment).stream().collect()
        tables.append(canonical(store.reader(index="frame").to_arrow_table(), ["frame"]))
    assert tables[1].num_rows > 0
    assert_tables_equal(tables[0], tables[1], f"segment_store({segment})")


def test_segment_url_names_the_segment_as_rerun_does(ours, theirs, pair):
    shapes = []
    for server, dataset in zip((ours, theirs), pair):
        plain = dataset.segment_url(SEGMENT)
        ranged = dataset.segment_url(SEGMENT, "frame", 1, 5)
        # KNOWN_DIFFERENCES["server address"], ["entry ids"].
        shapes.append([u.replace(f"localhost:{server.port}", "HOST").replace(str(dataset.id), "ID") for u in (plain, ranged)])
    assert shapes[0] == shapes[1]
    assert shapes[0][1].endswith(f"?segment_id={SEGMENT}#when=frame@1&time_selection=frame@1..5")


# --- registering and unregistering -------------------------------------------------------------------------------


def register_and_unregister(server) -> dict:
    dataset = client_for(server).create_dataset("churn")
    out = {"registered": sorted(dataset.register(urls(DATASET_FILES[:3])).wait(60).segment_ids)}
    dataset.register(urls(["dataset/rec-dataset-02.rrd"]), layer_name="extra").wait(60)
    dataset.unregister(segments_to_drop="rec-dataset-03", layers_to_drop=[]).wait(60)
    out["after dropping a segment"] = sorted(dataset.segment_ids())
    dataset.unregister(segments_to_drop=[], layers_to_drop="extra").wait(60)
    out["after dropping a layer"] = sorted(dataset.segment_ids())
    dataset.unregister(segments_to_drop="rec-dataset-02", layers_to_drop="base").wait(60)
    out["after dropping the only layer of a segment"] = sorted(dataset.segment_ids())
    dataset.unregister(segments_to_drop="no-such-segment", layers_to_drop=[]).wait(60)
    out["after dropping nothing"] = sorted(dataset.segment_ids())
    out["table"] = dataset.segment_table().to_arrow_table().drop_columns(DIFFERING_SEGMENT_COLUMNS)
    out["reader"] = dataset.reader(index="time_3").to_arrow_table()
    op = dataset.register(urls(["dataset/rec-dataset-03.rrd"]))
    op.cancel()  # CancelTasks; a finished registration is not undone
    out["after cancelling"] = sorted(dataset.segment_ids())
    dataset.delete()
    return out


def test_register_and_unregister_equal_rerun_server(ours, theirs):
    mine, reference = register_and_unregister(ours), register_and_unregister(theirs)
    for key in ["registered", "after dropping a segment", "after dropping a layer", "after dropping the only layer of a segment",
                "after dropping nothing", "after cancelling"]:
        assert mine[key] == reference[key], key
    assert reference["after dropping a segment"] == ["rec-dataset-01", "rec-dataset-02"]
    assert_tables_equal(canonical(mine["table"], ["rerun_segment_id"]), canonical(reference["table"], ["rerun_segment_id"]), "segment_table()")
    keys = ["rerun_segment_id", "time_3"]
    assert_tables_equal(canonical(mine["reader"], keys), canonical(reference["reader"], keys), "reader after unregister")


def test_register_prefix_finds_the_same_recordings_as_rerun_server(ours, theirs, tmp_path):
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    shutil.copy(fixture_path("single/points3d.rrd"), tree)
    shutil.copy(fixture_path("single/clears.rrd"), tree / "sub")
    shutil.copy(fixture_path("versions/rerun-0.41.0.rrd"), tree / "sub")
    (tree / "notes.txt").write_text("not a recording")
    found = []
    for server in (ours, theirs):
        dataset = client_for(server).create_dataset("prefixed")
        registered = dataset.register_prefix(f"file://{tree}").wait(60).segment_ids
        found.append((sorted(registered), sorted(dataset.segment_ids())))
        dataset.delete()
    assert found[0] == found[1]
    assert found[1][1] == ["rec-single-clears", "rec-single-points3d", "rec-version-0.41.0"]


def test_every_recording_rerun_registers_from_a_file_is_registered(ours, theirs):
    seen = []
    for server in (ours, theirs):
        dataset = client_for(server).create_dataset("firsts")
        dataset.register(urls(["single/two_recordings.rrd", "single/blueprint.rrd"])).wait(60)
        seen.append(set(dataset.segment_ids()))
        dataset.delete()
    # KNOWN_DIFFERENCES["every recording of a file"]: Rerun 0.41 keeps only the first, rrdflight all.
    assert seen[1] <= seen[0] and seen[0] - seen[1] == {"rec-single-two-b"}, seen


# --- blueprint datasets ----------------------------------------------------------------------------------------------


def blueprint_workflow(server, blueprint_file) -> dict:
    dataset = client_for(server).create_dataset("with_blueprint")
    dataset.register(urls(["dataset/rec-dataset-01.rrd"])).wait(60)
    companion = dataset.blueprint_dataset()
    out = {
        "companion": None if companion is None else (companion.name.replace(str(dataset.id), "<id>"), str(companion.kind)),
        "before": (dataset.blueprints(), dataset.default_blueprint()),
    }
    dataset.register_blueprint(f"file://{blueprint_file}")
    out["registered"] = (dataset.blueprints(), dataset.default_blueprint())
    dataset.set_default_blueprint(None)
    out["cleared"] = client_for(server).get_dataset(name="with_blueprint").default_blueprint()
    dataset.set_default_blueprint(out["registered"][0][0])
    out["set again"] = client_for(server).get_dataset(name="with_blueprint").default_blueprint()
    out["companion segment table"] = companion.segment_table().to_arrow_table().select(["rerun_segment_id", "rerun_layer_names"])
    dataset.delete()
    out["hidden after delete"] = sorted(n for n in client_for(server).entry_names(include_hidden=True) if n.startswith("__bp_"))
    return out


@pytest.fixture(scope="module")
def blueprint_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("blueprint") / "view.rbl"
    rrb.Blueprint(rrb.Spatial3DView(origin="/obj1"), rrb.TimeSeriesView(origin="/robot")).save("rrdflight_dataset", str(path))
    return path


def test_blueprint_datasets_behave_as_in_rerun(ours, theirs, blueprint_file):
    mine, reference = blueprint_workflow(ours, blueprint_file), blueprint_workflow(theirs, blueprint_file)
    assert reference["companion"] == ("__bp_<id>", "EntryKind.BLUEPRINT_DATASET")
    for key in ["companion", "before", "registered", "cleared", "set again"]:
        assert mine[key] == reference[key], key
    assert reference["registered"][1] is not None and reference["cleared"] is None
    assert_tables_equal(mine["companion segment table"], reference["companion segment table"], "blueprint dataset segment_table()")


def test_a_dataset_whose_blueprint_dataset_was_deleted_refuses_a_default_as_rerun_does(ours, theirs):
    refusals = []
    for server in (ours, theirs):
        client = client_for(server)
        dataset = client.create_dataset("lost_blueprints")
        companion = dataset.blueprint_dataset()
        companion.delete()
        again = client.get_dataset(name="lost_blueprints")
        with pytest.raises(ValueError) as refused:
            again.set_default_blueprint("any_segment")
        # KNOWN_DIFFERENCES["entry ids"]
        refusals.append((re.sub(r"[0-9A-Fa-f]{32}", "<id>", str(refused.value).splitlines()[0]), str(companion.id) in str(refused.value)))
        # KNOWN_DIFFERENCES["deleting an entry whose blueprint dataset was deleted"]
        with suppress(rr.catalog.NotFoundError) if server is theirs else suppress():
            again.delete()
        assert "lost_blueprints" not in client.dataset_names()
    assert refusals[0] == refusals[1]
    assert refusals[0] == ("dataset blueprint dataset does not exist: Entry id '<id>' not found (InvalidArgument)", True)


# --- names and deletion ------------------------------------------------------------------------------------------------


def test_set_name_and_delete_equal_rerun_server(ours, theirs):
    seen = []
    for server in (ours, theirs):
        client = client_for(server)
        dataset = client.create_dataset("to_rename")
        dataset.set_name("renamed")
        renamed = client.get_dataset(name="renamed")
        step = {"names": visible(client.dataset_names()), "same id": renamed.id == dataset.id}
        if server is ours and not SELF_CHECK:
            # KNOWN_DIFFERENCES["old names"]
            with pytest.raises(LookupError, match="to_rename"):
                client.get_dataset(name="to_rename")
        renamed.delete()
        step["after delete"] = visible(client.dataset_names())
        with pytest.raises(rr.catalog.NotFoundError):
            client.get_dataset(id=dataset.id)
        seen.append(step)
    assert seen[0] == seen[1]
    assert "renamed" in seen[0]["names"] and "renamed" not in seen[0]["after delete"]


# --- what rrdflight keeps across a restart ---------------------------------------------------------------------------


def across_a_restart(data_dir, before_stop, after_start):
    """Runs `before_stop(client)` against a fresh rrdflight on `data_dir`, stops it, starts another on the same
    directory and runs `after_start(client, what before_stop returned)`."""
    first = ServerProcess(data_dir)
    try:
        kept = before_stop(client_for(first))
    finally:
        first.stop()
    second = ServerProcess(data_dir)
    try:
        after_start(client_for(second), kept)
    finally:
        second.stop()


rrdflight_only = pytest.mark.skipif(SELF_CHECK, reason="rrdflight only: Rerun's server keeps nothing across a restart")


@rrdflight_only
def test_ids_and_registrations_survive_a_restart(tmp_path):
    def before_stop(client):
        dataset = client.create_dataset("kept")
        dataset.register(urls(DATASET_FILES[:2])).wait(60)
        dataset.register(urls(["dataset/rec-dataset-01.rrd"]), layer_name="extra").wait(60)
        return {
            "id": str(dataset.id),
            "segments": sorted(dataset.segment_ids()),
            "table": canonical(dataset.segment_table().to_arrow_table().drop_columns(DIFFERING_SEGMENT_COLUMNS), ["rerun_segment_id"]),
            "reader": canonical(dataset.reader(index="frame").to_arrow_table(), ["rerun_segment_id", "frame"]),
        }

    def after_start(client, before):
        again = client.get_dataset(name="kept")
        assert str(again.id) == before["id"]
        assert client.get_dataset(id=before["id"]).name == "kept"
        assert sorted(again.segment_ids()) == before["segments"]
        assert_tables_equal(canonical(again.segment_table().to_arrow_table().drop_columns(DIFFERING_SEGMENT_COLUMNS), ["rerun_segment_id"]),
                            before["table"], "segment_table() after restart")
        assert_tables_equal(canonical(again.reader(index="frame").to_arrow_table(), ["rerun_segment_id", "frame"]), before["reader"],
                            "reader() after restart")

    across_a_restart(tmp_path / "data", before_stop, after_start)


@rrdflight_only
def test_blueprint_dataset_and_default_survive_a_restart(tmp_path, blueprint_file):
    def before_stop(client):
        dataset = client.create_dataset("kept_blueprint")
        dataset.register(urls(["dataset/rec-dataset-02.rrd"])).wait(60)
        dataset.register_blueprint(f"file://{blueprint_file}")
        return {"companion": str(dataset.blueprint_dataset().id), "blueprints": dataset.blueprints(), "default": dataset.default_blueprint()}

    def after_start(client, before):
        again = client.get_dataset(name="kept_blueprint")
        assert str(again.blueprint_dataset().id) == before["companion"]
        assert again.blueprints() == before["blueprints"]
        assert again.default_blueprint() == before["default"] is not None

    across_a_restart(tmp_path / "data", before_stop, after_start)


def test_the_reference_is_rerun_server_of_the_clients_version(theirs):
    # The comparisons above mean something only if the reference is `rerun server` from this client's wheel.
    assert rr.__version__.startswith("0.41.")
    assert client_for(theirs).version_info().version is not None


# --- a directory served with -d ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def directory_pair(tmp_path_factory):
    directory = fixture_path("dataset")
    servers = [RerunServer("-d", str(directory)) if SELF_CHECK else ServerProcess(tmp_path_factory.mktemp("rrdflight-d"), "-d", str(directory)),
               RerunServer("-d", str(directory))]
    yield servers
    for server in servers:
        server.stop()


def test_directory_dataset_is_served_as_in_rerun(directory_pair):
    seen = []
    for server in directory_pair:
        client = client_for(server)
        dataset = client.get_dataset(name="dataset")
        seen.append({
            "names": visible(client.dataset_names()),
            "segments": sorted(dataset.segment_ids()),
            "table": canonical(dataset.segment_table().to_arrow_table().drop_columns(DIFFERING_SEGMENT_COLUMNS), ["rerun_segment_id"]),
            "reader": canonical(dataset.filter_segments(["rec-dataset-05", "rec-dataset-12"]).reader(index="frame", fill_latest_at=True)
                                .to_arrow_table(), ["rerun_segment_id", "frame"]),
            # rerun server 0.41 gives a -d dataset its companions, as create_dataset does
            "companions": [(c.name.replace(str(dataset.id), "<id>"), str(c.kind), c.segment_ids())
                           for c in (dataset.blueprint_dataset(), dataset.asset_dataset())],
            "hidden kinds": sorted(str(e.kind) for e in client.entries(include_hidden=True)),
        })
    assert seen[0]["names"] == seen[1]["names"] == ["dataset"]
    assert seen[0]["companions"] == seen[1]["companions"] == [("__bp_<id>", "EntryKind.BLUEPRINT_DATASET", []),
                                                              ("__as_<id>", "EntryKind.ASSET_DATASET", [])]
    assert seen[0]["hidden kinds"] == seen[1]["hidden kinds"]
    assert seen[0]["segments"] == seen[1]["segments"]
    assert len(seen[1]["segments"]) == len(list(fixture_path("dataset").glob("*.rrd")))
    assert_tables_equal(seen[0]["table"], seen[1]["table"], "segment_table() of the -d dataset")
    assert_tables_equal(seen[0]["reader"], seen[1]["reader"], "reader() of the -d dataset")


@pytest.mark.skipif(SELF_CHECK, reason="rrdflight's own limits: `rerun server` has no --max-queries")
def test_readers_at_once_with_one_query_slot_and_no_queue_all_succeed(tmp_path):
    """The 0.41 reader opens up to 24 FetchChunks per scan and does not retry one that is RESOURCE_EXHAUSTED: they
    take turns at their own gate, not query slots, so even --max-queries 1 with no queue serves concurrent readers."""
    from concurrent.futures import ThreadPoolExecutor

    tight = ServerProcess(tmp_path / "data", "-d", f"dataset={fixture_path('dataset')}",
                          "--max-queries", "1", "--max-queued-queries", "0")
    try:
        def rows(_: int) -> int:
            client = client_for(tight)  # held while reading: the reader's DataFusion context lives in it
            return client.get_dataset(name="dataset").reader(index="log_time").to_arrow_table().num_rows
        with ThreadPoolExecutor(4) as pool:
            counts = list(pool.map(rows, range(4)))
        assert counts[0] > 0 and counts == [counts[0]] * 4, counts
    finally:
        tight.stop()
