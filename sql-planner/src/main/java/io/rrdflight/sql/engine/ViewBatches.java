package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.Partition;
import io.rrdflight.sql.QueryAbortedException;
import io.rrdflight.sql.QueryContext;
import io.rrdflight.sql.ResultBatches;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Streams a {@link QueryView} as Arrow batches, in the view's order (partition, then index), with
 * the work spread over worker threads. The work is cut into units of one index window of one
 * partition ({@link PartitionSweep}); workers take the next unit in order, compute its rows
 * ({@link PartitionView}) and copy them into finished batches ({@link BatchWriter}); the reader
 * ({@link #next}) takes the batches of the oldest unit first, so the order is the same whatever
 * the number of workers.
 *
 * <p>Bounded: at most {@code workers} windows are decoded at once, each unit holds at most
 * {@link #BATCHES_AHEAD} finished batches before its worker waits for the reader, and at most
 * {@code workers + 1} units are handed out and not yet read. The number of workers is the query's
 * ({@link QueryContext#workers()}, {@code --query-workers}), lowered so that their windows and
 * batches fit half the query's memory budget. Every buffer comes from the query's allocator, so
 * the budget covers all workers together.
 *
 * <p>With one worker the reader computes the units itself, one batch per {@link #next}, without
 * threads: what a small budget or {@code --query-workers 1} gets.
 *
 * <p>Workers check the query's context between columns, so cancellation and the deadline stop
 * them inside a window; closing the batches early (a client that hung up, a LIMIT reached) stops
 * them the same way, waits for them, and releases everything they held.
 */
public final class ViewBatches implements ResultBatches {
  /** Rows of the first batch, before any row's size is known. */
  static final int FIRST_BATCH_ROWS = 1024;
  /** Finished batches one unit may hold before its worker waits for the reader. */
  static final int BATCHES_AHEAD = 2;
  /** How often a waiting reader looks at the query's cancel flag and deadline. */
  private static final long WAIT_MILLIS = 100;
  private static final AtomicInteger THREADS = new AtomicInteger();
  /**
   * Worker threads, shared by all scans; a worker waits for its reader, so threads are not a fixed
   * pool: their number is bounded by --max-queries × --query-workers.
   */
  private static final ExecutorService WORKERS = Executors.newCachedThreadPool(task -> {
    Thread t = new Thread(task, "rrdflight-scan-" + THREADS.incrementAndGet());
    t.setDaemon(true);
    return t;
  });

  private final ViewSchema schema;
  private final RerunData data;
  private final BufferAllocator allocator;
  private final int batchRows;
  private final long windowBytes;
  private final long limit;
  private final BatchWriter writer;
  private final boolean[] cellColumns;
  private final boolean[] indexColumns;
  private final ChunkTimesCache timesCache;
  private final VectorSchemaRoot root;
  private final QueryContext context;
  /** What the workers check: the query's context, and cancelled on its own when the scan closes early. */
  private final QueryContext workerContext;
  private final int workers;
  /** Rows the next batch takes: adapted to the bytes per row seen so far (see TARGET_BATCH_BYTES). */
  private final AtomicInteger rowsPerBatch;
  private long remaining;

  // Guarded by `lock`: the units handed out, the partitions still to plan, the workers' state.
  private final Object lock = new Object();
  private final Iterator<Partition> partitions;
  private final Deque<Unit> pending = new ArrayDeque<>();
  private final List<PartitionSweep> sweeps = new ArrayList<>();
  private PartitionSweep planning;
  private int nextWindow;
  private boolean started;
  private int running;
  /** With one worker: the unit the reader computes itself, its rows and how far they are read. */
  private Unit inline;
  private PartitionView inlineView;
  private long inlineRows;
  private int inlineOffset;
  private boolean stopping;
  private Throwable failure;

  /** One index window of one partition, and the batches its worker finished and the reader has not taken. */
  private static final class Unit {
    final PartitionSweep sweep;
    final int window;
    final Deque<VectorSchemaRoot> batches = new ArrayDeque<>();
    boolean done;

    Unit(PartitionSweep sweep, int window) {
      this.sweep = sweep;
      this.window = window;
    }
  }

  /** Thrown inside a worker that finds the scan stopping: not a failure. */
  private static final class Stopped extends RuntimeException {
    Stopped() {
      super(null, null, false, false);
    }
  }

  /**
   * With the workers of the query bound to this thread ({@link QueryContext#workers()}).
   *
   * @param projection for each output column, the index of the view column it shows (0 =
   *     partition id, then indexes, then components)
   * @param outputSchema the output fields, one per projected column (names may differ from the view's)
   * @param limit the most rows to return, or -1 for all
   * @param windowBytes the memory budget of one index window's decoded chunks ({@link IndexWindows})
   * @param timesCache the chunks' times learnt by earlier scans, and where this one keeps what it learns
   */
  public ViewBatches(ViewSchema schema, List<Partition> partitions, RerunData data, BufferAllocator allocator, int batchRows,
      int[] projection, Schema outputSchema, long limit, long windowBytes, ChunkTimesCache timesCache) {
    this(schema, partitions, data, allocator, batchRows, projection, outputSchema, limit, windowBytes, QueryContext.current().workers(),
        timesCache);
  }

  /** @param workers the most threads computing windows at once */
  public ViewBatches(ViewSchema schema, List<Partition> partitions, RerunData data, BufferAllocator allocator, int batchRows,
      int[] projection, Schema outputSchema, long limit, long windowBytes, int workers, ChunkTimesCache timesCache) {
    if (batchRows <= 0) {
      throw new IllegalArgumentException("batchRows must be positive: " + batchRows);
    }
    if (windowBytes <= 0) {
      throw new IllegalArgumentException("windowBytes must be positive: " + windowBytes);
    }
    if (workers <= 0) {
      throw new IllegalArgumentException("workers must be positive: " + workers);
    }
    this.schema = requireNonNull(schema, "schema is null");
    this.partitions = List.copyOf(partitions).iterator();
    this.data = requireNonNull(data, "data is null");
    this.allocator = requireNonNull(allocator, "allocator is null");
    this.batchRows = batchRows;
    this.windowBytes = windowBytes;
    this.limit = limit < 0 ? Long.MAX_VALUE : limit;
    this.remaining = this.limit;
    this.writer = new BatchWriter(schema, projection, outputSchema, allocator);
    this.cellColumns = cellColumns(schema, projection);
    this.indexColumns = indexColumns(schema, projection);
    this.timesCache = requireNonNull(timesCache, "timesCache is null");
    this.context = QueryContext.current();
    this.workerContext = context.child();
    this.workers = workersWithin(workers, context.memoryBudget(), windowBytes);
    this.rowsPerBatch = new AtomicInteger(Math.min(batchRows, FIRST_BATCH_ROWS));
    this.root = VectorSchemaRoot.create(outputSchema, allocator);
  }

  /**
   * Which component columns need their cells: the projected ones, or all of them when an index
   * column other than the view's is projected (its value is the largest among all the row's cells).
   * The others only count for the row set (COUNT(*) projects no column at all).
   */
  static boolean[] cellColumns(ViewSchema schema, int[] projection) {
    int indexCount = schema.indexes().size();
    int viewIndex = schema.index().map(t -> schema.indexes().indexOf(t)).orElse(-1);
    boolean[] cells = new boolean[schema.components().size()];
    for (int column : projection) {
      if (column > indexCount) {
        cells[column - 1 - indexCount] = true;
      } else if (column > 0 && column - 1 != viewIndex) {
        java.util.Arrays.fill(cells, true);
        break;
      }
    }
    return cells;
  }

  /**
   * Which index columns are projected: the others are not computed (an index other than the view's
   * is the largest value among the row's cells, a lookup per cell and row).
   */
  static boolean[] indexColumns(ViewSchema schema, int[] projection) {
    boolean[] indexes = new boolean[schema.indexes().size()];
    for (int column : projection) {
      if (column > 0 && column <= indexes.length) {
        indexes[column - 1] = true;
      }
    }
    return indexes;
  }

  /** Workers whose windows and finished batches fit half the memory budget (the other half: estimates' error). */
  static int workersWithin(int workers, long memoryBudget, long windowBytes) {
    if (memoryBudget == Long.MAX_VALUE) {
      return workers;
    }
    long perWorker = windowBytes + (BATCHES_AHEAD + 1) * TARGET_BATCH_BYTES;
    return (int) Math.max(1, Math.min(workers, memoryBudget / 2 / perWorker));
  }

  /** The workers this scan runs (after the memory budget had its say). */
  int workers() {
    return workers;
  }

  @Override
  public VectorSchemaRoot root() {
    return root;
  }

  @Override
  public boolean next() {
    context.checkNow();
    if (remaining <= 0) {
      stop();
      root.setRowCount(0);
      return false;
    }
    VectorSchemaRoot batch = take();
    if (batch == null) {
      root.setRowCount(0);
      return false;
    }
    try {
      int count = batch.getRowCount();
      for (int j = 0; j < root.getFieldVectors().size(); j++) {
        batch.getVector(j).makeTransferPair(root.getVector(j)).transfer();
      }
      int kept = (int) Math.min(count, remaining);
      root.setRowCount(kept);
      remaining -= kept;
    } finally {
      batch.close();
    }
    if (remaining <= 0) {
      stop(); // LIMIT reached: workers need not compute anything more
    }
    return true;
  }

  /** The oldest unit's next batch, waiting for the workers; null when every unit is read. */
  private VectorSchemaRoot take() {
    if (workers == 1) {
      return takeInline();
    }
    synchronized (lock) {
      startWorkers();
      while (true) {
        if (failure != null) {
          throw rethrown(failure);
        }
        Unit head = pending.peekFirst();
        if (head != null && !head.batches.isEmpty()) {
          lock.notifyAll(); // its worker may be waiting for room
          return head.batches.pollFirst();
        }
        if (head != null && head.done) {
          pending.pollFirst();
          lock.notifyAll(); // room for another unit
          continue;
        }
        if (head == null && running == 0) {
          return null;
        }
        context.checkNow(); // a cancelled or late query stops the reader while it waits
        try {
          lock.wait(WAIT_MILLIS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new QueryAbortedException(QueryAbortedException.Reason.CANCELLED, "Query interrupted while waiting for its scan");
        }
      }
    }
  }

  private static RuntimeException rethrown(Throwable t) {
    if (t instanceof RuntimeException e) {
      return e;
    }
    if (t instanceof Error e) {
      throw e;
    }
    return new IllegalStateException(t.getMessage(), t);
  }

  /**
   * One worker: the reader computes each unit itself, a batch per call, as a handoff to a thread
   * per batch would only add latency. This is also what the row engine gets under a small budget,
   * where a nested-loop join opens the scan once per outer row.
   */
  private VectorSchemaRoot takeInline() {
    while (true) {
      if (inlineView != null && inlineOffset < inlineRows) {
        int count = (int) Math.min(rowsPerBatch.get(), inlineRows - inlineOffset);
        VectorSchemaRoot batch = writer.write(inlineView, inlineOffset, count);
        adaptRowsPerBatch(batch, count);
        inlineOffset += count;
        return batch;
      }
      releaseInline();
      synchronized (lock) {
        inline = plan();
      }
      if (inline == null) {
        return null;
      }
      inlineView = inline.sweep.open(inline.window);
      inlineRows = Math.min(inlineView.rowCount(), limit);
      inlineOffset = 0;
    }
  }

  private void releaseInline() {
    Unit done = inline;
    inline = null;
    inlineView = null;
    if (done != null && done.sweep.release(done.window)) {
      synchronized (lock) {
        sweeps.remove(done.sweep);
      }
    }
  }

  private void startWorkers() {
    if (started) {
      return;
    }
    started = true;
    for (int i = 0; i < workers; i++) {
      running++;
      try {
        WORKERS.execute(this::work);
      } catch (RuntimeException e) {
        running--;
        throw e;
      }
    }
  }

  // --- workers --------------------------------------------------------------------------------

  private void work() {
    try (QueryContext.Binding bound = workerContext.bind()) {
      Unit unit;
      while ((unit = nextUnit()) != null) {
        run(unit);
      }
    } catch (Stopped stopped) {
      // the scan is closing or has all the rows it needs
    } catch (RuntimeException | Error e) {
      synchronized (lock) {
        if (!stopping && failure == null) {
          failure = e;
        }
      }
    } finally {
      synchronized (lock) {
        running--;
        lock.notifyAll();
      }
    }
  }

  /** The next unit in order, once fewer than workers + 1 are handed out and unread; null when none is left. */
  private Unit nextUnit() {
    synchronized (lock) {
      while (!stopping && failure == null && pending.size() > workers) {
        waitForReader();
      }
      if (stopping || failure != null) {
        return null;
      }
      Unit unit = plan();
      if (unit != null) {
        pending.addLast(unit);
      }
      return unit;
    }
  }

  /** The next window in the view's order, planning the next partition when needed; null after the last. Holds `lock`. */
  private Unit plan() {
    while (planning == null || nextWindow == planning.windowCount()) {
      if (!partitions.hasNext()) {
        return null;
      }
      planning = new PartitionSweep(schema, partitions.next(), data, allocator, windowBytes, cellColumns, indexColumns, timesCache);
      sweeps.add(planning);
      nextWindow = 0;
    }
    return new Unit(planning, nextWindow++);
  }

  private void run(Unit unit) {
    try {
      PartitionView view = unit.sweep.open(unit.window);
      long rows = Math.min(view.rowCount(), limit); // no window contributes more than the limit
      int offset = 0;
      while (offset < rows) {
        int count = (int) Math.min(rowsPerBatch.get(), rows - offset);
        VectorSchemaRoot batch = writer.write(view, offset, count);
        adaptRowsPerBatch(batch, count);
        hand(unit, batch);
        offset += count;
      }
    } finally {
      boolean partitionDone = false;
      try {
        partitionDone = unit.sweep.release(unit.window);
      } finally {
        synchronized (lock) {
          unit.done = true;
          if (partitionDone) {
            sweeps.remove(unit.sweep);
          }
          lock.notifyAll();
        }
      }
    }
  }

  /** Gives a finished batch to the reader, waiting while the unit holds BATCHES_AHEAD of them. */
  private void hand(Unit unit, VectorSchemaRoot batch) {
    synchronized (lock) {
      try {
        while (!stopping && failure == null && unit.batches.size() >= BATCHES_AHEAD) {
          waitForReader();
        }
      } catch (RuntimeException | Error e) {
        batch.close();
        throw e;
      }
      if (stopping || failure != null) {
        batch.close();
        throw new Stopped();
      }
      unit.batches.addLast(batch);
      lock.notifyAll();
    }
  }

  private void waitForReader() {
    try {
      lock.wait(WAIT_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Stopped();
    }
    workerContext.check(); // checked on the worker's own context: its deadline and the query's cancel flag
  }

  /** Sizes the next batch from this one's bytes per row, so batches stay near TARGET_BATCH_BYTES. */
  private void adaptRowsPerBatch(VectorSchemaRoot batch, int count) {
    long bytes = 0;
    for (FieldVector v : batch.getFieldVectors()) {
      bytes += v.getBufferSize();
    }
    long bytesPerRow = Math.max(1, bytes / Math.max(1, count));
    rowsPerBatch.set((int) Math.max(1, Math.min(batchRows, TARGET_BATCH_BYTES / bytesPerRow)));
  }

  // --- stopping ---------------------------------------------------------------------------------

  /** Stops the workers, waits until none runs, and releases what they left: unread batches, decoded chunks. */
  private void stop() {
    List<AutoCloseable> left = new ArrayList<>();
    if (inline != null) {
      Unit done = inline;
      inline = null;
      inlineView = null;
      done.sweep.release(done.window); // its sweep is closed below either way
    }
    synchronized (lock) {
      stopping = true;
      lock.notifyAll();
      workerContext.cancel("scan closed");
      boolean interrupted = false;
      while (running > 0) {
        try {
          lock.wait(WAIT_MILLIS);
        } catch (InterruptedException e) {
          interrupted = true; // keep waiting: the workers' buffers must be released before the allocator closes
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      for (Unit u : pending) {
        left.addAll(u.batches);
        u.batches.clear();
      }
      pending.clear();
      left.addAll(sweeps);
      sweeps.clear();
    }
    RuntimeException failed = null;
    for (AutoCloseable c : left) {
      try {
        c.close();
      } catch (Exception e) {
        failed = failed == null ? new IllegalStateException("releasing a scan's buffers failed: " + e.getMessage(), e) : failed;
      }
    }
    if (failed != null) {
      throw failed;
    }
  }

  @Override
  public void close() {
    try {
      stop();
    } finally {
      root.close();
    }
  }
}
