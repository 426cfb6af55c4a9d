package io.rrdflight.server.redap;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.rrdflight.catalog.CatalogException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How failures reach Rerun's clients: as gRPC statuses whose code the SDK turns into a Python
 * exception (NOT_FOUND → NotFoundError, ALREADY_EXISTS → AlreadyExistsError, INVALID_ARGUMENT →
 * ValueError, DEADLINE_EXCEEDED → TimeoutError, anything else → RuntimeError) and whose description
 * is the message the user reads. The one place that makes that mapping.
 */
final class CatalogStatus {
  private static final Logger log = LoggerFactory.getLogger(CatalogStatus.class);

  private CatalogStatus() {}

  static StatusRuntimeException of(CatalogException e) {
    Status status = switch (e.kind()) {
      case NOT_FOUND -> Status.NOT_FOUND;
      case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
      case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
      // The request was fine but the server's state does not allow it (e.g. a file changed since it
      // was registered); the message says what to do.
      case FAILED -> Status.FAILED_PRECONDITION;
    };
    return status.withDescription(e.getMessage()).withCause(e).asRuntimeException();
  }

  /** Any failure of a call as the status to send; unexpected ones are logged with their stack. */
  static StatusRuntimeException of(Throwable t, String call) {
    if (t instanceof StatusRuntimeException s) {
      return s;
    }
    if (t instanceof io.grpc.StatusException s) {
      return s.getStatus().asRuntimeException(s.getTrailers());
    }
    if (t instanceof CatalogException e) {
      return of(e);
    }
    log.error("{} failed unexpectedly", call, t);
    return Status.INTERNAL.withDescription(call + " failed: " + t).withCause(t).asRuntimeException();
  }

  static StatusRuntimeException invalidArgument(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }

  static StatusRuntimeException notFound(String message) {
    return Status.NOT_FOUND.withDescription(message).asRuntimeException();
  }
}
