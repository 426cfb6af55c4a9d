package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import io.rrdflight.sql.QueryContext;
import java.nio.charset.StandardCharsets;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DurationVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TimeStampNanoVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Copies rows of a computed window ({@link PartitionView}) into a new output batch: the projected
 * columns, component cells through {@link RowCopier} (in bulk where the type allows, as runs of
 * slices otherwise: unions). Stateless between batches, so one writer serves every worker of a scan.
 */
final class BatchWriter {
  private final ViewSchema schema;
  private final int[] projection;
  private final Schema outputSchema;
  private final BufferAllocator allocator;
  /** Per output column: whether {@link CellCopier} copies its type in bulk. */
  private final boolean[] bulk;

  /**
   * @param projection for each output column, the index of the view column it shows (0 =
   *     partition id, then indexes, then components)
   * @param outputSchema the output fields, one per projected column (names may differ from the view's)
   */
  BatchWriter(ViewSchema schema, int[] projection, Schema outputSchema, BufferAllocator allocator) {
    this.schema = requireNonNull(schema, "schema is null");
    this.projection = projection.clone();
    this.outputSchema = requireNonNull(outputSchema, "outputSchema is null");
    this.allocator = requireNonNull(allocator, "allocator is null");
    this.bulk = new boolean[outputSchema.getFields().size()];
    for (int j = 0; j < bulk.length; j++) {
      bulk[j] = CellCopier.supports(outputSchema.getFields().get(j));
    }
  }

  Schema outputSchema() {
    return outputSchema;
  }

  /** Rows {@code [from, from + count)} of {@code view} as a new batch, which the caller owns. */
  VectorSchemaRoot write(PartitionView view, int from, int count) {
    VectorSchemaRoot root = VectorSchemaRoot.create(outputSchema, allocator);
    try {
      int indexCount = schema.indexes().size();
      QueryContext context = QueryContext.current();
      for (int j = 0; j < projection.length; j++) {
        context.check(); // a batch of many wide columns is long work: stop between columns
        FieldVector vector = root.getVector(j);
        int column = projection[j];
        if (column == 0) {
          writePartitionId((VarCharVector) vector, view.partition().partitionId(), count);
        } else if (column <= indexCount) {
          writeIndex(vector, view, column - 1, from, count);
        } else {
          writeCells((ListVector) vector, bulk[j], view, column - 1 - indexCount, from, count);
        }
      }
      root.setRowCount(count);
      return root;
    } catch (RuntimeException | Error e) {
      root.close();
      throw e;
    }
  }

  /** {@code count} rows of {@code id}, written into {@code vector}'s own new buffers. */
  static void writePartitionId(VarCharVector vector, String id, int count) {
    byte[] bytes = id.getBytes(StandardCharsets.UTF_8);
    int total = Math.multiplyExact(bytes.length, count);
    vector.allocateNew(total, count);
    // Each buffer written once, in place: ArrowBuf checks every single write (setSafe per row, which
    // also checks the capacity, was 14% of a GROUP BY by partition over 16 M rows), and staging the
    // batch in heap arrays first made ~14 bytes of garbage per row (220 MB per such GROUP BY).
    if (count > 0) {
      ArrowBuf data = vector.getDataBuffer();
      if (bytes.length > 0) {
        data.setBytes(0, bytes);
        for (int filled = bytes.length; filled < total; filled *= 2) { // the id's copies, doubled per pass
          data.setBytes(filled, data, 0, Math.min(filled, total - filled));
        }
      }
      long offsets = vector.getOffsetBufferAddress(); // sized for count + 1 offsets just now
      for (int i = 0; i <= count; i++) {
        MemoryUtil.putInt(offsets + 4L * i, i * bytes.length);
      }
      ArrowBuffers.setBits(vector.getValidityBufferAddress(), 0, count); // allocateNew zeroed them; sized for count
      vector.setLastSet(count - 1);
    }
    vector.setValueCount(count);
  }

  private static void writeIndex(FieldVector vector, PartitionView view, int index, int from, int count) {
    if (!(vector instanceof BigIntVector || vector instanceof TimeStampNanoVector || vector instanceof DurationVector)) {
      throw new IllegalStateException("index column " + vector.getField() + " has an unexpected vector " + vector.getClass().getSimpleName());
    }
    BaseFixedWidthVector v = (BaseFixedWidthVector) vector;
    v.clear();
    v.allocateNew(count); // zeroed validity: null until set
    // By address, a validity byte per 8 rows: the buffers were just sized for count values, and
    // ArrowBuf checks every single write (setting a row's value and bit was 4% of a filled scan).
    long values = v.getDataBufferAddress();
    long validity = v.getValidityBufferAddress();
    int bits = 0;
    for (int i = 0; i < count; i++) {
      long value = view.indexValue(index, from + i);
      if (value != PartitionView.NO_VALUE) {
        MemoryUtil.putLong(values + (long) i * Long.BYTES, value);
        bits |= 1 << (i & 7);
      }
      if ((i & 7) == 7 || i == count - 1) {
        MemoryUtil.putByte(validity + (i >>> 3), (byte) bits);
        bits = 0;
      }
    }
    vector.setValueCount(count);
  }

  /**
   * Copies column {@code column}'s cells of rows {@code [from, from + count)} into {@code target}
   * ({@link RowCopier}: in bulk for the types it covers, as slices otherwise), one append per run
   * ({@link #run}): a cell repeated on consecutive rows (latest-at fill, static data) is measured
   * and copied from its chunk once per batch.
   */
  private void writeCells(ListVector target, boolean bulk, PartitionView view, int column, int from, int count) {
    String component = schema.components().get(column).component();
    RowCopier copier = new RowCopier(target, count, bulk);
    ListVector[] sourceOfChunk = new ListVector[view.chunkCount()]; // looked up once per chunk, not per cell
    long[] cells = view.cells(column);
    int end = from + count;
    int i = from;
    while (i < end) {
      long cell = cells[i];
      long run = run(cells, i, end);
      int each = runEach(run);
      int rows = runRows(run);
      if (cell == PartitionView.NULL_CELL) {
        copier.nulls(rows);
      } else if (cell == PartitionView.EMPTY_CELL) {
        copier.emptyLists(rows);
      } else {
        int chunk = PartitionView.chunkOf(cell);
        if (sourceOfChunk[chunk] == null) {
          sourceOfChunk[chunk] = view.chunk(cell).component(component);
        }
        if (each == 1) {
          copier.rows(sourceOfChunk[chunk], PartitionView.rowOf(cell), rows);
        } else if (each == rows) {
          copier.repeat(sourceOfChunk[chunk], PartitionView.rowOf(cell), rows);
        } else {
          copier.repeatEach(sourceOfChunk[chunk], PartitionView.rowOf(cell), rows / each, each);
        }
      }
      i += rows;
    }
    copier.write();
  }

  /**
   * The run of cells that starts at {@code i} (and ends before {@code end}), found in one pass over
   * the column's cells: {@code (each << 32) | rows}, read with {@link #runEach} and {@link #runRows}.
   * <ul>
   *   <li>a null or empty cell: {@code rows} rows of it ({@code each == rows});
   *   <li>{@code each == 1}: a run of consecutive rows of one chunk, cells {@code cell, cell + 1, …}
   *       (a column logged at every row);
   *   <li>{@code each == rows}: one cell repeated (latest-at fill, static data);
   *   <li>else groups: cells {@code cell, cell + 1, …} each repeated {@code each} times, as fill
   *       repeats a column logged every {@code each}-th row; {@code rows} is a multiple of {@code each}.
   * </ul>
   * A group cut short by the batch's start (a batch of an odd number of rows starts every other
   * batch in the middle of a point cloud's two rows) is a run of its own, and so is a cell that
   * repeats after a run of consecutive rows: else the groups after it would be seen out of step,
   * as runs of two consecutive rows, one append each (~5,000 per batch and points column, where
   * one append covers them in step). One compare per row, where checking fill's groups one group
   * at a time cost a loop and its bounds per group of two rows.
   */
  static long run(long[] cells, int i, int end) {
    long cell = cells[i];
    int j = i + 1;
    while (j < end && cells[j] == cell) {
      j++;
    }
    int same = j - i;
    if (cell < 0) { // NULL_CELL or EMPTY_CELL: no chunk rows follow it
      return pack(same, same);
    }
    int k = j;
    while (k < end && cells[k] == cell + 1) {
      k++;
    }
    if (k - j > same) { // the next cell is shown on more rows: this one's group was cut short
      return pack(same, same);
    }
    if (same == 1) {
      while (j < end && cells[j] == cell + (j - i)) {
        j++;
      }
      if (j - i > 1 && j < end && cells[j] == cells[j - 1]) {
        j--; // the last cell repeats: it starts the next run, fill's groups
      }
      return pack(1, j - i);
    }
    long next = cell + 1; // the cell the following rows must show, `same` rows each
    int left = same;
    while (j < end && cells[j] == next) {
      j++;
      if (--left == 0) {
        next++;
        left = same;
      }
    }
    int rows = (j - i) / same * same; // whole groups only: a cut-off last one starts the next run
    if (left == same && rows > same && j < end && cells[j] == next - 1) {
      rows -= same; // the last group's cell goes on: it starts the next run
    }
    return pack(same, rows);
  }

  private static long pack(int each, int rows) {
    return ((long) each << 32) | rows;
  }

  static int runEach(long run) {
    return (int) (run >>> 32);
  }

  static int runRows(long run) {
    return (int) run;
  }
}
