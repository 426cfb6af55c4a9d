package io.rrdflight.server.flightsql;

import com.google.protobuf.ByteString;
import io.rrdflight.sql.PreparedQuery;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.arrow.flight.CallStatus;

/** Open prepared statements by handle, with the parameter values the client bound last. */
final class PreparedStatements implements AutoCloseable {

  /** One open statement; {@code parameters} is replaced as a whole when the client binds new values. */
  static final class Entry {
    final PreparedQuery query;
    volatile List<Object> parameters = List.of();

    Entry(PreparedQuery query) {
      this.query = Objects.requireNonNull(query, "query is null");
    }
  }

  private final Map<ByteString, Entry> open = new ConcurrentHashMap<>();

  ByteString add(PreparedQuery query) {
    ByteString handle = ByteString.copyFromUtf8(UUID.randomUUID().toString());
    open.put(handle, new Entry(query));
    return handle;
  }

  Entry get(ByteString handle) {
    Entry entry = open.get(handle);
    if (entry == null) {
      throw CallStatus.NOT_FOUND.withDescription("Unknown or closed prepared statement handle").toRuntimeException();
    }
    return entry;
  }

  void close(ByteString handle) {
    // The query itself belongs to the engine's plan cache, which may share it with other handles.
    open.remove(handle);
  }

  @Override
  public void close() {
    open.keySet().forEach(this::close);
  }
}
