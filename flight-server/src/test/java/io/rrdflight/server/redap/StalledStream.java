package io.rrdflight.server.redap;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * A server stream whose client takes the first message and then reads nothing until {@link #readRest}
 * or {@link #readSlowly} (or cancels): with an answer larger than gRPC's buffers, the server's stream waits for it.
 */
class StalledStream<Q, R> implements ClientResponseObserver<Q, R> {
  private final CountDownLatch first = new CountDownLatch(1);
  private final CompletableFuture<Status> end = new CompletableFuture<>();
  final AtomicInteger messages = new AtomicInteger();
  /** Items received so far: {@link #itemsIn} of each message (a FetchChunks message may carry several chunks). */
  final AtomicInteger items = new AtomicInteger();
  private ClientCallStreamObserver<Q> call;
  /** Once {@link #readSlowly} was called: how long the client dwells on each message before asking for the next. */
  private volatile long dwellMillis = -1;

  /**
   * Starts the call ({@code start}, e.g. {@code stub::scanTable}) and returns once the first message
   * arrived (so the stream was admitted); fails the test if the call ended without one.
   */
  StalledStream(BiConsumer<Q, StreamObserver<R>> start, Q request) throws InterruptedException {
    start.accept(request, this);
    assertTrue(first.await(60, TimeUnit.SECONDS), "no first message");
    assertTrue(messages.get() > 0, () -> "the call ended without a message: " + end.getNow(null));
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<Q> requestStream) {
    call = requestStream;
    requestStream.disableAutoRequestWithInitial(1);
  }

  @Override
  public void onNext(R value) {
    messages.incrementAndGet();
    items.addAndGet(itemsIn(value));
    first.countDown();
    if (dwellMillis >= 0) {
      try {
        Thread.sleep(dwellMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      call.request(1);
    }
  }

  @Override
  public void onError(Throwable t) {
    end.complete(Status.fromThrowable(t));
    first.countDown();
  }

  @Override
  public void onCompleted() {
    end.complete(Status.OK);
  }

  /** How many items a message carries; one unless a subclass knows better (called from the constructor's call). */
  int itemsIn(R value) {
    return 1;
  }

  /** Reads what is left and returns how the stream ended. */
  Status readRest() throws Exception {
    call.request(Integer.MAX_VALUE);
    return end.get(60, TimeUnit.SECONDS);
  }

  /** Reads what is left one message at a time, {@code dwellMillis} on each; returns how the stream ended. */
  Status readSlowly(long dwellMillis) throws Exception {
    this.dwellMillis = dwellMillis;
    call.request(1);
    return end.get(60, TimeUnit.SECONDS);
  }

  void cancel() {
    call.cancel("the client gives up", null);
  }
}
