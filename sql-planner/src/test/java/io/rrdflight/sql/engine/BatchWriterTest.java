package io.rrdflight.sql.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.rrdflight.rrd.NoLeaks;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VarCharVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The partition id column reads as Arrow's checked per-row writes would have made it. */
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
}
