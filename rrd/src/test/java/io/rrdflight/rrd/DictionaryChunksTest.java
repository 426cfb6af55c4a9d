package io.rrdflight.rrd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowDictionaryBatch;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A chunk whose component is dictionary-encoded ({@code List<Dictionary<Int32, Utf8>>}, as rerun-sdk
 * 0.41 writes a pandas categorical) decodes to its values; indices outside their dictionary and
 * delta dictionaries are clear errors before Arrow reads anything.
 */
@ExtendWith(NoLeaks.class)
class DictionaryChunksTest {
  private static final DictionaryEncoding ENCODING = new DictionaryEncoding(7, false, new ArrowType.Int(32, true));
  /** The column as the stream's schema says it: a list of dictionary-encoded strings. */
  private static final Field LABELS = new Field("labels", FieldType.nullable(new ArrowType.List()),
      List.of(new Field("item", new FieldType(true, ArrowType.Utf8.INSTANCE, ENCODING), null)));
  private static final Field FRAME = Field.notNullable("frame", new ArrowType.Int(64, true));

  private BufferAllocator allocator;

  @BeforeEach
  void setUp(BufferAllocator allocator) {
    this.allocator = allocator;
  }

  /**
   * A stream of {@code dictionary} then one batch: frame 10, 11, 12 and labels whose rows are lists of
   * indices ({@code null} a null row; {@code -1} a null index).
   */
  private byte[] stream(List<String> dictionary, boolean delta, int[][] rows) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    WriteChannel channel = new WriteChannel(Channels.newChannel(out));
    MessageSerializer.serialize(channel, new Schema(List.of(FRAME, LABELS)));
    Field values = Field.nullable("values", ArrowType.Utf8.INSTANCE);
    try (VarCharVector words = (VarCharVector) values.createVector(allocator);
         VectorSchemaRoot dictionaryRoot = new VectorSchemaRoot(List.of(values), List.of(words), 0)) {
      for (int i = 0; i < dictionary.size(); i++) {
        words.setSafe(i, dictionary.get(i).getBytes(StandardCharsets.UTF_8));
      }
      dictionaryRoot.setRowCount(dictionary.size());
      try (ArrowRecordBatch batch = new VectorUnloader(dictionaryRoot).getRecordBatch();
           ArrowDictionaryBatch dictionaryBatch = new ArrowDictionaryBatch(ENCODING.getId(), batch, delta)) {
        MessageSerializer.serialize(channel, dictionaryBatch);
      }
    }
    Field memoryLabels = new Field("labels", FieldType.nullable(new ArrowType.List()),
        List.of(new Field("item", new FieldType(true, ENCODING.getIndexType(), ENCODING), null)));
    try (VectorSchemaRoot root = VectorSchemaRoot.create(new Schema(List.of(FRAME, memoryLabels)), allocator)) {
      BigIntVector frame = (BigIntVector) root.getVector(0);
      ListVector labels = (ListVector) root.getVector(1);
      IntVector indices = (IntVector) labels.getDataVector();
      int value = 0;
      for (int r = 0; r < rows.length; r++) {
        frame.setSafe(r, 10 + r);
        if (rows[r] == null) {
          labels.setNull(r);
          continue;
        }
        labels.startNewValue(r);
        for (int index : rows[r]) {
          if (index < 0) {
            indices.setNull(value++);
          } else {
            indices.setSafe(value++, index);
          }
        }
        labels.endValue(r, rows[r].length);
      }
      indices.setValueCount(value);
      root.setRowCount(rows.length);
      try (ArrowRecordBatch batch = new VectorUnloader(root).getRecordBatch()) {
        MessageSerializer.serialize(channel, batch);
      }
    }
    ArrowStreamWriter.writeEndOfStream(channel, IpcOption.DEFAULT);
    return out.toByteArray();
  }

  private ArrowPayload payload(byte[] stream) {
    return new ArrowPayload("labels.rrd", 1000, ByteBuffer.wrap(stream), false, 0, "chunk payload");
  }

  private static List<Object> rows(FieldVector vector) {
    List<Object> rows = new ArrayList<>();
    for (int r = 0; r < vector.getValueCount(); r++) {
      rows.add(vector.getObject(r) == null ? null : vector.getObject(r).toString());
    }
    return rows;
  }

  @Test
  void aDictionaryEncodedColumnDecodesToItsValuesBesideThePlainOnes() throws IOException {
    byte[] stream = stream(List.of("a", "b", "c"), false, new int[][] {{0, 1, -1}, null, {2, 0}});
    try (ArrowPayload.Loaded loaded = payload(stream).load(allocator)) {
      VectorSchemaRoot root = loaded.root();
      assertTrue(loaded.decodedDictionaries());
      assertEquals(3, root.getRowCount());
      assertEquals(List.of("10", "11", "12"), rows(root.getVector("frame")));
      Field labels = root.getSchema().findField("labels");
      assertNull(labels.getChildren().get(0).getDictionary(), "values, not indices");
      assertEquals(ArrowType.Utf8.INSTANCE, labels.getChildren().get(0).getType());
      assertEquals(java.util.Arrays.asList("[\"a\",\"b\",null]", null, "[\"c\",\"a\"]"), rows(root.getVector("labels")));
      assertEquals(DictionaryValues.valueField(LABELS), labels, "what a view's schema says of the column");
    }
  }

  @Test
  void aStreamWithDictionariesIsLaidOutAndItsHeadFoundPastThem() throws IOException {
    byte[] stream = stream(List.of("a", "b"), false, new int[][] {{0}, {1, 1}});
    IpcStream whole = IpcStream.parse(ByteBuffer.wrap(stream), "labels.rrd", 1000, "chunk payload");
    assertEquals(1, whole.dictionaries().size());
    long head = IpcStream.headSize(ByteBuffer.wrap(stream));
    assertTrue(head < stream.length && head > whole.dictionaries().get(0).bodyOffset(), "after the dictionary, before the batch's body");
    IpcStream prefix = IpcStream.parseHead(ByteBuffer.wrap(stream, 0, (int) head), stream.length, "labels.rrd", 1000, "chunk payload");
    assertEquals(2, prefix.rowCount());
    assertEquals(whole.bodyOffset(), prefix.bodyOffset());
    RecordBatchLayout layout = RecordBatchLayout.of(whole, "labels.rrd", 1000);
    layout.checkContents();
    assertEquals(ENCODING.getId(), layout.columns().get(1).children().get(0).dictionary());
    assertTrue(layout.hasNonEmptyCell(layout.columns().get(1)));
  }

  @Test
  void anIndexOutsideItsDictionaryIsAClearErrorNotARead() throws IOException {
    byte[] stream = stream(List.of("a", "b"), false, new int[][] {{0}, {1, 2}});
    RrdFormatException e = assertThrows(RrdFormatException.class, () -> payload(stream).load(allocator).close());
    assertEquals("labels.rrd at byte 1000: corrupt Arrow record batch: column 'item' has index 2 at row 2 into a dictionary of 2 values",
        e.getMessage());
    assertThrows(RrdFormatException.class, () -> payload(stream).verify(new Lz4Block.Output()));
  }

  @Test
  void aDeltaDictionaryIsRefusedNamingIt() throws IOException {
    byte[] stream = stream(List.of("a"), true, new int[][] {{0}});
    RrdFormatException e = assertThrows(RrdFormatException.class, () -> payload(stream).load(allocator).close());
    assertTrue(e.getMessage().contains("Arrow dictionary batch 7 is a delta, which chunks never hold"), e.getMessage());
  }
}
