package io.rrdflight.server.redap;

import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.DatasetSchema;
import io.rrdflight.catalog.Partition;
import io.rrdflight.rrd.IndexRange;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.Timeline;
import io.rrdflight.rrd.proto.DataframePart;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DurationVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TimeStampNanoVector;
import org.apache.arrow.vector.UInt8Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A dataset's partition table: one row per partition with its layers, their storage URLs, when it
 * last changed, and its chunk count and size. The SDK passes scanned batches through without
 * casting, so GetPartitionTableSchema and ScanPartitionTable must agree exactly; both come from here.
 */
final class PartitionTable {
  static final String LAYER_NAMES = "rerun_layer_names";
  static final String STORAGE_URLS = "rerun_storage_urls";
  static final String LAST_UPDATED_AT = "rerun_last_updated_at";
  static final String NUM_CHUNKS = "rerun_num_chunks";
  static final String SIZE_BYTES = "rerun_size_bytes";

  /** The columns every partition table has; recording properties follow ({@link PartitionProperties}). */
  static Schema baseSchema(Vocabulary vocabulary) {
    return new Schema(List.of(
      new Field(vocabulary.idColumn(), FieldType.notNullable(ArrowType.Utf8.INSTANCE), null),
      utf8List(LAYER_NAMES, vocabulary),
      utf8List(STORAGE_URLS, vocabulary),
      new Field(LAST_UPDATED_AT, FieldType.notNullable(new ArrowType.Timestamp(TimeUnit.NANOSECOND, null)), null),
      new Field(NUM_CHUNKS, FieldType.notNullable(new ArrowType.Int(64, false)), null),
      new Field(SIZE_BYTES, FieldType.notNullable(new ArrowType.Int(64, false)), null)));
  }

  /** A list column whose items are never null, named like the column (0.27) or {@code item} (0.28+), as in Rerun's table. */
  private static Field utf8List(String name, Vocabulary vocabulary) {
    return new Field(name, FieldType.notNullable(ArrowType.List.INSTANCE),
        List.of(new Field(vocabulary.segments() ? "item" : name, FieldType.notNullable(ArrowType.Utf8.INSTANCE), null)));
  }

  /**
   * The table's schema: the base columns, the dataset's property columns, then (0.28+) each
   * timeline's end and start per segment, timelines by name.
   */
  static Schema schema(List<PartitionProperties.Column> properties, List<Timeline> timelines, Vocabulary vocabulary) {
    List<Field> fields = new ArrayList<>(baseSchema(vocabulary).getFields());
    fields.addAll(PartitionProperties.fields(properties));
    for (Timeline t : timelines) {
      fields.add(boundField(t, "end"));
      fields.add(boundField(t, "start"));
    }
    return new Schema(fields);
  }

  private static Field boundField(Timeline timeline, String marker) {
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("rerun:index", timeline.name());
    metadata.put("rerun:index_kind", timeline.kind().name().toLowerCase(java.util.Locale.ROOT));
    metadata.put("rerun:index_marker", marker);
    metadata.put("rerun:kind", "index");
    return new Field(timeline.name() + ":" + marker, new FieldType(true, DatasetSchema.arrowType(timeline.kind()), null, metadata), null);
  }

  /**
   * Each row's range on every timeline, from one pass over its layers' chunk indexes (not one pass
   * per timeline); a timeline a row lacks has no entry.
   */
  private static List<Map<Timeline, IndexRange>> rangesPerRow(List<Row> rows, Catalog catalog) {
    List<Map<Timeline, IndexRange>> ranges = new ArrayList<>();
    for (Row row : rows) {
      Map<Timeline, IndexRange> own = new HashMap<>();
      for (Partition layer : row.layers()) {
        for (IndexedChunk c : catalog.chunks(layer).chunks()) {
          c.timeRanges().forEach((t, r) -> own.merge(t, r, (x, y) -> new IndexRange(Math.min(x.min(), y.min()), Math.max(x.max(), y.max()))));
        }
      }
      ranges.add(own);
    }
    return ranges;
  }

  /** Fills the end/start columns of {@code timeline}; null where a segment lacks it. */
  private static void fillBounds(List<Map<Timeline, IndexRange>> ranges, Timeline timeline, FieldVector end, FieldVector start) {
    end.allocateNew();
    start.allocateNew();
    for (int row = 0; row < ranges.size(); row++) {
      IndexRange r = ranges.get(row).get(timeline);
      if (r != null) {
        setIndexValue(end, row, r.max());
        setIndexValue(start, row, r.min());
      } else {
        end.setNull(row);
        start.setNull(row);
      }
    }
    end.setValueCount(ranges.size());
    start.setValueCount(ranges.size());
  }

  /** One partition: its layers in registration order. */
  record Row(String partitionId, List<Partition> layers) {
    Instant lastUpdatedAt() {
      return layers.stream().map(Partition::registeredAt).max(Comparator.naturalOrder()).orElseThrow();
    }
  }

  private PartitionTable() {}

  /** Groups a dataset's (partition, layer) entries into rows, ordered by partition id. */
  static List<Row> rows(List<Partition> partitions) {
    Map<String, List<Partition>> byId = new LinkedHashMap<>();
    partitions.stream()
        .sorted(Comparator.comparing(Partition::partitionId))
        .forEach(p -> byId.computeIfAbsent(p.partitionId(), k -> new ArrayList<>()).add(p));
    List<Row> rows = new ArrayList<>();
    byId.forEach((id, layers) -> {
      layers.sort(Comparator.comparing(Partition::registeredAt).thenComparing(Partition::layer));
      rows.add(new Row(id, List.copyOf(layers)));
    });
    return rows;
  }

  /**
   * The names to return, in order: all columns for an empty list, else exactly the ones asked for.
   * Unknown or repeated names are INVALID_ARGUMENT, as with Rerun.
   */
  static List<String> projection(Schema schema, List<String> requested) {
    if (requested.isEmpty()) {
      return schema.getFields().stream().map(Field::getName).toList();
    }
    Set<String> seen = new HashSet<>();
    for (String name : requested) {
      if (!seen.add(name)) {
        throw CatalogStatus.invalidArgument("Column '" + name + "' is asked for twice");
      }
      if (schema.getFields().stream().noneMatch(f -> f.getName().equals(name))) {
        throw CatalogStatus.invalidArgument("No column '" + name + "' in this table; it has "
            + schema.getFields().stream().map(Field::getName).toList());
      }
    }
    return List.copyOf(requested);
  }

  static Schema project(Schema schema, List<String> columns) {
    return new Schema(columns.stream().map(schema::findField).toList());
  }

  /** The table with only {@code columns}, as one batch; {@code properties} holds the rows' property values. */
  /** An index value into a vector of one of the three index types (int64, timestamp[ns], duration[ns]). */
  static void setIndexValue(FieldVector vector, int row, long value) {
    if (vector instanceof BigIntVector v) {
      v.setSafe(row, value);
    } else if (vector instanceof TimeStampVector v) {
      v.setSafe(row, value);
    } else if (vector instanceof DurationVector v) {
      v.setSafe(row, value);
    } else {
      throw new IllegalStateException("not an index vector: " + vector.getField());
    }
  }

  static DataframePart batch(List<Row> rows, List<String> columns, PartitionProperties properties, List<Timeline> timelines,
      Vocabulary vocabulary, Catalog catalog, BufferAllocator allocator) {
    List<FieldVector> bounds = new ArrayList<>();
    List<Map<Timeline, IndexRange>> ranges = null;
    try {
      Schema full = schema(properties.columns(), timelines, vocabulary);
      for (Timeline t : timelines) {
        FieldVector end = full.findField(t.name() + ":end").createVector(allocator);
        bounds.add(end);
        FieldVector start = full.findField(t.name() + ":start").createVector(allocator);
        bounds.add(start);
        if (columns.contains(end.getName()) || columns.contains(start.getName())) {
          if (ranges == null) {
            ranges = rangesPerRow(rows, catalog);
          }
          fillBounds(ranges, t, end, start);
        } else {
          end.setValueCount(rows.size());
          start.setValueCount(rows.size());
        }
      }
      return batch(rows, columns, properties, timelines, bounds, vocabulary, allocator);
    } finally {
      bounds.forEach(FieldVector::close);
    }
  }

  private static DataframePart batch(List<Row> rows, List<String> columns, PartitionProperties properties, List<Timeline> timelines,
      List<FieldVector> bounds, Vocabulary vocabulary, BufferAllocator allocator) {
    try (VectorSchemaRoot full = VectorSchemaRoot.create(baseSchema(vocabulary), allocator)) {
      full.allocateNew();
      VarCharVector ids = (VarCharVector) full.getVector(vocabulary.idColumn());
      ListVector layerNames = (ListVector) full.getVector(LAYER_NAMES);
      ListVector storageUrls = (ListVector) full.getVector(STORAGE_URLS);
      TimeStampNanoVector updated = (TimeStampNanoVector) full.getVector(LAST_UPDATED_AT);
      UInt8Vector chunks = (UInt8Vector) full.getVector(NUM_CHUNKS);
      UInt8Vector bytes = (UInt8Vector) full.getVector(SIZE_BYTES);
      for (int row = 0; row < rows.size(); row++) {
        Row r = rows.get(row);
        ids.setSafe(row, utf8(r.partitionId()));
        appendStrings(layerNames, row, r.layers().stream().map(Partition::layer).toList());
        appendStrings(storageUrls, row, r.layers().stream().map(p -> p.storageUrl().toString()).toList());
        updated.setSafe(row, ProtoValues.epochNanos(r.lastUpdatedAt()));
        chunks.setSafe(row, r.layers().stream().mapToLong(Partition::servedChunkCount).sum()); // what FetchChunks hands out
        bytes.setSafe(row, r.layers().stream().mapToLong(Partition::sizeBytes).sum());
      }
      full.setRowCount(rows.size());
      Map<String, FieldVector> byName = new LinkedHashMap<>();
      full.getFieldVectors().forEach(v -> byName.put(v.getName(), v));
      for (int i = 0; i < properties.columns().size(); i++) {
        byName.put(properties.columns().get(i).field().getName(), properties.values().get(i));
      }
      bounds.forEach(v -> byName.put(v.getName(), v));
      List<FieldVector> projected = columns.stream().map(byName::get).toList();
      // Shares vectors owned by `full` and `properties`, which close them. The schema is given
      // explicitly: one derived from the vectors would name list items "$data$", not Rerun's names.
      VectorSchemaRoot view = new VectorSchemaRoot(project(schema(properties.columns(), timelines, vocabulary), columns), projected, rows.size());
      return vocabulary.part(view);
    }
  }

  private static void appendStrings(ListVector list, int row, List<String> values) {
    VarCharVector items = (VarCharVector) list.getDataVector();
    int start = list.startNewValue(row);
    for (int i = 0; i < values.size(); i++) {
      items.setSafe(start + i, utf8(values.get(i)));
    }
    list.endValue(row, values.size());
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
