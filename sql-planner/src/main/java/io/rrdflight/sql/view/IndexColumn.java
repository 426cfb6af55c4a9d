package io.rrdflight.sql.view;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;

/** A timeline of a dataset: its name is the column name and, for a timeline table, the table name. */
public record IndexColumn(String name, TimelineKind kind) {
  public IndexColumn {
    requireNonNull(name, "name is null");
    requireNonNull(kind, "kind is null");
  }

  /** The dataframe field Rerun returns for this index: nullable, with Rerun's index metadata. */
  public Field field() {
    return new Field(name, new FieldType(true, kind.arrowType(), null,
        Map.of("rerun:kind", "index", "rerun:index_name", name)), null);
  }
}
