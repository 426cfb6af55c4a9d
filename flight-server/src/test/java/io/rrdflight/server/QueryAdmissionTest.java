package io.rrdflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Admission: the running slots, then a bounded queue, then RESOURCE_EXHAUSTED; each admitted query with its own budget. */
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
}
