package io.rrdflight.rrd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(NoLeaks.class)
class FooterTotalsTest {
  @TempDir Path tmp;

  @Test
  void eachStoresTotalsAreWhatItsChunksInTheFooterIndexAddUpTo(BufferAllocator allocator) throws IOException {
    int withFooter = 0;
    for (Path file : Fixtures.all()) {
      ChunkIndex index = ChunkIndex.build(file, allocator);
      Optional<FooterTotals> totals = totals(file, allocator);
      assertEquals(index.source() == ChunkIndex.Source.FOOTER, totals.isPresent(), file.toString());
      if (totals.isEmpty()) {
        continue;
      }
      withFooter++;
      assertEquals(index.stores(), totals.get().stores().stream().map(StoreTotals::store).toList(), file.toString());
      for (StoreTotals store : totals.get().stores()) {
        StoreId id = store.store().id();
        List<IndexedChunk> chunks = index.chunksOf(id);
        String where = file + " " + id;
        assertEquals(chunks.size(), store.chunkCount(), where);
        assertEquals(chunks.stream().mapToLong(IndexedChunk::rowCount).sum(), store.rowCount(), where);
        TreeSet<Timeline> timelines = new TreeSet<>();
        chunks.forEach(c -> timelines.addAll(c.timeRanges().keySet()));
        assertEquals(timelines, store.timelines(), where);
        Set<StoreTotals.Column> columns = new LinkedHashSet<>();
        chunks.forEach(c -> c.components().forEach(d -> columns.add(new StoreTotals.Column(c.entityPath(), d, c.isStatic()))));
        assertEquals(List.copyOf(columns), store.columns(), "each column once, in file order: " + where);
        List<IndexedChunk> withComponents = chunks.stream().filter(c -> !c.components().isEmpty()).toList();
        assertEquals(withComponents.size(), store.componentChunks(), where);
        assertEquals(withComponents.stream().mapToLong(c -> c.sizes().ipcBytes()).sum(), store.componentChunkIpcBytes(), where);
        assertEquals(index.footerSchema(id), totals.get().footerSchema(id), where);
      }
    }
    assertTrue(withFooter > 0, "no fixture has a footer; versions/rerun-0.41.0.rrd should");
  }

  @Test
  void aStoresFooterReferenceIsTheOneItsIndexGives(BufferAllocator allocator) throws IOException {
    Path file = Fixtures.version("0.41.0");
    ChunkIndex index = ChunkIndex.build(file, allocator);
    FooterTotals totals = totals(file, allocator).orElseThrow();

    assertTrue(totals.canReferToFooter());
    for (Store store : index.stores()) {
      byte[] reference = totals.footerReference(store.id());
      assertArrayEquals(index.forStore(store.id()).toFooterReference(), reference, store.toString());
      assertEquals(index.chunksOf(store.id()), ChunkIndex.fromBytes(reference, file.toString(), allocator).chunks());
    }
  }

  @Test
  void fileWithoutAFooterItCanTrustHasNoTotals(BufferAllocator allocator) throws IOException {
    Path v41 = Fixtures.version("0.41.0");
    Path unsummed = TestFiles.withBytes(tmp, "bad-checksum.rrd", withFooterChecksumFlipped(v41));
    Path concatenated = TestFiles.concatenated(tmp, "cat.rrd", v41, v41);
    Path truncated = TestFiles.truncated(v41, Files.size(v41) - 10, tmp);
    for (Path file : List.of(Fixtures.version("0.27.3"), unsummed, concatenated, truncated)) {
      assertTrue(totals(file, allocator).isEmpty(), file.toString());
    }
    assertEquals(ChunkIndex.Source.SCAN, ChunkIndex.build(unsummed, allocator).source(), "a checksum that does not match: scanned");
  }

  private static Optional<FooterTotals> totals(Path file, BufferAllocator allocator) throws IOException {
    try (LocalFile source = LocalFile.open(file)) {
      return FooterTotals.read(source, allocator);
    }
  }

  /** The file with the last byte of its stream footer's checksum changed. */
  private static byte[] withFooterChecksumFlipped(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    int checksumEnd = bytes.length - 12; // the entry's 4-byte checksum ends where the 12-byte tail starts
    bytes[checksumEnd - 1] ^= 0x5A;
    return bytes;
  }
}
