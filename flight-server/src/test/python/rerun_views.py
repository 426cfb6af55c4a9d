"""Expected results from rerun-sdk 0.27.3's local dataframe API, and how ours are compared with them.

For a dataset of several files, the remote result for partition P equals the local result on the
recording whose id is P, with `rerun_partition_id` first and the dataset-wide column set: columns
only other partitions have are all null (query-semantics.md §9.2).
"""

from __future__ import annotations

import functools
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import rerun as rr


@functools.lru_cache(maxsize=None)
def recordings_in(path: Path) -> dict:
    """Every recording of a file (a file may hold two), by recording id."""
    return {rec.recording_id(): rec for rec in rr.dataframe.load_archive(str(path)).all_recordings()}


def rerun_view(rec, index, contents, rng=None, fill=False) -> pa.Table:
    """Rerun's own answer: view(index=, contents=), an inclusive nanosecond/sequence range, fill."""
    view = rec.view(index=index, contents=contents)
    if rng is not None:
        view = view.filter_range_nanos(*rng) if is_time(rec, index) else view.filter_range_sequence(*rng)
    if fill:
        view = view.fill_latest_at()
    return view.select().read_all()


@functools.lru_cache(maxsize=None)
def is_time(rec, index) -> bool:
    table = rec.view(index=index, contents="/**").select().read_all()
    return index in table.column_names and not pa.types.is_integer(table.schema.field(index).type)


def middle_range(tables: list[pa.Table], index: str):
    """An inclusive range over the 30th to 60th percentile of the index's values, or None."""
    values = []
    for t in tables:
        if index in t.column_names:
            values += [v for v in t.column(index).cast(pa.int64()).to_pylist() if v is not None]
    values.sort()
    if not values:
        return None
    return values[len(values) * 3 // 10], values[len(values) * 6 // 10]


def query(conn, sql: str) -> pa.Table:
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetch_arrow_table()


def query_view(conn, dataset, index, contents, rng=None, fill=False, partition_ids=None) -> pa.Table:
    args = [f"index => '{index}'", f"contents => '{contents}'"]
    if partition_ids:
        args.append(f"partition_ids => '{','.join(partition_ids)}'")
    if rng is not None:
        args += [f"range_start => {rng[0]}", f"range_end => {rng[1]}"]
    if fill:
        args.append("fill_latest_at => true")
    return query(conn, f'SELECT * FROM TABLE("{dataset}".query_view({", ".join(args)}))')


def assert_partition_equal(ours: pa.Table, pid: str, expected: pa.Table, context: str) -> None:
    """Our rows of partition `pid` equal Rerun's: same count, names, Arrow types, values and nulls."""
    mine = ours.filter(pc.equal(ours.column("rerun_partition_id"), pid))
    assert mine.num_rows == expected.num_rows, f"{context} {pid}: {mine.num_rows} rows, Rerun has {expected.num_rows}"
    for name in expected.column_names:
        assert name in mine.column_names, f"{context} {pid}: column {name} missing; ours: {mine.column_names}"
        field = mine.schema.field(name)
        assert field.type == expected.schema.field(name).type, f"{context} {pid} {name}: {field.type} vs {expected.schema.field(name).type}"
        assert mine.column(name).to_pylist() == expected.column(name).to_pylist(), f"{context} {pid}: column {name} differs"
    for name in mine.column_names:
        if name != "rerun_partition_id" and name not in expected.column_names:
            assert mine.column(name).null_count == mine.num_rows, f"{context} {pid}: column {name} not in Rerun's result but not null"


def assert_same_column_order(ours: pa.Table, expected: pa.Table, context: str) -> None:
    """Rerun's own columns appear in our result in Rerun's order (ours may have more)."""
    mine = [n for n in ours.column_names if n in expected.column_names]
    assert mine == expected.column_names, f"{context}: column order {mine} vs Rerun's {expected.column_names}"
