package io.rrdflight.rrd;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The 12 bytes that open every stream of an .rrd file: {@code RRF2}, the writer's version, the
 * compression byte, the serializer byte and two reserved zero bytes. A file may hold several streams
 * one after another ({@code cat a.rrd b.rrd}), each with its own header.
 *
 * @param offset where the header starts in the file
 * @param version the Rerun version that wrote the stream
 * @param lz4 whether the header announces LZ4; advisory only, each ArrowMsg says how it is compressed
 */
public record StreamHeader(long offset, CrateVersion version, boolean lz4) {
  public static final int SIZE = 12;

  static final byte[] FOURCC = "RRF2".getBytes(StandardCharsets.US_ASCII);
  private static final int SERIALIZER_PROTOBUF = 2;

  /** Parses and validates a header from the 12 bytes at {@code bytes}' position. */
  static StreamHeader parse(String file, long offset, ByteBuffer bytes) throws RrdFormatException {
    int p = bytes.position();
    String magic = ascii(bytes, p, 4);
    if (!magic.equals("RRF2")) {
      throw new RrdFormatException(file, offset, describeForeignStart(bytes, p));
    }
    CrateVersion version = CrateVersion.fromBytes(bytes.get(p + 4), bytes.get(p + 5), bytes.get(p + 6), bytes.get(p + 7));
    if (version.isOlderThan(CrateVersion.OLDEST_READABLE)) {
      throw new RrdFormatException(file, offset + 4,
          "stream written by Rerun " + version + ", which is not supported; expected Rerun " + CrateVersion.OLDEST_READABLE + " or newer");
    }
    int compression = bytes.get(p + 8) & 0xFF;
    if (compression > 1) {
      throw new RrdFormatException(file, offset + 8, "unknown compression byte " + compression + " in the stream header; expected 0 (off) or 1 (LZ4)");
    }
    int serializer = bytes.get(p + 9) & 0xFF;
    if (serializer != SERIALIZER_PROTOBUF) {
      String found = serializer == 1 ? "1 (MsgPack, written before Rerun 0.23)" : String.valueOf(serializer);
      throw new RrdFormatException(file, offset + 9, "unsupported serializer " + found + " in the stream header; expected 2 (protobuf)");
    }
    if (bytes.get(p + 10) != 0 || bytes.get(p + 11) != 0) {
      throw new RrdFormatException(file, offset + 10, "reserved bytes of the stream header are not zero");
    }
    return new StreamHeader(offset, version, compression == 1);
  }

  /** Names what a file that does not start with {@code RRF2} probably is, for the error message. */
  static String describeForeignStart(ByteBuffer bytes, int p) {
    String start = ascii(bytes, p, Math.min(bytes.limit() - p, 24));
    if (start.startsWith("RRF0") || start.startsWith("RRF1")) {
      return "stream magic " + start.substring(0, 4) + " is an old Rerun format that is not supported; expected RRF2";
    }
    if (start.startsWith("version https://git-lfs")) {
      return "this is a Git LFS pointer, not the recording itself (run 'git lfs pull'); expected the RRF2 magic of an .rrd file";
    }
    // Never the bytes themselves: a server's error messages must not leak the contents of files it was pointed at.
    return "not an .rrd file: it does not start with the magic RRF2";
  }

  private static String ascii(ByteBuffer bytes, int from, int length) {
    byte[] raw = new byte[Math.max(0, Math.min(length, bytes.limit() - from))];
    bytes.get(from, raw);
    return new String(raw, StandardCharsets.ISO_8859_1);
  }

  static String hex(ByteBuffer bytes, int from, int length) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < length; i++) {
      if (i > 0) {
        sb.append(' ');
      }
      sb.append(String.format("%02x", bytes.get(from + i) & 0xFF));
    }
    return sb.toString();
  }
}
