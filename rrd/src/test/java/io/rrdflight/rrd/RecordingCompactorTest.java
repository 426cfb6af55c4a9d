package io.rrdflight.rrd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.rrd.proto.ArrowMsg;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our writer's files read back with our reader: chunks copied as they are keep id, entity, rows and
 * time ranges; a compacted copy of the small-chunks fixture holds the same rows in far fewer chunks.
 * (That Rerun's own reader takes our files is checked by the client tests, test_compaction.py.)
 */
@ExtendWith(NoLeaks.class)
class RecordingCompactorTest {
  private static final Path SMALL = Fixtures.file("small-chunks/small-chunks.rrd");

  @Test
  void chunksWrittenAsTheyAreReadBackTheSame(@TempDir Path dir) throws IOException {
    Path original = Fixtures.version("0.27.3");
    ChunkIndex before = ChunkIndex.scan(original, ReadMode.STRICT);
    Store recording = before.recordings().get(0);
    Path copy = dir.resolve("copy.rrd");
    try (RrdWriter writer = RrdWriter.create(copy, recording.version())) {
      for (ArrowMsg msg : ChunkMergerTest.chunks(original)) {
        writer.writeChunk(msg);
      }
      writer.finish();
    }
    ChunkIndex after = ChunkIndex.scan(copy, ReadMode.STRICT);
    assertEquals(before.chunks().size(), after.chunks().size());
    assertTrue(after.warnings().isEmpty(), after.warnings().toString());
    for (int i = 0; i < before.chunks().size(); i++) {
      IndexedChunk a = before.chunks().get(i);
      IndexedChunk b = after.chunks().get(i);
      assertEquals(a.id(), b.id());
      assertEquals(a.entityPath(), b.entityPath());
      assertEquals(a.rowCount(), b.rowCount());
      assertEquals(a.isStatic(), b.isStatic());
      assertEquals(a.timeRanges(), b.timeRanges());
    }
    assertEquals(recording.version(), after.streams().get(0).version());
  }

  @Test
  void aCompactedCopyHoldsTheSameRowsInFarFewerChunks(@TempDir Path dir, BufferAllocator allocator) throws IOException {
    ChunkIndex before = ChunkIndex.scan(SMALL, ReadMode.STRICT);
    Store recording = before.recordings().get(0);
    Path copy = dir.resolve("compacted.rrd");
    RecordingCompactor.Result result;
    try (RecordingSource source = RecordingSources.localOnly().open(SMALL.toString())) {
      result = RecordingCompactor.compact(source, recording.id(), copy, allocator);
    }
    ChunkIndex after = ChunkIndex.scan(copy, ReadMode.STRICT);
    assertEquals(List.of(recording.id()), after.stores().stream().map(Store::id).toList(), "the recording and nothing else");
    assertEquals(before.chunksOf(recording.id()).size(), result.chunksIn());
    assertEquals(after.chunks().size(), result.chunksOut());
    assertTrue(after.chunks().size() * 20 < before.chunks().size(), before.chunks().size() + " chunks became " + after.chunks().size());
    assertEquals(before.chunks().stream().mapToLong(IndexedChunk::rowCount).sum(), after.chunks().stream().mapToLong(IndexedChunk::rowCount).sum());
    ChunkMergerTest.assertSameRows(ChunkMergerTest.rowsByEntity(ChunkMergerTest.chunks(SMALL), allocator),
        ChunkMergerTest.rowsByEntity(ChunkMergerTest.chunks(copy), allocator));
  }
}
