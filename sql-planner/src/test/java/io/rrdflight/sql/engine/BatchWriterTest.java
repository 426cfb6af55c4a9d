package io.rrdflight.sql.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.rrd.NoLeaks;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VarCharVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The partition id column reads as Arrow's checked per-row writes would have made it; a column's
 * cells split into the runs that are appended whole.
 */
@ExtendWith(NoLeaks.class)
class BatchWriterTest {
  private static final int[] COUNTS = {0, 1, 2, 3, 7, 8, 9, 63, 64, 65, 1000, 4097};

  @Test
  void partitionIdColumnHoldsTheIdInEveryRow(BufferAllocator allocator) {
    // ASCII, multi-byte UTF-8 and empty ids; row counts at and beside the powers of two the copies double through.
    for (String id : new String[] {"rec-big-03", "récording-ü", "x", ""}) {
      for (int n : COUNTS) {
        try (VarCharVector written = new VarCharVector("rerun_partition_id", allocator);
            VarCharVector expected = new VarCharVector("rerun_partition_id", allocator)) {
          expected.allocateNew();
          for (int i = 0; i < n; i++) {
            expected.setSafe(i, id.getBytes(java.nio.charset.StandardCharsets.UTF_8));
          }
          expected.setValueCount(n);
          // A reused vector: what a previous batch left in it must not show.
          BatchWriter.writePartitionId(written, "an-older-and-longer-partition-id", 5);
          BatchWriter.writePartitionId(written, id, n);
          assertEquals(n, written.getValueCount(), id + " x " + n);
          for (int i = 0; i < n; i++) {
            assertFalse(written.isNull(i), id + " x " + n + ", row " + i);
            assertEquals(id, written.getObject(i).toString(), id + " x " + n + ", row " + i);
            assertEquals(expected.getStartOffset(i), written.getStartOffset(i), id + " x " + n + ", offset " + i);
          }
          assertEquals(expected.getStartOffset(n), written.getStartOffset(n), id + " x " + n + ", last offset");
        }
      }
    }
  }

  private static long ref(int chunk, int row) {
    return ((long) chunk << 32) | row;
  }

  @Test
  void fillOfAColumnLoggedEveryOtherRowIsOneRunOfGroups() {
    long n = PartitionView.NULL_CELL;
    long[] cells = {n, n, ref(1, 4), ref(1, 4), ref(1, 5), ref(1, 5), ref(1, 6), ref(1, 6), ref(1, 7), ref(2, 0), ref(2, 1)};
    assertEquals(List.of("2x2", "2x6", "1x1", "1x2"), runs(cells, 0, cells.length));
    // Cut by the batch: the group cut at the start is a run of its own, so the groups after it stay in step.
    assertEquals(List.of("1x1", "2x4", "1x1", "1x1"), runs(cells, 3, 10));
    // A cell repeated by fill, then the chunk's next rows one each, then a repeat again.
    long[] repeated = {ref(0, 9), ref(0, 9), ref(0, 9), ref(0, 10), ref(0, 11), ref(0, 12), ref(0, 12), PartitionView.EMPTY_CELL};
    assertEquals(List.of("3x3", "1x2", "2x2", "1x1"), runs(repeated, 0, repeated.length));
  }

  @Test
  void fillOfAColumnLoggedEveryKthRowIsAtMostThreeRunsWhereverTheBatchCutsIt() {
    for (int each = 2; each <= 10; each++) {
      long[] cells = new long[50 * each];
      for (int r = 0; r < cells.length; r++) {
        cells[r] = ref(3, 100 + r / each);
      }
      for (int from = 0; from < 3 * each; from++) {
        for (int end = cells.length - 3 * each; end <= cells.length; end++) {
          List<String> runs = runs(cells, from, end);
          assertTrue(runs.size() <= 3, each + " rows each, rows " + from + ".." + end + ": " + runs);
        }
      }
    }
  }

  @Test
  void runsReadBackAsTheCellsTheyCover() {
    Random random = new Random(20261203);
    for (int trial = 0; trial < 5000; trial++) {
      long[] cells = randomColumn(random);
      int from = random.nextInt(cells.length);
      int end = from + 1 + random.nextInt(cells.length - from);
      long[] read = new long[end - from];
      for (int i = from; i < end; ) {
        long run = BatchWriter.run(cells, i, end);
        int each = BatchWriter.runEach(run);
        int rows = BatchWriter.runRows(run);
        assertTrue(each >= 1 && rows >= each && rows % each == 0 && i + rows <= end, "trial " + trial + ": " + each + "x" + rows);
        for (int r = 0; r < rows; r++) {
          read[i - from + r] = cells[i] < 0 ? cells[i] : cells[i] + r / each;
        }
        i += rows;
      }
      assertArrayEquals(Arrays.copyOfRange(cells, from, end), read, "trial " + trial + ": " + Arrays.toString(cells));
    }
  }

  /** "each x rows" of every run of {@code cells[from..end)}. */
  private static List<String> runs(long[] cells, int from, int end) {
    List<String> out = new ArrayList<>();
    for (int i = from; i < end; ) {
      long run = BatchWriter.run(cells, i, end);
      out.add(BatchWriter.runEach(run) + "x" + BatchWriter.runRows(run));
      i += BatchWriter.runRows(run);
    }
    return out;
  }

  /** A column as fill makes them: nulls, empties, rows of chunks one each, a cell repeated, groups (the last one maybe cut). */
  private static long[] randomColumn(Random random) {
    long[] cells = new long[200];
    int size = 0;
    while (size < cells.length) {
      int kind = random.nextInt(5);
      int n = 1 + random.nextInt(6);
      long cell = ref(random.nextInt(3), random.nextInt(4));
      int each = 1 + random.nextInt(4);
      for (int k = 0; k < n * (kind == 4 ? each : 1) && size < cells.length; k++) {
        cells[size++] = switch (kind) {
          case 0 -> PartitionView.NULL_CELL;
          case 1 -> PartitionView.EMPTY_CELL;
          case 2 -> cell + k;
          case 3 -> cell;
          default -> cell + k / each;
        };
      }
      if (kind == 4 && random.nextBoolean() && size > 1) {
        size--; // a cut-off last group
      }
    }
    return cells;
  }
}
