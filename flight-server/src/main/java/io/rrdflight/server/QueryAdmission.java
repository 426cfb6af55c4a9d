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
 * How much work runs at once, on both front doors: SQL queries (Flight SQL) and the query streams of
 * Rerun's catalog service (QueryDataset, FindChunks) take their slots from the one instance the
 * server builds. Up to {@code running} run; the next {@code queued} wait for a slot (at most
 * {@code wait}), and any beyond fail at once with RESOURCE_EXHAUSTED: clients retry those. Keeps a
 * burst of clients from starving each other of cores and memory: every admitted query has its full
 * budget.
 *
 * <p>A {@link #streamGate} is the same mechanism for the parts of a client's query that the client
 * does not retry (FetchChunks: Rerun's reader opens up to 24 at once per scan and fails the scan on
 * RESOURCE_EXHAUSTED): any number wait, each until a slot frees, its client leaves, or its
 * --query-timeout passes (DEADLINE_EXCEEDED). The waiting calls are bounded by the transport
 * (--max-connections, --max-calls-per-connection).
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
  /** A gate: the wait is part of the call's --query-timeout, and running out of it is DEADLINE_EXCEEDED. */
  private final boolean waitIsDeadline;
  private final Semaphore slots;
  private final AtomicInteger waiting = new AtomicInteger();

  /** The admission {@code limits} ask for: --max-queries, --max-queued-queries, {@link ServerLimits#QUEUE_WAIT}. */
  public QueryAdmission(ServerLimits limits) {
    this(limits, ServerLimits.QUEUE_WAIT);
  }

  QueryAdmission(ServerLimits limits, Duration wait) {
    this(limits, limits.maxQueries(), limits.maxQueuedQueries(), wait, false);
  }

  private QueryAdmission(ServerLimits limits, int running, int queued, Duration wait, boolean waitIsDeadline) {
    this.limits = requireNonNull(limits, "limits is null");
    if (running <= 0) {
      throw new IllegalArgumentException("running must be positive: " + running);
    }
    this.running = running;
    this.queued = queued;
    this.wait = requireNonNull(wait, "wait is null");
    this.waitIsDeadline = waitIsDeadline;
    this.slots = new Semaphore(running, true);
  }

  /**
   * A gate of {@code streams} slots under the same deadline and memory budget, with no queue bound:
   * the others wait until a slot frees, their client leaves, or --query-timeout (counted from the
   * call's arrival, so waiting and streaming share it) passes, which is DEADLINE_EXCEEDED.
   */
  public QueryAdmission streamGate(int streams) {
    return new QueryAdmission(limits, streams, Integer.MAX_VALUE, limits.queryTimeout(), true);
  }

  /**
   * Takes a slot, then opens the query's allocator (a child of {@code parent}) and context; close the
   * result to give all three back. Throws RESOURCE_EXHAUSTED when there is no slot and no room to
   * wait, and CANCELLED when {@code abandoned} says the client left while the query waited.
   */
  public AdmittedQuery admit(BufferAllocator parent, BooleanSupplier abandoned) {
    requireNonNull(parent, "parent is null");
    long arrived = System.nanoTime();
    enter(abandoned);
    // A gate's wait is part of the call; a query's deadline starts when it runs.
    Duration timeout = waitIsDeadline ? limits.queryTimeout().minusNanos(System.nanoTime() - arrived) : limits.queryTimeout();
    BufferAllocator allocator;
    try {
      allocator = parent.newChildAllocator("query", 0, limits.queryMemoryBytes());
    } catch (RuntimeException e) {
      leave();
      throw e;
    }
    QueryContext context = QueryContext.start(allocator, timeout, limits.queryMemoryBytes(), limits.queryWorkers());
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
          throw waitIsDeadline ? late() : busy("and none finished within " + wait.toSeconds() + " s");
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

  private RuntimeException late() {
    return Status.DEADLINE_EXCEEDED.withDescription("Waited its time limit (--query-timeout, " + wait.toSeconds()
        + " s) for one of the " + running + " streams that may send at once, and was stopped").asRuntimeException();
  }

  private RuntimeException busy(String detail) {
    return Status.RESOURCE_EXHAUSTED.withDescription("The server is busy: " + running + " queries or data streams are running"
        + " (--max-queries) " + detail + "; try again later").asRuntimeException();
  }
}
