package io.rrdflight.server.redap;

import io.rrdflight.catalog.Partition;
import io.rrdflight.rrd.proto.DataframePart;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
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
  static final String PARTITION_ID = "rerun_partition_id";
  static final String LAYER_NAMES = "rerun_layer_names";
  static final String STORAGE_URLS = "rerun_storage_urls";
  static final String LAST_UPDATED_AT = "rerun_last_updated_at";
  static final String NUM_CHUNKS = "rerun_num_chunks";
  static final String SIZE_BYTES = "rerun_size_bytes";

  /** The columns every partition table has; recording properties follow ({@link PartitionProperties}). */
  static final Schema BASE_SCHEMA = new Schema(List.of(
      new Field(PARTITION_ID, FieldType.notNullable(ArrowType.Utf8.INSTANCE), null),
      utf8List(LAYER_NAMES),
      utf8List(STORAGE_URLS),
      new Field(LAST_UPDATED_AT, FieldType.notNullable(new ArrowType.Timestamp(TimeUnit.NANOSECOND, null)), null),
      new Field(NUM_CHUNKS, FieldType.notNullable(new ArrowType.Int(64, false)), null),
      new Field(SIZE_BYTES, FieldType.notNullable(new ArrowType.Int(64, false)), null)));

  /** A list column whose items are named like the column and never null, as in Rerun's table. */
  private static Field utf8List(String name) {
    return new Field(name, FieldType.notNullable(ArrowType.List.INSTANCE),
        List.of(new Field(name, FieldType.notNullable(ArrowType.Utf8.INSTANCE), null)));
  }

  /** The table's schema: the base columns, then the dataset's property columns. */
  static Schema schema(List<PartitionProperties.Column> properties) {
    List<Field> fields = new ArrayList<>(BASE_SCHEMA.getFields());
    fields.addAll(PartitionProperties.fields(properties));
    return new Schema(fields);
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
  static DataframePart batch(List<Row> rows, List<String> columns, PartitionProperties properties, BufferAllocator allocator) {
    try (VectorSchemaRoot full = VectorSchemaRoot.create(BASE_SCHEMA, allocator)) {
      full.allocateNew();
      VarCharVector ids = (VarCharVector) full.getVector(PARTITION_ID);
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
        chunks.setSafe(row, r.layers().stream().mapToLong(Partition::chunkCount).sum());
        bytes.setSafe(row, r.layers().stream().mapToLong(Partition::sizeBytes).sum());
      }
      full.setRowCount(rows.size());
      Map<String, FieldVector> byName = new LinkedHashMap<>();
      full.getFieldVectors().forEach(v -> byName.put(v.getName(), v));
      for (int i = 0; i < properties.columns().size(); i++) {
        byName.put(properties.columns().get(i).field().getName(), properties.values().get(i));
      }
      List<FieldVector> projected = columns.stream().map(byName::get).toList();
      // Shares vectors owned by `full` and `properties`, which close them. The schema is given
      // explicitly: one derived from the vectors would name list items "$data$", not Rerun's names.
      VectorSchemaRoot view = new VectorSchemaRoot(project(schema(properties.columns()), columns), projected, rows.size());
      return ArrowIpc.dataframePart(view);
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
