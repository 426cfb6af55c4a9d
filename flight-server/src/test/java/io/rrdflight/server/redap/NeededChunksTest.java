package io.rrdflight.server.redap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.StatusRuntimeException;
import io.rrdflight.rrd.ChunkId;
import io.rrdflight.rrd.ComponentDescriptor;
import io.rrdflight.rrd.IndexRange;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.StoreId;
import io.rrdflight.rrd.StoreKind;
import io.rrdflight.rrd.Timeline;
import io.rrdflight.rrd.TimelineKind;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Which chunks a QueryDataset request needs, on a hand-made partition whose chunks are named. */
class NeededChunksTest {
  static final Timeline FRAME = new Timeline("frame", TimelineKind.SEQUENCE);
  static final Timeline TIME = new Timeline("log_time", TimelineKind.TIMESTAMP);
  static final StoreId STORE = new StoreId(StoreKind.RECORDING, "app", "rec");
  static final ComponentDescriptor POSITIONS = new ComponentDescriptor("Points3D:positions", Optional.of("rerun.archetypes.Points3D"), Optional.empty());
  static final ComponentDescriptor COLORS = new ComponentDescriptor("Points3D:colors", Optional.of("rerun.archetypes.Points3D"), Optional.empty());
  static final ComponentDescriptor TEXT = new ComponentDescriptor("TextDocument:text", Optional.empty(), Optional.empty());
  static final ComponentDescriptor CLEAR = new ComponentDescriptor("Clear:is_recursive", Optional.of("rerun.archetypes.Clear"), Optional.empty());

  static int next = 1;

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

  static ChunkRequest request(Set<String> entities, Optional<ChunkRequest.LatestAt> latestAt, Optional<ChunkRequest.Range> range) {
    return new ChunkRequest(Set.of(), Optional.of(entities), Set.of(), List.of(), false, false, latestAt, range);
  }

  static List<Long> names(List<IndexedChunk> chunks) {
    return chunks.stream().map(c -> c.id().inc()).toList();
  }

  @Test
  void withoutTimeLimitsEveryChunkOfTheEntitiesIsNeeded() {
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 7L, 8L), names(NeededChunks.select(request(Set.of("/obj", "/text"), Optional.empty(), Optional.empty()), PARTITION)));
  }

  @Test
  void entitiesAreMatchedExactlyAsRerunsServerDoes() {
    assertEquals(List.of(6L), names(NeededChunks.select(request(Set.of("/other"), Optional.empty(), Optional.empty()), PARTITION)));
    assertEquals(List.of(), names(NeededChunks.select(request(Set.of("/ob"), Optional.empty(), Optional.empty()), PARTITION)));
  }

  @Test
  void aRangeNeedsOverlappingChunksAndStaticOnes() {
    var range = Optional.of(new ChunkRequest.Range("frame", 21, 25));
    assertEquals(List.of(1L, 5L), names(NeededChunks.select(request(Set.of("/obj", "/text"), Optional.empty(), range), PARTITION)));
  }

  @Test
  void latestAtAtTheRangeStartAddsOnlyTheChunksThatMayHoldTheLatestValueOfEachComponent() {
    // At frame 21: positions' latest is in MIDDLE (ends 19; EARLY ends before MIDDLE starts), colors'
    // in COLORS_ONLY (EARLY ends before it starts); the Clear at 16 is the latest Clear.
    var range = Optional.of(new ChunkRequest.Range("frame", 21, 25));
    var latestAt = Optional.of(new ChunkRequest.LatestAt(Optional.of("frame"), 21));
    assertEquals(List.of(1L, 3L, 4L, 5L, 7L), names(NeededChunks.select(request(Set.of("/obj", "/text"), latestAt, range), PARTITION)));
  }

  @Test
  void latestAtKeepsWhatAChunkStraddlingThePointCannotRuleOut() {
    // At 15, COLORS_ONLY (12..14) lies wholly before: colors' latest value is at 12 or later, so
    // EARLY cannot hold it. But MIDDLE (10..19) straddles 15 and may have no position until after
    // 15, so EARLY may still hold the latest position: it stays.
    var latestAt = Optional.of(new ChunkRequest.LatestAt(Optional.of("frame"), 15));
    assertEquals(List.of(2L, 3L, 4L), names(NeededChunks.select(request(Set.of("/obj"), latestAt, Optional.empty()), PARTITION)));
    // At 20, MIDDLE lies wholly before and holds a position at 10 or later: EARLY is not needed for
    // positions, nor for colors (COLORS_ONLY starts at 12).
    var at20 = Optional.of(new ChunkRequest.LatestAt(Optional.of("frame"), 20));
    assertEquals(List.of(3L, 4L, 5L, 7L), names(NeededChunks.select(request(Set.of("/obj"), at20, Optional.empty()), PARTITION)));
  }

  @Test
  void aStaticOnlyQueryNeedsOnlyStaticChunks() {
    var staticOnly = Optional.of(new ChunkRequest.LatestAt(Optional.empty(), Long.MIN_VALUE));
    assertEquals(List.of(1L), names(NeededChunks.select(request(Set.of("/obj", "/text"), staticOnly, Optional.empty()), PARTITION)));
  }

  @Test
  void namedComponentsKeepClearsAndDropOtherChunks() {
    ChunkRequest colors = new ChunkRequest(Set.of(), Optional.of(Set.of("/obj")), Set.of(), List.of("Points3D:colors"), false, false,
        Optional.empty(), Optional.empty());
    assertEquals(List.of(2L, 4L, 5L, 7L), names(NeededChunks.select(colors, PARTITION)));
  }

  @Test
  void staticAndTemporalDataCanBeExcludedAsTheViewerDoes() {
    ChunkRequest staticOnly = new ChunkRequest(Set.of(), Optional.empty(), Set.of(), List.of(), false, true, Optional.empty(), Optional.empty());
    assertEquals(List.of(1L), names(NeededChunks.select(staticOnly, PARTITION)));
    ChunkRequest temporalOnly = new ChunkRequest(Set.of(), Optional.empty(), Set.of(), List.of(), true, false, Optional.empty(), Optional.empty());
    assertEquals(List.of(2L, 3L, 4L, 5L, 6L, 7L, 8L), names(NeededChunks.select(temporalOnly, PARTITION)));
  }

  @Test
  void chunkIdsRestrictTheAnswer() {
    ChunkRequest two = new ChunkRequest(Set.of(), Optional.empty(), Set.of(new ChunkRequest.ChunkIdValue(7, 3), new ChunkRequest.ChunkIdValue(7, 99)),
        List.of(), false, false, Optional.empty(), Optional.empty());
    assertEquals(List.of(3L), names(NeededChunks.select(two, PARTITION)));
  }

  @Test
  void entityPathsAndSelectAllTogetherAreInvalid() {
    var request = io.rrdflight.server.redap.proto.QueryDatasetRequest.newBuilder().setSelectAllEntityPaths(true)
        .addEntityPaths(io.rrdflight.rrd.proto.EntityPath.newBuilder().setPath("/obj")).build();
    assertThrows(StatusRuntimeException.class, () -> ChunkRequest.of(request));
  }
}
