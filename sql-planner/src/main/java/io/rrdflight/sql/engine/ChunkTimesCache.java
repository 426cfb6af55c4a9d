package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.Partition;
import io.rrdflight.rrd.ChunkId;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@link ChunkTimes} of chunks decoded so far, so that a later scan that needs only the row set
 * from them (COUNT(*), a GROUP BY reading other columns) does not decode them again. Shared by all
 * scans of one engine; bounded in bytes, least recently used out first. Keyed by partition (which
 * records the file's size and modification time: a changed file is another key) and chunk id.
 * Only compact entries are kept (at most {@link #MAX_RANGES} ranges): a chunk of scattered values
 * is as cheap to decode again as to describe.
 */
public final class ChunkTimesCache {
  /** The default bound: 16 MiB holds about 80,000 dense single-component chunks. */
  public static final long DEFAULT_BYTES = 16L << 20;
  static final int MAX_RANGES = 64;

  private record Key(Partition partition, ChunkId chunk) {}

  private final long maxBytes;
  private final LinkedHashMap<Key, ChunkTimes> entries = new LinkedHashMap<>(16, 0.75f, true);
  private long bytes;

  public ChunkTimesCache(long maxBytes) {
    if (maxBytes < 0) {
      throw new IllegalArgumentException("maxBytes must not be negative: " + maxBytes);
    }
    this.maxBytes = maxBytes;
  }

  /** A cache that keeps nothing: every scan learns its chunks' times afresh. */
  public static ChunkTimesCache none() {
    return new ChunkTimesCache(0);
  }

  synchronized ChunkTimes get(Partition partition, ChunkId chunk) {
    return entries.get(new Key(partition, chunk));
  }

  synchronized void put(Partition partition, ChunkId chunk, ChunkTimes times) {
    requireNonNull(times, "times is null");
    long size = times.heapBytes();
    if (times.ranges() > MAX_RANGES || size > maxBytes) {
      return;
    }
    ChunkTimes old = entries.put(new Key(requireNonNull(partition, "partition is null"), requireNonNull(chunk, "chunk is null")), times);
    bytes += size - (old == null ? 0 : old.heapBytes());
    var oldest = entries.entrySet().iterator();
    while (bytes > maxBytes && oldest.hasNext()) {
      Map.Entry<Key, ChunkTimes> e = oldest.next();
      bytes -= e.getValue().heapBytes();
      oldest.remove();
    }
  }

  synchronized int size() {
    return entries.size();
  }
}
