package io.rrdflight.catalog;

import io.rrdflight.rrd.ChunkIndex;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Decoded chunk indexes of recently queried partitions, least recently used evicted first. Keyed
 * by the partition value itself, so a re-registered partition (new file stamp, new time) misses.
 */
final class ChunkIndexCache {
  private final Map<Partition, ChunkIndex> entries;

  ChunkIndexCache(int capacity) {
    this.entries = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Partition, ChunkIndex> eldest) {
        return size() > capacity;
      }
    };
  }

  synchronized ChunkIndex get(Partition partition, Supplier<ChunkIndex> load) {
    ChunkIndex index = entries.get(partition);
    if (index == null) {
      index = load.get();
      entries.put(partition, index);
    }
    return index;
  }
}
