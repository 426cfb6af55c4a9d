package io.rrdflight.rrd;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;

/**
 * The estimated heap bytes of one decoded {@link IndexedChunk}, object by object, as a 64-bit JVM
 * with compressed references lays them out (12-byte headers, 4-byte references, 8-byte alignment).
 * Against the heap, a decoded index of 26,070 small chunks: 23.9 MB estimated, 22.2 MB measured.
 */
final class IndexedChunkWeight {
  /** The record, its ChunkId, ChunkSizes with its OptionalLong, and the component list's shell. */
  private static final long FIXED = 72 + 32 + 24 + 24 + 16;
  /** An unmodifiable view over a TreeMap. */
  private static final long SORTED_MAP = 24 + 48;
  /** A TreeMap entry and its IndexRange. */
  private static final long RANGE = 40 + 24;
  /** Map.copyOf's table and shell. */
  private static final long MAP = 16 + 16;

  private IndexedChunkWeight() {}

  static long of(IndexedChunk c) {
    long bytes = FIXED + array(c.components().size()) + SORTED_MAP + RANGE * c.timeRanges().size();
    bytes += MAP + array(2 * c.componentRanges().size());
    // Components located alike share one map of ranges (a scan's dense components): count it once.
    List<SortedMap<Timeline, IndexRange>> seen = new ArrayList<>(4);
    for (SortedMap<Timeline, IndexRange> ranges : c.componentRanges().values()) {
      if (seen.stream().noneMatch(s -> s == ranges)) {
        seen.add(ranges);
        bytes += SORTED_MAP + RANGE * ranges.size();
      }
    }
    return bytes;
  }

  private static long array(int references) {
    return (16 + 4L * references + 7) & ~7L;
  }
}
