package io.rrdflight.server.redap;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.rrdflight.sql.QueryAbortedException;
import io.rrdflight.sql.QueryContext;
import java.util.function.BooleanSupplier;

/**
 * Sends a server stream's messages from a producer thread no faster than the client takes them:
 * before each message it waits until gRPC's outbound buffer has room ({@code isReady}), so a slow
 * client holds the producer back instead of the server buffering a whole answer in memory.
 *
 * <p>The stream also ends only once its client has taken the answer ({@link #complete}): until then
 * the producer keeps its admission slot or turn. So what the server holds for streams whose clients
 * stop reading is bounded by the streams it admits (about a message each), not by how many
 * connections and calls those clients open: an answer that fits the client's first message would
 * otherwise leave it queued in the transport and free the slot for the next.
 *
 * <p>Create it on the call's thread (the handlers must be installed before the call method returns),
 * then produce on another thread. When that thread has a {@link QueryContext} bound (an admitted
 * stream), sending and waiting for the client check it: past the deadline, {@link #send} and
 * {@link #complete} throw, so a client that stops reading cannot hold the thread and the admission
 * slot beyond --query-timeout.
 */
final class FlowControlledSender<T> {
  /** Re-checks readiness this often even without a signal, in case one was missed. */
  private static final long WAIT_SLICE_MILLIS = 200;

  private final ServerCallStreamObserver<T> call;
  private final Object ready = new Object();
  private volatile boolean cancelled;
  /** Every message and the trailers went out: nothing of this stream is left in the transport. */
  private volatile boolean closed;

  FlowControlledSender(StreamObserver<T> observer) {
    this.call = (ServerCallStreamObserver<T>) observer;
    call.setOnReadyHandler(this::wake);
    call.setOnCancelHandler(() -> {
      cancelled = true;
      wake();
    });
    call.setOnCloseHandler(() -> {
      closed = true;
      wake();
    });
  }

  private void wake() {
    synchronized (ready) {
      ready.notifyAll();
    }
  }

  /**
   * Sends {@code message} once the client can take it; false if the client went away. Throws the
   * bound query's abort when it is past its deadline (or cancelled) before the client was ready.
   */
  boolean send(T message) {
    QueryContext query = QueryContext.current();
    query.checkNow();
    if (!await(query, call::isReady)) {
      return false;
    }
    call.onNext(message);
    return true;
  }

  boolean cancelled() {
    return cancelled || call.isCancelled();
  }

  /**
   * Ends the stream once the client has taken all but gRPC's last few kilobytes, then waits until
   * those and the trailers went out too (or the client left). Throws the bound query's abort when the
   * deadline passes before the client took the answer; past it while only the end is left, returns.
   */
  void complete() {
    QueryContext query = QueryContext.current();
    if (!await(query, call::isReady)) {
      return;
    }
    call.onCompleted();
    try {
      await(query, () -> closed);
    } catch (QueryAbortedException e) {
      // The answer is complete and said so; what the client has not taken goes when it cancels or disconnects.
    }
  }

  /** Waits until {@code condition} holds (true) or the client left (false), checking {@code query} between waits. */
  private boolean await(QueryContext query, BooleanSupplier condition) {
    synchronized (ready) {
      while (!cancelled && !condition.getAsBoolean()) {
        query.checkNow();
        try {
          ready.wait(WAIT_SLICE_MILLIS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          cancelled = true;
        }
      }
    }
    return !cancelled;
  }

  void fail(Throwable t, String what) {
    if (!cancelled()) {
      call.onError(CatalogStatus.of(t, what));
    }
  }
}
