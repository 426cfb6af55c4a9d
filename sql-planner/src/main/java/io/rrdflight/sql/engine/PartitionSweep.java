package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.ChunkPlanner;
import io.rrdflight.catalog.ColumnNames;
import io.rrdflight.catalog.DatasetSchema;
import io.rrdflight.catalog.Partition;
import io.rrdflight.catalog.ViewRowCount;
import io.rrdflight.rrd.ChunkId;
import io.rrdflight.rrd.IndexRange;
import io.rrdflight.rrd.IndexedChunk;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;

/**
 * One partition's rows of a view, cut into index windows ({@link IndexWindows}) so that memory is
 * bounded by the window budget, not by the partition. For each window the chunk index names the
 * chunks it needs ({@link ChunkPlanner}: the window's own, static data and, with fill, the latest
 * values before it). Windows may be computed on several threads at once: a chunk that several
 * windows need is decoded once, by the first, and released when the last of them is done, so
 * each chunk is decoded once however the windows are spread over threads.
 *
 * <p>The partition's recording is opened once per sweep, and each window announces the chunks it
 * will decode, in the order they will be, plus those of the windows after it up to
 * {@link #ANNOUNCE_AHEAD_BYTES}: object storage fetches them while earlier ones are decoded. So what
 * is fetched ahead is bounded by a window's chunks plus that margin (and by the source's own bound).
 */
final class PartitionSweep implements AutoCloseable {
  private final ViewSchema schema;
  private final Partition partition;
  private final RerunData data;
  private final BufferAllocator allocator;
  /** Per component column of the view: whether the scan needs its cells (else only its share of the rows). */
  private final boolean[] cellColumns;
  /** Per index column of the view: whether the scan shows it (else its values are not computed). */
  private final boolean[] indexColumns;
  /** entity → components whose cells the scan needs: the chunks that must be decoded. */
  private final Map<String, Set<String>> cellComponents = new HashMap<>();
  private final boolean everyColumn;
  private final ChunkTimesCache timesCache;
  private final List<IndexRange> windows;
  private final List<List<IndexedChunk>> needed;
  /** Decoded (or to be decoded) chunks, with how many windows not yet done still need them. */
  private final Map<ChunkId, Shared> shared = new HashMap<>();
  private int released;
  /** Bytes (as stored) announced beyond the start of the window being opened. */
  static final long ANNOUNCE_AHEAD_BYTES = 16L << 20;
  private final RerunData.PartitionChunks reader;
  /** Every chunk once, in the order the windows first need them; window w's begin at readStart[w]. */
  private final List<IndexedChunk> readOrder = new ArrayList<>();
  private final int[] readStart;
  /** Stored bytes of readOrder's first i chunks, at [i]. */
  private final long[] bytesBefore;
  /** How many of readOrder are announced. Guarded by {@link #shared}. */
  private int announced;
  private boolean closed;
  /** Times this sweep learnt by decoding chunks: to the cache's store once the sweep is done ({@link #closeReader}). */
  private final Map<ChunkId, ChunkTimes> learnt = new java.util.concurrent.ConcurrentHashMap<>();
  /** Windows computed to the end and their rows: all of them make the whole view's row count ({@link ViewRowCount}). */
  private final java.util.concurrent.atomic.AtomicInteger windowsComputed = new java.util.concurrent.atomic.AtomicInteger();
  private final java.util.concurrent.atomic.AtomicLong rowsComputed = new java.util.concurrent.atomic.AtomicLong();

  /** A chunk several windows use: decoded by the first that asks, closed after the last releases it. */
  private static final class Shared {
    final IndexedChunk info;
    int users;
    ChunkData decoded;
    /** What it adds to the row set (temporal chunks), from the cache or learnt when decoded. */
    ChunkTimes times;

    Shared(IndexedChunk info) {
      this.info = info;
    }
  }

  /**
   * @param cellColumns per component column of the view, whether the scan reads its cells; the
   *     other columns only count for the row set, answered from {@link ChunkTimes} where known
   * @param indexColumns per index column of the view, whether the scan shows it
   * @param timesCache where the chunks' times are kept between scans
   */
  PartitionSweep(ViewSchema schema, Partition partition, RerunData data, BufferAllocator allocator, long windowBytes,
      boolean[] cellColumns, boolean[] indexColumns, ChunkTimesCache timesCache) {
    this.schema = requireNonNull(schema, "schema is null");
    this.partition = requireNonNull(partition, "partition is null");
    this.data = requireNonNull(data, "data is null");
    this.allocator = requireNonNull(allocator, "allocator is null");
    this.timesCache = requireNonNull(timesCache, "timesCache is null");
    if (cellColumns.length != schema.components().size()) {
      throw new IllegalArgumentException(cellColumns.length + " cell flags for " + schema.components().size() + " columns");
    }
    this.cellColumns = cellColumns.clone();
    if (indexColumns.length != schema.indexes().size()) {
      throw new IllegalArgumentException(indexColumns.length + " index flags for " + schema.indexes().size() + " index columns");
    }
    this.indexColumns = indexColumns.clone();
    boolean every = true;
    for (int c = 0; c < cellColumns.length; c++) {
      every &= cellColumns[c];
      if (cellColumns[c]) {
        DatasetSchema.ComponentColumn column = schema.components().get(c);
        cellComponents.computeIfAbsent(column.entityPath(), e -> new HashSet<>()).add(column.component());
      }
    }
    this.everyColumn = every || schema.index().isEmpty(); // a static-only view reads static chunks only
    List<IndexedChunk> chunks = data.chunks(partition);
    QueryView view = schema.view();
    this.windows = schema.index()
        .map(t -> IndexWindows.plan(ChunkPlanner.plan(chunks, view.chunkRequest(view.range())), t, view.range(), windowBytes))
        .orElse(List.of(view.range()));
    this.needed = new ArrayList<>(windows.size());
    this.readStart = new int[windows.size() + 1];
    for (int w = 0; w < windows.size(); w++) {
      List<IndexedChunk> forWindow = ChunkPlanner.plan(chunks, view.chunkRequest(windows.get(w)));
      needed.add(forWindow);
      readStart[w] = readOrder.size();
      for (IndexedChunk c : forWindow) {
        if (shared.computeIfAbsent(c.id(), id -> new Shared(c)).users++ == 0) {
          readOrder.add(c);
        }
      }
    }
    readStart[windows.size()] = readOrder.size();
    this.bytesBefore = new long[readOrder.size() + 1];
    for (int i = 0; i < readOrder.size(); i++) {
      bytesBefore[i + 1] = bytesBefore[i] + readOrder.get(i).length();
    }
    this.reader = data.open(partition);
  }

  Partition partition() {
    return partition;
  }

  int windowCount() {
    return windows.size();
  }

  /**
   * The rows of window {@code w} (possibly none), decoding the chunks no other window has decoded
   * yet. The caller reads them, then calls {@link #release} once; safe from several threads for
   * different windows.
   */
  PartitionView open(int w) {
    announceFor(w);
    List<IndexedChunk> chunks = needed.get(w);
    List<ChunkData> loaded = new ArrayList<>(chunks.size());
    List<ChunkTimes> times = new ArrayList<>(chunks.size());
    for (IndexedChunk c : chunks) {
      Shared s;
      synchronized (shared) {
        s = shared.get(c.id());
      }
      synchronized (s) { // another window may be decoding it right now: wait for it, decode once
        if (s.times == null && !c.isStatic()) {
          s.times = timesCache.get(partition, c.id());
        }
        if (everyColumn || c.isStatic() || s.times == null || needsDecoding(s.times)) {
          if (s.decoded == null) {
            s.decoded = reader.read(s.info, allocator);
          }
          loaded.add(s.decoded);
          if (s.times == null && !c.isStatic()) {
            s.times = ChunkTimes.of(s.decoded); // learnt once, for this scan's other windows and later scans
            timesCache.put(partition, c.id(), s.times);
            learnt.put(c.id(), s.times);
          }
        }
        if (s.times != null) {
          times.add(s.times);
        }
      }
    }
    PartitionView view = everyColumn
        ? PartitionView.compute(schema, partition, windows.get(w), loaded, indexColumns)
        : PartitionView.compute(schema, partition, windows.get(w), loaded, cellColumns, indexColumns, times);
    rowsComputed.addAndGet(view.rowCount());
    windowsComputed.incrementAndGet();
    return view;
  }

  /**
   * The whole view's rows in the partition, when this sweep computed every window of it and the
   * view is one a stored count describes (an index, every value, no fill: fill adds no rows, but
   * the count's key does not say it); else null.
   */
  private ViewRowCount rowCount() {
    QueryView view = schema.view();
    if (view.index().isEmpty() || !view.range().isEverything() || view.fillLatestAt() || windowsComputed.get() != windows.size()) {
      return null;
    }
    return new ViewRowCount(partition, view.index().get(), view.contents().toString(), rowsComputed.get());
  }

  /** Whether a chunk must be read although its times are known: it has cells the scan reads, or clears. */
  private boolean needsDecoding(ChunkTimes times) {
    if (times.has(ColumnNames.CLEAR_IS_RECURSIVE)) {
      return true;
    }
    Set<String> components = cellComponents.get(times.entityPath());
    if (components != null) {
      for (String component : components) {
        if (times.has(component)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Announces window {@code w}'s chunks not announced yet, and the next ones up to ANNOUNCE_AHEAD_BYTES. */
  private void announceFor(int w) {
    synchronized (shared) { // announced in reading order, also when windows open on several threads
      int to = Math.max(announced, readStart[w + 1]);
      long limit = bytesBefore[readStart[w]] + ANNOUNCE_AHEAD_BYTES;
      while (to < readOrder.size() && bytesBefore[to + 1] <= limit) {
        to++;
      }
      if (to > announced && !closed) {
        reader.announce(readOrder.subList(announced, to));
        announced = to;
      }
    }
  }

  /**
   * Window {@code w} is done (read, or failed): its chunks that no other window needs are closed.
   * Returns whether every window of the partition is released now.
   */
  boolean release(int w) {
    List<ChunkData> done = new ArrayList<>();
    boolean all;
    synchronized (shared) {
      all = ++released == windows.size();
      for (IndexedChunk c : needed.get(w)) {
        Shared s = shared.get(c.id());
        if (--s.users == 0) {
          shared.remove(c.id());
          done.add(s.decoded);
        }
      }
    }
    try {
      closeAll(done);
    } finally {
      if (all) {
        closeReader();
      }
    }
    return all;
  }

  /** Closes whatever is still decoded (windows that never ran or were not released): call once no window runs. */
  @Override
  public void close() {
    List<ChunkData> left = new ArrayList<>();
    synchronized (shared) {
      shared.values().forEach(s -> left.add(s.decoded));
      shared.clear();
    }
    try {
      closeAll(left);
    } finally {
      closeReader();
    }
  }

  /**
   * Closes the recording once (what it fetched ahead and nobody read is dropped), and hands what
   * the sweep learnt to the cache's store: one batch per partition, written off this thread.
   */
  private void closeReader() {
    synchronized (shared) {
      if (closed) {
        return;
      }
      closed = true;
    }
    try {
      reader.close();
    } finally {
      timesCache.learnt(partition, Map.copyOf(learnt), rowCount());
    }
  }

  private static void closeAll(List<ChunkData> chunks) {
    RuntimeException failure = null;
    for (ChunkData d : chunks) {
      if (d == null) {
        continue;
      }
      try {
        d.close();
      } catch (RuntimeException e) {
        failure = failure == null ? e : failure;
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
