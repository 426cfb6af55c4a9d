package io.rrdflight.catalog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.catalog.ChunkPlan.Components;
import io.rrdflight.catalog.ChunkPlan.Entities;
import io.rrdflight.catalog.ChunkPlan.IndexValues;
import io.rrdflight.catalog.ChunkPlan.LatestAt;
import io.rrdflight.catalog.ChunkPlan.Request;
import io.rrdflight.catalog.ChunkPlan.Rows;
import io.rrdflight.catalog.ChunkPlan.Segments;
import io.rrdflight.catalog.ChunkPlan.Time;
import io.rrdflight.rrd.Chunk;
import io.rrdflight.rrd.ChunkId;
import io.rrdflight.rrd.ChunkIndex;
import io.rrdflight.rrd.ComponentColumn;
import io.rrdflight.rrd.ComponentDescriptor;
import io.rrdflight.rrd.IndexColumn;
import io.rrdflight.rrd.IndexRange;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.NoLeaks;
import io.rrdflight.rrd.RrdReader;
import io.rrdflight.rrd.StoreId;
import io.rrdflight.rrd.StoreKind;
import io.rrdflight.rrd.Timeline;
import io.rrdflight.rrd.TimelineKind;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which chunks a query needs: on a hand-made partition whose chunks are named by number, on the
 * index of real recordings, and against the decoded cells of real recordings (the chunk holding
 * each latest value, each row, must be planned).
 */
@ExtendWith(NoLeaks.class)
class ChunkPlannerTest {
  static final Timeline FRAME = new Timeline("frame", TimelineKind.SEQUENCE);
  static final Timeline TIME = new Timeline("log_time", TimelineKind.TIMESTAMP);
  static final StoreId STORE = new StoreId(StoreKind.RECORDING, "app", "rec");
  static final ComponentDescriptor POSITIONS = new ComponentDescriptor("Points3D:positions", Optional.of("rerun.archetypes.Points3D"),
      Optional.of("rerun.components.Position3D"));
  static final ComponentDescriptor COLORS = new ComponentDescriptor("Points3D:colors", Optional.of("rerun.archetypes.Points3D"),
      Optional.of("rerun.components.Color"));
  static final ComponentDescriptor TEXT = new ComponentDescriptor("TextDocument:text", Optional.empty(), Optional.empty());
  static final ComponentDescriptor CLEAR = new ComponentDescriptor("Clear:is_recursive", Optional.of("rerun.archetypes.Clear"), Optional.empty());

  /** A chunk named by {@code inc}; {@code frames} null means static. */
  static IndexedChunk chunk(long inc, String entity, IndexRange frames, ComponentDescriptor... components) {
    TreeMap<Timeline, IndexRange> ranges = new TreeMap<>();
    if (frames != null) {
      ranges.put(FRAME, frames);
    }
    return new IndexedChunk(STORE, new ChunkId(7, inc), entity, frames == null, 10, ranges, Arrays.asList(components), inc * 100, 100);
  }

  static IndexRange frames(long min, long max) {
    return new IndexRange(min, max);
  }

  static final IndexedChunk STATIC_TEXT = chunk(1, "/text", null, TEXT);
  static final IndexedChunk EARLY = chunk(2, "/obj", frames(0, 9), POSITIONS, COLORS);
  static final IndexedChunk MIDDLE = chunk(3, "/obj", frames(10, 19), POSITIONS);
  static final IndexedChunk COLORS_ONLY = chunk(4, "/obj", frames(12, 14), COLORS);
  static final IndexedChunk LATE = chunk(5, "/obj", frames(20, 29), POSITIONS, COLORS);
  static final IndexedChunk OTHER = chunk(6, "/other", frames(0, 29), POSITIONS);
  static final IndexedChunk CLEARED = chunk(7, "/obj", frames(16, 16), CLEAR);
  static final IndexedChunk NO_FRAME = new IndexedChunk(STORE, new ChunkId(7, 8), "/obj", false, 3,
      new TreeMap<>(Map.of(TIME, frames(0, 100))), List.of(POSITIONS), 800, 100);
  static final List<IndexedChunk> PARTITION = List.of(STATIC_TEXT, EARLY, MIDDLE, COLORS_ONLY, LATE, OTHER, CLEARED, NO_FRAME);

  static Request exactly(Set<String> entities, Time time) {
    return Request.everything().withEntities(Entities.exactly(entities)).withTime(time);
  }

  static Time onFrame(Rows rows, LatestAt latestAt) {
    return Time.onIndex("frame", rows, latestAt);
  }

  static List<Long> names(List<IndexedChunk> chunks) {
    return chunks.stream().map(c -> c.id().inc()).toList();
  }

  static List<Long> plan(Request request) {
    return names(ChunkPlanner.plan(PARTITION, request));
  }

  private BufferAllocator allocator;

  @BeforeEach
  void open(BufferAllocator allocator) {
    this.allocator = allocator;
  }

  // --- the Rerun door's requests (exact entity paths), on the hand-made partition -----------------

  @Test
  void withoutTimeLimitsEveryChunkOfTheEntitiesIsNeeded() {
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 7L, 8L), plan(exactly(Set.of("/obj", "/text"), Time.unbounded())));
  }

  @Test
  void exactEntitiesAreMatchedExactlyAsRerunsServerDoes() {
    assertEquals(List.of(6L), plan(exactly(Set.of("/other"), Time.unbounded())));
    assertEquals(List.of(), plan(exactly(Set.of("/ob"), Time.unbounded())));
    assertEquals(List.of(), plan(exactly(Set.of(), Time.unbounded())), "no paths select nothing");
  }

  @Test
  void aRangeNeedsOverlappingChunksAndStaticOnes() {
    assertEquals(List.of(1L, 5L), plan(exactly(Set.of("/obj", "/text"), onFrame(Rows.inRange(frames(21, 25)), LatestAt.none()))));
  }

  @Test
  void latestAtAtTheRangeStartAddsOnlyTheChunksThatMayHoldTheLatestValueOfEachComponent() {
    // At frame 21: positions' latest is in MIDDLE (ends 19; EARLY ends before MIDDLE starts), colors'
    // in COLORS_ONLY (EARLY ends before it starts); the Clear at 16 is the latest Clear.
    assertEquals(List.of(1L, 3L, 4L, 5L, 7L), plan(exactly(Set.of("/obj", "/text"), onFrame(Rows.inRange(frames(21, 25)), LatestAt.at(21)))));
  }

  @Test
  void fillAtEachRowOfARangeIsLatestAtItsStartPlusTheRange() {
    Set<String> entities = Set.of("/obj", "/text");
    assertEquals(plan(exactly(entities, onFrame(Rows.inRange(frames(21, 25)), LatestAt.at(21)))),
        plan(exactly(entities, onFrame(Rows.inRange(frames(21, 25)), LatestAt.atEachRow()))));
    // Every row: every chunk on the timeline is taken anyway.
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 7L), plan(exactly(entities, onFrame(Rows.all(), LatestAt.atEachRow()))));
  }

  @Test
  void latestAtKeepsWhatAChunkStraddlingThePointCannotRuleOut() {
    // At 15, COLORS_ONLY (12..14) lies wholly before: colors' latest value is at 12 or later, so
    // EARLY cannot hold it. But MIDDLE (10..19) straddles 15 and may have no position until after
    // 15, so EARLY may still hold the latest position: it stays.
    assertEquals(List.of(2L, 3L, 4L), plan(exactly(Set.of("/obj"), onFrame(Rows.none(), LatestAt.at(15)))));
    // At 20, MIDDLE lies wholly before and holds a position at 10 or later: EARLY is not needed for
    // positions, nor for colors (COLORS_ONLY starts at 12). LATE starts at 20: it may hold a value there.
    assertEquals(List.of(3L, 4L, 5L, 7L), plan(exactly(Set.of("/obj"), onFrame(Rows.none(), LatestAt.at(20)))));
  }

  @Test
  void locatedCellsLetTheChunkStartingAtThePointRuleOutTheOneBefore() {
    // Two chunks of positions, 0..9 and 10..19, a window starting at 10 with fill. Knowing only the
    // chunks' ranges, the second may have no position at 10, so the first stays. Knowing that the
    // positions' cells start at 10 (the footer's per-component ranges), the latest value at 10 is there.
    IndexedChunk before = chunk(2, "/obj", frames(0, 9), POSITIONS);
    IndexedChunk from = chunk(3, "/obj", frames(10, 19), POSITIONS);
    Request window = exactly(Set.of("/obj"), onFrame(Rows.inRange(frames(10, 15)), LatestAt.atEachRow()));
    assertEquals(List.of(2L, 3L), names(ChunkPlanner.plan(List.of(before, from), window)));
    assertEquals(List.of(3L), names(ChunkPlanner.plan(List.of(located(before), located(from)), window)));
    // Located cells of a sparse component: positions only from 12 on, so at 10 the first chunk may hold the latest.
    IndexedChunk sparse = located(from, Map.of(POSITIONS, frames(12, 19)));
    assertEquals(List.of(2L, 3L), names(ChunkPlanner.plan(List.of(located(before), sparse), window)));
    // A located end at or before the point raises the floor too: positions at 0..9 and 10..19 of
    // one long chunk end at 19, the latest value at 25 is at 19 or later, the chunk before is not needed.
    IndexedChunk whole = located(chunk(4, "/obj", frames(0, 19), POSITIONS));
    assertEquals(List.of(4L), names(ChunkPlanner.plan(List.of(located(before), whole),
        exactly(Set.of("/obj"), onFrame(Rows.none(), LatestAt.at(25))))));
  }

  /** {@code c} with every component's cells located at the chunk's own ranges (no null cell). */
  static IndexedChunk located(IndexedChunk c) {
    Map<ComponentDescriptor, IndexRange> each = new java.util.HashMap<>();
    c.components().forEach(d -> each.put(d, c.timeRanges().get(FRAME)));
    return located(c, each);
  }

  /** {@code c} with the given components' cells located on the frame timeline. */
  static IndexedChunk located(IndexedChunk c, Map<ComponentDescriptor, IndexRange> frames) {
    Map<ComponentDescriptor, java.util.SortedMap<Timeline, IndexRange>> ranges = new java.util.HashMap<>();
    frames.forEach((d, r) -> ranges.put(d, new TreeMap<>(Map.of(FRAME, r))));
    return new IndexedChunk(c.store(), c.id(), c.entityPath(), c.isStatic(), c.rowCount(), c.timeRanges(), c.components(), c.offset(),
        c.length(), c.sizes(), ranges);
  }

  @Test
  void latestAtMayBeAnywhereNotOnlyAtTheRangeStart() {
    // QueryDataset may send latest_at.at on its own, or away from the range: the answer is the union.
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), plan(exactly(Set.of("/obj", "/text"), onFrame(Rows.inRange(frames(25, 29)), LatestAt.at(15)))));
    // Before any data: nothing temporal can hold a value at or before it.
    assertEquals(List.of(1L), plan(exactly(Set.of("/obj", "/text"), onFrame(Rows.none(), LatestAt.at(-1)))));
    // After all data: only the last chunk of each column (and the Clear).
    assertEquals(List.of(5L, 7L), plan(exactly(Set.of("/obj"), onFrame(Rows.none(), LatestAt.at(1000)))));
  }

  @Test
  void aStaticOnlyQueryNeedsOnlyStaticChunks() {
    assertEquals(List.of(1L), plan(exactly(Set.of("/obj", "/text"), Time.staticOnly())));
  }

  @Test
  void temporalChunksWithoutTheIndexTimelineTakeNoPart() {
    assertFalse(plan(exactly(Set.of("/obj"), onFrame(Rows.all(), LatestAt.none()))).contains(8L));
    assertEquals(List.of(1L, 8L), plan(exactly(Set.of("/obj", "/text"), Time.onIndex("log_time", Rows.all(), LatestAt.none()))));
    assertEquals(List.of(1L), plan(exactly(Set.of("/obj", "/text"), Time.onIndex("no_such_timeline", Rows.all(), LatestAt.atEachRow()))));
  }

  @Test
  void namedComponentsKeepClearsAndDropOtherChunks() {
    Request colors = exactly(Set.of("/obj"), Time.unbounded()).withComponents(Components.matching(List.of("Points3D:colors")));
    assertEquals(List.of(2L, 4L, 5L, 7L), plan(colors));
  }

  @Test
  void componentsMatchBySubstringOfComponentArchetypeOrType() {
    Request byType = exactly(Set.of("/obj"), Time.unbounded()).withComponents(Components.matching(List.of("components.Color")));
    assertEquals(List.of(2L, 4L, 5L, 7L), plan(byType));
    Request byArchetype = exactly(Set.of("/obj", "/text"), Time.unbounded()).withComponents(Components.matching(List.of("archetypes.Points3D")));
    assertEquals(List.of(2L, 3L, 4L, 5L, 7L, 8L), plan(byArchetype));
    Request none = exactly(Set.of("/obj"), Time.unbounded()).withComponents(Components.matching(List.of("Scalars")));
    assertEquals(List.of(7L), plan(none), "a Clear always counts");
  }

  @Test
  void componentsAlsoNarrowLatestAt() {
    // Only colors: MIDDLE holds positions only, so it is not needed even where it would hold the
    // latest position; colors' latest at 25 is in COLORS_ONLY or LATE.
    Request colors = exactly(Set.of("/obj"), onFrame(Rows.none(), LatestAt.at(25))).withComponents(Components.matching(List.of("colors")));
    assertEquals(List.of(4L, 5L, 7L), plan(colors));
  }

  @Test
  void staticAndTemporalDataCanBeExcludedAsTheViewerDoes() {
    assertEquals(List.of(1L), plan(Request.everything().withTemporal(false)));
    assertEquals(List.of(2L, 3L, 4L, 5L, 6L, 7L, 8L), plan(Request.everything().withStatic(false)));
    assertEquals(List.of(3L, 5L, 7L), plan(exactly(Set.of("/obj", "/text"), onFrame(Rows.inRange(frames(16, 25)), LatestAt.none())).withStatic(false)));
  }

  @Test
  void chunkIdsRestrictTheAnswer() {
    assertEquals(List.of(3L), plan(Request.everything().withChunkIds(Set.of(new ChunkId(7, 3), new ChunkId(7, 99)))));
  }

  // --- index values (using_index_values), per segment ---------------------------------------------

  @Test
  void indexValuesNeedTheChunksWithARowAtOneOfThem() {
    Request rows = exactly(Set.of("/obj", "/text"), onFrame(Rows.atValues(Map.of("rec", IndexValues.of(25, 5, 5))), LatestAt.none()));
    assertEquals(List.of(1L, 2L, 5L), plan(rows));
  }

  @Test
  void indexValuesWithLatestAtAlsoNeedTheLatestValueAtEachOfThem() {
    Request one = exactly(Set.of("/obj", "/text"), onFrame(Rows.atValues(Map.of("rec", IndexValues.of(25))), LatestAt.atEachRow()));
    assertEquals(List.of(1L, 3L, 4L, 5L, 7L), plan(one), "as latest-at at 25 plus the rows at 25");
    // 15: EARLY may hold the latest position (MIDDLE straddles), COLORS_ONLY colors; 25 as above.
    Request two = exactly(Set.of("/obj", "/text"), onFrame(Rows.atValues(Map.of("rec", IndexValues.of(15, 25))), LatestAt.atEachRow()));
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 7L), plan(two));
  }

  @Test
  void aSegmentWithoutIndexValuesGetsOnlyStaticData() {
    Request elsewhere = exactly(Set.of("/obj", "/text"), onFrame(Rows.atValues(Map.of("another-rec", IndexValues.of(25))), LatestAt.atEachRow()));
    assertEquals(List.of(1L), plan(elsewhere));
    Request empty = exactly(Set.of("/obj", "/text"), onFrame(Rows.atValues(Map.of("rec", IndexValues.NONE)), LatestAt.atEachRow()));
    assertEquals(List.of(1L), plan(empty));
  }

  @Test
  void indexValuesAreLookedUpByEachChunksRecordingId() throws Exception {
    // One file, two recordings with the same frames: values for one of them pick only its chunks.
    List<IndexedChunk> chunks = ChunkIndex.build(RrdRecordingIndexerTest.fixture("single/two_recordings.rrd"), allocator).chunks();
    Request onlyB = Request.everything().withEntities(Entities.exactly(Set.of("/points")))
        .withTime(onFrame(Rows.atValues(Map.of("rec-single-two-b", IndexValues.of(2))), LatestAt.none()));
    List<IndexedChunk> planned = ChunkPlanner.plan(chunks, onlyB);
    assertEquals(1, planned.size(), planned.toString());
    assertEquals("rec-single-two-b", planned.get(0).store().recordingId());
  }

  @Test
  void thousandsOfIndexValuesGiveTheUnionOfLatestAtAtEachValue() throws Exception {
    List<IndexedChunk> chunks = ChunkIndex.build(RrdRecordingIndexerTest.fixture("dataset/rec-dataset-04.rrd"), allocator).chunks();
    String segment = chunks.get(0).store().recordingId();
    IndexRange span = span(chunks, "log_time");
    long[] values = new long[3000];
    for (int i = 0; i < values.length; i++) {
      values[i] = span.min() - 10 + (span.max() - span.min() + 20) / values.length * i;
    }
    Request all = Request.everything().withEntities(Entities.matching(EntityPathFilter.parse("/**")))
        .withTime(Time.onIndex("log_time", Rows.atValues(Map.of(segment, IndexValues.of(values))), LatestAt.atEachRow()));
    Set<IndexedChunk> union = new LinkedHashSet<>();
    for (long v : values) {
      union.addAll(ChunkPlanner.plan(chunks, all.withTime(Time.onIndex("log_time", Rows.inRange(new IndexRange(v, v)), LatestAt.at(v)))));
    }
    List<IndexedChunk> expected = chunks.stream().filter(union::contains).toList();
    assertEquals(expected, ChunkPlanner.plan(chunks, all));
  }

  // --- content expressions (SQL), on a real recording ---------------------------------------------

  @Test
  void everythingOnATimelineIsStaticPlusChunksWithThatTimeline() throws Exception {
    List<IndexedChunk> chunks = dataset04();
    Request request = matching("/**", Time.onIndex("time_1", Rows.all(), LatestAt.none()));
    List<IndexedChunk> picked = ChunkPlanner.plan(chunks, request);
    for (IndexedChunk c : chunks) {
      boolean expected = !c.entityPath().startsWith("/__properties") && (c.isStatic() || hasTimeline(c, "time_1"));
      assertEquals(expected, picked.contains(c), c.toString());
    }
  }

  @Test
  void anExpressionKeepsOnlyMatchingEntities() throws Exception {
    List<IndexedChunk> picked = ChunkPlanner.plan(dataset04(), matching("/obj1", Time.onIndex("time_1", Rows.all(), LatestAt.none())));
    assertFalse(picked.isEmpty());
    assertTrue(picked.stream().allMatch(c -> c.entityPath().equals("/obj1")), picked.toString());
  }

  @Test
  void aRangeDropsChunksEntirelyOutsideItAndFillKeepsTheLatestBeforeIt() throws Exception {
    List<IndexedChunk> chunks = dataset04();
    IndexRange all = span(chunks, "time_1");
    IndexRange late = new IndexRange(all.max() - (all.max() - all.min()) / 10, all.max());
    List<IndexedChunk> picked = ChunkPlanner.plan(chunks, matching("/**", Time.onIndex("time_1", Rows.inRange(late), LatestAt.none())));
    for (IndexedChunk c : picked) {
      assertTrue(c.isStatic() || rangeOn(c, "time_1").intersects(late), c.toString());
    }
    List<IndexedChunk> withFill = ChunkPlanner.plan(chunks, matching("/**", Time.onIndex("time_1", Rows.inRange(late), LatestAt.atEachRow())));
    assertTrue(withFill.containsAll(picked));
    assertTrue(withFill.size() > picked.size(), "fill needs chunks from before the range");
    // Latest-at needs, for each component, a chunk from before the range that holds its latest value,
    // unless a chunk of the same entity certainly has a later cell of each of its components at or
    // before the range start: one lying wholly between, or one with a located cell (an end) there.
    for (IndexedChunk c : chunks) {
      if (!c.isStatic() && hasTimeline(c, "time_1") && rangeOn(c, "time_1").max() < late.min() && !c.entityPath().startsWith("/__properties")) {
        long end = rangeOn(c, "time_1").max();
        boolean laterBeforeChunkOfSameEntity = chunks.stream().anyMatch(o -> o.entityPath().equals(c.entityPath()) && hasTimeline(o, "time_1")
            && o.components().containsAll(c.components())
            && ((rangeOn(o, "time_1").max() < late.min() && rangeOn(o, "time_1").min() > end)
                || c.components().stream().allMatch(d -> o.componentRange(d, "time_1")
                    .filter(r -> (r.min() > end && r.min() <= late.min()) || (r.max() > end && r.max() <= late.min())).isPresent())));
        if (!laterBeforeChunkOfSameEntity) {
          assertTrue(withFill.contains(c), "latest-at must keep " + c);
        }
      }
    }
  }

  @Test
  void exactPathsAddNothingButAnExpressionAddsTheClearsOfAncestors() throws Exception {
    // clears.rrd: data on /world/a/b, /world/a, /world/c; a Clear on /world/a (frame 3) and a
    // recursive Clear on /world (frame 5).
    List<IndexedChunk> chunks = ChunkIndex.build(RrdRecordingIndexerTest.fixture("single/clears.rrd"), allocator).chunks();
    Time everyFrame = Time.onIndex("frame", Rows.all(), LatestAt.none());
    assertEquals(List.of("/world/a/b"), entities(ChunkPlanner.plan(chunks,
        Request.everything().withEntities(Entities.exactly(Set.of("/world/a/b"))).withTime(everyFrame))));
    assertEquals(List.of("/world/a/b", "/world/a (clear)", "/world (clear)"), entities(ChunkPlanner.plan(chunks, matching("/world/a/b", everyFrame))));
    assertEquals(List.of("/world/c", "/world (clear)"), entities(ChunkPlanner.plan(chunks, matching("/world/c", everyFrame))));
    // An ancestor's Clear is needed for latest-at as well (frame 6: the Clear at 5 is the latest).
    assertEquals(List.of("/world/c", "/world (clear)"),
        entities(ChunkPlanner.plan(chunks, matching("/world/c", Time.onIndex("frame", Rows.none(), LatestAt.at(6))))));
    // An expression that selects everything needs no ancestor rule: all chunks are its own.
    assertEquals(5, ChunkPlanner.plan(chunks, matching("/**", everyFrame)).size());
  }

  @Test
  void allEntitiesIncludeRecordingPropertiesButAnExpressionOnlyWhenItNamesThem() throws Exception {
    List<IndexedChunk> chunks = ChunkIndex.build(RrdRecordingIndexerTest.fixture("single/clears.rrd"), allocator).chunks();
    assertTrue(entities(ChunkPlanner.plan(chunks, Request.everything().withTime(Time.staticOnly()))).contains("/__properties"));
    assertEquals(List.of(), entities(ChunkPlanner.plan(chunks, matching("/**", Time.staticOnly()))));
    assertEquals(List.of("/__properties"), entities(ChunkPlanner.plan(chunks, matching("/** /__properties/**", Time.staticOnly()))));
  }

  // --- soundness against the decoded cells of real recordings -------------------------------------

  @Test
  void theChunkHoldingEveryRowAndEveryLatestValueIsPlanned() throws Exception {
    // Footer files are planned with every component's located cells, scanned ones with those of
    // components without nulls; the 0.41 file both ways.
    for (String fixture : List.of("dataset/rec-dataset-04.rrd", "dataset/rec-dataset-01.rrd", "single/clears.rrd", "single/static_and_properties.rrd",
        "versions/rerun-0.41.0.rrd", "versions/rerun-0.41.0.rrd (scanned)")) {
      Path file = RrdRecordingIndexerTest.fixture(fixture.replace(" (scanned)", ""));
      List<IndexedChunk> chunks = fixture.endsWith("(scanned)") ? ChunkIndex.scan(file, io.rrdflight.rrd.ReadMode.STRICT).chunks()
          : ChunkIndex.build(file, allocator).chunks();
      Cells cells = Cells.read(file, chunks, allocator);
      for (String timeline : cells.timelines()) {
        TreeSet<Long> times = cells.times(timeline);
        List<Long> points = new ArrayList<>();
        for (long t : times) {
          points.add(t - 1);
          points.add(t);
          points.add(t + 1);
        }
        Request base = Request.everything().withEntities(Entities.matching(EntityPathFilter.parse("/** /__properties/**")));
        for (long p : points) {
          List<IndexedChunk> planned = ChunkPlanner.plan(chunks, base.withTime(Time.onIndex(timeline, Rows.none(), LatestAt.at(p))));
          for (IndexedChunk winner : cells.latestAt(timeline, p)) {
            assertTrue(planned.contains(winner), fixture + ": latest-at " + timeline + "=" + p + " needs " + winner);
          }
        }
        // A range with fill: every chunk with a row in it, and the latest value at each row.
        List<Long> sorted = new ArrayList<>(times);
        for (int i = 0; i < sorted.size(); i += Math.max(1, sorted.size() / 25)) {
          long s = sorted.get(i);
          long e = sorted.get(Math.min(sorted.size() - 1, i + sorted.size() / 10));
          List<IndexedChunk> planned = ChunkPlanner.plan(chunks, base.withTime(Time.onIndex(timeline, Rows.inRange(new IndexRange(s, e)), LatestAt.atEachRow())));
          for (long t : times.subSet(s, true, e, true)) {
            for (IndexedChunk needed : cells.rowsAt(timeline, t)) {
              assertTrue(planned.contains(needed), fixture + ": a row at " + timeline + "=" + t + " needs " + needed);
            }
            for (IndexedChunk winner : cells.latestAt(timeline, t)) {
              assertTrue(planned.contains(winner), fixture + ": fill at " + timeline + "=" + t + " in [" + s + ", " + e + "] needs " + winner);
            }
          }
        }
        // Index values with fill: the rows at the values and the latest value at each.
        List<Long> every7th = new ArrayList<>();
        for (int i = 0; i < points.size(); i += 7) {
          every7th.add(points.get(i));
        }
        String segment = chunks.get(0).store().recordingId();
        List<IndexedChunk> planned = ChunkPlanner.plan(chunks, base.withTime(Time.onIndex(timeline,
            Rows.atValues(Map.of(segment, IndexValues.of(every7th))), LatestAt.atEachRow())));
        for (long v : every7th) {
          for (IndexedChunk needed : cells.rowsAt(timeline, v)) {
            assertTrue(planned.contains(needed), fixture + ": a row at index value " + timeline + "=" + v + " needs " + needed);
          }
          for (IndexedChunk winner : cells.latestAt(timeline, v)) {
            assertTrue(planned.contains(winner), fixture + ": latest-at index value " + timeline + "=" + v + " needs " + winner);
          }
        }
      }
    }
  }

  @Test
  void onAFooterFileLocatedCellsNeverAddAChunk() throws Exception {
    // The seed reader's request (one segment, a window with fill) at every chunk start of the 0.41
    // fixture: planned with the footer's located cells and with chunk ranges alone. The rows are
    // checked by the soundness test above. (The fixture has one chunk per entity and timeline, so
    // nothing is dropped here; the seed reader over /tmp/big41 drops 4 of 55, scripts/bench/README.md.)
    Path file = RrdRecordingIndexerTest.fixture("versions/rerun-0.41.0.rrd");
    List<IndexedChunk> located = ChunkIndex.build(file, allocator).chunks();
    List<IndexedChunk> unlocated = located.stream().map(c -> new IndexedChunk(c.store(), c.id(), c.entityPath(), c.isStatic(), c.rowCount(),
        c.timeRanges(), c.components(), c.offset(), c.length(), c.sizes())).toList();
    for (IndexedChunk start : located) {
      for (Map.Entry<Timeline, IndexRange> t : start.timeRanges().entrySet()) {
        long s = t.getValue().min();
        Request window = Request.everything().withEntities(Entities.matching(EntityPathFilter.parse("/**")))
            .withTime(Time.onIndex(t.getKey().name(), Rows.inRange(new IndexRange(s, s + 1)), LatestAt.atEachRow()));
        assertTrue(names(ChunkPlanner.plan(unlocated, window)).containsAll(names(ChunkPlanner.plan(located, window))));
      }
    }
  }

  /** Every non-null cell of the temporal chunks, per timeline and column: what the engines read. */
  private record Cells(Map<String, Map<String, List<Cell>>> byTimelineAndColumn) {
    record Cell(long time, ChunkId rowId, IndexedChunk chunk) {}

    static Cells read(Path file, List<IndexedChunk> chunks, BufferAllocator allocator) throws Exception {
      Map<String, Map<String, List<Cell>>> cells = new TreeMap<>();
      for (IndexedChunk c : chunks) {
        if (c.isStatic()) {
          continue;
        }
        try (Chunk data = RrdReader.readChunk(file, c.offset(), c.length(), allocator)) {
          for (IndexColumn index : data.indexColumns()) {
            for (ComponentColumn column : data.componentColumns()) {
              String key = c.store().recordingId() + " " + c.entityPath() + ":" + column.descriptor().component();
              for (int row = 0; row < data.rowCount(); row++) {
                if (!index.isNull(row) && !column.vector().isNull(row)) {
                  cells.computeIfAbsent(index.timeline().name(), k -> new TreeMap<>()).computeIfAbsent(key, k -> new ArrayList<>())
                      .add(new Cell(index.value(row), ChunkId.fromBytes(data.rowIds().get(row)), c));
                }
              }
            }
          }
        }
      }
      return new Cells(cells);
    }

    Set<String> timelines() {
      return byTimelineAndColumn.keySet();
    }

    TreeSet<Long> times(String timeline) {
      return byTimelineAndColumn.get(timeline).values().stream().flatMap(List::stream).map(Cell::time).collect(Collectors.toCollection(TreeSet::new));
    }

    /** Per column, the chunk holding the latest cell at or before {@code at} (largest time, then RowId). */
    List<IndexedChunk> latestAt(String timeline, long at) {
      List<IndexedChunk> out = new ArrayList<>();
      for (List<Cell> column : byTimelineAndColumn.get(timeline).values()) {
        Cell best = null;
        for (Cell cell : column) {
          if (cell.time() <= at && (best == null || cell.time() > best.time()
              || (cell.time() == best.time() && cell.rowId().compareTo(best.rowId()) > 0))) {
            best = cell;
          }
        }
        if (best != null) {
          out.add(best.chunk());
        }
      }
      return out;
    }

    List<IndexedChunk> rowsAt(String timeline, long t) {
      Predicate<Cell> at = cell -> cell.time() == t;
      return byTimelineAndColumn.get(timeline).values().stream().flatMap(List::stream).filter(at).map(Cell::chunk).distinct().toList();
    }
  }

  // --- whole datasets -----------------------------------------------------------------------------

  @Test
  void aDatasetIsPlannedSegmentBySegmentAndUnknownSegmentsAreNotFound(@TempDir Path dataDir) {
    try (Catalog catalog = Catalog.open(dataDir, new RrdRecordingIndexer(allocator), 1)) {
      Dataset dataset = catalog.createDataset("d");
      for (String f : List.of("dataset/rec-dataset-01.rrd", "dataset/rec-dataset-02.rrd", "single/two_recordings.rrd")) {
        Task t = catalog.register(dataset.id(), DataSource.of(RrdRecordingIndexerTest.fixture(f).toUri().toString(), null), OnDuplicate.ERROR,
            Duration.ofSeconds(60));
        assertEquals(TaskStatus.SUCCESS, t.status(), t.toString());
      }
      Request staticOnly = Request.everything().withTime(Time.staticOnly());
      List<ChunkPlan.Segment> all = ChunkPlanner.plan(catalog, dataset, staticOnly).toList();
      assertEquals(List.of("rec-dataset-01", "rec-dataset-02", "rec-single-two-a", "rec-single-two-b"),
          all.stream().map(s -> s.partition().partitionId()).toList());
      for (ChunkPlan.Segment s : all) {
        assertEquals(catalog.chunks(s.partition()).chunks().size(), s.chunkCount());
        assertTrue(!s.chunks().isEmpty() && s.chunks().stream().allMatch(IndexedChunk::isStatic), s.toString());
      }
      Request twoB = staticOnly.withSegments(Segments.named(List.of("rec-single-two-b")));
      assertEquals(List.of("rec-single-two-b"), ChunkPlanner.plan(catalog, dataset, twoB).map(s -> s.partition().partitionId()).toList());
      CatalogException unknown = assertThrows(CatalogException.class,
          () -> ChunkPlanner.plan(catalog, dataset, staticOnly.withSegments(Segments.named(List.of("rec-dataset-01", "nope", "also-nope")))));
      assertEquals(CatalogException.Kind.NOT_FOUND, unknown.kind());
      assertEquals("Dataset 'd' has no partition also-nope, nope", unknown.getMessage());
      Set<String> held = Set.of("rec-dataset-01", "rec-dataset-02", "rec-single-two-a", "rec-single-two-b");
      Request amongHeld = staticOnly.withSegments(Segments.named(List.of("rec-dataset-01", "nope", "also-nope"))).amongSegments(held);
      assertEquals(List.of("rec-dataset-01"), ChunkPlanner.plan(catalog, dataset, amongHeld).map(s -> s.partition().partitionId()).toList());
      Request noneHeld = staticOnly.withSegments(Segments.named(List.of("nope"))).amongSegments(held);
      assertEquals(List.of(), ChunkPlanner.plan(catalog, dataset, noneHeld).toList());
    }
  }

  @Test
  void amongSegmentsDropsTheIdsAndIndexValuesOfSegmentsNotHeld() {
    Time values = onFrame(Rows.atValues(Map.of("a", IndexValues.of(1, 2), "nope", IndexValues.of(3))), LatestAt.atEachRow());
    Request asked = Request.everything().withSegments(Segments.named(List.of("a", "nope"))).withTime(values);
    Request among = asked.amongSegments(Set.of("a", "b"));
    assertEquals(Segments.named(List.of("a")), among.segments());
    Rows.AtValues kept = (Rows.AtValues) ((Time.OnIndex) among.time()).rows();
    assertEquals(Set.of("a"), kept.perSegment().keySet());
    assertArrayEquals(new long[] {1, 2}, kept.of("a").values());
    assertSame(asked, asked.amongSegments(Set.of("a", "nope", "c")), "nothing to drop: the same request");
    Request all = Request.everything();
    assertSame(all, all.amongSegments(Set.of()), "every segment: nothing named to drop");
  }

  // --- the request's own checks -------------------------------------------------------------------

  @Test
  void badRequestsAreRejectedWithAMessageNamingWhatIsWrong() {
    CatalogException values = assertThrows(CatalogException.class, () -> Request.everything().withSegments(Segments.named(List.of("a")))
        .withTime(onFrame(Rows.atValues(Map.of("b", IndexValues.of(1))), LatestAt.none())));
    assertEquals(CatalogException.Kind.INVALID_ARGUMENT, values.kind());
    assertTrue(values.getMessage().contains("'b'"), values.getMessage());
    assertTrue(assertThrows(CatalogException.class, () -> onFrame(Rows.none(), LatestAt.atEachRow())).getMessage().contains("needs rows"));
    assertTrue(assertThrows(CatalogException.class, () -> Entities.exactly(Set.of("obj"))).getMessage().contains("'obj' must start with '/'"));
    assertTrue(assertThrows(CatalogException.class, () -> Time.onIndex("", Rows.all(), LatestAt.none())).getMessage().contains("empty"));
    assertThrows(NullPointerException.class, () -> Request.everything().withTime(null));
  }

  @Test
  void indexValuesAreSortedDistinctAndNeverTheStaticSentinel() {
    IndexValues v = IndexValues.of(List.of(5L, Long.MIN_VALUE, 3L, 5L, -2L));
    assertEquals(List.of(-2L, 3L, 5L), Arrays.stream(v.values()).boxed().toList());
    assertEquals(IndexValues.of(-2, 3, 5), v);
    assertTrue(v.anyIn(new IndexRange(4, 5)));
    assertFalse(v.anyIn(new IndexRange(6, 100)));
  }

  // --- helpers ------------------------------------------------------------------------------------

  private List<IndexedChunk> dataset04() throws Exception {
    // rec-dataset-04: 400 iterations, several chunks per entity, out-of-order times.
    return ChunkIndex.build(RrdRecordingIndexerTest.fixture("dataset/rec-dataset-04.rrd"), allocator).chunks();
  }

  static Request matching(String expression, Time time) {
    return Request.everything().withEntities(Entities.matching(EntityPathFilter.parse(expression))).withTime(time);
  }

  static List<String> entities(List<IndexedChunk> chunks) {
    return chunks.stream().map(c -> c.entityPath() + (c.components().stream().allMatch(d -> d.component().equals(CLEAR.component())) ? " (clear)" : ""))
        .toList();
  }

  static boolean hasTimeline(IndexedChunk c, String name) {
    return rangeOn(c, name) != null;
  }

  static IndexRange rangeOn(IndexedChunk c, String name) {
    return c.timeRanges().entrySet().stream().filter(e -> e.getKey().name().equals(name)).map(Map.Entry::getValue).findFirst().orElse(null);
  }

  static IndexRange span(List<IndexedChunk> chunks, String timeline) {
    return chunks.stream().map(c -> rangeOn(c, timeline)).filter(r -> r != null).reduce(IndexRange::span).orElseThrow();
  }
}
