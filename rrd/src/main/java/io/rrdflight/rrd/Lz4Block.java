package io.rrdflight.rrd;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

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

  /** What {@link PrefixDecoder#decode} returns for a block that is malformed before the wanted output. */
  static final int MALFORMED = -1;
  /** What {@link PrefixDecoder#decode} returns when the bytes given end before the wanted output, but the block goes on. */
  static final int NEEDS_INPUT = -2;

  private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  /**
   * Decodes the start of one block, in steps: when more of the block has been read, or more output
   * is wanted, decoding goes on where it stopped. Output goes to {@code out} from position 0, which
   * grows as real output appears: never much more than the block holds, whatever a header claims.
   *
   * <p>Reads stay inside the block bytes given and, for matches, the output decoded so far (a match
   * reaching before the output's start is malformed); writes stay inside the buffer, at most 40 bytes
   * past the bytes decoded. Whatever the input, nothing is read or written elsewhere.
   */
  static final class PrefixDecoder {
    private final Output out;
    /** Where the next sequence starts in the block. */
    private int consumed;
    /** How many bytes the sequences before it decode to. */
    private int decoded;

    PrefixDecoder(Output out) {
      this.out = out;
    }

    /** The block bytes decoding has used: whole sequences. */
    int consumed() {
      return consumed;
    }

    /** The bytes those sequences decoded to. */
    int decoded() {
      return decoded;
    }

    /**
     * Decodes on until {@code wanted} bytes are out or the block ends. {@code block[0, end)} is the
     * block's start, all of it when {@code blockEnds}; the bytes before {@link #consumed()} must be
     * those of the previous call.
     *
     * @return how many bytes from the start of {@code out} are decoded: at least {@code wanted}, or
     *     fewer if the block ends first; or {@link #MALFORMED}; or {@link #NEEDS_INPUT} if
     *     {@code !blockEnds} and the bytes given end first
     */
    int decode(byte[] block, int end, boolean blockEnds, int wanted) {
      if (decoded >= wanted) {
        return decoded;
      }
      int cut = blockEnds ? MALFORMED : NEEDS_INPUT;
      byte[] dst = out.bytes();
      int p = consumed;
      int o = decoded;
      while (o < wanted) {
        if (o + 64 > dst.length) {
          dst = out.ensure(o + 64);
        }
        // Most sequences of scalar data: up to 14 literals, then a match of 4 to 18 bytes. While such
        // a sequence lies wholly in the input, and its output far from the wanted end and the buffer's
        // end, it is copied in whole longs, writing past its end; the next sequence overwrites that.
        int fastInput = end - 17;
        int fastOutput = Math.min(wanted - 32, dst.length - 40);
        while (p <= fastInput && o <= fastOutput) {
          int token = block[p] & 0xFF;
          int literals = token >>> 4;
          int match = token & 0x0F;
          if (literals == 15 || match == 15) {
            break;
          }
          LONG.set(dst, o, (long) LONG.get(block, p + 1));
          if (literals > Long.BYTES) {
            LONG.set(dst, o + 8, (long) LONG.get(block, p + 9));
          }
          p += 1 + literals;
          o += literals;
          int offset = (block[p] & 0xFF) | (block[p + 1] & 0xFF) << 8;
          p += 2;
          if (offset == 0 || offset > o) {
            return MALFORMED;
          }
          match += MIN_MATCH;
          int from = o - offset;
          if (offset >= Long.BYTES) {
            for (int i = 0; i < match; i += Long.BYTES) {
              LONG.set(dst, o + i, (long) LONG.get(dst, from + i)); // read before written: offset >= 8
            }
          } else {
            for (int i = 0; i < match; i++) {
              dst[o + i] = dst[from + i]; // an overlapping copy repeats the last bytes
            }
          }
          o += match;
        }
        // Here p and o are at a sequence's start. Any sequence, exactly; when it cannot be finished,
        // the next call starts it again.
        consumed = p;
        decoded = o;
        if (o >= wanted) {
          return o;
        }
        if (p >= end) {
          return blockEnds ? o : NEEDS_INPUT;
        }
        int token = block[p++] & 0xFF;
        int literals = token >>> 4;
        int match = token & 0x0F;
        if (literals == 15) {
          int b;
          do {
            if (p >= end) {
              return cut;
            }
            b = block[p++] & 0xFF;
            literals += b;
          } while (b == 255 && literals < Integer.MAX_VALUE - 255);
        }
        // Stop at wanted even inside a sequence: incompressible data is one literal run of a whole chunk.
        int take = Math.min(literals, wanted - o);
        if (take > end - p) {
          return cut;
        }
        dst = out.ensure(o + take);
        System.arraycopy(block, p, dst, o, take);
        o += take;
        if (o >= wanted) {
          if (blockEnds && take == literals && p + literals == end) {
            consumed = end; // the block's last sequence, whole: the caller can tell the block is all decoded
            decoded = o;
          }
          return o;
        }
        p += literals;
        if (p == end) {
          if (blockEnds) {
            consumed = p; // the last sequence has literals only
            decoded = o;
            return o;
          }
          return NEEDS_INPUT;
        }
        if (end - p < 2) {
          return cut;
        }
        int offset = (block[p] & 0xFF) | (block[p + 1] & 0xFF) << 8;
        p += 2;
        if (offset == 0 || offset > o) {
          return MALFORMED;
        }
        if (match == 15) {
          int b;
          do {
            if (p >= end) {
              return cut;
            }
            b = block[p++] & 0xFF;
            match += b;
          } while (b == 255 && match < Integer.MAX_VALUE - 255);
        }
        match = (int) Math.min((long) match + MIN_MATCH, wanted - o);
        dst = out.ensure(o + match);
        if (offset >= match) {
          System.arraycopy(dst, o - offset, dst, o, match);
        } else {
          for (int i = 0; i < match; i++) {
            dst[o + i] = dst[o - offset + i]; // an overlapping copy repeats the last bytes
          }
        }
        o += match;
      }
      return o;
    }
  }

  /** A growable output buffer, reused across blocks. */
  static final class Output {
    /** The least a buffer grows to: a small chunk's payload fits without copies. */
    private static final int MIN_SIZE = 4 << 10;
    /**
     * Empty until first used: a decoder made for one chunk (reading a chunk by offset, or its
     * columns while registering) zeroed two buffers of 64 KiB it mostly never touched, 128 KiB per
     * chunk of garbage when registering thousands of small files.
     */
    private byte[] bytes = new byte[0];

    byte[] ensure(long size) {
      if (size > bytes.length) {
        long grown = Math.max(size, Math.max(MIN_SIZE, (long) bytes.length * 2));
        bytes = java.util.Arrays.copyOf(bytes, (int) Math.min(FileBytes.MAX_READ, grown));
      }
      return bytes;
    }

    byte[] bytes() {
      return bytes;
    }
  }
}
