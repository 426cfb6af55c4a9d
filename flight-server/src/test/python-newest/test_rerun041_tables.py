"""rerun-sdk 0.41.0's table API against rrdflight, compared with `rerun server` 0.41.0 on the same tables.

A Lance table is written by `rerun server` 0.41.0 (create_table + append); each server serves a copy with
`-t labels=DIR`. Then create_table, register_table, get_table(...).reader(), append, overwrite, upsert,
set_name and delete run against both, and the tables are compared: rows, values, column names, types and
field metadata (`rerun:is_table_index` included). Tables' blueprints (each table's hidden blueprint dataset,
register_blueprint, set_default_blueprint) are compared too.
"""

from __future__ import annotations

import re
import shutil
import sqlite3

import pyarrow as pa
import pytest

from conftest import SELF_CHECK, RerunServer, ServerProcess, catalog_url, require_sdk
from known_differences import KNOWN_DIFFERENCES  # noqa: F401 (exclusions below name its entries)
from table_compare import assert_tables_equal, canonical

require_sdk(0, 41)

import rerun as rr  # noqa: E402
import rerun.blueprint as rrb  # noqa: E402
from datafusion import col, lit  # noqa: E402

SCHEMA = pa.schema([
    pa.field("segment_id", pa.string(), metadata={b"rerun:is_table_index": b"true"}),
    pa.field("success", pa.bool_()),
    pa.field("score", pa.float64()),
    pa.field("n", pa.int64()),
])


def client_for(server) -> rr.catalog.CatalogClient:
    return rr.catalog.CatalogClient(catalog_url(server))


def rows(table: rr.catalog.TableEntry) -> pa.Table:
    # "table row order"
    return canonical(table.reader().to_arrow_table(), ["segment_id"])


def visible(names) -> list[str]:
    return sorted(n for n in names if not n.startswith("__"))


@pytest.fixture(scope="module")
def lance_table(tmp_path_factory):
    """A Lance table as `rerun server` 0.41.0 writes it (the client adds a unique subdirectory)."""
    parent = tmp_path_factory.mktemp("written-by-rerun")
    writer = RerunServer()
    try:
        t = client_for(writer).create_table("labels", SCHEMA, url=parent.as_uri())
        t.append(segment_id=["a", "b", "c"], success=[True, False, True], score=[0.5, 1.5, None], n=[1, 2, 3])
        t.append(segment_id=["d"], success=[False], score=[2.0], n=[4])
        directory = t.storage_url.removeprefix("file://")
    finally:
        writer.stop()
    return directory


@pytest.fixture(scope="module")
def servers(tmp_path_factory, lance_table):
    copies = {}
    for side in ("ours", "theirs"):
        copies[side] = tmp_path_factory.mktemp(f"{side}-table") / "labels"
        shutil.copytree(lance_table, copies[side])
    ours = ServerProcess(tmp_path_factory.mktemp("rrdflight-data"), "-t", f"labels={copies['ours']}")
    theirs = RerunServer("-t", f"labels={copies['theirs']}")
    yield {"ours": ours, "theirs": theirs}
    ours.stop()
    theirs.stop()


def both(servers):
    return client_for(servers["ours"]), client_for(servers["theirs"])


def assert_same(servers, name: str, what: str) -> None:
    ours, theirs = both(servers)
    assert_tables_equal(rows(ours.get_table(name)), rows(theirs.get_table(name)), what, check_field_metadata=True)


def test_served_table_is_listed_and_read_as_rerun_does(servers):
    ours, theirs = both(servers)
    assert sorted(ours.table_names()) == sorted(theirs.table_names())
    assert visible(ours.entry_names()) == visible(theirs.entry_names())
    assert_same(servers, "labels", "reader()")
    o, t = ours.get_table("labels"), theirs.get_table("labels")
    assert o.arrow_schema() == t.arrow_schema()
    assert o.arrow_schema().field("segment_id").metadata == {b"rerun:is_table_index": b"true"}
    filtered = [canonical(x.reader().filter(col("n") > lit(1)).select("segment_id", "n").to_arrow_table(), ["segment_id"])
                for x in (o, t)]
    assert_tables_equal(filtered[0], filtered[1], "reader().filter(n > 1).select(...)")


def test_append_overwrite_and_upsert_equal_rerun(servers):
    for c in both(servers):
        t = c.get_table("labels")
        t.append(segment_id=["e"], success=[True], score=[3.0], n=[5])
        t.append(pa.record_batch([pa.array(["f"]), pa.array([None], pa.bool_()), pa.array([4.0]), pa.array([6], pa.int64())],
                                 schema=SCHEMA))
    assert_same(servers, "labels", "after append")
    for c in both(servers):
        c.get_table("labels").upsert(segment_id=["b", "g"], success=[True, True], score=[9.0, 7.0], n=[20, 7])
    assert_same(servers, "labels", "after upsert")


def test_created_and_registered_tables_equal_rerun(servers, tmp_path):
    for side, c in zip(("ours", "theirs"), both(servers)):
        base = tmp_path / side
        base.mkdir()
        created = c.create_table("flags", SCHEMA, url=base.as_uri())
        assert created.name == "flags"
        created.append(segment_id=["s1", "s2"], success=[True, False], score=[1.0, 2.0], n=[1, 2])
        created.overwrite(segment_id=["s3"], success=[True], score=[3.0], n=[3])
        c.register_table("flags_again", created.storage_url)
        unnamed = c.create_table("scratch", SCHEMA)  # no URL: the server picks the place
        unnamed.append(segment_id=["x"], success=[False], score=[0.0], n=[0])
    assert_same(servers, "flags", "create_table + append + overwrite")
    assert_same(servers, "flags_again", "register_table of the same directory")
    assert_same(servers, "scratch", "create_table without a URL")
    ours, theirs = both(servers)
    assert sorted(ours.table_names()) == sorted(theirs.table_names())


def test_set_name_and_delete_equal_rerun(servers):
    for c in both(servers):
        c.get_table("scratch").set_name("scratch2")
        c.get_table("flags_again").delete()
    ours, theirs = both(servers)
    assert sorted(ours.table_names()) == sorted(theirs.table_names())
    assert "scratch2" in ours.table_names() and "flags_again" not in ours.table_names()
    assert_same(servers, "scratch2", "renamed table")


def test_a_write_with_another_column_type_is_refused_naming_the_column(servers):
    ours, _ = both(servers)
    t = ours.get_table("labels")
    before = t.reader().to_arrow_table().num_rows
    wrong = pa.record_batch([pa.array(["z"]), pa.array([True]), pa.array([1.0]), pa.array(["seven"])],
                            schema=pa.schema([pa.field("segment_id", pa.string()), pa.field("success", pa.bool_()),
                                              pa.field("score", pa.float64()), pa.field("n", pa.string())]))
    with pytest.raises(Exception, match="Column 'n' of table 'labels'"):
        t.append(wrong)
    assert t.reader().to_arrow_table().num_rows == before


def test_a_table_created_in_directories_that_do_not_exist_yet_equals_rerun(servers, tmp_path):
    for side, c in zip(("ours", "theirs"), both(servers)):
        where = tmp_path / side / "runs" / "2026"  # neither directory exists: both servers make them
        created = c.create_table("nested", SCHEMA, url=where.as_uri())
        created.append(segment_id=["s1"], success=[True], score=[1.0], n=[1])
    assert_same(servers, "nested", "create_table into missing directories")


# --- tables' blueprints ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def blueprint_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("blueprint") / "table.rbl"
    rrb.Blueprint(rrb.TimeSeriesView(origin="/robot")).save("rrdflight_table", str(path))
    return path


def without_ids(text: str) -> str:
    # KNOWN_DIFFERENCES["entry ids"]
    return re.sub(r"[0-9A-Fa-f]{32}", "<id>", text)


def table_blueprint_workflow(server, blueprint_file) -> dict:
    c = client_for(server)
    table = c.create_table("with_blueprints", SCHEMA)
    companion = table.blueprint_dataset()
    out = {
        "served table's": without_ids(c.get_table("labels").blueprint_dataset().name),
        "companion": (without_ids(companion.name), str(companion.kind), companion.name == f"__bp_{table.id}"),
        "before": (table.blueprints(), table.default_blueprint()),
    }
    table.register_blueprint(f"file://{blueprint_file}", set_default=False)
    out["registered, not default"] = (table.blueprints(), c.get_table("with_blueprints").default_blueprint())
    table.set_default_blueprint(table.blueprints()[0])
    out["set"] = c.get_table("with_blueprints").default_blueprint()
    table.set_default_blueprint("not_registered_yet")
    out["any segment id"] = c.get_table("with_blueprints").default_blueprint()
    table.set_default_blueprint(None)
    out["cleared"] = c.get_table("with_blueprints").default_blueprint()
    table.set_name("renamed_with_blueprints")
    out["kept by the renamed table"] = c.get_table("renamed_with_blueprints").blueprint_dataset().name == companion.name
    companion.delete()
    with pytest.raises(ValueError) as refused:
        c.get_table("renamed_with_blueprints").set_default_blueprint("any_segment")
    out["after the companion was deleted"] = (without_ids(str(refused.value).splitlines()[0]), str(companion.id) in str(refused.value))
    doomed = c.create_table("doomed", SCHEMA)
    doomed_companion = doomed.blueprint_dataset().name
    doomed.delete()
    out["deleted with its table"] = doomed_companion not in c.entry_names(include_hidden=True)
    return out


def test_table_blueprints_behave_as_in_rerun(servers, blueprint_file):
    mine, reference = (table_blueprint_workflow(servers[side], blueprint_file) for side in ("ours", "theirs"))
    assert reference["companion"] == ("__bp_<id>", "EntryKind.BLUEPRINT_DATASET", True)
    assert reference["after the companion was deleted"] == (
        "table blueprint dataset does not exist: Entry id '<id>' not found (InvalidArgument)", True)
    assert mine == reference


@pytest.mark.skipif(SELF_CHECK, reason="rrdflight only: Rerun's server keeps nothing across a restart")
def test_table_blueprints_survive_a_restart(tmp_path, blueprint_file):
    first = ServerProcess(tmp_path / "data")
    try:
        table = client_for(first).create_table("kept", SCHEMA)
        table.register_blueprint(f"file://{blueprint_file}")
        before = {"companion": str(table.blueprint_dataset().id), "blueprints": table.blueprints(), "default": table.default_blueprint()}
    finally:
        first.stop()
    second = ServerProcess(tmp_path / "data")
    try:
        again = client_for(second).get_table("kept")
        assert str(again.blueprint_dataset().id) == before["companion"]
        assert again.blueprints() == before["blueprints"]
        assert again.default_blueprint() == before["default"] is not None
    finally:
        second.stop()


@pytest.mark.skipif(SELF_CHECK, reason="rrdflight only: Rerun's server keeps nothing across a restart")
def test_a_table_from_before_table_blueprints_gets_its_blueprint_dataset_when_the_sdk_asks(tmp_path, blueprint_file):
    data = tmp_path / "data"
    first = ServerProcess(data)
    try:
        table_id = str(client_for(first).create_table("older", SCHEMA).id)
    finally:
        first.stop()
    # The catalog as an rrdflight before table blueprints left it, once the columns are added: none named, none made.
    with sqlite3.connect(data / "catalog.db") as db:
        db.execute("UPDATE table_entries SET blueprint_dataset_id = NULL, default_blueprint = NULL")
        db.execute("DELETE FROM datasets WHERE name = ?", (f"__bp_{table_id}",))
    db.close()
    second = ServerProcess(data)
    try:
        client = client_for(second)
        assert f"__bp_{table_id}" not in client.entry_names(include_hidden=True)
        older = client.get_table("older")
        assert older.default_blueprint() is None
        companion = older.blueprint_dataset()  # KNOWN_DIFFERENCES["table without a blueprint dataset"]
        assert companion.name == f"__bp_{table_id}"
        older.register_blueprint(f"file://{blueprint_file}")
        assert client.get_table("older").default_blueprint() == older.blueprints()[0]
        assert str(client.get_table("older").blueprint_dataset().id) == str(companion.id)
    finally:
        second.stop()
