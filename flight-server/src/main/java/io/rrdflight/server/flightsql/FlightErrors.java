package io.rrdflight.server.flightsql;

import io.rrdflight.catalog.CatalogException;
import io.rrdflight.sql.SqlQueryException;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How failures reach Flight SQL clients: the one place that picks a status code. Bad SQL, unknown
 * tables and bad arguments are INVALID_ARGUMENT with Calcite's (or our) message; catalog failures
 * keep their kind; running out of memory is RESOURCE_EXHAUSTED; anything else is INTERNAL and
 * logged with its stack. JDBC shows the description as the SQLException message.
 */
final class FlightErrors {
  private static final Logger log = LoggerFactory.getLogger(FlightErrors.class);

  private FlightErrors() {}

  /** The status to send for {@code failure} of {@code call} (a short description, e.g. "Query"). */
  static FlightRuntimeException of(Throwable failure, String call) {
    if (failure instanceof FlightRuntimeException f) {
      return f;
    }
    if (failure instanceof SqlQueryException e) {
      return CallStatus.INVALID_ARGUMENT.withDescription(e.getMessage()).withCause(e).toRuntimeException();
    }
    if (failure instanceof CatalogException e) {
      CallStatus status = switch (e.kind()) {
        case NOT_FOUND -> CallStatus.NOT_FOUND;
        case ALREADY_EXISTS -> CallStatus.ALREADY_EXISTS;
        case INVALID_ARGUMENT -> CallStatus.INVALID_ARGUMENT;
        // The request was fine but the server's state does not allow it (e.g. a file changed
        // since registration); Flight has no FAILED_PRECONDITION, and the message says what to do.
        case FAILED -> CallStatus.INTERNAL;
      };
      return status.withDescription(e.getMessage()).withCause(e).toRuntimeException();
    }
    if (failure instanceof OutOfMemoryError || failure instanceof org.apache.arrow.memory.OutOfMemoryException) {
      log.warn("{} ran out of memory", call, failure);
      return CallStatus.RESOURCE_EXHAUSTED.withDescription(call + " ran out of memory: " + failure.getMessage()).withCause(failure)
          .toRuntimeException();
    }
    log.error("{} failed", call, failure);
    return CallStatus.INTERNAL.withDescription(call + " failed: " + failure).withCause(failure).toRuntimeException();
  }
}
