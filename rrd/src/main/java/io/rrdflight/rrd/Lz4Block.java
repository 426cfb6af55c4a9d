package io.rrdflight.rrd;

import java.nio.ByteBuffer;

/**
 * Reads the sequence headers of a raw LZ4 block to learn how many bytes it decompresses to, without
 * decompressing it. The declared size of an ArrowMsg is untrusted input that decides how much memory
 * we allocate; this check makes a corrupt size fail before any allocation, at the cost of one quick
 * pass over the block's tokens (literals are skipped, not read).
 */
final class Lz4Block {
  private static final int MIN_MATCH = 4;

  private Lz4Block() {}

  /**
   * The decompressed size of the block in {@code block} (position to limit), or -1 if the block is
   * malformed: a length running past the end, a zero or too distant match offset, or a last
   * sequence that is not literals only.
   */
  static long decompressedSize(ByteBuffer block) {
    if (block.hasArray()) {
      int start = block.arrayOffset() + block.position();
      return decompressedSize(block.array(), start, start + block.remaining());
    }
    byte[] copy = new byte[block.remaining()];
    block.duplicate().get(copy);
    return decompressedSize(copy, 0, copy.length);
  }

  private static long decompressedSize(byte[] block, int start, int end) {
    int p = start;
    long out = 0;
    while (p < end) {
      int token = block[p++] & 0xFF;
      long literals = token >>> 4;
      if (literals == 15) {
        int b;
        do {
          if (p >= end) {
            return -1;
          }
          b = block[p++] & 0xFF;
          literals += b;
        } while (b == 255);
      }
      if (literals > end - p) {
        return -1;
      }
      p += (int) literals;
      out += literals;
      if (p == end) {
        return out; // the last sequence has literals only
      }
      if (end - p < 2) {
        return -1;
      }
      int offset = (block[p] & 0xFF) | (block[p + 1] & 0xFF) << 8;
      p += 2;
      if (offset == 0 || offset > out) {
        return -1;
      }
      long match = token & 0x0F;
      if (match == 15) {
        int b;
        do {
          if (p >= end) {
            return -1;
          }
          b = block[p++] & 0xFF;
          match += b;
        } while (b == 255);
      }
      out += match + MIN_MATCH;
    }
    return out == 0 ? 0 : -1; // an empty block is empty output; otherwise the block ended after a match
  }
}
