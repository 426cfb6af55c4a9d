package io.rrdflight.rrd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@ExtendWith(NoLeaks.class)
class RrdReaderTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"0.23.4", "0.27.3", "0.41.0"})
  void readsTheStoresAndChunksWrittenByEachSdkVersion(String version, BufferAllocator allocator) throws IOException {
    FileContents contents = FileContents.read(Fixtures.version(version), allocator);

    assertFalse(contents.stores().isEmpty());
    for (Store store : contents.stores()) {
      assertEquals(version, store.version().toString());
      assertFalse(store.applicationId().isEmpty(), store.toString());
      assertFalse(store.recordingId().isEmpty(), store.toString());
    }
    assertTrue(contents.stores().stream().anyMatch(s -> s.kind() == StoreKind.RECORDING));
    assertFalse(contents.chunks().isEmpty());
    assertInstanceOf(RrdMessage.StreamEnd.class, contents.messages().get(contents.messages().size() - 1));
  }

  @Test
  void endFrameCarriesAFooterFromVersion028On(BufferAllocator allocator) throws IOException {
    assertFalse(lastEnd(Fixtures.version("0.27.3"), allocator).hasFooter());
    assertTrue(lastEnd(Fixtures.version("0.41.0"), allocator).hasFooter());
  }

  @Test
  void legacyChunksWithoutApplicationIdTakeItFromTheirSetStoreInfo(BufferAllocator allocator) throws IOException {
    FileContents contents = FileContents.read(Fixtures.version("0.23.4"), allocator);

    assertFalse(contents.chunkRefs().isEmpty());
    List<StoreId> announced = contents.stores().stream().map(Store::id).toList();
    for (RrdMessage.ChunkRef ref : contents.chunkRefs()) {
      // Rerun 0.23 put no chunk id or static flag into ArrowMsg and no application id into its StoreId.
      assertEquals(Optional.empty(), ref.id());
      assertEquals(Optional.empty(), ref.isStatic());
      assertTrue(announced.contains(ref.store()), ref.store() + " not in " + announced);
    }
  }

  @Test
  void legacyMetadataKeysReadLikeCurrentOnes(BufferAllocator allocator) throws IOException {
    boolean sawTimeline = false;
    boolean sawComponent = false;
    try (RrdReader reader = RrdReader.open(Fixtures.version("0.23.4"))) {
      for (Optional<RrdMessage> m = reader.next(); m.isPresent(); m = reader.next()) {
        if (m.get() instanceof RrdMessage.ChunkRef ref) {
          try (Chunk chunk = reader.readChunk(ref, allocator)) {
            assertTrue(chunk.entityPath().startsWith("/"), chunk.entityPath());
            assertFalse(chunk.entityPath().equals("/__properties/recording"), "0.23 recording properties move to /__properties");
            sawTimeline |= !chunk.indexColumns().isEmpty();
            for (ComponentColumn c : chunk.componentColumns()) {
              sawComponent = true;
              String component = c.descriptor().component();
              assertFalse(component.endsWith("Indicator"), "indicator columns are dropped: " + component);
              c.descriptor().archetype().ifPresent(archetype ->
                  assertTrue(component.startsWith(archetype.substring(archetype.lastIndexOf('.') + 1) + ":"), archetype + " / " + component));
            }
          }
        }
      }
    }
    assertTrue(sawTimeline, "no index column found in the 0.23 fixture");
    assertTrue(sawComponent, "no component column found in the 0.23 fixture");
  }

  @Test
  void chunksAgreeWithTheirArrowMsgHeaders(BufferAllocator allocator) throws IOException {
    for (Path file : Fixtures.all()) {
      try (RrdReader reader = RrdReader.open(file)) {
        for (Optional<RrdMessage> m = reader.next(); m.isPresent(); m = reader.next()) {
          if (m.get() instanceof RrdMessage.ChunkRef ref) {
            try (Chunk chunk = reader.readChunk(ref, allocator)) {
              ref.id().ifPresent(id -> assertEquals(id, chunk.id(), file + " " + ref));
              ref.isStatic().ifPresent(s -> assertEquals(s, chunk.isStatic(), file + " " + ref));
              assertEquals(chunk.rowCount(), chunk.rowIds().getValueCount());
              assertEquals(1 + chunk.indexColumns().size() + chunk.componentColumns().size(), chunk.root().getFieldVectors().size());
            }
          }
        }
      }
    }
  }

  @Test
  void chunkReadByOffsetAloneEqualsTheStreamedChunk(BufferAllocator allocator) throws IOException {
    for (String version : List.of("0.23.4", "0.27.3", "0.41.0")) {
      Path file = Fixtures.version(version);
      FileContents contents = FileContents.read(file, allocator);
      List<String> byOffset = new ArrayList<>();
      for (RrdMessage.ChunkRef ref : contents.chunkRefs()) {
        try (Chunk chunk = RrdReader.readChunk(file, ref.offset(), ref.length(), allocator)) {
          byOffset.add(ref.store() + " " + FileContents.digest(chunk));
        }
      }
      // The streamed chunks carry the store's application id even for 0.23; compare chunks only.
      assertEquals(strip(contents.chunks()), strip(byOffset), version);
    }
  }

  @Test
  void fileWhoseWriterStoppedBeforeEndReadsCompletely(BufferAllocator allocator) throws IOException {
    Path full = Fixtures.version("0.27.3");
    FileContents cut = FileContents.read(TestFiles.withoutEnd(full, tmp), allocator);

    assertEquals(FileContents.read(full, allocator).chunks(), cut.chunks());
    assertTrue(cut.warnings().stream().anyMatch(w -> w.contains("no End frame")), cut.warnings().toString());
  }

  @Test
  void fixtureWrittenWithoutEndReadsWithAWarning(BufferAllocator allocator) throws IOException {
    FileContents contents = FileContents.read(Fixtures.withFeature("no-end-frame"), allocator);

    assertFalse(contents.chunks().isEmpty());
    assertTrue(contents.warnings().stream().anyMatch(w -> w.contains("no End frame")), contents.warnings().toString());
  }

  @Test
  void fixtureCutInsideAChunkFailsThereAndSalvagesTheChunksBefore(BufferAllocator allocator) throws IOException {
    Path file = Fixtures.withFeature("partial-frame");
    List<Frame> complete = new ArrayList<>();
    try (FileBytes bytes = FileBytes.open(file)) {
      FrameScanner scanner = new FrameScanner(bytes, new ArrayList<>());
      RrdFormatException e = org.junit.jupiter.api.Assertions.assertThrows(RrdFormatException.class, () -> {
        for (Frame f = scanner.next(); f != null; f = scanner.next()) {
          complete.add(f);
        }
      });
      assertEquals(complete.get(complete.size() - 1).end(), e.offset(), "the error names where the cut frame starts");
    }
    ChunkIndex salvaged = ChunkIndex.build(file, allocator, ReadMode.SALVAGE);

    assertEquals(complete.stream().filter(f -> f.kind() == MessageKind.ARROW_MSG).count(), salvaged.chunks().size());
    assertTrue(salvaged.damage().orElseThrow().getMessage().contains("file is truncated"));
  }

  @Test
  void concatenatedFilesReadAsAllOfTheirStreams(BufferAllocator allocator) throws IOException {
    Path v23 = Fixtures.version("0.23.4");
    Path v27 = Fixtures.version("0.27.3");
    Path v41 = Fixtures.version("0.41.0");
    Path v27NoEnd = TestFiles.withoutEnd(v27, tmp);
    List<Path[]> pairs = List.of(new Path[] {v27, v27}, new Path[] {v41, v27}, new Path[] {v27, v41}, new Path[] {v27NoEnd, v41},
        new Path[] {v23, v41}, new Path[] {v41, v41}, new Path[] {v27NoEnd, v27NoEnd});
    for (Path[] pair : pairs) {
      Path both = TestFiles.concatenated(tmp, "cat.rrd", pair);
      List<String> expected = new ArrayList<>(FileContents.read(pair[0], allocator).chunks());
      expected.addAll(FileContents.read(pair[1], allocator).chunks());

      assertEquals(expected, FileContents.read(both, allocator).chunks(), pair[0] + " + " + pair[1]);
    }
  }

  @Test
  void blueprintStoresAreKeptApartFromRecordings(BufferAllocator allocator) throws IOException {
    Path file = Fixtures.withFeature("blueprint");
    FileContents contents = FileContents.read(file, allocator);
    ChunkIndex index = ChunkIndex.build(file, allocator);

    Store blueprint = index.stores().stream().filter(s -> s.kind() == StoreKind.BLUEPRINT).findFirst().orElseThrow();
    assertFalse(index.recordings().isEmpty());
    assertTrue(index.recordings().stream().noneMatch(s -> s.kind() == StoreKind.BLUEPRINT));
    assertFalse(index.chunksOf(blueprint.id()).isEmpty());
    for (Store recording : index.recordings()) {
      assertTrue(index.chunksOf(recording.id()).stream().allMatch(c -> c.store().kind() == StoreKind.RECORDING));
    }
    assertTrue(contents.messages().stream().anyMatch(m -> m instanceof RrdMessage.BlueprintActivation a && a.blueprint().equals(blueprint.id())),
        "a blueprint comes with its activation command");
  }

  @Test
  void fileWithTwoRecordingsYieldsBoth(BufferAllocator allocator) throws IOException {
    Path file = Fixtures.withFeature("two-recordings");
    ChunkIndex index = ChunkIndex.build(file, allocator);

    assertTrue(index.recordings().size() >= 2, index.recordings().toString());
    assertEquals(index.recordings().size(), index.recordings().stream().map(Store::recordingId).distinct().count());
    for (Store recording : index.recordings()) {
      assertFalse(index.chunksOf(recording.id()).isEmpty(), recording.toString());
    }
  }

  private static List<String> strip(List<String> chunks) {
    return chunks.stream().map(c -> c.substring(c.indexOf(" chunk_") + 1)).toList();
  }

  private static RrdMessage.StreamEnd lastEnd(Path file, BufferAllocator allocator) throws IOException {
    List<RrdMessage> messages = FileContents.read(file, allocator).messages();
    return (RrdMessage.StreamEnd) messages.get(messages.size() - 1);
  }
}
