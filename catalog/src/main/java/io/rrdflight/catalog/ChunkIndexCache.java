package io.rrdflight.catalog;

import io.rrdflight.rrd.ChunkIndex;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * Decoded chunk indexes of recently queried partitions, least recently used evicted first, held up
 * to a budget of (estimated) heap bytes: a partition of tens of thousands of small chunks decodes
 * to tens of megabytes, so a count of partitions says nothing about the memory held. Keyed by the
 * partition value itself, so a re-registered partition (new file stamp, new time) misses.
 *
 * <p>An index is decoded outside the lock (a decode of a large one takes a while and must not hold
 * up hits on others), once per partition however many queries ask for it at the same time: the
 * others wait for that decode and share its result or its failure.
 */
final class ChunkIndexCache {
  private final long capacityBytes;
  /** Guards the fields below; held only to look up and to file, never while decoding. */
  private final Object lock = new Object();
  private final Map<Partition, Cached> entries = new LinkedHashMap<>(16, 0.75f, true);
  private final Map<Partition, CompletableFuture<ChunkIndex>> loading = new HashMap<>();
  private long bytes;

  private record Cached(ChunkIndex index, long bytes) {}

  /** {@code capacityBytes}: what the kept indexes may take together; a larger index is used but not kept. */
  ChunkIndexCache(long capacityBytes) {
    if (capacityBytes < 0) {
      throw new IllegalArgumentException("capacityBytes is negative: " + capacityBytes);
    }
    this.capacityBytes = capacityBytes;
  }

  /** A budget of an eighth of the heap: a few large partitions' indexes, hundreds of ordinary ones. */
  static ChunkIndexCache sizedForHeap() {
    return new ChunkIndexCache(Runtime.getRuntime().maxMemory() / 8);
  }

  ChunkIndex get(Partition partition, Supplier<ChunkIndex> load) {
    CompletableFuture<ChunkIndex> mine;
    CompletableFuture<ChunkIndex> theirs;
    synchronized (lock) {
      Cached hit = entries.get(partition);
      if (hit != null) {
        return hit.index();
      }
      theirs = loading.get(partition);
      mine = theirs == null ? new CompletableFuture<>() : null;
      if (mine != null) {
        loading.put(partition, mine);
      }
    }
    if (theirs != null) {
      return joined(theirs);
    }
    ChunkIndex index;
    try {
      index = load.get();
    } catch (RuntimeException | Error e) {
      synchronized (lock) {
        loading.remove(partition);
      }
      mine.completeExceptionally(e);
      throw e;
    }
    synchronized (lock) {
      loading.remove(partition);
      keep(partition, index);
    }
    mine.complete(index);
    return index;
  }

  /** Estimated bytes of the indexes kept now. */
  long bytes() {
    synchronized (lock) {
      return bytes;
    }
  }

  private void keep(Partition partition, ChunkIndex index) {
    long size = index.estimatedHeapBytes();
    if (size > capacityBytes) {
      return;
    }
    Cached old = entries.put(partition, new Cached(index, size));
    bytes += size - (old == null ? 0 : old.bytes());
    for (Iterator<Cached> eldest = entries.values().iterator(); bytes > capacityBytes && eldest.hasNext(); ) {
      bytes -= eldest.next().bytes();
      eldest.remove();
    }
  }

  /** Another query's decode of the same index: its result, or its failure as it was thrown there. */
  private static ChunkIndex joined(CompletableFuture<ChunkIndex> load) {
    try {
      return load.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw e;
    }
  }
}
