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

  /**
   * Decodes the block from its start until {@code wanted} bytes are out (or the block ends), into
   * {@code out} from position 0, growing it as real output appears: never more than the block holds,
   * whatever a header claims. Returns the bytes decoded, or -1 if the block is malformed before that.
   */
  static int decodePrefix(byte[] block, int start, int end, Output out, int wanted) {
    int p = start;
    int o = 0;
    while (p < end && o < wanted) {
      int token = block[p++] & 0xFF;
      int literals = token >>> 4;
      if (literals == 15) {
        int b;
        do {
          if (p >= end) {
            return -1;
          }
          b = block[p++] & 0xFF;
          literals += b;
        } while (b == 255 && literals < Integer.MAX_VALUE - 255);
      }
      if (literals > end - p) {
        return -1;
      }
      // Stop at wanted even inside a sequence: incompressible data is one literal run of a whole chunk.
      int take = Math.min(literals, wanted - o);
      System.arraycopy(block, p, out.ensure(o + take), o, take);
      p += literals;
      o += take;
      if (take < literals || p == end) {
        return o;
      }
      if (end - p < 2) {
        return -1;
      }
      int offset = (block[p] & 0xFF) | (block[p + 1] & 0xFF) << 8;
      p += 2;
      if (offset == 0 || offset > o) {
        return -1;
      }
      int match = token & 0x0F;
      if (match == 15) {
        int b;
        do {
          if (p >= end) {
            return -1;
          }
          b = block[p++] & 0xFF;
          match += b;
        } while (b == 255 && match < Integer.MAX_VALUE - 255);
      }
      match = (int) Math.min((long) match + MIN_MATCH, wanted - o);
      byte[] dst = out.ensure(o + match);
      if (offset >= match) {
        System.arraycopy(dst, o - offset, dst, o, match);
      } else {
        for (int i = 0; i < match; i++) {
          dst[o + i] = dst[o - offset + i]; // overlapping copy repeats the last bytes
        }
      }
      o += match;
    }
    return o;
  }

  /** A growable output buffer, reused across blocks. */
  static final class Output {
    private byte[] bytes = new byte[1 << 16];

    byte[] ensure(long size) {
      if (size > bytes.length) {
        bytes = java.util.Arrays.copyOf(bytes, (int) Math.min(FileBytes.MAX_READ, Math.max(size, (long) bytes.length * 2)));
      }
      return bytes;
    }

    byte[] bytes() {
      return bytes;
    }
  }
}
