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
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.complex.LargeListVector;
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
 * 0.41 writes a pandas categorical) decodes to its values; indices outside their dictionary (whatever
 * its id), delta dictionaries, one id serving two value types and encoded values inside columns decoding
 * cannot rebuild are clear errors before Arrow reads anything, and values too large to decode say so.
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

  /**
   * A stream of {@code schema} (as a stream says it: encoded fields with their values' types), one
   * dictionary batch of id {@code id} holding {@code dictionary}, then {@code batch} (indices where encoded).
   */
  private static byte[] stream(Schema schema, long id, FieldVector dictionary, VectorSchemaRoot batch) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    WriteChannel channel = new WriteChannel(Channels.newChannel(out));
    MessageSerializer.serialize(channel, schema);
    VectorSchemaRoot values = new VectorSchemaRoot(List.of(dictionary.getField()), List.of(dictionary), dictionary.getValueCount());
    try (ArrowRecordBatch unloaded = new VectorUnloader(values).getRecordBatch();
         ArrowDictionaryBatch dictionaryBatch = new ArrowDictionaryBatch(id, unloaded, false)) {
      MessageSerializer.serialize(channel, dictionaryBatch);
    }
    try (ArrowRecordBatch unloaded = new VectorUnloader(batch).getRecordBatch()) {
      MessageSerializer.serialize(channel, unloaded);
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

  @Test
  void aDictionaryWhoseIdIsMinusOneHasItsIndicesCheckedLikeAnyOther() throws IOException {
    DictionaryEncoding minusOne = new DictionaryEncoding(-1, false, new ArrowType.Int(32, true));
    Schema schema = new Schema(List.of(new Field("value", new FieldType(true, new ArrowType.Int(64, true), minusOne), null)));
    for (int bad : new int[] {2, -1}) {
      byte[] stream;
      try (BigIntVector dictionary = new BigIntVector("values", allocator); IntVector indices = new IntVector("value", allocator)) {
        dictionary.allocateNew(2);
        dictionary.set(0, 10);
        dictionary.setNull(1);
        dictionary.setValueCount(2);
        // Bit 2 lies in the bitmap's padding: set, it makes Arrow copy a third value from past the buffer's end.
        dictionary.getValidityBuffer().setByte(0, 0b101);
        indices.allocateNew(2);
        indices.set(0, 0);
        indices.set(1, bad);
        indices.setValueCount(2);
        stream = stream(schema, -1, dictionary, new VectorSchemaRoot(List.of(indices.getField()), List.of(indices), 2));
      }
      RrdFormatException e = assertThrows(RrdFormatException.class, () -> payload(stream).load(allocator).close());
      assertEquals("labels.rrd at byte 1000: corrupt Arrow record batch: column 'value' has index " + bad + " at row 1 into a dictionary of 2 values",
          e.getMessage());
      assertThrows(RrdFormatException.class, () -> payload(stream).verify(new Lz4Block.Output()));
    }
  }

  @Test
  void oneDictionaryServingFieldsOfDifferentValueTypesIsRefusedNamingThem() throws IOException {
    DictionaryEncoding shared = new DictionaryEncoding(5, false, new ArrowType.Int(32, true));
    Schema schema = new Schema(List.of(
        new Field("a", new FieldType(true, new ArrowType.Int(64, true), shared), null),
        new Field("b", new FieldType(true, new ArrowType.Int(8, true), shared), null)));
    byte[] stream;
    try (TinyIntVector dictionary = new TinyIntVector("values", allocator);
         IntVector a = new IntVector("a", allocator);
         IntVector b = new IntVector("b", allocator)) {
      dictionary.allocateNew(3);
      a.allocateNew(3);
      b.allocateNew(3);
      for (int i = 0; i < 3; i++) {
        dictionary.set(i, i + 1);
        a.set(i, i);
        b.set(i, 2 - i);
      }
      dictionary.setValueCount(3);
      a.setValueCount(3);
      b.setValueCount(3);
      stream = stream(schema, 5, dictionary, new VectorSchemaRoot(List.of(a.getField(), b.getField()), List.of(a, b), 3));
    }
    String expected = "labels.rrd at byte 1000: dictionary 5 serves fields of different value types, a: Int(64, true) and b: Int(8, true), "
        + "which rrdflight does not read";
    assertEquals(expected, assertThrows(RrdFormatException.class, () -> payload(stream).load(allocator).close()).getMessage());
    assertEquals(expected, assertThrows(RrdFormatException.class, () -> payload(stream).verify(new Lz4Block.Output())).getMessage());
  }

  @Test
  void aValidColumnDecodingPastTheMemoryLimitIsCalledTooLargeNotCorrupt() throws IOException {
    String label = "x".repeat(2000);
    int[][] rows = new int[1000][];
    for (int r = 0; r < rows.length; r++) {
      rows[r] = new int[] {r % 4};
    }
    byte[] stream = stream(List.of(label + 0, label + 1, label + 2, label + 3), false, rows);
    try (ArrowPayload.Loaded loaded = payload(stream).load(allocator)) {
      assertEquals(1000, loaded.root().getRowCount(), "its 2 MB of values fit the usual limit");
    }
    long headroom = 256 << 10; // well under the 2 MB the four labels' thousand copies take
    RrdFormatException e = assertThrows(RrdFormatException.class, () -> payload(stream).load(allocator, headroom).close());
    assertEquals("labels.rrd at byte 1000: dictionary-encoded column 'labels' of chunk payload decodes to more than the "
        + (headroom + 4L * stream.length) + " bytes of memory a payload of " + stream.length + " bytes may take", e.getMessage());
  }

  @Test
  void dictionaryEncodedValuesInsideALargeListAreRefusedAsUnsupported() throws IOException {
    Schema schema = new Schema(List.of(new Field("labels", FieldType.nullable(new ArrowType.LargeList()),
        List.of(new Field("item", new FieldType(true, ArrowType.Utf8.INSTANCE, ENCODING), null)))));
    Field memoryLabels = new Field("labels", FieldType.nullable(new ArrowType.LargeList()),
        List.of(new Field("item", new FieldType(true, ENCODING.getIndexType(), ENCODING), null)));
    byte[] stream;
    try (VarCharVector dictionary = new VarCharVector("values", allocator);
         VectorSchemaRoot root = VectorSchemaRoot.create(new Schema(List.of(memoryLabels)), allocator)) {
      dictionary.allocateNew(1);
      dictionary.set(0, "a".getBytes(StandardCharsets.UTF_8));
      dictionary.setValueCount(1);
      LargeListVector labels = (LargeListVector) root.getVector(0);
      labels.allocateNew();
      IntVector indices = (IntVector) labels.getDataVector();
      indices.setSafe(0, 0);
      indices.setSafe(1, 0);
      indices.setValueCount(2);
      labels.startNewValue(0);
      labels.endValue(0, 2);
      root.setRowCount(1);
      stream = stream(schema, ENCODING.getId(), dictionary, root);
    }
    RrdFormatException e = assertThrows(RrdFormatException.class, () -> payload(stream).load(allocator).close());
    assertEquals("labels.rrd at byte 1000: dictionary-encoded values inside a LargeList column are not supported (column 'labels')", e.getMessage());
    assertThrows(RrdFormatException.class, () -> payload(stream).verify(new Lz4Block.Output()));
  }
}
