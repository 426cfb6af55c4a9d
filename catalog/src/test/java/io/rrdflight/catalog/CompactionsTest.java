package io.rrdflight.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.rrd.Chunk;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.NoLeaks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.arrow.memory.AllocationListener;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recording of many small chunks is compacted once after registration, and then read from its
 * copy: the same rows in far fewer chunks. The original file still governs: a changed file is not
 * served, registering it again drops the copy and makes a new one; deleting removes the copy.
 */
@ExtendWith(NoLeaks.class)
class CompactionsTest {
  private static final Duration WAIT = Duration.ofSeconds(120);

  @TempDir Path dataDir;
  @TempDir Path files;
  private BufferAllocator allocator;
  private Catalog catalog;

  @BeforeEach
  void open(BufferAllocator allocator) {
    this.allocator = allocator;
    catalog = Catalog.open(dataDir, new RrdRecordingIndexer(allocator), 1);
  }

  @AfterEach
  void close() {
    catalog.close();
  }

  private Partition registered(String fixture) throws Exception {
    Path file = Files.copy(RrdRecordingIndexerTest.fixture(fixture), files.resolve(Path.of(fixture).getFileName()));
    Dataset d = catalog.createDataset("d");
    Task task = catalog.register(d.id(), DataSource.of(file.toUri().toString(), null), OnDuplicate.ERROR, WAIT);
    assertEquals(TaskStatus.SUCCESS, task.status(), String.valueOf(task.message()));
    catalog.awaitCompactions(WAIT);
    return catalog.partitions(d.id()).get(0);
  }

  @Test
  void aRecordingOfSmallChunksIsReadFromItsCompactedCopyWithTheSameRows() throws Exception {
    Partition p = registered("small-chunks/small-chunks.rrd");
    CompactedCopy copy = p.compacted().orElseThrow(() -> new AssertionError("not compacted: " + p));
    assertTrue(Files.isRegularFile(copy.file().path()));
    assertTrue(copy.file().path().startsWith(dataDir), copy.file().location());

    List<IndexedChunk> chunks = catalog.chunks(p).chunks();
    assertEquals(copy.chunkCount(), chunks.size());
    assertTrue(chunks.size() * 20 < p.chunkCount(), p.chunkCount() + " chunks became " + chunks.size());
    assertEquals(p.rowCount(), chunks.stream().mapToLong(IndexedChunk::rowCount).sum());
    long rows = 0;
    for (IndexedChunk c : chunks) {
      try (Chunk chunk = catalog.readChunk(p, c.offset(), c.length(), allocator)) {
        assertEquals(c.id(), chunk.id());
        rows += chunk.rowCount();
      }
    }
    assertEquals(p.rowCount(), rows);

    // A query that took the partition before the swap keeps reading the original, index and bytes alike.
    Partition before = p.withCompacted(java.util.Optional.empty());
    List<IndexedChunk> original = catalog.chunks(before).chunks();
    assertEquals(p.chunkCount(), original.size());
    IndexedChunk last = original.get(original.size() - 1);
    try (Chunk chunk = catalog.readChunk(before, last.offset(), last.length(), allocator)) {
      assertEquals(last.id(), chunk.id());
    }

    assertEquals(CompactionState.DONE, catalog.compactionState(p));

    // Kept across a restart (served again once checked whole).
    catalog.close();
    catalog = Catalog.open(dataDir, new RrdRecordingIndexer(allocator), 1);
    catalog.awaitCompactions(WAIT);
    assertEquals(p, catalog.partitions(p.datasetId()).get(0));
    assertEquals(chunks, catalog.chunks(p).chunks());
  }

  @Test
  void listenersAreToldOfTheAddedPartitionThenOfItsCompactionsEndWhenItNoLongerWaits() throws Exception {
    List<String> told = new java.util.concurrent.CopyOnWriteArrayList<>();
    catalog.listen(new PartitionListener() {
      @Override
      public void partitionsAdded(List<Partition> added) {
        added.forEach(p -> told.add("added " + p.partitionId()));
      }

      @Override
      public void compactionEnded(Partition p) {
        told.add("compaction ended " + p.partitionId() + ", now " + catalog.compactionState(catalog.partitions(p.datasetId()).get(0)));
      }
    });
    Partition p = registered("small-chunks/small-chunks.rrd");
    assertEquals(List.of("added " + p.partitionId(), "compaction ended " + p.partitionId() + ", now DONE"), told);
  }

  @Test
  void aRecordingOfLargeChunksIsLeftAlone() throws Exception {
    Partition p = registered("versions/rerun-0.27.3.rrd");
    assertTrue(p.compacted().isEmpty());
    assertEquals(CompactionState.NONE, catalog.compactionState(p));
    assertFalse(Files.exists(dataDir.resolve("compacted")) && Files.list(dataDir.resolve("compacted")).findAny().isPresent());
  }

  @Test
  void aChangedFileIsNotServedAndRegisteringItAgainMakesANewCopy() throws Exception {
    Partition p = registered("small-chunks/small-chunks.rrd");
    Path oldCopy = p.compacted().orElseThrow().file().path();
    Files.setLastModifiedTime(p.file().path(), FileTime.fromMillis(Files.getLastModifiedTime(p.file().path()).toMillis() + 5_000));

    CatalogException e = assertThrows(CatalogException.class, () -> catalog.chunks(p));
    assertTrue(e.getMessage().contains("changed since it was registered"), e.getMessage());
    assertThrows(CatalogException.class, () -> catalog.openSource(p).close());

    Task again = catalog.register(p.datasetId(), DataSource.of(p.file().path().toUri().toString(), null), OnDuplicate.OVERWRITE, WAIT);
    assertEquals(TaskStatus.SUCCESS, again.status(), String.valueOf(again.message()));
    assertFalse(Files.exists(oldCopy), "the old copy went with the old partition");
    catalog.awaitCompactions(WAIT);
    Partition now = catalog.partitions(p.datasetId()).get(0);
    Path newCopy = now.compacted().orElseThrow().file().path();
    assertNotEquals(oldCopy, newCopy);
    assertEquals(p.rowCount(), catalog.chunks(now).chunks().stream().mapToLong(IndexedChunk::rowCount).sum());
  }

  @Test
  void unregisteringOrDeletingRemovesTheCopy() throws Exception {
    Partition p = registered("small-chunks/small-chunks.rrd");
    Path copy = p.compacted().orElseThrow().file().path();
    catalog.unregister(p.datasetId(), List.of(p.partitionId()), List.of());
    assertFalse(Files.exists(copy));

    Task task = catalog.register(p.datasetId(), DataSource.of(p.file().path().toUri().toString(), null), OnDuplicate.ERROR, WAIT);
    assertEquals(TaskStatus.SUCCESS, task.status());
    catalog.awaitCompactions(WAIT);
    Path second = catalog.partitions(p.datasetId()).get(0).compacted().orElseThrow().file().path();
    catalog.deleteDataset(p.datasetId());
    assertFalse(Files.exists(second));
    assertEquals(Set.of(), Set.copyOf(List.of(Files.list(dataDir.resolve("compacted")).toArray())));
  }

  @Test
  void aCopyThatWasRemovedIsDroppedAndMadeAgain() throws Exception {
    Partition p = registered("small-chunks/small-chunks.rrd");
    Files.delete(p.compacted().orElseThrow().file().path());
    CatalogException e = assertThrows(CatalogException.class, () -> catalog.chunks(p));
    assertTrue(e.getMessage().contains("compacted copy"), e.getMessage());
    catalog.awaitCompactions(WAIT);
    Partition now = catalog.partitions(p.datasetId()).get(0);
    assertTrue(now.compacted().isPresent());
    assertEquals(p.rowCount(), catalog.chunks(now).chunks().stream().mapToLong(IndexedChunk::rowCount).sum());
  }

  @Test
  void withCompactionOffNoCopyIsMade() throws Exception {
    catalog.close();
    catalog = Catalog.open(new CatalogLocation.Embedded(dataDir), new RrdRecordingIndexer(allocator), 1, RegistrationLimits.UNRESTRICTED,
        io.rrdflight.rrd.RecordingSources.localOnly(), dataDir.resolve("tables"), CompactionPolicy.parse("off"));
    Partition p = registered("small-chunks/small-chunks.rrd");
    assertTrue(p.compacted().isEmpty());
    assertEquals(CompactionState.NONE, catalog.compactionState(p));
    assertFalse(Files.exists(dataDir.resolve("compacted")) && Files.list(dataDir.resolve("compacted")).findAny().isPresent());
  }

  @Test
  void aCompactionThatRunsOutOfHeapEndsFailedAndThePartitionReadsItsOwnFile() throws Exception {
    catalog.close();
    AtomicBoolean outOfHeap = new AtomicBoolean(true);
    RecordingIndexer starved = new ForwardingRecordingIndexer(allocator) {
      @Override
      public BufferAllocator newWorkAllocator(String name, long limit) {
        return allocator.newChildAllocator(name, new AllocationListener() {
          @Override
          public void onPreAllocation(long size) {
            if (outOfHeap.get()) {
              throw new OutOfMemoryError("Java heap space (test)");
            }
          }
        }, 0, limit);
      }
    };
    catalog = Catalog.open(dataDir, starved, 1);
    Partition p = registered("small-chunks/small-chunks.rrd");
    assertTrue(p.compacted().isEmpty());
    assertEquals(CompactionState.FAILED, catalog.compactionState(p));
    assertEquals(p.chunkCount(), catalog.chunks(p).chunks().size());
    assertFalse(Files.list(dataDir.resolve("compacted")).findAny().isPresent(), "no .partial file is left");

    // The compaction thread lives on: the next file is compacted, and this one when registered again.
    outOfHeap.set(false);
    Task again = catalog.register(p.datasetId(), DataSource.of(p.file().path().toUri().toString(), null), OnDuplicate.OVERWRITE, WAIT);
    assertEquals(TaskStatus.SUCCESS, again.status(), String.valueOf(again.message()));
    catalog.awaitCompactions(WAIT);
    Partition now = catalog.partitions(p.datasetId()).get(0);
    assertTrue(now.compacted().isPresent(), "compacted when registered again: " + now);
    assertEquals(CompactionState.DONE, catalog.compactionState(now));
  }

  @Test
  void thresholdsAreParsedAndBadOnesNamed() {
    assertEquals(new CompactionPolicy(500, 8), CompactionPolicy.parse("500:8"));
    assertEquals(CompactionPolicy.AUTO, CompactionPolicy.parse("auto"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CompactionPolicy.parse("sometimes"));
    assertTrue(e.getMessage().contains("MIN_CHUNKS:MAX_MEAN_ROWS") && e.getMessage().contains("sometimes"), e.getMessage());
  }

  @Test
  void aFileRegisteredInTwoDatasetsIsCompactedOnce() throws Exception {
    Partition first = registered("small-chunks/small-chunks.rrd");
    Dataset other = catalog.createDataset("other");
    Task task = catalog.register(other.id(), DataSource.of(first.file().path().toUri().toString(), null), OnDuplicate.ERROR, WAIT);
    assertEquals(TaskStatus.SUCCESS, task.status(), String.valueOf(task.message()));
    catalog.awaitCompactions(WAIT);
    Partition second = catalog.partitions(other.id()).get(0);
    Path copy = first.compacted().orElseThrow().file().path();
    assertEquals(copy, second.compacted().orElseThrow(() -> new AssertionError("not compacted: " + second)).file().path());
    assertEquals(1, Files.list(dataDir.resolve("compacted")).count());
    assertEquals(catalog.chunks(first).chunks(), catalog.chunks(second).chunks());

    // The copy stays while a partition reads it.
    catalog.unregister(first.datasetId(), List.of(first.partitionId()), List.of());
    assertTrue(Files.exists(copy));
    assertEquals(first.rowCount(), catalog.chunks(second).chunks().stream().mapToLong(IndexedChunk::rowCount).sum());
    catalog.deleteDataset(other.id());
    assertFalse(Files.exists(copy));
  }

  @Test
  void aCopyDamagedInPlaceIsNeverServedAndIsMadeAgain() throws Exception {
    Partition p = registered("small-chunks/small-chunks.rrd");
    Path copy = p.compacted().orElseThrow().file().path();
    catalog.close();
    // Bytes in the middle changed, size and modification time kept: only the checksum can tell.
    FileTime modified = Files.getLastModifiedTime(copy);
    byte[] bytes = Files.readAllBytes(copy);
    for (int i = bytes.length / 2; i < bytes.length / 2 + 64; i++) {
      bytes[i] ^= 0x5a;
    }
    Files.write(copy, bytes);
    Files.setLastModifiedTime(copy, modified);

    catalog = Catalog.open(dataDir, new RrdRecordingIndexer(allocator), 1);
    Partition served = catalog.partitions(p.datasetId()).get(0);
    assertTrue(served.compacted().isEmpty(), "a recorded copy is not served before it is checked");
    assertEquals(p.chunkCount(), catalog.chunks(served).chunks().size());
    catalog.awaitCompactions(WAIT);
    Partition now = catalog.partitions(p.datasetId()).get(0);
    Path again = now.compacted().orElseThrow(() -> new AssertionError("not made again: " + now)).file().path();
    assertNotEquals(copy, again);
    assertFalse(Files.exists(copy), "the damaged copy is deleted");
    long rows = 0;
    for (IndexedChunk c : catalog.chunks(now).chunks()) {
      try (Chunk chunk = catalog.readChunk(now, c.offset(), c.length(), allocator)) {
        rows += chunk.rowCount();
      }
    }
    assertEquals(p.rowCount(), rows);
  }
}
