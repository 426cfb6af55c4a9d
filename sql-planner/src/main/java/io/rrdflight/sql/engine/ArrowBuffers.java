package io.rrdflight.sql.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.util.MemoryUtil;

/**
 * Arrow buffers read and written a range at a time, for the engine and the SQL operators (calcite/) alike.
 * {@link ArrowBuf} checks the bounds of every single access, and a vector's getters add a validity check per value:
 * per value, that was most of a GROUP BY's time above the scan. Here a range is checked once (a bounds-checked
 * {@link ByteBuffer} view), or, for the copies that have checked their ranges already ({@link CellCopier}), not at
 * all (by address). Arrow's buffers are little-endian; a validity bit of 1 means a value.
 */
public final class ArrowBuffers {
  private ArrowBuffers() {}

  /** Values {@code [0, count)} of a buffer of 64-bit integers (a data buffer of BigInt, timestamps, durations). */
  public static long[] longs(ArrowBuf buffer, int count) {
    return longsInto(buffer, count, new long[count]);
  }

  /** As {@link #longs}, into {@code values} (at least {@code count} long), which it returns. */
  public static long[] longsInto(ArrowBuf buffer, int count, long[] values) {
    if (count > 0) {
      view(buffer, 8L * count).asLongBuffer().get(values, 0, count);
    }
    return values;
  }

  /** Values {@code [0, count)} of a buffer of doubles. */
  public static double[] doubles(ArrowBuf buffer, int count) {
    double[] values = new double[count];
    if (count > 0) {
      view(buffer, 8L * count).asDoubleBuffer().get(values);
    }
    return values;
  }

  /** Values {@code [0, count)} of a buffer of 32-bit integers (an offset buffer: {@code rows + 1} of them). */
  public static int[] ints(ArrowBuf buffer, int count) {
    int[] values = new int[count];
    if (count > 0) {
      view(buffer, 4L * count).asIntBuffer().get(values);
    }
    return values;
  }

  /** Which of rows {@code [0, count)} are null (their validity bit is 0), read 64 rows a word. */
  public static boolean[] nulls(ArrowBuf validity, int count) {
    boolean[] nulls = new boolean[count];
    if (count == 0) {
      return nulls;
    }
    ByteBuffer bits = view(validity, (count + 7) >>> 3);
    int words = count >>> 6;
    for (int w = 0; w < words; w++) {
      long word = bits.getLong(w << 3);
      if (word != -1L) {
        int base = w << 6;
        for (int b = 0; b < 64; b++) {
          nulls[base + b] = (word & (1L << b)) == 0;
        }
      }
    }
    for (int i = words << 6; i < count; i++) {
      nulls[i] = (bits.get(i >>> 3) & (1 << (i & 7))) == 0;
    }
    return nulls;
  }

  /**
   * Whether bits {@code [0, count)} of {@code bits} are all set (a validity buffer: no null among
   * the first {@code count} values), read 64 bits a word; a buffer too small for them is not.
   * Arrow's null count reads them a byte at a time.
   */
  public static boolean allSet(ArrowBuf bits, long count) {
    if (count <= 0) {
      return true;
    }
    if ((count + 7) >>> 3 > bits.capacity()) {
      return false;
    }
    long address = bits.memoryAddress();
    long words = count >>> 6;
    for (long w = 0; w < words; w++) {
      if (MemoryUtil.getLong(address + (w << 3)) != -1L) { // within the buffer: checked above
        return false;
      }
    }
    for (long i = words << 6; i < count; i++) {
      if ((MemoryUtil.getByte(address + (i >>> 3)) & (1 << (i & 7))) == 0) {
        return false;
      }
    }
    return true;
  }

  /** Sets bits {@code [at, at + n)} at {@code address}: the first and last byte by a mask, the bytes between whole. */
  public static void setBits(long address, long at, long n) {
    if (n <= 0) {
      return;
    }
    long first = at >>> 3;
    long last = (at + n - 1) >>> 3;
    int head = (0xFF << (at & 7)) & 0xFF;
    int tail = 0xFF >>> (7 - ((at + n - 1) & 7));
    if (first == last) {
      orByte(address + first, head & tail);
      return;
    }
    orByte(address + first, head);
    long whole = last - first - 1;
    long to = address + first + 1;
    if (whole >= 64) {
      MemoryUtil.setMemory(to, whole, (byte) 0xFF);
    } else { // a call to setMemory costs more than a few words written
      long k = 0;
      for (; k + 8 <= whole; k += 8) {
        MemoryUtil.putLong(to + k, -1L);
      }
      for (; k < whole; k++) {
        MemoryUtil.putByte(to + k, (byte) 0xFF);
      }
    }
    orByte(address + last, tail);
  }

  private static void orByte(long at, int mask) {
    MemoryUtil.putByte(at, (byte) (MemoryUtil.getByte(at) | mask));
  }

  /** Bits {@code [first, first + n)} at {@code src} to {@code dst} at bit {@code at}, whose bits are still zero. */
  public static void copyBits(long src, long first, long dst, long at, long n) {
    for (long k = 0; k < n; k++) {
      long bit = first + k;
      if ((MemoryUtil.getByte(src + (bit >>> 3)) & (1 << (bit & 7))) != 0) {
        setBit(dst, at + k);
      }
    }
  }

  private static void setBit(long address, long bit) {
    long at = address + (bit >>> 3);
    MemoryUtil.putByte(at, (byte) (MemoryUtil.getByte(at) | (1 << (bit & 7))));
  }

  /** Bytes {@code [0, bytes)} of {@code buffer}, bounds-checked once, little-endian: reads and writes go to the buffer. */
  public static ByteBuffer view(ArrowBuf buffer, long bytes) {
    return buffer.nioBuffer(0, Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
  }
}
