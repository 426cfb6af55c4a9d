package io.rrdflight.server.flightsql;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.rrdflight.sql.PreparedQuery;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Query executions by ticket: GetFlightInfo creates one (with the parameters bound at that moment),
 * DoGet streams it, CancelFlightInfo flags it. A ticket never fetched expires after
 * {@link #UNCLAIMED}, so clients that only ask for schemas leave nothing behind.
 */
final class Executions {
  static final Duration UNCLAIMED = Duration.ofMinutes(10);

  /** One execution; {@code cancelled} is read by the streaming thread between batches. */
  static final class Execution {
    final PreparedQuery query;
    final List<Object> parameters;
    final AtomicBoolean cancelled = new AtomicBoolean();
    final long createdNanos = System.nanoTime();

    Execution(PreparedQuery query, List<Object> parameters) {
      this.query = requireNonNull(query, "query is null");
      this.parameters = List.copyOf(parameters);
    }
  }

  private final Map<ByteString, Execution> byTicket = new ConcurrentHashMap<>();

  ByteString add(PreparedQuery query, List<Object> parameters) {
    expireUnclaimed();
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

  /** Flags the execution; false when the ticket is unknown (finished or never issued). */
  boolean cancel(ByteString handle) {
    Execution e = byTicket.get(handle);
    if (e == null) {
      return false;
    }
    e.cancelled.set(true);
    return true;
  }

  private void expireUnclaimed() {
    long now = System.nanoTime();
    byTicket.values().removeIf(e -> now - e.createdNanos > UNCLAIMED.toNanos() && !e.cancelled.get());
  }
}
