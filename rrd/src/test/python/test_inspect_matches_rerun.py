"""`rrdflight inspect --json` against what rerun-sdk 0.27.3 itself reads from the same files.

For every fixture the manifest lists (except the big optional groups), Rerun's local dataframe API
is the oracle for: the recordings in the file, their timelines (names, kinds, ranges), entity paths
and components, and (as a bound) row counts per entity on each timeline.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
import rerun as rr

ROOT = Path(__file__).resolve().parents[4]
JAR = ROOT / "flight-server" / "target" / "rrdflight.jar"
FIXTURES = Path(os.environ.get("RRDFLIGHT_FIXTURES", ROOT / "fixtures"))
ALL = "/** /__properties/**"


def manifest_files() -> list[dict]:
    manifest = json.loads((FIXTURES / "manifest.json").read_text())
    return [
        f for f in manifest["files"]
        if f["path"].split("/")[0] in ("dataset", "single", "versions") and "truncated" not in " ".join(f["features"])
    ]


def inspect(paths: list[Path]) -> list[dict]:
    out = subprocess.run(["java", "-jar", str(JAR), "inspect", "--json", *map(str, paths)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


KIND_OF_TYPE = {pa.int64(): "sequence", pa.timestamp("ns"): "timestamp", pa.duration("ns"): "duration"}


def rerun_view(recording, index: str, contents: str) -> pa.Table:
    return recording.view(index=index, contents=contents, include_semantically_empty_columns=True,
                          include_tombstone_columns=True).select().read_all()


@pytest.fixture(scope="module")
def summaries() -> dict[str, dict]:
    files = manifest_files()
    return {f["path"]: summary for f, summary in zip(files, inspect([FIXTURES / f["path"] for f in files]))}


@pytest.mark.parametrize("entry", manifest_files(), ids=lambda f: f["path"])
def test_inspect_matches_rerun(entry, summaries):
    path = FIXTURES / entry["path"]
    ours = {s["recording_id"]: s for s in summaries[entry["path"]]["stores"] if s["kind"] == "recording"}
    archive = rr.dataframe.load_archive(str(path))
    theirs = {r.recording_id(): r for r in archive.all_recordings()}
    assert sorted(ours) == sorted(theirs), "recordings in the file"

    for rid, recording in theirs.items():
        store = ours[rid]
        assert store["application_id"] == recording.application_id()
        schema = recording.schema()

        # Entities and components, with static-ness.
        rerun_components = {(c.entity_path, c.component) for c in schema.component_columns()}
        our_components = {(e["path"], comp) for e in store["entities"] for comp in e["components"]}
        assert our_components == rerun_components, f"{rid}: entity/component pairs"

        # Timelines: the same names; kinds and ranges as Rerun's index columns show them.
        rerun_timelines = sorted(c.name for c in schema.index_columns())
        assert sorted(store["timelines"]) == rerun_timelines, f"{rid}: timelines"
        for name in rerun_timelines:
            table = rerun_view(recording, name, ALL)
            column = table.column(name)
            assert store["timelines"][name]["kind"] == KIND_OF_TYPE[column.type], f"{rid}: kind of {name}"
            values = pc.cast(column, pa.int64())
            lo, hi = pc.min(values).as_py(), pc.max(values).as_py()
            if "static-shadows-temporal" in entry["features"]:
                # Static data hides the temporal rows of its column from Rerun's view, while the
                # file (and inspect) still holds them: the file's range covers the view's.
                assert store["timelines"][name]["min"] <= lo and store["timelines"][name]["max"] >= hi, f"{rid}: range of {name}"
            else:
                assert store["timelines"][name]["min"] == lo, f"{rid}: min of {name}"
                assert store["timelines"][name]["max"] == hi, f"{rid}: max of {name}"

        # Row counts: an entity's rows in the file are at least the distinct rows Rerun shows for
        # it on any timeline (duplicates at one index value merge into one row). Clears on an
        # ancestor add rows to an entity in Rerun's view, so files with clears are left out here.
        if "clear" in " ".join(entry["features"]):
            continue
        for e in store["entities"]:
            for name in rerun_timelines:
                rows = rerun_view(recording, name, e["path"]).num_rows
                assert rows <= e["rows"], f"{rid}: {e['path']} has {e['rows']} rows, Rerun shows {rows} on {name}"
