package io.rrdflight.server;

import static java.util.Objects.requireNonNull;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.concurrent.CompletableFuture;
import org.apache.arrow.flight.FlightConstants;

/**
 * Whether the Flight SQL door is in use: from its first accepted call (any Flight call the auth layer
 * lets through, a handshake included), or from when the server says so ({@link #markUsed}: a server
 * that serves {@code -d} directories, is in a fleet or starts with recordings is there for SQL too).
 * Work that only saves later SQL queries
 * time waits for it: the background row counts behind a bare {@code COUNT(*)} and, on a server that
 * started empty, the SQL warm-up. A server that only Rerun's SDK uses then never spends a core, or
 * memory, on them beside its clients: while rerun-sdk 0.27.3's client scanned 4 recordings (its own
 * computation on both cores, with pauses of seconds between calls), the counts took 4.7 s of the
 * server's 8.3 s of CPU and its peak RSS from 210 to 965 MB (scripts/bench/README.md).
 */
public final class SqlDoorUse implements ServerInterceptor {
  private final CompletableFuture<Void> used = new CompletableFuture<>();

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    if (!used.isDone() && FlightConstants.SERVICE.equals(call.getMethodDescriptor().getServiceName())) {
      used.complete(null);
    }
    return next.startCall(call, headers);
  }

  /** From now on the door counts as used (once the server knows SQL is what it serves). */
  public void markUsed() {
    used.complete(null);
  }

  public boolean isUsed() {
    return used.isDone();
  }

  /**
   * Runs {@code action} once the door is used, on a daemon thread of its own named {@code name} (never
   * on the call that marked it: the action may read the catalog); at once if it already is.
   */
  public void whenUsed(String name, Runnable action) {
    requireNonNull(name, "name is null");
    requireNonNull(action, "action is null");
    used.thenRunAsync(action, r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      t.start();
    });
  }
}
