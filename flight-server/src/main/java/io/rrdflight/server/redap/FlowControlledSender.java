package io.rrdflight.server.redap;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/**
 * Sends a server stream's messages from a producer thread no faster than the client takes them:
 * before each message it waits until gRPC's outbound buffer has room ({@code isReady}), so a slow
 * client holds the producer back instead of the server buffering a whole answer in memory.
 *
 * <p>Create it on the call's thread (the handlers must be installed before the call method returns),
 * then produce on another thread.
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

  /** Sends {@code message} once the client can take it; false if the client went away. */
  boolean send(T message) {
    synchronized (ready) {
      while (!cancelled && !call.isReady()) {
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
