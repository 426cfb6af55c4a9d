package io.rrdflight.server.flightsql;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.rrdflight.sql.PreparedQuery;
import io.rrdflight.sql.QueryContext;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Query executions by ticket: GetFlightInfo creates one (with the parameters bound at that moment),
 * DoGet streams it, CancelFlightInfo cancels it. A ticket never fetched expires after
 * {@link #UNCLAIMED}, so clients that only ask for schemas leave nothing behind; at most
 * {@code maxPending} tickets wait at once.
 */
final class Executions {
  static final Duration UNCLAIMED = Duration.ofMinutes(10);

  /** One execution; {@code context} exists once DoGet started it. */
  static final class Execution {
    final PreparedQuery query;
    final List<Object> parameters;
    final long createdNanos = System.nanoTime();
    private volatile boolean cancelled;
    private volatile QueryContext context;

    Execution(PreparedQuery query, List<Object> parameters) {
      this.query = requireNonNull(query, "query is null");
      // Not List.copyOf: a bound NULL is a value here, and copyOf refuses nulls.
      this.parameters = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(parameters));
    }

    /** Called on the streaming thread when the query starts; a cancel that came first applies now. */
    void started(QueryContext context) {
      this.context = context;
      if (cancelled) {
        context.cancel("Query cancelled (CancelFlightInfo)");
      }
    }

    void cancel() {
      cancelled = true;
      QueryContext c = context;
      if (c != null) {
        c.cancel("Query cancelled (CancelFlightInfo)");
      }
    }
  }

  private final Map<ByteString, Execution> byTicket = new ConcurrentHashMap<>();
  private final int maxPending;
  private final Duration unclaimed;

  Executions(int maxPending) {
    this(maxPending, UNCLAIMED);
  }

  /** @param unclaimed how long a ticket nobody fetched is kept ({@link #UNCLAIMED}; shorter in tests) */
  Executions(int maxPending, Duration unclaimed) {
    this.maxPending = maxPending;
    this.unclaimed = requireNonNull(unclaimed, "unclaimed is null");
  }

  ByteString add(PreparedQuery query, List<Object> parameters) {
    expireUnclaimed();
    if (byTicket.size() >= maxPending) {
      throw Status.RESOURCE_EXHAUSTED.withDescription("Too many query tickets were issued and not fetched (" + maxPending
          + "); fetch or cancel them, or wait " + unclaimed.toMinutes() + " minutes").asRuntimeException();
    }
    ByteString handle = ByteString.copyFromUtf8("execution:" + UUID.randomUUID());
    byTicket.put(handle, new Execution(query, parameters));
    return handle;
  }

  Execution get(ByteString handle) {
    return byTicket.get(handle);
  }

  void remove(ByteString handle) {
    byTicket.remove(handle);
  }

  /** Cancels the execution, running or not yet started; false when the ticket is unknown (finished or never issued). */
  boolean cancel(ByteString handle) {
    Execution e = byTicket.get(handle);
    if (e == null) {
      return false;
    }
    e.cancel();
    return true;
  }

  private void expireUnclaimed() {
    long now = System.nanoTime();
    // Cancelled ones too: a client that cancels and never fetches would otherwise hold its pending
    // place for good, and enough of them turn every later query away.
    byTicket.values().removeIf(e -> now - e.createdNanos > unclaimed.toNanos() && e.context == null);
  }
}
