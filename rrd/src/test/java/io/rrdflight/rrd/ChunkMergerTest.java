package io.rrdflight.rrd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.rrd.proto.ArrowMsg;
import io.rrdflight.rrd.proto.Compression;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.impl.UnionListWriter;
import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Merging the small chunks of fixtures/small-chunks (written by rr.log per frame, 1-10 rows per
 * chunk): every row arrives once, in RowId order within a chunk, with the merged chunk's metadata
 * recomputed, and within Rerun's compaction thresholds.
 */
@ExtendWith(NoLeaks.class)
class ChunkMergerTest {
  private static final Path FILE = Fixtures.file("small-chunks/small-chunks.rrd");
  private static final long WINDOW = 16L << 20;

  @Test
  void sizesAreWeighedAsRerunWeighsThemWithoutTheBitmapsOfColumnsWithoutNulls(BufferAllocator allocator) {
    try (IntVector full = new IntVector("full", allocator);
        IntVector holes = new IntVector("holes", allocator);
        ListVector lists = ListVector.empty("lists", allocator)) {
      full.allocateNew(100);
      holes.allocateNew(100);
      for (int i = 0; i < 100; i++) {
        full.set(i, i);
        if (i % 2 == 0) {
          holes.set(i, i);
        } else {
          holes.setNull(i);
        }
      }
      full.setValueCount(100);
      holes.setValueCount(100);
      assertEquals(100 * 4, ChunkMerger.rerunSize(full));
      assertEquals(100 * 4 + 13, ChunkMerger.rerunSize(holes), "a column with nulls keeps its bitmap");

      UnionListWriter writer = lists.getWriter();
      int[][] rows = {{1, 2}, {3}, {4, 5, 6}};
      for (int row = 0; row < rows.length; row++) {
        writer.setPosition(row);
        writer.startList();
        for (int value : rows[row]) {
          writer.writeInt(value);
        }
        writer.endList();
      }
      lists.setValueCount(rows.length);
      assertEquals(4 * 4 + 6 * 4, ChunkMerger.rerunSize(lists), "offsets and values, no bitmap at either level");
    }
  }

  @Test
  void mergesEveryEntitysChunksIntoFewKeepingEveryRowInOrder(BufferAllocator allocator) throws IOException {
    List<ArrowMsg> in = chunks();
    List<ArrowMsg> out = new ArrayList<>();
    try (ChunkMerger merger = new ChunkMerger(allocator, ChunkMerger.Thresholds.RERUN_DEFAULT, WINDOW)) {
      for (ArrowMsg msg : in) {
        out.addAll(merger.add(msg, FILE.toString()));
      }
      out.addAll(merger.flush());
      assertEquals(in.size(), merger.chunksIn());
      assertEquals(out.size(), merger.chunksOut());
    }
    assertTrue(out.size() * 20 < in.size(), in.size() + " chunks became " + out.size());
    assertSameRows(rowsByEntity(in, allocator), rowsByEntity(out, allocator));

    Set<String> ids = new HashSet<>();
    for (ArrowMsg msg : out) {
      try (Decoded d = decode(msg, allocator)) {
        assertTrue(ids.add(d.id()), "chunk ids are unique: " + d.id());
        if (d.static_()) {
          continue;
        }
        assertTrue(d.rowIdsInOrder(), d.entity() + ": RowIds in order");
        assertEquals("true", d.root().getSchema().getFields().get(d.schema().rowIdField()).getMetadata().get("rerun:is_sorted"));
        boolean frameSorted = "true".equals(d.field("frame").getMetadata().get("rerun:is_sorted"));
        assertEquals(d.sorted("frame"), frameSorted, d.entity() + ": is_sorted on frame says what the column is");
        assertTrue(d.root().getRowCount() <= (frameSorted ? 4096 : 1024), d.entity() + ": " + d.root().getRowCount() + " rows");
        long size = d.root().getFieldVectors().stream().mapToLong(ChunkMerger::rerunSize).sum();
        assertTrue(size <= ChunkMerger.Thresholds.RERUN_DEFAULT.maxBytes(), d.entity() + ": " + size + " bytes as Rerun weighs them");
        if (d.entity().equals("/scalars/jitter") && d.root().getRowCount() > 2) {
          assertFalse(frameSorted, "frames swapped in pairs are not sorted once merged");
        }
      }
    }
    // The merged chunks are new chunks; the file's ids are not reused.
    Set<String> original = new HashSet<>();
    for (ArrowMsg msg : in) {
      try (Decoded d = decode(msg, allocator)) {
        original.add(d.id());
      }
    }
    // Merged chunks are the uncompressed ones (the file's are LZ4).
    assertTrue(out.stream().anyMatch(m -> m.getCompression() == Compression.COMPRESSION_NONE));
    for (ArrowMsg msg : out) {
      if (msg.getCompression() == Compression.COMPRESSION_NONE) {
        try (Decoded d = decode(msg, allocator)) {
          assertFalse(original.contains(d.id()), "a merged chunk has a fresh id");
        }
      }
    }
  }

  @Test
  void chunksOfOtherShapesAndStaticChunksPassThroughUnchanged(BufferAllocator allocator) throws IOException {
    List<ArrowMsg> all = chunks();
    List<ArrowMsg> s0 = byEntity(all, "/scalars/s0", allocator);
    ArrowMsg points = byEntity(all, "/points/p0", allocator).get(0);
    ArrowMsg info = byEntity(all, "/info", allocator).get(0);
    List<ArrowMsg> out = new ArrayList<>();
    try (ChunkMerger merger = new ChunkMerger(allocator, ChunkMerger.Thresholds.RERUN_DEFAULT, WINDOW)) {
      assertTrue(merger.add(s0.get(0), "s0 first").isEmpty());
      assertTrue(merger.add(points, "points in the middle").isEmpty());
      List<ArrowMsg> immediate = merger.add(info, "static in the middle");
      assertEquals(1, immediate.size());
      assertSame(info, immediate.get(0), "a static chunk passes through as it is, at once");
      out.addAll(immediate);
      assertTrue(merger.add(s0.get(1), "s0 second").isEmpty());
      out.addAll(merger.flush());
    }
    assertEquals(3, out.size());
    assertSame(points, out.get(2), "a run of one chunk is that chunk, unchanged");
    try (Decoded merged = decode(out.get(1), allocator)) {
      assertEquals("/scalars/s0", merged.entity());
      assertEquals(rowCount(s0.get(0), allocator) + rowCount(s0.get(1), allocator), merged.root().getRowCount());
      assertTrue(merged.rowIdsInOrder());
    }
    assertSameRows(rowsByEntity(List.of(s0.get(0), s0.get(1), points, info), allocator), rowsByEntity(out, allocator));
  }

  @Test
  void aSmallWindowMergesEarlyAndStillKeepsEveryRow(BufferAllocator allocator) throws IOException {
    List<ArrowMsg> in = chunks();
    List<ArrowMsg> out = new ArrayList<>();
    ChunkMerger.Thresholds limits = ChunkMerger.Thresholds.RERUN_DEFAULT;
    try (ChunkMerger merger = new ChunkMerger(allocator, limits, limits.maxBytes())) {
      for (ArrowMsg msg : in) {
        out.addAll(merger.add(msg, FILE.toString()));
        assertTrue(allocator.getAllocatedMemory() < 4 * limits.maxBytes() + (8L << 20), "bounded: " + allocator.getAllocatedMemory());
      }
      out.addAll(merger.flush());
    }
    assertTrue(out.size() < in.size());
    assertSameRows(rowsByEntity(in, allocator), rowsByEntity(out, allocator));
  }

  @Test
  void chunksWaitingInRunsHoldNoArrowMemoryAndClosingEarlyLeavesNone(BufferAllocator allocator) throws IOException {
    // Thousands of small chunks wait at once: kept decoded, their Arrow objects filled a 256 MB heap.
    List<ArrowMsg> in = chunks().subList(0, 200);
    int ready = 0;
    try (ChunkMerger merger = new ChunkMerger(allocator, ChunkMerger.Thresholds.RERUN_DEFAULT, WINDOW)) {
      for (ArrowMsg msg : in) {
        ready += merger.add(msg, FILE.toString()).size();
      }
      assertTrue(ready < in.size(), "chunks wait in runs: " + ready + " of " + in.size() + " handed back");
      assertEquals(0, allocator.getAllocatedMemory());
    }
    assertEquals(0, allocator.getAllocatedMemory());
  }

  /** Equal rows, reported by entity and count rather than by printing them all. */
  static void assertSameRows(Map<String, Map<String, Map<String, String>>> expected, Map<String, Map<String, Map<String, String>>> actual) {
    assertEquals(expected.keySet(), actual.keySet());
    for (String entity : expected.keySet()) {
      assertEquals(expected.get(entity).size(), actual.get(entity).size(), entity + ": rows");
      assertTrue(expected.get(entity).equals(actual.get(entity)), entity + ": the same cells in every row");
    }
  }

  /** The file's chunks, as FetchChunks reads them: the ArrowMsg at each indexed offset. */
  private static List<ArrowMsg> chunks() throws IOException {
    return chunks(FILE);
  }

  static List<ArrowMsg> chunks(Path file) throws IOException {
    ChunkIndex index = ChunkIndex.scan(file, ReadMode.STRICT);
    List<ArrowMsg> result = new ArrayList<>();
    try (FileChannel channel = FileChannel.open(file)) {
      for (IndexedChunk chunk : index.chunks()) {
        ByteBuffer bytes = ByteBuffer.allocate((int) chunk.length());
        channel.read(bytes, chunk.offset());
        bytes.flip();
        result.add(ArrowMsg.parseFrom(bytes));
      }
    }
    return result;
  }

  private static List<ArrowMsg> byEntity(List<ArrowMsg> chunks, String entity, BufferAllocator allocator) throws IOException {
    List<ArrowMsg> result = new ArrayList<>();
    for (ArrowMsg msg : chunks) {
      try (Decoded d = decode(msg, allocator)) {
        if (d.entity().equals(entity)) {
          result.add(msg);
        }
      }
    }
    return result;
  }

  private static int rowCount(ArrowMsg msg, BufferAllocator allocator) throws IOException {
    try (Decoded d = decode(msg, allocator)) {
      return d.root().getRowCount();
    }
  }

  /** Per entity, per RowId: every cell of the row by column name (the order chunks arrive in does not matter). */
  static Map<String, Map<String, Map<String, String>>> rowsByEntity(List<ArrowMsg> chunks, BufferAllocator allocator) throws IOException {
    Map<String, Map<String, Map<String, String>>> result = new TreeMap<>();
    for (ArrowMsg msg : chunks) {
      try (Decoded d = decode(msg, allocator)) {
        Map<String, Map<String, String>> rows = result.computeIfAbsent(d.entity(), e -> new TreeMap<>());
        FixedSizeBinaryVector rowIds = (FixedSizeBinaryVector) d.root().getVector(d.schema().rowIdField());
        for (int i = 0; i < d.root().getRowCount(); i++) {
          Map<String, String> cells = new TreeMap<>();
          for (FieldVector v : d.root().getFieldVectors()) {
            Object cell = v.getObject(i);
            cells.put(v.getName(), cell instanceof byte[] b ? HexFormat.of().formatHex(b) : String.valueOf(cell));
          }
          assertEquals(null, rows.put(HexFormat.of().formatHex(rowIds.get(i)), cells), "each row once");
        }
      }
    }
    return result;
  }

  private static Decoded decode(ArrowMsg msg, BufferAllocator allocator) throws IOException {
    boolean lz4 = msg.getCompression() == Compression.COMPRESSION_LZ4;
    ArrowPayload.Loaded loaded = new ArrowPayload("test", 0, msg.getPayload().asReadOnlyByteBuffer(), lz4, msg.getUncompressedSize(), "chunk")
        .load(allocator);
    return new Decoded(loaded, ChunkSchema.of(loaded.root().getSchema(), "test", 0));
  }

  private record Decoded(ArrowPayload.Loaded loaded, ChunkSchema schema) implements AutoCloseable {
    VectorSchemaRoot root() {
      return loaded.root();
    }

    String entity() {
      return schema.entityPath();
    }

    String id() {
      return root().getSchema().getCustomMetadata().get("rerun:id");
    }

    boolean static_() {
      return schema.isStatic();
    }

    Field field(String name) {
      return root().getSchema().findField(name);
    }

    boolean rowIdsInOrder() {
      FixedSizeBinaryVector rowIds = (FixedSizeBinaryVector) root().getVector(schema.rowIdField());
      for (int i = 1; i < root().getRowCount(); i++) {
        if (java.util.Arrays.compareUnsigned(rowIds.get(i - 1), rowIds.get(i)) > 0) {
          return false;
        }
      }
      return true;
    }

    boolean sorted(String timeline) {
      FieldVector times = root().getVector(timeline);
      for (int i = 1; i < root().getRowCount(); i++) {
        if (((Number) times.getObject(i - 1)).longValue() > ((Number) times.getObject(i)).longValue()) {
          return false;
        }
      }
      return true;
    }

    @Override
    public void close() {
      loaded.close();
    }
  }
}
