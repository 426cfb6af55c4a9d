package io.rrdflight.sql.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.rrd.NoLeaks;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VarCharVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The bulk reads and bit writes give what Arrow's checked per-value access gives, across word and byte edges. */
@ExtendWith(NoLeaks.class)
class ArrowBuffersTest {
  private static final int[] COUNTS = {0, 1, 7, 8, 9, 60, 63, 64, 65, 127, 128, 129, 1000};

  @Test
  void nullsAndValuesReadAsTheVectorsGettersDo(BufferAllocator allocator) {
    Random random = new Random(7);
    for (int n : COUNTS) {
      try (BigIntVector longs = new BigIntVector("l", allocator); Float8Vector doubles = new Float8Vector("d", allocator)) {
        longs.allocateNew(n);
        doubles.allocateNew(n);
        for (int i = 0; i < n; i++) {
          // Runs of all-valid words beside scattered nulls: both paths of the word read.
          if (i >= 64 && i < 128 || random.nextInt(3) != 0) {
            longs.set(i, random.nextLong());
            doubles.set(i, random.nextDouble());
          } else {
            longs.setNull(i);
            doubles.setNull(i);
          }
        }
        longs.setValueCount(n);
        doubles.setValueCount(n);
        boolean[] nulls = ArrowBuffers.nulls(longs.getValidityBuffer(), n);
        long[] values = ArrowBuffers.longs(longs.getDataBuffer(), n);
        double[] reals = ArrowBuffers.doubles(doubles.getDataBuffer(), n);
        for (int i = 0; i < n; i++) {
          assertEquals(longs.isNull(i), nulls[i], n + " rows, row " + i);
          if (!longs.isNull(i)) {
            assertEquals(longs.get(i), values[i]);
            assertEquals(doubles.get(i), reals[i]);
          }
        }
      }
    }
  }

  @Test
  void offsetsReadAsTheVectorHasThem(BufferAllocator allocator) {
    try (VarCharVector strings = new VarCharVector("s", allocator)) {
      strings.allocateNew();
      for (int i = 0; i < 100; i++) {
        strings.setSafe(i, "x".repeat(i % 5).getBytes());
      }
      strings.setValueCount(100);
      int[] offsets = ArrowBuffers.ints(strings.getOffsetBuffer(), 101);
      for (int i = 0; i <= 100; i++) {
        assertEquals(strings.getOffsetBuffer().getInt(4L * i), offsets[i]);
      }
    }
  }

  @Test
  void allSetIsWhetherNoBitOfTheRangeIsClearAsTheNullCountSays(BufferAllocator allocator) {
    for (int n : COUNTS) {
      try (BitVector bits = new BitVector("bits", allocator)) {
        bits.allocateNew(n + 16);
        ArrowBuffers.setBits(bits.getValidityBufferAddress(), 0, n + 16);
        bits.setValueCount(n);
        assertTrue(ArrowBuffers.allSet(bits.getValidityBuffer(), n), n + " bits set");
        assertEquals(0, bits.getNullCount());
        for (int clear : new int[] {0, n / 2, n - 1}) {
          if (clear < 0 || clear >= n) {
            continue;
          }
          bits.setNull(clear);
          assertFalse(ArrowBuffers.allSet(bits.getValidityBuffer(), n), n + " bits, bit " + clear + " clear");
          assertEquals(1, bits.getNullCount());
          bits.setToOne(clear);
        }
        bits.setNull(n); // beyond the range: not looked at
        assertTrue(ArrowBuffers.allSet(bits.getValidityBuffer(), n), n + " bits set, the one after clear");
        assertFalse(ArrowBuffers.allSet(bits.getValidityBuffer(), bits.getValidityBuffer().capacity() * 8 + 1), "beyond the buffer");
      }
    }
  }

  @Test
  void setBitsAndCopyBitsSetExactlyTheirRange(BufferAllocator allocator) {
    for (int at : new int[] {0, 3, 8, 13}) {
      for (int n : COUNTS) {
        try (BitVector set = new BitVector("set", allocator); BitVector copied = new BitVector("copied", allocator)) {
          set.allocateNew(at + n + 16);
          copied.allocateNew(at + n + 16);
          ArrowBuffers.setBits(set.getValidityBufferAddress(), at, n);
          ArrowBuffers.copyBits(set.getValidityBufferAddress(), at, copied.getValidityBufferAddress(), at + 5, n);
          boolean[] expected = new boolean[at + n + 16];
          boolean[] expectedCopy = new boolean[at + n + 16];
          for (int i = at; i < at + n; i++) {
            expected[i] = true;
            expectedCopy[i + 5] = true;
          }
          boolean[] nulls = ArrowBuffers.nulls(set.getValidityBuffer(), at + n + 16);
          boolean[] copyNulls = ArrowBuffers.nulls(copied.getValidityBuffer(), at + n + 16);
          for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], !nulls[i], "set: at " + at + ", " + n + " bits, bit " + i);
            assertEquals(expectedCopy[i], !copyNulls[i], "copied: at " + at + ", " + n + " bits, bit " + i);
          }
        }
      }
    }
    assertArrayEquals(new boolean[0], ArrowBuffers.nulls(null, 0));
  }
}
