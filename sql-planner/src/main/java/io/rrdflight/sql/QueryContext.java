package io.rrdflight.sql;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The limits of one query execution, seen by the code that does its work: a cancel flag, a
 * deadline, and a memory budget that covers both the Arrow memory of the execution's allocator
 * (whose limit is the budget) and an estimate of the rows the row engine holds on the heap (sorts,
 * join build sides, windows, recursive queries).
 *
 * <p>The executing thread binds the context ({@link #bind}) for the whole execution; scans and the
 * row engine's operators call {@link #check()} as they produce rows, so a cancelled or late query
 * stops inside a batch, not only between batches. Calls are cheap: a volatile read, and a clock
 * read every {@value #CLOCK_EVERY} checks.
 *
 * <p>Scans that run on several threads ({@code engine.ViewBatches}) give their workers a
 * {@link #child()}: it sees its parent's cancellation and deadline, and can be stopped on its own
 * when the scan closes early, without failing the query.
 */
public final class QueryContext {
  private static final int CLOCK_EVERY = 256;
  private static final ThreadLocal<QueryContext> CURRENT = new ThreadLocal<>();
  /** Threads a scan uses when nobody said otherwise: one per core. */
  public static final int DEFAULT_WORKERS = Runtime.getRuntime().availableProcessors();
  private static final QueryContext UNLIMITED = new QueryContext(null, Long.MAX_VALUE, Long.MAX_VALUE, DEFAULT_WORKERS, null);

  private final BufferAllocator allocator;
  private final long deadlineNanos;
  private final long memoryBudget;
  private final int workers;
  private final QueryContext parent;
  private volatile QueryAbortedException abort;
  private long checks;
  private long retainedHeapBytes;

  private QueryContext(BufferAllocator allocator, long deadlineNanos, long memoryBudget, int workers, QueryContext parent) {
    this.allocator = allocator;
    this.deadlineNanos = deadlineNanos;
    this.memoryBudget = memoryBudget;
    this.workers = workers;
    this.parent = parent;
  }

  /**
   * A context for one execution starting now.
   *
   * @param allocator the execution's own allocator; its limit should be {@code memoryBudget}
   * @param timeout how long the execution may run
   */
  public static QueryContext start(BufferAllocator allocator, Duration timeout, long memoryBudget) {
    return start(allocator, timeout, memoryBudget, DEFAULT_WORKERS);
  }

  /** As {@link #start(BufferAllocator, Duration, long)}, with the threads one scan may use (--query-workers). */
  public static QueryContext start(BufferAllocator allocator, Duration timeout, long memoryBudget, int workers) {
    requireNonNull(allocator, "allocator is null");
    if (workers <= 0) {
      throw new IllegalArgumentException("workers must be positive: " + workers);
    }
    long now = System.nanoTime();
    long nanos = timeout.toNanos();
    long deadline = nanos >= Long.MAX_VALUE - now ? Long.MAX_VALUE : now + nanos;
    return new QueryContext(allocator, deadline, memoryBudget, workers, null);
  }

  /**
   * A context for the worker threads of one part of this execution: same allocator, deadline and
   * budget; its checks also fail when this context is cancelled or late, and cancelling it
   * stops only its workers.
   */
  public QueryContext child() {
    return new QueryContext(allocator, deadlineNanos, memoryBudget, workers, this);
  }

  /**
   * A context for one part of this execution that runs beside others on its own thread (a slice
   * of a split query): its own {@code allocator} (a child of this one's, so the parts share this
   * budget's limit) and {@code memoryBudget} (its share, which sizes its scan's workers); it sees
   * this context's cancellation and deadline, and cancelling it stops only this part.
   */
  public QueryContext part(BufferAllocator allocator, long memoryBudget) {
    requireNonNull(allocator, "allocator is null");
    return new QueryContext(allocator, deadlineNanos, memoryBudget, workers, this);
  }

  /** Threads one scan of this execution may use. */
  public int workers() {
    return workers;
  }

  /** The memory the execution may hold ({@link Long#MAX_VALUE} when unlimited). */
  public long memoryBudget() {
    return memoryBudget;
  }

  /** The context bound to this thread, or one without limits when none is. */
  public static QueryContext current() {
    QueryContext c = CURRENT.get();
    return c == null ? UNLIMITED : c;
  }

  /** Binds this context to the calling thread until the returned handle is closed. */
  public Binding bind() {
    QueryContext previous = CURRENT.get();
    CURRENT.set(this);
    return () -> {
      if (previous == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(previous);
      }
    };
  }

  /** Unbinds on close; never throws. */
  @FunctionalInterface
  public interface Binding extends AutoCloseable {
    @Override
    void close();
  }

  /** The execution's allocator, or {@code fallback} outside an execution. */
  public BufferAllocator allocatorOr(BufferAllocator fallback) {
    return allocator != null ? allocator : fallback;
  }

  /** Stops the query at its next check; safe from any thread. Only the first reason counts. */
  public void cancel(String why) {
    if (this != UNLIMITED && abort == null) { // UNLIMITED is shared by every thread without a query
      abort = new QueryAbortedException(QueryAbortedException.Reason.CANCELLED, why);
    }
  }

  /** Whether the query was cancelled (not stopped by its deadline or budget). */
  public boolean isCancelled() {
    QueryAbortedException a = abort;
    return a != null && a.reason() == QueryAbortedException.Reason.CANCELLED;
  }

  /** Throws when the query was cancelled or is past its deadline. Called by the executing thread. */
  public void check() {
    QueryAbortedException a = abort;
    if (a != null) {
      throw a;
    }
    if (parent != null) {
      parent.check();
    }
    if (deadlineNanos != Long.MAX_VALUE && (++checks % CLOCK_EVERY == 0) && System.nanoTime() > deadlineNanos) {
      deadlinePassed();
    }
  }

  /** As {@link #check()}, reading the clock every time: for callers that check rarely (once a batch, once a second). */
  public void checkNow() {
    check();
    if (isPastDeadline()) {
      deadlinePassed();
    }
  }

  /** Whether the query's deadline has passed (without stopping it: for waits after the work is done). */
  public boolean isPastDeadline() {
    return deadlineNanos != Long.MAX_VALUE && System.nanoTime() > deadlineNanos;
  }

  private void deadlinePassed() {
    abort = new QueryAbortedException(QueryAbortedException.Reason.DEADLINE_EXCEEDED,
        "Query exceeded its time limit (--query-timeout) and was stopped");
    throw abort;
  }

  /**
   * Counts {@code bytes} of rows the row engine keeps until the query ends; fails the query when
   * they and the execution's Arrow memory together pass the budget.
   */
  public void retainHeap(long bytes) {
    if (memoryBudget == Long.MAX_VALUE) {
      return;
    }
    retainedHeapBytes += bytes;
    long arrow = allocator == null ? 0 : allocator.getAllocatedMemory();
    if (retainedHeapBytes + arrow > memoryBudget) {
      abort = new QueryAbortedException(QueryAbortedException.Reason.MEMORY_EXHAUSTED, String.format(
          "Query exceeded its memory budget of %d MiB (--query-memory): its sorts, joins or windows hold about %d MiB of rows",
          memoryBudget >> 20, retainedHeapBytes >> 20));
      throw abort;
    }
  }
}
