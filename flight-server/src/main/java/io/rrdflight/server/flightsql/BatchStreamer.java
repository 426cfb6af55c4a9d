package io.rrdflight.server.flightsql;

import io.rrdflight.sql.ResultBatches;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;
import org.apache.arrow.flight.BackpressureStrategy;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightProducer.ServerStreamListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a query's batches to a Flight client on our own threads, waiting for the client before each
 * batch. Producing on the gRPC call thread and waiting there dead-locks large results (see
 * shared/docs/java-stack.md, "Back-pressure dead-lock").
 */
final class BatchStreamer {
  private static final Logger log = LoggerFactory.getLogger(BatchStreamer.class);
  /** How long to wait for a slow client before looking at the cancel flag again. */
  private static final long READY_POLL_MILLIS = 1_000;

  private final ExecutorService executor;

  BatchStreamer(ExecutorService executor) {
    this.executor = Objects.requireNonNull(executor, "executor is null");
  }

  /**
   * Streams the batches that {@code open} produces; {@code open} runs on the streaming thread and
   * {@code whenDone} runs there after the last batch, whatever happened.
   */
  void stream(ServerStreamListener listener, Supplier<ResultBatches> open, Runnable whenDone) {
    stream(listener, open, () -> false, whenDone);
  }

  /**
   * As above; {@code cancelled} is checked before each batch, so a cancelled query stops reading
   * chunks at the next batch boundary and the client gets CANCELLED.
   */
  void stream(ServerStreamListener listener, Supplier<ResultBatches> open, java.util.function.BooleanSupplier cancelled, Runnable whenDone) {
    BackpressureStrategy backpressure = new BackpressureStrategy.CallbackBackpressureStrategy();
    backpressure.register(listener); // must happen on the call thread
    executor.execute(() -> {
      long sent = 0;
      try (ResultBatches batches = open.get()) {
        listener.start(batches.root());
        while (true) {
          if (cancelled.getAsBoolean()) {
            log.info("query cancelled (CancelFlightInfo) after {} batches", sent);
            listener.error(CallStatus.CANCELLED.withDescription("Query cancelled").toRuntimeException());
            return;
          }
          if (!batches.next()) {
            break;
          }
          BackpressureStrategy.WaitResult ready;
          while ((ready = backpressure.waitForListener(READY_POLL_MILLIS)) == BackpressureStrategy.WaitResult.TIMEOUT) {
            if (cancelled.getAsBoolean()) {
              break; // reported at the top of the loop
            }
            // The client is slow, not gone: keep waiting.
          }
          if (ready == BackpressureStrategy.WaitResult.CANCELLED) {
            log.info("query cancelled (client hung up) after {} batches", sent);
            return;
          }
          if (ready == BackpressureStrategy.WaitResult.TIMEOUT) {
            continue; // cancelled while waiting: reported at the top of the loop
          }
          listener.putNext();
          sent++;
        }
        listener.completed();
      } catch (RuntimeException | Error e) {
        // Errors too: a stream thread that dies silently leaves its client waiting forever (seen
        // with OutOfMemoryError); the query's memory is garbage once this thread unwinds.
        listener.error(FlightErrors.of(e, "Query"));
      } finally {
        whenDone.run();
      }
    });
  }
}
