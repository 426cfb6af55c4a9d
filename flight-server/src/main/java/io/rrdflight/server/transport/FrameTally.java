package io.rrdflight.server.transport;

import io.netty.buffer.ByteBuf;

/**
 * Counts the length-prefixed units of a byte stream seen in pieces (TLS records, HTTP/2 frames), per
 * type: how many, their payload bytes, and how many carry at least {@code fullPayload} bytes. A unit's
 * header may span pieces; the bytes are only read, never consumed.
 */
final class FrameTally {
  private final int headerLength;
  private final int typeOffset;
  private final int lengthOffset;
  private final int lengthBytes;
  private final int fullPayload;
  private final byte[] header;
  private int headerFill;
  private long payloadLeft;
  private long skipLeft;
  private final long[] units = new long[256];
  private final long[] payload = new long[256];
  private final long[] full = new long[256];

  /**
   * @param skip bytes before the first unit (HTTP/2's client preface)
   */
  FrameTally(int headerLength, int typeOffset, int lengthOffset, int lengthBytes, int fullPayload, int skip) {
    this.headerLength = headerLength;
    this.typeOffset = typeOffset;
    this.lengthOffset = lengthOffset;
    this.lengthBytes = lengthBytes;
    this.fullPayload = fullPayload;
    this.header = new byte[headerLength];
    this.skipLeft = skip;
  }

  /** TLS records: type, version, 16-bit length; full when the ciphertext holds a 16 KB plaintext. */
  static FrameTally tlsRecords() {
    return new FrameTally(5, 0, 3, 2, 16 * 1024, 0);
  }

  /** HTTP/2 frames: 24-bit length, type, flags, stream; full at the default 16 KB frame size. */
  static FrameTally http2Frames(boolean clientSide) {
    return new FrameTally(9, 3, 0, 3, 16 * 1024, clientSide ? 24 : 0);
  }

  void scan(ByteBuf piece) {
    int at = piece.readerIndex();
    int end = piece.writerIndex();
    while (at < end) {
      if (skipLeft > 0 || payloadLeft > 0) {
        boolean skipping = skipLeft > 0;
        long left = skipping ? skipLeft : payloadLeft;
        int step = (int) Math.min(left, end - at);
        at += step;
        if (skipping) {
          skipLeft -= step;
        } else {
          payloadLeft -= step;
        }
        continue;
      }
      header[headerFill++] = piece.getByte(at++);
      if (headerFill == headerLength) {
        headerFill = 0;
        long length = 0;
        for (int i = 0; i < lengthBytes; i++) {
          length = (length << 8) | (header[lengthOffset + i] & 0xFF);
        }
        int type = header[typeOffset] & 0xFF;
        units[type]++;
        payload[type] += length;
        if (length >= fullPayload) {
          full[type]++;
        }
        payloadLeft = length;
      }
    }
  }

  long units(int type) {
    return units[type];
  }

  long payloadBytes(int type) {
    return payload[type];
  }

  long full(int type) {
    return full[type];
  }

  long units() {
    return java.util.Arrays.stream(units).sum();
  }

  long payloadBytes() {
    return java.util.Arrays.stream(payload).sum();
  }

  long full() {
    return java.util.Arrays.stream(full).sum();
  }
}
