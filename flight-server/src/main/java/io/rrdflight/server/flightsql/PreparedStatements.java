package io.rrdflight.server.flightsql;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.rrdflight.sql.PreparedQuery;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Open prepared statements by handle, with the parameter values the client bound last. A handle
 * unused for {@code idle} expires (clients that never close theirs, e.g. killed ones, leave nothing
 * behind), and at most {@code max} are open at once.
 */
final class PreparedStatements implements AutoCloseable {

  /** One open statement; {@code parameters} is replaced as a whole when the client binds new values. */
  static final class Entry {
    final PreparedQuery query;
    /** For {@code INSERT INTO table query}: the table; {@link #query} is then the query. */
    final java.util.Optional<String> insertInto;
    volatile List<Object> parameters = List.of();
    volatile long lastUsedNanos = System.nanoTime();

    Entry(PreparedQuery query, java.util.Optional<String> insertInto) {
      this.query = Objects.requireNonNull(query, "query is null");
      this.insertInto = Objects.requireNonNull(insertInto, "insertInto is null");
    }
  }

  private final Map<ByteString, Entry> open = new ConcurrentHashMap<>();
  private final int max;
  private final Duration idle;

  PreparedStatements(int max, Duration idle) {
    this.max = max;
    this.idle = Objects.requireNonNull(idle, "idle is null");
  }

  ByteString add(PreparedQuery query) {
    return add(query, java.util.Optional.empty());
  }

  /** A statement; with {@code insertInto}, an INSERT of the query's rows into that table. */
  ByteString add(PreparedQuery query, java.util.Optional<String> insertInto) {
    expireIdle();
    if (open.size() >= max) {
      throw Status.RESOURCE_EXHAUSTED.withDescription("Too many open prepared statements (" + max
          + "); close the ones you no longer use").asRuntimeException();
    }
    ByteString handle = ByteString.copyFromUtf8(UUID.randomUUID().toString());
    open.put(handle, new Entry(query, insertInto));
    return handle;
  }

  Entry get(ByteString handle) {
    Entry entry = open.get(handle);
    if (entry == null) {
      throw Status.NOT_FOUND.withDescription("Unknown, closed or expired prepared statement handle (handles expire after "
          + idle.toMinutes() + " minutes unused)").asRuntimeException();
    }
    entry.lastUsedNanos = System.nanoTime();
    return entry;
  }

  void close(ByteString handle) {
    // The query itself belongs to the engine's plan cache, which may share it with other handles.
    open.remove(handle);
  }

  int size() {
    return open.size();
  }

  private void expireIdle() {
    long now = System.nanoTime();
    open.values().removeIf(e -> now - e.lastUsedNanos > idle.toNanos());
  }

  @Override
  public void close() {
    open.keySet().forEach(this::close);
  }
}
