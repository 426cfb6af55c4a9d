package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Positional, bounded reads from one file. Every read is checked against the file size before
 * anything is allocated, so a corrupt length can never make us allocate more than the file holds,
 * and a short file becomes a located {@link RrdFormatException} instead of an EOF surprise.
 */
final class FileBytes implements Closeable {
  /** Largest single read we do into one Java buffer. */
  static final int MAX_READ = Integer.MAX_VALUE - 64;

  private final Path file;
  private final FileChannel channel;
  private final long size;
  /** Whether closing this closes the channel: false for the views of {@link #duplicate()}. */
  private final boolean ownsChannel;
  private ByteBuffer scratch = ByteBuffer.allocate(0);

  private FileBytes(Path file, FileChannel channel, long size, boolean ownsChannel) {
    this.file = file;
    this.channel = channel;
    this.size = size;
    this.ownsChannel = ownsChannel;
  }

  static FileBytes open(Path file) throws IOException {
    requireNonNull(file, "file is null");
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
    try {
      return new FileBytes(file, channel, channel.size(), true);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /**
   * The same open file, with the same size, and a buffer of its own: for another thread (positional
   * reads of one channel may run concurrently). Closing it leaves the file open; closing this one
   * closes the file for both.
   */
  FileBytes duplicate() {
    return new FileBytes(file, channel, size, false);
  }

  Path file() {
    return file;
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
      throw new RrdFormatException(file, position, "offset lies outside the file of " + size + " bytes; expected " + what);
    }
    if (length > size - position) {
      throw new RrdFormatException(file, position,
          "file is truncated: expected " + length + " bytes of " + what + " but the file ends after " + (size - position) + " bytes, at byte " + size);
    }
    if (length > MAX_READ) {
      throw new RrdFormatException(file, position, what + " of " + length + " bytes is larger than the 2 GiB a single read supports");
    }
  }

  private void readFully(long position, ByteBuffer target) throws IOException {
    long at = position;
    while (target.hasRemaining()) {
      int n = channel.read(target, at);
      if (n < 0) {
        // The file shrank while we read it.
        throw new RrdFormatException(file, at, "file ended early while reading; it may be changing on disk");
      }
      at += n;
    }
  }

  @Override
  public void close() throws IOException {
    if (ownsChannel) {
      channel.close();
    }
  }
}
