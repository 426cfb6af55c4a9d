package io.rrdflight.server;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;
import io.rrdflight.sql.QueryContext;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
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
 * (--max-connections, --max-calls-per-connection); through {@link #admitWhenFree} they wait as
 * entries of a queue, not as parked threads, so thousands of them cost no threads.
 *
 * <p>{@link #admit} gives an admitted query its own allocator (limited to the memory budget) and
 * {@link QueryContext} (the deadline, cancellation), so both doors stop at the same limits.
 */
public final class QueryAdmission {
  /** How often a queued query looks whether its client is still there. */
  private static final long QUEUE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
  /**
   * One daemon thread for the whole process: it drops the {@link #admitWhenFree} waiters whose client
   * left or whose time ran out, so that no waiting call needs a thread of its own.
   */
  private static final ScheduledExecutorService SWEEPER = sweeper();

  private final ServerLimits limits;
  private final int running;
  private final int queued;
  private final Duration wait;
  /** A gate: the wait is part of the call's --query-timeout, and running out of it is DEADLINE_EXCEEDED. */
  private final boolean waitIsDeadline;
  private final Semaphore slots;
  private final AtomicInteger waiting = new AtomicInteger();
  /** The calls of {@link #admitWhenFree} waiting for a slot, oldest first; guarded by itself. */
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
  /** Whether a sweep of {@link #waiters} is scheduled; guarded by {@link #waiters}. */
  private boolean sweeping;

  /** A call that waits for a slot as a queue entry: what to run once it has one, and how to refuse it. */
  private record Waiter(long arrived, BufferAllocator parent, BooleanSupplier abandoned, Executor executor,
      Consumer<AdmittedQuery> work, Consumer<RuntimeException> refused) {}

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

  /** Whether a query holds a slot now (one waits only when none is free): background work gives way to them. */
  public boolean queriesRunning() {
    return slots.availablePermits() < running;
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
    return open(parent, arrived);
  }

  /**
   * As {@link #admit}, without a thread waiting: runs {@code work} on {@code executor} with the
   * admitted query (which it must close) as soon as a slot is free, now or when one is given back.
   * Until then the call is an entry of a queue (bounded like {@link #admit}'s); {@code refused} gets
   * RESOURCE_EXHAUSTED when the queue is full, CANCELLED when {@code abandoned} says its client left,
   * and the wait's end (DEADLINE_EXCEEDED for a gate) when no slot freed in time. {@code refused}
   * may run on the thread that gave a slot back or on the sweeper: it must not block.
   */
  public void admitWhenFree(BufferAllocator parent, BooleanSupplier abandoned, Executor executor, Consumer<AdmittedQuery> work,
      Consumer<RuntimeException> refused) {
    Waiter waiter = new Waiter(System.nanoTime(), requireNonNull(parent, "parent is null"), requireNonNull(abandoned, "abandoned is null"),
        requireNonNull(executor, "executor is null"), requireNonNull(work, "work is null"), requireNonNull(refused, "refused is null"));
    boolean admitted;
    boolean full = false;
    synchronized (waiters) {
      // Behind those already waiting, never ahead of them.
      admitted = waiters.isEmpty() && slots.tryAcquire();
      if (!admitted && waiters.size() >= queued) {
        full = true;
      } else if (!admitted) {
        waiters.add(waiter);
        if (!sweeping) {
          sweeping = true;
          SWEEPER.schedule(this::sweep, QUEUE_POLL_NANOS, TimeUnit.NANOSECONDS);
        }
      }
    }
    if (full) {
      refused.accept(busy("and " + queued + " are waiting"));
    } else if (admitted) {
      start(waiter);
    }
  }

  /** Runs a waiter that holds a slot: its allocator and context are opened on the executor's thread. */
  private void start(Waiter waiter) {
    try {
      waiter.executor().execute(() -> {
        AdmittedQuery query;
        try {
          query = open(waiter.parent(), waiter.arrived()); // gives the slot back if it fails
        } catch (RuntimeException e) {
          waiter.refused().accept(e);
          return;
        }
        waiter.work().accept(query);
      });
    } catch (RejectedExecutionException e) {
      // The server is shutting down.
      leave();
      waiter.refused().accept(Status.UNAVAILABLE.withDescription("The server is shutting down").asRuntimeException());
    }
  }

  /** Refuses the waiters whose client left or whose time is up; runs again while any wait. */
  private void sweep() {
    List<Runnable> refusals = new ArrayList<>();
    synchronized (waiters) {
      for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
        Waiter w = it.next();
        RuntimeException why = whyNotWaiting(w);
        if (why != null) {
          it.remove();
          refusals.add(() -> w.refused().accept(why));
        }
      }
      sweeping = !waiters.isEmpty();
      if (sweeping) {
        SWEEPER.schedule(this::sweep, QUEUE_POLL_NANOS, TimeUnit.NANOSECONDS);
      }
    }
    refusals.forEach(Runnable::run);
  }

  /** Why {@code w} must stop waiting (its client left, its time is up), or null while it may wait. */
  private RuntimeException whyNotWaiting(Waiter w) {
    if (w.abandoned().getAsBoolean()) {
      return cancelled();
    }
    if (System.nanoTime() - w.arrived() >= wait.toNanos()) {
      return waitIsDeadline ? late() : busy("and none finished within " + wait.toSeconds() + " s");
    }
    return null;
  }

  /** The allocator and context of a query that holds a slot; gives the slot back if they cannot be made. */
  private AdmittedQuery open(BufferAllocator parent, long arrived) {
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

  /** Gives a slot back: to the oldest {@link #admitWhenFree} waiter still waiting, if any, else to the semaphore. */
  void leave() {
    List<Runnable> refusals = new ArrayList<>();
    Waiter next = null;
    synchronized (waiters) {
      while (next == null && !waiters.isEmpty()) {
        Waiter w = waiters.poll();
        RuntimeException why = whyNotWaiting(w);
        if (why == null) {
          next = w;
        } else {
          refusals.add(() -> w.refused().accept(why));
        }
      }
      if (next == null) {
        slots.release();
      }
    }
    refusals.forEach(Runnable::run);
    if (next != null) {
      start(next);
    }
  }

  private static ScheduledExecutorService sweeper() {
    ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "rrdflight-admission-sweeper");
      t.setDaemon(true);
      return t;
    });
    timer.setRemoveOnCancelPolicy(true);
    return timer;
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
