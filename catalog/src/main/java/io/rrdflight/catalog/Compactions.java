package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import io.rrdflight.rrd.ChunkIndex;
import io.rrdflight.rrd.ReadMode;
import io.rrdflight.rrd.RecordingCompactor;
import io.rrdflight.rrd.RecordingSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;
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
 * read, which a copy would hide). A failure, an Error such as running out of heap included, leaves
 * the partition reading its own file, FAILED and logged once.
 */
final class Compactions implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Compactions.class);
  private static final String SUFFIX = ".rrd";
  /** Decoded chunks held while merging stay far below this. */
  static final long MEMORY_LIMIT = 512L << 20;

  private final Catalog catalog;
  private final Path dir;
  private final CompactionPolicy policy;
  private final BufferAllocator allocator;
  private final ExecutorService worker;
  /** Partitions whose compaction, or check of a copy, is queued or running. */
  private final Set<Partition> queued = ConcurrentHashMap.newKeySet();
  /** Files (as stamped) whose compaction failed; tried again when registered again or after a restart. */
  private final Set<FileStamp> failed = ConcurrentHashMap.newKeySet();

  /** {@code allocator}: for the chunks being merged, closed with this. */
  Compactions(Catalog catalog, Path dir, CompactionPolicy policy, BufferAllocator allocator) {
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
    if (p.compacted().isPresent() || !policy.wants(p)) {
      return;
    }
    if (p.file().isObject()) {
      log.info("partition {}: {} holds {} chunks of {} rows on average but is not compacted: only local files are (an object's"
          + " changes are noticed as it is read, which a copy would hide)", p.partitionId(), p.file().location(), p.chunkCount(),
          p.rowCount() / Math.max(1, p.chunkCount()));
      return;
    }
    queued.add(p);
    worker.execute(() -> {
      try {
        compact(p);
      } finally {
        ended(p);
      }
    });
  }

  /**
   * Serves {@code copy} (recorded before this process started) for {@code p} once it has been read
   * whole and matches its stamp and checksum; until then, and if it does not, {@code p} reads its
   * own file. A damaged copy is dropped, logged once, and made again.
   */
  void adopt(Partition p, CompactedCopy copy) {
    queued.add(p);
    worker.execute(() -> {
      try {
        Optional<String> damage = damage(copy);
        if (damage.isEmpty()) {
          catalog.showCompacted(p, copy);
          return;
        }
        log.warn("partition {}: its compacted copy {} {}; reading {} until it is made again", p.partitionId(), copy.file(),
            damage.get(), p.file().location());
        catalog.dropCompacted(p, copy);
        if (catalog.isCurrent(p)) {
          compact(p);
        }
      } finally {
        ended(p);
      }
    });
  }

  /** No longer pending (first, so that a listener told of it sees so), then told. */
  private void ended(Partition p) {
    queued.remove(p);
    catalog.announceCompactionEnded(p);
  }

  /** Where {@code p}'s compaction stands (it has a copy, one is coming, it failed, it needs none). */
  CompactionState state(Partition p) {
    if (p.compacted().isPresent()) {
      return CompactionState.DONE;
    }
    if (queued.contains(p)) {
      return CompactionState.PENDING;
    }
    if (failed.contains(p.file())) {
      return CompactionState.FAILED;
    }
    if (p.file().isObject() && policy.wants(p)) {
      return CompactionState.SKIPPED;
    }
    return CompactionState.NONE;
  }

  /** Why {@code copy} on disk is not what was written, if it is not: its stamp, then its checksum. */
  private Optional<String> damage(CompactedCopy copy) {
    if (copy.crc32c() == CompactedCopy.UNKNOWN_CRC) {
      return Optional.of("has no checksum (made by an older rrdflight)");
    }
    try (RecordingSource source = catalog.openLocal(copy.file().path())) {
      if (!copy.file().sameAs(FileStamp.of(source))) {
        return Optional.of("changed size or modification time");
      }
      long crc = crc32c(source);
      return crc == copy.crc32c() ? Optional.empty()
          : Optional.of("is damaged (CRC-32C " + Long.toHexString(crc) + ", written as " + Long.toHexString(copy.crc32c()) + ")");
    } catch (IOException | RuntimeException e) {
      return Optional.of("cannot be read (" + e + ")");
    }
  }

  /** The CRC-32C of a whole recording, read in bounded blocks. */
  static long crc32c(RecordingSource source) throws IOException {
    CRC32C crc = new CRC32C();
    ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
    for (long at = 0; at < source.size(); at += buffer.capacity()) {
      buffer.clear().limit((int) Math.min(buffer.capacity(), source.size() - at));
      source.readFully(at, buffer);
      buffer.flip();
      crc.update(buffer);
    }
    return crc.getValue();
  }

  /** Deletes a copy no partition reads any more (unregistered, replaced, or dropped). */
  void discard(CompactedCopy copy) {
    deleteQuietly(copy.file().path());
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
    // The same file in another dataset (same bytes, same store) already has a copy: share it.
    Optional<Catalog.SharedCopy> twin = catalog.copyOfSameFile(p);
    if (twin.isPresent() && catalog.swapToCompacted(p, twin.get().copy(), twin.get().chunkIndex())) {
      log.info("partition {}: shares the compacted copy {} of the same file in another dataset", p.partitionId(), twin.get().copy().file());
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
      CompactedCopy compacted;
      byte[] index;
      try (RecordingSource written = catalog.openLocal(copy)) {
        index = ChunkIndex.build(written, allocator, ReadMode.STRICT).forStore(p.storeId()).toBytes();
        // Summed as indexed: the index was built from these very bytes.
        compacted = new CompactedCopy(FileStamp.of(written), result.chunksOut(), crc32c(written));
      }
      if (catalog.swapToCompacted(p, compacted, index)) {
        log.info("partition {}: compacted {} chunks into {} ({} MB) in {} ms, now read from {}", p.partitionId(), result.chunksIn(),
            result.chunksOut(), result.bytesWritten() >> 20, (System.nanoTime() - start) / 1_000_000, copy);
        failed.remove(p.file());
      } else {
        deleteQuietly(copy); // the partition changed or went meanwhile
      }
    } catch (IOException | RuntimeException | Error e) {
      // An Error too (out of heap beside large queries): the thread goes on to the next file, and
      // this one is FAILED rather than pending for ever; tried again when registered again or after a restart.
      log.warn("partition {}: compacting {} failed, it stays read from its file{}: {}", p.partitionId(), p.file().location(),
          e instanceof OutOfMemoryError ? " (a larger heap helps: RRDFLIGHT_JAVA_OPTS=-Xmx1g)" : "", e.toString());
      failed.add(p.file());
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
