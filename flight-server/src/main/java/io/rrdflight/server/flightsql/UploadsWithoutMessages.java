package io.rrdflight.server.flightsql;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import org.apache.arrow.flight.impl.FlightServiceGrpc;

/**
 * Refuses a DoPut whose client ends its upload before sending a single message. Flight's first message
 * carries the descriptor (the command) and the schema; Arrow Java's FlightStream completes the
 * descriptor only when a message arrives, not when the upload ends, so such a call parked a server
 * thread in {@code getDescriptor()} for good, and its client waited for an answer for good. ADBC's Go
 * driver does this when asked to ingest a table without rows. The call is closed with
 * INVALID_ARGUMENT, and the stream told it was cancelled, which fails the descriptor it waits for and
 * frees that thread.
 */
public final class UploadsWithoutMessages implements ServerInterceptor {
  private static final String DO_PUT = FlightServiceGrpc.getDoPutMethod().getFullMethodName();
  static final String REFUSED = "The upload ended before its first message: a DoPut must send the stream's schema (with its "
      + "descriptor) even when it has no rows; nothing was written";

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    ServerCall.Listener<Q> listener = next.startCall(call, headers);
    if (!DO_PUT.equals(call.getMethodDescriptor().getFullMethodName())) {
      return listener;
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      private boolean sawMessage; // gRPC calls a listener from one thread at a time

      @Override
      public void onMessage(Q message) {
        sawMessage = true;
        super.onMessage(message);
      }

      @Override
      public void onHalfClose() {
        if (sawMessage) {
          super.onHalfClose();
          return;
        }
        call.close(Status.INVALID_ARGUMENT.withDescription(REFUSED), new Metadata());
        super.onCancel();
      }
    };
  }
}
