package io.rrdflight.server.flightsql;

import io.rrdflight.sql.QueryContext;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What this server knows of the slices of split queries (see {@link SliceTicket}): the ones running
 * here, by execution id, and the executions cancelled recently, so a slice fetched after its
 * CancelFlightInfo stops at once. Tickets themselves live with the client; a cancel reaches only the
 * server it is sent to (other servers' slices run to their end).
 */
final class SliceRuns {
  /** How long a cancelled execution id is remembered: as long as an unclaimed ticket of {@link Executions}. */
  static final Duration REMEMBER_CANCELLED = Executions.UNCLAIMED;
  /** At most this many cancelled ids are remembered; the oldest are forgotten first. */
  static final int MAX_CANCELLED = 10_000;

  private final Map<UUID, Set<QueryContext>> running = new ConcurrentHashMap<>();
  private final Map<UUID, Long> cancelledAt = new ConcurrentHashMap<>();

  void started(UUID execution, QueryContext context) {
    running.computeIfAbsent(execution, k -> ConcurrentHashMap.newKeySet()).add(context);
    if (cancelledAt.containsKey(execution)) {
      context.cancel("Query cancelled (CancelFlightInfo)");
    }
  }

  void finished(UUID execution, QueryContext context) {
    running.computeIfPresent(execution, (k, set) -> {
      set.remove(context);
      return set.isEmpty() ? null : set;
    });
  }

  /** Cancels the execution's slices, running here now or fetched here later; always true. */
  boolean cancel(UUID execution) {
    long now = System.nanoTime();
    cancelledAt.values().removeIf(t -> now - t > REMEMBER_CANCELLED.toNanos());
    if (cancelledAt.size() >= MAX_CANCELLED) {
      cancelledAt.entrySet().stream().min(Map.Entry.comparingByValue()).ifPresent(e -> cancelledAt.remove(e.getKey()));
    }
    cancelledAt.put(execution, now);
    Set<QueryContext> contexts = running.get(execution);
    if (contexts != null) {
      contexts.forEach(c -> c.cancel("Query cancelled (CancelFlightInfo)"));
    }
    return true;
  }
}
