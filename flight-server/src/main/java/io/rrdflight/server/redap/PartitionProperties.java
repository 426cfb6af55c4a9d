package io.rrdflight.server.redap;

import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.CatalogException;
import io.rrdflight.catalog.DatasetSchema;
import io.rrdflight.catalog.Partition;
import io.rrdflight.rrd.Chunk;
import io.rrdflight.rrd.ComponentColumn;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.RrdReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The recording-property columns of the partition table, as Rerun's server adds them: one column per
 * static component of an entity strictly below {@code /__properties} (what {@code rr.send_property}
 * writes; the root's RecordingInfo is not one), holding each partition's latest value, null where a
 * partition lacks it. Values come from decoding the few small static chunks of those entities.
 *
 * <p>Column names follow Rerun: {@code property:<path>:<archetype>:<field>} with {@code , space - . \}
 * replaced by {@code _}; list items (and the items of a fixed-size list inside) are nullable.
 */
final class PartitionProperties implements AutoCloseable {
  private static final String PROPERTIES = "/__properties/";

  /** A property column: its partition-table field, where it comes from, and its values once read. */
  record Column(Field field, String entityPath, String component) {}

  private final List<Column> columns;
  private final List<FieldVector> values;

  private PartitionProperties(List<Column> columns, List<FieldVector> values) {
    this.columns = columns;
    this.values = values;
  }

  /**
   * The property columns of a dataset with this schema, sorted by name (what the table's schema
   * shows). 0.28+ clients also get the root's own properties (RecordingInfo), which 0.27 left out.
   */
  static List<Column> columns(DatasetSchema schema, Vocabulary vocabulary) {
    Map<String, Column> byName = new java.util.TreeMap<>();
    for (DatasetSchema.ComponentColumn c : schema.components()) {
      boolean below = c.entityPath().startsWith(PROPERTIES);
      boolean root = vocabulary.segments() && c.entityPath().equals(PROPERTIES.substring(0, PROPERTIES.length() - 1));
      if (!(below || root) || !c.isStatic()) {
        continue;
      }
      String name = columnName(c.entityPath(), c.component(), c.archetype());
      byName.putIfAbsent(name, new Column(field(name, c), c.entityPath(), c.component()));
    }
    return List.copyOf(byName.values());
  }

  static List<Field> fields(List<Column> columns) {
    return columns.stream().map(Column::field).toList();
  }

  /** Rerun's name: {@code property}, the path below /__properties, the archetype's short name, the field. */
  static String columnName(String entityPath, String component, Optional<String> archetype) {
    String path = entityPath.length() > PROPERTIES.length() ? entityPath.substring(PROPERTIES.length()) : "";
    while (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    List<String> parts = new ArrayList<>();
    parts.add("property");
    parts.add(path);
    archetype.map(a -> a.substring(a.lastIndexOf('.') + 1)).ifPresent(parts::add);
    int colon = component.lastIndexOf(':');
    parts.add(archetype.isPresent() && colon >= 0 ? component.substring(colon + 1) : component);
    return String.join(":", parts.stream().filter(p -> !p.isEmpty()).toList()).replaceAll("[, \\-.\\\\]", "_");
  }

  private static Field field(String name, DatasetSchema.ComponentColumn c) {
    Field item = c.field().getChildren().get(0);
    Field nullableItem = new Field("item", new FieldType(true, item.getType(), item.getDictionary(), null), nullableFixedSizeListItems(item));
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put(DatasetSchema.KIND, "data");
    metadata.put(DatasetSchema.COMPONENT, c.component());
    metadata.put(DatasetSchema.ENTITY_PATH, c.entityPath());
    c.archetype().ifPresent(a -> metadata.put(DatasetSchema.ARCHETYPE, a));
    c.componentType().ifPresent(t -> metadata.put(DatasetSchema.COMPONENT_TYPE, t));
    return new Field(name, new FieldType(true, ArrowType.List.INSTANCE, null, metadata), List.of(nullableItem));
  }

  /** Rerun makes the items of a fixed-size list nullable in property columns (a Lance constraint). */
  private static List<Field> nullableFixedSizeListItems(Field item) {
    if (!(item.getType() instanceof ArrowType.FixedSizeList)) {
      return item.getChildren();
    }
    Field inner = item.getChildren().get(0);
    return List.of(new Field(inner.getName(), new FieldType(true, inner.getType(), inner.getDictionary(), inner.getMetadata()), inner.getChildren()));
  }

  /**
   * Reads the property values of every row. Within a layer the value with the largest row id wins
   * (the last one written); a later-registered layer wins over an earlier one.
   */
  static PartitionProperties read(Catalog catalog, List<PartitionTable.Row> rows, List<Column> columns, BufferAllocator allocator) {
    List<FieldVector> values = new ArrayList<>();
    try {
      for (Column c : columns) {
        FieldVector v = c.field().createVector(allocator);
        v.allocateNew();
        values.add(v);
      }
      if (!columns.isEmpty()) {
        for (int row = 0; row < rows.size(); row++) {
          fill(catalog, rows.get(row), row, columns, values, allocator);
        }
      }
      values.forEach(v -> v.setValueCount(rows.size()));
      return new PartitionProperties(columns, values);
    } catch (RuntimeException e) {
      values.forEach(FieldVector::close);
      throw e;
    }
  }

  private static void fill(Catalog catalog, PartitionTable.Row row, int index, List<Column> columns, List<FieldVector> values,
      BufferAllocator allocator) {
    Map<String, Integer> columnOf = new HashMap<>();
    for (int i = 0; i < columns.size(); i++) {
      columnOf.put(columns.get(i).entityPath() + "\u0000" + columns.get(i).component(), i);
    }
    java.util.Set<String> wantedEntities = new java.util.HashSet<>();
    columns.forEach(c -> wantedEntities.add(c.entityPath()));
    List<Chunk> open = new ArrayList<>();
    try {
      Map<Integer, Cell> chosen = new HashMap<>();
      for (Partition layer : row.layers()) {
        Map<Integer, Cell> best = new HashMap<>();
        for (IndexedChunk ic : catalog.chunks(layer).chunks()) {
          // Only chunks of the wanted entities: below /__properties, or the root itself (0.28+).
          if (!ic.isStatic() || !wantedEntities.contains(ic.entityPath())) {
            continue;
          }
          Chunk chunk = catalog.readChunk(layer, ic.offset(), ic.length(), allocator);
          open.add(chunk);
          for (ComponentColumn cc : chunk.componentColumns()) {
            Integer column = columnOf.get(chunk.entityPath() + "\u0000" + cc.descriptor().component());
            if (column == null) {
              continue;
            }
            for (int r = 0; r < chunk.rowCount(); r++) {
              if (cc.vector().isNull(r)) {
                continue;
              }
              byte[] rowId = chunk.rowIds().get(r);
              Cell current = best.get(column);
              if (current == null || Arrays.compareUnsigned(rowId, current.rowId()) > 0) {
                best.put(column, new Cell(cc.vector(), r, rowId));
              }
            }
          }
        }
        chosen.putAll(best);
      }
      chosen.forEach((column, cell) -> cell.vector().makeTransferPair(values.get(column)).copyValueSafe(cell.row(), index));
    } finally {
      open.forEach(Chunk::close);
    }
  }

  private record Cell(FieldVector vector, int row, byte[] rowId) {}

  List<Column> columns() {
    return columns;
  }

  /** The values of each column, one per row, in {@link #columns()} order; owned by this object. */
  List<FieldVector> values() {
    return values;
  }

  @Override
  public void close() {
    values.forEach(FieldVector::close);
  }
}
