package io.rrdflight.sql.engine;

import io.rrdflight.catalog.Partition;
import io.rrdflight.rrd.ChunkId;
import java.util.Map;

/**
 * Where {@link ChunkTimesCache} keeps chunk times beyond the process, each chunk's as the bytes
 * {@link ChunkTimes} writes: the catalog, next to the partition's chunk index
 * ({@link CatalogRerunData#chunkTimesStore}). Times are a cache: a store may drop what it is given.
 */
public interface ChunkTimesStore {
  /** Keeps nothing: times live as long as the process. */
  ChunkTimesStore NONE = new ChunkTimesStore() {
    @Override
    public Map<ChunkId, byte[]> load(Partition partition) {
      return Map.of();
    }

    @Override
    public void save(Partition partition, Map<ChunkId, byte[]> times) {}
  };

  /** The times stored for the partition as it is registered now (none for a changed file). */
  Map<ChunkId, byte[]> load(Partition partition);

  /** Keeps times a scan learnt; returns at once (the store writes them later, or drops them). */
  void save(Partition partition, Map<ChunkId, byte[]> times);
}
