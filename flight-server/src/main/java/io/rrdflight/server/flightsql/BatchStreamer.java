package io.rrdflight.server.flightsql;

import static java.util.Objects.requireNonNull;

import io.rrdflight.server.AdmittedQuery;
import io.rrdflight.server.QueryAdmission;
import io.rrdflight.sql.QueryContext;
import io.rrdflight.sql.ResultBatches;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.arrow.flight.BackpressureStrategy;
import org.apache.arrow.flight.FlightProducer.ServerStreamListener;
import org.apache.arrow.memory.BufferAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a query and sends its batches to a Flight client on our own threads, waiting for the client
 * before each batch. Producing on the gRPC call thread and waiting there dead-locks large results
 * (see shared/docs/java-stack.md, "Back-pressure dead-lock").
 *
 * <p>Each query is admitted first ({@link QueryAdmission}), then runs with its own allocator, whose
 * limit is the query's memory budget, and a {@link QueryContext} bound to the streaming thread:
 * cancellation, the deadline and the budget stop the query inside the work, and the thread is free
 * again once the query's batches are closed and sent.
 *
 * <p>Batches go to gRPC without a copy ({@code setUseZeroCopy}): gRPC keeps a reference to each
 * batch's buffers until they are on the socket. Copying them into gRPC's own buffers was ~12% of the
 * server's CPU in a filled query view (a copy to the heap, one back to direct memory, and fresh netty
 * pool chunks to hold them). {@link ResultBatches} give every batch new buffers, so nothing writes into
 * one that gRPC still sends; the query's allocator, which those buffers count against, stays open until
 * gRPC has let go of them ({@link #awaitSent}).
 */
final class BatchStreamer {
  private static final Logger log = LoggerFactory.getLogger(BatchStreamer.class);
  /** How long to wait for a slow client before looking at the cancel flag and the deadline again. */
  private static final long READY_POLL_MILLIS = 1_000;
  /** The longest pause between looks at what gRPC still holds of a finished query's batches. */
  private static final long SENT_POLL_MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
  /**
   * The longest wait for gRPC to let go of a finished query's batches, the query's deadline aside: a
   * client that has not taken its last batch by then gets it anyway, but the allocator closes (and
   * logs what it still holds) so that a leak cannot hold the query's slot for the whole deadline.
   */
  private static final long SENT_WAIT_MAX_NANOS = TimeUnit.SECONDS.toNanos(30);

  private final ExecutorService executor;
  private final BufferAllocator allocator;
  private final QueryAdmission admission;

  /** @param admission shared with the Rerun door's QueryDataset and FindChunks streams: one set of slots for the server */
  BatchStreamer(ExecutorService executor, BufferAllocator allocator, QueryAdmission admission) {
    this.executor = requireNonNull(executor, "executor is null");
    this.allocator = requireNonNull(allocator, "allocator is null");
    this.admission = requireNonNull(admission, "admission is null");
  }

  /**
   * Streams the batches that {@code open} produces from the query's own allocator. {@code open}
   * runs on the streaming thread; {@code started} receives the query's context as soon as it exists
   * (so it can be cancelled); {@code whenDone} runs there after the last batch, whatever happened.
   */
  void stream(ServerStreamListener listener, Function<BufferAllocator, ResultBatches> open, Consumer<QueryContext> started,
      Runnable whenDone) {
    stream(listener, abandoned -> admission.admit(allocator, abandoned), open, started, whenDone);
  }

  /**
   * As {@link #stream(ServerStreamListener, Function, Consumer, Runnable)}, admitted by {@code admit}
   * (given whether the client left) instead of as a query of its own: a slice of a split query.
   */
  void stream(ServerStreamListener listener, Function<java.util.function.BooleanSupplier, AdmittedQuery> admit,
      Function<BufferAllocator, ResultBatches> open, Consumer<QueryContext> started, Runnable whenDone) {
    BackpressureStrategy backpressure = new BackpressureStrategy.CallbackBackpressureStrategy();
    backpressure.register(listener); // must happen on the call thread
    executor.execute(() -> {
      AdmittedQuery query;
      try {
        query = admit.apply(listener::isCancelled);
      } catch (RuntimeException busy) {
        listener.error(FlightErrors.of(busy, "Query"));
        whenDone.run();
        return;
      }
      try (query) {
        started.accept(query.context());
        send(listener, backpressure, query.context(), () -> open.apply(query.allocator()));
        awaitSent(query);
      } finally {
        whenDone.run();
      }
    });
  }

  private static void send(ServerStreamListener listener, BackpressureStrategy backpressure, QueryContext context,
      java.util.function.Supplier<ResultBatches> open) {
    long sent = 0;
    try (QueryContext.Binding bound = context.bind(); ResultBatches batches = open.get()) {
      listener.setUseZeroCopy(true);
      listener.start(batches.root());
      while (true) {
        context.checkNow();
        if (!batches.next()) {
          break;
        }
        BackpressureStrategy.WaitResult ready;
        while ((ready = backpressure.waitForListener(READY_POLL_MILLIS)) == BackpressureStrategy.WaitResult.TIMEOUT) {
          context.checkNow(); // a slow client: keep waiting, unless cancelled or past the deadline
        }
        if (ready == BackpressureStrategy.WaitResult.CANCELLED) {
          log.info("query cancelled (client hung up) after {} batches", sent);
          return;
        }
        listener.putNext();
        sent++;
      }
      listener.completed();
    } catch (RuntimeException | Error e) {
      // Errors too: a stream thread that dies silently leaves its client waiting forever (seen
      // with OutOfMemoryError); the query's memory is garbage once this thread unwinds.
      if (context.isCancelled()) {
        log.info("query cancelled (CancelFlightInfo) after {} batches", sent);
      }
      listener.error(FlightErrors.of(e, "Query"));
    }
  }

  /**
   * Waits until gRPC has released the query's last batches (written to the socket, or dropped with
   * a cancelled call), so that closing the query's allocator finds nothing allocated.
   */
  private static void awaitSent(AdmittedQuery query) {
    BufferAllocator allocator = query.allocator();
    long giveUp = System.nanoTime() + SENT_WAIT_MAX_NANOS;
    long pause = 10_000;
    while (allocator.getAllocatedMemory() > 0 && System.nanoTime() < giveUp && !query.context().isPastDeadline()
        && !Thread.currentThread().isInterrupted()) { // interrupted: the server is stopping
      LockSupport.parkNanos(pause);
      pause = Math.min(2 * pause, SENT_POLL_MAX_NANOS);
    }
  }
}
