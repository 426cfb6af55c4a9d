package io.rrdflight.sql.engine;

import io.rrdflight.catalog.Partition;
import io.rrdflight.catalog.ViewRowCount;
import io.rrdflight.rrd.ChunkId;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** A store that keeps what it is given in maps, as the catalog keeps it in its database. */
final class MapChunkTimesStore implements ChunkTimesStore {
  final Map<Partition, Map<ChunkId, byte[]>> stored = new ConcurrentHashMap<>();
  final AtomicInteger loads = new AtomicInteger();
  /** Counts by (partition, timeline, contents). */
  final Map<List<Object>, Long> counts = new ConcurrentHashMap<>();

  @Override
  public Map<ChunkId, byte[]> load(Partition partition) {
    loads.incrementAndGet();
    return Map.copyOf(stored.getOrDefault(partition, Map.of()));
  }

  @Override
  public void save(Partition partition, Map<ChunkId, byte[]> times) {
    stored.computeIfAbsent(partition, p -> new ConcurrentHashMap<>()).putAll(times);
  }

  @Override
  public OptionalLong rowCount(Partition partition, String timeline, String contents) {
    Long rows = counts.get(List.of(partition, timeline, contents));
    return rows == null ? OptionalLong.empty() : OptionalLong.of(rows);
  }

  @Override
  public void saveRowCount(ViewRowCount count) {
    counts.put(List.of(count.partition(), count.timeline(), count.contents()), count.rows());
  }
}
