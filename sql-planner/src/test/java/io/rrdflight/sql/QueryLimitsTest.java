package io.rrdflight.sql;

import static io.rrdflight.rrd.TimelineKind.SEQUENCE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.rrd.NoLeaks;
import io.rrdflight.sql.testing.InMemoryRerunData;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A query's limits reach into the row engine: a query that never produces a row (a recursive CTE
 * counting forever) still stops at its deadline or when cancelled, and rows a sort holds count
 * against the memory budget. The thread that ran the query comes back each time.
 */
@ExtendWith(NoLeaks.class)
class QueryLimitsTest {
  /** Counts forever: the recursion never ends and COUNT(*) never emits a row. */
  static final String ENDLESS = "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT COUNT(*) FROM t";

  private BufferAllocator allocator;
  private SqlEngine engine;

  @BeforeEach
  void setUp(BufferAllocator allocator) {
    this.allocator = allocator;
    InMemoryRerunData data = new InMemoryRerunData();
    long[] frames = new long[400];
    Double[] values = new Double[400];
    for (int i = 0; i < frames.length; i++) {
      frames[i] = i;
      values[i] = (double) i;
    }
    data.chunk("ds", "run-a", "/arm/joint").timeline("frame", SEQUENCE, frames).scalars("Scalars:scalars", values).add();
    engine = new SqlEngine(data, allocator);
  }

  @AfterEach
  void tearDown() {
    engine.close();
  }

  /** Runs {@code sql} to the end under {@code context}, as the Flight door does on its streaming thread. */
  private long run(String sql, QueryContext context) {
    try (QueryContext.Binding bound = context.bind(); ResultBatches batches = engine.prepare(sql).execute(List.of(), allocator, 1024)) {
      long rows = 0;
      while (batches.next()) {
        rows += batches.root().getRowCount();
      }
      return rows;
    }
  }

  private static QueryAbortedException.Reason reasonOf(RuntimeException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof QueryAbortedException a) {
        return a.reason();
      }
    }
    throw new AssertionError("not an aborted query", e);
  }

  @Test
  void anEndlessRecursiveQueryStopsAtItsDeadline() {
    QueryContext context = QueryContext.start(allocator, Duration.ofMillis(300), Long.MAX_VALUE);
    RuntimeException e = assertThrows(RuntimeException.class, () -> run(ENDLESS, context));
    assertEquals(QueryAbortedException.Reason.DEADLINE_EXCEEDED, reasonOf(e));
    assertTrue(e.getMessage().contains("--query-timeout"), e.getMessage());
  }

  @Test
  void cancellingFromAnotherThreadStopsTheQueryAndFreesItsThread() throws Exception {
    QueryContext context = QueryContext.start(allocator, Duration.ofDays(1), Long.MAX_VALUE);
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try {
      CountDownLatch started = new CountDownLatch(1);
      Future<Long> running = executor.submit(() -> {
        started.countDown();
        return run(ENDLESS, context);
      });
      started.await();
      context.cancel("Query cancelled by the client");
      Exception e = assertThrows(Exception.class, () -> running.get(30, TimeUnit.SECONDS));
      assertEquals(QueryAbortedException.Reason.CANCELLED, reasonOf((RuntimeException) e.getCause()));
      // The same thread runs the next query.
      assertEquals(1L, executor.submit(() -> run("SELECT COUNT(*) FROM ds.rerun.frame", QueryContext.start(allocator, Duration.ofDays(1),
          Long.MAX_VALUE))).get(30, TimeUnit.SECONDS));
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  void rowsASortHoldsCountAgainstTheMemoryBudget() {
    String bigSort = "SELECT a.frame, b.frame FROM ds.rerun.frame a, ds.rerun.frame b ORDER BY a.\"/arm/joint:Scalars:scalars\" DESC";
    QueryContext tight = QueryContext.start(allocator, Duration.ofDays(1), 4L << 20);
    RuntimeException e = assertThrows(RuntimeException.class, () -> run(bigSort, tight));
    assertEquals(QueryAbortedException.Reason.MEMORY_EXHAUSTED, reasonOf(e));
    assertTrue(e.getMessage().contains("--query-memory"), e.getMessage());
    // With room, the same query runs: 400 x 400 rows.
    assertEquals(160_000L, run(bigSort, QueryContext.start(allocator, Duration.ofDays(1), 1L << 30)));
  }

  @Test
  void aCountOverManyRowsIsNotChargedPerRow() {
    // An aggregate keeps one group, whatever it reads.
    String count = "SELECT COUNT(*) FROM ds.rerun.frame a, ds.rerun.frame b";
    assertEquals(1L, run(count, QueryContext.start(allocator, Duration.ofDays(1), 8L << 20)));
  }

  @Test
  void checkpointsDoNotHideTheColumnarPlan() {
    assertTrue(engine.prepare("SELECT * FROM ds.rerun.frame").isColumnar());
    assertTrue(engine.prepare("SELECT frame FROM ds.rerun.frame LIMIT 3").isColumnar());
    assertTrue(engine.prepare("SELECT COUNT(*) FROM ds.rerun.frame").isColumnar());
    assertFalse(engine.prepare("SELECT COUNT(*) FROM ds.rerun.frame a, ds.rerun.frame b").isColumnar());
  }

  /** Runs {@code sql} with its batches in a child allocator, as the server does, under {@code budget}. */
  private long runIn(String sql, long budget, int batchRows) {
    try (BufferAllocator query = allocator.newChildAllocator("query", 0, Long.MAX_VALUE)) {
      QueryContext context = QueryContext.start(query, Duration.ofDays(1), budget);
      try (QueryContext.Binding bound = context.bind(); ResultBatches batches = engine.prepare(sql).execute(List.of(), query, batchRows)) {
        long rows = 0;
        while (batches.next()) {
          rows += batches.root().getRowCount();
        }
        return rows;
      }
    }
  }

  @Test
  void batchesAnArrowSortKeepsCountAgainstTheMemoryBudget() {
    String sort = "SELECT frame, \"/arm/joint:Scalars:scalars\" FROM ds.rerun.frame ORDER BY \"/arm/joint:Scalars:scalars\"[1] DESC";
    assertTrue(engine.prepare(sort).isColumnar());
    RuntimeException e = assertThrows(RuntimeException.class, () -> runIn(sort, 16L << 10, 8));
    assertEquals(QueryAbortedException.Reason.MEMORY_EXHAUSTED, reasonOf(e));
    assertTrue(e.getMessage().contains("--query-memory"), e.getMessage());
    assertEquals(400L, runIn("SELECT frame, \"/arm/joint:Scalars:scalars\" FROM ds.rerun.frame", 16L << 10, 8), "streaming is not charged");
    assertEquals(400L, runIn(sort, 1L << 30, 8));
  }

  @Test
  void aCancelledArrowAggregateStopsAndLeaksNothing() {
    QueryContext context = QueryContext.start(allocator, Duration.ofDays(1), Long.MAX_VALUE);
    context.cancel("Query cancelled by the client");
    RuntimeException e = assertThrows(RuntimeException.class,
        () -> run("SELECT rerun_partition_id, COUNT(*) FROM ds.rerun.frame GROUP BY rerun_partition_id", context));
    assertEquals(QueryAbortedException.Reason.CANCELLED, reasonOf(e));
  }
}
