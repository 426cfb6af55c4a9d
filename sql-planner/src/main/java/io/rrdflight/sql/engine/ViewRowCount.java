package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import io.rrdflight.rrd.ChunkId;
import java.nio.charset.StandardCharsets;

/**
 * How many rows a whole view has in one partition: the view on {@code timeline} with
 * {@code contents}, every index value, no fill. That is the size of the union of its index times
 * that a scan computes window by window ({@link PartitionSweep}), so a COUNT(*) with no filter is
 * answered from it without decoding anything. Learnt only by a scan that computed every window of
 * the partition, and kept beside the chunks' times: in memory and in the catalog, under a reserved
 * chunk id per (timeline, contents), so it carries the same file stamp and goes with it.
 */
record ViewRowCount(String timeline, String contents, long rows) {
  /** No chunk has this id: Rerun's TUIDs start with the time in nanoseconds (the test data's with 0). */
  static final long RESERVED_TIME = -1L;
  private static final int FORMAT = 2; // ChunkTimes' is 1: neither reads the other's bytes

  ViewRowCount {
    requireNonNull(timeline, "timeline is null");
    requireNonNull(contents, "contents is null");
    if (rows < 0) {
      throw new IllegalArgumentException("rows must not be negative: " + rows);
    }
  }

  /**
   * The id the count of (timeline, contents) is stored under: a 64-bit hash. Two keys with the same
   * hash share the slot, but the bytes name their key, so one never reads as the other.
   */
  static ChunkId idOf(String timeline, String contents) {
    long h = 0xcbf29ce484222325L; // FNV-1a
    for (byte b : (timeline + '\0' + contents).getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    return new ChunkId(RESERVED_TIME, h);
  }

  static boolean isCountId(ChunkId id) {
    return id.timeNs() == RESERVED_TIME;
  }

  ChunkId id() {
    return idOf(timeline, contents);
  }

  byte[] toBytes() {
    var bytes = new java.io.ByteArrayOutputStream(32 + timeline.length() + contents.length());
    try (var out = new java.io.DataOutputStream(bytes)) {
      out.writeByte(FORMAT);
      out.writeUTF(timeline);
      out.writeUTF(contents);
      out.writeLong(rows);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e); // a byte array does not fail; a name beyond 64 KiB does
    }
    return bytes.toByteArray();
  }

  /** Reads {@link #toBytes}; IllegalArgumentException naming what is wrong. */
  static ViewRowCount fromBytes(byte[] bytes) {
    try (var in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(bytes))) {
      int format = in.readUnsignedByte();
      if (format != FORMAT) {
        throw new java.io.IOException("format " + format + ", expected " + FORMAT);
      }
      String timeline = in.readUTF();
      String contents = in.readUTF();
      long rows = in.readLong();
      if (in.available() > 0 || rows < 0) {
        throw new java.io.IOException(rows < 0 ? "a negative count" : in.available() + " bytes after the end");
      }
      return new ViewRowCount(timeline, contents, rows);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("unreadable row count: " + e.getMessage(), e);
    }
  }
}
