package io.rrdflight.sql;

import static java.util.Objects.requireNonNull;

/**
 * A query stopped before its end: cancelled by the client, past its deadline, or over its memory
 * budget. Thrown from inside the work (a scan, a row-engine operator), so the thread that ran the
 * query unwinds and is free again.
 */
public final class QueryAbortedException extends RuntimeException {
  public enum Reason { CANCELLED, DEADLINE_EXCEEDED, MEMORY_EXHAUSTED }

  private final Reason reason;

  public QueryAbortedException(Reason reason, String message) {
    super(message);
    this.reason = requireNonNull(reason, "reason is null");
  }

  public Reason reason() {
    return reason;
  }
}
