package io.rrdflight.server.flightsql;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many SQL queries run at once: up to {@code running}; the next {@code queued} wait for a slot
 * (at most {@code wait}), and any beyond fail at once with RESOURCE_EXHAUSTED. Keeps a burst of
 * clients from starving each other of cores and memory: every admitted query has its full budget.
 */
final class QueryAdmission {
  private final int running;
  private final int queued;
  private final Duration wait;
  private final Semaphore slots;
  private final AtomicInteger waiting = new AtomicInteger();

  QueryAdmission(int running, int queued, Duration wait) {
    if (running <= 0 || queued < 0) {
      throw new IllegalArgumentException("running must be positive and queued not negative: " + running + ", " + queued);
    }
    this.running = running;
    this.queued = queued;
    this.wait = requireNonNull(wait, "wait is null");
    this.slots = new Semaphore(running, true);
  }

  /** Takes a slot, waiting in the queue if there is room; throws RESOURCE_EXHAUSTED otherwise. Release with {@link #leave()}. */
  void enter() {
    if (slots.tryAcquire()) {
      return;
    }
    if (waiting.incrementAndGet() > queued) {
      waiting.decrementAndGet();
      throw busy("and " + queued + " are waiting");
    }
    try {
      if (!slots.tryAcquire(wait.toNanos(), TimeUnit.NANOSECONDS)) {
        throw busy("and none finished within " + wait.toSeconds() + " s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("Query cancelled while waiting for a slot").asRuntimeException();
    } finally {
      waiting.decrementAndGet();
    }
  }

  void leave() {
    slots.release();
  }

  private RuntimeException busy(String detail) {
    return Status.RESOURCE_EXHAUSTED.withDescription("The server is busy: " + running + " queries are running (--max-queries) "
        + detail + "; try again later").asRuntimeException();
  }
}
