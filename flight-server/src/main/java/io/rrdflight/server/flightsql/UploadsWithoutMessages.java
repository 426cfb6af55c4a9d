package io.rrdflight.server.flightsql;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import org.apache.arrow.flight.impl.FlightServiceGrpc;

/**
 * Refuses a DoPut whose client ends its upload before sending a single message. Flight's first message
 * carries the descriptor (the command) and the schema, and Arrow Java's FlightStream completes neither
 * when the upload ends without one, so such a call parked a server thread for good, and its client
 * waited for an answer for good. ADBC's Go driver does this when asked to ingest a table without rows.
 * The call is closed with INVALID_ARGUMENT, and the stream is told it was cancelled, which fails the
 * schema it waits for ({@link RrdflightSqlProducer#acceptPut} waits on the schema first, as the
 * descriptor is never failed). Flight's own close of the call after that is dropped: the call is
 * closed already.
 */
public final class UploadsWithoutMessages implements ServerInterceptor {
  private static final String DO_PUT = FlightServiceGrpc.getDoPutMethod().getFullMethodName();
  static final String REFUSED = "The upload ended before its first message: a DoPut must send the stream's schema (with its "
      + "descriptor) even when it has no rows; nothing was written";

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    if (!DO_PUT.equals(call.getMethodDescriptor().getFullMethodName())) {
      return next.startCall(call, headers);
    }
    java.util.concurrent.atomic.AtomicBoolean refused = new java.util.concurrent.atomic.AtomicBoolean();
    ServerCall<Q, A> closedOnce = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        if (!refused.get()) {
          super.close(status, trailers);
        }
      }
    };
    ServerCall.Listener<Q> listener = next.startCall(closedOnce, headers);
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
        refused.set(true);
        call.close(Status.INVALID_ARGUMENT.withDescription(REFUSED), new Metadata());
        super.onCancel();
      }
    };
  }
}
