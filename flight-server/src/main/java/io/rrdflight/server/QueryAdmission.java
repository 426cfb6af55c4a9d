package io.rrdflight.server;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;
import io.rrdflight.sql.QueryContext;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.arrow.memory.BufferAllocator;

/**
 * How much work runs at once, on both front doors: SQL queries (Flight SQL) and the data streams of
 * Rerun's catalog service (QueryDataset, FindChunks, FetchChunks) take their slots from the one
 * instance the server builds. Up to {@code running} run; the next {@code queued} wait for a slot (at
 * most {@code wait}), and any beyond fail at once with RESOURCE_EXHAUSTED. Keeps a burst of clients
 * from starving each other of cores and memory: every admitted query has its full budget.
 *
 * <p>{@link #admit} gives an admitted query its own allocator (limited to the memory budget) and
 * {@link QueryContext} (the deadline, cancellation), so both doors stop at the same limits.
 */
public final class QueryAdmission {
  /** How often a queued query looks whether its client is still there. */
  private static final long QUEUE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

  private final ServerLimits limits;
  private final int running;
  private final int queued;
  private final Duration wait;
  private final Semaphore slots;
  private final AtomicInteger waiting = new AtomicInteger();

  /** The admission {@code limits} ask for: --max-queries, --max-queued-queries, {@link ServerLimits#QUEUE_WAIT}. */
  public QueryAdmission(ServerLimits limits) {
    this(limits, ServerLimits.QUEUE_WAIT);
  }

  QueryAdmission(ServerLimits limits, Duration wait) {
    this.limits = requireNonNull(limits, "limits is null");
    this.running = limits.maxQueries();
    this.queued = limits.maxQueuedQueries();
    this.wait = requireNonNull(wait, "wait is null");
    this.slots = new Semaphore(running, true);
  }

  /**
   * Takes a slot, then opens the query's allocator (a child of {@code parent}) and context; close the
   * result to give all three back. Throws RESOURCE_EXHAUSTED when there is no slot and no room to
   * wait, and CANCELLED when {@code abandoned} says the client left while the query waited.
   */
  public AdmittedQuery admit(BufferAllocator parent, BooleanSupplier abandoned) {
    requireNonNull(parent, "parent is null");
    enter(abandoned);
    BufferAllocator allocator;
    try {
      allocator = parent.newChildAllocator("query", 0, limits.queryMemoryBytes());
    } catch (RuntimeException e) {
      leave();
      throw e;
    }
    QueryContext context = QueryContext.start(allocator, limits.queryTimeout(), limits.queryMemoryBytes(), limits.queryWorkers());
    return new AdmittedQuery(allocator, context, this::leave);
  }

  /** Takes a slot, waiting in the queue if there is room; throws RESOURCE_EXHAUSTED otherwise. Release with {@link #leave()}. */
  void enter(BooleanSupplier abandoned) {
    requireNonNull(abandoned, "abandoned is null");
    if (slots.tryAcquire()) {
      return;
    }
    if (waiting.incrementAndGet() > queued) {
      waiting.decrementAndGet();
      throw busy("and " + queued + " are waiting");
    }
    try {
      long deadline = System.nanoTime() + wait.toNanos();
      // In slices: a client that left gives its place in the queue up at once.
      while (!slots.tryAcquire(Math.min(QUEUE_POLL_NANOS, Math.max(0, deadline - System.nanoTime())), TimeUnit.NANOSECONDS)) {
        if (abandoned.getAsBoolean()) {
          throw cancelled();
        }
        if (System.nanoTime() - deadline >= 0) {
          throw busy("and none finished within " + wait.toSeconds() + " s");
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw cancelled();
    } finally {
      waiting.decrementAndGet();
    }
  }

  void leave() {
    slots.release();
  }

  private static RuntimeException cancelled() {
    return Status.CANCELLED.withDescription("Query cancelled while waiting for a slot").asRuntimeException();
  }

  private RuntimeException busy(String detail) {
    return Status.RESOURCE_EXHAUSTED.withDescription("The server is busy: " + running + " queries or data streams are running"
        + " (--max-queries) " + detail + "; try again later").asRuntimeException();
  }
}
