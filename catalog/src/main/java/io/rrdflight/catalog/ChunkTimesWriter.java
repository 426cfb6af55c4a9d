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
 * Writes the chunk times scans learnt ({@link Catalog#saveChunkTimes}) on a thread of its own, so a
 * query never waits for the store's commit: what is queued when the thread wakes goes in one
 * transaction. Bounded: the queue holds {@link #QUEUE} partitions' worth and drops the rest (times
 * are a cache; a later scan learns them again), and each partition's stored times stop at
 * {@link #MAX_BYTES_PER_PARTITION}. A failed write is logged and dropped: the server stays up.
 */
final class ChunkTimesWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ChunkTimesWriter.class);
  static final int QUEUE = 256;
  /** About 10,000 chunks of a few components each; the SQL engine's in-memory cache is 16 MiB in all. */
  static final long MAX_BYTES_PER_PARTITION = 4L << 20;
  private static final PartitionChunkTimes STOP = new PartitionChunkTimes(null, Map.of());

  private final CatalogStore store;
  private final BlockingQueue<PartitionChunkTimes> queue = new ArrayBlockingQueue<>(QUEUE);
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
    return queue.offer(new PartitionChunkTimes(requireNonNull(partition, "partition is null"), times));
  }

  private void run() {
    List<PartitionChunkTimes> batch = new ArrayList<>();
    while (true) {
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        return;
      }
      queue.drainTo(batch);
      boolean stop = batch.remove(STOP);
      if (!batch.isEmpty()) {
        try {
          store.addChunkTimes(batch, MAX_BYTES_PER_PARTITION);
        } catch (RuntimeException e) {
          log.warn("storing the chunk times of {} partitions failed (they are learnt again when needed): {}", batch.size(), e.toString());
        }
      }
      batch.clear();
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
      if (queue.offer(STOP, 10, TimeUnit.SECONDS)) {
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
