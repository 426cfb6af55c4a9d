package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The start of a chunk's ArrowMsg payload, read from the file and decompressed only as far as a
 * caller asks. The index needs the IPC head and the index columns, which come first in the stream;
 * component data after them is neither decompressed nor read.
 *
 * <p>An LZ4 block is read in steps, each as large as the compression seen so far suggests the rest of
 * the wanted output takes, and decoded as it comes: decoding goes on where the previous step stopped.
 * Memory stays bounded by what the file really holds: the declared uncompressed size is only an upper
 * limit, and both buffers grow with bytes read or decoded, never with what a header claims.
 */
final class PayloadPrefix {
  private static final String WHAT = "chunk payload";
  /** Decompressed bytes first decoded: enough for the IPC head of most chunks. */
  private static final int FIRST_WANT = 1 << 12;
  /** The smallest read: a whole small chunk, or the IPC head of a large one. */
  private static final int MIN_READ = 1 << 14;

  private final FileBytes bytes;
  private final ArrowMsgHeader msg;
  private final Lz4Block.Output stored;
  private final Lz4Block.Output decoded;
  private final Lz4Block.PrefixDecoder decoder;
  /** How many bytes of the payload are in {@code stored}. */
  private int read;

  /**
   * {@code stored} and {@code decoded} are reusable buffers of the calling thread; their contents are
   * overwritten.
   */
  PayloadPrefix(FileBytes bytes, ArrowMsgHeader msg, Lz4Block.Output stored, Lz4Block.Output decoded) {
    this.bytes = requireNonNull(bytes, "bytes is null");
    this.msg = requireNonNull(msg, "msg is null");
    this.stored = requireNonNull(stored, "stored is null");
    this.decoded = requireNonNull(decoded, "decoded is null");
    this.decoder = new Lz4Block.PrefixDecoder(decoded);
  }

  String file() {
    return bytes.file();
  }

  /** Where the payload starts in the file: the offset errors name. */
  long offset() {
    return msg.dataOffset();
  }

  ArrowMsgHeader msg() {
    return msg;
  }

  /**
   * The IPC stream's schema and record batch header, with at least the first {@code minimum} bytes of
   * the stream decoded, for reading a few body buffers without decompressing the rest. An
   * uncompressed payload is read whole and checked as a whole stream.
   */
  IpcStream parseHead(long minimum) throws IOException {
    String file = file();
    long offset = offset();
    if (!msg.lz4()) {
      readUpTo(msg.dataLength());
      return IpcStream.parse(ByteBuffer.wrap(stored.bytes(), 0, read), file, offset, WHAT);
    }
    long declaredSize = msg.uncompressedSize();
    if (declaredSize <= 0 || declaredSize > FileBytes.MAX_READ) {
      throw new RrdFormatException(file, offset, WHAT + " declares " + Long.toUnsignedString(declaredSize) + " uncompressed bytes");
    }
    long want = Math.max(minimum, FIRST_WANT);
    while (true) {
      int wanted = (int) Math.min(want, declaredSize);
      int n = decode(wanted);
      if (n < 0) {
        throw new RrdFormatException(file, offset, "corrupt LZ4 block in " + WHAT + ": its sequences run past its end or refer before its start");
      }
      ByteBuffer prefix = ByteBuffer.wrap(decoded.bytes(), 0, n);
      long needed = Math.max(minimum, IpcStream.headSize(prefix));
      if (needed <= n) {
        return IpcStream.parseHead(prefix, declaredSize, file, offset, WHAT);
      }
      if (needed > declaredSize || n < wanted) {
        throw new RrdFormatException(file, offset, WHAT + " needs " + needed + " bytes of its Arrow IPC stream, but its LZ4 block holds "
            + (n < want ? n : "more than") + " and it declares " + declaredSize);
      }
      want = needed;
    }
  }

  /**
   * Whether {@link #parseHead} has the whole IPC stream, checked as {@link ArrowPayload#layout} checks
   * the block: all of it read, every sequence decoded, and exactly the declared size out.
   */
  boolean holdsWhole() {
    if (!msg.lz4()) {
      return read == msg.dataLength();
    }
    return read == msg.dataLength() && decoder.consumed() == read && decoder.decoded() == msg.uncompressedSize();
  }

  /** Decodes the block's first {@code wanted} bytes (fewer if it ends first), reading more of it as needed. */
  private int decode(int wanted) throws IOException {
    long length = msg.dataLength();
    while (true) {
      int n = decoder.decode(stored.bytes(), read, read == length, wanted);
      if (n != Lz4Block.NEEDS_INPUT) {
        return n;
      }
      // As many more bytes as the rest should take at the compression ratio so far, and some.
      double ratio = decoder.decoded() == 0 ? 1 : (double) decoder.consumed() / decoder.decoded();
      long more = Math.max(MIN_READ, (long) ((wanted - decoder.decoded()) * ratio * 1.125));
      readUpTo(Math.min(length, read + more));
    }
  }

  /** Has the payload's first {@code size} bytes in {@code stored}. */
  private void readUpTo(long size) throws IOException {
    if (size > read) {
      bytes.checkAvailable(msg.dataOffset(), size, "ArrowMsg payload"); // also refuses reads over 2 GiB
      byte[] target = stored.ensure(size);
      bytes.readInto(msg.dataOffset() + read, target, read, (int) (size - read), "ArrowMsg payload");
      read = (int) size;
    }
  }
}
