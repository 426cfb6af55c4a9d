package io.rrdflight.sql.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.catalog.Dataset;
import io.rrdflight.rrd.NoLeaks;
import io.rrdflight.catalog.Partition;
import io.rrdflight.sql.testing.ForwardingRerunData;
import io.rrdflight.sql.testing.InMemoryRerunData;
import io.rrdflight.sql.testing.ResultRows;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NoLeaks.class)
class ViewRowCounterTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private BufferAllocator allocator;
  private InMemoryRerunData data;
  private final MapChunkTimesStore store = new MapChunkTimesStore();

  @BeforeEach
  void setUp(BufferAllocator allocator) {
    this.allocator = allocator;
    data = new InMemoryRerunData();
    CountTraps.addTo(data);
  }

  /** The rows a scan of the whole timeline table returns. */
  private long scanned(String timeline) {
    return scanned(timeline, data.partitions(data.dataset("ds")));
  }

  private long scanned(String timeline, List<Partition> partitions) {
    QueryView view = QueryView.of(timeline, "/**");
    Dataset ds = data.dataset("ds");
    return ResultRows.cells(new ViewBatches(ViewSchema.of(view, data.schema(ds)), partitions, data, allocator, 1000, new int[] {0},
        new Schema(List.of(ViewSchema.partitionIdField())), -1, Long.MAX_VALUE, 1, ChunkTimesCache.none())).size();
  }

  /** What {@code SELECT COUNT(*)} of the timeline table answers, on an engine restarted over the store. */
  private long counted(String timeline) {
    QueryView view = QueryView.of(timeline, "/**");
    Dataset ds = data.dataset("ds");
    try (ViewCountBatches count = new ViewCountBatches(ViewSchema.of(view, data.schema(ds)), data.partitions(ds), data, allocator, 1000,
        Long.MAX_VALUE, new ChunkTimesCache(1 << 20, store), "n")) {
      assertTrue(count.next());
      return ((BigIntVector) count.root().getVector(0)).get(0);
    }
  }

  @Test
  void countsEveryTimelineOfEveryPartitionSoThatCountStarDecodesNothing() throws Exception {
    long frame = scanned("frame");
    long tick = scanned("tick");
    try (ViewRowCounter counter = new ViewRowCounter(data, new ChunkTimesCache(1 << 20, store), allocator, 1, () -> false)) {
      counter.countAll();
      assertTrue(counter.awaitIdle(WAIT));
    }
    assertEquals(6, store.counts.size(), "two timelines of three partitions");
    data.reads.set(0);
    assertEquals(frame, counted("frame"));
    assertEquals(tick, counted("tick"));
    assertEquals(0, data.reads.get(), "counted from the stored counts");
    for (String id : List.of("p1", "p2", "p3")) {
      for (String timeline : List.of("frame", "tick")) {
        assertEquals(scanned(timeline, List.of(partition(id))), store.counts.get(List.of(partition(id), timeline, "/**")), id + " " + timeline);
      }
    }
    assertEquals(0L, store.counts.get(List.of(partition("p3"), "frame", "/**")), "static only");
  }

  private Partition partition(String id) {
    return data.partitions(data.dataset("ds")).stream().filter(p -> p.partitionId().equals(id)).findFirst().orElseThrow();
  }

  @Test
  void countsOnlyWhatIsMissing() throws Exception {
    counted("frame"); // a COUNT(*) scanned and stored the frame counts
    data.reads.set(0);
    try (ViewRowCounter counter = new ViewRowCounter(data, new ChunkTimesCache(1 << 20, store), allocator, 1 << 20, () -> false)) {
      counter.countAll();
      counter.countAll();
      assertTrue(counter.awaitIdle(WAIT));
    }
    assertEquals(6, store.counts.size());
    assertEquals(scanned("tick"), counted("tick"));
  }

  @Test
  void waitsWhileQueriesRunAndThenCounts() throws Exception {
    AtomicBoolean queries = new AtomicBoolean(true);
    try (ViewRowCounter counter = new ViewRowCounter(data, new ChunkTimesCache(1 << 20, store), allocator, 1, queries::get)) {
      counter.countAll();
      assertFalse(counter.awaitIdle(Duration.ofMillis(300)));
      assertEquals(0, data.reads.get(), "nothing read while queries run");
      queries.set(false);
      assertTrue(counter.awaitIdle(WAIT));
    }
    assertEquals(6, store.counts.size());
  }

  @Test
  void aScanUnderWayGivesWayToAQueryAndIsCountedAgainAfter() throws Exception {
    AtomicBoolean queries = new AtomicBoolean(false);
    AtomicBoolean first = new AtomicBoolean(true);
    RerunData slow = new ForwardingRerunData(data) {
      @Override
      public ChunkData read(Partition partition, io.rrdflight.rrd.IndexedChunk chunk, BufferAllocator into) {
        if (first.getAndSet(false)) {
          queries.set(true); // a query arrives while the counter reads its first chunk
          try {
            Thread.sleep(ViewRowCounter.YIELD_POLL.toMillis() * 4);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        return super.read(partition, chunk, into);
      }
    };
    try (ViewRowCounter counter = new ViewRowCounter(slow, new ChunkTimesCache(1 << 20, store), allocator, 1, queries::get)) {
      counter.count(List.of(partition("p1")));
      assertFalse(counter.awaitIdle(Duration.ofMillis(500)));
      assertTrue(store.counts.isEmpty(), "the scan stopped");
      queries.set(false);
      assertTrue(counter.awaitIdle(WAIT));
    }
    assertEquals(scanned("frame", List.of(partition("p1"))), store.counts.get(List.of(partition("p1"), "frame", "/**")));
    assertEquals(scanned("tick", List.of(partition("p1"))), store.counts.get(List.of(partition("p1"), "tick", "/**")));
  }

  @Test
  void aPartitionWhoseCompactedCopyIsBeingMadeIsCountedWhenItsCompactionEnds() throws Exception {
    AtomicBoolean copying = new AtomicBoolean(true);
    CountDownLatch askedWhileCopying = new CountDownLatch(1);
    RerunData compacting = new ForwardingRerunData(data) {
      @Override
      public String compactionState(Partition partition) {
        if (!copying.get()) {
          return "done";
        }
        askedWhileCopying.countDown();
        return "pending";
      }
    };
    try (ViewRowCounter counter = new ViewRowCounter(compacting, new ChunkTimesCache(1 << 20, store), allocator, 1, () -> false)) {
      counter.count(List.of(partition("p1")));
      assertTrue(askedWhileCopying.await(WAIT.toSeconds(), TimeUnit.SECONDS));
      assertFalse(counter.awaitIdle(Duration.ZERO), "it waits for the copy");
      assertEquals(0, data.reads.get(), "the file of many small chunks is not read while its copy is made");
      copying.set(false);
      counter.compactionEnded(partition("p1"));
      assertTrue(counter.awaitIdle(WAIT));
    }
    assertEquals(scanned("frame", List.of(partition("p1"))), store.counts.get(List.of(partition("p1"), "frame", "/**")));
  }

  @Test
  void aPartitionRegisteredAgainOrGoneIsSkipped() throws Exception {
    Partition p1 = partition("p1");
    RerunData without = new ForwardingRerunData(data) {
      @Override
      public List<Partition> partitions(Dataset dataset) {
        return super.partitions(dataset).stream().filter(p -> !p.partitionId().equals("p1")).toList();
      }
    };
    try (ViewRowCounter counter = new ViewRowCounter(without, new ChunkTimesCache(1 << 20, store), allocator, 1, () -> false)) {
      counter.count(List.of(p1));
      assertTrue(counter.awaitIdle(WAIT));
    }
    assertTrue(store.counts.isEmpty());
    assertEquals(0, data.reads.get());
  }

  @Test
  void closingStopsAndFreesItsMemory() throws Exception {
    AtomicBoolean queries = new AtomicBoolean(true);
    ViewRowCounter counter = new ViewRowCounter(data, new ChunkTimesCache(1 << 20, store), allocator, 1, queries::get);
    counter.countAll();
    counter.close();
    counter.countAll(); // ignored once closed
    queries.set(false);
    Thread.sleep(200);
    assertTrue(store.counts.isEmpty());
    assertEquals(0, allocator.getAllocatedMemory());
  }

  @Test
  void countsInWindowsNoLargerThanItsOwnWhateverQueriesUse() throws Exception {
    AtomicBoolean queries = new AtomicBoolean(true); // nothing counted: only its allocator is looked at
    try (ViewRowCounter counter = new ViewRowCounter(data, new ChunkTimesCache(1 << 20, store), allocator, 64L << 20, queries::get)) {
      BufferAllocator own = allocator.getChildAllocators().stream().filter(a -> a.getName().equals("row-counts")).findFirst().orElseThrow();
      assertEquals(ViewRowCounter.memoryLimit(ViewRowCounter.MAX_WINDOW_BYTES, allocator.getLimit()), own.getLimit(),
          "a query's 64 MiB window is not the counter's");
    }
  }
}
