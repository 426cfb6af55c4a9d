"""rerun-sdk 0.27.3's table calls against rrdflight, compared with `rerun server` 0.27.3 on the same tables.

A Lance table is written by `rerun server` 0.27.3 itself (create_table_entry + append_to_table); each
server then serves its own copy with `-t labels=DIR`, and the same calls run against both: listings,
get_table(...).df / to_arrow_reader, write_table (append, overwrite), append_to_table,
create_table_entry, register_table, delete. Tables are compared by rows, values, column names, types
and field metadata. Then what only rrdflight promises: the tables survive a restart, bad writes are
refused naming the column, names are shared with datasets.
"""

from __future__ import annotations

import shutil

import pyarrow as pa
import pytest
import rerun as rr
from rerun.catalog import TableInsertMode

from conftest import RerunServer, ServerProcess
from table_compare import assert_tables_equal, canonical

KNOWN_DIFFERENCES = {
    "entry ids and timestamps": "random per start in Rerun, persistent in rrdflight",
    "row order": "neither server orders a table's rows (Lance fragments are read concurrently); compared sorted",
    "storage URL": "each server serves its own copy of the table",
    "table blueprint datasets": "rrdflight makes each table a hidden `__bp_<table id>` blueprint dataset, as Rerun 0.41 "
                                "does; Rerun 0.27.3 makes none, so its entry listings lack those entries",
}


def without_table_blueprint_datasets(c: rr.catalog.CatalogClient) -> list[str]:
    """entry_names() less the blueprint datasets of tables (KNOWN_DIFFERENCES["table blueprint datasets"])."""
    table_ids = {str(c.get_table_entry(name=name).id) for name in c.table_names()}
    return sorted(n for n in c.entry_names() if n.removeprefix("__bp_") not in table_ids)

SCHEMA = pa.schema([
    pa.field("segment_id", pa.string()),
    pa.field("success", pa.bool_()),
    pa.field("score", pa.float64()),
    pa.field("note", pa.string()),
    pa.field("n", pa.int64()),
])


def client(server) -> rr.catalog.CatalogClient:
    return rr.catalog.CatalogClient(server.rerun_uri)


@pytest.fixture(scope="module")
def lance_table(tmp_path_factory):
    """A Lance table as `rerun server` 0.27.3 writes it."""
    directory = tmp_path_factory.mktemp("written-by-rerun") / "labels"
    writer = RerunServer()
    try:
        c = client(writer)
        c.create_table_entry("labels", SCHEMA, directory.as_uri())
        c.append_to_table("labels", segment_id=["a", "b", "c"], success=[True, False, True], score=[0.5, 1.5, None],
                          note=["x", None, "z"], n=[1, 2, 3])
        c.append_to_table("labels", segment_id=["d"], success=[False], score=[2.0], note=["w"], n=[4])
    finally:
        writer.stop()
    return directory


@pytest.fixture(scope="module")
def servers(tmp_path_factory, lance_table):
    ours_dir = tmp_path_factory.mktemp("ours-table") / "labels"
    theirs_dir = tmp_path_factory.mktemp("theirs-table") / "labels"
    shutil.copytree(lance_table, ours_dir)
    shutil.copytree(lance_table, theirs_dir)
    data_dir = tmp_path_factory.mktemp("rrdflight-data")
    ours = ServerProcess(data_dir, "-t", f"labels={ours_dir}")
    theirs = RerunServer("-t", f"labels={theirs_dir}")
    yield {"ours": ours, "theirs": theirs, "data_dir": data_dir, "ours_dir": ours_dir}
    ours.stop()
    theirs.stop()


def table(c: rr.catalog.CatalogClient, name: str) -> pa.Table:
    return c.get_table(name=name).to_arrow_table()


def assert_same_table(servers, name: str, what: str) -> None:
    ours = canonical(table(client(servers["ours"]), name), ["segment_id"])
    theirs = canonical(table(client(servers["theirs"]), name), ["segment_id"])
    assert_tables_equal(ours, theirs, what, check_field_metadata=True)


def test_served_table_is_listed_and_read_as_rerun_does(servers):
    ours, theirs = client(servers["ours"]), client(servers["theirs"])
    assert sorted(ours.table_names()) == sorted(theirs.table_names())
    assert without_table_blueprint_datasets(ours) == without_table_blueprint_datasets(theirs)
    assert_same_table(servers, "labels", "get_table(name='labels').df")
    reader_ours = pa.Table.from_batches(list(ours.get_table_entry(name="labels").to_arrow_reader()))
    reader_theirs = pa.Table.from_batches(list(theirs.get_table_entry(name="labels").to_arrow_reader()))
    assert_tables_equal(canonical(reader_ours, ["segment_id"]), canonical(reader_theirs, ["segment_id"]), "to_arrow_reader()")
    assert ours.get_table_entry(name="labels").storage_url == servers["ours_dir"].as_uri()


def test_writes_change_the_table_as_on_rerun(servers):
    batch = pa.record_batch([pa.array(["e", "f"]), pa.array([True, None]), pa.array([3.5, 4.5]), pa.array(["v", "u"]),
                             pa.array([5, 6], pa.int64())], schema=SCHEMA)
    for server in (servers["ours"], servers["theirs"]):
        c = client(server)
        c.write_table("labels", batch, TableInsertMode.APPEND)
        c.append_to_table("labels", segment_id=["g"], n=[7])
    assert_same_table(servers, "labels", "after write_table(APPEND) and append_to_table")


def test_created_and_registered_tables_equal_rerun(servers, tmp_path):
    schema = pa.schema([pa.field("segment_id", pa.string()), pa.field("ok", pa.bool_()), pa.field("tags", pa.list_(pa.string()))])
    rows = pa.record_batch([pa.array(["s1", "s2"]), pa.array([True, False]), pa.array([["a"], []], pa.list_(pa.string()))],
                           schema=schema)
    for side in ("ours", "theirs"):
        c = client(servers[side])
        entry = c.create_table_entry("flags", schema, (tmp_path / f"{side}-flags").as_uri())
        assert entry.name == "flags"
        c.write_table("flags", rows, TableInsertMode.APPEND)
        c.write_table("flags", rows.slice(1), TableInsertMode.OVERWRITE)
        c.register_table("flags_again", (tmp_path / f"{side}-flags").as_uri())
    assert_same_table(servers, "flags", "created table after APPEND then OVERWRITE")
    assert_same_table(servers, "flags_again", "the same directory registered under another name")
    for side in ("ours", "theirs"):
        c = client(servers[side])
        c.get_table_entry(name="flags_again").delete()
        assert "flags_again" not in c.table_names()
    assert sorted(client(servers["ours"]).table_names()) == sorted(client(servers["theirs"]).table_names())


def test_tables_survive_a_restart(servers):
    before = canonical(table(client(servers["ours"]), "labels"), ["segment_id"])
    names = sorted(client(servers["ours"]).table_names())
    servers["ours"].stop()
    servers["ours"] = ServerProcess(servers["data_dir"])  # no -t: the catalog remembers the tables
    c = client(servers["ours"])
    assert sorted(c.table_names()) == names
    assert_tables_equal(canonical(table(c, "labels"), ["segment_id"]), before, "labels after a restart", check_field_metadata=True)


def test_a_write_with_other_columns_is_refused_naming_the_column(servers):
    c = client(servers["ours"])
    before = table(c, "labels").num_rows
    wrong = pa.record_batch([pa.array(["z"]), pa.array(["not a number"])],
                            schema=pa.schema([pa.field("segment_id", pa.string()), pa.field("n", pa.string())]))
    with pytest.raises(Exception, match="Column 'n' of table 'labels'"):
        c.write_table("labels", wrong, TableInsertMode.APPEND)
    extra = pa.record_batch([pa.array(["z"]), pa.array(["red"])],
                            schema=pa.schema([pa.field("segment_id", pa.string()), pa.field("colour", pa.string())]))
    with pytest.raises(Exception, match="Column 'colour' is not in table 'labels'"):
        c.write_table("labels", extra, TableInsertMode.APPEND)
    assert table(c, "labels").num_rows == before


def test_a_table_name_taken_by_a_dataset_is_refused(servers, tmp_path):
    c = client(servers["ours"])
    c.create_dataset("runs")
    with pytest.raises(Exception, match="already exists"):
        c.create_table_entry("runs", SCHEMA, (tmp_path / "runs").as_uri())
    with pytest.raises(Exception, match="already exists"):
        c.create_dataset("labels")
