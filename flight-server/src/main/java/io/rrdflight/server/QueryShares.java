package io.rrdflight.server;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;
import io.rrdflight.sql.QueryContext;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The slices of one split query (the endpoints of its FlightInfo, which name the same query id) are
 * one query on this server: the first slice to arrive takes one {@link QueryAdmission} slot and
 * opens the query's allocator (its --query-memory budget) and deadline; later slices of the same id
 * join it, and the slot and budget are given back when the last slice present leaves. An id this
 * server does not know (another node's, or one whose slices all ended) starts a new share.
 *
 * <p>Within a query, at most {@code turns} slices (--query-workers) run at once; the others wait,
 * without a queue bound, until a turn frees, the query's deadline passes or their client leaves.
 * Clients such as ADBC open every endpoint at once and read them in ticket order, each through a
 * small buffer: a running slice that the client does not read yet stops on flow control, so the
 * slice the client reads must never be the one left waiting. Hence turns go to the lowest slice
 * index waiting, and a slice lower than every running one runs at once even without a free turn
 * (it arrived late, and the client may be waiting for it): the lowest slice present always runs.
 * Beyond {@code turns}, only such late arrivals run, within the one shared budget. They are not
 * rare: ADBC's goroutines reach the server in no set order (its last endpoint often first), and
 * each extra slice holds a window and a message in flight (with the launcher's 256 MB heap, three
 * or four at once ran the JVM out of direct memory). So a slice with a lower index not yet seen
 * here takes a free turn only once its query is {@link #GATHER} old, time for the client's other
 * calls to arrive; slices whose lower indexes all came (slice 0 first of all) start at once.
 */
public final class QueryShares {
  /** How often a waiting slice looks whether its client left, the query was cancelled or is late. */
  private static final long POLL_MILLIS = 200;
  /** How long a query's slices wait for lower ones still on their way before they start out of order. */
  static final java.time.Duration GATHER = java.time.Duration.ofMillis(200);

  private final QueryAdmission admission;
  private final ServerLimits limits;
  private final int turns;
  private final long gatherMillis;
  /** Guarded by {@code this}, as is every share's state; slices wait on {@code this}. */
  private final Map<UUID, Share> shares = new HashMap<>();
  private long arrivals;

  /** @param admission the server's one admission: a query's slices take one of its slots together */
  public QueryShares(QueryAdmission admission, ServerLimits limits) {
    this(admission, limits, GATHER);
  }

  QueryShares(QueryAdmission admission, ServerLimits limits, java.time.Duration gather) {
    this.gatherMillis = gather.toMillis();
    this.admission = requireNonNull(admission, "admission is null");
    this.limits = requireNonNull(limits, "limits is null");
    this.turns = limits.queryWorkers();
  }

  /**
   * Admits slice {@code index} of query {@code queryId}: it joins the query's share (taking the slot
   * if it is the first), then waits for its turn. Close the result when the slice ends. Throws
   * RESOURCE_EXHAUSTED when the query gets no slot, CANCELLED when {@code abandoned} says the
   * client left while the slice waited, and the query's own failure once it was cancelled or late.
   */
  public AdmittedQuery admit(UUID queryId, int index, BufferAllocator parent, BooleanSupplier abandoned) {
    requireNonNull(queryId, "queryId is null");
    requireNonNull(parent, "parent is null");
    requireNonNull(abandoned, "abandoned is null");
    Slice slice;
    Share share;
    boolean first;
    synchronized (this) {
      slice = new Slice(index, arrivals++, abandoned);
      Share known = shares.get(queryId);
      first = known == null;
      share = first ? new Share(queryId, gatherMillis) : known;
      shares.putIfAbsent(queryId, share);
      share.present.add(slice);
      share.seen.set(index);
    }
    try {
      if (first) {
        open(share, parent);
      }
      awaitTurn(share, slice);
      BufferAllocator allocator = share.allocator.newChildAllocator("slice-" + index, 0, limits.queryMemoryBytes());
      return new AdmittedQuery(allocator, share.context.part(allocator, limits.queryMemoryBytes() / turns), () -> leave(share, slice));
    } catch (RuntimeException | Error e) {
      leave(share, slice);
      throw e;
    }
  }

  /** The first slice takes the slot (waiting in the admission queue while any slice of the query is still wanted). */
  private void open(Share share, BufferAllocator parent) {
    RuntimeException failure = null;
    try {
      admission.enter(() -> share.allAbandoned(this));
      try {
        BufferAllocator allocator = parent.newChildAllocator("query", 0, limits.queryMemoryBytes());
        share.admitted(allocator, QueryContext.start(allocator, limits.queryTimeout(), limits.queryMemoryBytes(), limits.queryWorkers()));
      } catch (RuntimeException e) {
        admission.leave();
        throw e;
      }
    } catch (RuntimeException e) {
      failure = e;
      throw e;
    } finally {
      synchronized (this) {
        share.opened = true;
        share.failure = failure;
        notifyAll();
      }
    }
  }

  private synchronized void awaitTurn(Share share, Slice slice) {
    try {
      while (!share.opened || share.failure != null || !share.mayRun(slice, turns)) {
        if (share.failure != null) {
          throw share.failure;
        }
        if (share.opened) {
          share.context.checkNow(); // the query was cancelled or is late: so is every slice still waiting
        }
        if (slice.abandoned.getAsBoolean()) {
          throw Status.CANCELLED.withDescription("Query cancelled while its slice waited for its turn").asRuntimeException();
        }
        long gather = share.gatherLeftMillis();
        wait(gather > 0 ? Math.min(POLL_MILLIS, gather) : POLL_MILLIS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("Query cancelled while its slice waited for its turn").asRuntimeException();
    }
    share.running.add(slice);
    notifyAll(); // the next lowest waiting slice may now be lower than every running one no more, or still fit
  }

  private void leave(Share share, Slice slice) {
    boolean last;
    synchronized (this) {
      share.running.remove(slice);
      share.present.remove(slice);
      last = share.present.isEmpty();
      if (last) {
        shares.remove(share.id, share);
      }
      notifyAll();
    }
    if (last && share.allocator != null) {
      share.close(admission);
    }
  }

  /** Queries with slices on this server now (for tests). */
  synchronized int active() {
    return shares.size();
  }

  /** Slices of query {@code queryId} present here but not running: waiting for the slot or a turn (for tests). */
  synchronized int waiting(UUID queryId) {
    Share share = shares.get(queryId);
    return share == null ? 0 : share.present.size() - share.running.size();
  }

  /**
   * One slice: its index in the FlightInfo, and whether its client left. The same ticket may be
   * fetched twice at once, so an arrival number tells slices of one index apart.
   */
  private record Slice(int index, long arrival, BooleanSupplier abandoned) {}

  private static final Comparator<Slice> BY_INDEX = Comparator.comparingInt(Slice::index).thenComparingLong(Slice::arrival);

  /** One query's slot, allocator and deadline on this server, and the slices present. */
  private static final class Share {
    final UUID id;
    final TreeSet<Slice> present = new TreeSet<>(BY_INDEX);
    final TreeSet<Slice> running = new TreeSet<>(BY_INDEX);
    /** Indexes of the slices that came here; those below a slice that never came may still be on their way. */
    final java.util.BitSet seen = new java.util.BitSet();
    final long createdNanos = System.nanoTime();
    final long gatherMillis;
    boolean opened;
    RuntimeException failure;
    volatile BufferAllocator allocator;
    volatile QueryContext context;

    Share(UUID id, long gatherMillis) {
      this.id = id;
      this.gatherMillis = gatherMillis;
    }

    void admitted(BufferAllocator allocator, QueryContext context) {
      this.allocator = allocator;
      this.context = context;
    }

    /** The lowest waiting slice runs when a turn is free or when it is lower than every running slice. */
    boolean mayRun(Slice slice, int turns) {
      Slice lowestWaiting = present.stream().filter(s -> !running.contains(s)).findFirst().orElseThrow();
      if (lowestWaiting != slice) {
        return false;
      }
      if (!running.isEmpty() && BY_INDEX.compare(slice, running.first()) < 0) {
        return true;
      }
      return running.size() < turns && (seen.nextClearBit(0) >= slice.index() || gatherLeftMillis() <= 0);
    }

    long gatherLeftMillis() {
      return gatherMillis - java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - createdNanos);
    }

    boolean allAbandoned(Object lock) {
      synchronized (lock) {
        return present.stream().allMatch(s -> s.abandoned.getAsBoolean());
      }
    }

    void close(QueryAdmission admission) {
      new AdmittedQuery(allocator, context, admission::leave).close();
    }
  }
}
