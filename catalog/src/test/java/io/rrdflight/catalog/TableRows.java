package io.rrdflight.catalog;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/** Test rows for tables: (segment_id utf8 marked as the index, n int64), as Arrow IPC readers. */
final class TableRows {
  static final Schema SCHEMA = new Schema(List.of(
      new Field("segment_id", new FieldType(true, ArrowType.Utf8.INSTANCE, null, Map.of(LanceTables.INDEX_MARKER, "true")), null),
      new Field("n", FieldType.nullable(new ArrowType.Int(64, true)), null)));

  private TableRows() {}

  /** {@code count} rows with ids prefix+i and n = i, in one batch. */
  static ArrowReader rows(BufferAllocator allocator, Schema schema, String prefix, int count) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
        ArrowStreamWriter writer = new ArrowStreamWriter(root, null, out)) {
      root.allocateNew();
      for (int i = 0; i < count; i++) {
        ((VarCharVector) root.getVector(0)).setSafe(i, (prefix + i).getBytes(StandardCharsets.UTF_8));
        if (root.getFieldVectors().size() > 1) {
          if (root.getVector(1) instanceof BigIntVector n) {
            n.setSafe(i, i);
          } else if (root.getVector(1) instanceof VarCharVector s) {
            s.setSafe(i, String.valueOf(i).getBytes(StandardCharsets.UTF_8));
          }
        }
      }
      root.setRowCount(count);
      writer.start();
      writer.writeBatch();
      writer.end();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return new ArrowStreamReader(new ByteArrayInputStream(out.toByteArray()), allocator);
  }

  /** Every row as "segment_id=n", in table order. */
  static List<String> read(LanceTables tables, Table table, BufferAllocator allocator) throws IOException {
    List<String> out = new ArrayList<>();
    try (LanceTables.Rows rows = tables.scan(table, allocator, List.of(), java.util.Optional.empty(), 8192)) {
      while (rows.reader().loadNextBatch()) {
        VectorSchemaRoot root = rows.reader().getVectorSchemaRoot();
        for (int i = 0; i < root.getRowCount(); i++) {
          out.add(root.getVector(0).getObject(i) + "=" + root.getVector(1).getObject(i));
        }
      }
    }
    return out;
  }
}
