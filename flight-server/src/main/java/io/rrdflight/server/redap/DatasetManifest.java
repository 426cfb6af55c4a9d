package io.rrdflight.server.redap;

import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.Partition;
import io.rrdflight.rrd.proto.DataframePart;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.TimeStampNanoVector;
import org.apache.arrow.vector.UInt8Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A dataset's manifest ({@code dataset.manifest()}): one row per partition and layer, with its file,
 * when it was registered, its chunk count, size and a hash of its schema, then the layer's recording
 * properties as in the partition table. The schema hash is SHA-256 of the layer's dataframe schema
 * as stored by the catalog; equal schemas hash equal, but the bytes are not Rerun's.
 */
final class DatasetManifest {
  /** What 0.28+ manifests say of every layer we list: registered and readable. */
  static final String REGISTRATION_DONE = "done";

  /** The base columns; 0.28+ makes the counts and hash nullable and adds the registration status. */
  static Schema baseSchema(Vocabulary vocabulary) {
    boolean segments = vocabulary.segments();
    List<Field> fields = new ArrayList<>(List.of(
      utf8("rerun_layer_name"), utf8(vocabulary.idColumn()), utf8("rerun_storage_url"), utf8("rerun_layer_type"),
      timestamp("rerun_registration_time"), timestamp("rerun_last_updated_at"),
      new Field("rerun_num_chunks", new FieldType(segments, new ArrowType.Int(64, false), null), null),
      new Field("rerun_size_bytes", new FieldType(segments, new ArrowType.Int(64, false), null), null),
      new Field("rerun_schema_sha256", new FieldType(segments, new ArrowType.FixedSizeBinary(32), null), null)));
    if (segments) {
      fields.add(utf8("rerun_registration_status"));
    }
    return new Schema(fields);
  }

  private DatasetManifest() {}

  static Schema schema(List<PartitionProperties.Column> properties, Vocabulary vocabulary) {
    List<Field> fields = new ArrayList<>(baseSchema(vocabulary).getFields());
    fields.addAll(PartitionProperties.fields(properties));
    return new Schema(fields);
  }

  /** One row per layer: a partition "row" of a single layer, so properties are per layer. */
  static List<PartitionTable.Row> rows(List<Partition> partitions) {
    return partitions.stream().map(p -> new PartitionTable.Row(p.partitionId(), List.of(p))).toList();
  }

  static DataframePart batch(Catalog catalog, List<PartitionTable.Row> rows, List<String> columns, PartitionProperties properties,
      Vocabulary vocabulary, BufferAllocator allocator) {
    try (VectorSchemaRoot full = VectorSchemaRoot.create(baseSchema(vocabulary), allocator)) {
      full.allocateNew();
      for (int i = 0; i < rows.size(); i++) {
        Partition p = rows.get(i).layers().get(0);
        ((VarCharVector) full.getVector("rerun_layer_name")).setSafe(i, utf8Bytes(p.layer()));
        ((VarCharVector) full.getVector(vocabulary.idColumn())).setSafe(i, utf8Bytes(p.partitionId()));
        ((VarCharVector) full.getVector("rerun_storage_url")).setSafe(i, utf8Bytes(p.storageUrl().toString()));
        ((VarCharVector) full.getVector("rerun_layer_type")).setSafe(i, utf8Bytes(Registration.PARTITION_TYPE_RRD));
        ((TimeStampNanoVector) full.getVector("rerun_registration_time")).setSafe(i, ProtoValues.epochNanos(p.registeredAt()));
        ((TimeStampNanoVector) full.getVector("rerun_last_updated_at")).setSafe(i, ProtoValues.epochNanos(p.registeredAt()));
        ((UInt8Vector) full.getVector("rerun_num_chunks")).setSafe(i, p.servedChunkCount()); // what FetchChunks hands out: the compacted copy's, once read
        ((UInt8Vector) full.getVector("rerun_size_bytes")).setSafe(i, p.sizeBytes());
        ((FixedSizeBinaryVector) full.getVector("rerun_schema_sha256")).setSafe(i, sha256(catalog.schema(p).toArrow().toJson()));
        if (vocabulary.segments()) {
          ((VarCharVector) full.getVector("rerun_registration_status")).setSafe(i, utf8Bytes(REGISTRATION_DONE));
        }
      }
      full.setRowCount(rows.size());
      Map<String, FieldVector> byName = new LinkedHashMap<>();
      full.getFieldVectors().forEach(v -> byName.put(v.getName(), v));
      for (int i = 0; i < properties.columns().size(); i++) {
        byName.put(properties.columns().get(i).field().getName(), properties.values().get(i));
      }
      VectorSchemaRoot view = new VectorSchemaRoot(PartitionTable.project(schema(properties.columns(), vocabulary), columns),
          columns.stream().map(byName::get).toList(), rows.size());
      return vocabulary.part(view);
    }
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  private static Field utf8(String name) {
    return new Field(name, FieldType.notNullable(ArrowType.Utf8.INSTANCE), null);
  }

  private static Field timestamp(String name) {
    return new Field(name, FieldType.notNullable(new ArrowType.Timestamp(TimeUnit.NANOSECOND, null)), null);
  }

  private static byte[] utf8Bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
