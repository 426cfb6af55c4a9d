package io.rrdflight.server;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * When the last call of either door (Rerun's catalog service, Flight SQL) started: a server-wide
 * interceptor notes each call as it arrives, before authentication (a refused call was a client there
 * too). Work done only as a head start ({@code ServerWarmup}) waits for a spell without calls, so that
 * on two cores it does not take a core, and the JIT's attention, from a client's first calls; the
 * background row counts wait for such a spell too.
 */
public final class CallClock implements ServerInterceptor {
  /** {@link System#nanoTime()} of the last call's start; the clock's making counts as one (the server is just ready). */
  private volatile long lastCall = System.nanoTime();
  private final AtomicLong started = new AtomicLong();

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    started.incrementAndGet();
    lastCall = System.nanoTime();
    return next.startCall(call, headers);
  }

  /** How many calls have started so far. */
  public long started() {
    return started.get();
  }

  /** Whether no call started in the last {@code quiet}. */
  public boolean quietFor(Duration quiet) {
    return System.nanoTime() - lastCall >= quiet.toNanos();
  }
}
