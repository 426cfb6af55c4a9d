package io.rrdflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ServerLimitsTest {
  @Test
  void sizesAreBytesOrBinaryUnits() {
    assertEquals(1048576L, ServerLimits.parseSize("1048576"));
    assertEquals(512L << 20, ServerLimits.parseSize("512m"));
    assertEquals(512L << 20, ServerLimits.parseSize("512M"));
    assertEquals(64L << 20, ServerLimits.parseSize("64MiB"));
    assertEquals(2L << 30, ServerLimits.parseSize("2g"));
    assertEquals(16L << 10, ServerLimits.parseSize("16kb"));
    for (String bad : new String[] {"", "m", "-1m", "1.5g", "0", "12t", "lots"}) {
      assertThrows(IllegalArgumentException.class, () -> ServerLimits.parseSize(bad), bad);
    }
  }

  @Test
  void sizesReadBackInTheLargestExactUnit() {
    assertEquals("512 MiB", ServerLimits.formatSize(512L << 20));
    assertEquals("2 GiB", ServerLimits.formatSize(2L << 30));
    assertEquals("16 KiB", ServerLimits.formatSize(16L << 10));
    assertEquals("100 bytes", ServerLimits.formatSize(100));
  }

  private static ServerLimits with(int maxQueries, int queryWorkers) {
    ServerLimits d = ServerLimits.DEFAULTS;
    return new ServerLimits(d.queryTimeout(), d.queryMemoryBytes(), maxQueries, d.maxQueuedQueries(), d.maxSqlChars(),
        d.maxMessageBytes(), d.maxConnections(), d.maxCallsPerConnection(), d.firstBytesTimeout(), d.connectionIdleTimeout(),
        d.maxPrefixFiles(), queryWorkers, d.chunkCacheBytes());
  }

  @Test
  void aQueryBudgetShrinksToArrowsMemoryAndNoFurther() {
    ServerLimits limits = with(8, 2).withQueryMemoryBytes(512L << 20);
    assertEquals(192L << 20, DirectMemory.fitQueryMemory(limits, 192L << 20).queryMemoryBytes());
    assertEquals(512L << 20, DirectMemory.fitQueryMemory(limits, 4L << 30).queryMemoryBytes());
    assertEquals(limits.withQueryMemoryBytes(1L << 20), DirectMemory.fitQueryMemory(limits, 1L << 20));
  }

  @Test
  void arrowGetsLessThanTheJvmsDirectMemory() {
    assertTrue(DirectMemory.arrowLimit() < DirectMemory.jvmLimit());
    assertTrue(DirectMemory.arrowLimit() >= DirectMemory.jvmLimit() / 2);
  }

  @Test
  void theChunkCacheTakesHalfByDefaultWhenOneQueryLeavesAQuarterElseWhatItLeavesAndNeverMoreThanHalf() {
    long arrow = 768L << 20;
    // The default query budget is 512 MiB: 256 MiB are left, a third: the cache takes half.
    assertEquals(384L << 20, DirectMemory.chunkCacheBytes(ServerLimits.DEFAULTS, arrow));
    assertEquals(1L << 30, DirectMemory.chunkCacheBytes(ServerLimits.DEFAULTS, 2L << 30));
    // 600 MiB: 88 MiB left, less than a quarter: only those.
    assertEquals(88L << 20, DirectMemory.chunkCacheBytes(ServerLimits.DEFAULTS, 600L << 20));
    // The launcher's heap: the query's budget is fitted to all of Arrow's memory, and nothing is left.
    long small = 192L << 20;
    assertEquals(0, DirectMemory.chunkCacheBytes(DirectMemory.fitQueryMemory(ServerLimits.DEFAULTS, small), small));
    assertEquals(64L << 20, DirectMemory.chunkCacheBytes(ServerLimits.DEFAULTS.withChunkCacheBytes(64L << 20), arrow));
    assertEquals(384L << 20, DirectMemory.chunkCacheBytes(ServerLimits.DEFAULTS.withChunkCacheBytes(1L << 30), arrow));
    assertEquals(0, DirectMemory.chunkCacheBytes(ServerLimits.DEFAULTS.withChunkCacheBytes(0), arrow));
  }
}
