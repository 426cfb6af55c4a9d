package io.rrdflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Status;
import io.rrdflight.catalog.CatalogException;
import io.rrdflight.sql.QueryAbortedException;
import io.rrdflight.sql.SqlQueryException;
import org.apache.arrow.flight.CallStatus;
import org.junit.jupiter.api.Test;

/** One mapping for both doors: the same failure gets the same code, and internals stay in the log. */
class FailureStatusTest {
  private static Status.Code code(Throwable t) {
    return FailureStatus.of(t, "Call").getCode();
  }

  @Test
  void userFaultsKeepTheirMessage() {
    assertEquals(Status.Code.NOT_FOUND, code(CatalogException.notFound("No dataset named 'x'")));
    assertEquals(Status.Code.ALREADY_EXISTS, code(CatalogException.alreadyExists("exists")));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(CatalogException.invalidArgument("bad")));
    assertEquals(Status.Code.PERMISSION_DENIED, code(CatalogException.permissionDenied("outside")));
    assertEquals(Status.Code.FAILED_PRECONDITION, code(CatalogException.failed("file changed", null)));
    Status sql = FailureStatus.of(new SqlQueryException("Column 'nope' not found"), "Query");
    assertEquals(Status.Code.INVALID_ARGUMENT, sql.getCode());
    assertEquals("Column 'nope' not found", sql.getDescription());
    // Our own messages are for the user whatever their cause; wrapped failures only when the cause is the user's.
    assertEquals(Status.Code.INVALID_ARGUMENT, code(new SqlQueryException("query_view: Unknown index timeline 'x'",
        new IllegalArgumentException("Unknown index timeline 'x'"))));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(SqlQueryException.wrapping("Column 'x' not found",
        new java.sql.SQLException("wrapped", new org.apache.calcite.sql.validate.SqlValidatorException("Column 'x' not found", null)))));
    // A catalog failure inside a query keeps the catalog's code.
    assertEquals(Status.Code.FAILED_PRECONDITION, code(new SqlQueryException("x", CatalogException.failed("file changed", null))));
  }

  @Test
  void limitsHaveTheirOwnCodes() {
    assertEquals(Status.Code.CANCELLED, code(new QueryAbortedException(QueryAbortedException.Reason.CANCELLED, "cancelled")));
    assertEquals(Status.Code.DEADLINE_EXCEEDED,
        code(new SqlQueryException("x", new QueryAbortedException(QueryAbortedException.Reason.DEADLINE_EXCEEDED, "late"))));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, code(new QueryAbortedException(QueryAbortedException.Reason.MEMORY_EXHAUSTED, "big")));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, code(new RuntimeException(new org.apache.arrow.memory.OutOfMemoryException("limit"))));
  }

  @Test
  void serverFaultsAreInternalWithoutInternals() {
    for (Throwable t : new Throwable[] {new NullPointerException("Cannot invoke \"org.apache.calcite.rel.RelNode.getInput()\""),
        SqlQueryException.wrapping("RelOptPlanner: could not implement", new IllegalStateException("planner state")),
        CatalogException.internal("Catalog store error: [SQLITE_ERROR]", null), new AssertionError("Calcite assertion")}) {
      Status s = FailureStatus.of(t, "Query");
      assertEquals(Status.Code.INTERNAL, s.getCode(), t.toString());
      assertTrue(s.getDescription().startsWith("Internal error in Query (reference "), s.getDescription());
      for (String leaked : new String[] {"calcite", "Calcite", "SQLITE", "Exception", "planner", "NullPointer"}) {
        assertFalse(s.getDescription().contains(leaked), s.getDescription());
      }
    }
  }

  @Test
  void malformedRequestsAreInvalidArgument() {
    assertEquals(Status.Code.INVALID_ARGUMENT, code(new RuntimeException(new InvalidProtocolBufferException("truncated message"))));
  }

  @Test
  void statusesAlreadyMadePassUnchanged() {
    assertEquals(Status.Code.UNAUTHENTICATED, code(Status.UNAUTHENTICATED.withDescription("no token").asRuntimeException()));
    assertEquals(Status.Code.PERMISSION_DENIED, code(CallStatus.UNAUTHORIZED.withDescription("reader").toRuntimeException()));
  }
}
