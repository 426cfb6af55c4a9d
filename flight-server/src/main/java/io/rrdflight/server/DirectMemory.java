package io.rrdflight.server;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JVM's direct-memory limit and the share of it the server's Arrow buffers may hold. Arrow and
 * gRPC's transport (Netty) draw on the same direct memory; left unlimited, many concurrent queries
 * exhaust it inside Netty and the JVM's own error hits whatever call allocates next. With Arrow
 * capped below the JVM's limit, a query that does not fit fails in Arrow (RESOURCE_EXHAUSTED for
 * its client) and the transport keeps the rest for the messages in flight.
 */
final class DirectMemory {
  private static final Logger log = LoggerFactory.getLogger(DirectMemory.class);
  /**
   * Arrow's share; the rest is the transport's (a batch is copied into a message, one or two per
   * stream in flight) and Netty's pool's slack.
   */
  private static final int ARROW_SHARE_PERCENT = 75;

  private DirectMemory() {}

  /** -XX:MaxDirectMemorySize, or the heap's maximum that the JVM uses when the flag is not set. */
  static long jvmLimit() {
    try {
      HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
      long set = Long.parseLong(hotspot.getVMOption("MaxDirectMemorySize").getValue());
      if (set > 0) {
        return set;
      }
    } catch (RuntimeException e) {
      // Not a HotSpot JVM (no such bean or option): its default, the heap's maximum, is the best guess.
    }
    return Runtime.getRuntime().maxMemory();
  }

  /** The limit of the server's Arrow root allocator. */
  static long arrowLimit() {
    return mebibytes(jvmLimit() / 100 * ARROW_SHARE_PERCENT);
  }

  /**
   * {@code limits} with a query's memory no larger than {@code arrowLimit}, so that a query within
   * its budget fits the root (the slices of a split query share one budget, see QueryShares), and
   * a query that does not fit fails on its own budget with its own message. Seen with -Xmx256m and
   * the default 512 MiB: a full view over 16 recordings failed on the root's limit mid-scan.
   */
  static ServerLimits fitQueryMemory(ServerLimits limits, long arrowLimit) {
    long share = mebibytes(arrowLimit);
    if (limits.queryMemoryBytes() <= share) {
      return limits;
    }
    log.info("--query-memory {} is more than the direct memory for Arrow ({}): using that",
        ServerLimits.formatSize(limits.queryMemoryBytes()), ServerLimits.formatSize(arrowLimit));
    return limits.withQueryMemoryBytes(share);
  }

  /**
   * The bytes of decoded chunks the SQL engine keeps across queries: as set, at most half of
   * {@code arrowLimit} (queries need the rest). By default half of {@code arrowLimit} when one
   * query's budget leaves at least a quarter of it, else what it leaves: none with the launcher's
   * 256 MiB heap, where a query's own windows took the room back 3-4 times per query and 1-36 of
   * 516 chunks were hits, for no gain in CPU. Kept chunks no query uses are dropped whenever an
   * Arrow allocation would fail (see RrdflightServer), so they never make a query run out of
   * memory; a query rarely holds its whole budget (a filled view: a 16 MiB window and a few
   * batches). So at -Xmx1g (768 MiB for Arrow, 512 MiB a query) the cache is 384 MiB, not the 256
   * MiB the budget leaves: a 270 MB recording decodes to 373 MiB (large.rrd), and 168 of its 516
   * chunks were decoded again on every filled view (server CPU 1.76 -> 1.46 s a query).
   */
  static long chunkCacheBytes(ServerLimits limits, long arrowLimit) {
    long half = mebibytes(arrowLimit / 2);
    long set = limits.chunkCacheBytes();
    if (set == ServerLimits.CHUNK_CACHE_AUTO) {
      long left = (arrowLimit - limits.queryMemoryBytes()) >> 20 << 20;
      return left >= arrowLimit / 4 ? half : Math.max(0, Math.min(half, left));
    }
    if (set > half) {
      log.info("--chunk-cache {} is more than half the direct memory for Arrow ({}): using that",
          ServerLimits.formatSize(set), ServerLimits.formatSize(half));
      return half;
    }
    return set;
  }

  /** Rounded down to whole MiB (at least one), so that logs and messages read well. */
  private static long mebibytes(long bytes) {
    return Math.max(1L << 20, bytes >> 20 << 20);
  }
}
