package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import io.rrdflight.rrd.ChunkIndex;
import io.rrdflight.rrd.ReadMode;
import io.rrdflight.rrd.RecordingCompactor;
import io.rrdflight.rrd.RecordingSource;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.BufferAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compacts, once and in the background, the recordings whose files hold many small chunks (as
 * {@code rr.log} per frame writes them): a copy with Rerun's chunk sizes goes into
 * {@code DATA_DIR/compacted/}, is indexed, and the partition is switched to read from it in one
 * transaction ({@link Catalog#swapToCompacted}). Clients that insert every chunk they fetch into a
 * store of their own (rerun-sdk 0.27's {@code df()}) then get few chunks instead of thousands; rows
 * and values stay the same. Registration itself waits for none of this.
 *
 * <p>One thread, one recording at a time: it competes with queries for the disk and the cores, and
 * a copy is made once. Only local files are compacted (an object's changes are noticed as it is
 * read, which a copy would hide). A failure leaves the partition reading its own file, logged.
 */
final class Compactions implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Compactions.class);
  private static final String SUFFIX = ".rrd";
  /** Decoded chunks held while merging stay far below this. */
  static final long MEMORY_LIMIT = 512L << 20;

  /**
   * Which recordings are compacted: at least {@code minChunks} chunks of fewer than
   * {@code maxMeanRows} rows on average.
   */
  record Policy(long minChunks, long maxMeanRows) {
    static final Policy DEFAULT = new Policy(1000, 32);
    static final Policy OFF = new Policy(Long.MAX_VALUE, 0);

    boolean wants(Partition p) {
      return p.chunkCount() >= minChunks && p.rowCount() < maxMeanRows * p.chunkCount();
    }
  }

  private final Catalog catalog;
  private final Path dir;
  private final Policy policy;
  private final BufferAllocator allocator;
  private final ExecutorService worker;

  /** {@code allocator}: for the chunks being merged, closed with this. */
  Compactions(Catalog catalog, Path dir, Policy policy, BufferAllocator allocator) {
    this.catalog = requireNonNull(catalog, "catalog is null");
    this.allocator = requireNonNull(allocator, "allocator is null");
    this.dir = requireNonNull(dir, "dir is null");
    this.policy = requireNonNull(policy, "policy is null");
    AtomicInteger n = new AtomicInteger();
    this.worker = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "rrdflight-compact-" + n.incrementAndGet());
      t.setDaemon(true);
      t.setPriority(Thread.MIN_PRIORITY);
      return t;
    });
  }

  /** Queues a compaction of {@code p} if its file wants one and it has no copy yet. */
  void consider(Partition p) {
    if (p.compacted().isEmpty() && !p.file().isObject() && policy.wants(p)) {
      worker.execute(() -> compact(p));
    }
  }

  /** Deletes the copy a partition read from (it was unregistered, replaced, or its copy dropped). */
  void discard(Partition p) {
    p.compacted().ifPresent(c -> deleteQuietly(c.file().path()));
  }

  /** Deletes files in the directory that no partition reads (a crash between writing and swapping). */
  void deleteOrphans(Set<Path> inUse) {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        if (!inUse.contains(f.toAbsolutePath().normalize())) {
          deleteQuietly(f);
        }
      }
    } catch (IOException e) {
      log.warn("cannot list {} to remove unused compacted copies: {}", dir, e.toString());
    }
  }

  private void compact(Partition p) {
    if (!catalog.isCurrent(p)) {
      return;
    }
    long start = System.nanoTime();
    String name = p.datasetId().toHex() + "-" + UUID.randomUUID();
    Path partial = dir.resolve(name + ".partial");
    Path copy = dir.resolve(name + SUFFIX);
    try {
      Files.createDirectories(dir);
      RecordingCompactor.Result result;
      try (RecordingSource source = catalog.openSource(p)) {
        result = RecordingCompactor.compact(source, p.storeId(), partial, allocator);
      }
      Files.move(partial, copy, StandardCopyOption.ATOMIC_MOVE);
      byte[] index;
      FileStamp stamp;
      try (RecordingSource written = catalog.openLocal(copy)) {
        index = ChunkIndex.build(written, allocator, ReadMode.STRICT).forStore(p.storeId()).toBytes();
        stamp = FileStamp.of(written);
      }
      CompactedCopy compacted = new CompactedCopy(stamp, result.chunksOut());
      if (catalog.swapToCompacted(p, compacted, index)) {
        log.info("partition {}: compacted {} chunks into {} ({} MB) in {} ms, now read from {}", p.partitionId(), result.chunksIn(),
            result.chunksOut(), result.bytesWritten() >> 20, (System.nanoTime() - start) / 1_000_000, copy);
      } else {
        deleteQuietly(copy); // the partition changed or went meanwhile
      }
    } catch (IOException | RuntimeException e) {
      log.warn("partition {}: compacting {} failed, it stays read from its file: {}", p.partitionId(), p.file().location(), e.toString());
      deleteQuietly(partial);
      deleteQuietly(copy);
    }
  }

  /** Waits until the queued compactions are done (tests and benchmarks). */
  void awaitIdle(long timeout, TimeUnit unit) throws InterruptedException {
    java.util.concurrent.Future<?> marker = worker.submit(() -> { });
    try {
      marker.get(timeout, unit);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("compactions did not finish in " + timeout + " " + unit, e);
    }
  }

  private static void deleteQuietly(Path f) {
    try {
      Files.deleteIfExists(f);
    } catch (IOException e) {
      log.warn("cannot delete {}: {}", f, e.toString());
    }
  }

  @Override
  public void close() {
    worker.shutdownNow();
    try {
      worker.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    allocator.close();
  }
}
