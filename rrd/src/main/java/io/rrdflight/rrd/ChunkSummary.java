package io.rrdflight.rrd;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.arrow.flatbuf.FieldNode;

/**
 * What the index needs to know about a chunk, read from its IPC stream without building vectors:
 * the schema gives entity path, id and columns; the record batch header gives the row count and
 * null counts; the index columns' value buffers give the time ranges. Index columns come right after
 * the RowId column, so only the start of the body is read and decompressed; component data never is.
 *
 * @param timeRanges per timeline, the smallest and largest non-null value; a timeline whose values
 *     are all null has no entry
 * @param components the component columns that hold at least one non-null cell
 * @param sizes the heap size the writer declared, and the IPC stream's decompressed length
 * @param componentRanges the components without a null cell, each with the chunk's time ranges
 *     (a cell on every row); the cells of the others are not located (that would mean reading
 *     their validity buffers, which lie in the component data)
 * @param contents what the component columns hold, when the scan wanted it ({@link ContentsWanted})
 *     and had the whole payload decoded anyway; otherwise empty
 */
record ChunkSummary(
    ChunkId id,
    String entityPath,
    boolean isStatic,
    long rowCount,
    SortedMap<Timeline, IndexRange> timeRanges,
    List<ComponentDescriptor> components,
    ChunkSizes sizes,
    Map<ComponentDescriptor, SortedMap<Timeline, IndexRange>> componentRanges,
    Optional<List<ComponentContents>> contents) {

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  ChunkSummary {
    timeRanges = Collections.unmodifiableSortedMap(new TreeMap<>(timeRanges));
    components = List.copyOf(components);
    componentRanges = Map.copyOf(componentRanges);
    contents = contents.map(List::copyOf);
  }

  /**
   * Summarizes the chunk in {@code payload}. Only the IPC head and the start of the body up to the
   * end of the last index column's buffers are decompressed: component data is never touched.
   */
  static ChunkSummary of(PayloadPrefix payload, ContentsWanted wanted) throws IOException {
    String file = payload.file();
    long offset = payload.offset();
    ArrowMsgHeader msg = payload.msg();
    IpcStream ipc = payload.parseHead(0);
    ChunkSchema schema = ChunkSchema.of(ipc.schema(), file, offset);
    ChunkId id = msg.chunkId().or(schema::id)
        .orElseThrow(() -> new RrdFormatException(file, offset, "chunk has no id: neither ArrowMsg.chunk_id nor rerun:id is set"));
    RecordBatchLayout layout = RecordBatchLayout.of(ipc, file, offset);
    try {
      long needed = 0;
      for (ChunkSchema.IndexField f : schema.indexFields()) {
        RecordBatchLayout.Column column = layout.columns().get(f.position());
        for (int buffer = 0; buffer < 2; buffer++) {
          needed = Math.max(needed, (long) layout.bufferStart(column, buffer) + layout.bufferLength(column, buffer));
        }
      }
      if (needed > ipc.data().limit()) {
        ipc = payload.parseHead(needed);
        layout = RecordBatchLayout.of(ipc, file, offset);
      }
      SortedMap<Timeline, IndexRange> ranges = new TreeMap<>();
      for (ChunkSchema.IndexField f : schema.indexFields()) {
        IndexRange range = range(ipc, layout, layout.columns().get(f.position()), file, offset);
        if (range != null) {
          ranges.merge(f.timeline(), range, IndexRange::span);
        }
      }
      List<ComponentDescriptor> components = new ArrayList<>();
      Map<ComponentDescriptor, SortedMap<Timeline, IndexRange>> dense = new HashMap<>();
      SortedMap<Timeline, IndexRange> chunkRanges = Collections.unmodifiableSortedMap(ranges);
      for (ChunkSchema.ComponentField f : schema.componentFields()) {
        FieldNode node = layout.node(layout.columns().get(f.position()));
        if (node.nullCount() < node.length()) {
          components.add(f.descriptor());
          if (node.nullCount() == 0 && !ranges.isEmpty()) {
            dense.put(f.descriptor(), chunkRanges);
          }
        }
      }
      Optional<List<ComponentContents>> contents = Optional.empty();
      if (wanted.wants(schema.entityPath(), components)) {
        contents = wholeContents(payload, ipc, layout, schema);
        contents.ifPresent(c -> wanted.saw(schema.entityPath(), c));
      }
      long ipcBytes = msg.lz4() ? msg.uncompressedSize() : msg.dataLength();
      return new ChunkSummary(id, schema.entityPath(), schema.isStatic(), ipc.rowCount(), ranges, components,
          new ChunkSizes(schema.declaredHeapBytes(), ipcBytes), dense, contents);
    } catch (RuntimeException e) {
      // Flatbuffer accessors signal out-of-range offsets in corrupt headers with runtime exceptions.
      throw new RrdFormatException(file, offset, "corrupt Arrow record batch header in chunk payload (" + e + ")", e);
    }
  }

  /**
   * What the component columns hold, as {@link RrdReader#readComponentContents} reads it, when the
   * payload is decoded whole and passes the same checks; otherwise empty, and a reader reads the chunk
   * again later, failing then as it always did if it is damaged: the scan's own outcome never changes.
   */
  private static Optional<List<ComponentContents>> wholeContents(PayloadPrefix payload, IpcStream ipc, RecordBatchLayout layout,
      ChunkSchema schema) {
    if (!payload.holdsWhole() || !ipc.endsAfterBatch()) {
      return Optional.empty();
    }
    try {
      layout.checkContents();
      return Optional.of(ChunkDecoder.contents(schema, layout));
    } catch (RrdFormatException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Min and max of an Int64-like column, read from its buffers; null if every value is null. */
  private static IndexRange range(IpcStream ipc, RecordBatchLayout layout, RecordBatchLayout.Column column, String file, long offset)
      throws RrdFormatException {
    FieldNode node = layout.node(column);
    long rows = node.length();
    long nulls = node.nullCount();
    if (rows == 0 || nulls >= rows) {
      return null;
    }
    if (layout.bufferLength(column, 1) < rows * Long.BYTES || (nulls > 0 && layout.bufferLength(column, 0) < (rows + 7) / 8)) {
      throw new RrdFormatException(file, offset, "corrupt Arrow record batch: index column '" + column.field().getName() + "' has buffers too short for " + rows + " rows");
    }
    // Straight from the array PayloadPrefix decodes into: a scan reads millions of values, and this
    // loop took a third of the time of ByteBuffer.getLong with its checks per call.
    ByteBuffer data = ipc.data();
    byte[] array = data.array();
    int values = data.arrayOffset() + layout.bufferStart(column, 1);
    int n = (int) rows;
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    if (nulls == 0) {
      for (int row = 0; row < n; row++) {
        long v = (long) LONGS.get(array, values + row * Long.BYTES);
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    } else {
      int validity = data.arrayOffset() + layout.bufferStart(column, 0);
      for (int row = 0; row < n; row++) {
        if ((array[validity + (row >>> 3)] & (1 << (row & 7))) != 0) {
          long v = (long) LONGS.get(array, values + row * Long.BYTES);
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
      }
    }
    return min <= max ? new IndexRange(min, max) : null;
  }
}
