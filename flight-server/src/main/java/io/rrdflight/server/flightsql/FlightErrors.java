package io.rrdflight.server.flightsql;

import io.grpc.StatusRuntimeException;
import io.rrdflight.server.FailureStatus;

/**
 * How failures reach Flight SQL clients: through {@link FailureStatus}, the mapping the Rerun door
 * uses too. The result is a gRPC status exception, which Flight passes to the client unchanged
 * (converting to Flight's own codes would turn FAILED_PRECONDITION into INVALID_ARGUMENT). JDBC
 * shows the description as the SQLException message.
 */
final class FlightErrors {
  private FlightErrors() {}

  /** The status to send for {@code failure} of {@code call} (a short description, e.g. "Query"). */
  static StatusRuntimeException of(Throwable failure, String call) {
    return FailureStatus.exception(failure, call);
  }
}
