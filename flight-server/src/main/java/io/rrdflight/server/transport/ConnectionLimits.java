package io.rrdflight.server.transport;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The limits every connection of the shared port is held to before gRPC sees it: at most
 * {@code maxConnections} open at once (one more is closed as soon as it opens), and each must send
 * its first bytes (the HTTP/2 preface or an HTTP/1.1 request head) within {@code firstBytesTimeout},
 * so half-open connections cannot pile up. Counts the open connections of one server.
 */
public final class ConnectionLimits {
  private static final Logger log = LoggerFactory.getLogger(ConnectionLimits.class);
  public static final ConnectionLimits DEFAULTS = new ConnectionLimits(512, Duration.ofSeconds(10));
  /** Refusals are logged at most this often, so a flood does not flood the log. */
  private static final long LOG_EVERY_NANOS = 10_000_000_000L;

  private final int maxConnections;
  private final Duration firstBytesTimeout;
  private final AtomicInteger open = new AtomicInteger();
  private volatile long lastLogNanos = System.nanoTime() - LOG_EVERY_NANOS;

  public ConnectionLimits(int maxConnections, Duration firstBytesTimeout) {
    if (maxConnections <= 0) {
      throw new IllegalArgumentException("maxConnections must be positive: " + maxConnections);
    }
    this.maxConnections = maxConnections;
    this.firstBytesTimeout = requireNonNull(firstBytesTimeout, "firstBytesTimeout is null");
  }

  Duration firstBytesTimeout() {
    return firstBytesTimeout;
  }

  /** Counts a new connection; false (and nothing counted) when the cap is reached. */
  boolean tryOpen() {
    while (true) {
      int n = open.get();
      if (n >= maxConnections) {
        long now = System.nanoTime();
        if (now - lastLogNanos >= LOG_EVERY_NANOS) {
          lastLogNanos = now;
          log.warn("refusing connections: {} are open (--max-connections)", n);
        }
        return false;
      }
      if (open.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  void closed() {
    open.decrementAndGet();
  }

  /** Connections open now (for tests and metrics). */
  public int open() {
    return open.get();
  }
}
