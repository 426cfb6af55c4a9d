package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flatbuf.DictionaryBatch;
import org.apache.arrow.flatbuf.Field;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * An Arrow IPC stream holding one schema and exactly one record batch, as every chunk payload does
 * (after the dictionaries of its dictionary-encoded columns, if it has any), parsed without copying
 * from a buffer. The record batch is kept as its flatbuffer header plus the
 * location of its body, so callers choose how much to decode: {@link ChunkDecoder} loads vectors,
 * {@link ChunkSummary} reads only the index columns.
 *
 * <p>Every length in the stream is checked against the buffer before use, and the schema's nesting
 * is bounded before Arrow converts it, because Arrow assumes well-formed input: a corrupt length
 * would make it allocate that much, and a cyclic flatbuffer would recurse forever.
 *
 * @param dictionaries the dictionary batches before the record batch, in stream order (a column logged
 *     as a pandas categorical, say, is dictionary-encoded)
 * @param data the whole stream; its byte order is little-endian
 * @param bodyOffset where the record batch body starts in {@code data}
 * @param bodyLength the body's length
 */
record IpcStream(Schema schema, List<Dictionary> dictionaries, RecordBatch batch, ByteBuffer data, int bodyOffset, int bodyLength) {
  private static final int CONTINUATION = 0xFFFFFFFF;
  private static final int MAX_FIELD_DEPTH = 64;
  private static final int MAX_FIELDS = 100_000;

  /**
   * One dictionary batch: the values of dictionary {@code id}, a record batch of one column whose body
   * lies at {@code bodyOffset} in {@link #data}.
   */
  record Dictionary(long id, RecordBatch batch, int bodyOffset, int bodyLength) {
    Dictionary {
      requireNonNull(batch, "batch is null");
    }
  }

  IpcStream {
    requireNonNull(schema, "schema is null");
    dictionaries = List.copyOf(requireNonNull(dictionaries, "dictionaries is null"));
    requireNonNull(batch, "batch is null");
    requireNonNull(data, "data is null");
  }

  /** The stream's dictionary {@code d} as a stream of its own, its one column {@code values}: to lay out and load like a record batch. */
  IpcStream dictionaryStream(Dictionary d, org.apache.arrow.vector.types.pojo.Field values) {
    return new IpcStream(new Schema(List.of(values)), List.of(), d.batch(), data, d.bodyOffset(), d.bodyLength());
  }

  /**
   * Parses {@code data} (position to limit), which must hold the whole stream. {@code file} and
   * {@code offset} locate the payload in the file for error messages.
   */
  static IpcStream parse(ByteBuffer data, String file, long offset, String what) throws RrdFormatException {
    ByteBuffer in = data.slice().order(ByteOrder.LITTLE_ENDIAN);
    return parse(new Cursor(in, in.limit(), file, offset, what), true);
  }

  /**
   * Parses the start of a stream of {@code streamSize} bytes: {@code prefix} must hold both messages'
   * metadata (see {@link #headSize}); the body may run past it. Reading body buffers is then up to the
   * caller, within what the prefix holds.
   */
  static IpcStream parseHead(ByteBuffer prefix, long streamSize, String file, long offset, String what) throws RrdFormatException {
    ByteBuffer in = prefix.slice().order(ByteOrder.LITTLE_ENDIAN);
    return parse(new Cursor(in, streamSize, file, offset, what), false);
  }

  /**
   * Parses a stream that holds only a schema message (as the 0.28+ footer keeps each store's schema),
   * with the same checks as a chunk's schema. {@code file} and {@code offset} locate it for errors.
   */
  static Schema parseSchema(ByteBuffer data, String file, long offset, String what) throws RrdFormatException {
    ByteBuffer in = data.slice().order(ByteOrder.LITTLE_ENDIAN);
    Cursor cursor = new Cursor(in, in.limit(), file, offset, what);
    try {
      Message message = cursor.nextMessage();
      if (message == null || message.headerType() != MessageHeader.Schema) {
        throw cursor.error("expected an Arrow schema message");
      }
      checkShape((org.apache.arrow.flatbuf.Schema) message.header(new org.apache.arrow.flatbuf.Schema()), cursor);
      return SchemaCache.of(message);
    } catch (RuntimeException e) {
      throw corrupt(cursor, e);
    }
  }

  /**
   * How many bytes from the start of a stream hold the metadata of its messages up to the record
   * batch's, as far as {@code prefix} tells: when it is too short to know, the size needed to learn
   * more, which is larger than the prefix. Garbage gives some number; {@link #parseHead} then rejects it.
   */
  static long headSize(ByteBuffer prefix) {
    ByteBuffer in = prefix.slice().order(ByteOrder.LITTLE_ENDIAN);
    long position = 0;
    for (int message = 0; message <= MAX_FIELDS; message++) {
      if (in.limit() < position + 8) {
        return position + 8;
      }
      int length = in.getInt((int) position);
      position += 4;
      if (length == CONTINUATION) {
        length = in.getInt((int) position);
        position += 4;
      }
      if (length <= 0) {
        return position; // end of stream or garbage: nothing more to wait for
      }
      position += length;
      if (in.limit() < position) {
        return position;
      }
      try {
        Message m = message(in.slice((int) (position - length), length));
        if (message > 0 && m.headerType() != MessageHeader.DictionaryBatch) {
          return position; // the record batch (or what parseHead will reject)
        }
        position += Math.max(0, m.bodyLength());
      } catch (RuntimeException e) {
        return position; // corrupt metadata: parseHead says so
      }
    }
    return position;
  }

  /**
   * A message over {@code metadata}, read-only so that FlatBuffers cannot see past it: over a heap
   * buffer it decodes strings straight from the backing array, unchecked against the limit, so a
   * damaged string length read whatever followed (the body, or a reused decompression buffer's stale
   * bytes) and failed differently from run to run. Read-only, every byte goes through checked gets.
   */
  private static Message message(ByteBuffer metadata) {
    return Message.getRootAsMessage(metadata.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN));
  }

  private static IpcStream parse(Cursor cursor, boolean whole) throws RrdFormatException {
    try {
      Message schemaMessage = cursor.nextMessage();
      if (schemaMessage == null || schemaMessage.headerType() != MessageHeader.Schema) {
        throw cursor.error("expected an Arrow schema message first");
      }
      org.apache.arrow.flatbuf.Schema schemaFb = (org.apache.arrow.flatbuf.Schema) schemaMessage.header(new org.apache.arrow.flatbuf.Schema());
      checkShape(schemaFb, cursor);
      Schema schema = SchemaCache.of(schemaMessage);
      cursor.skipBody(schemaMessage);

      Message batchMessage = cursor.nextMessage();
      List<Dictionary> dictionaries = new ArrayList<>();
      while (batchMessage != null && batchMessage.headerType() == MessageHeader.DictionaryBatch) {
        dictionaries.add(dictionary(batchMessage, cursor, dictionaries.size()));
        batchMessage = cursor.nextMessage();
      }
      if (batchMessage == null) {
        throw cursor.error("expected one Arrow record batch after the schema, found the end of the stream");
      }
      if (batchMessage.headerType() != MessageHeader.RecordBatch) {
        throw cursor.error("expected an Arrow record batch, found message type " + batchMessage.headerType());
      }
      RecordBatch batch = (RecordBatch) batchMessage.header(new RecordBatch());
      if (batch.compression() != null) {
        throw cursor.error("Arrow body compression is not supported; expected an uncompressed record batch");
      }
      int bodyOffset = cursor.position;
      int bodyLength = cursor.skipBody(batchMessage);

      if (whole) {
        Message extra = cursor.nextMessage();
        if (extra != null) {
          throw cursor.error("expected exactly one record batch per chunk, found a further message of type " + extra.headerType());
        }
      }
      return new IpcStream(schema, dictionaries, batch, cursor.in, bodyOffset, bodyLength);
    } catch (RuntimeException e) {
      throw corrupt(cursor, e);
    }
  }

  /** A dictionary batch; {@code before} of them came earlier in the stream. */
  private static Dictionary dictionary(Message message, Cursor cursor, int before) throws RrdFormatException {
    if (before >= MAX_FIELDS) {
      throw cursor.error("more than " + MAX_FIELDS + " Arrow dictionary batches before the record batch");
    }
    DictionaryBatch dictionary = (DictionaryBatch) message.header(new DictionaryBatch());
    if (dictionary.isDelta()) {
      // Rerun writes each chunk's dictionaries whole; a delta would extend one from an earlier batch.
      throw cursor.error("Arrow dictionary batch " + dictionary.id() + " is a delta, which chunks never hold");
    }
    RecordBatch data = dictionary.data();
    if (data == null) {
      throw cursor.error("Arrow dictionary batch " + dictionary.id() + " has no values");
    }
    if (data.compression() != null) {
      throw cursor.error("Arrow body compression is not supported; expected an uncompressed dictionary batch");
    }
    int bodyOffset = cursor.position;
    return new Dictionary(dictionary.id(), data, bodyOffset, cursor.skipBody(message));
  }

  /**
   * Arrow's and flatbuffers' parsers signal malformed input with assorted runtime exceptions. The
   * message names only the exception's kind: the JDK's bounds checks word their detail differently
   * once the JIT has compiled them (or give none), and the same damaged file must give the same
   * error on every thread and every run. The exception stays attached as the cause.
   */
  private static RrdFormatException corrupt(Cursor cursor, RuntimeException e) {
    return cursor.error("corrupt Arrow IPC data (" + e.getClass().getSimpleName() + ")", e);
  }

  /**
   * Whether nothing but the end of the stream follows the record batch, as {@link #parse} requires of a
   * whole stream; for a stream from {@link #parseHead} whose buffer holds all of it.
   */
  boolean endsAfterBatch() {
    int position = bodyOffset + bodyLength;
    if (data.limit() - position < 4) {
      return true;
    }
    int length = data.getInt(position);
    if (length == CONTINUATION) {
      if (data.limit() - position - 4 < 4) {
        return false;
      }
      length = data.getInt(position + 4);
    }
    return length == 0;
  }

  /** The record batch's row count. */
  long rowCount() {
    return batch.length();
  }

  /** Bounds the nesting and number of fields before Arrow walks them recursively. */
  private static void checkShape(org.apache.arrow.flatbuf.Schema schema, Cursor cursor) throws RrdFormatException {
    int[] seen = {0};
    for (int i = 0; i < schema.fieldsLength(); i++) {
      checkField(schema.fields(i), 1, seen, cursor);
    }
  }

  private static void checkField(Field field, int depth, int[] seen, Cursor cursor) throws RrdFormatException {
    if (field == null) {
      throw cursor.error("Arrow schema has a missing field");
    }
    if (depth > MAX_FIELD_DEPTH || ++seen[0] > MAX_FIELDS) {
      throw cursor.error("Arrow schema nests deeper than " + MAX_FIELD_DEPTH + " levels or has more than " + MAX_FIELDS + " fields");
    }
    for (int i = 0; i < field.childrenLength(); i++) {
      checkField(field.children(i), depth + 1, seen, cursor);
    }
  }

  /**
   * Reads encapsulated IPC messages: [0xFFFFFFFF] int32 metadata length, flatbuffer, body. Metadata
   * must lie in the buffer; bodies only within the stream's size, which the buffer may not all hold.
   */
  private static final class Cursor {
    private final ByteBuffer in;
    private final long end;
    private final String file;
    private final long offset;
    private final String what;
    int position;

    Cursor(ByteBuffer in, long end, String file, long offset, String what) {
      this.in = in;
      this.end = end;
      this.file = file;
      this.offset = offset;
      this.what = what;
    }

    /** The next message, or null at the end-of-stream marker or the end of the stream. */
    Message nextMessage() throws RrdFormatException {
      if (Math.min(in.limit(), end) - position < 4) {
        return null;
      }
      int length = in.getInt(position);
      position += 4;
      if (length == CONTINUATION) {
        if (in.limit() - position < 4) {
          throw error("Arrow IPC stream ends inside a message length");
        }
        length = in.getInt(position);
        position += 4;
      }
      if (length == 0) {
        return null; // end-of-stream marker
      }
      if (length < 0 || length > in.limit() - position) {
        throw error("Arrow IPC message claims " + Integer.toUnsignedString(length) + " metadata bytes but " + (in.limit() - position) + " remain");
      }
      position += length;
      return message(in.slice(position - length, length));
    }

    /** Steps over a message's body after checking it fits in the stream; returns its length. */
    int skipBody(Message message) throws RrdFormatException {
      long length = message.bodyLength();
      if (length < 0 || length > end - position) {
        throw error("Arrow IPC message claims a body of " + length + " bytes but " + (end - position) + " remain");
      }
      position += (int) length;
      return (int) length;
    }

    RrdFormatException error(String problem) {
      return error(problem, null);
    }

    RrdFormatException error(String problem, Throwable cause) {
      return new RrdFormatException(file, offset, problem + " at byte " + position + " of the decompressed " + what, cause);
    }
  }
}
