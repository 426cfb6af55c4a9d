package io.rrdflight.server.redap;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
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
  /** Beyond a stream's deadline, how long the server may take to notice it: it checks at least every 200 ms. */
  private static final Duration DEADLINE_NOTICED = Duration.ofSeconds(1);
  private final CountDownLatch first = new CountDownLatch(1);
  private final CompletableFuture<Status> end = new CompletableFuture<>();
  final AtomicInteger messages = new AtomicInteger();
  /** Items received so far: {@link #itemsIn} of each message (a FetchChunks message may carry several chunks). */
  final AtomicInteger items = new AtomicInteger();
  private ClientCallStreamObserver<Q> call;
  /** When the first message arrived ({@link System#nanoTime}). */
  private volatile long firstMessageNanos;
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
    if (messages.incrementAndGet() == 1) {
      firstMessageNanos = System.nanoTime();
    }
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

  /**
   * Reads what is left once the server's {@code timeout} for this stream has passed for sure: the
   * server starts that clock before it sends the first message, so it is past {@code timeout} after
   * that message's arrival, plus the time the server takes to notice. Reading any earlier races the
   * deadline: a stream whose client reads it to the end in time rightly ends OK (a later stream of
   * several started one after another has a later deadline than the first).
   */
  Status readRestAfterItsDeadline(Duration timeout) throws Exception {
    long wait = firstMessageNanos + timeout.plus(DEADLINE_NOTICED).toNanos() - System.nanoTime();
    if (wait > 0) {
      TimeUnit.NANOSECONDS.sleep(wait);
    }
    return readRest();
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
