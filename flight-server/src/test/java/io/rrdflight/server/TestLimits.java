package io.rrdflight.server;

import java.time.Duration;

/** {@link ServerLimits} for tests: the defaults with other query limits. */
public final class TestLimits {
  private TestLimits() {}

  /** The defaults with this deadline, memory budget, running slots and queue places. */
  public static ServerLimits queries(Duration timeout, long memoryBytes, int running, int queued) {
    ServerLimits d = ServerLimits.DEFAULTS;
    return new ServerLimits(timeout, memoryBytes, running, queued, d.maxSqlChars(), d.maxMessageBytes(), d.maxConnections(),
        d.maxCallsPerConnection(), d.firstBytesTimeout(), d.connectionIdleTimeout(), d.maxPrefixFiles(), d.queryWorkers(),
        d.chunkCacheBytes());
  }
}
