package io.rrdflight.sql.calcite;

import static io.rrdflight.rrd.TimelineKind.DURATION;
import static io.rrdflight.rrd.TimelineKind.SEQUENCE;
import static io.rrdflight.rrd.TimelineKind.TIMESTAMP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.rrd.NoLeaks;
import io.rrdflight.sql.PreparedQuery;
import io.rrdflight.sql.SqlEngine;
import io.rrdflight.sql.SqlQueryException;
import io.rrdflight.sql.testing.InMemoryRerunData;
import io.rrdflight.sql.testing.ResultRows;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * SQL over datasets through the whole planner, asserting rows and plan together in the style of
 * Calcite's adapter tests: a lost pushdown fails here.
 */
@ExtendWith(NoLeaks.class)
class RerunAdapterTest {
  private BufferAllocator allocator;
  private InMemoryRerunData data;
  private SqlEngine engine;

  @BeforeEach
  void setUp(BufferAllocator allocator) {
    this.allocator = allocator;
    data = new InMemoryRerunData();
    // Two partitions of a robot: /arm/joint logged every frame 0..9 (one chunk per 5 frames), a
    // sparse /gripper, and a static /label.
    for (String p : List.of("run-a", "run-b")) {
      double base = p.equals("run-a") ? 0 : 100;
      data.chunk("ds", p, "/arm/joint").timeline("frame", SEQUENCE, 0, 1, 2, 3, 4).timeline("time", TIMESTAMP, t(0), t(1), t(2), t(3), t(4))
          .scalars("Scalars:scalars", base, base + 1, base + 2, base + 3, base + 4).add();
      data.chunk("ds", p, "/arm/joint").timeline("frame", SEQUENCE, 5, 6, 7, 8, 9).timeline("time", TIMESTAMP, t(5), t(6), t(7), t(8), t(9))
          .scalars("Scalars:scalars", base + 5, base + 6, base + 7, base + 8, base + 9).add();
      data.chunk("ds", p, "/gripper").timeline("frame", SEQUENCE, 2, 7).timeline("time", TIMESTAMP, t(2), t(7))
          .scalars("Scalars:scalars", base + 0.2, base + 0.7).add();
      data.chunk("ds", p, "/label").component("TextDocument:text", InMemoryRerunData.UTF8_LIST, List.of(List.of(p))).add();
    }
    engine = new SqlEngine(data, allocator);
  }

  /** Timestamps 2024-01-15T10:00:0N (N seconds) in nanoseconds. */
  private static long t(int seconds) {
    return 1_705_312_800_000_000_000L + seconds * 1_000_000_000L;
  }

  @AfterEach
  void tearDown() {
    engine.close();
  }

  private List<String> rows(String sql) {
    return rows(sql, List.of());
  }

  private List<String> rows(String sql, List<?> parameters) {
    return ResultRows.of(engine, sql, parameters, allocator, 3);
  }

  private String explain(String sql) {
    return String.join("\n", rows("EXPLAIN PLAN FOR " + sql));
  }

  @Test
  void timelineTableHasPartitionIdIndexesAndComponentsInRerunOrder() {
    PreparedQuery q = engine.prepare("SELECT * FROM ds.rerun.frame");
    assertEquals("[rerun_partition_id, frame, time, /arm/joint:Scalars:scalars, /gripper:Scalars:scalars, /label:TextDocument:text]",
        q.resultSchema().getFields().stream().map(f -> f.getName()).toList().toString());
    assertTrue(q.isColumnar());
    List<String> rows = rows("SELECT * FROM ds.rerun.frame");
    assertEquals(20, rows.size());
    assertEquals("run-a; 2; 2024-01-15T10:00:02; [2.0]; [0.2]; [\"run-a\"]", rows.get(2));
  }

  @Test
  void partitionAndIndexFiltersArePushedIntoTheScan() {
    String sql = "SELECT frame, \"/arm/joint:Scalars:scalars\" FROM ds.rerun.frame "
        + "WHERE rerun_partition_id = 'run-b' AND frame BETWEEN 6 AND 7";
    assertEquals(List.of("6; [106.0]", "7; [107.0]"), rows(sql));
    String plan = explain(sql);
    assertTrue(plan.contains("RerunTableScan(table=[[ds, rerun, frame]], index=[frame], partitions=[[run-b]], range=[[6, 7]], "
        + "columns=[[frame, /arm/joint:Scalars:scalars]])"), plan);
    assertFalse(plan.contains("Filter"), plan);
    assertFalse(plan.contains("Calc"), plan);
  }

  @Test
  void inListsOfPartitionsAndTimestampRangesArePushedToo() {
    String sql = "SELECT rerun_partition_id, frame FROM ds.\"time\" WHERE rerun_partition_id IN ('run-a', 'run-b', 'nope') "
        + "AND \"time\" >= TIMESTAMP '2024-01-15 10:00:08'";
    assertEquals(List.of("run-a; 8", "run-a; 9", "run-b; 8", "run-b; 9"), rows(sql));
    String plan = explain(sql);
    assertTrue(plan.contains("partitions=[[nope, run-a, run-b]], range=[[" + t(8) + ", +inf]]"), plan);
    assertFalse(plan.contains("SEARCH"), plan);
  }

  @Test
  void anotherTimelinesColumnIsFilteredAboveTheScanNotPushed() {
    // On the frame table, "time" is the largest time among a row's cells: no chunk range says which
    // rows match, so the filter must stay; the partition filter is still pushed.
    String sql = "SELECT frame FROM ds.frame WHERE rerun_partition_id = 'run-a' AND \"time\" >= TIMESTAMP '2024-01-15 10:00:08'";
    assertEquals(List.of("8", "9"), rows(sql));
    String plan = explain(sql);
    assertTrue(plan.contains("partitions=[[run-a]]") && !plan.contains("range="), plan);
  }

  @Test
  void filtersThatAreNotPushedStayAboveTheScan() {
    String sql = "SELECT frame FROM ds.frame WHERE rerun_partition_id = 'run-a' AND frame * 2 = 8";
    assertEquals(List.of("4"), rows(sql));
    String plan = explain(sql);
    assertTrue(plan.contains("partitions=[[run-a]]"), plan);
    assertTrue(plan.contains("Calc") || plan.contains("Filter"), plan);
  }

  @Test
  void queryViewWithFillIsTheOneLineFormOfTheSdkCall() {
    // dataframe_query_view(index="frame", contents="/gripper").filter_partition_id("run-a")
    //   .filter_range_sequence(3, 5).fill_latest_at()
    String sql = "SELECT * FROM TABLE(ds.query_view(index => 'frame', contents => '/gripper /arm/**', "
        + "partition_ids => 'run-a', range_start => 3, range_end => 5, fill_latest_at => true))";
    assertEquals(List.of(
        "run-a; 3; 2024-01-15T10:00:03; [3.0]; [0.2]",
        "run-a; 4; 2024-01-15T10:00:04; [4.0]; [0.2]",
        "run-a; 5; 2024-01-15T10:00:05; [5.0]; [0.2]"), rows(sql));
    String plan = explain(sql);
    assertTrue(plan.contains("index=[frame], partitions=[[run-a]], range=[[3, 5]], fill=[latest-at]"), plan);
  }

  @Test
  void whereClausesOnAQueryViewNarrowItFurther() {
    String sql = "SELECT frame, \"/gripper:Scalars:scalars\" AS g FROM TABLE(ds.rerun.query_view(index => 'frame', fill_latest_at => true)) "
        + "WHERE rerun_partition_id = 'run-b' AND frame > 7";
    assertEquals(List.of("8; [100.7]", "9; [100.7]"), rows(sql));
    assertTrue(explain(sql).contains("partitions=[[run-b]], range=[[8, +inf]], fill=[latest-at], columns=[[frame, /gripper:Scalars:scalars]]"));
    assertEquals("[frame, g]", engine.prepare(sql).resultSchema().getFields().stream().map(f -> f.getName()).toList().toString());
  }

  @Test
  void aggregatesAndSortsRunOnArrowBatchesOverTheColumnsTheyRead() {
    String sql = "SELECT rerun_partition_id, COUNT(*) AS n, MAX(frame) AS last, AVG(\"/arm/joint:Scalars:scalars\"[1]) AS mean "
        + "FROM ds.frame GROUP BY rerun_partition_id ORDER BY 1";
    assertTrue(engine.prepare(sql).isColumnar());
    assertEquals(List.of("run-a; 10; 9; 4.5", "run-b; 10; 9; 104.5"), rows(sql));
    String plan = explain(sql);
    assertTrue(plan.startsWith("ArrowToEnumerableConverter\n  ArrowSort(sort0=[$0], dir0=[ASC])\n    ArrowAggregate(group=[{0}], n=[COUNT()]"), plan);
    assertTrue(plan.contains("columns=[[rerun_partition_id, frame, /arm/joint:Scalars:scalars]]"), plan);
    assertFalse(plan.contains("Enumerable") && !plan.startsWith("ArrowToEnumerableConverter\n"), plan);
  }

  @Test
  void groupsByAStringKeyWhoseValuesAlternateWithinABatch() {
    // The sort's one batch interleaves the partitions (frame 0 of each, frame 1 of each, ...).
    String sql = "SELECT p, COUNT(*) AS n, SUM(frame) AS s FROM (SELECT rerun_partition_id AS p, frame FROM ds.frame ORDER BY frame LIMIT 15) "
        + "GROUP BY p ORDER BY p";
    assertEquals(List.of("run-a; 8; 28", "run-b; 7; 21"), rows(sql));
    String plan = explain(sql);
    assertTrue(plan.contains("ArrowAggregate(group=[{0}]"), plan);
    assertTrue(plan.contains("ArrowSort(sort0=[$1], dir0=[ASC], fetch=[15])"), plan);
  }

  @Test
  void countStarCountsRowsWithoutReadingAnyColumn() {
    String sql = "SELECT COUNT(*) AS n FROM ds.frame WHERE frame >= 0";
    assertEquals(List.of("20"), rows(sql));
    assertTrue(explain(sql).contains("ArrowAggregate(group=[{}], n=[COUNT()])\n    RerunTableScan(table=[[ds, frame]], index=[frame], range=[[0, +inf]], "
        + "columns=[[frame]])"), explain(sql));
    assertEquals(List.of("0"), rows("SELECT COUNT(*) FROM ds.frame WHERE rerun_partition_id = 'nope'"));
    assertEquals(List.of("null; 0"), rows("SELECT SUM(frame), COUNT(frame) FROM ds.frame WHERE rerun_partition_id = 'nope'"));
  }

  @Test
  void countStarWithoutAFilterIsACountOnlyScanAnsweredFromTheRowCountsAScanLearnt() {
    String sql = "SELECT COUNT(*) AS n FROM ds.frame";
    String plan = explain(sql);
    assertTrue(plan.contains("RerunTableScan(table=[[ds, frame]], index=[frame], count=[rows])"), plan);
    assertFalse(plan.contains("Aggregate"), plan);
    assertEquals("n", engine.prepare(sql).resultSchema().getFields().get(0).getName());
    List<String> first = rows(sql);
    assertTrue(data.reads.get() > 0, "unknown counts: the partitions are scanned as before");
    assertEquals(List.of(Integer.toString(rows("SELECT rerun_partition_id FROM ds.frame").size())), first);
    data.reads.set(0);
    assertEquals(List.of("20"), rows(sql));
    assertEquals(0, data.reads.get(), "known counts: no chunk read");
    // A partition filter keeps today's scan (the rule sees the aggregate over the filter's column).
    String onePartition = explain("SELECT COUNT(*) FROM ds.frame WHERE rerun_partition_id = 'run-b'");
    assertFalse(onePartition.contains("count=[rows]"), onePartition);
    assertEquals(List.of("10"), rows("SELECT COUNT(*) FROM ds.frame WHERE rerun_partition_id = 'run-b'"));
    assertEquals(List.of("0"), rows("SELECT COUNT(*) FROM ds.frame WHERE rerun_partition_id = 'nope'"));
    // The time table's rows are another union: its own count, learnt by its own scan.
    assertEquals(List.of(Integer.toString(rows("SELECT rerun_partition_id FROM ds.\"time\"").size())), rows("SELECT COUNT(*) FROM ds.\"time\""));
  }

  @Test
  void aFilterARangeOrAnotherAggregateKeepsTheScan() {
    for (String sql : List.of("SELECT COUNT(*) FROM ds.frame WHERE frame BETWEEN 3 AND 8",
        "SELECT COUNT(*) FROM ds.frame WHERE frame * 2 = 8",
        "SELECT COUNT(*), MAX(frame) FROM ds.frame",
        "SELECT COUNT(frame) FROM ds.frame",
        "SELECT rerun_partition_id, COUNT(*) FROM ds.frame GROUP BY rerun_partition_id",
        "SELECT COUNT(*) FROM TABLE(ds.query_view(index => 'frame', contents => '/**', fill_latest_at => true))",
        "SELECT COUNT(*) FROM TABLE(ds.query_view(index => 'frame', contents => '/**', range_start => 3, range_end => 8))")) {
      String plan = explain(sql);
      assertFalse(plan.contains("count=[rows]"), plan);
    }
    assertEquals(List.of("12"), rows("SELECT COUNT(*) FROM ds.frame WHERE frame BETWEEN 3 AND 8"));
    assertEquals(List.of("20; 9"), rows("SELECT COUNT(*), MAX(frame) FROM ds.frame"));
    assertEquals(List.of("12"), rows("SELECT COUNT(*) FROM TABLE(ds.query_view(index => 'frame', contents => '/**', range_start => 3, range_end => 8))"));
    assertEquals(List.of("20"), rows("SELECT COUNT(*) FROM TABLE(ds.query_view(index => 'frame', contents => '/**', fill_latest_at => true))"));
    String gripper = "SELECT COUNT(*) FROM TABLE(ds.query_view(index => 'frame', contents => '/gripper'))";
    assertTrue(explain(gripper).contains("count=[rows]"), explain(gripper));
    assertEquals(List.of("4"), rows(gripper), "a view of other contents: its own count");
    assertEquals(List.of("4"), rows(gripper));
  }

  @Test
  void countStarTakesTheRowsFromTheChunksTimesOnceTheyAreKnown() {
    String sql = "SELECT rerun_partition_id, COUNT(*) AS n FROM ds.frame WHERE frame BETWEEN 3 AND 8 GROUP BY rerun_partition_id ORDER BY 1";
    String plan = explain(sql);
    assertTrue(plan.contains("ArrowAggregate(group=[{0}], n=[COUNT()])") && plan.contains("range=[[3, 8]], columns=[[rerun_partition_id]]"), plan);
    // The same count from the full rows (every column read, so every chunk decoded).
    Map<String, Long> full = new java.util.TreeMap<>();
    for (String row : rows("SELECT * FROM ds.frame WHERE frame BETWEEN 3 AND 8")) {
      full.merge(row.substring(0, row.indexOf(';')), 1L, Long::sum);
    }
    List<String> expected = full.entrySet().stream().map(e -> e.getKey() + "; " + e.getValue()).toList();
    assertEquals(List.of("run-a; 6", "run-b; 6"), expected);
    assertEquals(expected, rows(sql));
    data.reads.set(0);
    assertEquals(expected, rows(sql));
    assertEquals(2, data.reads.get(), "only the static labels are decoded: the joints' and gripper's times are known");
  }

  @Test
  void filtersOnArrayElementsAndTopNRunOnBatches() {
    String sql = "SELECT rerun_partition_id, frame, \"/arm/joint:Scalars:scalars\"[1] AS v FROM ds.frame "
        + "WHERE \"/gripper:Scalars:scalars\" IS NOT NULL AND frame >= 2 ORDER BY v DESC, rerun_partition_id LIMIT 3";
    assertEquals(List.of("run-b; 7; 107.0", "run-b; 2; 102.0", "run-a; 7; 7.0"), rows(sql));
    String plan = explain(sql);
    assertTrue(plan.contains("ArrowSort(sort0=[$2], sort1=[$0], dir0=[DESC], dir1=[ASC], fetch=[3])"), plan);
    assertTrue(plan.contains("ArrowFilter(condition=[IS NOT NULL("), plan);
    assertTrue(plan.contains("range=[[2, +inf]]"), "the index comparison is still pushed into the scan: " + plan);
    // OFFSET, NULLs sorted last ascending (as the row engine does), and arithmetic in the filter.
    assertEquals(List.of("run-a; 9; null", "run-b; 0; null"),
        rows("SELECT rerun_partition_id, frame, \"/gripper:Scalars:scalars\"[1] AS g FROM ds.frame WHERE frame * 2 + 1 > 17 OR frame = 0 "
            + "ORDER BY g, rerun_partition_id, frame OFFSET 1 ROWS FETCH NEXT 2 ROWS ONLY"));
  }

  @Test
  void arrayColumnsComeOutAsArrowListsThroughSortsAndFilters() {
    String sql = "SELECT frame, \"/arm/joint:Scalars:scalars\" AS joint FROM ds.frame WHERE \"/arm/joint:Scalars:scalars\"[1] > 107 "
        + "ORDER BY frame DESC";
    PreparedQuery q = engine.prepare(sql);
    assertTrue(q.isColumnar());
    assertEquals("joint: List<item: FloatingPoint(DOUBLE)>", q.resultSchema().getFields().get(1).toString().replace("not null", "").trim());
    assertEquals(List.of("9; [109.0]", "8; [108.0]"), rows(sql));
  }

  /**
   * A dataset shaped like fixtures/large: every column type it has (sequence, duration and
   * timestamp indexes; lists of strings, UInt32 colors, Float32 positions as fixed-size lists of
   * 3, Float64 scalars, static strings and Int64 timestamps), two chunks of points so a sort merges
   * sources.
   */
  private void pointsDataset() {
    for (int c = 0; c < 2; c++) {
      long f = 3L * c;
      data.chunk("pts", "rec", "/points").timeline("frame", SEQUENCE, f, f + 1, f + 2)
          .timeline("sim_time", DURATION, f * 1_000_000, (f + 1) * 1_000_000, (f + 2) * 1_000_000)
          .timeline("wall", TIMESTAMP, t((int) f), t((int) f + 1), t((int) f + 2))
          .component("Points3D:positions", InMemoryRerunData.POSITION3D_LIST, List.of(
              List.of(List.of(f, 0, 0), List.of(f, 1, 1)), List.of(List.of(f + 1, 0, 0)), List.of(List.of(f + 2, 0, 0), List.of(f + 2, 2, 2))))
          .component("Points3D:colors", InMemoryRerunData.UINT32_LIST, List.of(List.of(0xff0000ff, 0x00ff00ff), List.of(0xff), List.of(1, 2)))
          .add();
    }
    data.chunk("pts", "rec", "/log").timeline("frame", SEQUENCE, 1, 4).timeline("sim_time", DURATION, 1_000_000, 4_000_000)
        .timeline("wall", TIMESTAMP, t(1), t(4)).component("TextLog:text", InMemoryRerunData.UTF8_LIST, List.of(List.of("one"), List.of("four")))
        .scalars("Scalars:scalars", 1.5, null).add();
    data.chunk("pts", "rec", "/info").component("TextDocument:text", InMemoryRerunData.UTF8_LIST, List.of(List.of("about")))
        .component("Clock:start_time", InMemoryRerunData.INT64_LIST, List.of(List.of(t(0)))).add();
  }

  @Test
  void isNullOfAListOfListsColumnIsFilteredOnBatches() {
    pointsDataset();
    data.chunk("pts", "rec", "/log").timeline("frame", SEQUENCE, 6).component("TextLog:text", InMemoryRerunData.UTF8_LIST, List.of(List.of("six")))
        .add(); // a row without points
    String sql = "SELECT frame, \"/log:TextLog:text\" FROM pts.rerun.frame WHERE \"/points:Points3D:positions\" IS NULL";
    assertEquals(List.of("6; [\"six\"]"), rows(sql));
    String plan = explain(sql);
    assertTrue(plan.contains("ArrowFilter(condition=[IS NULL("), plan);
    assertTrue(plan.lines().skip(1).noneMatch(line -> line.contains("Enumerable")), "no operator of the row engine: " + plan);
    String notNull = "SELECT frame FROM pts.rerun.frame WHERE \"/points:Points3D:positions\" IS NOT NULL ORDER BY frame";
    assertEquals(List.of("0", "1", "2", "3", "4", "5"), rows(notNull));
    assertTrue(explain(notNull).contains("ArrowFilter(condition=[IS NOT NULL("), explain(notNull));
  }

  @Test
  void limitOverEveryColumnTypeOfARecordingCopiesTheRow() {
    pointsDataset();
    String sql = "SELECT * FROM pts.rerun.frame LIMIT 1";
    PreparedQuery q = engine.prepare(sql);
    assertTrue(q.isColumnar());
    assertEquals(List.of("rec; 0; PT0S; 2024-01-15T10:00; [1705312800000000000]; [\"about\"]; null; null; [-16776961,16711935]; [[0.0,0.0,0.0],[0.0,1.0,1.0]]"),
        rows(sql));
    String plan = explain(sql);
    assertTrue(plan.startsWith("ArrowToEnumerableConverter\n  ArrowSort(fetch=[1])\n    RerunTableScan(table=[[pts, rerun, frame]]"), plan);
    // The next rows, one batch boundary crossed (batches of 3 rows): the copy starts inside a batch.
    assertEquals(List.of("rec; 4; [[4.0,0.0,0.0]]; [\"four\"]", "rec; 5; [[5.0,0.0,0.0],[5.0,2.0,2.0]]; null"),
        rows("SELECT rerun_partition_id, frame, \"/points:Points3D:positions\", \"/log:TextLog:text\" FROM pts.rerun.frame "
            + "OFFSET 4 ROWS FETCH NEXT 2 ROWS ONLY"));
  }

  @Test
  void orderByLimitOverFixedSizeListPositionsCopiesTheirRows() {
    pointsDataset();
    String sql = "SELECT \"/points:Points3D:positions\" FROM pts.rerun.frame ORDER BY frame DESC LIMIT 2";
    PreparedQuery q = engine.prepare(sql);
    assertTrue(q.isColumnar());
    assertEquals("FixedSizeList(3)", q.resultSchema().getFields().get(0).getChildren().get(0).getType().toString(), "Rerun's list type is kept");
    assertEquals(List.of("[[5.0,0.0,0.0],[5.0,2.0,2.0]]", "[[4.0,0.0,0.0]]"), rows(sql));
    String plan = explain(sql);
    assertTrue(plan.contains("ArrowSort(sort0=[$1], dir0=[DESC], fetch=[2])"), plan);
    assertTrue(plan.contains("RerunTableScan(table=[[pts, rerun, frame]]"), plan);
    // Rows of both chunks of /points in one output batch, colors (UInt32 lists) alongside.
    assertEquals(List.of("5; [[5.0,0.0,0.0],[5.0,2.0,2.0]]; [1,2]", "4; [[4.0,0.0,0.0]]; [255]", "3; [[3.0,0.0,0.0],[3.0,1.0,1.0]]; [-16776961,16711935]"),
        rows("SELECT frame, \"/points:Points3D:positions\", \"/points:Points3D:colors\" FROM pts.rerun.frame ORDER BY frame DESC LIMIT 3"));
    // A column projected twice: the second is a copy, by the same copier.
    String twice = "SELECT frame + 1 AS f, \"/points:Points3D:positions\" AS a, \"/points:Points3D:positions\" AS b FROM pts.rerun.frame WHERE frame = 5";
    assertEquals(List.of("6; [[5.0,0.0,0.0],[5.0,2.0,2.0]]; [[5.0,0.0,0.0],[5.0,2.0,2.0]]"), rows(twice));
    assertTrue(explain(twice).startsWith("ArrowToEnumerableConverter\n  ArrowProject("), explain(twice));
  }

  @Test
  void joinsRunInTheRowEngineOverArrowScans() {
    String join = "SELECT f.rerun_partition_id, p.rerun_num_chunks FROM ds.frame f JOIN ds.partitions p "
        + "ON f.rerun_partition_id = p.rerun_partition_id WHERE f.frame = 0 AND f.rerun_partition_id = 'run-a'";
    assertFalse(engine.prepare(join).isColumnar());
    assertEquals(List.of("run-a; 4"), rows(join));
    String plan = explain(join);
    assertTrue(plan.contains("EnumerableHashJoin") || plan.contains("EnumerableNestedLoopJoin"), plan);
    assertTrue(plan.contains("ArrowToEnumerableConverter\n") && plan.contains("partitions=[[run-a]], range=[[0, 0]]"), plan);
  }

  @Test
  void arrayElementsCanBeAggregated() {
    String sql = "SELECT SUM(\"/arm/joint:Scalars:scalars\"[1]) AS total FROM ds.frame WHERE rerun_partition_id = 'run-a'";
    assertEquals(List.of("45.0"), rows(sql));
  }

  @Test
  void theStaticTableHasOneRowPerPartition() {
    assertEquals(List.of("run-a; [\"run-a\"]", "run-b; [\"run-b\"]"),
        rows("SELECT rerun_partition_id, \"/label:TextDocument:text\" FROM ds.rerun.static_data"));
  }

  @Test
  void thePartitionTableListsPartitionsWithTheirMetadata() {
    assertEquals(List.of("run-a; base; 4; 13; none", "run-b; base; 4; 13; none"),
        rows("SELECT rerun_partition_id, rerun_layer_name, rerun_num_chunks, rerun_num_rows, rrdflight_compaction FROM ds.rerun.partitions ORDER BY 1"));
  }

  @Test
  void aLimitOnAScanStaysColumnar() {
    PreparedQuery q = engine.prepare("SELECT frame FROM ds.frame LIMIT 3");
    assertTrue(q.isColumnar());
    assertEquals(List.of("0", "1", "2"), rows("SELECT frame FROM ds.frame LIMIT 3"));
  }

  @Test
  void plansAreCachedBySqlTextUntilTheDataChanges() {
    PreparedQuery first = engine.prepare("SELECT frame FROM ds.frame");
    assertSame(first, engine.prepare("SELECT frame FROM ds.frame"));
    data.chunk("ds", "run-c", "/arm/joint").timeline("frame", SEQUENCE, 0).scalars("Scalars:scalars", 1.0).add();
    PreparedQuery replanned = engine.prepare("SELECT frame FROM ds.frame");
    assertFalse(first == replanned);
    assertEquals(21, rows("SELECT frame FROM ds.frame").size());
  }

  @Test
  void parameterFiltersArePushedIntoTheScanAndBoundAtEachExecution() {
    String sql = "SELECT frame, \"/arm/joint:Scalars:scalars\" FROM ds.rerun.frame WHERE rerun_partition_id = ? AND frame BETWEEN ? AND ?";
    PreparedQuery q = engine.prepare(sql);
    assertTrue(q.isColumnar(), "announced with the scan's own Arrow types");
    assertEquals(3, q.parameterSchema().getFields().size());
    assertEquals(q.resultSchema(), engine.prepare("SELECT frame, \"/arm/joint:Scalars:scalars\" FROM ds.rerun.frame").resultSchema());
    int plans = engine.cachedPlans();
    assertEquals(List.of("6; [106.0]", "7; [107.0]"), rows(sql, List.of("run-b", 6L, 7L)));
    assertEquals(List.of("1; [1.0]"), rows(sql, List.of("run-a", 1L, 1L)));
    assertEquals(plans, engine.cachedPlans(), "one plan for every execution: the values are not written into the SQL");
    // The plan keeps the filters in the scan, as parameters; no filter above it.
    String plan = String.join("\n", rows("EXPLAIN PLAN FOR " + sql, List.of("run-b", 6L, 7L)));
    assertTrue(plan.contains("bound=[[partition in [?0], index >= ?1, index <= ?2]]") && !plan.contains("Filter"), plan);
    data.reads.set(0);
    rows(sql, List.of("run-b", 6L, 7L));
    // gripper 2..7 counts for the rows only; its times are known from the executions above.
    assertEquals(2, data.reads.get(), "2 of 8 chunks: run-b's joint 5..9 (the column read) and static label; none of run-a");
    assertEquals(List.of(), rows(sql, java.util.Arrays.asList(null, 6L, 7L)), "= NULL matches nothing");
  }

  @Test
  void timestampParametersNarrowATimestampIndex() {
    String sql = "SELECT rerun_partition_id, frame FROM ds.\"time\" WHERE \"time\" >= ? AND rerun_partition_id IN (?, ?)";
    assertTrue(engine.prepare(sql).isColumnar());
    assertEquals(List.of("run-a; 8", "run-a; 9", "run-b; 8", "run-b; 9"),
        rows(sql, List.of(java.sql.Timestamp.valueOf("2024-01-15 10:00:08"), "run-a", "run-b")));
  }

  @Test
  void timestampLiteralsAndParametersKeepTheirNanoseconds() {
    // Three rows within one millisecond (10:00:00.197): Calcite's TIMESTAMP is milliseconds, Rerun's nanoseconds.
    long ms = t(0) + 197_000_000L;
    data.chunk("fine", "run-n", "/x").timeline("frame", SEQUENCE, 1, 2, 3)
        .timeline("time", TIMESTAMP, ms + 233_474, ms + 233_475, ms + 233_476).scalars("Scalars:scalars", 1.0, 2.0, 3.0).add();
    String at = "TIMESTAMP '2024-01-15 10:00:00.197233475'";
    java.sql.Timestamp atParameter = java.sql.Timestamp.valueOf("2024-01-15 10:00:00.197233475");
    Map<String, List<String>> expected = Map.of(">=", List.of("2", "3"), ">", List.of("3"), "=", List.of("2"),
        "<>", List.of("1", "3"), "<", List.of("1"), "<=", List.of("1", "2"));
    for (Map.Entry<String, List<String>> e : expected.entrySet()) {
      String op = e.getKey();
      // On the index table the comparison is the scan's range; on the frame table a filter above the scan.
      for (String table : List.of("fine.\"time\"", "fine.frame")) {
        String sql = "SELECT frame FROM " + table + " WHERE \"time\" " + op + " ";
        assertEquals(e.getValue(), rows(sql + at), sql + at);
        assertEquals(e.getValue(), rows(sql + "?", List.of(atParameter)), sql + "?");
      }
    }
    String plan = explain("SELECT frame FROM fine.\"time\" WHERE \"time\" > " + at);
    assertTrue(plan.contains("range=[[" + (ms + 233_476) + ", +inf]]") && !plan.contains("Filter"), plan);
    plan = explain("SELECT frame FROM fine.frame WHERE \"time\" > " + at);
    assertTrue(plan.contains("ArrowFilter"), "decided by the batch engine, not Calcite's milliseconds: " + plan);
  }

  @Test
  void timestampParametersMeanTheSameInAnyTimeZoneOfTheServer() {
    // A Flight SQL TIMESTAMP parameter reaches the planner as java.sql.Timestamp.valueOf(Arrow's LocalDateTime):
    // its wall clock is UTC's whatever the JVM's zone; it was read through the zone (getTime) and moved by its offset.
    java.util.TimeZone zone = java.util.TimeZone.getDefault();
    java.util.TimeZone.setDefault(java.util.TimeZone.getTimeZone("America/New_York"));
    try {
      java.sql.Timestamp at = java.sql.Timestamp.valueOf(java.time.LocalDateTime.parse("2024-01-15T10:00:08"));
      assertEquals(List.of("8", "9"), rows("SELECT frame FROM ds.\"time\" WHERE \"time\" >= ? AND rerun_partition_id = 'run-a'", List.of(at)));
      assertEquals(List.of("8", "9"), rows("SELECT frame FROM ds.frame WHERE \"time\" >= ? AND rerun_partition_id = 'run-a'", List.of(at)));
    } finally {
      java.util.TimeZone.setDefault(zone);
    }
  }

  @Test
  void queryViewArgumentsCanBeParametersExceptTheOnesThatDecideTheColumns() {
    String sql = "SELECT * FROM TABLE(ds.query_view(index => 'frame', contents => '/gripper /arm/**', "
        + "partition_ids => ?, range_start => ?, range_end => ?, fill_latest_at => ?))";
    PreparedQuery q = engine.prepare(sql);
    assertTrue(q.isColumnar());
    assertEquals("[Utf8, Int(64, true), Int(64, true), Bool]",
        q.parameterSchema().getFields().stream().map(f -> f.getType().toString()).toList().toString());
    assertEquals(List.of(
        "run-a; 3; 2024-01-15T10:00:03; [3.0]; [0.2]",
        "run-a; 4; 2024-01-15T10:00:04; [4.0]; [0.2]",
        "run-a; 5; 2024-01-15T10:00:05; [5.0]; [0.2]"), rows(sql, List.of("run-a", 3L, 5L, true)));
    assertEquals(List.of("run-b; 7; 2024-01-15T10:00:07; [107.0]; [100.7]", "run-b; 8; 2024-01-15T10:00:08; [108.0]; null"),
        rows(sql, List.of("run-b", 7L, 8L, false)));
    SqlQueryException e = assertThrows(SqlQueryException.class, () -> engine.prepare("SELECT * FROM TABLE(ds.query_view(index => ?))"));
    assertTrue(e.getMessage().contains("index must be a literal"), e.getMessage());
  }

  @Test
  void parametersInExpressionsAreBoundAtExecution() {
    String sql = "SELECT frame * ? AS scaled FROM ds.frame WHERE rerun_partition_id = 'run-a' AND frame < 2 AND frame + CAST(? AS BIGINT) > 0";
    assertTrue(engine.prepare(sql).isColumnar());
    assertEquals(List.of("0", "3"), rows(sql, List.of(3, 1)));
    assertEquals(List.of("2"), rows(sql, List.of(2, 0)));
    assertEquals(List.of("run-b; 10"), rows("SELECT rerun_partition_id, COUNT(*) FROM ds.frame GROUP BY rerun_partition_id "
        + "ORDER BY 1 DESC LIMIT ?", List.of(1)));
  }

  @Test
  void unknownIndexAndBadContentsAreErrorsThatSayWhatIsWrong() {
    SqlQueryException e = assertThrows(SqlQueryException.class,
        () -> engine.prepare("SELECT * FROM TABLE(ds.query_view(index => 'nope'))"));
    assertTrue(e.getMessage().contains("Unknown index timeline 'nope'"), e.getMessage());
  }
}
