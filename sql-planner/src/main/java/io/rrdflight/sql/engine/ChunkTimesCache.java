package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.Partition;
import io.rrdflight.catalog.ViewRowCount;
import io.rrdflight.rrd.ChunkId;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.OptionalLong;

/**
 * The {@link ChunkTimes} of chunks decoded so far, so that a later scan that needs only the row set
 * from them (COUNT(*), a GROUP BY reading other columns) does not decode them again. Shared by all
 * scans of one engine; bounded in bytes, least recently used out first. Keyed by partition (which
 * records the file's size and modification time: a changed file is another key) and chunk id.
 * Only compact entries are kept (at most {@link #MAX_RANGES} ranges): a chunk of scattered values
 * is as cheap to decode again as to describe.
 *
 * <p>Backed by a {@link ChunkTimesStore} (the catalog), so a restarted server does not decode
 * every chunk again to learn them: the first miss in a partition reads all of the partition's
 * stored times at once, and what a scan learnt goes to the store when the scan is done with the
 * partition ({@link #learnt}). A partition whose entries were evicted is read from the store again
 * at its next miss.
 */
public final class ChunkTimesCache {
  private static final Logger log = LoggerFactory.getLogger(ChunkTimesCache.class);
  /** The default bound: 16 MiB holds about 80,000 dense single-component chunks. */
  public static final long DEFAULT_BYTES = 16L << 20;
  static final int MAX_RANGES = 64;
  /** Partitions remembered as read from the store (each costs a few dozen bytes). */
  static final int LOADED_PARTITIONS = 4096;

  private record Key(Partition partition, ChunkId chunk) {}

  /** Whole views' row counts kept in memory: a few dozen bytes each. */
  static final int ROW_COUNTS = 65536;

  private record CountKey(Partition partition, String timeline, String contents) {}

  private final long maxBytes;
  private final ChunkTimesStore store;
  private final LinkedHashMap<Key, ChunkTimes> entries = new LinkedHashMap<>(16, 0.75f, true);
  /** Partitions whose stored times are in {@link #entries} (none of theirs evicted since). */
  private final LinkedHashMap<Partition, Boolean> loaded = new LinkedHashMap<>(16, 0.75f, true);
  /** One lock per partition being read from the store, so that concurrent misses read it once. */
  private final Map<Partition, Object> loading = new HashMap<>();
  private long bytes;
  /** Row counts of whole views ({@link ViewRowCount}), learnt by scans or read from the store. */
  private final LinkedHashMap<CountKey, Long> rowCounts = new LinkedHashMap<>(16, 0.75f, true);

  /** A cache of this process's scans only. */
  public ChunkTimesCache(long maxBytes) {
    this(maxBytes, ChunkTimesStore.NONE);
  }

  public ChunkTimesCache(long maxBytes, ChunkTimesStore store) {
    if (maxBytes < 0) {
      throw new IllegalArgumentException("maxBytes must not be negative: " + maxBytes);
    }
    this.maxBytes = maxBytes;
    this.store = requireNonNull(store, "store is null");
  }

  /** A cache that keeps nothing: every scan learns its chunks' times afresh. */
  public static ChunkTimesCache none() {
    return new ChunkTimesCache(0);
  }

  /** The chunk's times when known here or stored; null when a scan must decode the chunk to learn them. */
  ChunkTimes get(Partition partition, ChunkId chunk) {
    Key key = new Key(partition, chunk);
    Object gate;
    synchronized (this) {
      ChunkTimes known = entries.get(key);
      if (known != null || loaded.containsKey(partition) || store == ChunkTimesStore.NONE) {
        return known;
      }
      gate = loading.computeIfAbsent(partition, p -> new Object());
    }
    synchronized (gate) {
      synchronized (this) {
        if (loaded.containsKey(partition)) {
          return entries.get(key); // another scan read the store meanwhile
        }
      }
      Map<ChunkId, ChunkTimes> stored = load(partition);
      synchronized (this) {
        loading.remove(partition);
        loaded.put(partition, Boolean.TRUE);
        if (loaded.size() > LOADED_PARTITIONS) {
          var oldest = loaded.keySet().iterator();
          oldest.next();
          oldest.remove();
        }
        stored.forEach((id, times) -> {
          if (!entries.containsKey(new Key(partition, id))) {
            put(partition, id, times);
          }
        });
        return entries.get(key);
      }
    }
  }

  /** The partition's stored times, decoded; a failing store or unreadable entries count as none (they are learnt again). */
  private Map<ChunkId, ChunkTimes> load(Partition partition) {
    Map<ChunkId, byte[]> raw;
    try {
      raw = store.load(partition);
    } catch (RuntimeException e) {
      log.warn("reading the stored chunk times of partition {} failed (scans learn them again): {}", partition.partitionId(), e.toString());
      return Map.of();
    }
    Map<ChunkId, ChunkTimes> out = new HashMap<>();
    for (Map.Entry<ChunkId, byte[]> e : raw.entrySet()) {
      try {
        out.put(e.getKey(), ChunkTimes.fromBytes(e.getValue(), MAX_RANGES));
      } catch (IllegalArgumentException bad) {
        log.warn("partition {}, {}: {} (learnt again when scanned)", partition.partitionId(), e.getKey(), bad.getMessage());
      }
    }
    return out;
  }

  synchronized void put(Partition partition, ChunkId chunk, ChunkTimes times) {
    requireNonNull(times, "times is null");
    long size = times.heapBytes();
    if (!worthKeeping(times) || size > maxBytes) {
      return;
    }
    ChunkTimes old = entries.put(new Key(requireNonNull(partition, "partition is null"), requireNonNull(chunk, "chunk is null")), times);
    bytes += size - (old == null ? 0 : old.heapBytes());
    var oldest = entries.entrySet().iterator();
    while (bytes > maxBytes && oldest.hasNext()) {
      Map.Entry<Key, ChunkTimes> e = oldest.next();
      bytes -= e.getValue().heapBytes();
      loaded.remove(e.getKey().partition()); // its next miss reads the store again
      oldest.remove();
    }
  }

  private static boolean worthKeeping(ChunkTimes times) {
    return times.ranges() <= MAX_RANGES;
  }

  /**
   * The number of rows of the whole view on {@code timeline} with {@code contents} (every index
   * value, no fill) in the partition as registered now, when a scan of it learnt it (this process
   * or, through the store, an earlier one); empty when unknown. A miss here reads that one count
   * from the store, not the partition's chunk times.
   */
  OptionalLong rowCount(Partition partition, String timeline, String contents) {
    CountKey key = new CountKey(requireNonNull(partition, "partition is null"), timeline, contents);
    synchronized (this) {
      Long known = rowCounts.get(key);
      if (known != null || store == ChunkTimesStore.NONE) {
        return known == null ? OptionalLong.empty() : OptionalLong.of(known);
      }
    }
    OptionalLong stored;
    try {
      stored = store.rowCount(partition, timeline, contents);
    } catch (RuntimeException e) {
      log.warn("reading the stored row count of partition {} failed (a scan counts again): {}", partition.partitionId(), e.toString());
      return OptionalLong.empty();
    }
    stored.ifPresent(rows -> remember(key, rows));
    return stored;
  }

  private synchronized void remember(CountKey key, long rows) {
    rowCounts.put(key, rows);
    if (rowCounts.size() > ROW_COUNTS) {
      var oldest = rowCounts.keySet().iterator();
      oldest.next();
      oldest.remove();
    }
  }

  /**
   * Hands what a scan learnt about the partition's chunks (decoding them) to the store, which
   * writes them later; only the entries worth keeping, as in memory. {@code count}, when not null,
   * is the whole view's row count the scan computed, kept in memory and stored too.
   */
  void learnt(Partition partition, Map<ChunkId, ChunkTimes> times, ViewRowCount count) {
    if (count != null) {
      remember(new CountKey(partition, count.timeline(), count.contents()), count.rows());
    }
    if (store == ChunkTimesStore.NONE) {
      return;
    }
    if (count != null) {
      try {
        store.saveRowCount(count);
      } catch (RuntimeException e) {
        log.warn("keeping the row count of partition {} failed (a scan counts again): {}", partition.partitionId(), e.toString());
      }
    }
    Map<ChunkId, byte[]> encoded = new HashMap<>();
    times.forEach((id, t) -> {
      if (worthKeeping(t)) {
        try {
          encoded.put(id, t.toBytes());
        } catch (java.io.UncheckedIOException tooLong) { // a name beyond 64 KiB: kept in memory only
          log.debug("partition {}, {}: not stored: {}", partition.partitionId(), id, tooLong.getMessage());
        }
      }
    });
    if (!encoded.isEmpty()) {
      try {
        store.save(partition, encoded);
      } catch (RuntimeException e) {
        log.warn("keeping the chunk times of partition {} failed (scans learn them again): {}", partition.partitionId(), e.toString());
      }
    }
  }

  synchronized int size() {
    return entries.size();
  }
}
