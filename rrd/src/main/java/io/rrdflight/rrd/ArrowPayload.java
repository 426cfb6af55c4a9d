package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.DictionaryUtility;

/**
 * An Arrow IPC stream as Rerun stores it in protobuf messages (an ArrowMsg payload, a manifest's
 * DataframePart): possibly a raw LZ4 block, decompressing to a schema and one record batch. The one
 * place that decompresses and loads such payloads.
 *
 * <p>Memory is bounded twice: the declared uncompressed size must be what the LZ4 block really holds
 * (verifying checks it before anything is allocated; decoding allocates at most 255 times the stored
 * bytes, the most LZ4 can expand to, and fails if the block holds another size), and vectors are
 * loaded under a child allocator whose limit follows from that size, so a corrupt batch cannot ask
 * for more memory than its data justifies.
 *
 * @param file the file, for error messages
 * @param offset where the payload's bytes start in the file, for error messages
 * @param bytes the stored bytes, position to limit
 * @param lz4 whether {@code bytes} is an LZ4 block
 * @param declaredSize the uncompressed size the message declares (used only with LZ4)
 * @param what names the payload in error messages
 */
record ArrowPayload(String file, long offset, ByteBuffer bytes, boolean lz4, long declaredSize, String what) {
  private static final LZ4SafeDecompressor LZ4 = LZ4Factory.fastestInstance().safeDecompressor();
  /** Room for buffers Arrow allocates while loading, such as validity bitmaps writers leave out. */
  private static final long LOAD_HEADROOM = 64L << 20;
  /** The most bytes one byte of an LZ4 block can decompress to. */
  private static final long MAX_LZ4_RATIO = 255;

  ArrowPayload {
    requireNonNull(file, "file is null");
    requireNonNull(bytes, "bytes is null");
    requireNonNull(what, "what is null");
  }

  /**
   * The size of the IPC stream, after checking the declared size against what the LZ4 block really
   * holds: it decides how much we allocate, so a corrupt one must fail first.
   */
  long ipcSize() throws RrdFormatException {
    if (!lz4) {
      return bytes.remaining();
    }
    long actual = Lz4Block.decompressedSize(bytes);
    if (actual < 0) {
      throw new RrdFormatException(file, offset, "corrupt LZ4 block in " + what + ": its sequences run past its end or refer before its start");
    }
    if (actual != declaredSize) {
      throw new RrdFormatException(file, offset, what + " declares " + Long.toUnsignedString(declaredSize) + " uncompressed bytes but its LZ4 block holds " + actual);
    }
    if (actual > FileBytes.MAX_READ) {
      throw new RrdFormatException(file, offset, what + " decompresses to " + actual + " bytes, more than the 2 GiB a chunk may have");
    }
    return actual;
  }

  /**
   * The size to allocate for the IPC stream when decoding, checked without a pass over the block: at
   * most 255 bytes come out of each LZ4 byte (a sequence's longest match is 255 per length byte), so
   * a declared size beyond that is corrupt, and a size within it allocates no more than 255 times the
   * bytes already read. Decompressing then checks that the block holds exactly the declared size
   * ({@link #decompressInto}). The token walk of {@link #ipcSize} cost a sixth of decoding on the
   * query path, where every chunk is read again and again.
   */
  private long allocationSize() throws RrdFormatException {
    if (!lz4) {
      return bytes.remaining();
    }
    if (Long.compareUnsigned(declaredSize, MAX_LZ4_RATIO * bytes.remaining()) > 0) {
      throw new RrdFormatException(file, offset, what + " declares " + Long.toUnsignedString(declaredSize) + " uncompressed bytes, more than its "
          + bytes.remaining() + " bytes of LZ4 block can hold");
    }
    if (declaredSize > FileBytes.MAX_READ) {
      throw new RrdFormatException(file, offset, what + " decompresses to " + declaredSize + " bytes, more than the 2 GiB a chunk may have");
    }
    return declaredSize;
  }

  /**
   * Checks the whole payload without building vectors: the LZ4 block decompresses to its declared
   * size, and the IPC stream's every length, offset and type id is in bounds. What {@link #load} would
   * find, at a fraction of its cost.
   */
  void verify(Lz4Block.Output scratch) throws RrdFormatException {
    layout(scratch);
  }

  /**
   * The whole payload's record batch, checked as {@link #verify} checks it, decompressed into
   * {@code scratch} (valid until its next use): for reading facts about the columns from their
   * buffers without building vectors.
   */
  RecordBatchLayout layout(Lz4Block.Output scratch) throws RrdFormatException {
    ByteBuffer ipc = bytes;
    if (lz4) {
      int size = (int) ipcSize();
      ipc = ByteBuffer.wrap(scratch.ensure(size), 0, size);
      decompressInto(ipc);
    }
    RecordBatchLayout layout = RecordBatchLayout.of(IpcStream.parse(ipc, file, offset, what), file, offset);
    layout.checkContents();
    return layout;
  }

  /**
   * Decodes the record batch into vectors allocated from a child of {@code allocator}. The caller
   * closes the root, then the returned allocator.
   */
  Loaded load(BufferAllocator allocator) throws IOException {
    return load(allocator, LOAD_HEADROOM);
  }

  /** {@link #load} with {@code headroom} in place of {@link #LOAD_HEADROOM}: to test the limit without allocating hundreds of MiB. */
  Loaded load(BufferAllocator allocator, long headroom) throws IOException {
    long size = allocationSize();
    BufferAllocator child = allocator.newChildAllocator(what + "@" + offset, 0, headroom + 4 * size);
    VectorSchemaRoot root = null;
    boolean done = false;
    try (ArrowBuf ipcBuf = child.buffer(Math.max(size, 1))) {
      ByteBuffer ipc = ipcBuf.nioBuffer(0, (int) size).order(ByteOrder.LITTLE_ENDIAN);
      if (lz4) {
        try {
          decompressInto(ipc);
        } catch (RrdFormatException e) {
          ipcSize(); // the token walk says precisely what is wrong with the block (as verifying does)
          throw e;
        }
      } else {
        ipc.put(bytes.duplicate()).flip();
      }
      IpcStream stream = IpcStream.parse(ipc, file, offset, what);
      // Every length, offset and dictionary index is checked before Arrow sees it; Arrow itself trusts them.
      RecordBatchLayout.of(stream, file, offset).checkContents();
      if (!stream.dictionaries().isEmpty()) {
        root = loadWithDictionaries(stream, ipcBuf, size, child);
      } else {
        root = VectorSchemaRoot.create(stream.schema(), child);
        load(root, stream.batch(), stream.bodyOffset(), stream.bodyLength(), ipcBuf);
      }
      done = true;
      return new Loaded(root, child, !stream.dictionaries().isEmpty());
    } catch (RuntimeException e) {
      // Arrow signals malformed nodes, buffers and offsets with assorted runtime exceptions.
      throw new RrdFormatException(file, offset, "corrupt Arrow record batch in " + what + " (" + e + ")", e);
    } finally {
      if (!done) {
        if (root != null) {
          root.close();
        }
        child.close();
      }
    }
  }

  /**
   * Vectors and the allocator that owns them; closing closes both, in order.
   *
   * @param decodedDictionaries whether the stream dictionary-encoded some columns, which {@code root} holds as values
   */
  record Loaded(VectorSchemaRoot root, BufferAllocator allocator, boolean decodedDictionaries) implements AutoCloseable {
    @Override
    public void close() {
      root.close();
      allocator.close();
    }
  }

  /**
   * Loads the record batch with its dictionaries, then reads its dictionary-encoded columns as their
   * values ({@link DictionaryValues}): the root returned has no encodings.
   */
  private VectorSchemaRoot loadWithDictionaries(IpcStream stream, ArrowBuf ipcBuf, long size, BufferAllocator allocator)
      throws RrdFormatException {
    Map<Long, Dictionary> dictionaries = new HashMap<>();
    VectorSchemaRoot indices = null;
    try {
      List<Field> memoryFormat = new ArrayList<>();
      for (Field field : stream.schema().getFields()) {
        memoryFormat.add(DictionaryUtility.toMemoryFormat(field, allocator, dictionaries)); // makes each dictionary's vector
      }
      indices = VectorSchemaRoot.create(new Schema(memoryFormat, stream.schema().getCustomMetadata()), allocator);
      load(indices, stream.batch(), stream.bodyOffset(), stream.bodyLength(), ipcBuf);
      for (IpcStream.Dictionary d : stream.dictionaries()) {
        FieldVector values = dictionaries.get(d.id()).getVector(); // every id has a column: RecordBatchLayout checked
        load(new VectorSchemaRoot(List.of(values.getField()), List.of(values), 0), d.batch(), d.bodyOffset(), d.bodyLength(), ipcBuf);
      }
      VectorSchemaRoot decoded;
      try {
        decoded = DictionaryValues.decoded(indices, stream.schema(), dictionaries, allocator);
      } catch (DictionaryValues.TooLarge e) {
        // The limit still holds (it is what keeps a few hostile indices from claiming gigabytes), but the
        // data is valid: say it is too large, where the generic handler would call it corrupt.
        throw new RrdFormatException(file, offset, "dictionary-encoded column '" + e.column() + "' of " + what + " decodes to more than the "
            + allocator.getLimit() + " bytes of memory a payload of " + size + " bytes may take", e);
      }
      indices = null; // its vectors are closed or moved to the decoded root
      return decoded;
    } finally {
      if (indices != null) {
        indices.close();
      }
      dictionaries.values().forEach(d -> d.getVector().close());
    }
  }

  /** Loads {@code batch}, whose body lies at {@code bodyOffset} in {@code ipcBuf}, into {@code root}. */
  private void load(VectorSchemaRoot root, RecordBatch batch, int bodyOffset, int bodyLength, ArrowBuf ipcBuf) throws RrdFormatException {
    try (ArrowRecordBatch loaded = recordBatch(batch, bodyOffset, bodyLength, ipcBuf)) {
      // The vectors take their own references to slices of ipcBuf; closing ipcBuf drops only ours.
      new VectorLoader(root).load(loaded);
    }
  }

  private ArrowRecordBatch recordBatch(RecordBatch batch, int bodyOffset, int bodyLength, ArrowBuf ipcBuf) throws RrdFormatException {
    ArrowBuf body = ipcBuf.slice(bodyOffset, bodyLength);
    // deserializeRecordBatch releases one reference to the body once the batch holds its own.
    body.getReferenceManager().retain();
    try {
      return MessageSerializer.deserializeRecordBatch(batch, body);
    } catch (IOException | RuntimeException e) {
      body.getReferenceManager().release();
      throw new RrdFormatException(file, offset, "corrupt Arrow record batch header in " + what + " (" + e.getMessage() + ")", e);
    }
  }

  private void decompressInto(ByteBuffer dst) throws RrdFormatException {
    int expected = dst.remaining();
    int written;
    try {
      written = LZ4.decompress(bytes, bytes.position(), bytes.remaining(), dst, dst.position(), expected);
    } catch (LZ4Exception | IndexOutOfBoundsException e) {
      throw new RrdFormatException(file, offset, "corrupt LZ4 block in " + what + " (" + e.getMessage() + ")", e);
    }
    if (written != expected) {
      throw new RrdFormatException(file, offset, "LZ4 block of " + what + " decompresses to " + written + " bytes; expected the declared " + expected);
    }
  }
}
