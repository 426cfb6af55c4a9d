package io.rrdflight.server.redap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.rrdflight.rrd.NoLeaks;
import java.io.ByteArrayInputStream;
import java.nio.channels.Channels;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NoLeaks.class)
class ArrowIpcTest {
  /** A column as a recording's chunk schema carries a dictionary-encoded one: its values' type, the index type in the encoding. */
  static final Field DICTIONARY_COLUMN = new Field("/data:value",
      new FieldType(true, ArrowType.Utf8.INSTANCE, new DictionaryEncoding(0, false, new ArrowType.Int(32, true)), Map.of("rerun:component", "value")),
      List.of());

  @Test
  void aSchemaWithADictionaryColumnIsWrittenAsItIsAndReadsBackAsAStreamWithoutBatches(BufferAllocator allocator) throws Exception {
    Schema schema = new Schema(List.of(Field.nullable("rerun_segment_id", ArrowType.Utf8.INSTANCE), DICTIONARY_COLUMN), Map.of("sorbet:version", "0.1.3"));
    byte[] stream = new ArrowIpc(allocator).schema(schema).getArrowSchema().toByteArray();

    assertEquals(schema, MessageSerializer.deserializeSchema(new ReadChannel(Channels.newChannel(new ByteArrayInputStream(stream)))));
    try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(stream), allocator)) {
      Field read = reader.getVectorSchemaRoot().getSchema().findField("/data:value");
      assertNotNull(read.getDictionary(), "still dictionary-encoded");
      assertEquals(new ArrowType.Int(32, true), read.getDictionary().getIndexType());
      assertFalse(reader.loadNextBatch(), "a schema alone: no batch");
    }
  }
}
