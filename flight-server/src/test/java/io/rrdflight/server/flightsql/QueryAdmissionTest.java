package io.rrdflight.server.flightsql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Admission: the running slots, then a bounded queue, then RESOURCE_EXHAUSTED. */
class QueryAdmissionTest {
  @Test
  void withNoQueuePlaceLeftTheNextQueryIsTurnedAwayAtOnce() {
    QueryAdmission admission = new QueryAdmission(1, 0, Duration.ofMinutes(1));
    admission.enter();
    StatusRuntimeException busy = assertThrows(StatusRuntimeException.class, admission::enter);
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, busy.getStatus().getCode());
    assertTrue(busy.getStatus().getDescription().contains("--max-queries"), busy.getStatus().getDescription());
    admission.leave();
    admission.enter(); // the slot is free again
    admission.leave();
  }

  @Test
  void aQueuedQueryRunsWhenTheSlotFrees() throws Exception {
    QueryAdmission admission = new QueryAdmission(1, 1, Duration.ofMinutes(1));
    admission.enter();
    CompletableFuture<Void> queued = CompletableFuture.runAsync(admission::enter);
    admission.leave();
    queued.get(30, TimeUnit.SECONDS);
    admission.leave();
  }

  @Test
  void aQueuedQueryGivesUpAfterTheWait() {
    QueryAdmission admission = new QueryAdmission(1, 4, Duration.ofMillis(50));
    admission.enter();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, admission::enter);
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    admission.leave();
  }
}
