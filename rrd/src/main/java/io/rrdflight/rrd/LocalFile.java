package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * A recording in a local file, read with positional reads of one channel (which may run on several
 * threads at once). Only regular files are opened: a FIFO or device is refused from its attributes,
 * because opening a FIFO blocks until someone writes to it.
 */
public final class LocalFile implements RecordingSource {
  /** The largest read into a heap buffer at once; see {@link #readFully}. */
  static final int READ_SLICE_BYTES = 128 << 10;

  private final Path path;
  private final FileChannel channel;
  private final long size;
  private final String version;
  /** The whole file, read once ({@link #held}); null when reads go to the channel. */
  private final byte[] held;

  private LocalFile(Path path, FileChannel channel, long size, String version, byte[] held) {
    this.path = path;
    this.channel = channel;
    this.size = size;
    this.version = version;
    this.held = held;
  }

  public static LocalFile open(Path path) throws IOException {
    requireNonNull(path, "path is null");
    BasicFileAttributes before = Files.readAttributes(path, BasicFileAttributes.class);
    if (!before.isRegularFile()) {
      throw new IOException(path + " is not a regular file");
    }
    FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
    try {
      return new LocalFile(path, channel, channel.size(), versionOf(before), null);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /**
   * This file read whole into memory when it has at most {@code maxBytes}, as one read, and served
   * from there: indexing a file of a few kB made some 27 reads of the channel (stream header, frame
   * headers, each chunk's head and payload, the footer's place), each a system call behind the JDK's
   * channel machinery, and a registration of a thousand such files spent much of its time there.
   * Otherwise this file itself. The copy has this file's name, size and version; closing it leaves
   * this file open (the caller closes this one, as before).
   */
  public LocalFile held(int maxBytes) throws IOException {
    if (held != null || size > maxBytes) {
      return this;
    }
    byte[] all = new byte[(int) size];
    readFully(0, ByteBuffer.wrap(all));
    return new LocalFile(path, channel, size, version, all);
  }

  /** The version a file has now, without opening it: its modification time in nanoseconds. */
  public static String versionOf(BasicFileAttributes attributes) {
    return Long.toString(modifiedNanos(attributes));
  }

  public static long modifiedNanos(BasicFileAttributes attributes) {
    var at = attributes.lastModifiedTime().toInstant();
    return at.getEpochSecond() * 1_000_000_000L + at.getNano();
  }

  public Path path() {
    return path;
  }

  @Override
  public String name() {
    return path.toString();
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public String version() {
    return version;
  }

  @Override
  public void readFully(long position, ByteBuffer target) throws IOException {
    if (held != null) {
      if (position < 0 || position > held.length - target.remaining()) {
        throw new RrdFormatException(name(), Math.max(position, 0), "file ended early while reading; it may be changing on disk");
      }
      target.put(held, (int) position, target.remaining());
      return;
    }
    long at = position;
    int end = target.limit();
    while (target.hasRemaining()) {
      // Into a heap buffer the JDK reads through a temporary direct buffer as large as the read, and
      // keeps it for the thread: reading in slices bounds that per thread (else every stream thread
      // that ever read a large chunk holds a native copy of it: tens of MB of resident memory).
      if (!target.isDirect()) {
        target.limit(Math.min(end, target.position() + READ_SLICE_BYTES));
      }
      int n = channel.read(target, at);
      target.limit(end);
      if (n < 0) {
        // The file shrank while we read it.
        throw new RrdFormatException(name(), at, "file ended early while reading; it may be changing on disk");
      }
      at += n;
    }
  }

  @Override
  public void close() throws IOException {
    if (held == null) {
      channel.close(); // a held copy's channel is its original's, which its owner closes
    }
  }

  @Override
  public String toString() {
    return "LocalFile[" + path + "]";
  }
}
