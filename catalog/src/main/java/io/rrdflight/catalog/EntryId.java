package io.rrdflight.catalog;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * A catalog entry's id: a 128-bit TUID (time in nanoseconds, then a counter), written as 32 hex
 * digits the way Rerun's SDK does: the time half upper-case, the counter half lower-case. Ids are
 * persisted, so they stay the same across restarts.
 */
public record EntryId(long timeNs, long inc) {
  /** Made on first use, not with the class: a restart loads ids without making any (seeding costs a few ms). */
  private static final class Random {
    static final SecureRandom INSTANCE = new SecureRandom();
  }

  private static final HexFormat UPPER = HexFormat.of().withUpperCase();
  private static final HexFormat LOWER = HexFormat.of();

  public static EntryId random() {
    long nowNs = System.currentTimeMillis() * 1_000_000L + (System.nanoTime() % 1_000_000L + 1_000_000L) % 1_000_000L;
    return new EntryId(nowNs, Random.INSTANCE.nextLong());
  }

  /** Parses 32 hex digits in any case (the header {@code x-rerun-entry-id} format). */
  public static EntryId parse(String hex) {
    if (hex == null || hex.length() != 32) {
      throw CatalogException.invalidArgument("Entry id must be 32 hex digits, got: " + hex);
    }
    try {
      return new EntryId(Long.parseUnsignedLong(hex.substring(0, 16), 16), Long.parseUnsignedLong(hex.substring(16), 16));
    } catch (NumberFormatException e) {
      throw CatalogException.invalidArgument("Entry id must be 32 hex digits, got: " + hex);
    }
  }

  /** Without String.format: registration writes ids for every file, and a Formatter per id showed in its profile. */
  public String toHex() {
    return UPPER.toHexDigits(timeNs) + LOWER.toHexDigits(inc);
  }

  /** The 16 bytes of Arrow's FixedSizeBinary(16) form: big-endian time, then big-endian counter. */
  public byte[] toBytes() {
    byte[] bytes = new byte[16];
    for (int i = 0; i < 8; i++) {
      bytes[i] = (byte) (timeNs >>> (56 - 8 * i));
      bytes[8 + i] = (byte) (inc >>> (56 - 8 * i));
    }
    return bytes;
  }

  @Override
  public String toString() {
    return toHex();
  }

  /**
   * Written out: a record's own equals and hashCode are linked on first use through ObjectMethods'
   * bootstrap (method handles built in the interpreter), ~25 ms of the main thread when a restart loads
   * the catalog (scripts/bench/README.md, "Start-up"). Same results: both components compared, and the
   * hash a record computes (31 * h(timeNs) + h(inc)).
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof EntryId id && timeNs == id.timeNs && inc == id.inc;
  }

  @Override
  public int hashCode() {
    return 31 * Long.hashCode(timeNs) + Long.hashCode(inc);
  }
}
