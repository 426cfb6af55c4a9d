package io.rrdflight.sql.engine;

import static io.rrdflight.rrd.TimelineKind.SEQUENCE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.catalog.Dataset;
import io.rrdflight.rrd.NoLeaks;
import io.rrdflight.catalog.Partition;
import io.rrdflight.rrd.IndexRange;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.sql.QueryAbortedException;
import io.rrdflight.sql.QueryContext;
import io.rrdflight.sql.testing.ForwardingRerunData;
import io.rrdflight.sql.testing.InMemoryRerunData;
import io.rrdflight.sql.testing.ResultRows;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Rerun's dataframe semantics (query-semantics.md §§3–4) on chunks built in code. */
@ExtendWith(NoLeaks.class)
class ViewBatchesTest {
  private BufferAllocator allocator;
  private InMemoryRerunData data;

  @BeforeEach
  void setUp(BufferAllocator allocator) {
    this.allocator = allocator;
    data = new InMemoryRerunData();
  }

  private List<String> rows(QueryView view) {
    return rows(view, 1000);
  }

  /**
   * Each row as "pid|frame|other|col1|col2…" with Arrow's getObject rendering. Every query runs
   * three times: on one worker in one index window per partition, on one worker in as many windows
   * as there are chunk starts, and on three workers in those small windows; all must give the same
   * rows in the same order: windows and workers are invisible in results.
   */
  private List<String> rows(QueryView view, int batchRows) {
    List<String> whole = rows(view, batchRows, Long.MAX_VALUE, 1);
    assertEquals(whole, rows(view, batchRows, 1, 1), "rows differ when the partition is swept in small windows");
    assertEquals(whole, rows(view, batchRows, 1, 3), "rows differ when small windows are computed by several workers");
    assertNarrowScansAgree(view, batchRows);
    return whole;
  }

  /**
   * Scans that read fewer columns (COUNT(*) reads none, a GROUP BY one) compute the row set from
   * the chunks' times without decoding what they do not read: they must give the same rows as the
   * full scan, with the times learnt in the scan itself (cold) and from the cache (warm), in one
   * window or small ones on several workers.
   */
  private void assertNarrowScansAgree(QueryView view, int batchRows) {
    Dataset ds = data.dataset("ds");
    ViewSchema schema = ViewSchema.of(view, data.schema(ds));
    int[] all = new int[schema.columnCount()];
    Arrays.setAll(all, i -> i);
    List<List<String>> full = table(view, all, batchRows, Long.MAX_VALUE, 1, ChunkTimesCache.none());
    int index = schema.index().map(t -> 1 + schema.indexes().indexOf(t)).orElse(-1);
    List<int[]> projections = new ArrayList<>();
    projections.add(new int[0]);
    projections.add(new int[] {0});
    if (index > 0) {
      projections.add(new int[] {0, index});
      for (int c = 1 + schema.indexes().size(); c < schema.columnCount(); c++) {
        projections.add(new int[] {index, c});
      }
      // Every component without the other indexes (those are then not computed), and each other
      // index alone beside the view's (computed from every cell, the others left out).
      int[] components = new int[1 + schema.columnCount() - 1 - schema.indexes().size()];
      components[0] = index;
      Arrays.setAll(components, i -> i == 0 ? index : schema.indexes().size() + i);
      projections.add(components);
      for (int i = 1; i <= schema.indexes().size(); i++) {
        if (i != index) {
          projections.add(new int[] {i, index});
        }
      }
    }
    for (int[] projection : projections) {
      List<List<String>> expected = full.stream().map(row -> Arrays.stream(projection).mapToObj(row::get).toList()).toList();
      ChunkTimesCache cache = new ChunkTimesCache(1 << 20);
      String what = "columns " + Arrays.toString(projection) + " of " + schema.columnNames();
      assertEquals(expected, table(view, projection, batchRows, Long.MAX_VALUE, 1, cache), what + ", cold");
      assertEquals(expected, table(view, projection, batchRows, Long.MAX_VALUE, 1, cache), what + ", warm");
      assertEquals(expected, table(view, projection, batchRows, 1, 3, cache), what + ", warm, small windows on 3 workers");
      assertEquals(expected, table(view, projection, batchRows, 1, 3, new ChunkTimesCache(1 << 20)),
          what + ", cold, small windows on 3 workers");
    }
  }

  /** The rows of the scan of {@code projection}, as cells rendered by Arrow's getObject. */
  private List<List<String>> table(QueryView view, int[] projection, int batchRows, long windowBytes, int workers, ChunkTimesCache cache) {
    Dataset ds = data.dataset("ds");
    ViewSchema schema = ViewSchema.of(view, data.schema(ds));
    List<org.apache.arrow.vector.types.pojo.Field> fields = Arrays.stream(projection).mapToObj(i -> schema.arrowSchema().getFields().get(i)).toList();
    List<Partition> partitions = data.partitions(ds).stream().filter(p -> view.includesPartition(p.partitionId())).toList();
    return ResultRows.cells(new ViewBatches(schema, partitions, data, allocator, batchRows, projection,
        new org.apache.arrow.vector.types.pojo.Schema(fields), -1, windowBytes, workers, cache));
  }

  private List<String> rows(QueryView view, int batchRows, long windowBytes) {
    return rows(view, batchRows, windowBytes, 1);
  }

  private ViewBatches open(QueryView view, int batchRows, long windowBytes, int workers, long limit) {
    return open(view, data, batchRows, windowBytes, workers, limit);
  }

  private ViewBatches open(QueryView view, RerunData source, int batchRows, long windowBytes, int workers, long limit) {
    Dataset ds = data.dataset("ds");
    ViewSchema schema = ViewSchema.of(view, data.schema(ds));
    int[] projection = new int[schema.columnCount()];
    Arrays.setAll(projection, i -> i);
    List<Partition> partitions = data.partitions(ds).stream().filter(p -> view.includesPartition(p.partitionId())).toList();
    return new ViewBatches(schema, partitions, source, allocator, batchRows, projection, schema.arrowSchema(), limit, windowBytes, workers,
        ChunkTimesCache.none());
  }

  private List<String> rows(QueryView view, int batchRows, long windowBytes, int workers) {
    int[] all = new int[ViewSchema.of(view, data.schema(data.dataset("ds"))).columnCount()];
    Arrays.setAll(all, i -> i);
    return table(view, all, batchRows, windowBytes, workers, ChunkTimesCache.none()).stream().map(row -> String.join("|", row)).toList();
  }

  @Test
  void rowsAreTheDistinctIndexValuesWithDataAndTheLargestRowIdWinsADuplicate() {
    data.chunk("ds", "p1", "/a").timeline("frame", SEQUENCE, 3, 1, 3).rowIds(10, 11, 12).scalars("S:v", 30.0, 10.0, 31.0).add();
    data.chunk("ds", "p1", "/a").timeline("frame", SEQUENCE, 3).rowIds(5).scalars("S:v", 99.0).add(); // older RowId at 3
    data.chunk("ds", "p1", "/b").timeline("frame", SEQUENCE, 2).scalars("S:v", 20.0).add();
    assertEquals(List.of(
        "p1|1|[10.0]|null",
        "p1|2|null|[20.0]",
        "p1|3|[31.0]|null"), rows(QueryView.of("frame", "/**")));
  }

  @Test
  void staticDataFillsEveryRowButCreatesNone() {
    data.chunk("ds", "p1", "/a").timeline("frame", SEQUENCE, 1, 2).scalars("S:v", 1.0, 2.0).add();
    data.chunk("ds", "p1", "/text").component("T:text", InMemoryRerunData.UTF8_LIST, List.of(List.of("hello"))).add();
    assertEquals(List.of("p1|1|[1.0]|[\"hello\"]", "p1|2|[2.0]|[\"hello\"]"), rows(QueryView.of("frame", "/**")));
  }

  @Test
  void fillLatestAtLooksBackBeforeTheRangeStart() {
    data.chunk("ds", "p1", "/a").timeline("frame", SEQUENCE, 1, 5, 9).scalars("S:v", 1.0, 5.0, 9.0).add();
    data.chunk("ds", "p1", "/b").timeline("frame", SEQUENCE, 2).scalars("S:v", 2.0).add();
    QueryView view = QueryView.of("frame", "/**").withRange(new IndexRange(4, 9));
    assertEquals(List.of("p1|5|[5.0]|null", "p1|9|[9.0]|null"), rows(view));
    assertEquals(List.of("p1|5|[5.0]|[2.0]", "p1|9|[9.0]|[2.0]"), rows(view.withFillLatestAt(true)));
  }

  @Test
  void componentsLoggedInTheSameRowsEachShowTheirOwnValuesWithFill() {
    // Two components of one entity in the same chunk rows (a point cloud's positions and colors): their
    // cells are the same chunk rows, joined once; each column still reads its own component. A third
    // entity with the same index values but other rows, and one with a clear, are joined on their own.
    data.chunk("ds", "p1", "/pts").timeline("frame", SEQUENCE, 0, 2, 4).scalars("S:x", 0.0, 2.0, 4.0).scalars("S:y", -0.0, -2.0, -4.0)
        .add();
    data.chunk("ds", "p1", "/q").timeline("frame", SEQUENCE, 0, 2, 4).scalars("S:x", 10.0, 12.0, 14.0).add();
    data.chunk("ds", "p1", "/r").timeline("frame", SEQUENCE, 1, 2).scalars("S:x", 21.0, 22.0).scalars("S:y", 31.0, 32.0).add();
    data.chunk("ds", "p1", "/r").timeline("frame", SEQUENCE, 3)
        .component("Clear:is_recursive", InMemoryRerunData.BOOL_LIST, List.of(List.of(false))).add();
    assertEquals(List.of(
        "p1|0|[0.0]|[-0.0]|[10.0]|null|null",
        "p1|1|[0.0]|[-0.0]|[10.0]|[21.0]|[31.0]",
        "p1|2|[2.0]|[-2.0]|[12.0]|[22.0]|[32.0]",
        "p1|3|[2.0]|[-2.0]|[12.0]|[]|[]",
        "p1|4|[4.0]|[-4.0]|[14.0]|[22.0]|[32.0]"), rows(QueryView.of("frame", "/**").withFillLatestAt(true)));
  }

  @Test
  void clearsGiveEmptyListsAndCreateRowsButDoNotStopLatestAtFill() {
    data.chunk("ds", "p1", "/robot/arm").timeline("frame", SEQUENCE, 1, 6).scalars("S:v", 1.0, 6.0).add();
    data.chunk("ds", "p1", "/other").timeline("frame", SEQUENCE, 4).scalars("S:v", 4.0).add();
    data.chunk("ds", "p1", "/robot").timeline("frame", SEQUENCE, 3)
        .component("Clear:is_recursive", InMemoryRerunData.BOOL_LIST, List.of(List.of(true))).add();
    QueryView view = QueryView.of("frame", "/**");
    // The tombstone column itself is hidden; the recursive clear of /robot empties /robot/arm at 3.
    assertEquals(List.of(
        "p1|1|null|[1.0]",
        "p1|3|null|[]",
        "p1|4|[4.0]|null",
        "p1|6|null|[6.0]"), rows(view));
    // Filling at 4 takes the value at 1 although the clear at 3 is newer: Rerun 0.27.3's fill
    // looks at data only (rerun-sdk on fixtures/single/clears.rrd does the same).
    assertEquals(List.of(
        "p1|1|null|[1.0]",
        "p1|3|null|[]",
        "p1|4|[4.0]|[1.0]",
        "p1|6|[4.0]|[6.0]"), rows(view.withFillLatestAt(true)));
  }

  @Test
  void aScanOfNoColumnTakesTheRowsFromTheChunksTimesAndThenDecodesOnlyStaticAndClearChunks() {
    data.chunk("ds", "p1", "/dense").timeline("frame", SEQUENCE, 0, 1, 2, 3, 4, 5).scalars("S:v", 0.0, 1.0, null, 3.0, 4.0, 5.0).add();
    data.chunk("ds", "p1", "/every2").timeline("frame", SEQUENCE, 10, 12, 14, 16, 18, 20).scalars("S:v", 1.0, 1.0, 1.0, 1.0, 1.0, 1.0).add();
    data.chunk("ds", "p1", "/scattered").timeline("frame", SEQUENCE, 40, 7, 40, 30).scalars("S:v", 1.0, 1.0, 1.0, 1.0).add();
    data.chunk("ds", "p1", "/robot").timeline("frame", SEQUENCE, 25)
        .component("Clear:is_recursive", InMemoryRerunData.BOOL_LIST, List.of(List.of(false))).add();
    data.chunk("ds", "p1", "/text").component("T:text", InMemoryRerunData.UTF8_LIST, List.of(List.of("hi"))).add();
    // /shadowed has a static value: its temporal cells at 50 and 51 make no rows.
    data.chunk("ds", "p1", "/shadowed").timeline("frame", SEQUENCE, 50, 51).scalars("S:v", 1.0, 2.0).add();
    data.chunk("ds", "p1", "/shadowed").scalars("S:v", 9.0).add();
    Dataset ds = data.dataset("ds");
    QueryView view = QueryView.of("frame", "/**").withRange(new IndexRange(1, 17));
    ViewSchema schema = ViewSchema.of(view, data.schema(ds));
    ChunkTimesCache cache = new ChunkTimesCache(1 << 20);
    int frame = 1 + schema.indexes().indexOf(schema.index().orElseThrow());
    List<String> expected = List.of("1", "3", "4", "5", "7", "10", "12", "14", "16");
    assertEquals(expected, table(view, new int[] {frame}, 1000, Long.MAX_VALUE, 1, cache).stream().map(r -> r.get(0)).toList());
    assertEquals(5, data.reads.get(), "the first scan reads the chunks of the range and the static ones, and learns their times");
    data.reads.set(0);
    assertEquals(expected, table(view, new int[] {frame}, 1000, Long.MAX_VALUE, 1, cache).stream().map(r -> r.get(0)).toList());
    assertEquals(2, data.reads.get(), "then only the static chunk and the clear are decoded");
    assertEquals(3, cache.size(), "the times of the three temporal chunks read");
    data.reads.set(0);
    // Reading one column decodes its chunks; the others still come from their times.
    int every2 = schema.columnNames().indexOf("/every2:S:v");
    assertEquals(List.of("null", "null", "null", "null", "null", "[1.0]", "[1.0]", "[1.0]", "[1.0]"),
        table(view, new int[] {every2}, 1000, Long.MAX_VALUE, 1, cache).stream().map(r -> r.get(0)).toList());
    assertEquals(3, data.reads.get());
    rows(view); // and every narrower scan agrees with the full one
    rows(view.withRange(IndexRange.EVERYTHING).withFillLatestAt(true));
  }

  @Test
  void aRestartedEngineTakesTheChunksTimesFromTheStoreAndDecodesOnlyWhatTheScanReads() {
    data.chunk("ds", "p1", "/dense").timeline("frame", SEQUENCE, 0, 1, 2, 3, 4, 5).timeline("tick", SEQUENCE, 7, 6, 5, 4, 3, 2)
        .scalars("S:v", 0.0, 1.0, null, 3.0, 4.0, 5.0).add();
    data.chunk("ds", "p1", "/every2").timeline("frame", SEQUENCE, 10, 12, 14, 16, 18, 20).scalars("S:v", 1.0, 1.0, 1.0, 1.0, 1.0, 1.0).add();
    data.chunk("ds", "p2", "/dense").timeline("frame", SEQUENCE, 3, 5).scalars("S:v", 1.0, 2.0).add();
    data.chunk("ds", "p2", "/text").component("T:text", InMemoryRerunData.UTF8_LIST, List.of(List.of("hi"))).add();
    Dataset ds = data.dataset("ds");
    QueryView view = QueryView.of("frame", "/**");
    ViewSchema schema = ViewSchema.of(view, data.schema(ds));
    int frame = 1 + schema.indexes().indexOf(schema.index().orElseThrow());
    MapChunkTimesStore store = new MapChunkTimesStore();
    List<List<String>> cold = table(view, new int[] {0, frame}, 1000, Long.MAX_VALUE, 1, ChunkTimesCache.none());
    assertEquals(13, cold.size());
    assertEquals(cold, table(view, new int[] {0, frame}, 1000, Long.MAX_VALUE, 1, new ChunkTimesCache(1 << 20, store)));
    assertEquals(2, store.stored.size(), "each partition's learnt times handed to the store");
    assertEquals(3, store.stored.values().stream().mapToInt(java.util.Map::size).sum(), "the temporal chunks");
    assertEquals(2, store.counts.size(), "and each partition's row count of the whole view, apart from them");
    // A new cache over the same store is a restarted server: only the static chunk is decoded.
    data.reads.set(0);
    store.loads.set(0);
    ChunkTimesCache restarted = new ChunkTimesCache(1 << 20, store);
    assertEquals(cold, table(view, new int[] {0, frame}, 1000, Long.MAX_VALUE, 1, restarted));
    assertEquals(1, data.reads.get(), "the static chunk; the temporal ones' times come from the store");
    assertEquals(2, store.loads.get(), "one read of the store per partition");
    assertEquals(cold, table(view, new int[] {0, frame}, 1000, 1, 3, restarted), "small windows on three workers");
    assertEquals(2, store.loads.get(), "then they are in memory");
    // A column scan agrees with a cold one, and the other timeline came back too.
    int every2 = schema.columnNames().indexOf("/every2:S:v");
    assertEquals(table(view, new int[] {0, every2}, 1000, Long.MAX_VALUE, 1, ChunkTimesCache.none()),
        table(view, new int[] {0, every2}, 1000, Long.MAX_VALUE, 1, restarted));
    QueryView byTick = QueryView.of("tick", "/**");
    ViewSchema tickSchema = ViewSchema.of(byTick, data.schema(ds));
    int tick = 1 + tickSchema.indexes().indexOf(tickSchema.index().orElseThrow());
    assertEquals(table(byTick, new int[] {0, tick}, 1000, Long.MAX_VALUE, 1, ChunkTimesCache.none()),
        table(byTick, new int[] {0, tick}, 1000, Long.MAX_VALUE, 1, new ChunkTimesCache(1 << 20, store)));
  }

  /** The view's number of rows as a count-only scan answers it (one row, one BIGINT). */
  private long count(QueryView view, long windowBytes, ChunkTimesCache cache) {
    Dataset ds = data.dataset("ds");
    ViewSchema schema = ViewSchema.of(view, data.schema(ds));
    List<Partition> partitions = data.partitions(ds).stream().filter(p -> view.includesPartition(p.partitionId())).toList();
    try (ViewCountBatches counted = new ViewCountBatches(schema, partitions, data, allocator, 1000, windowBytes, cache, "n")) {
      assertTrue(counted.next());
      assertEquals(1, counted.root().getRowCount());
      long n = ((org.apache.arrow.vector.BigIntVector) counted.root().getVector(0)).get(0);
      org.junit.jupiter.api.Assertions.assertFalse(counted.next());
      return n;
    }
  }

  @Test
  void aWholeViewsRowCountIsLearntByItsScanAndARestartedEngineCountsFromTheStoreWithoutDecoding() {
    CountTraps.addTo(data);
    MapChunkTimesStore store = new MapChunkTimesStore();
    for (QueryView view : List.of(QueryView.of("frame", "/**"), QueryView.of("tick", "/**"), QueryView.of("frame", "/every2"),
        QueryView.of("frame", "/dense"))) {
      long scanned = table(view, new int[] {0}, 1000, Long.MAX_VALUE, 1, ChunkTimesCache.none()).size();
      ChunkTimesCache cold = new ChunkTimesCache(1 << 20, store);
      assertEquals(scanned, count(view, Long.MAX_VALUE, cold), view + ": unknown counts, scanned");
      data.reads.set(0);
      assertEquals(scanned, count(view, Long.MAX_VALUE, cold), view + ": counted in memory");
      assertEquals(0, data.reads.get(), view + ": nothing decoded");
      assertEquals(scanned, count(view, 1, new ChunkTimesCache(1 << 20, store)), view + ": counted from the store after a restart");
      assertEquals(0, data.reads.get(), view + ": nothing decoded after the restart");
      assertEquals(scanned, count(view, 1, new ChunkTimesCache(1 << 20)), view + ": small windows, nothing stored");
    }
    assertEquals(List.of(6L, 2L, 0L), data.partitions(data.dataset("ds")).stream()
        .map(p -> (long) table(QueryView.of("frame", "/dense").withPartitionIds(new java.util.TreeSet<>(List.of(p.partitionId()))),
            new int[] {0}, 1000, Long.MAX_VALUE, 1, ChunkTimesCache.none()).size()).toList(), "the rows behind one of the counts");
  }

  @Test
  void aStoredCountOfAnotherViewIsNeverServed() {
    data.chunk("ds", "p1", "/dense").timeline("frame", SEQUENCE, 0, 1, 2).scalars("S:v", 0.0, 1.0, 2.0).add();
    Partition p1 = data.partitions(data.dataset("ds")).get(0);
    MapChunkTimesStore store = new MapChunkTimesStore();
    store.saveRowCount(new io.rrdflight.catalog.ViewRowCount(p1, "frame", "/other", 99));
    store.saveRowCount(new io.rrdflight.catalog.ViewRowCount(p1, "tick", "/**", 98));
    assertEquals(3, count(QueryView.of("frame", "/**"), Long.MAX_VALUE, new ChunkTimesCache(1 << 20, store)), "other views' counts");
    assertEquals(3, store.counts.get(List.of(p1, "frame", "/**")), "the scan stored its own");
    assertEquals(99, store.counts.get(List.of(p1, "frame", "/other")), "and left the others");
  }

  @Test
  void unreadableStoredTimesAreLearntAgainFromTheChunk() {
    data.chunk("ds", "p1", "/dense").timeline("frame", SEQUENCE, 0, 1, 2, 3).scalars("S:v", 0.0, 1.0, null, 3.0).add();
    data.chunk("ds", "p1", "/every2").timeline("frame", SEQUENCE, 10, 12).scalars("S:v", 1.0, 1.0).add();
    Dataset ds = data.dataset("ds");
    QueryView view = QueryView.of("frame", "/**");
    ViewSchema schema = ViewSchema.of(view, data.schema(ds));
    int frame = 1 + schema.indexes().indexOf(schema.index().orElseThrow());
    MapChunkTimesStore store = new MapChunkTimesStore();
    List<List<String>> cold = table(view, new int[] {frame}, 1000, Long.MAX_VALUE, 1, new ChunkTimesCache(1 << 20, store));
    var times = store.stored.values().iterator().next();
    var first = times.keySet().iterator().next();
    times.put(first, Arrays.copyOf(times.get(first), 7)); // cut short, as a damaged database might hand it back
    data.reads.set(0);
    assertEquals(cold, table(view, new int[] {frame}, 1000, Long.MAX_VALUE, 1, new ChunkTimesCache(1 << 20, store)));
    assertEquals(1, data.reads.get(), "only the chunk whose stored times were unreadable");
  }

  @Test
  void aNonRecursiveClearOfAnAncestorDoesNotReachItsChildren() {
    data.chunk("ds", "p1", "/robot/arm").timeline("frame", SEQUENCE, 1).scalars("S:v", 1.0).add();
    data.chunk("ds", "p1", "/robot").timeline("frame", SEQUENCE, 3)
        .component("Clear:is_recursive", InMemoryRerunData.BOOL_LIST, List.of(List.of(false))).add();
    assertEquals(List.of("p1|1|[1.0]"), rows(QueryView.of("frame", "/**")));
  }

  @Test
  void otherIndexColumnsShowTheLargestValueAmongTheRowsCells() {
    data.chunk("ds", "p1", "/a").timeline("frame", SEQUENCE, 1, 2).timeline("tick", SEQUENCE, 100, 50).scalars("S:v", 1.0, 2.0).add();
    data.chunk("ds", "p1", "/b").timeline("frame", SEQUENCE, 2).timeline("tick", SEQUENCE, 70).scalars("S:v", 2.5).add();
    data.chunk("ds", "p1", "/c").timeline("frame", SEQUENCE, 3).scalars("S:v", 3.0).add();
    assertEquals(List.of(
        "p1|1|100|[1.0]|null|null",
        "p1|2|70|[2.0]|[2.5]|null",
        "p1|3|null|null|null|[3.0]"), rows(QueryView.of("frame", "/**")));
  }

  @Test
  void contentsSelectEntitiesAndPartitionIdsSelectPartitions() {
    data.chunk("ds", "p1", "/robot/a").timeline("frame", SEQUENCE, 1).scalars("S:v", 1.0).add();
    data.chunk("ds", "p1", "/robot/b").timeline("frame", SEQUENCE, 2).scalars("S:v", 2.0).add();
    data.chunk("ds", "p2", "/robot/a").timeline("frame", SEQUENCE, 7).scalars("S:v", 7.0).add();
    QueryView view = QueryView.of("frame", "/robot/** -/robot/b");
    assertEquals(List.of("p1|1|[1.0]", "p2|7|[7.0]"), rows(view));
    assertEquals(List.of("p2|7|[7.0]"), rows(view.withPartitionIds(new TreeSet<>(List.of("p2")))));
  }

  @Test
  void onlyChunksThatCanContributeToTheRangeAreRead() {
    for (int i = 0; i < 10; i++) {
      data.chunk("ds", "p1", "/a").timeline("frame", SEQUENCE, i * 10L, i * 10L + 9).scalars("S:v", (double) i, (double) i).add();
    }
    data.reads.set(0);
    assertEquals(4, rows(QueryView.of("frame", "/**").withRange(new IndexRange(35, 55)), 1000, Long.MAX_VALUE).size());
    assertEquals(3, data.reads.get());
  }

  @Test
  void aLargePartitionIsSweptInWindowsThatHoldOnlyTheBudgetsChunksAndDecodeEachChunkOnce() {
    long chunkBytes = hundredChunks();
    data.reads.set(0);
    data.maxOpenChunks.set(0);
    List<String> all = rows(QueryView.of("frame", "/**").withFillLatestAt(true), 64, 3 * chunkBytes);
    assertEquals(1000, all.size());
    assertEquals("p1|999|[999.0]|[-1.0]", all.get(999));
    assertEquals(101, data.reads.get(), "each chunk is decoded once, the one fill needs everywhere is kept");
    // A window's 3 chunks of /a, the chunk before it that holds /a's latest value, and /b.
    assertTrue(data.maxOpenChunks.get() <= 5, "at most 5 chunks decoded at once, was " + data.maxOpenChunks.get());
  }

  @Test
  void resultsSplitIntoBatchesAcrossPartitions() {
    for (int i = 0; i < 25; i++) {
      data.chunk("ds", "p" + (i % 2), "/a").timeline("frame", SEQUENCE, i).scalars("S:v", (double) i).add();
    }
    List<String> all = rows(QueryView.of("frame", "/**"), 4);
    assertEquals(25, all.size());
    assertEquals("p0|0|[0.0]", all.get(0));
    assertEquals("p1|23|[23.0]", all.get(24));
  }

  @Test
  void indexColumnsKeepTheirNullsAcrossManyRows() {
    long[] even = new long[10];
    long[] ticks = new long[10];
    Double[] values = new Double[10];
    long[] odd = new long[10];
    Double[] others = new Double[10];
    for (int i = 0; i < 10; i++) {
      even[i] = 2L * i;
      ticks[i] = 100L + i;
      values[i] = (double) i;
      odd[i] = 2L * i + 1;
      others[i] = -1.0 * i;
    }
    data.chunk("ds", "p1", "/a").timeline("frame", SEQUENCE, even).timeline("tick", SEQUENCE, ticks).scalars("S:v", values).add();
    data.chunk("ds", "p1", "/b").timeline("frame", SEQUENCE, odd).scalars("S:v", others).add();
    List<String> expected = new java.util.ArrayList<>();
    for (int f = 0; f < 20; f++) {
      expected.add(f % 2 == 0
          ? "p1|" + f + "|" + (100 + f / 2) + "|[" + (double) (f / 2) + "]|null"
          : "p1|" + f + "|null|null|[" + (-1.0 * (f / 2)) + "]");
    }
    assertEquals(expected, rows(QueryView.of("frame", "/**")));
  }

  @Test
  void aStaticOnlyViewHasOneRowPerPartitionWithNullIndexes() {
    data.chunk("ds", "p1", "/a").timeline("frame", SEQUENCE, 1).scalars("S:v", 1.0).add();
    data.chunk("ds", "p1", "/text").component("T:text", InMemoryRerunData.UTF8_LIST, List.of(List.of("hi"))).add();
    assertEquals(List.of("p1|null|[\"hi\"]"), rows(QueryView.of(null, "/**")));
  }

  // --- several workers ------------------------------------------------------------------------

  /** 100 chunks of 10 rows on /a (frames 0..999) and one value of /b at frame 0 that fill needs everywhere. */
  private long hundredChunks() {
    data.chunk("ds", "p1", "/b").timeline("frame", SEQUENCE, 0).scalars("S:v", -1.0).add();
    for (int i = 0; i < 100; i++) {
      long[] frames = new long[10];
      Double[] values = new Double[10];
      for (int k = 0; k < 10; k++) {
        frames[k] = i * 10L + k;
        values[k] = (double) frames[k];
      }
      data.chunk("ds", "p1", "/a").timeline("frame", SEQUENCE, frames).scalars("S:v", values).add();
    }
    return 1000 * IndexWindows.DECODED_PER_STORED_BYTE + 10 * IndexWindows.JOIN_BYTES_PER_CELL;
  }

  /** Reads through to {@code data}, calling {@code onRead} before each chunk is decoded. */
  private RerunData readingWith(Runnable onRead) {
    return new ReadingThrough(onRead);
  }

  /** {@link RerunData} that reads through to {@code data}, calling {@code onRead} before each chunk is decoded. */
  private class ReadingThrough extends ForwardingRerunData {
    private final Runnable onRead;

    ReadingThrough(Runnable onRead) {
      super(data);
      this.onRead = onRead;
    }

    @Override
    public ChunkData read(Partition partition, IndexedChunk chunk, BufferAllocator a) {
      onRead.run();
      return super.read(partition, chunk, a);
    }
  }

  @Test
  void aScanOpensEachPartitionOnceAndAnnouncesEachChunkOnceBeforeReadingItAndBoundedAhead() {
    data.bytesPerChunk(1L << 20);
    hundredChunks();
    long window = 3 * ((1L << 20) * IndexWindows.DECODED_PER_STORED_BYTE + 10 * IndexWindows.JOIN_BYTES_PER_CELL);
    for (int workers : new int[] {1, 3}) {
      List<String> events = new ArrayList<>();
      RerunData observed = new ReadingThrough(() -> {}) {
        @Override
        public PartitionChunks open(Partition partition) {
          PartitionChunks chunks = super.open(partition);
          synchronized (events) {
            events.add("open " + partition.partitionId());
          }
          return new PartitionChunks() {
            @Override
            public void announce(List<IndexedChunk> announced) {
              synchronized (events) {
                announced.forEach(c -> events.add("announce " + c.id()));
              }
            }

            @Override
            public ChunkData read(IndexedChunk chunk, BufferAllocator a) {
              synchronized (events) {
                events.add("read " + chunk.id());
              }
              return chunks.read(chunk, a);
            }

            @Override
            public void close() {
              synchronized (events) {
                events.add("close " + partition.partitionId());
              }
              chunks.close();
            }
          };
        }
      };
      try (ViewBatches batches = open(QueryView.of("frame", "/**").withFillLatestAt(true), observed, 64, window, workers, -1)) {
        while (batches.next()) {
          // every row
        }
      }
      assertEquals("open p1", events.get(0));
      assertEquals("close p1", events.get(events.size() - 1), "closed once, after its last read");
      assertEquals(1, events.stream().filter(e -> e.startsWith("open ")).count());
      assertEquals(1, events.stream().filter(e -> e.startsWith("close ")).count());
      List<String> announced = new ArrayList<>();
      List<String> read = new ArrayList<>();
      long maxAhead = 0;
      for (String e : events) {
        if (e.startsWith("announce ")) {
          String id = e.substring(9);
          assertTrue(!announced.contains(id), "announced twice: " + id);
          announced.add(id);
        } else if (e.startsWith("read ")) {
          String id = e.substring(5);
          assertTrue(announced.contains(id), "read before it was announced: " + id);
          read.add(id);
        }
        maxAhead = Math.max(maxAhead, (long) (announced.size() - read.size()) << 20);
      }
      assertEquals(101, read.size(), "each chunk read once");
      assertEquals(new TreeSet<>(read), new TreeSet<>(announced), "nothing announced that is not read");
      if (workers == 1) {
        assertEquals(read, announced, "announced in the order read");
      }
      // Each open window's own chunks (3 of /a, the one before with /a's latest value, /b) and the
      // margin: with several workers, up to workers + 1 windows announce before any of them has read.
      assertTrue(maxAhead <= PartitionSweep.ANNOUNCE_AHEAD_BYTES + (workers + 1) * (5L << 20), "announced ahead of reading: " + maxAhead);
    }
  }

  @Test
  void windowsSpreadOverWorkersDecodeEachChunkOnceAndHoldABoundedNumber() {
    long chunkBytes = hundredChunks();
    data.reads.set(0);
    data.maxOpenChunks.set(0);
    List<String> all = rows(QueryView.of("frame", "/**").withFillLatestAt(true), 7, 3 * chunkBytes, 3);
    assertEquals(rows(QueryView.of("frame", "/**").withFillLatestAt(true), 1000, Long.MAX_VALUE, 1), all);
    data.reads.set(0);
    data.maxOpenChunks.set(0);
    rows(QueryView.of("frame", "/**").withFillLatestAt(true), 7, 3 * chunkBytes, 3);
    assertEquals(101, data.reads.get(), "a chunk two windows need is decoded once, whichever worker asks first");
    // Per window in flight: its 3 chunks of /a, the one before it with /a's latest value, and /b.
    assertTrue(data.maxOpenChunks.get() <= 3 * 5, "at most 15 chunks decoded at once, was " + data.maxOpenChunks.get());
    assertEquals(0, data.openChunks.get());
  }

  @Test
  void aLimitKeepsTheFirstRowsInOrder() {
    long chunkBytes = hundredChunks();
    List<String> all = rows(QueryView.of("frame", "/**"), 1000, Long.MAX_VALUE, 1);
    List<String> first = new ArrayList<>();
    try (ViewBatches batches = open(QueryView.of("frame", "/**"), 4, chunkBytes, 3, 17)) {
      while (batches.next()) {
        for (int r = 0; r < batches.root().getRowCount(); r++) {
          first.add(batches.root().getVector(1).getObject(r) + "");
        }
      }
    }
    assertEquals(all.subList(0, 17).stream().map(row -> row.split("\\|")[1]).toList(), first);
    assertEquals(0, data.openChunks.get(), "chunks of windows computed beyond the limit are released");
  }

  @Test
  void closingAfterTheFirstBatchStopsTheWorkersAndReleasesEverything() {
    long chunkBytes = hundredChunks();
    for (int workers : new int[] {1, 3}) { // one: computed by the reader itself; three: on threads
      try (ViewBatches batches = open(QueryView.of("frame", "/**").withFillLatestAt(true), 3, chunkBytes, workers, -1)) {
        assertTrue(batches.next());
        assertEquals(3, batches.root().getRowCount());
      } // workers wait for room with finished batches: all closed here; noLeaks checks the buffers
      assertEquals(0, data.openChunks.get(), workers + " workers");
    }
  }

  @Test
  void cancellingTheQueryStopsItsWorkersInsideTheScan() {
    long chunkBytes = hundredChunks();
    QueryContext context = QueryContext.start(allocator, Duration.ofMinutes(1), Long.MAX_VALUE, 3);
    try (QueryContext.Binding bound = context.bind();
        ViewBatches batches = open(QueryView.of("frame", "/**").withFillLatestAt(true), 3, chunkBytes, 3, -1)) {
      assertTrue(batches.next());
      context.cancel("the client cancelled");
      QueryAbortedException e = assertThrows(QueryAbortedException.class, batches::next);
      assertEquals(QueryAbortedException.Reason.CANCELLED, e.reason());
    }
    assertEquals(0, data.openChunks.get());
  }

  @Test
  void aSlowScanStopsAtTheQueryDeadline() {
    long chunkBytes = hundredChunks();
    RerunData slow = readingWith(() -> {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    QueryContext context = QueryContext.start(allocator, Duration.ofMillis(150), Long.MAX_VALUE, 2);
    try (QueryContext.Binding bound = context.bind();
        ViewBatches batches = open(QueryView.of("frame", "/**"), slow, 5, chunkBytes, 2, -1)) {
      QueryAbortedException e = assertThrows(QueryAbortedException.class, () -> {
        while (batches.next()) {
          // read on until the deadline stops the scan
        }
      });
      assertEquals(QueryAbortedException.Reason.DEADLINE_EXCEEDED, e.reason());
    }
    assertEquals(0, data.openChunks.get());
  }

  @Test
  void aWorkersFailureReachesTheReaderAndEverythingIsReleased() {
    long chunkBytes = hundredChunks();
    AtomicInteger reads = new AtomicInteger();
    RerunData failing = readingWith(() -> {
      if (reads.incrementAndGet() == 40) {
        throw new IllegalStateException("chunk 40 is unreadable");
      }
    });
    try (ViewBatches batches = open(QueryView.of("frame", "/**"), failing, 5, chunkBytes, 3, -1)) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> {
        while (batches.next()) {
          // read on until the failure arrives
        }
      });
      assertEquals("chunk 40 is unreadable", e.getMessage());
    }
    assertEquals(0, data.openChunks.get());
  }

  @Test
  void workersAreLoweredToFitHalfTheMemoryBudget() {
    long window = 64L << 20;
    long perWorker = window + (ViewBatches.BATCHES_AHEAD + 1) * ViewBatches.TARGET_BATCH_BYTES;
    assertEquals(16, ViewBatches.workersWithin(16, Long.MAX_VALUE, window));
    assertEquals(2, ViewBatches.workersWithin(16, 512L << 20, window));
    assertEquals(4, ViewBatches.workersWithin(4, 8 * perWorker, window));
    assertEquals(1, ViewBatches.workersWithin(4, 1L << 20, window), "one worker, however small the budget");
  }
}
