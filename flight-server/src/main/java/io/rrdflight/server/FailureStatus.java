package io.rrdflight.server;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.rrdflight.catalog.CatalogException;
import io.rrdflight.rrd.RrdFormatException;
import io.rrdflight.sql.QueryAbortedException;
import io.rrdflight.sql.SqlQueryException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.grpc.StatusUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one mapping from a failure to the gRPC status both front doors send (Flight SQL and Rerun's
 * catalog service), so a client sees the same code for the same fault whichever door it used.
 *
 * <ul>
 *   <li>The client's fault: INVALID_ARGUMENT (bad SQL, a malformed request, a bad argument),
 *       NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED (a path outside the allowed roots), and
 *       FAILED_PRECONDITION (a registered file changed or is damaged; the message says what to do).
 *       The description is the message written for the user; nothing is logged but a malformed
 *       request, which gets one line.
 *   <li>Limits: RESOURCE_EXHAUSTED (a query's memory budget, the server's memory),
 *       DEADLINE_EXCEEDED (--query-timeout), CANCELLED (the client cancelled). One log line.
 *   <li>The server's fault: INTERNAL, with a reference the log line carries along with the stack.
 *       The description never shows exception classes or planner internals.
 * </ul>
 *
 * Statuses already made (e.g. UNAUTHENTICATED from an interceptor) pass unchanged.
 */
public final class FailureStatus {
  private static final Logger log = LoggerFactory.getLogger(FailureStatus.class);

  private FailureStatus() {}

  /** The status to send when {@code call} (e.g. "Query", "RegisterWithDataset") failed with {@code failure}. */
  public static Status of(Throwable failure, String call) {
    if (failure instanceof StatusRuntimeException s) {
      return s.getStatus();
    }
    if (failure instanceof StatusException s) {
      return s.getStatus();
    }
    if (failure instanceof FlightRuntimeException f) {
      return StatusUtils.toGrpcStatus(f.status());
    }
    QueryAbortedException aborted = find(failure, QueryAbortedException.class);
    if (aborted != null) {
      if (aborted.reason() != QueryAbortedException.Reason.CANCELLED) { // a cancel is the client's wish, logged where it lands
        log.info("{} stopped: {}", call, aborted.getMessage());
      }
      return switch (aborted.reason()) {
        case CANCELLED -> Status.CANCELLED.withDescription(aborted.getMessage());
        case DEADLINE_EXCEEDED -> Status.DEADLINE_EXCEEDED.withDescription(aborted.getMessage());
        case MEMORY_EXHAUSTED -> Status.RESOURCE_EXHAUSTED.withDescription(aborted.getMessage());
      };
    }
    Throwable outOfMemory = find(failure, t -> t instanceof OutOfMemoryError || t instanceof org.apache.arrow.memory.OutOfMemoryException);
    if (outOfMemory != null) {
      log.warn("{} ran out of memory: {}", call, outOfMemory.getMessage());
      return Status.RESOURCE_EXHAUSTED.withDescription(call + " ran out of memory (a query's budget is set by --query-memory, all queries' by the JVM's memory, -Xmx): "
          + outOfMemory.getMessage());
    }
    CatalogException catalog = find(failure, CatalogException.class);
    if (catalog != null) {
      return switch (catalog.kind()) {
        case NOT_FOUND -> Status.NOT_FOUND.withDescription(catalog.getMessage());
        case ALREADY_EXISTS -> Status.ALREADY_EXISTS.withDescription(catalog.getMessage());
        case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT.withDescription(catalog.getMessage());
        case PERMISSION_DENIED -> Status.PERMISSION_DENIED.withDescription(catalog.getMessage());
        case FAILED -> Status.FAILED_PRECONDITION.withDescription(catalog.getMessage());
        case INTERNAL -> internal(failure, call);
      };
    }
    if (failure instanceof SqlQueryException sql) {
      return sql.isUserError() ? Status.INVALID_ARGUMENT.withDescription(sql.getMessage()) : internal(failure, call);
    }
    RrdFormatException damaged = find(failure, RrdFormatException.class);
    if (damaged != null) {
      return Status.FAILED_PRECONDITION.withDescription(damaged.getMessage());
    }
    InvalidProtocolBufferException malformed = find(failure, InvalidProtocolBufferException.class);
    if (malformed != null) {
      log.warn("{}: malformed request: {}", call, malformed.getMessage());
      return Status.INVALID_ARGUMENT.withDescription(call + ": malformed request: " + malformed.getMessage());
    }
    return internal(failure, call);
  }

  /** {@link #of} as an exception to throw or to pass to {@code onError}. */
  public static StatusRuntimeException exception(Throwable failure, String call) {
    if (failure instanceof StatusRuntimeException s) {
      return s;
    }
    return of(failure, call).withCause(failure).asRuntimeException();
  }

  private static Status internal(Throwable failure, String call) {
    String reference = String.format("%08x", ThreadLocalRandom.current().nextInt());
    log.error("{} failed (reference {})", call, reference, failure);
    return Status.INTERNAL.withDescription("Internal error in " + call + " (reference " + reference
        + "); the server log has the details");
  }

  private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
    return type.cast(find(failure, (Function<Throwable, Boolean>) type::isInstance));
  }

  private static Throwable find(Throwable failure, Function<Throwable, Boolean> matches) {
    int depth = 0;
    for (Throwable t = failure; t != null && depth < 32; t = t.getCause(), depth++) {
      if (matches.apply(t)) {
        return t;
      }
    }
    return null;
  }
}
