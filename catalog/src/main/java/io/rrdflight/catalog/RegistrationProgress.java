package io.rrdflight.catalog;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs how a batch of registrations advances: files done of total and MB/s; first, last, and at most every 2 s between. */
final class RegistrationProgress {
  private static final Logger log = LoggerFactory.getLogger(RegistrationProgress.class);
  private static final long LOG_EVERY_NANOS = 2_000_000_000L;
  /** Off for a catalog whose registrations are not the user's (the server's warm-up rehearses one): nothing to tell. */
  private volatile boolean logged = true;

  void logged(boolean on) {
    logged = on;
  }

  Batch start(int files) {
    return new Batch(files, logged);
  }

  static final class Batch {
    private final int total;
    private final long startNanos = System.nanoTime();
    private final AtomicInteger done = new AtomicInteger();
    /** Files whose outcome a worker has handed to the committer (or is handing: counted just before). */
    private final AtomicInteger handedOver = new AtomicInteger();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong lastLogNanos = new AtomicLong(System.nanoTime());
    private final boolean logged;

    private Batch(int total, boolean logged) {
      this.total = total;
      this.logged = logged;
    }

    /** Counts one file's outcome as on its way to the committer; called before it is queued. */
    void handOver() {
      handedOver.incrementAndGet();
    }

    /** Whether some of the batch's files are still being indexed (or wait for a worker). */
    boolean moreToCome() {
      return handedOver.get() < total;
    }

    /** The files of the batch. */
    int files() {
      return total;
    }

    void fileDone(long fileBytes) {
      int n = done.incrementAndGet();
      long b = bytes.addAndGet(fileBytes);
      long now = System.nanoTime();
      long last = lastLogNanos.get();
      if (logged && (n == 1 || n == total || (now - last >= LOG_EVERY_NANOS && lastLogNanos.compareAndSet(last, now)))) {
        double seconds = Math.max(1e-9, (now - startNanos) / 1e9);
        log.info(String.format("registration: %d/%d files, %.1f MB in %.1f s (%.1f MB/s)", n, total, b / 1e6, seconds, b / 1e6 / seconds));
      }
    }
  }
}
