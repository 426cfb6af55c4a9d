package io.rrdflight.rrd;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * Part of a file as an InputStream, read through small windows, whose skip() moves ahead without
 * reading. Lets protobuf parse a message straight from the file, so that a corrupt length never
 * makes us buffer more than we actually read, and a chunk payload can be stepped over.
 */
final class FileRegion extends InputStream {
  private static final int WINDOW = 4096;
  private final FileBytes bytes;
  private final long end;
  private long position;

  FileRegion(FileBytes bytes, long offset, long length) {
    this.bytes = bytes;
    this.position = offset;
    this.end = offset + length;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] target, int off, int len) throws IOException {
    if (position >= end) {
      return -1;
    }
    int n = (int) Math.min(Math.min(len, WINDOW), end - position);
    ByteBuffer window = bytes.read(position, n, "message");
    window.get(target, off, n);
    position += n;
    return n;
  }

  @Override
  public long skip(long n) {
    long skipped = Math.max(0, Math.min(n, end - position));
    position += skipped;
    return skipped;
  }

  @Override
  public int available() {
    return (int) Math.min(Integer.MAX_VALUE, end - position);
  }
}
