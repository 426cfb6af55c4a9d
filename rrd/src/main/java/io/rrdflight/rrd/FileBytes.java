package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Positional, bounded reads from one recording ({@link RecordingSource}). Every read is checked against the file size before
 * anything is allocated, so a corrupt length can never make us allocate more than the file holds,
 * and a short file becomes a located {@link RrdFormatException} instead of an EOF surprise.
 */
final class FileBytes implements Closeable {
  /** Largest single read we do into one Java buffer. */
  static final int MAX_READ = Integer.MAX_VALUE - 64;

  private final RecordingSource source;
  private final long size;
  /** Whether closing this closes the source: false for the views of {@link #duplicate()} and {@link #over}. */
  private final boolean ownsSource;
  private ByteBuffer scratch = ByteBuffer.allocate(0);

  private FileBytes(RecordingSource source, boolean ownsSource) {
    this.source = requireNonNull(source, "source is null");
    this.size = source.size();
    this.ownsSource = ownsSource;
  }

  /** Opens a local file; closing the result closes it. */
  static FileBytes open(Path file) throws IOException {
    return new FileBytes(LocalFile.open(requireNonNull(file, "file is null")), true);
  }

  /** Reads {@code source}, which the caller keeps open and closes. */
  static FileBytes over(RecordingSource source) {
    return new FileBytes(source, false);
  }

  /**
   * The same open file, with the same size, and a buffer of its own: for another thread (positional
   * reads of one channel may run concurrently). Closing it leaves the file open; closing this one
   * closes the file for both.
   */
  FileBytes duplicate() {
    return new FileBytes(source, false);
  }

  /** How messages name the recording. */
  String file() {
    return source.name();
  }

  RecordingSource source() {
    return source;
  }

  long size() {
    return size;
  }

  /**
   * Reads exactly {@code length} bytes at {@code position} into a reused little-endian buffer that is
   * valid until the next call. {@code what} names the bytes for the error message.
   */
  ByteBuffer read(long position, long length, String what) throws IOException {
    checkAvailable(position, length, what);
    if (scratch.capacity() < length) {
      scratch = ByteBuffer.allocate((int) Math.min(MAX_READ, Math.max(length, (long) scratch.capacity() * 3 / 2)));
    }
    ByteBuffer target = scratch.clear().limit((int) length).order(ByteOrder.LITTLE_ENDIAN);
    readFully(position, target);
    return target.flip();
  }

  /** Like {@link #read} but into a fresh buffer the caller may keep. */
  ByteBuffer readCopy(long position, long length, String what) throws IOException {
    checkAvailable(position, length, what);
    ByteBuffer target = ByteBuffer.allocate((int) length).order(ByteOrder.LITTLE_ENDIAN);
    readFully(position, target);
    return target.flip();
  }

  /**
   * Reads exactly {@code length} bytes at {@code position} into a new buffer of {@code allocator},
   * which the caller closes: a direct read, with no copy through the JDK's native buffer.
   */
  ArrowBuf readInto(BufferAllocator allocator, long position, long length, String what) throws IOException {
    checkAvailable(position, length, what);
    ArrowBuf target = allocator.buffer(Math.max(length, 1));
    try {
      readFully(position, target.nioBuffer(0, (int) length));
      return target;
    } catch (IOException | RuntimeException e) {
      target.close();
      throw e;
    }
  }

  /** Reads exactly {@code length} bytes at {@code position} into {@code target} from {@code targetOffset}. */
  void readInto(long position, byte[] target, int targetOffset, int length, String what) throws IOException {
    checkAvailable(position, length, what);
    readFully(position, ByteBuffer.wrap(target, targetOffset, length));
  }

  /** Reads up to {@code max} bytes at {@code position}: fewer near the end of the file. */
  ByteBuffer peek(long position, int max) throws IOException {
    long available = Math.max(0, size - position);
    return read(position, Math.min(max, available), "bytes");
  }

  void checkAvailable(long position, long length, String what) throws RrdFormatException {
    if (position < 0 || length < 0 || position > size) {
      throw new RrdFormatException(file(), position, "offset lies outside the file of " + size + " bytes; expected " + what);
    }
    if (length > size - position) {
      throw new RrdFormatException(file(), position,
          "file is truncated: expected " + length + " bytes of " + what + " but the file ends after " + (size - position) + " bytes, at byte " + size);
    }
    if (length > MAX_READ) {
      throw new RrdFormatException(file(), position, what + " of " + length + " bytes is larger than the 2 GiB a single read supports");
    }
  }

  private void readFully(long position, ByteBuffer target) throws IOException {
    source.readFully(position, target);
  }

  @Override
  public void close() throws IOException {
    if (ownsSource) {
      source.close();
    }
  }
}
