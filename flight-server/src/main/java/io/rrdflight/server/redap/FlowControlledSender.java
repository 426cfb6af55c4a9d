package io.rrdflight.server.redap;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.rrdflight.sql.QueryContext;

/**
 * Sends a server stream's messages from a producer thread no faster than the client takes them:
 * before each message it waits until gRPC's outbound buffer has room ({@code isReady}), so a slow
 * client holds the producer back instead of the server buffering a whole answer in memory.
 *
 * <p>Create it on the call's thread (the handlers must be installed before the call method returns),
 * then produce on another thread. When that thread has a {@link QueryContext} bound (an admitted
 * stream), sending and waiting for the client check it: past the deadline, {@link #send} throws, so
 * a client that stops reading cannot hold the thread and the admission slot beyond --query-timeout.
 */
final class FlowControlledSender<T> {
  /** Re-checks readiness this often even without a signal, in case one was missed. */
  private static final long WAIT_SLICE_MILLIS = 200;

  private final ServerCallStreamObserver<T> call;
  private final Object ready = new Object();
  private volatile boolean cancelled;

  FlowControlledSender(StreamObserver<T> observer) {
    this.call = (ServerCallStreamObserver<T>) observer;
    call.setOnReadyHandler(() -> {
      synchronized (ready) {
        ready.notifyAll();
      }
    });
    call.setOnCancelHandler(() -> {
      cancelled = true;
      synchronized (ready) {
        ready.notifyAll();
      }
    });
  }

  /**
   * Sends {@code message} once the client can take it; false if the client went away. Throws the
   * bound query's abort when it is past its deadline (or cancelled) before the client was ready.
   */
  boolean send(T message) {
    QueryContext query = QueryContext.current();
    query.checkNow();
    synchronized (ready) {
      while (!cancelled && !call.isReady()) {
        query.checkNow();
        try {
          ready.wait(WAIT_SLICE_MILLIS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          cancelled = true;
        }
      }
    }
    if (cancelled) {
      return false;
    }
    call.onNext(message);
    return true;
  }

  boolean cancelled() {
    return cancelled || call.isCancelled();
  }

  void complete() {
    if (!cancelled()) {
      call.onCompleted();
    }
  }

  void fail(Throwable t, String what) {
    if (!cancelled()) {
      call.onError(CatalogStatus.of(t, what));
    }
  }
}
