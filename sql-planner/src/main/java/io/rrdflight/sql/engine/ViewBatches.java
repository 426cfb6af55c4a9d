package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.Partition;
import io.rrdflight.sql.QueryContext;
import io.rrdflight.sql.ResultBatches;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DurationVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TimeStampNanoVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.TransferPair;
import org.apache.arrow.vector.util.VectorAppender;

/**
 * Streams a {@link QueryView} as Arrow batches, one partition at a time and, within a partition,
 * one index window at a time ({@link PartitionSweep}): each window's rows are computed from its
 * decoded chunks ({@link PartitionView}) and copied into the output root {@code batchRows} at a
 * time as runs of cells (a run of consecutive rows of one chunk is one slice-and-append). Memory
 * is bounded by the window budget plus one output batch, whatever the partition's size.
 */
public final class ViewBatches implements ResultBatches {
  /** Rows of the first batch, before any row's size is known. */
  static final int FIRST_BATCH_ROWS = 1024;

  private final ViewSchema schema;
  private final Iterator<Partition> partitions;
  private final RerunData data;
  private final BufferAllocator allocator;
  private final int batchRows;
  private final long windowBytes;
  private final int[] projection;
  private final VectorSchemaRoot root;
  /** Per component column of the view: whether CellCopier copies its cells. */
  private final boolean[] bulkCopy;
  private long remaining;
  /** Rows the next batch takes: adapted to the bytes per row seen so far (see TARGET_BATCH_BYTES). */
  private int rowsPerBatch;
  private PartitionSweep sweep;
  private PartitionView current;
  private int offset;

  /**
   * @param projection for each output column, the index of the view column it shows (0 =
   *     partition id, then indexes, then components)
   * @param outputSchema the output fields, one per projected column (names may differ from the view's)
   * @param limit the most rows to return, or -1 for all
   * @param windowBytes the memory budget of one index window's decoded chunks ({@link IndexWindows})
   */
  public ViewBatches(ViewSchema schema, List<Partition> partitions, RerunData data, BufferAllocator allocator, int batchRows,
      int[] projection, Schema outputSchema, long limit, long windowBytes) {
    if (batchRows <= 0) {
      throw new IllegalArgumentException("batchRows must be positive: " + batchRows);
    }
    if (windowBytes <= 0) {
      throw new IllegalArgumentException("windowBytes must be positive: " + windowBytes);
    }
    this.windowBytes = windowBytes;
    this.schema = requireNonNull(schema, "schema is null");
    this.partitions = List.copyOf(partitions).iterator();
    this.data = requireNonNull(data, "data is null");
    this.allocator = requireNonNull(allocator, "allocator is null");
    this.batchRows = batchRows;
    this.projection = projection.clone();
    this.root = VectorSchemaRoot.create(outputSchema, allocator);
    this.bulkCopy = new boolean[schema.components().size()];
    for (int c = 0; c < bulkCopy.length; c++) {
      bulkCopy[c] = CellCopier.supports(schema.components().get(c).field());
    }
    this.remaining = limit < 0 ? Long.MAX_VALUE : limit;
    this.rowsPerBatch = Math.min(batchRows, FIRST_BATCH_ROWS);
  }

  @Override
  public VectorSchemaRoot root() {
    return root;
  }

  @Override
  public boolean next() {
    while (remaining > 0) {
      QueryContext.current().checkNow(); // each turn decodes a window or fills a batch: bounded work
      if (current != null && offset < current.rowCount()) {
        int count = (int) Math.min(Math.min(rowsPerBatch, current.rowCount() - offset), remaining);
        fill(current, offset, count);
        offset += count;
        remaining -= count;
        adaptRowsPerBatch(count);
        return true;
      }
      current = null;
      if (sweep != null) {
        Optional<PartitionView> window = sweep.next();
        if (window.isPresent()) {
          current = window.get();
          offset = 0;
          continue;
        }
        closeSweep();
      }
      if (!partitions.hasNext()) {
        break;
      }
      sweep = new PartitionSweep(schema, partitions.next(), data, allocator, windowBytes);
    }
    closeSweep();
    root.setRowCount(0);
    return false;
  }

  /** Sizes the next batch from this one's bytes per row, so batches stay near TARGET_BATCH_BYTES. */
  private void adaptRowsPerBatch(int count) {
    long bytes = 0;
    for (FieldVector v : root.getFieldVectors()) {
      bytes += v.getBufferSize();
    }
    long bytesPerRow = Math.max(1, bytes / Math.max(1, count));
    rowsPerBatch = (int) Math.max(1, Math.min(batchRows, TARGET_BATCH_BYTES / bytesPerRow));
  }

  private void fill(PartitionView view, int from, int count) {
    int indexCount = schema.indexes().size();
    for (int j = 0; j < projection.length; j++) {
      FieldVector vector = root.getVector(j);
      int column = projection[j];
      if (column == 0) {
        writePartitionId((VarCharVector) vector, view.partition().partitionId(), count);
      } else if (column <= indexCount) {
        writeIndex(vector, view, column - 1, from, count);
      } else {
        writeCells((ListVector) vector, view, column - 1 - indexCount, from, count);
      }
    }
    root.setRowCount(count);
  }

  private static void writePartitionId(VarCharVector vector, String id, int count) {
    byte[] bytes = id.getBytes(StandardCharsets.UTF_8);
    vector.allocateNew((long) bytes.length * count, count);
    for (int i = 0; i < count; i++) {
      vector.setSafe(i, bytes);
    }
    vector.setValueCount(count);
  }

  private static void writeIndex(FieldVector vector, PartitionView view, int index, int from, int count) {
    vector.clear();
    if (vector instanceof BigIntVector v) {
      v.allocateNew(count);
      for (int i = 0; i < count; i++) {
        long value = view.indexValue(index, from + i);
        if (value != PartitionView.NO_VALUE) {
          v.set(i, value);
        }
      }
    } else if (vector instanceof TimeStampNanoVector v) {
      v.allocateNew(count);
      for (int i = 0; i < count; i++) {
        long value = view.indexValue(index, from + i);
        if (value != PartitionView.NO_VALUE) {
          v.set(i, value);
        }
      }
    } else if (vector instanceof DurationVector v) {
      v.allocateNew(count);
      for (int i = 0; i < count; i++) {
        long value = view.indexValue(index, from + i);
        if (value != PartitionView.NO_VALUE) {
          v.set(i, value);
        }
      }
    } else {
      throw new IllegalStateException("index column " + vector.getField() + " has an unexpected vector " + vector.getClass().getSimpleName());
    }
    vector.setValueCount(count);
  }

  /**
   * Copies column {@code column}'s cells of rows {@code [from, from + count)} into {@code target}:
   * in bulk ({@link CellCopier}) for the types it covers, else as runs of slices appended one
   * after the other (unions).
   */
  private void writeCells(ListVector target, PartitionView view, int column, int from, int count) {
    String component = schema.components().get(column).component();
    if (!bulkCopy[column]) {
      writeCellsBySlices(target, view, column, component, from, count);
      return;
    }
    CellCopier copier = new CellCopier(target, count);
    ListVector[] sourceOfChunk = new ListVector[view.chunkCount()]; // looked up once per chunk, not per cell
    for (int i = 0; i < count; i++) {
      long cell = view.cell(column, from + i);
      if (cell == PartitionView.NULL_CELL) {
        copier.nulls(1);
      } else if (cell == PartitionView.EMPTY_CELL) {
        copier.emptyLists(1);
      } else {
        int chunk = PartitionView.chunkOf(cell);
        if (sourceOfChunk[chunk] == null) {
          sourceOfChunk[chunk] = view.chunk(cell).component(component);
        }
        copier.rows(sourceOfChunk[chunk], PartitionView.rowOf(cell), 1);
      }
    }
    copier.write();
  }

  private void writeCellsBySlices(ListVector target, PartitionView view, int column, String component, int from, int count) {
    target.clear();
    target.allocateNew(); // the appender reads the target's first offset, so it must exist
    VectorAppender appender = new VectorAppender(target);
    try (ListVector scratch = (ListVector) target.getField().createVector(allocator)) {
      int i = 0;
      while (i < count) {
        long cell = view.cell(column, from + i);
        int run = 1;
        if (cell >= 0) {
          while (i + run < count && view.cell(column, from + i + run) == cell + run
              && (view.cell(column, from + i + run) >>> 32) == (cell >>> 32)) {
            run++;
          }
          ListVector source = view.chunk(cell).component(component);
          TransferPair slice = source.makeTransferPair(scratch);
          slice.splitAndTransfer(PartitionView.rowOf(cell), run);
        } else {
          while (i + run < count && view.cell(column, from + i + run) == cell) {
            run++;
          }
          scratch.allocateNew();
          for (int k = 0; k < run; k++) {
            if (cell == PartitionView.EMPTY_CELL) {
              scratch.startNewValue(k);
              scratch.endValue(k, 0);
            } else {
              scratch.setNull(k);
            }
          }
          scratch.setValueCount(run);
        }
        scratch.accept(appender, null);
        scratch.clear();
        i += run;
      }
    }
    target.setValueCount(count);
  }

  private void closeSweep() {
    current = null;
    if (sweep != null) {
      PartitionSweep done = sweep;
      sweep = null;
      done.close();
    }
  }

  @Override
  public void close() {
    try {
      closeSweep();
    } finally {
      root.close();
    }
  }
}
