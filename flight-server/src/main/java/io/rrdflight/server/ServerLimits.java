package io.rrdflight.server;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Locale;

/**
 * Every bound the server puts on what one client can make it do, with the defaults a shared box
 * needs. The CLI sets most of them (see {@code rrdflight server --help}); the README lists them all.
 *
 * @param queryTimeout how long one SQL query may run (--query-timeout)
 * @param queryMemoryBytes the memory one SQL query may hold: its Arrow buffers and the rows the row
 *     engine keeps (--query-memory)
 * @param maxQueries queries running at once, SQL and Rerun's QueryDataset and FindChunks streams
 *     (--max-queries); more wait in a queue. FetchChunks streams take turns at a gate of their own
 *     ({@link QueryAdmission#streamGate})
 * @param maxQueuedQueries SQL queries waiting for a slot (--max-queued-queries); beyond that, and
 *     after {@link #QUEUE_WAIT}, a query fails with RESOURCE_EXHAUSTED
 * @param maxSqlChars the longest SQL text accepted (--max-sql-length)
 * @param maxMessageBytes the largest gRPC message a client may send (--max-message-size)
 * @param maxConnections open connections at once (--max-connections); more are closed at once
 * @param maxCallsPerConnection concurrent calls on one connection (--max-calls-per-connection)
 * @param firstBytesTimeout how long a new connection may stay silent before it says which protocol
 *     it speaks (--first-bytes-timeout)
 * @param connectionIdleTimeout how long a connection may stay open without a call (--idle-timeout)
 * @param maxPrefixFiles the most entries a prefix registration walks (--max-prefix-files)
 * @param queryWorkers threads one SQL query's scan computes index windows on (--query-workers);
 *     fewer when their windows would not fit half of {@code queryMemoryBytes}
 * @param chunkCacheBytes decoded chunks kept across SQL queries, in bytes of Arrow memory
 *     (--chunk-cache); {@link #CHUNK_CACHE_AUTO} for half of Arrow's memory when one query's budget
 *     leaves a quarter of it, else what it leaves (see DirectMemory), 0 for none
 */
public record ServerLimits(
    Duration queryTimeout,
    long queryMemoryBytes,
    int maxQueries,
    int maxQueuedQueries,
    int maxSqlChars,
    int maxMessageBytes,
    int maxConnections,
    int maxCallsPerConnection,
    Duration firstBytesTimeout,
    Duration connectionIdleTimeout,
    int maxPrefixFiles,
    int queryWorkers,
    long chunkCacheBytes) {

  /** {@code chunkCacheBytes}: sized from the Arrow memory and the query budget (the default; see DirectMemory). */
  public static final long CHUNK_CACHE_AUTO = -1;

  /** How long a query waits in the admission queue before it fails with RESOURCE_EXHAUSTED. */
  public static final Duration QUEUE_WAIT = Duration.ofSeconds(60);
  /**
   * How much a connection may have written but not yet sent before gRPC holds back. HTTP/2's flow
   * controller writes at most this (less what is queued) per turn and flushes, so netty's default
   * (32-64 KB) cut a FetchChunks stream into ~27 KB flushes: over TLS, a partial record and a wrap
   * per flush (scripts/bench/security_cost.py --traffic). One message of chunks (1 MB) per turn.
   * Not a memory bound across connections: the bytes in these buffers are part of what gRPC counts
   * as a stream's queued bytes (isReady), so the Rerun streams hold at most about a message each and
   * only while admitted (see redap's FlowControlledSender), whatever the connection count.
   */
  public static final io.netty.channel.WriteBufferWaterMark WRITE_BUFFER = new io.netty.channel.WriteBufferWaterMark(1 << 20, 2 << 20);
  /** The largest gRPC header block a client may send (gRPC's own default is 8 KiB). */
  public static final int MAX_HEADER_BYTES = 16 << 10;
  /** Open prepared-statement handles, all clients together. */
  public static final int MAX_PREPARED_STATEMENTS = 10_000;
  /** A prepared-statement handle unused this long is closed; its client gets NOT_FOUND. */
  public static final Duration PREPARED_STATEMENT_IDLE = Duration.ofHours(1);
  /** Query tickets issued (GetFlightInfo) but not yet fetched (DoGet), all clients together. */
  public static final int MAX_PENDING_EXECUTIONS = 10_000;

  public static final ServerLimits DEFAULTS = new ServerLimits(
      Duration.ofSeconds(600),
      512L << 20,
      8,
      32,
      256 << 10,
      64 << 20,
      512,
      100,
      Duration.ofSeconds(10),
      Duration.ofMinutes(30),
      100_000,
      Runtime.getRuntime().availableProcessors(),
      CHUNK_CACHE_AUTO);

  public ServerLimits {
    requireNonNull(queryTimeout, "queryTimeout is null");
    requireNonNull(firstBytesTimeout, "firstBytesTimeout is null");
    requireNonNull(connectionIdleTimeout, "connectionIdleTimeout is null");
    positive(queryTimeout, "queryTimeout");
    positive(firstBytesTimeout, "firstBytesTimeout");
    positive(connectionIdleTimeout, "connectionIdleTimeout");
    positive(queryMemoryBytes, "queryMemoryBytes");
    positive(maxQueries, "maxQueries");
    if (maxQueuedQueries < 0) {
      throw new IllegalArgumentException("maxQueuedQueries must not be negative: " + maxQueuedQueries);
    }
    positive(maxSqlChars, "maxSqlChars");
    positive(maxMessageBytes, "maxMessageBytes");
    positive(maxConnections, "maxConnections");
    positive(maxCallsPerConnection, "maxCallsPerConnection");
    positive(maxPrefixFiles, "maxPrefixFiles");
    positive(queryWorkers, "queryWorkers");
    if (chunkCacheBytes < 0 && chunkCacheBytes != CHUNK_CACHE_AUTO) {
      throw new IllegalArgumentException("chunkCacheBytes must not be negative: " + chunkCacheBytes);
    }
  }

  /** These limits with another {@code queryMemoryBytes}. */
  public ServerLimits withQueryMemoryBytes(long bytes) {
    return new ServerLimits(queryTimeout, bytes, maxQueries, maxQueuedQueries, maxSqlChars, maxMessageBytes, maxConnections,
        maxCallsPerConnection, firstBytesTimeout, connectionIdleTimeout, maxPrefixFiles, queryWorkers, chunkCacheBytes);
  }

  /** These limits with another {@code chunkCacheBytes}. */
  public ServerLimits withChunkCacheBytes(long bytes) {
    return new ServerLimits(queryTimeout, queryMemoryBytes, maxQueries, maxQueuedQueries, maxSqlChars, maxMessageBytes, maxConnections,
        maxCallsPerConnection, firstBytesTimeout, connectionIdleTimeout, maxPrefixFiles, queryWorkers, bytes);
  }

  private static void positive(long value, String name) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive: " + value);
    }
  }

  private static void positive(Duration value, String name) {
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + value);
    }
  }

  /**
   * A size as users write it: bytes, or a number with a binary unit {@code k}, {@code m},
   * {@code g} (case ignored, an optional trailing {@code b} or {@code ib}): {@code 512m},
   * {@code 64MiB}, {@code 2g}, {@code 1048576}.
   */
  public static long parseSize(String text) {
    long value = parseSizeOrZero(text);
    if (value == 0) {
      throw new IllegalArgumentException("a size must be positive: '" + text + "'");
    }
    return value;
  }

  /** As {@link #parseSize}, taking a size of 0 too: for limits where 0 means none ({@code --chunk-cache 0}). */
  public static long parseSizeOrZero(String text) {
    String s = requireNonNull(text, "text is null").trim().toLowerCase(Locale.ROOT).replace("_", "");
    if (s.endsWith("ib")) {
      s = s.substring(0, s.length() - 2);
    } else if (s.endsWith("b")) {
      s = s.substring(0, s.length() - 1);
    }
    int shift = 0;
    if (!s.isEmpty()) {
      switch (s.charAt(s.length() - 1)) {
        case 'k' -> shift = 10;
        case 'm' -> shift = 20;
        case 'g' -> shift = 30;
        default -> shift = 0;
      }
    }
    String digits = shift == 0 ? s : s.substring(0, s.length() - 1);
    if (!digits.matches("\\d{1,12}")) {
      throw new IllegalArgumentException("not a size: '" + text + "' (write e.g. 512m, 2g, 64MiB or a number of bytes)");
    }
    try {
      return Math.multiplyExact(Long.parseLong(digits), 1L << shift);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("not a size: '" + text + "' (too large)");
    }
  }

  /** A size for messages: {@code 512 MiB}, {@code 64 KiB}, {@code 100 bytes}. */
  public static String formatSize(long bytes) {
    if (bytes % (1L << 30) == 0) {
      return (bytes >> 30) + " GiB";
    }
    if (bytes % (1L << 20) == 0) {
      return (bytes >> 20) + " MiB";
    }
    if (bytes % (1L << 10) == 0) {
      return (bytes >> 10) + " KiB";
    }
    return bytes + " bytes";
  }
}
