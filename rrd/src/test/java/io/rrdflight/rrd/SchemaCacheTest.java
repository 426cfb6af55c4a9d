package io.rrdflight.rrd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.util.List;
import java.util.Map;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/** A schema message decoded once: the same bytes give the same schema, other bytes their own. */
class SchemaCacheTest {
  private static Message message(Schema schema) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    MessageSerializer.serialize(new WriteChannel(Channels.newChannel(out)), schema);
    ByteBuffer bytes = ByteBuffer.wrap(out.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
    int length = bytes.getInt(4); // after the continuation marker
    return Message.getRootAsMessage(bytes.slice(8, length).order(ByteOrder.LITTLE_ENDIAN));
  }

  private static Schema schema(String column) {
    return new Schema(List.of(new Field(column, new FieldType(true, new ArrowType.Int(64, true), null, Map.of("rerun:component", column)), null)));
  }

  @Test
  void theSameMessageGivesTheSameSchemaAndAnotherItsOwn() throws IOException {
    Schema first = SchemaCache.of(message(schema("a")));
    assertEquals(schema("a"), first);
    assertSame(first, SchemaCache.of(message(schema("a"))));
    Schema other = SchemaCache.of(message(schema("b")));
    assertEquals(schema("b"), other);
    assertNotEquals(first, other);
  }

  @Test
  void chunksDifferingInTheSchemasOwnMetadataShareFieldsAndKeepTheirMetadata() throws IOException {
    // Rerun writes each chunk's id and size into the schema's metadata, its fields repeat
    Schema one = new Schema(schema("c").getFields(), Map.of("rerun:id", "chunk_0001", "rerun:heap_size_bytes", "100"));
    Schema two = new Schema(schema("c").getFields(), Map.of("rerun:id", "chunk_0002", "rerun:heap_size_bytes", "200"));
    Schema first = SchemaCache.of(message(one));
    Schema second = SchemaCache.of(message(two));
    assertEquals(one, first);
    assertEquals(two, second);
    assertSame(first.getFields().get(0), second.getFields().get(0));
    assertEquals(one, SchemaCache.of(message(one)));
  }
}
