package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.CompactionState;
import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.EntryId;
import io.rrdflight.catalog.Partition;
import io.rrdflight.rrd.Timeline;
import io.rrdflight.sql.QueryContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import org.apache.arrow.memory.BufferAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.Locale;

/**
 * Counts, in the background, the rows a bare {@code COUNT(*)} of a timeline table asks for (the view
 * on each index timeline of the dataset with contents {@value #CONTENTS}, see
 * {@code RerunDatasetSchema}), for partitions that have no stored count yet: newly registered ones,
 * and those of an existing data dir at start. Each count is the scan a COUNT(*) would otherwise run
 * ({@link ViewCountBatches#scannedRows}), so it is what the scan returns, and it stores the count
 * and the chunks' times as that scan would ({@link ChunkTimesCache#learnt}).
 *
 * <p>One thread, one partition at a time on one worker, in an allocator of its own bounded by
 * {@link #memoryLimit}; it takes no query slot, and gives way to queries: it starts nothing while
 * {@code queriesRunning} says queries run, and a scan under way when one starts is stopped by a
 * second, long-lived thread that watches for queries during scans (what it learnt of the chunks so
 * far is kept) and its partition counted again later. (The thread has the
 * lowest Java priority, but Linux ignores priorities: giving way is what keeps it off queries' cores.) A
 * partition deleted or replaced meanwhile is skipped; a failure logs one line and leaves the
 * partition to the COUNT(*) scan, as before.
 */
public final class ViewRowCounter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ViewRowCounter.class);
  /** The contents of the timeline tables, whose COUNT(*) these counts answer. */
  static final String CONTENTS = "/**";
  /** Partitions waiting to be counted, at most: each is a reference to a catalog value. */
  static final int MAX_PENDING = 100_000;
  /** How often a scan looks whether a query started, and an idle counter whether queries ended. */
  static final Duration YIELD_POLL = Duration.ofMillis(50);
  private static final int BATCH_ROWS = 65536;
  /** {@link RerunData#compactionState} of a partition whose copy is queued or being made. */
  private static final String PENDING = CompactionState.PENDING.name().toLowerCase(Locale.ROOT);
  /** How long a listing of the registered partitions serves (a partition deleted since fails its scan, which is then skipped). */
  static final Duration LISTING_AGE = Duration.ofSeconds(1);
  /**
   * The counter's index window at most: a count holds one window's decoded chunks and their times
   * (direct memory and heap); a caller's larger window (queries used 64 MiB until SqlEngine's default came
   * down to this size) does not raise it. With the
   * launcher's 256 MiB heap, counting 16 recordings of 4.5 M rows in 64 MiB windows took the server's
   * peak RSS to ~475 MB, in 16 MiB windows to ~435 MB, for no more of the counter's CPU.
   */
  static final long MAX_WINDOW_BYTES = 16L << 20;

  private final RerunData data;
  private final ChunkTimesCache cache;
  private final BufferAllocator allocator;
  private final long windowBytes;
  private final BooleanSupplier queriesRunning;
  private final Thread thread;
  /** Cancels the scan under way when a query starts: one for the counter's life, idle between scans. */
  private final Thread watcher;
  /** Partitions to count, by (dataset, partition id, layer): a later value replaces an earlier one. Guarded by itself. */
  private final LinkedHashMap<List<Object>, Partition> pending = new LinkedHashMap<>();
  /**
   * Partitions taken off {@link #pending} while their compacted copy was being made, by the same key: counted once
   * {@link #compactionEnded} says the copy is done. Guarded by {@link #pending}.
   */
  private final Map<List<Object>, Partition> awaitingCopy = new HashMap<>();
  /** Set when a compaction ended: the next look-up lists the partitions afresh, to count the copy. */
  private volatile boolean copiesChanged;
  private volatile boolean closed;
  /** The scan under way, cancelled when a query starts or the counter closes. */
  private volatile QueryContext scanning;
  /** Whether the thread is counting, or partitions wait for their copies (for {@link #awaitIdle}); guarded by {@link #pending}. */
  private boolean busy;
  private int countedViews;
  private int countedPartitions;
  private int checkedPartitions;
  private long startedNanos;
  /** The registered partitions and datasets when last listed (the counter's thread only). */
  private Map<List<Object>, Partition> registeredNow;
  private Map<EntryId, Dataset> datasets = Map.of();
  private long listedNanos;

  /**
   * @param parent where the counter's own allocator is made (a child with {@link #memoryLimit})
   * @param windowBytes the memory budget of one index window, as queries scan (the counter's is at most {@link #MAX_WINDOW_BYTES})
   * @param queriesRunning whether queries run now: the counter waits, and stops a scan under way
   */
  public ViewRowCounter(RerunData data, ChunkTimesCache cache, BufferAllocator parent, long windowBytes, BooleanSupplier queriesRunning) {
    this.data = requireNonNull(data, "data is null");
    this.cache = requireNonNull(cache, "cache is null");
    this.windowBytes = Math.min(windowBytes, MAX_WINDOW_BYTES);
    this.queriesRunning = requireNonNull(queriesRunning, "queriesRunning is null");
    this.allocator = parent.newChildAllocator("row-counts", 0, memoryLimit(this.windowBytes, parent.getLimit()));
    this.thread = new Thread(this::run, "rrdflight-row-counts");
    thread.setDaemon(true);
    thread.setPriority(Thread.MIN_PRIORITY);
    this.watcher = new Thread(this::yieldToQueries, "rrdflight-row-counts-yield");
    watcher.setDaemon(true);
    thread.start();
    watcher.start();
  }

  /** One window's chunks and what a scan holds beside them, and never more than half of {@code available}. */
  static long memoryLimit(long windowBytes, long available) {
    return Math.min(2 * windowBytes + (16L << 20), available / 2);
  }

  /** Queues the partitions whose counts are missing; the others cost one look-up each, on the counter's thread. */
  public void count(List<Partition> partitions) {
    synchronized (pending) {
      if (closed) {
        return;
      }
      int dropped = 0;
      for (Partition p : partitions) {
        if (pending.size() >= MAX_PENDING) {
          dropped++;
          continue;
        }
        pending.put(key(p), p);
      }
      if (dropped > 0) {
        log.info("{} partitions not queued for counting (already {} waiting): their first COUNT(*) scans them", dropped, MAX_PENDING);
      }
      pending.notifyAll();
    }
  }

  /** Queues every partition of every dataset (at start: those with stored counts are skipped). */
  public void countAll() {
    if (closed) {
      return; // the server stopped during its warm-up, which calls this last: the catalog may be closing too
    }
    List<Partition> all = new ArrayList<>();
    for (Dataset d : data.datasets()) {
      all.addAll(data.partitions(d));
    }
    count(all);
  }

  /**
   * Queues {@code p} again if it waited for its compacted copy: a file of thousands of small chunks costs tens of
   * seconds of CPU to count, its copy of a few dozen chunks well under one, and both hold the same rows. The
   * compactions run one at a time in registration order, as the counts do, so the others wait for little.
   */
  public void compactionEnded(Partition p) {
    synchronized (pending) {
      Partition waited = awaitingCopy.remove(key(p));
      if (waited != null && !closed) {
        copiesChanged = true;
        pending.put(key(p), waited);
        pending.notifyAll();
      }
    }
  }

  /** Waits until nothing is queued or being counted (nor waits for its copy); false when {@code timeout} passed first. */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    synchronized (pending) {
      while (!pending.isEmpty() || busy) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        pending.wait(Math.max(1, left / 1_000_000));
      }
      return true;
    }
  }

  private void run() {
    while (!closed) {
      Partition next;
      synchronized (pending) {
        while (pending.isEmpty() && !closed) {
          if (busy && awaitingCopy.isEmpty()) {
            busy = false;
            // The visible state of the counts: once per start, and per registration (its copies counted too).
            log.info("row counts ready: {} views of {} partitions counted ({} partitions looked at) in {} s", countedViews,
                countedPartitions, checkedPartitions, String.format(Locale.ROOT, "%.1f", (System.nanoTime() - startedNanos) / 1e9));
            countedViews = 0;
            countedPartitions = 0;
            checkedPartitions = 0;
            pending.notifyAll();
          }
          try {
            pending.wait();
          } catch (InterruptedException e) {
            return;
          }
        }
        if (closed) {
          return;
        }
        if (!busy) {
          busy = true;
          startedNanos = System.nanoTime();
        }
        var first = pending.entrySet().iterator();
        next = first.next().getValue();
        first.remove();
        // Looked at under the lock that compactionEnded takes: the end of a compaction cannot slip between.
        if (PENDING.equals(data.compactionState(next))) {
          awaitingCopy.put(key(next), next);
          continue;
        }
      }
      try {
        waitForQuiet();
        if (!countPartition(next)) {
          count(List.of(next)); // stopped for a query: again, after the others
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        if (closed) {
          return;
        }
        Partition now = listing(true).get(key(next));
        if (now == null || !now.file().sameAs(next.file())) {
          log.debug("partition {} went while it was counted", next.partitionId());
        } else {
          log.warn("counting the rows of partition {} failed (its first COUNT(*) scans it): {}", next.partitionId(), e.toString());
        }
      }
    }
  }

  /** Waits while queries run. */
  private void waitForQuiet() throws InterruptedException {
    while (!closed && queriesRunning.getAsBoolean()) {
      synchronized (pending) {
        pending.wait(YIELD_POLL.toMillis()); // close() wakes it
      }
    }
  }

  /**
   * Counts the partition's missing views, as registered now (skipped when gone or replaced); false
   * when a query started meanwhile and the count was stopped.
   */
  private boolean countPartition(Partition queued) throws InterruptedException {
    Partition p = registered(queued);
    if (p == null) {
      return true; // deleted, or registered again (its new value is queued by that registration)
    }
    Dataset dataset = datasets.get(p.datasetId());
    synchronized (pending) {
      checkedPartitions++;
    }
    boolean counted = false;
    for (Timeline t : data.schema(dataset).timelines()) {
      if (closed) {
        return true;
      }
      if (cache.rowCount(p, t.name(), CONTENTS).isPresent()) {
        continue;
      }
      waitForQuiet();
      QueryView view = QueryView.of(t.name(), CONTENTS).withPartitionIds(new TreeSet<>(List.of(p.partitionId())));
      if (!scan(ViewSchema.of(view, data.schema(dataset)), p)) {
        return false;
      }
      counted = true;
      synchronized (pending) {
        countedViews++;
      }
    }
    if (counted) {
      synchronized (pending) {
        countedPartitions++;
      }
    }
    return true;
  }

  /**
   * The partition as registered now when it is still {@code queued}'s file, else null. The listing of
   * every partition is kept for {@link #LISTING_AGE} (counting partition after partition lists them
   * once, not once each), and made again when the partition is not in it as queued.
   */
  private Partition registered(Partition queued) {
    Partition p = listing(false).get(key(queued));
    if (p == null || !p.file().sameAs(queued.file())) {
      p = listing(true).get(key(queued));
    }
    return p != null && p.file().sameAs(queued.file()) ? p : null;
  }

  private Map<List<Object>, Partition> listing(boolean fresh) {
    if (copiesChanged) {
      copiesChanged = false; // before listing: a compaction that ends meanwhile sets it again
      fresh = true;
    }
    if (fresh || registeredNow == null || System.nanoTime() - listedNanos > LISTING_AGE.toNanos()) {
      Map<List<Object>, Partition> all = new HashMap<>();
      Map<EntryId, Dataset> byId = new HashMap<>();
      for (Dataset d : data.datasets()) {
        byId.put(d.id(), d);
        data.partitions(d).forEach(p -> all.put(key(p), p));
      }
      registeredNow = all;
      datasets = byId;
      listedNanos = System.nanoTime();
    }
    return registeredNow;
  }

  private static List<Object> key(Partition p) {
    return List.of(p.datasetId(), p.partitionId(), p.layer());
  }

  /** The count-only scan of one view of one partition; false when it was stopped for a query. */
  private boolean scan(ViewSchema schema, Partition p) {
    QueryContext context = QueryContext.start(allocator, Duration.ofDays(1), allocator.getLimit(), 1);
    synchronized (pending) {
      scanning = context;
      pending.notifyAll(); // the watcher looks at queries while it scans
    }
    if (closed) {
      context.cancel("the server is stopping"); // close() may have looked before this scan began
    }
    try (QueryContext.Binding bound = context.bind()) {
      ViewCountBatches.scannedRows(schema, List.of(p), data, allocator, BATCH_ROWS, windowBytes, cache);
      return true;
    } catch (RuntimeException e) { // a QueryAbortedException, or one that wraps it from the scan's worker
      if (closed || !context.isCancelled()) {
        throw e;
      }
      return false;
    } finally {
      scanning = null;
    }
  }

  /**
   * The watcher's loop: while a scan is under way, cancels it as soon as a query runs (looking every
   * {@link #YIELD_POLL}); between scans it waits. Cancelling a scan that has just ended does nothing.
   */
  private void yieldToQueries() {
    try {
      while (!closed) {
        QueryContext under;
        synchronized (pending) {
          while ((under = scanning) == null && !closed) {
            pending.wait();
          }
        }
        if (under != null && !under.isCancelled() && queriesRunning.getAsBoolean()) {
          under.cancel("a client is at work: the row count gives way");
        }
        Thread.sleep(YIELD_POLL.toMillis());
      }
    } catch (InterruptedException e) {
      // closed
    }
  }

  /** Stops counting (a scan under way stops at its next check), waits a few seconds for the thread, then frees the allocator. */
  @Override
  public void close() {
    synchronized (pending) {
      closed = true;
      pending.clear();
      awaitingCopy.clear();
      pending.notifyAll();
    }
    QueryContext under = scanning;
    if (under != null) {
      under.cancel("the server is stopping");
    }
    watcher.interrupt(); // it reads no file
    // Not interrupted: a read interrupted on a file channel closes the channel.
    try {
      thread.join(Duration.ofSeconds(10).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!thread.isAlive()) {
      allocator.close();
    }
  }
}
