package io.rrdflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.rrdflight.sql.QueryAbortedException;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The slices of a split query share one admission slot and budget on a server, and take turns in
 * ticket order, so that the slice a client reads first is never the one left waiting.
 */
class QuerySharesTest {
  final BufferAllocator root = new RootAllocator();
  final UUID query = UUID.randomUUID();
  /** Not the common pool: it may have a single thread here, and these tasks block. */
  final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void noLeaks() {
    threads.shutdownNow();
    root.close(); // fails when a share's or a slice's allocator is still open
  }

  /** {@code running} query slots, no queue, a 1 MiB budget and {@code turns} query workers. */
  static ServerLimits limits(int running, int turns) {
    ServerLimits d = TestLimits.queries(Duration.ofMinutes(10), 1 << 20, running, 0);
    return new ServerLimits(d.queryTimeout(), d.queryMemoryBytes(), d.maxQueries(), d.maxQueuedQueries(), d.maxSqlChars(),
        d.maxMessageBytes(), d.maxConnections(), d.maxCallsPerConnection(), d.firstBytesTimeout(), d.connectionIdleTimeout(),
        d.maxPrefixFiles(), turns, d.chunkCacheBytes());
  }

  AdmittedQuery slice(QueryShares shares, int index) {
    return shares.admit(query, index, root, () -> false);
  }

  CompletableFuture<AdmittedQuery> waitingSlice(QueryShares shares, int index, int waitingAfter) throws InterruptedException {
    CompletableFuture<AdmittedQuery> slice = CompletableFuture.supplyAsync(() -> slice(shares, index), threads);
    awaitWaiting(shares, waitingAfter);
    return slice;
  }

  void awaitWaiting(QueryShares shares, int n) throws InterruptedException {
    while (shares.waiting(query) != n) {
      Thread.sleep(5);
    }
  }

  @Test
  void theSlicesOfAQueryTakeOneSlotAndGiveItBackWithTheLast() {
    QueryAdmission admission = new QueryAdmission(limits(1, 4));
    QueryShares shares = new QueryShares(admission, limits(1, 4));
    AdmittedQuery first = slice(shares, 0);
    AdmittedQuery second = slice(shares, 1);
    StatusRuntimeException busy = assertThrows(StatusRuntimeException.class, () -> admission.admit(root, () -> false));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, busy.getStatus().getCode());
    first.close();
    assertEquals(1, shares.active());
    second.close();
    assertEquals(0, shares.active());
    admission.admit(root, () -> false).close(); // the slot is free again
  }

  @Test
  void theSlicesShareOneBudget() {
    QueryShares shares = new QueryShares(new QueryAdmission(limits(2, 2)), limits(2, 2));
    try (AdmittedQuery first = slice(shares, 0); AdmittedQuery second = slice(shares, 1)) {
      assertEquals((1 << 20) / 2, first.context().memoryBudget()); // what sizes its scan: its share of the turns
      try (ArrowBuf held = first.allocator().buffer(768 << 10)) {
        assertThrows(org.apache.arrow.memory.OutOfMemoryException.class, () -> second.allocator().buffer(512 << 10).close());
      }
    }
  }

  @Test
  void beyondTheTurnsSlicesWaitAndRunInTicketOrder() throws Exception {
    QueryShares shares = new QueryShares(new QueryAdmission(limits(1, 1)), limits(1, 1));
    AdmittedQuery first = slice(shares, 0);
    CompletableFuture<AdmittedQuery> third = waitingSlice(shares, 2, 1);
    CompletableFuture<AdmittedQuery> second = waitingSlice(shares, 1, 2);
    first.close();
    AdmittedQuery running = second.get(30, TimeUnit.SECONDS); // the lower index, though it came later
    assertFalse(third.isDone());
    running.close();
    third.get(30, TimeUnit.SECONDS).close();
    assertEquals(0, shares.active());
  }

  @Test
  void aSliceLowerThanEveryRunningOneRunsAtOnce() {
    // ADBC opens every endpoint at once and reads endpoint 0 first; the later ones stop on flow
    // control until it gets to them, so endpoint 0 waiting for their turn would never run.
    QueryShares shares = new QueryShares(new QueryAdmission(limits(1, 1)), limits(1, 1));
    try (AdmittedQuery late = slice(shares, 3); AdmittedQuery first = slice(shares, 0)) {
      assertEquals(0, shares.waiting(query));
    }
  }

  @Test
  void aSliceWithLowerOnesStillOnTheirWayLetsThemGoFirst() throws Exception {
    // ADBC's calls arrive in no set order, its last endpoint often first: had it taken a turn, the
    // lower ones would arrive to a full set of turns and run beyond it.
    QueryShares shares = new QueryShares(new QueryAdmission(limits(1, 2)), limits(1, 2), Duration.ofDays(1));
    CompletableFuture<AdmittedQuery> last = waitingSlice(shares, 3, 1);
    AdmittedQuery first = slice(shares, 0); // nothing below it: at once
    AdmittedQuery second = slice(shares, 1);
    first.close();
    AdmittedQuery third = slice(shares, 2); // the free turn goes to it, not to 3, which still waits
    assertEquals(1, shares.waiting(query));
    second.close();
    last.get(30, TimeUnit.SECONDS).close(); // every slice below 3 came: it takes the free turn
    third.close();
    assertEquals(0, shares.active());
  }

  @Test
  void aWaitingSliceWhoseClientLeftIsCancelledAndTheOthersCarryOn() throws Exception {
    QueryShares shares = new QueryShares(new QueryAdmission(limits(1, 1)), limits(1, 1));
    AtomicBoolean left = new AtomicBoolean();
    try (AdmittedQuery first = slice(shares, 0)) {
      CompletableFuture<AdmittedQuery> waiting = CompletableFuture.supplyAsync(() -> shares.admit(query, 1, root, left::get), threads);
      awaitWaiting(shares, 1);
      left.set(true);
      ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(30, TimeUnit.SECONDS));
      assertEquals(Status.Code.CANCELLED, ((StatusRuntimeException) e.getCause()).getStatus().getCode());
      assertEquals(1, shares.active());
    }
    assertEquals(0, shares.active());
  }

  @Test
  void theQuerysDeadlineStopsItsWaitingSlices() throws Exception {
    ServerLimits limits = limits(1, 1);
    limits = new ServerLimits(Duration.ofMillis(300), limits.queryMemoryBytes(), limits.maxQueries(), limits.maxQueuedQueries(),
        limits.maxSqlChars(), limits.maxMessageBytes(), limits.maxConnections(), limits.maxCallsPerConnection(),
        limits.firstBytesTimeout(), limits.connectionIdleTimeout(), limits.maxPrefixFiles(), limits.queryWorkers(),
        limits.chunkCacheBytes());
    QueryShares shares = new QueryShares(new QueryAdmission(limits), limits);
    try (AdmittedQuery first = slice(shares, 0)) {
      CompletableFuture<AdmittedQuery> waiting = waitingSlice(shares, 1, 1);
      ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(30, TimeUnit.SECONDS));
      assertEquals(QueryAbortedException.Reason.DEADLINE_EXCEEDED, ((QueryAbortedException) e.getCause()).reason());
    }
    assertEquals(0, shares.active());
  }

  @Test
  void aQueryWithNoSlotFailsEverySliceAndAnIdWhoseSlicesEndedStartsAgain() throws Exception {
    QueryAdmission admission = new QueryAdmission(limits(1, 2));
    QueryShares shares = new QueryShares(admission, limits(1, 2));
    try (AdmittedQuery other = admission.admit(root, () -> false)) {
      StatusRuntimeException busy = assertThrows(StatusRuntimeException.class, () -> slice(shares, 0));
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, busy.getStatus().getCode());
      assertEquals(0, shares.active());
    }
    try (AdmittedQuery again = slice(shares, 1)) {
      assertEquals(1, shares.active());
    }
  }
}
