package io.rrdflight.rrd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(NoLeaks.class)
class ChunkIndexTest {
  @TempDir Path tmp;

  @Test
  void fileWithFooterIsIndexedFromTheFooterAsAScanWouldIndexIt(BufferAllocator allocator) throws IOException {
    Path file = Fixtures.version("0.41.0");
    ChunkIndex fromFooter = ChunkIndex.build(file, allocator);
    ChunkIndex scanned = ChunkIndex.scan(file, ReadMode.STRICT);

    assertEquals(ChunkIndex.Source.FOOTER, fromFooter.source());
    assertEquals(ChunkIndex.Source.SCAN, scanned.source());
    assertEquals(scanned.streams(), fromFooter.streams());
    assertFalse(scanned.chunks().isEmpty());
    assertEquals(unlocated(scanned.chunks()), unlocated(fromFooter.chunks()));
    assertEquals(scanned.stores().stream().map(Store::id).distinct().toList(), fromFooter.stores().stream().map(Store::id).toList());
  }

  @Test
  void everyFixtureWithAFooterIndexesAsItsScan(BufferAllocator allocator) throws IOException {
    int withFooter = 0;
    for (Path file : Fixtures.all()) {
      ChunkIndex built = ChunkIndex.build(file, allocator);
      if (built.source() == ChunkIndex.Source.FOOTER) {
        withFooter++;
        assertEquals(unlocated(ChunkIndex.scan(file, ReadMode.STRICT).chunks()), unlocated(built.chunks()), file.toString());
      }
    }
    assertTrue(withFooter > 0, "no fixture has a footer; versions/rerun-0.41.0.rrd should");
  }

  @Test
  void footerGivesEachStoresSchemaWithEveryColumnTheChunksHave(BufferAllocator allocator) throws IOException {
    Path file = Fixtures.version("0.41.0");
    ChunkIndex index = ChunkIndex.build(file, allocator);

    for (Store store : index.stores()) {
      Schema schema = index.footerSchema(store.id()).orElseThrow();
      assertEquals(schema, index.forStore(store.id()).footerSchema(store.id()).orElseThrow());
      for (IndexedChunk chunk : index.chunksOf(store.id())) {
        for (ComponentDescriptor component : chunk.components()) {
          assertTrue(schema.getFields().stream().anyMatch(f -> chunk.entityPath().equals(f.getMetadata().get("rerun:entity_path"))
              && component.component().equals(f.getMetadata().get("rerun:component"))), chunk.entityPath() + " " + component);
        }
        for (Timeline timeline : chunk.timeRanges().keySet()) {
          assertTrue(schema.getFields().stream().anyMatch(f -> timeline.name().equals(f.getMetadata().get("rerun:index_name"))), timeline.name());
        }
      }
    }
  }

  @Test
  void onlyAFooterGivesASchema(BufferAllocator allocator) throws IOException {
    ChunkIndex scanned = ChunkIndex.build(Fixtures.version("0.27.3"), allocator);
    ChunkIndex fromFooter = ChunkIndex.build(Fixtures.version("0.41.0"), allocator);
    ChunkIndex readBack = ChunkIndex.fromBytes(fromFooter.toBytes(), fromFooter.file());

    assertTrue(scanned.stores().stream().allMatch(s -> scanned.footerSchema(s.id()).isEmpty()));
    assertTrue(readBack.stores().stream().allMatch(s -> readBack.footerSchema(s.id()).isEmpty()), "the saved index does not keep it");
  }

  @Test
  void fileWithoutFooterIsScanned(BufferAllocator allocator) throws IOException {
    ChunkIndex index = ChunkIndex.build(Fixtures.version("0.27.3"), allocator);

    assertEquals(ChunkIndex.Source.SCAN, index.source());
    assertFalse(index.chunks().isEmpty());
  }

  @Test
  void concatenatedFilesWithFootersAreScannedWhole(BufferAllocator allocator) throws IOException {
    Path v41 = Fixtures.version("0.41.0");
    int single = ChunkIndex.build(v41, allocator).chunks().size();
    // The trailer at the end belongs to the last stream and counts from its start; a copy of the same
    // file before it must not let the first copy's footer pass for the whole file either.
    for (Path[] parts : List.of(new Path[] {v41, v41}, new Path[] {Fixtures.version("0.27.3"), v41})) {
      Path both = TestFiles.concatenated(tmp, "cat.rrd", parts);
      ChunkIndex index = ChunkIndex.build(both, allocator);

      assertEquals(ChunkIndex.Source.SCAN, index.source());
      assertEquals(ChunkIndex.scan(parts[0], ReadMode.STRICT).chunks().size() + single, index.chunks().size());
      assertTrue(index.warnings().stream().anyMatch(w -> w.contains("scanned instead")), index.warnings().toString());
    }
  }

  @Test
  void chunkOffsetsOfTheIndexAreThoseOfTheArrowMessages(BufferAllocator allocator) throws IOException {
    for (Path file : Fixtures.all()) {
      List<long[]> spans = new ArrayList<>();
      for (RrdMessage.ChunkRef ref : FileContents.read(file, allocator).chunkRefs()) {
        spans.add(new long[] {ref.offset(), ref.length()});
      }
      List<IndexedChunk> chunks = ChunkIndex.build(file, allocator).chunks();
      assertEquals(spans.size(), chunks.size(), file.toString());
      for (int i = 0; i < spans.size(); i++) {
        assertEquals(spans.get(i)[0], chunks.get(i).offset(), file + " chunk " + i);
        assertEquals(spans.get(i)[1], chunks.get(i).length(), file + " chunk " + i);
      }
    }
  }

  @Test
  void indexedRangesRowsAndComponentsMatchTheDecodedChunk(BufferAllocator allocator) throws IOException {
    for (Path file : Fixtures.all()) {
      for (IndexedChunk indexed : ChunkIndex.build(file, allocator).chunks()) {
        try (Chunk chunk = RrdReader.readChunk(file, indexed.offset(), indexed.length(), allocator)) {
          String where = file + " " + indexed.id();
          assertEquals(indexed.id(), chunk.id(), where);
          assertEquals(indexed.entityPath(), chunk.entityPath(), where);
          assertEquals(indexed.isStatic(), chunk.isStatic(), where);
          assertEquals(indexed.rowCount(), chunk.rowCount(), where);
          assertEquals(rangesOf(chunk), indexed.timeRanges(), where);
          List<ComponentDescriptor> nonNull = chunk.componentColumns().stream()
              .filter(c -> c.vector().getNullCount() < c.vector().getValueCount())
              .map(ComponentColumn::descriptor)
              .sorted(java.util.Comparator.comparing(ComponentDescriptor::component))
              .toList();
          assertEquals(nonNull, indexed.components(), where);
          // Where the index located a component's cells, it located them right.
          Map<ComponentDescriptor, SortedMap<Timeline, IndexRange>> cells = cellRangesOf(chunk);
          indexed.componentRanges().forEach((component, ranges) -> assertEquals(cells.get(component), ranges, where + " " + component));
        }
      }
    }
  }

  @Test
  void aFooterLocatesEveryComponentsCellsAndAScanThoseOfComponentsWithoutNulls(BufferAllocator allocator) throws IOException {
    Path file = Fixtures.version("0.41.0");
    for (ChunkIndex index : List.of(ChunkIndex.build(file, allocator), ChunkIndex.scan(file, ReadMode.STRICT))) {
      for (IndexedChunk indexed : index.chunks()) {
        try (Chunk chunk = RrdReader.readChunk(file, indexed.offset(), indexed.length(), allocator)) {
          Map<ComponentDescriptor, SortedMap<Timeline, IndexRange>> cells = cellRangesOf(chunk);
          for (ComponentColumn column : chunk.componentColumns()) {
            boolean located = indexed.componentRanges().containsKey(column.descriptor());
            boolean withCells = cells.containsKey(column.descriptor());
            boolean dense = column.vector().getNullCount() == 0;
            if (index.source() == ChunkIndex.Source.FOOTER) {
              assertEquals(withCells, located, indexed.id() + " " + column.descriptor());
            } else {
              assertEquals(withCells && dense, located, indexed.id() + " " + column.descriptor());
            }
          }
        }
      }
    }
  }

  @Test
  void anIndexSavedInFormatTwoIsStillReadAndOneFromAFooterGainsItsComponentsRanges(BufferAllocator allocator) throws IOException {
    for (ChunkIndex built : List.of(ChunkIndex.build(Fixtures.version("0.41.0"), allocator), ChunkIndex.scan(Fixtures.version("0.27.3"), ReadMode.STRICT))) {
      ChunkIndex formatTwo = new ChunkIndex(built.file(), built.fileSize(), built.lastModifiedMillis(), built.source(), built.streams(),
          built.stores(), unlocated(built.chunks()), null, built.warnings());
      byte[] bytes = formatTwo.toBytes();
      bytes[8] = 2; // the format version follows the 8-byte magic; format 2 had no components' ranges
      ChunkIndex read = ChunkIndex.fromBytes(bytes, built.file(), allocator);
      if (built.source() == ChunkIndex.Source.FOOTER) {
        assertEquals(built.chunks(), read.chunks(), "read again from the footer");
      } else {
        assertEquals(unlocated(built.chunks()), read.chunks(), "as saved: a scan is not redone on reading");
      }
      assertEquals(unlocated(built.chunks()), ChunkIndex.fromBytes(bytes, built.file()).chunks(), "without an allocator: as saved");
    }
  }

  @Test
  void readingAnOlderIndexAgainFromTheFooterTakesItsArrowMemoryFromTheGivenAllocator(BufferAllocator allocator) throws IOException {
    ChunkIndex built = ChunkIndex.build(Fixtures.version("0.41.0"), allocator);
    byte[] bytes = new ChunkIndex(built.file(), built.fileSize(), built.lastModifiedMillis(), built.source(), built.streams(),
        built.stores(), unlocated(built.chunks()), null, built.warnings()).toBytes();
    bytes[8] = 2;
    try (BufferAllocator none = allocator.newChildAllocator("no room for the footer's manifest", 0, 0)) {
      // The footer cannot be read within a limit of 0 bytes: the saved index stands, as it does for any failure to refine it.
      assertEquals(unlocated(built.chunks()), ChunkIndex.fromBytes(bytes, built.file(), none).chunks());
    }
  }

  /** The chunks without their components' located cells: what scan and footer agree on. */
  private static List<IndexedChunk> unlocated(List<IndexedChunk> chunks) {
    return chunks.stream().map(c -> new IndexedChunk(c.store(), c.id(), c.entityPath(), c.isStatic(), c.rowCount(), c.timeRanges(),
        c.components(), c.offset(), c.length(), c.sizes())).toList();
  }

  /** Per component with a non-null cell, per timeline, the min and max time of those cells. */
  private static Map<ComponentDescriptor, SortedMap<Timeline, IndexRange>> cellRangesOf(Chunk chunk) {
    Map<ComponentDescriptor, SortedMap<Timeline, IndexRange>> out = new java.util.HashMap<>();
    for (ComponentColumn column : chunk.componentColumns()) {
      for (IndexColumn index : chunk.indexColumns()) {
        for (int row = 0; row < chunk.rowCount(); row++) {
          if (!index.isNull(row) && !column.vector().isNull(row)) {
            IndexRange point = new IndexRange(index.value(row), index.value(row));
            out.computeIfAbsent(column.descriptor(), k -> new TreeMap<>()).merge(index.timeline(), point, IndexRange::span);
          }
        }
      }
    }
    return out;
  }

  @Test
  void contentsTakenDuringTheScanAreWhatReadingEachChunkGivesAndTheIndexIsUnchanged(BufferAllocator allocator) throws IOException {
    int taken = 0;
    for (Path file : Fixtures.all()) {
      try (LocalFile source = LocalFile.open(file)) {
        ChunkIndex.WithContents built = ChunkIndex.buildWithContents(source, allocator, ReadMode.STRICT);
        ChunkIndex plain = ChunkIndex.build(source, allocator, ReadMode.STRICT);
        assertEquals(plain.chunks(), built.index().chunks(), file.toString());
        assertEquals(plain.stores(), built.index().stores(), file.toString());
        assertEquals(plain.warnings(), built.index().warnings(), file.toString());
        for (IndexedChunk chunk : built.index().chunks()) {
          List<ComponentContents> contents = built.contents().get(chunk.offset());
          if (contents != null) {
            assertEquals(RrdReader.readComponentContents(source, chunk.offset(), chunk.length()), contents, file + " @" + chunk.offset());
            taken++;
          }
        }
        assertTrue(built.contents().keySet().stream().allMatch(o -> built.index().chunks().stream().anyMatch(c -> c.offset() == o)),
            "contents only of the index's chunks: " + file);
      }
    }
    assertTrue(taken > 50, "chunks whose contents came with the scan: " + taken);
  }

  @Test
  void aSmallFilesScanTakesTheContentsOfEachChunkWithAColumnNotYetSeenHoldingAValue(BufferAllocator allocator) throws IOException {
    try (LocalFile source = LocalFile.open(Fixtures.file("many/rec-many-0000.rrd"))) {
      ChunkIndex.WithContents built = ChunkIndex.buildWithContents(source, allocator, ReadMode.STRICT);
      assertEquals(built.index().chunks().size(), built.contents().size(), "each chunk has a column of its own");
    }
    try (LocalFile source = LocalFile.open(Fixtures.version("0.41.0"))) {
      assertEquals(Map.of(), ChunkIndex.buildWithContents(source, allocator, ReadMode.STRICT).contents(), "a footer's index reads no chunk");
    }
  }

  @Test
  void theEncodedIndexIsWhatTheGeneratedProtobufCodeWritesForTheSameMessage(BufferAllocator allocator) throws IOException {
    List<ChunkIndex> indexes = new ArrayList<>();
    for (Path file : Fixtures.all()) {
      indexes.add(ChunkIndex.build(file, allocator));
      indexes.add(ChunkIndex.scan(file, ReadMode.STRICT));
    }
    for (FixtureManifest.Entry damaged : FixtureManifest.load().files().stream().filter(FixtureManifest.Entry::damaged).toList()) {
      try {
        indexes.add(ChunkIndex.scan(damaged.file(), ReadMode.SALVAGE)); // damage and warnings
      } catch (RrdFormatException e) {
        // damaged before its first message: no index to encode
      }
    }
    assertTrue(indexes.stream().anyMatch(i -> i.damage().isPresent()) && indexes.stream().anyMatch(i -> !i.warnings().isEmpty()));
    for (ChunkIndex index : indexes) {
      List<byte[]> encodings = new ArrayList<>(List.of(index.toBytes()));
      if (index.canReferToFooter()) {
        encodings.add(index.toFooterReference());
      }
      for (byte[] encoded : encodings) {
        byte[] message = java.util.Arrays.copyOfRange(encoded, 12, encoded.length);
        // Parsed and written again by the generated code: the same bytes if ours are in its order and form.
        assertArrayEquals(io.rrdflight.rrd.proto.ChunkIndexFile.parseFrom(message).toByteArray(), message, index.file());
      }
    }
  }

  @Test
  void indexSurvivesARoundTripThroughItsFile(BufferAllocator allocator) throws IOException {
    for (Path file : List.of(Fixtures.version("0.23.4"), Fixtures.version("0.27.3"), Fixtures.version("0.41.0"))) {
      ChunkIndex built = ChunkIndex.build(file, allocator);
      Path saved = tmp.resolve(file.getFileName() + ".idx");
      built.writeTo(saved);
      ChunkIndex read = ChunkIndex.readFrom(saved, file);

      assertEquals(built.chunks(), read.chunks());
      assertEquals(built.streams(), read.streams());
      assertEquals(built.stores(), read.stores());
      assertEquals(built.source(), read.source());
      assertEquals(built.warnings(), read.warnings());
      assertTrue(read.isCurrent());
      assertTrue(Files.size(saved) < Files.size(file), "the index is smaller than the file it describes");
    }
  }

  @Test
  void chunksKeepTheHeapSizeTheirWriterDeclared(BufferAllocator allocator) throws IOException {
    // Writers up to about 0.30 store the chunk's heap size in its schema (0.23 as rerun.heap_size_bytes,
    // which Rerun's migration renames); 0.41 does not.
    for (String version : List.of("0.23.4", "0.27.3")) {
      List<IndexedChunk> declaring = ChunkIndex.build(Fixtures.version(version), allocator).chunks();
      assertFalse(declaring.isEmpty());
      for (IndexedChunk c : declaring) {
        assertTrue(c.sizes().declaredHeapBytes().orElse(0) > 0, version + " " + c);
        assertTrue(c.sizes().ipcBytes() > 0, version + " " + c);
      }
    }
    for (IndexedChunk c : ChunkIndex.build(Fixtures.version("0.41.0"), allocator).chunks()) {
      assertTrue(c.sizes().declaredHeapBytes().isEmpty(), c.toString());
      assertTrue(c.sizes().ipcBytes() > c.length(), "an LZ4 payload decompresses to more than it takes: " + c);
    }
  }

  @Test
  void savedIndexOfAChangedFileIsRebuilt(BufferAllocator allocator) throws IOException {
    Path file = Files.copy(Fixtures.version("0.27.3"), tmp.resolve("rec.rrd"));
    Path saved = tmp.resolve("rec.rrd.idx");
    ChunkIndex first = ChunkIndex.loadOrBuild(file, saved, allocator);
    assertTrue(Files.exists(saved));

    Files.setLastModifiedTime(file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 5_000));
    assertFalse(ChunkIndex.readFrom(saved, file).isCurrent());
    ChunkIndex second = ChunkIndex.loadOrBuild(file, saved, allocator);

    assertTrue(second.isCurrent());
    assertEquals(first.chunks(), second.chunks());
    assertTrue(ChunkIndex.readFrom(saved, file).isCurrent(), "the rebuilt index was saved");
  }

  @Test
  void savedIndexOfAnotherFormatVersionIsRefused(BufferAllocator allocator) throws IOException {
    Path file = Fixtures.version("0.27.3");
    Path saved = tmp.resolve("rec.idx");
    ChunkIndex.build(file, allocator).writeTo(saved);
    byte[] bytes = Files.readAllBytes(saved);
    bytes[8] = 99; // the format version follows the 8-byte magic
    Files.write(saved, bytes);

    RrdFormatException e = assertThrows(RrdFormatException.class, () -> ChunkIndex.readFrom(saved, file));
    assertTrue(e.getMessage().contains("index format version 99"), e.getMessage());
    assertEquals(ChunkIndex.build(file, allocator).chunks(), ChunkIndex.loadOrBuild(file, saved, allocator).chunks());
  }

  /** Min and max of each index column's non-null values, computed from the vectors. */
  private static SortedMap<Timeline, IndexRange> rangesOf(Chunk chunk) {
    SortedMap<Timeline, IndexRange> ranges = new TreeMap<>();
    for (IndexColumn column : chunk.indexColumns()) {
      Optional<IndexRange> range = Optional.empty();
      for (int row = 0; row < chunk.rowCount(); row++) {
        if (!column.isNull(row)) {
          IndexRange point = new IndexRange(column.value(row), column.value(row));
          range = Optional.of(range.map(r -> r.span(point)).orElse(point));
        }
      }
      range.ifPresent(r -> ranges.put(column.timeline(), r));
    }
    return ranges;
  }
}
