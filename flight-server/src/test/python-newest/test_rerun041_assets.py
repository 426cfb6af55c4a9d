"""Asset datasets with rerun-sdk 0.41.0 against rrdflight, compared with `rerun server` 0.41.0 from the same wheel.

A dataset made with create_dataset comes with a hidden asset dataset (`__as_<dataset id>`, kind ASSET_DATASET)
holding static recordings shared by the dataset's segments. register_asset registers a file into it (replacing
an asset of the same id) and writes the asset's `asset` segment property (which segments it applies to);
unregister_asset drops it, and unregistering an unknown asset does nothing. Every workflow runs against both
servers and what the client sees is compared; what may differ is named in KNOWN_DIFFERENCES.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pytest
from conftest import SELF_CHECK, ServerProcess, catalog_url, require_sdk
from known_differences import KNOWN_DIFFERENCES  # noqa: F401 (every exclusion below names one of its entries)
from table_compare import assert_tables_equal, canonical

require_sdk(0, 41)

import rerun as rr  # noqa: E402

DIFFERING_SEGMENT_COLUMNS = ["rerun_last_updated_at", "rerun_num_chunks", "rerun_size_bytes"]  # "timestamps", "chunk counts and sizes"


def client_for(server) -> rr.catalog.CatalogClient:
    return rr.catalog.CatalogClient(catalog_url(server))


def without_id(name: str) -> str:
    # KNOWN_DIFFERENCES["entry ids"]
    return re.sub(r"[0-9A-Fa-f]{32}$", "<id>", name)


@pytest.fixture(scope="module")
def assets(tmp_path_factory) -> dict[str, str]:
    """Static-only recordings (two writes of one asset id, and a second asset) and a recording with temporal data."""
    directory = tmp_path_factory.mktemp("assets")

    def write(name: str, recording_id: str, text: str, temporal: bool = False) -> str:
        path = directory / name
        with rr.RecordingStream("rrdflight_assets", recording_id=recording_id) as rec:
            rec.save(path)
            rec.log("/labels", rr.TextDocument(text), static=True)
            if temporal:
                rec.set_time("frame", sequence=1)
                rec.log("/points", rr.Points3D([[1.0, 2.0, 3.0]]))
        return f"file://{path}"

    return {
        "mesh": write("mesh.rrd", "mesh", "first"),
        "mesh again": write("mesh-again.rrd", "mesh", "second"),
        "map": write("map.rrd", "map", "a map"),
        "temporal": write("run.rrd", "run-1", "moving", temporal=True),
    }


def test_create_dataset_makes_a_hidden_empty_asset_dataset_as_rerun_server(ours, theirs):
    seen = []
    for server in (ours, theirs):
        client = client_for(server)
        dataset = client.create_dataset("with_assets")
        asset_dataset = dataset.asset_dataset()
        seen.append({
            "name": asset_dataset.name.replace(str(dataset.id), "<id>"),
            "kind": str(asset_dataset.kind),
            "segments": asset_dataset.segment_ids(),
            "schema": str(asset_dataset.schema()),
            "assets": dataset.assets(),
            "listed": sorted(e.name for e in client.entries()),
            "hidden": sorted((without_id(e.name), str(e.kind)) for e in client.entries(include_hidden=True)),
            "by id": client.get_dataset(id=asset_dataset.id).name == asset_dataset.name,
            "own companions": (asset_dataset.asset_dataset(), asset_dataset.blueprint_dataset()),
        })
        dataset.delete()
    assert seen[0] == seen[1]
    assert seen[0]["name"] == "__as_<id>" and seen[0]["kind"] == "EntryKind.ASSET_DATASET"
    assert ("__as_<id>", "EntryKind.ASSET_DATASET") in seen[0]["hidden"] and "with_assets" in seen[0]["listed"]
    assert not any(name.startswith("__") for name in seen[0]["listed"])


def asset_workflow(server, assets) -> dict:
    dataset = client_for(server).create_dataset("asset_workflow")
    asset_dataset = dataset.asset_dataset()
    out = {"registered": dataset.register_asset(assets["mesh"])}
    out["replaced"] = dataset.register_asset(assets["mesh again"])
    out["after replace"] = (dataset.assets(), asset_dataset.segment_ids())
    out["property"] = asset_dataset._read_asset_property("mesh")[:2]
    out["segment table"] = canonical(asset_dataset.segment_table().to_arrow_table().drop_columns(DIFFERING_SEGMENT_COLUMNS),
                                     ["rerun_segment_id"])
    out["contents"] = canonical(asset_dataset.reader(index=None).to_arrow_table(), ["rerun_segment_id"])
    out["schema"] = str(asset_dataset.schema())
    dataset.unregister_asset("never-registered")
    out["after unknown unregister"] = dataset.assets()
    dataset.unregister_asset("mesh")
    out["after unregister"] = (dataset.assets(), asset_dataset.segment_ids())
    out["property kept"] = asset_dataset._read_asset_property("mesh")[:2]
    dataset.delete()
    return out


def test_register_replace_and_unregister_assets_as_on_rerun_server(ours, theirs, assets):
    mine, reference = asset_workflow(ours, assets), asset_workflow(theirs, assets)
    assert reference["registered"] == reference["replaced"] == "mesh"
    assert reference["after replace"] == (["mesh"], ["mesh"]) and reference["after unregister"] == ([], [])
    for key in ["registered", "replaced", "after replace", "property", "schema", "after unknown unregister", "after unregister",
                "property kept"]:
        assert mine[key] == reference[key], key
    assert_tables_equal(mine["segment table"], reference["segment table"], "asset dataset segment_table()")
    assert_tables_equal(mine["contents"], reference["contents"], "asset dataset reader(index=None)")
    assert mine["contents"].column("/labels:TextDocument:text").to_pylist() == [["second"]], "the second write replaced the first"


def coverage_workflow(server, assets) -> dict:
    dataset = client_for(server).create_dataset("asset_coverage")
    dataset.register_asset(assets["mesh"])
    dataset.register_asset(assets["map"], mode="opt_in", segments=["rec-1"])
    segments = ["rec-1", "rec-2"]
    # Sorted: Rerun's server answers the assets of a segment in no fixed order.
    out = {"initially": {s: sorted(dataset.assets_for_segment(s)) for s in segments}}
    dataset.remove_segments_from_asset("mesh", ["rec-2"])
    dataset.add_segments_to_asset("map", ["rec-2"])
    out["after edits"] = {s: sorted(dataset.assets_for_segment(s)) for s in segments}
    out["properties"] = [dataset.asset_dataset()._read_asset_property(a)[:2] for a in ["mesh", "map"]]
    dataset.delete()
    return out


def test_assets_apply_to_segments_by_their_mode_as_on_rerun_server(ours, theirs, assets):
    mine, reference = coverage_workflow(ours, assets), coverage_workflow(theirs, assets)
    assert reference["initially"] == {"rec-1": ["map", "mesh"], "rec-2": ["mesh"]}
    assert mine == reference


def test_a_temporal_asset_is_refused_as_by_rerun_server(ours, theirs, assets):
    seen = []
    for server in (ours, theirs):
        dataset = client_for(server).create_dataset("temporal_asset")
        with pytest.raises(ValueError) as refused:
            dataset.register_asset(assets["temporal"])
        seen.append((dataset.assets(), "run-1" in str(refused.value)))  # KNOWN_DIFFERENCES["asset refusal"]
        if server is ours and not SELF_CHECK:
            assert "static data only" in str(refused.value)
        dataset.delete()
    assert seen[0] == seen[1] == ([], True)


def test_deleting_a_dataset_deletes_its_asset_dataset_as_on_rerun_server(ours, theirs, assets):
    for server in (ours, theirs):
        client = client_for(server)
        dataset = client.create_dataset("deleted_with_assets")
        dataset.register_asset(assets["mesh"])
        asset_id = dataset.asset_dataset().id
        dataset.delete()
        with pytest.raises(rr.catalog.NotFoundError):
            client.get_dataset(id=asset_id)
        assert all(entry.id != asset_id for entry in client.entries(include_hidden=True))


def properties_workflow(server) -> dict:
    dataset = client_for(server).create_dataset("properties")
    internal = dataset.asset_dataset()._internal
    one_row = pa.RecordBatch.from_pydict({"property:note:text": [["hello"]]})
    out = {"before": internal._get_segment_properties("anything")}
    revision = internal._set_segment_properties("anything", one_row, 0)
    stored, stored_revision = internal._get_segment_properties("anything")
    out["stored"] = (stored.to_pylist(), stored_revision == revision != 0)
    for name, call in [("stale revision", lambda: internal._set_segment_properties("anything", one_row, 0)),
                       ("two rows", lambda: internal._set_segment_properties(
                           "anything", pa.RecordBatch.from_pydict({"property:note:text": [["a"], ["b"]]}), None))]:
        with pytest.raises(Exception) as failed:
            call()
        out[name] = type(failed.value).__name__
    out["on the recording dataset"] = dataset._internal._set_segment_properties("rec-1", one_row, None) != 0
    dataset.delete()
    return out


def test_segment_properties_are_kept_and_guarded_as_by_rerun_server(ours, theirs):
    mine, reference = properties_workflow(ours), properties_workflow(theirs)
    assert reference["stored"] == ([{"property:note:text": ["hello"]}], True)
    assert reference["stale revision"] == "RuntimeError" and reference["two rows"] == "ValueError"
    assert mine == reference


@pytest.mark.skipif(SELF_CHECK, reason="rrdflight only: Rerun's server keeps nothing across a restart")
def test_assets_and_their_properties_survive_a_restart(tmp_path, assets):
    first = ServerProcess(tmp_path / "data")
    try:
        dataset = client_for(first).create_dataset("kept_assets")
        dataset.register_asset(assets["map"], mode="opt_in", segments=["rec-1"])
        kept = (str(dataset.asset_dataset().id), dataset.assets(), dataset.assets_for_segment("rec-1"))
    finally:
        first.stop()
    second = ServerProcess(tmp_path / "data")
    try:
        again = client_for(second).get_dataset(name="kept_assets")
        assert (str(again.asset_dataset().id), again.assets(), again.assets_for_segment("rec-1")) == kept == (kept[0], ["map"], ["map"])
        assert again.assets_for_segment("rec-2") == []
    finally:
        second.stop()


@pytest.mark.skipif(SELF_CHECK, reason="rrdflight only")
def test_a_dataset_without_asset_dataset_gets_one_from_register_asset(ours, assets):
    # KNOWN_DIFFERENCES["deleted asset dataset"]: what a dataset made before asset datasets looks like here.
    client = client_for(ours)
    dataset = client.create_dataset("older_dataset")
    dataset.asset_dataset().delete()
    older = client.get_dataset(name="older_dataset")
    assert older.asset_dataset() is None
    assert older.register_asset(assets["mesh"]) == "mesh"
    assert client.get_dataset(name="older_dataset").assets() == ["mesh"]
    with pytest.raises(ValueError, match="asset dataset"):  # KNOWN_DIFFERENCES["asset dataset names"]
        client.get_dataset(name="older_dataset").asset_dataset().set_name("renamed")
    older.delete()
