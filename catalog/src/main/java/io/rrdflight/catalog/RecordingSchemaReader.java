package io.rrdflight.catalog;

import io.rrdflight.rrd.Chunk;
import io.rrdflight.rrd.ChunkIndex;
import io.rrdflight.rrd.ComponentColumn;
import io.rrdflight.rrd.ComponentDescriptor;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.RrdReader;
import io.rrdflight.rrd.Timeline;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.complex.BaseListVector;
import org.apache.arrow.vector.complex.ListVector;

/**
 * Works out a recording's {@link DatasetSchema} from its chunk index. Column types and whether a
 * column ever holds a value are not in the index, so chunks are decoded, one at a time, only until
 * every column has been seen with a non-empty cell: usually one chunk per column. A column that
 * is empty everywhere costs a decode of each of its chunks.
 */
final class RecordingSchemaReader {

  private RecordingSchemaReader() {}

  private record Key(String entityPath, String component) {}

  private static final class Column {
    final ComponentDescriptor descriptor;
    org.apache.arrow.vector.types.pojo.Field field;
    boolean isStatic;
    boolean nonEmpty;

    Column(ComponentDescriptor descriptor) {
      this.descriptor = descriptor;
    }
  }

  static DatasetSchema read(ChunkIndex index, BufferAllocator allocator) throws IOException {
    TreeSet<Timeline> timelines = new TreeSet<>();
    Map<Key, Column> columns = new LinkedHashMap<>();
    for (IndexedChunk chunk : index.chunks()) {
      timelines.addAll(chunk.timeRanges().keySet());
      for (ComponentDescriptor d : chunk.components()) {
        Column c = columns.computeIfAbsent(new Key(chunk.entityPath(), d.component()), k -> new Column(d));
        c.isStatic |= chunk.isStatic();
      }
    }
    for (IndexedChunk chunk : index.chunks()) {
      boolean needed = chunk.components().stream()
          .map(d -> columns.get(new Key(chunk.entityPath(), d.component())))
          .anyMatch(c -> c.field == null || !c.nonEmpty);
      if (!needed) {
        continue;
      }
      try (Chunk decoded = RrdReader.readChunk(index.file(), chunk.offset(), chunk.length(), allocator)) {
        for (ComponentColumn cc : decoded.componentColumns()) {
          Column c = columns.get(new Key(chunk.entityPath(), cc.descriptor().component()));
          if (c == null) {
            continue; // all-null in this chunk, so not in the index's list for it
          }
          if (c.field == null) {
            // From the chunk's IPC schema: decoded vectors name list items "$data$", while the
            // chunks (and Rerun's clients, which compare types with names) say "item".
            c.field = decoded.root().getSchema().findField(cc.vector().getName());
          }
          c.nonEmpty |= hasNonEmptyCell(cc.vector());
        }
      }
    }
    List<DatasetSchema.ComponentColumn> out = new ArrayList<>();
    for (Map.Entry<Key, Column> e : columns.entrySet()) {
      Column c = e.getValue();
      if (c.field == null) {
        continue;
      }
      out.add(new DatasetSchema.ComponentColumn(e.getKey().entityPath(), e.getKey().component(), c.descriptor.archetype(),
          c.descriptor.componentType(), c.field, c.isStatic, e.getKey().component().equals(ColumnNames.CLEAR_IS_RECURSIVE), !c.nonEmpty));
    }
    return new DatasetSchema(new ArrayList<>(timelines), out);
  }

  /** A cell counts when it is neither null nor an empty list (Rerun's "semantically empty"). */
  private static boolean hasNonEmptyCell(FieldVector vector) {
    for (int row = 0; row < vector.getValueCount(); row++) {
      if (vector.isNull(row)) {
        continue;
      }
      if (vector instanceof ListVector list) {
        if (list.getElementEndIndex(row) > list.getElementStartIndex(row)) {
          return true;
        }
      } else if (vector instanceof BaseListVector) {
        return true;
      } else {
        return true;
      }
    }
    return false;
  }
}
