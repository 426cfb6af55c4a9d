package io.rrdflight.sql.engine;

import java.util.Arrays;

/**
 * A sorted set of distinct index values kept as ranges instead of values: the values
 * {@code phase + step * k} for {@code k} in each of the inclusive ranges {@code [lo[i], hi[i]]},
 * which are ascending and apart. Chunks written by the SDKs' {@code send_columns} or a steady logger
 * hold one such range per component (a sequence 0..9,999, or times at an exact period), so a whole
 * chunk's rows cost three numbers: what {@link ChunkTimes} keeps to answer row sets without
 * decoding the chunk again.
 *
 * <p>Values that are not one arithmetic progression are kept with step 1: runs of consecutive
 * integers (singletons for scattered values).
 */
final class TimeSet {
  static final TimeSet EMPTY = new TimeSet(1, 0, new long[0], new long[0]);

  private final long step;
  private final long phase;
  private final long[] lo;
  private final long[] hi;

  private TimeSet(long step, long phase, long[] lo, long[] hi) {
    this.step = step;
    this.phase = phase;
    this.lo = lo;
    this.hi = hi;
  }

  /** The set of {@code values[0, count)}, which must be sorted ascending and distinct. */
  static TimeSet of(long[] values, int count) {
    if (count == 0) {
      return EMPTY;
    }
    if (count >= 2) {
      long step = values[1] - values[0]; // overflows (negative) only across a gap larger than any period
      if (step > 1 && isProgression(values, count, step)) {
        long k = Math.floorDiv(values[0], step);
        return new TimeSet(step, Math.floorMod(values[0], step), new long[] {k}, new long[] {k + count - 1});
      }
    }
    long[] lo = new long[4];
    long[] hi = new long[4];
    int runs = 0;
    for (int i = 0; i < count; i++) {
      if (runs > 0 && values[i] - hi[runs - 1] == 1) { // distinct ascending: the difference is positive or wrapped, never 1 by accident
        hi[runs - 1] = values[i];
        continue;
      }
      if (runs == lo.length) {
        lo = Arrays.copyOf(lo, runs * 2);
        hi = Arrays.copyOf(hi, runs * 2);
      }
      lo[runs] = values[i];
      hi[runs] = values[i];
      runs++;
    }
    return new TimeSet(1, 0, Arrays.copyOf(lo, runs), Arrays.copyOf(hi, runs));
  }

  /** Writes the set: step, phase, then each range's first and last k. */
  void writeTo(java.io.DataOutputStream out) throws java.io.IOException {
    out.writeLong(step);
    out.writeLong(phase);
    out.writeInt(lo.length);
    for (int i = 0; i < lo.length; i++) {
      out.writeLong(lo[i]);
      out.writeLong(hi[i]);
    }
  }

  /** Reads what {@link #writeTo} wrote; IOException when it does not describe a set (ascending ranges apart, positive step). */
  static TimeSet readFrom(java.io.DataInputStream in, int maxRanges) throws java.io.IOException {
    long step = in.readLong();
    long phase = in.readLong();
    int n = in.readInt();
    if (step < 1 || phase < 0 || phase >= step || n < 0 || n > maxRanges) {
      throw new java.io.IOException("not a time set: step " + step + ", phase " + phase + ", " + n + " ranges");
    }
    long[] lo = new long[n];
    long[] hi = new long[n];
    for (int i = 0; i < n; i++) {
      lo[i] = in.readLong();
      hi[i] = in.readLong();
      if (hi[i] < lo[i] || (i > 0 && lo[i] <= hi[i - 1])) {
        throw new java.io.IOException("not a time set: range " + i + " [" + lo[i] + ", " + hi[i] + "] out of order");
      }
    }
    return n == 0 ? EMPTY : new TimeSet(step, phase, lo, hi);
  }

  private static boolean isProgression(long[] values, int count, long step) {
    for (int i = 2; i < count; i++) {
      if (values[i] - values[i - 1] != step) {
        return false;
      }
    }
    return true;
  }

  long step() {
    return step;
  }

  long phase() {
    return phase;
  }

  /** How many ranges: what the set costs to keep. */
  int ranges() {
    return lo.length;
  }

  boolean isEmpty() {
    return lo.length == 0;
  }

  /** Range {@code i}'s first k (its first value is {@code phase + step * k}). */
  long lo(int i) {
    return lo[i];
  }

  long hi(int i) {
    return hi[i];
  }

  long firstValue(int i) {
    return phase + step * lo[i];
  }

  long lastValue(int i) {
    return phase + step * hi[i];
  }

  /** Bytes this set holds on the heap, roughly: what a cache of them is bounded by. */
  long heapBytes() {
    return 48 + 16L * lo.length;
  }
}
