"""Comparing an rrdflight answer with `rerun server`'s: a plain module shared by the 0.27.3 suite here and
the newer-SDK suites in ../python-newest, so that every suite normalises the same way (and only that way)."""

from __future__ import annotations

import pyarrow as pa
import pytest


def canonical(table: pa.Table, sort_by: list[str]) -> pa.Table:
    """Columns by name, rows by `sort_by`: neither server defines the order of dataset columns or of
    rows that come from different partitions/segments."""
    table = table.select(sorted(table.column_names))
    keys = [(name, "ascending") for name in sort_by if name in table.column_names]
    return table.sort_by(keys) if keys else table


def type_text(t: pa.DataType) -> str:
    """An Arrow type spelt out with the names and nullability of nested fields, which str() hides for
    lists and which Rerun's clients compare."""
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        v = t.value_field
        size = f"[{t.list_size}]" if pa.types.is_fixed_size_list(t) else ""
        kind = "fixed_size_list" if size else ("large_list" if pa.types.is_large_list(t) else "list")
        return f"{kind}<{v.name}: {type_text(v.type)}{'' if v.nullable else ' not null'}>{size}"
    if pa.types.is_struct(t):
        return "struct<" + ", ".join(f"{f.name}: {type_text(f.type)}{'' if f.nullable else ' not null'}" for f in t) + ">"
    return str(t)


def field_text(field: pa.Field, with_metadata: bool = True) -> tuple:
    metadata = {k.decode(): v.decode() for k, v in (field.metadata or {}).items()} if with_metadata else {}
    return field.name, type_text(field.type), field.nullable, tuple(sorted(metadata.items()))


def assert_tables_equal(ours_table: pa.Table, theirs_table: pa.Table, what: str, *, check_field_metadata: bool = False) -> None:
    """Same column names, Arrow types (nested names included), row count and values, column by column."""
    assert ours_table.column_names == theirs_table.column_names, f"{what}: column names differ"
    for name in ours_table.column_names:
        ours_field, theirs_field = ours_table.schema.field(name), theirs_table.schema.field(name)
        assert type_text(ours_field.type) == type_text(theirs_field.type), \
            f"{what}: type of {name}: ours {type_text(ours_field.type)}, rerun {type_text(theirs_field.type)}"
        if check_field_metadata:
            assert field_text(ours_field) == field_text(theirs_field), f"{what}: field {name}: ours {ours_field!r}, rerun {theirs_field!r}"
    assert ours_table.num_rows == theirs_table.num_rows, f"{what}: {ours_table.num_rows} rows vs rerun's {theirs_table.num_rows}"
    for name in ours_table.column_names:
        a = ours_table.column(name).to_pylist()
        b = theirs_table.column(name).to_pylist()
        if a != b:
            first = next(i for i, (x, y) in enumerate(zip(a, b)) if x != y)
            pytest.fail(f"{what}: column {name} differs first at row {first}: ours {a[first]!r}, rerun {b[first]!r}")
