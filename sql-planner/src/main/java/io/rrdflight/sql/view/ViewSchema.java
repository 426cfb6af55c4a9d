package io.rrdflight.sql.view;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The columns a {@link QueryView} returns over a dataset, in Rerun's remote order:
 * {@code rerun_partition_id}, every index column of the dataset, then the component columns the
 * contents select, minus tombstone and semantically empty columns (and, for a static-only view,
 * minus temporal columns).
 */
public record ViewSchema(QueryView view, List<IndexColumn> indexes, List<ComponentColumn> components) {
  public static final String PARTITION_ID = "rerun_partition_id";

  public ViewSchema {
    requireNonNull(view, "view is null");
    indexes = List.copyOf(indexes);
    components = List.copyOf(components);
  }

  public static ViewSchema of(QueryView view, DatasetColumns columns) {
    requireNonNull(view, "view is null");
    requireNonNull(columns, "columns is null");
    view.index().ifPresent(name -> {
      if (columns.index(name).isEmpty() && !columns.indexes().isEmpty()) {
        throw new IllegalArgumentException("Unknown index timeline '" + name + "'; the dataset's timelines are "
            + columns.indexes().stream().map(IndexColumn::name).toList());
      }
    });
    List<ComponentColumn> selected = new ArrayList<>();
    for (ComponentColumn c : columns.components()) {
      if (c.isTombstone() || c.isSemanticallyEmpty() || !view.contents().matches(c.entityPath())) {
        continue;
      }
      if (view.index().isEmpty() && !c.isStatic()) {
        continue; // a static-only view keeps only static columns
      }
      selected.add(c);
    }
    return new ViewSchema(view, columns.indexes(), selected);
  }

  /** Output column i: 0 is the partition id, then indexes, then components. */
  public int columnCount() {
    return 1 + indexes.size() + components.size();
  }

  public Schema arrowSchema() {
    List<Field> fields = new ArrayList<>();
    fields.add(partitionIdField());
    indexes.forEach(i -> fields.add(i.field()));
    components.forEach(c -> fields.add(c.field()));
    return new Schema(fields);
  }

  public List<String> columnNames() {
    List<String> names = new ArrayList<>();
    names.add(PARTITION_ID);
    indexes.forEach(i -> names.add(i.name()));
    components.forEach(c -> names.add(c.name()));
    return names;
  }

  public static Field partitionIdField() {
    return new Field(PARTITION_ID, new FieldType(false, ArrowType.Utf8.INSTANCE, null), null);
  }
}
