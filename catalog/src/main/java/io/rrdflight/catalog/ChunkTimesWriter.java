package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.CatalogStore.PartitionChunkTimes;
import io.rrdflight.rrd.ChunkId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes what scans learnt, chunk times ({@link Catalog#saveChunkTimes}) and view row counts
 * ({@link Catalog#saveViewRowCount}), on a thread of its own, so a query never waits for the store's
 * commit: what is queued when the thread wakes goes in one transaction of each kind. Bounded: the
 * queue holds {@link #QUEUE} entries and drops the rest (both are a cache; a later scan learns them
 * again), and each partition's stored times stop at {@link #MAX_BYTES_PER_PARTITION}. A failed
 * write is logged and dropped: the server stays up.
 */
final class ChunkTimesWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ChunkTimesWriter.class);
  static final int QUEUE = 256;
  /** About 10,000 chunks of a few components each; the SQL engine's in-memory cache is 16 MiB in all. */
  static final long MAX_BYTES_PER_PARTITION = 4L << 20;

  /** One entry of the queue. */
  private sealed interface Write permits Times, Count, Stop {}

  private record Times(PartitionChunkTimes times) implements Write {}

  private record Count(ViewRowCount count) implements Write {}

  private record Stop() implements Write {}

  private final CatalogStore store;
  private final BlockingQueue<Write> queue = new ArrayBlockingQueue<>(QUEUE);
  private final Thread thread;
  private volatile boolean closed;

  ChunkTimesWriter(CatalogStore store) {
    this.store = requireNonNull(store, "store is null");
    this.thread = new Thread(this::run, "rrdflight-chunk-times");
    thread.setDaemon(true);
    thread.start();
  }

  /** Queues the times for writing; false when they were dropped (closed, queue full, or the store is read-only). */
  boolean offer(Partition partition, Map<ChunkId, byte[]> times) {
    if (closed || times.isEmpty() || !store.writable()) {
      return false;
    }
    return queue.offer(new Times(new PartitionChunkTimes(requireNonNull(partition, "partition is null"), times)));
  }

  /** Queues a view's row count for writing; false when it was dropped (as above). */
  boolean offer(ViewRowCount count) {
    requireNonNull(count, "count is null");
    return !closed && store.writable() && queue.offer(new Count(count));
  }

  private void run() {
    List<Write> batch = new ArrayList<>();
    while (true) {
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        return;
      }
      queue.drainTo(batch);
      List<PartitionChunkTimes> times = new ArrayList<>();
      List<ViewRowCount> counts = new ArrayList<>();
      boolean stop = false;
      for (Write w : batch) {
        if (w instanceof Times t) {
          times.add(t.times());
        } else if (w instanceof Count c) {
          counts.add(c.count());
        } else {
          stop = true;
        }
      }
      batch.clear();
      if (!times.isEmpty()) {
        try {
          store.addChunkTimes(times, MAX_BYTES_PER_PARTITION);
        } catch (RuntimeException e) {
          log.warn("storing the chunk times of {} partitions failed (they are learnt again when needed): {}", times.size(), e.toString());
        }
      }
      if (!counts.isEmpty()) {
        try {
          store.addViewRowCounts(counts);
        } catch (RuntimeException e) {
          log.warn("storing {} view row counts failed (they are learnt again when needed): {}", counts.size(), e.toString());
        }
      }
      if (stop) {
        return;
      }
    }
  }

  /** Writes what is queued (waiting at most a few seconds), then stops; the store is closed after this. */
  @Override
  public void close() {
    closed = true;
    try {
      if (queue.offer(new Stop(), 10, TimeUnit.SECONDS)) {
        thread.join(TimeUnit.SECONDS.toMillis(10));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      thread.interrupt();
    }
  }
}
