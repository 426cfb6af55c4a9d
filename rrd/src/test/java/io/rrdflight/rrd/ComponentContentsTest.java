package io.rrdflight.rrd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.impl.UnionListWriter;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.complex.ListVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What {@link RrdReader#readComponentContents} reads from a chunk's buffers is what its decoded
 * vectors say: the same written fields, and a non-empty cell exactly where the vectors have one.
 */
@ExtendWith(NoLeaks.class)
class ComponentContentsTest {
  /** Fixtures with nulls, empty lists, clears, unions and static chunks, by 0.23 to 0.41 writers. */
  private static final List<String> FEATURES = List.of("clear", "clear-recursive", "empty-batch", "sparse", "union", "static",
      "multi-instance", "tensor", "blob", "footer", "send-columns", "properties");

  @Test
  void contentsReadFromBuffersMatchTheDecodedChunkInEveryFixtureChunk(BufferAllocator allocator) throws IOException {
    List<Path> files = new ArrayList<>(List.of(Fixtures.version("0.23.4"), Fixtures.version("0.27.3"), Fixtures.version("0.41.0")));
    FEATURES.forEach(f -> files.add(Fixtures.withFeature(f)));
    int columns = 0;
    for (Path file : files) {
      try (LocalFile source = LocalFile.open(file)) {
        for (RrdMessage.ChunkRef ref : FileContents.read(file, allocator).chunkRefs()) {
          List<ComponentContents> read = RrdReader.readComponentContents(source, ref.offset(), ref.length());
          try (Chunk chunk = RrdReader.readChunk(file, ref.offset(), ref.length(), allocator)) {
            List<ComponentColumn> decoded = chunk.componentColumns();
            assertEquals(decoded.size(), read.size(), file + " @" + ref.offset());
            for (int i = 0; i < read.size(); i++) {
              ComponentContents r = read.get(i);
              ComponentColumn d = decoded.get(i);
              String where = file + " @" + ref.offset() + " " + d.descriptor();
              assertEquals(d.descriptor(), r.descriptor(), where);
              assertEquals(chunk.root().getSchema().findField(d.vector().getName()), r.field(), where);
              assertEquals(hasNonEmptyCell(d.vector()), r.hasNonEmptyCell(), where);
              columns++;
            }
          }
        }
      }
    }
    assertTrue(columns > 100, "columns compared: " + columns);
  }

  /** The fixtures hold no column of nulls and empty lists only; this batch has every case of one. */
  @Test
  void nullsAndEmptyListsAreEmptyAsTheVectorsSayInEveryCombination(BufferAllocator allocator) throws IOException {
    // Columns of rows: [null], [[]], [null, []], [[], [1]], [null, [1, 2]], [[1]], and one of int values all null.
    int[][][] lists = {{null}, {{}}, {null, {}}, {{}, {1}}, {null, {1, 2}}, {{1}}};
    try (VectorSchemaRoot root = batch(allocator, lists)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (ArrowStreamWriter writer = new ArrowStreamWriter(root, null, Channels.newChannel(out))) {
        writer.start();
        writer.writeBatch();
      }
      RecordBatchLayout layout = RecordBatchLayout.of(IpcStream.parse(ByteBuffer.wrap(out.toByteArray()), "test", 0, "batch"), "test", 0);
      layout.checkContents();
      for (int i = 0; i < root.getFieldVectors().size(); i++) {
        FieldVector vector = root.getVector(i);
        assertEquals(hasNonEmptyCell(vector), layout.hasNonEmptyCell(layout.columns().get(i)), vector.getName());
      }
      assertEquals(List.of(false, false, false, true, true, true, false),
          layout.columns().stream().map(layout::hasNonEmptyCell).toList());
    }
  }

  private static VectorSchemaRoot batch(BufferAllocator allocator, int[][][] lists) {
    List<FieldVector> vectors = new ArrayList<>();
    int rows = 2;
    for (int c = 0; c < lists.length; c++) {
      ListVector list = ListVector.empty("list" + c, allocator);
      UnionListWriter writer = list.getWriter();
      for (int row = 0; row < rows; row++) {
        int[] cell = row < lists[c].length ? lists[c][row] : null;
        writer.setPosition(row);
        if (cell != null) {
          writer.startList();
          for (int v : cell) {
            writer.writeInt(v);
          }
          writer.endList();
        }
      }
      list.setValueCount(rows);
      vectors.add(list);
    }
    IntVector nulls = new IntVector("nulls", allocator);
    nulls.allocateNew(rows);
    nulls.setValueCount(rows);
    vectors.add(nulls);
    return new VectorSchemaRoot(vectors);
  }

  /** Rerun's rule on decoded vectors: a cell counts when it is neither null nor an empty list. */
  private static boolean hasNonEmptyCell(FieldVector vector) {
    for (int row = 0; row < vector.getValueCount(); row++) {
      if (!vector.isNull(row)
          && (!(vector instanceof ListVector list) || list.getElementEndIndex(row) > list.getElementStartIndex(row))) {
        return true;
      }
    }
    return false;
  }
}
