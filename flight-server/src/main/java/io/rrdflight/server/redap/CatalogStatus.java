package io.rrdflight.server.redap;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.rrdflight.server.FailureStatus;

/**
 * How failures reach Rerun's clients: as gRPC statuses whose code the SDK turns into a Python
 * exception (NOT_FOUND → NotFoundError, ALREADY_EXISTS → AlreadyExistsError, INVALID_ARGUMENT →
 * ValueError, DEADLINE_EXCEEDED → TimeoutError, anything else → RuntimeError) and whose description
 * is the message the user reads. The mapping itself is {@link FailureStatus}, shared with Flight SQL.
 */
final class CatalogStatus {
  private CatalogStatus() {}

  /** Any failure of a call as the status to send, by the mapping both doors share ({@link FailureStatus}). */
  static StatusRuntimeException of(Throwable t, String call) {
    return FailureStatus.exception(t, call);
  }

  static StatusRuntimeException invalidArgument(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }

  static StatusRuntimeException notFound(String message) {
    return Status.NOT_FOUND.withDescription(message).asRuntimeException();
  }
}
