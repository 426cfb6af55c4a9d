package io.rrdflight.sql.engine;

import static io.rrdflight.rrd.TimelineKind.SEQUENCE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.rrdflight.rrd.NoLeaks;
import io.rrdflight.catalog.Partition;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.sql.testing.InMemoryRerunData;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Decoded chunks kept across scans: what is kept, what a scan may drop, and that nothing leaks. */
@ExtendWith(NoLeaks.class)
class ChunkCacheTest {
  /** Each chunk as stored; the cache estimates twice that decoded. */
  private static final long STORED = 1000;

  private BufferAllocator root;
  private BufferAllocator query;
  private InMemoryRerunData data;
  private Partition partition;
  private List<IndexedChunk> chunks;
  private int decoded;
  private long decodedBytes;
  private final BiFunction<IndexedChunk, BufferAllocator, ChunkData> decoder = (c, a) -> {
    decoded++;
    return data.read(partition, c, a);
  };

  @BeforeEach
  void setUp(BufferAllocator root) {
    this.root = root;
    query = root.newChildAllocator("query", 0, Long.MAX_VALUE);
    data = new InMemoryRerunData();
    data.bytesPerChunk(STORED);
    for (int k = 0; k < 3; k++) {
      data.chunk("ds", "p1", "/a").timeline("frame", SEQUENCE, 10 * k, 10 * k + 1).scalars("S:v", 1.0 * k, 2.0 * k).add();
    }
    partition = data.partitions(data.dataset("ds")).get(0);
    chunks = data.chunks(partition);
    try (ChunkData one = data.read(partition, chunks.get(0), query)) {
      decodedBytes = one.bytes();
    }
  }

  /** A bound that keeps two chunks: the third's estimate no longer fits beside them. */
  private long twoChunks() {
    return 2 * decodedBytes + 2 * STORED - 1;
  }

  @AfterEach
  void noLeaks() {
    query.close(); // throws if a chunk decoded for a query was not released; NoLeaks then fails if the cache's were not
  }

  /** Reads every chunk in one scan; the caller closes them. */
  private List<ChunkData> scan(ChunkCache cache) {
    List<ChunkData> read = new ArrayList<>();
    try (ChunkCache.Scan scan = cache.scan(partition)) {
      for (IndexedChunk c : chunks) {
        read.add(scan.read(c, query, decoder));
      }
    }
    return read;
  }

  private static void closeAll(List<ChunkData> chunks) {
    chunks.forEach(ChunkData::close);
  }

  @Test
  void aRepeatedScanFindsItsChunksKeptAndDecodesNothingAgain() {
    try (ChunkCache cache = new ChunkCache(1 << 20, root)) {
      List<ChunkData> first = scan(cache);
      assertEquals(0, query.getAllocatedMemory(), "kept chunks are not in the query's allocator");
      closeAll(first);
      List<ChunkData> second = scan(cache);
      assertEquals(3, decoded);
      assertEquals(3, cache.hits());
      assertSame(first.get(1).component("S:v"), second.get(1).component("S:v"), "the same vectors");
      assertEquals(List.of(10L, 11L), List.of(second.get(1).times("frame")[0], second.get(1).times("frame")[1]));
      closeAll(second);
      assertEquals(3, cache.keptChunks());
    }
  }

  @Test
  void aScanChecksItsRecordingOnceBeforeItsFirstKeptChunkAndNotWhenItDecodesEverything() {
    int[] checks = {0};
    try (ChunkCache cache = new ChunkCache(1 << 20, root)) {
      try (ChunkCache.Scan scan = cache.scan(partition, () -> checks[0]++)) {
        chunks.forEach(c -> scan.read(c, query, decoder).close());
      }
      assertEquals(0, checks[0], "a cold scan reads (and so checks) every chunk itself");
      try (ChunkCache.Scan scan = cache.scan(partition, () -> checks[0]++)) {
        chunks.forEach(c -> scan.read(c, query, decoder).close());
      }
      assertEquals(1, checks[0], "once per scan, before the first kept chunk");
      assertEquals(3, cache.hits());
    }
  }

  @Test
  void aFailedCheckFailsTheReadAndLeavesTheKeptChunks() {
    try (ChunkCache cache = new ChunkCache(1 << 20, root)) {
      closeAll(scan(cache));
      try (ChunkCache.Scan scan = cache.scan(partition, () -> {
        throw new IllegalStateException("changed since it was registered");
      })) {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> scan.read(chunks.get(0), query, decoder));
        assertEquals("changed since it was registered", e.getMessage());
      }
      assertEquals(0, cache.hits());
      assertEquals(3, cache.keptChunks());
      assertEquals(0, query.getAllocatedMemory());
    }
  }

  @Test
  void aScanLargerThanTheCacheKeepsTheChunksThatFitAndItsRepetitionFindsThem() {
    try (ChunkCache cache = new ChunkCache(twoChunks(), root)) {
      closeAll(scan(cache));
      assertEquals(2, cache.keptChunks());
      closeAll(scan(cache));
      assertEquals(2, cache.hits(), "least-recently-used would have dropped the first chunk for the third, and so on: no hit");
      assertEquals(4, decoded);
      assertEquals(0, query.getAllocatedMemory());
    }
  }

  @Test
  void chunksLeftAloneForAMinuteMakeRoomLeastRecentlyUsedFirst() {
    long[] now = {0};
    try (ChunkCache cache = new ChunkCache(twoChunks(), root, () -> now[0])) {
      closeAll(scan(cache)); // keeps chunks 0 and 1
      now[0] += ChunkCache.IDLE_BEFORE_DROP_NANOS - 1;
      try (ChunkCache.Scan scan = cache.scan(partition)) {
        scan.read(chunks.get(2), query, decoder).close(); // not kept: 0 and 1 were used less than a minute ago
        assertEquals(2, cache.keptChunks());
        scan.read(chunks.get(1), query, decoder).close(); // a hit: 1 is now the most recently used
        now[0] += 1;
        scan.read(chunks.get(2), query, decoder).close(); // 0 has been left alone for a minute: dropped for 2
      }
      assertEquals(2, cache.keptChunks());
      decoded = 0;
      closeAll(scan(cache));
      assertEquals(1, decoded, "1 and 2 were kept, 0 was decoded again");
    }
  }

  @Test
  void aFullCacheDropsAChunkAMinuteAfterItsLastReleaseEvenWhenReleasedAfterTheCacheFilled() {
    long[] now = {0};
    try (ChunkCache cache = new ChunkCache(twoChunks(), root, () -> now[0])) {
      try (ChunkCache.Scan scan = cache.scan(partition)) {
        ChunkData zero = scan.read(chunks.get(0), query, decoder);
        ChunkData one = scan.read(chunks.get(1), query, decoder);
        scan.read(chunks.get(2), query, decoder).close(); // full of chunks in use: not kept
        now[0] = 10;
        zero.close(); // left alone from now on
        now[0] = ChunkCache.IDLE_BEFORE_DROP_NANOS;
        scan.read(chunks.get(2), query, decoder).close(); // a minute after the cache filled, not after 0's release
        now[0] = ChunkCache.IDLE_BEFORE_DROP_NANOS + 9;
        scan.read(chunks.get(2), query, decoder).close();
        assertEquals(0, cache.hits());
        now[0] = ChunkCache.IDLE_BEFORE_DROP_NANOS + 10;
        scan.read(chunks.get(2), query, decoder).close(); // 0 was left alone for a minute: dropped for 2
        one.close();
      }
      assertEquals(2, cache.keptChunks());
      decoded = 0;
      closeAll(scan(cache));
      assertEquals(1, decoded, "1 and 2 were kept, 0 was decoded again");
    }
  }

  @Test
  void aChunkInUseIsNeverDroppedAndIdleOnesGiveTheirMemoryBack() {
    try (ChunkCache cache = new ChunkCache(1 << 20, root)) {
      List<ChunkData> read = scan(cache);
      read.get(0).close();
      long before = cache.keptBytes();
      assertEquals(true, cache.releaseIdle());
      assertEquals(2, cache.keptChunks(), "chunks 1 and 2 are still in use");
      assertEquals(List.of(2.0), List.of(((org.apache.arrow.vector.Float8Vector) read.get(2).component("S:v").getDataVector()).get(0)));
      read.get(1).close();
      read.get(1).close(); // closing a lease twice releases it once
      read.get(2).close();
      assertEquals(true, cache.releaseIdle());
      assertEquals(0, cache.keptBytes());
      assertEquals(true, before > 0);
    }
  }

  @Test
  void aCacheOfNoBytesDecodesEveryChunkIntoTheQuerysAllocator() {
    try (ChunkCache cache = ChunkCache.none()) {
      List<ChunkData> read = scan(cache);
      assertEquals(true, query.getAllocatedMemory() > 0);
      closeAll(read);
      closeAll(scan(cache));
      assertEquals(6, decoded);
    }
  }
}
