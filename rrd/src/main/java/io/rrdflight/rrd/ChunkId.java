package io.rrdflight.rrd;

import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.Optional;

/**
 * A chunk's 128-bit id (a Rerun TUID): nanoseconds since the epoch, then a counter. Ordered as
 * unsigned 128-bit numbers. Written as {@code chunk_} and 32 hex digits, the time half upper-case
 * and the counter half lower-case, as Rerun prints it.
 */
public record ChunkId(long timeNs, long inc) implements Comparable<ChunkId> {

  /** From the 16 big-endian bytes of a FixedSizeBinary(16) cell. */
  public static ChunkId fromBytes(byte[] bytes) {
    if (bytes.length != 16) {
      throw new IllegalArgumentException("a chunk id has 16 bytes, got " + bytes.length);
    }
    ByteBuffer b = ByteBuffer.wrap(bytes);
    return new ChunkId(b.getLong(0), b.getLong(8));
  }

  /** Parses {@code chunk_<32 hex>}, with or without the prefix, in any hex case. */
  public static Optional<ChunkId> parse(String text) {
    String hex = text.startsWith("chunk_") ? text.substring("chunk_".length()) : text;
    if (hex.length() != 32) {
      return Optional.empty();
    }
    try {
      return Optional.of(new ChunkId(Long.parseUnsignedLong(hex.substring(0, 16), 16), Long.parseUnsignedLong(hex.substring(16), 16)));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  public byte[] toBytes() {
    return ByteBuffer.allocate(16).putLong(timeNs).putLong(inc).array();
  }

  @Override
  public int compareTo(ChunkId other) {
    int c = Long.compareUnsigned(timeNs, other.timeNs);
    return c != 0 ? c : Long.compareUnsigned(inc, other.inc);
  }

  @Override
  public String toString() {
    return "chunk_" + String.format("%016X", timeNs) + String.format("%016x", inc).toLowerCase(Locale.ROOT);
  }
}
