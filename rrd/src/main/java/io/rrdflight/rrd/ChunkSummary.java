package io.rrdflight.rrd;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.arrow.flatbuf.Buffer;
import org.apache.arrow.flatbuf.FieldNode;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.vector.TypeLayout;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * What the index needs to know about a chunk, read from its IPC stream without building vectors:
 * the schema gives entity path, id and columns; the record batch header gives the row count and
 * null counts; the index columns' value buffers give the time ranges. Component data is never
 * touched.
 *
 * @param timeRanges per timeline, the smallest and largest non-null value; a timeline whose values
 *     are all null has no entry
 * @param components the component columns that hold at least one non-null cell
 */
record ChunkSummary(
    ChunkId id,
    String entityPath,
    boolean isStatic,
    long rowCount,
    SortedMap<Timeline, IndexRange> timeRanges,
    List<ComponentDescriptor> components) {

  ChunkSummary {
    timeRanges = Collections.unmodifiableSortedMap(new TreeMap<>(timeRanges));
    components = List.copyOf(components);
  }

  static ChunkSummary of(IpcStream ipc, ArrowMsgHeader msg, Path file) throws RrdFormatException {
    long offset = msg.dataOffset();
    ChunkSchema schema = ChunkSchema.of(ipc.schema(), file, offset);
    ChunkId id = msg.chunkId().or(schema::id)
        .orElseThrow(() -> new RrdFormatException(file, offset, "chunk has no id: neither ArrowMsg.chunk_id nor rerun:id is set"));
    try {
      Layout layout = new Layout(ipc.schema().getFields());
      RecordBatch batch = ipc.batch();
      long rows = batch.length();
      long expectedBuffers = layout.bufferCount;
      for (int i = 0; i < batch.variadicBufferCountsLength(); i++) {
        expectedBuffers += batch.variadicBufferCounts(i); // view types list their data buffers here
      }
      if (batch.nodesLength() != layout.nodeCount || batch.buffersLength() != expectedBuffers) {
        throw new RrdFormatException(file, offset, "record batch has " + batch.nodesLength() + " field nodes and " + batch.buffersLength()
            + " buffers; its schema expects " + layout.nodeCount + " and " + expectedBuffers);
      }
      for (int position = 0; position < layout.firstNode.length; position++) {
        long length = batch.nodes(layout.firstNode[position]).length();
        if (length != rows) {
          throw new RrdFormatException(file, offset, "column " + position + " has " + length + " rows; the record batch has " + rows);
        }
      }
      SortedMap<Timeline, IndexRange> ranges = new TreeMap<>();
      for (ChunkSchema.IndexField f : schema.indexFields()) {
        IndexRange range = range(ipc, layout, f.position(), file, offset);
        if (range != null) {
          ranges.merge(f.timeline(), range, IndexRange::span);
        }
      }
      List<ComponentDescriptor> components = new ArrayList<>();
      for (ChunkSchema.ComponentField f : schema.componentFields()) {
        FieldNode node = batch.nodes(layout.firstNode[f.position()]);
        if (node.nullCount() < node.length()) {
          components.add(f.descriptor());
        }
      }
      return new ChunkSummary(id, schema.entityPath(), schema.isStatic(), rows, ranges, components);
    } catch (RuntimeException e) {
      // Flatbuffer accessors signal out-of-range offsets in corrupt headers with runtime exceptions.
      throw new RrdFormatException(file, offset, "corrupt Arrow record batch header in chunk payload (" + e + ")", e);
    }
  }

  /** Min and max of an Int64-like column, read from its buffers; null if every value is null. */
  private static IndexRange range(IpcStream ipc, Layout layout, int position, Path file, long offset) throws RrdFormatException {
    RecordBatch batch = ipc.batch();
    FieldNode node = batch.nodes(layout.firstNode[position]);
    long rows = node.length();
    long nulls = node.nullCount();
    if (rows == 0 || nulls >= rows) {
      return null;
    }
    Buffer validity = batch.buffers(layout.firstBuffer[position]);
    Buffer values = batch.buffers(layout.firstBuffer[position] + 1);
    ByteBuffer data = ipc.data();
    int valuesAt = checkedSlice(ipc, values, rows * Long.BYTES, file, offset);
    int validityAt = nulls > 0 ? checkedSlice(ipc, validity, (rows + 7) / 8, file, offset) : -1;
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (int row = 0; row < rows; row++) {
      if (validityAt >= 0 && (data.get(validityAt + (row >>> 3)) & (1 << (row & 7))) == 0) {
        continue;
      }
      long v = data.getLong(valuesAt + row * Long.BYTES);
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    return min <= max ? new IndexRange(min, max) : null;
  }

  /** The absolute position of a buffer in the stream, after checking it holds {@code needed} bytes. */
  private static int checkedSlice(IpcStream ipc, Buffer buffer, long needed, Path file, long offset) throws RrdFormatException {
    long start = buffer.offset();
    long length = buffer.length();
    if (start < 0 || length < needed || start > ipc.bodyLength() - needed) {
      throw new RrdFormatException(file, offset, "record batch buffer at " + start + " (+" + length + " bytes) cannot hold " + needed
          + " bytes within a body of " + ipc.bodyLength());
    }
    return ipc.bodyOffset() + (int) start;
  }

  /**
   * Where each top-level column's field nodes and buffers start in the record batch: nodes are listed
   * depth-first, one per field; buffers follow each type's layout.
   */
  private static final class Layout {
    final int[] firstNode;
    final int[] firstBuffer;
    int nodeCount;
    int bufferCount;

    Layout(List<Field> fields) {
      firstNode = new int[fields.size()];
      firstBuffer = new int[fields.size()];
      for (int i = 0; i < fields.size(); i++) {
        firstNode[i] = nodeCount;
        firstBuffer[i] = bufferCount;
        count(fields.get(i));
      }
    }

    private void count(Field field) {
      nodeCount++;
      bufferCount += TypeLayout.getTypeBufferCount(field.getType());
      for (Field child : field.getChildren()) {
        count(child);
      }
    }
  }
}
