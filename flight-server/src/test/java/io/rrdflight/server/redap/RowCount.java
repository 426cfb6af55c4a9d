package io.rrdflight.server.redap;

import io.rrdflight.rrd.proto.DataframePart;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowStreamReader;

/** Rows of a DataframePart, and its values as text, for tests. */
final class RowCount {
  private RowCount() {}

  /** Each column of the part's rows as text, by name. */
  static java.util.Map<String, java.util.List<String>> table(DataframePart part, BufferAllocator allocator) {
    java.util.Map<String, java.util.List<String>> columns = new java.util.LinkedHashMap<>();
    try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(part.getPayload().toByteArray()), allocator)) {
      while (reader.loadNextBatch()) {
        var root = reader.getVectorSchemaRoot();
        for (var v : root.getFieldVectors()) {
          var values = columns.computeIfAbsent(v.getName(), k -> new java.util.ArrayList<>());
          for (int i = 0; i < root.getRowCount(); i++) {
            values.add(String.valueOf(v.getObject(i)));
          }
        }
      }
      return columns;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static int of(DataframePart part, BufferAllocator allocator) {
    try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(part.getPayload().toByteArray()), allocator)) {
      int rows = 0;
      while (reader.loadNextBatch()) {
        rows += reader.getVectorSchemaRoot().getRowCount();
      }
      return rows;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
