package io.rrdflight.rrd;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Arrow schemas by the bytes of their schema message. Every chunk of an entity repeats the same
 * message, and turning one into fields (each with Rerun's metadata) was 4% of a filled query's scan,
 * decoding the same few schemas hundreds of times. Schemas are immutable, so one serves every chunk.
 * Bounded in entries and in the size of a message it keeps, least recently used out.
 */
final class SchemaCache {
  static final int MAX_ENTRIES = 512;
  /** Larger messages are decoded every time: few, and not worth keeping. */
  static final int MAX_MESSAGE_BYTES = 16 << 10;
  private static final Map<ByteBuffer, Schema> SCHEMAS = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<ByteBuffer, Schema> eldest) {
      return size() > MAX_ENTRIES;
    }
  };

  private SchemaCache() {}

  /** The schema of a schema message, checked by the caller ({@code IpcStream.checkShape}). */
  static Schema of(Message message) {
    ByteBuffer bytes = message.getByteBuffer().duplicate();
    if (bytes.remaining() > MAX_MESSAGE_BYTES) {
      return MessageSerializer.deserializeSchema(message);
    }
    ByteBuffer key = ByteBuffer.allocate(bytes.remaining()).put(bytes).flip();
    synchronized (SCHEMAS) {
      Schema known = SCHEMAS.get(key);
      if (known != null) {
        return known;
      }
    }
    Schema schema = MessageSerializer.deserializeSchema(message);
    synchronized (SCHEMAS) {
      SCHEMAS.put(key, schema);
    }
    return schema;
  }
}
