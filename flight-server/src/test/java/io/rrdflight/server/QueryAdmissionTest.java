package io.rrdflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Admission: the running slots, then a bounded queue, then RESOURCE_EXHAUSTED; each admitted query
 * with its own budget. A stream gate: its slots, then any number waiting until the deadline; through
 * {@code admitWhenFree} they wait without a thread.
 */
class QueryAdmissionTest {
  final BufferAllocator root = new RootAllocator();

  @AfterEach
  void noLeaks() {
    root.close();
  }

  /** The defaults with {@code running} slots, {@code queued} places in the queue, and a 64 KiB query budget. */
  static ServerLimits limits(int running, int queued) {
    return TestLimits.queries(ServerLimits.DEFAULTS.queryTimeout(), 64 << 10, running, queued);
  }

  AdmittedQuery admit(QueryAdmission admission) {
    return admission.admit(root, () -> false);
  }

  @Test
  void withNoQueuePlaceLeftTheNextQueryIsTurnedAwayAtOnce() {
    QueryAdmission admission = new QueryAdmission(limits(1, 0));
    AdmittedQuery first = admit(admission);
    StatusRuntimeException busy = assertThrows(StatusRuntimeException.class, () -> admit(admission));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, busy.getStatus().getCode());
    assertTrue(busy.getStatus().getDescription().contains("--max-queries"), busy.getStatus().getDescription());
    first.close();
    admit(admission).close(); // the slot is free again
  }

  @Test
  void aCallThatHoldsNoSlotStillKeepsTheBackgroundWorkWaiting() {
    QueryAdmission admission = new QueryAdmission(limits(1, 0));
    CallClock calls = new CallClock(); // its making counts as a call, just now
    Duration quiet = Duration.ofHours(1);
    assertFalse(admission.busyWithin(quiet), "no query ran");
    assertTrue(RrdflightServer.clientsActiveWithin(admission, calls, quiet), "a call started within the spell");
    assertFalse(RrdflightServer.clientsActiveWithin(admission, calls, Duration.ZERO), "nothing within no spell");
    AdmittedQuery running = admit(admission);
    assertTrue(RrdflightServer.clientsActiveWithin(admission, calls, Duration.ZERO), "a query runs");
    running.close();
  }

  @Test
  void saysWhetherQueriesRunForTheWorkThatGivesWayToThem() {
    QueryAdmission admission = new QueryAdmission(limits(2, 0));
    assertFalse(admission.queriesRunning());
    AdmittedQuery first = admit(admission);
    assertTrue(admission.queriesRunning());
    first.close();
    assertFalse(admission.queriesRunning());
  }

  @Test
  void aStreamGatesHeldSlotCountsAsARunningQueryOfItsAdmission() {
    QueryAdmission admission = new QueryAdmission(limits(2, 0));
    QueryAdmission gate = admission.streamGate(4);
    AdmittedQuery stream = admit(gate);
    assertTrue(admission.queriesRunning());
    assertTrue(admission.busyWithin(Duration.ZERO));
    stream.close();
    assertFalse(admission.queriesRunning());
  }

  @Test
  void staysBusyForTheQuietSpellAfterAQueryOrARegistrationEnds() {
    QueryAdmission admission = new QueryAdmission(limits(2, 0));
    assertFalse(admission.busyWithin(Duration.ofMinutes(1)), "nothing ran yet");
    admit(admission).close();
    assertTrue(admission.busyWithin(Duration.ofDays(1)), "within the quiet spell");
    assertFalse(admission.busyWithin(Duration.ZERO), "no quiet spell asked");
    QueryAdmission other = new QueryAdmission(limits(2, 0));
    other.noteActivity();
    assertTrue(other.busyWithin(Duration.ofDays(1)));
  }

  @Test
  void aQueuedQueryRunsWhenTheSlotFrees() throws Exception {
    QueryAdmission admission = new QueryAdmission(limits(1, 1));
    AdmittedQuery first = admit(admission);
    CompletableFuture<AdmittedQuery> queued = CompletableFuture.supplyAsync(() -> admit(admission));
    first.close();
    queued.get(30, TimeUnit.SECONDS).close();
  }

  @Test
  void aQueuedQueryGivesUpAfterTheWait() {
    QueryAdmission admission = new QueryAdmission(limits(1, 4), Duration.ofMillis(50));
    try (AdmittedQuery first = admit(admission)) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> admit(admission));
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    }
  }

  @Test
  void aQueuedQueryWhoseClientLeftGivesItsPlaceUp() throws Exception {
    QueryAdmission admission = new QueryAdmission(limits(1, 1));
    AtomicBoolean left = new AtomicBoolean();
    try (AdmittedQuery first = admit(admission)) {
      CompletableFuture<AdmittedQuery> queued = CompletableFuture.supplyAsync(() -> admission.admit(root, left::get));
      left.set(true);
      Throwable e = assertThrows(Exception.class, () -> queued.get(30, TimeUnit.SECONDS)).getCause();
      assertEquals(Status.Code.CANCELLED, ((StatusRuntimeException) e).getStatus().getCode());
      // Its place is free: one more may wait (and is turned away only for want of a slot, later).
      CompletableFuture<AdmittedQuery> next = CompletableFuture.supplyAsync(() -> admit(admission));
      first.close();
      next.get(30, TimeUnit.SECONDS).close();
    }
  }

  @Test
  void anAdmittedQueryHasItsBudgetAndClosingItFreesTheSlotAndTheAllocator() {
    QueryAdmission admission = new QueryAdmission(limits(1, 0));
    try (AdmittedQuery query = admit(admission)) {
      assertEquals(64 << 10, query.allocator().getLimit());
      assertEquals(64 << 10, query.context().memoryBudget());
      assertThrows(org.apache.arrow.memory.OutOfMemoryException.class, () -> query.allocator().buffer(128 << 10));
      try (ArrowBuf fits = query.allocator().buffer(32 << 10)) {
        assertEquals(32 << 10, query.allocator().getAllocatedMemory());
      }
    }
    admit(admission).close();
    assertEquals(0, root.getChildAllocators().size());
  }

  @Test
  void aGateLetsAnyNumberWaitAndEachRunsWhenASlotFrees() throws Exception {
    QueryAdmission gate = new QueryAdmission(limits(1, 0)).streamGate(2);
    AdmittedQuery first = admit(gate);
    AdmittedQuery second = admit(gate);
    // As Rerun's reader does: 24 at once, beyond any queue bound; none is turned away.
    ExecutorService threads = Executors.newFixedThreadPool(24);
    try {
      List<CompletableFuture<Void>> waiting = new ArrayList<>();
      for (int i = 0; i < 24; i++) {
        waiting.add(CompletableFuture.runAsync(() -> admit(gate).close(), threads));
      }
      first.close();
      second.close();
      for (CompletableFuture<Void> w : waiting) {
        w.get(30, TimeUnit.SECONDS);
      }
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void aGateWaitEndsAtTheDeadlineAndCountsInIt() {
    QueryAdmission gate = new QueryAdmission(TestLimits.queries(Duration.ofMillis(300), 64 << 10, 1, 0)).streamGate(1);
    try (AdmittedQuery first = admit(gate)) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> admit(gate));
      assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
      assertTrue(e.getStatus().getDescription().contains("--query-timeout"), e.getStatus().getDescription());
    }
  }

  @Test
  void aGateWaiterWhoseClientLeftGivesUp() throws Exception {
    QueryAdmission gate = new QueryAdmission(limits(1, 0)).streamGate(1);
    try (AdmittedQuery first = admit(gate)) {
      CompletableFuture<AdmittedQuery> waiting = CompletableFuture.supplyAsync(() -> gate.admit(root, () -> true));
      Throwable e = assertThrows(Exception.class, () -> waiting.get(30, TimeUnit.SECONDS)).getCause();
      assertEquals(Status.Code.CANCELLED, ((StatusRuntimeException) e).getStatus().getCode());
    }
  }

  @Test
  void aGateTakesNoSlotOfItsAdmission() {
    QueryAdmission admission = new QueryAdmission(limits(1, 0));
    try (AdmittedQuery stream = admit(admission.streamGate(1))) {
      admit(admission).close();
    }
  }

  /** Runs each task on a thread of its own, as the server's cached stream pool may; counts the threads it started. */
  static final class CountingExecutor implements Executor {
    final AtomicInteger started = new AtomicInteger();

    @Override
    public void execute(Runnable task) {
      started.incrementAndGet();
      Thread t = new Thread(task, "counted");
      t.setDaemon(true);
      t.start();
    }
  }

  /** The outcome of one admitWhenFree call: null once its work ran (and closed the query), else the refusal. */
  CompletableFuture<Status.Code> admitWhenFree(QueryAdmission gate, Executor executor, AtomicBoolean left) {
    return admitWhenFree(gate, executor, left, () -> {});
  }

  /** As above, running {@code whileAdmitted} while it holds its slot. */
  CompletableFuture<Status.Code> admitWhenFree(QueryAdmission gate, Executor executor, AtomicBoolean left, Runnable whileAdmitted) {
    CompletableFuture<Status.Code> done = new CompletableFuture<>();
    gate.admitWhenFree(root, left::get, executor, query -> {
      try {
        whileAdmitted.run();
      } finally {
        query.close();
      }
      done.complete(Status.Code.OK);
    }, refused -> done.complete(((StatusRuntimeException) refused).getStatus().getCode()));
    return done;
  }

  @Test
  void gateWaitersHoldNoThreadAndEachRunsWhenASlotFrees() throws Exception {
    QueryAdmission gate = new QueryAdmission(limits(1, 0)).streamGate(1);
    CountingExecutor executor = new CountingExecutor();
    AdmittedQuery first = admit(gate);
    List<CompletableFuture<Status.Code>> waiting = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      waiting.add(admitWhenFree(gate, executor, new AtomicBoolean()));
    }
    // 500 calls wait, and not one thread was started for them.
    assertEquals(0, executor.started.get());
    assertTrue(waiting.stream().noneMatch(CompletableFuture::isDone));
    first.close();
    for (CompletableFuture<Status.Code> w : waiting) {
      assertEquals(Status.Code.OK, w.get(30, TimeUnit.SECONDS));
    }
    // One thread per call as it ran, one at a time; the slot is free again.
    assertEquals(500, executor.started.get());
    admit(gate).close();
  }

  @Test
  void aGateWaiterWithoutAThreadEndsAtTheDeadlineOrWhenItsClientLeaves() throws Exception {
    QueryAdmission gate = new QueryAdmission(TestLimits.queries(Duration.ofMillis(300), 64 << 10, 1, 0)).streamGate(1);
    CountingExecutor executor = new CountingExecutor();
    AtomicBoolean left = new AtomicBoolean();
    try (AdmittedQuery first = admit(gate)) {
      CompletableFuture<Status.Code> late = admitWhenFree(gate, executor, new AtomicBoolean());
      CompletableFuture<Status.Code> gone = admitWhenFree(gate, executor, left);
      left.set(true);
      // The sweeper ends both while the slot stays taken: no slot has to free for a waiter to stop.
      assertEquals(Status.Code.CANCELLED, gone.get(30, TimeUnit.SECONDS));
      assertEquals(Status.Code.DEADLINE_EXCEEDED, late.get(30, TimeUnit.SECONDS));
    }
    assertEquals(0, executor.started.get());
    admit(gate).close();
  }

  @Test
  void admissionWithoutAThreadKeepsTheQueueBound() throws Exception {
    QueryAdmission admission = new QueryAdmission(limits(1, 1));
    CountingExecutor executor = new CountingExecutor();
    try (AdmittedQuery first = admit(admission)) {
      CompletableFuture<Status.Code> queued = admitWhenFree(admission, executor, new AtomicBoolean());
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, admitWhenFree(admission, executor, new AtomicBoolean()).get(30, TimeUnit.SECONDS));
      assertFalse(queued.isDone());
      first.close();
      assertEquals(Status.Code.OK, queued.get(30, TimeUnit.SECONDS));
    }
  }

  /** Waits until {@code n} calls wait in {@code admission}'s queue: the next one then arrives after them. */
  static void awaitWaiting(QueryAdmission admission, int n) throws InterruptedException {
    for (int i = 0; admission.waiting() != n; i++) {
      if (i > 30_000) {
        throw new AssertionError(admission.waiting() + " waiting, expected " + n);
      }
      Thread.sleep(1);
    }
  }

  @Test
  void blockingAndThreadlessWaitersShareOneQueueAndOneCapAndRunInArrivalOrder() throws Exception {
    QueryAdmission admission = new QueryAdmission(limits(1, 6));
    List<String> order = java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicInteger holding = new AtomicInteger();
    AtomicInteger mostAtOnce = new AtomicInteger();
    ExecutorService threads = Executors.newCachedThreadPool();
    CountingExecutor executor = new CountingExecutor();
    try {
      AdmittedQuery first = admit(admission);
      List<CompletableFuture<?>> waiting = new ArrayList<>();
      List<String> arrivals = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        String name = (i % 3 == 1 ? "threadless-" : "blocking-") + i;
        Runnable whileAdmitted = () -> {
          mostAtOnce.accumulateAndGet(holding.incrementAndGet(), Math::max);
          order.add(name);
          holding.decrementAndGet();
        };
        if (i % 3 == 1) {
          waiting.add(admitWhenFree(admission, executor, new AtomicBoolean(), whileAdmitted));
        } else {
          waiting.add(CompletableFuture.runAsync(() -> {
            try (AdmittedQuery query = admit(admission)) {
              whileAdmitted.run();
            }
          }, threads));
        }
        arrivals.add(name);
        awaitWaiting(admission, i + 1);
      }
      // The queue is full for both kinds of caller: one bound, not one each.
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, admitWhenFree(admission, executor, new AtomicBoolean()).get(30, TimeUnit.SECONDS));
      StatusRuntimeException busy = assertThrows(StatusRuntimeException.class, () -> admit(admission));
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, busy.getStatus().getCode());

      first.close();
      for (CompletableFuture<?> w : waiting) {
        w.get(30, TimeUnit.SECONDS);
      }
      assertEquals(arrivals, order);
      assertEquals(1, mostAtOnce.get());
      admit(admission).close(); // the slot is free again
    } finally {
      threads.shutdownNow();
    }
  }
}
