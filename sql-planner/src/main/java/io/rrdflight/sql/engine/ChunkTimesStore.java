package io.rrdflight.sql.engine;

import io.rrdflight.catalog.Partition;
import io.rrdflight.catalog.ViewRowCount;
import io.rrdflight.rrd.ChunkId;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Where {@link ChunkTimesCache} keeps what scans learnt beyond the process: each chunk's times as
 * the bytes {@link ChunkTimes} writes, and whole views' row counts ({@link ViewRowCount}), each
 * kept apart and read on its own. The catalog, next to the partition's chunk index
 * ({@link CatalogRerunData#chunkTimesStore}). Both are a cache: a store may drop what it is given.
 */
public interface ChunkTimesStore {
  /** Keeps nothing: times and counts live as long as the process. */
  ChunkTimesStore NONE = new ChunkTimesStore() {
    @Override
    public Map<ChunkId, byte[]> load(Partition partition) {
      return Map.of();
    }

    @Override
    public void save(Partition partition, Map<ChunkId, byte[]> times) {}

    @Override
    public OptionalLong rowCount(Partition partition, String timeline, String contents) {
      return OptionalLong.empty();
    }

    @Override
    public void saveRowCount(ViewRowCount count) {}
  };

  /** The times stored for the partition as it is registered now (none for a changed file). */
  Map<ChunkId, byte[]> load(Partition partition);

  /** Keeps times a scan learnt; returns at once (the store writes them later, or drops them). */
  void save(Partition partition, Map<ChunkId, byte[]> times);

  /** The view's row count stored for the partition as it is registered now; empty when none. */
  OptionalLong rowCount(Partition partition, String timeline, String contents);

  /** Keeps a view's row count a scan computed; returns at once, as {@link #save} does. */
  void saveRowCount(ViewRowCount count);
}
