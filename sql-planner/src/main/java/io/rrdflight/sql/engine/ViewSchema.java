package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.ColumnNames;
import io.rrdflight.catalog.DatasetSchema;
import io.rrdflight.catalog.DatasetSchema.ComponentColumn;
import io.rrdflight.rrd.DictionaryValues;
import io.rrdflight.rrd.Timeline;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The columns a {@link QueryView} returns over a dataset, in Rerun's remote order:
 * {@code rerun_partition_id}, every index column of the dataset, then the component columns the
 * contents select, minus tombstone and semantically empty columns (query-semantics.md §2) and,
 * for a static-only view, minus temporal columns.
 */
public record ViewSchema(QueryView view, List<Timeline> indexes, List<ComponentColumn> components) {
  public static final String PARTITION_ID = ColumnNames.PARTITION_ID;

  public ViewSchema {
    requireNonNull(view, "view is null");
    indexes = List.copyOf(indexes);
    components = List.copyOf(components);
  }

  public static ViewSchema of(QueryView view, DatasetSchema dataset) {
    requireNonNull(view, "view is null");
    requireNonNull(dataset, "dataset is null");
    view.index().ifPresent(name -> {
      if (dataset.timeline(name).isEmpty() && !dataset.timelines().isEmpty()) {
        throw new IllegalArgumentException("Unknown index timeline '" + name + "'; the dataset's timelines are "
            + dataset.timelines().stream().map(Timeline::name).toList());
      }
    });
    List<ComponentColumn> selected = new ArrayList<>();
    for (ComponentColumn c : dataset.components()) {
      if (c.isTombstone() || c.isSemanticallyEmpty() || !view.contents().matches(c.entityPath())) {
        continue;
      }
      if (view.index().isEmpty() && !c.isStatic()) {
        continue; // a static-only view keeps only static columns
      }
      selected.add(c);
    }
    return new ViewSchema(view, dataset.timelines(), selected);
  }

  /** The same columns over a narrower view (fewer partitions, a smaller range). */
  public ViewSchema withView(QueryView narrowed) {
    return new ViewSchema(narrowed, indexes, components);
  }

  /** The view's index timeline, if it has one and the dataset knows it. */
  public Optional<Timeline> index() {
    return view.index().flatMap(name -> indexes.stream().filter(t -> t.name().equals(name)).findFirst());
  }

  /** Output column i: 0 is the partition id, then indexes, then components. */
  public int columnCount() {
    return 1 + indexes.size() + components.size();
  }

  public Schema arrowSchema() {
    List<Field> fields = new ArrayList<>();
    fields.add(partitionIdField());
    indexes.forEach(t -> fields.add(DatasetSchema.indexField(t)));
    // A view's batches hold values: a dictionary-encoded field in a result's schema made Flight's stream
    // start fail for want of the dictionary (INTERNAL), and chunks are decoded to values.
    components.forEach(c -> fields.add(DictionaryValues.valueField(c.field())));
    return new Schema(fields);
  }

  public List<String> columnNames() {
    List<String> names = new ArrayList<>();
    names.add(PARTITION_ID);
    indexes.forEach(t -> names.add(t.name()));
    components.forEach(c -> names.add(c.name()));
    return names;
  }

  public static Field partitionIdField() {
    return new Field(PARTITION_ID, new FieldType(false, ArrowType.Utf8.INSTANCE, null), null);
  }
}
