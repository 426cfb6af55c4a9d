package io.rrdflight.rrd;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.arrow.flatbuf.KeyValue;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Arrow schemas by the bytes of their schema message. Every chunk of an entity repeats the same
 * fields, and turning them into Arrow's (each with Rerun's metadata, many small objects) for every
 * chunk decoded is wasted work. Schemas are immutable, so one set of fields serves every chunk.
 * Bounded in entries and in the size of a message it keeps, least recently used out.
 *
 * <p>The schema's own metadata is not part of the key: Rerun writes each chunk's id and size there,
 * so keyed by the whole message no two chunks ever shared an entry. Its values are blanked in the
 * key and read from each message, the few strings they are; the fields come from the cache.
 */
final class SchemaCache {
  static final int MAX_ENTRIES = 512;
  /** Larger messages are decoded every time: few, and not worth keeping. */
  static final int MAX_MESSAGE_BYTES = 16 << 10;
  private static final Map<Key, Schema> SCHEMAS = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Key, Schema> eldest) {
      return size() > MAX_ENTRIES;
    }
  };

  private SchemaCache() {}

  /**
   * A message's bytes as a key. Not a ByteBuffer: its hashCode reads a byte at a time through
   * three calls, which interpreted (a fresh server's first registration hashes each footer's two
   * schemas) cost more than decoding the schema.
   */
  private record Key(byte[] bytes, int hash) {
    Key(byte[] bytes) {
      this(bytes, Arrays.hashCode(bytes));
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && k.hash == hash && Arrays.equals(k.bytes, bytes);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  /** The schema of a schema message, checked by the caller ({@code IpcStream.checkShape}). */
  static Schema of(Message message) {
    ByteBuffer bytes = message.getByteBuffer().duplicate();
    if (bytes.remaining() > MAX_MESSAGE_BYTES) {
      return MessageSerializer.deserializeSchema(message);
    }
    ByteBuffer key = ByteBuffer.allocate(bytes.remaining()).put(bytes.duplicate()).flip();
    org.apache.arrow.flatbuf.Schema header = (org.apache.arrow.flatbuf.Schema) message.header(new org.apache.arrow.flatbuf.Schema());
    Map<String, String> metadata = new HashMap<>();
    KeyValue entry = new KeyValue();
    for (int i = 0; i < header.customMetadataLength(); i++) {
      header.customMetadata(entry, i);
      ByteBuffer value = entry.valueAsByteBuffer();
      if (value != null) {
        int at = value.position() - bytes.position();
        // One fill, not a checked put per byte (that loop was the largest on-stack compile of a start)
        Arrays.fill(key.array(), at, at + value.remaining(), (byte) 0);
      }
      // as Arrow's Schema.convertSchema reads them
      metadata.put(entry.key() == null ? "" : entry.key(), entry.value() == null ? "" : entry.value());
    }
    Key cached = new Key(key.array());
    Schema known;
    synchronized (SCHEMAS) {
      known = SCHEMAS.get(cached);
    }
    if (known == null) {
      known = MessageSerializer.deserializeSchema(message);
      synchronized (SCHEMAS) {
        SCHEMAS.put(cached, known);
      }
    }
    return known.getCustomMetadata().equals(metadata) ? known : new Schema(known.getFields(), metadata);
  }
}
