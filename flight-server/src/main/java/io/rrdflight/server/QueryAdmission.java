package io.rrdflight.server;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.rrdflight.sql.QueryContext;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How much work runs at once, on both front doors: SQL queries (Flight SQL) and the query streams of
 * Rerun's catalog service (QueryDataset, FindChunks) take their slots from the one instance the
 * server builds. Up to {@code running} run; the next {@code queued} wait for a slot (at most
 * {@code wait}), and any beyond fail at once with RESOURCE_EXHAUSTED: clients retry those. Keeps a
 * burst of clients from starving each other of cores and memory: every admitted query has its full
 * budget.
 *
 * <p>One count of free slots and one queue, oldest first, whichever way a caller waits: {@link #admit}
 * parks its thread until its entry is given a slot, {@link #admitWhenFree} holds no thread (its work
 * is started on an executor then), so thousands of waiting calls cost no threads. A slot given back
 * goes to the oldest entry still waiting, and a newcomer takes a free slot only when no one waits. One
 * process-wide sweeper thread ends, every 200 ms, the entries whose client left (CANCELLED) or whose
 * wait is over.
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
  private static final Logger log = LoggerFactory.getLogger(QueryAdmission.class);
  /** How often the waiting entries are looked at: whether their client is still there, whether their time is up. */
  private static final long QUEUE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
  /**
   * One daemon thread for the whole process: it drops the waiters whose client left or whose time
   * ran out, so that no waiting call needs a thread of its own to notice.
   */
  private static final ScheduledExecutorService SWEEPER = sweeper();

  private final ServerLimits limits;
  private final int running;
  private final int queued;
  private final Duration wait;
  /** A gate: the wait is part of the call's --query-timeout, and running out of it is DEADLINE_EXCEEDED. */
  private final boolean waitIsDeadline;
  /** Slots no one holds; guarded by {@link #waiters}. Never positive while anyone waits. */
  private int free;
  /** The calls waiting for a slot, oldest first; guarded by itself. */
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
  /** Whether a sweep of {@link #waiters} is scheduled; guarded by {@link #waiters}. */
  private boolean sweeping;
  /** The admission whose {@link #streamGate}s these are: this one, or the one that made this gate. */
  private final QueryAdmission root;
  /** The gates made of this admission (background work gives way to their streams too). */
  private final List<QueryAdmission> gates = new CopyOnWriteArrayList<>();
  /** When a slot of the root or of one of its gates was last given back (kept on the root). */
  private volatile long lastLeft = System.nanoTime() - TimeUnit.DAYS.toNanos(1);

  /**
   * A call waiting for a slot: {@code admitted} runs once it holds one and must take it over;
   * {@code refused} runs instead when it stops waiting. Neither may block. Compared by identity.
   */
  private static final class Waiter {
    final long arrived;
    final BooleanSupplier abandoned;
    final Runnable admitted;
    final Consumer<RuntimeException> refused;

    Waiter(long arrived, BooleanSupplier abandoned, Runnable admitted, Consumer<RuntimeException> refused) {
      this.arrived = arrived;
      this.abandoned = requireNonNull(abandoned, "abandoned is null");
      this.admitted = admitted;
      this.refused = refused;
    }
  }

  /** The admission {@code limits} ask for: --max-queries, --max-queued-queries, {@link ServerLimits#QUEUE_WAIT}. */
  public QueryAdmission(ServerLimits limits) {
    this(limits, ServerLimits.QUEUE_WAIT);
  }

  QueryAdmission(ServerLimits limits, Duration wait) {
    this(limits, limits.maxQueries(), limits.maxQueuedQueries(), wait, false);
  }

  private QueryAdmission(ServerLimits limits, int running, int queued, Duration wait, boolean waitIsDeadline) {
    this(null, limits, running, queued, wait, waitIsDeadline);
  }

  private QueryAdmission(QueryAdmission root, ServerLimits limits, int running, int queued, Duration wait, boolean waitIsDeadline) {
    this.root = root == null ? this : root;
    this.limits = requireNonNull(limits, "limits is null");
    if (running <= 0) {
      throw new IllegalArgumentException("running must be positive: " + running);
    }
    this.running = running;
    this.queued = queued;
    this.wait = requireNonNull(wait, "wait is null");
    this.waitIsDeadline = waitIsDeadline;
    this.free = running;
  }

  /**
   * A gate of {@code streams} slots under the same deadline and memory budget, with no queue bound:
   * the others wait until a slot frees, their client leaves, or --query-timeout (counted from the
   * call's arrival, so waiting and streaming share it) passes, which is DEADLINE_EXCEEDED.
   */
  public QueryAdmission streamGate(int streams) {
    QueryAdmission gate = new QueryAdmission(root, limits, streams, Integer.MAX_VALUE, limits.queryTimeout(), true);
    root.gates.add(gate);
    return gate;
  }

  /**
   * Whether a query or a stream of one of this admission's gates holds a slot now (one waits only
   * when none is free): background work gives way to them.
   */
  public boolean queriesRunning() {
    if (holdsSlots()) {
      return true;
    }
    for (QueryAdmission gate : gates) {
      if (gate.holdsSlots()) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether queries run now or one ended less than {@code quiet} ago: a client's calls come one
   * after another with short gaps (FindChunks, then FetchChunks), so background work that starts in
   * a gap is stopped by the next call, having cost both of them cores.
   */
  public boolean busyWithin(Duration quiet) {
    return queriesRunning() || System.nanoTime() - root.lastLeft < quiet.toNanos();
  }

  /** Counts work that holds no slot (a registration just committed) as activity for {@link #busyWithin}. */
  public void noteActivity() {
    root.lastLeft = System.nanoTime();
  }

  private boolean holdsSlots() {
    synchronized (waiters) {
      return free < running;
    }
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
   * Until then the call is an entry of the queue {@link #admit} waits in; {@code refused} gets
   * RESOURCE_EXHAUSTED when the queue is full, CANCELLED when {@code abandoned} says its client left,
   * and the wait's end (DEADLINE_EXCEEDED for a gate) when no slot freed in time. {@code refused}
   * may run on the thread that gave a slot back or on the sweeper: it must not block.
   */
  public void admitWhenFree(BufferAllocator parent, BooleanSupplier abandoned, Executor executor, Consumer<AdmittedQuery> work,
      Consumer<RuntimeException> refused) {
    requireNonNull(parent, "parent is null");
    requireNonNull(executor, "executor is null");
    requireNonNull(work, "work is null");
    requireNonNull(refused, "refused is null");
    long arrived = System.nanoTime();
    Runnable start = () -> start(parent, arrived, executor, work, refused);
    boolean admitted;
    try {
      admitted = takeOrQueue(new Waiter(arrived, abandoned, start, refused));
    } catch (StatusRuntimeException full) {
      refused.accept(full);
      return;
    }
    if (admitted) {
      start.run();
    }
  }

  /** Takes a slot and waits in the queue for one if there is room; throws RESOURCE_EXHAUSTED otherwise. Release with {@link #leave()}. */
  void enter(BooleanSupplier abandoned) {
    requireNonNull(abandoned, "abandoned is null");
    CompletableFuture<Void> turn = new CompletableFuture<>();
    Waiter waiter = new Waiter(System.nanoTime(), abandoned, () -> {
      if (!turn.complete(null)) {
        leave(); // its thread stopped waiting (interrupted) just before: the slot goes on
      }
    }, turn::completeExceptionally);
    if (takeOrQueue(waiter)) {
      return;
    }
    try {
      turn.get();
    } catch (ExecutionException e) {
      throw (RuntimeException) e.getCause(); // only refusals complete it exceptionally
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      withdraw(waiter);
      if (!turn.completeExceptionally(cancelled()) && !turn.isCompletedExceptionally()) {
        leave(); // the slot came at the same moment
      }
      throw cancelled();
    }
  }

  /**
   * Gives a slot back: to the oldest waiter that may still wait, else to the free count. Those
   * found unable to wait on the way are refused. A waiter's {@code abandoned} is asked outside the
   * lock (it is the caller's code); meanwhile the slot is in no one's hands, and a newcomer queues.
   */
  void leave() {
    root.lastLeft = System.nanoTime();
    while (true) {
      Waiter next;
      synchronized (waiters) {
        next = waiters.poll();
        if (next == null) {
          free++;
          return;
        }
      }
      RuntimeException why = whyNotWaiting(next);
      if (why == null) {
        next.admitted.run();
        return;
      }
      refuse(next, why);
    }
  }

  /** How many calls wait for a slot now. */
  int waiting() {
    synchronized (waiters) {
      return waiters.size();
    }
  }

  /**
   * Takes a free slot for {@code w} (true) when no one waits before it, else puts it at the end of
   * the queue (false); throws RESOURCE_EXHAUSTED when the queue is full.
   */
  private boolean takeOrQueue(Waiter w) {
    synchronized (waiters) {
      if (free > 0) {
        free--;
        return true;
      }
      if (waiters.size() >= queued) {
        throw busy("and " + queued + " are waiting");
      }
      waiters.add(w);
      if (!sweeping) {
        sweeping = true;
        SWEEPER.schedule(this::sweep, QUEUE_POLL_NANOS, TimeUnit.NANOSECONDS);
      }
      return false;
    }
  }

  /** Takes {@code w} out of the queue; false if it was no longer there (given a slot or refused). */
  private boolean withdraw(Waiter w) {
    synchronized (waiters) {
      return waiters.remove(w);
    }
  }

  /** Runs a waiter that holds a slot: its allocator and context are opened on the executor's thread. */
  private void start(BufferAllocator parent, long arrived, Executor executor, Consumer<AdmittedQuery> work,
      Consumer<RuntimeException> refused) {
    try {
      executor.execute(() -> {
        AdmittedQuery query;
        try {
          query = open(parent, arrived); // gives the slot back if it fails
        } catch (RuntimeException e) {
          refused.accept(e);
          return;
        }
        work.accept(query);
      });
    } catch (RejectedExecutionException e) {
      // The server is shutting down.
      leave();
      refused.accept(Status.UNAVAILABLE.withDescription("The server is shutting down").asRuntimeException());
    }
  }

  /** Refuses the waiters whose client left or whose time is up; runs again while any wait. */
  private void sweep() {
    List<Waiter> now;
    synchronized (waiters) {
      now = new ArrayList<>(waiters);
    }
    for (Waiter w : now) {
      RuntimeException why = whyNotWaiting(w);
      if (why != null && withdraw(w)) {
        refuse(w, why);
      }
    }
    synchronized (waiters) {
      sweeping = !waiters.isEmpty();
      if (sweeping) {
        SWEEPER.schedule(this::sweep, QUEUE_POLL_NANOS, TimeUnit.NANOSECONDS);
      }
    }
  }

  /** Tells a waiter taken out of the queue why; a refusal that fails does not stop the sweeper or the slot's hand-over. */
  private static void refuse(Waiter w, RuntimeException why) {
    try {
      w.refused.accept(why);
    } catch (RuntimeException e) {
      log.warn("telling a waiting call it stopped waiting failed", e);
    }
  }

  /** Why {@code w} must stop waiting (its client left, its time is up), or null while it may wait. */
  private RuntimeException whyNotWaiting(Waiter w) {
    boolean abandoned;
    try {
      abandoned = w.abandoned.getAsBoolean();
    } catch (RuntimeException e) {
      abandoned = true; // its call cannot say whether its client is there: it is no call to serve
    }
    if (abandoned) {
      return cancelled();
    }
    if (System.nanoTime() - w.arrived >= wait.toNanos()) {
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

  private StatusRuntimeException busy(String detail) {
    return Status.RESOURCE_EXHAUSTED.withDescription("The server is busy: " + running + " queries or data streams are running"
        + " (--max-queries) " + detail + "; try again later").asRuntimeException();
  }
}
