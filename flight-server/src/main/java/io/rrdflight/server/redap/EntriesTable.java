package io.rrdflight.server.redap;

import io.rrdflight.rrd.proto.DataframePart;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampNanoVector;
import org.apache.arrow.vector.UInt1Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The {@code __entries} system table: one row per entry (every dataset, and this table itself) with
 * columns id (the 16 TUID bytes), name, entry_kind (the EntryKind number), created_at, updated_at.
 * Clients filter it on entry_kind and hex-encode id for links, so the types are Rerun's exactly.
 */
final class EntriesTable {
  static final Schema SCHEMA = schema(Vocabulary.PARTITIONS);

  /** 0.28+ types entry_kind as uint8 tagged with its component type; 0.27 as int32. */
  static Schema schema(Vocabulary vocabulary) {
    Field kind = vocabulary.segments()
        ? new Field("entry_kind", new FieldType(false, new ArrowType.Int(8, false), null,
            java.util.Map.of("rerun:component_type", "rerun.components.EntryKind")), null)
        : new Field("entry_kind", FieldType.notNullable(new ArrowType.Int(32, true)), null);
    return new Schema(List.of(
      new Field("id", FieldType.notNullable(new ArrowType.FixedSizeBinary(16)), null),
      new Field("name", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null),
      kind,
      new Field("created_at", FieldType.notNullable(new ArrowType.Timestamp(TimeUnit.NANOSECOND, null)), null),
      new Field("updated_at", FieldType.notNullable(new ArrowType.Timestamp(TimeUnit.NANOSECOND, null)), null)));
  }

  private EntriesTable() {}

  static DataframePart batch(List<Entries.Entry> entries, Vocabulary vocabulary, BufferAllocator allocator) {
    try (VectorSchemaRoot root = VectorSchemaRoot.create(schema(vocabulary), allocator)) {
      FixedSizeBinaryVector id = (FixedSizeBinaryVector) root.getVector("id");
      VarCharVector name = (VarCharVector) root.getVector("name");
      FieldVector kind = root.getVector("entry_kind");
      TimeStampNanoVector created = (TimeStampNanoVector) root.getVector("created_at");
      TimeStampNanoVector updated = (TimeStampNanoVector) root.getVector("updated_at");
      root.allocateNew();
      for (int row = 0; row < entries.size(); row++) {
        Entries.Entry e = entries.get(row);
        id.setSafe(row, e.id().toBytes());
        name.setSafe(row, e.name().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        if (kind instanceof UInt1Vector narrow) {
          narrow.setSafe(row, e.kind().getNumber());
        } else {
          ((IntVector) kind).setSafe(row, e.kind().getNumber());
        }
        created.setSafe(row, ProtoValues.epochNanos(e.createdAt()));
        updated.setSafe(row, ProtoValues.epochNanos(e.updatedAt()));
      }
      root.setRowCount(entries.size());
      return vocabulary.part(root);
    }
  }
}
