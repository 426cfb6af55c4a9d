package io.rrdflight.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.rrd.ChunkIndex;
import io.rrdflight.rrd.IndexRange;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.Timeline;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Chunk pruning on the index of a real recording. */
class ChunkSelectionTest {
  private BufferAllocator allocator;
  private List<IndexedChunk> chunks;

  @BeforeEach
  void open() throws Exception {
    allocator = new RootAllocator();
    // rec-dataset-04: 400 iterations, several chunks per entity, out-of-order times.
    chunks = ChunkIndex.build(RrdRecordingIndexerTest.fixture("dataset/rec-dataset-04.rrd"), allocator).chunks();
  }

  @AfterEach
  void close() {
    allocator.close();
  }

  private static Timeline timeline(List<IndexedChunk> chunks, String name) {
    return chunks.stream().flatMap(c -> c.timeRanges().keySet().stream()).filter(t -> t.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void everythingOnATimelineIsStaticPlusChunksWithThatTimeline() {
    Timeline t = timeline(chunks, "time_1");
    List<IndexedChunk> picked = ChunkSelection.select(chunks, ChunkQuery.on("time_1", EntityPathFilter.parse("/**")));
    for (IndexedChunk c : chunks) {
      boolean expected = !c.entityPath().startsWith("/__properties") && (c.isStatic() || c.timeRanges().containsKey(t));
      assertEquals(expected, picked.contains(c), c.toString());
    }
  }

  @Test
  void entityFilterKeepsOnlyMatchingEntities() {
    List<IndexedChunk> picked = ChunkSelection.select(chunks, ChunkQuery.on("time_1", EntityPathFilter.parse("/obj1")));
    assertTrue(!picked.isEmpty());
    assertTrue(picked.stream().allMatch(c -> c.entityPath().equals("/obj1")), picked.toString());
  }

  @Test
  void rangeDropsChunksEntirelyOutsideIt() {
    Timeline t = timeline(chunks, "time_1");
    IndexRange all = chunks.stream().filter(c -> c.timeRanges().containsKey(t)).map(c -> c.timeRanges().get(t)).reduce(IndexRange::span).orElseThrow();
    IndexRange late = new IndexRange(all.max() - (all.max() - all.min()) / 10, all.max());
    List<IndexedChunk> picked = ChunkSelection.select(chunks, ChunkQuery.on("time_1", EntityPathFilter.parse("/**")).withRange(late));
    for (IndexedChunk c : picked) {
      assertTrue(c.isStatic() || c.timeRanges().get(t).intersects(late), c.toString());
    }
    List<IndexedChunk> withFill = ChunkSelection.select(chunks, ChunkQuery.on("time_1", EntityPathFilter.parse("/**")).withRange(late).withLatestAt(true));
    assertTrue(withFill.containsAll(picked));
    // latest-at needs, for each component, a chunk from before the range that holds its latest value
    for (IndexedChunk c : chunks) {
      if (!c.isStatic() && c.timeRanges().containsKey(t) && c.timeRanges().get(t).max() < late.min() && !c.entityPath().startsWith("/__properties")) {
        boolean laterBeforeChunkOfSameEntity = chunks.stream().anyMatch(o -> o.entityPath().equals(c.entityPath()) && o.timeRanges().containsKey(t)
            && o.timeRanges().get(t).max() < late.min() && o.timeRanges().get(t).min() > c.timeRanges().get(t).max()
            && o.components().containsAll(c.components()));
        if (!laterBeforeChunkOfSameEntity) {
          assertTrue(withFill.contains(c), "latest-at must keep " + c);
        }
      }
    }
  }
}
