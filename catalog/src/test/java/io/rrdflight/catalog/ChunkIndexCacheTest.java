package io.rrdflight.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.rrd.ChunkIndex;
import io.rrdflight.rrd.ReadMode;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The decoded chunk indexes are kept up to a budget of bytes, not a count of partitions; each is
 * decoded once however many queries ask at the same time, and a slow decode holds up no hit.
 */
class ChunkIndexCacheTest {
  private static ChunkIndex small;
  private static ChunkIndex large;
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @BeforeAll
  static void indexes() throws Exception {
    try (RootAllocator allocator = new RootAllocator()) {
      small = ChunkIndex.build(RrdRecordingIndexerTest.fixture("versions/rerun-0.27.3.rrd"), allocator, ReadMode.STRICT);
      large = ChunkIndex.build(RrdRecordingIndexerTest.fixture("small-chunks/small-chunks.rrd"), allocator, ReadMode.STRICT);
    }
    assertTrue(large.estimatedHeapBytes() > 10 * small.estimatedHeapBytes(), large.estimatedHeapBytes() + " vs " + small.estimatedHeapBytes());
  }

  @AfterEach
  void stop() {
    threads.shutdownNow();
  }

  private static Partition partition(String id) {
    return new Partition(EntryId.random(), id, "base", URI.create("file:///" + id + ".rrd"), new FileStamp("/" + id + ".rrd", 1, "v"),
        1, 1, 1, Instant.EPOCH, "app");
  }

  @Test
  void indexesAreKeptUpToTheirBytesAndTheLeastRecentlyUsedGoFirst() {
    ChunkIndexCache cache = new ChunkIndexCache(2 * large.estimatedHeapBytes() + small.estimatedHeapBytes());
    Partition a = partition("a");
    Partition b = partition("b");
    Partition c = partition("c");
    AtomicInteger loads = new AtomicInteger();
    cache.get(a, () -> counted(loads, large));
    cache.get(b, () -> counted(loads, large));
    cache.get(a, () -> counted(loads, large)); // a is now the most recently used
    assertEquals(2, loads.get());
    assertEquals(2 * large.estimatedHeapBytes(), cache.bytes());

    cache.get(c, () -> counted(loads, large)); // over budget: b goes
    assertEquals(3, loads.get());
    assertEquals(2 * large.estimatedHeapBytes(), cache.bytes());
    cache.get(a, () -> counted(loads, large));
    cache.get(c, () -> counted(loads, large));
    assertEquals(3, loads.get(), "a and c stayed");
    cache.get(b, () -> counted(loads, large));
    assertEquals(4, loads.get(), "b was decoded again");
  }

  @Test
  void anIndexLargerThanTheWholeBudgetIsServedButNotKept() {
    ChunkIndexCache cache = new ChunkIndexCache(large.estimatedHeapBytes() - 1);
    Partition a = partition("a");
    Partition b = partition("b");
    AtomicInteger loads = new AtomicInteger();
    cache.get(b, () -> small);
    assertSame(large, cache.get(a, () -> counted(loads, large)));
    assertSame(large, cache.get(a, () -> counted(loads, large)));
    assertEquals(2, loads.get());
    assertEquals(small.estimatedHeapBytes(), cache.bytes(), "the small one stays");
  }

  @Test
  void queriesAskingForTheSameIndexAtOnceShareOneDecodeAndOthersAreNotHeldUp() throws Exception {
    ChunkIndexCache cache = new ChunkIndexCache(Long.MAX_VALUE);
    Partition slow = partition("slow");
    Partition other = partition("other");
    cache.get(other, () -> small);
    CountDownLatch decoding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger loads = new AtomicInteger();
    Future<ChunkIndex> first = threads.submit(() -> cache.get(slow, () -> {
      decoding.countDown();
      await(release);
      return counted(loads, large);
    }));
    assertTrue(decoding.await(30, TimeUnit.SECONDS));
    CompletableFuture<ChunkIndex> second = new CompletableFuture<>();
    waiting(() -> second.complete(cache.get(slow, () -> counted(loads, large))));

    // While "slow" decodes, a hit on another partition is answered at once (on this thread).
    assertSame(small, cache.get(other, () -> {
      throw new AssertionError("a hit must not decode");
    }));
    release.countDown();
    assertSame(large, first.get(30, TimeUnit.SECONDS));
    assertSame(large, second.get(30, TimeUnit.SECONDS));
    assertEquals(1, loads.get());
  }

  @Test
  void aFailedDecodeFailsItsWaitersTooAndIsTriedAgainByTheNextQuery() throws Exception {
    ChunkIndexCache cache = new ChunkIndexCache(Long.MAX_VALUE);
    Partition p = partition("p");
    CountDownLatch decoding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Future<ChunkIndex> first = threads.submit(() -> cache.get(p, () -> {
      decoding.countDown();
      await(release);
      throw new OutOfMemoryError("Java heap space");
    }));
    assertTrue(decoding.await(30, TimeUnit.SECONDS));
    CompletableFuture<ChunkIndex> second = new CompletableFuture<>();
    waiting(() -> {
      try {
        second.complete(cache.get(p, () -> {
          throw new AssertionError("the waiter must not decode again");
        }));
      } catch (Throwable e) {
        second.completeExceptionally(e);
      }
    });
    release.countDown();
    for (Future<ChunkIndex> f : List.of(first, second)) {
      Throwable e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS)).getCause();
      assertTrue(e instanceof OutOfMemoryError, String.valueOf(e));
    }
    assertEquals(0, cache.bytes());
    assertSame(small, cache.get(p, () -> small));
  }

  /** Starts {@code query} on a thread of its own and returns once it waits (for another query's decode). */
  private static Thread waiting(Runnable query) throws InterruptedException {
    Thread t = new Thread(query, "waiting query");
    t.setDaemon(true);
    t.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TERMINATED && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertEquals(Thread.State.WAITING, t.getState(), "the second query waits for the first one's decode");
    return t;
  }

  private static ChunkIndex counted(AtomicInteger loads, ChunkIndex index) {
    loads.incrementAndGet();
    return index;
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
