package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import io.rrdflight.rrd.IndexRange;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The union, within one index window, of sets of index values: {@link TimeSet}s (from chunks not
 * decoded) and sorted arrays of distinct values (from decoded cells). Sets with the same step and
 * phase are united as ranges (sorted by start, then swept), so a million rows of dense chunks cost
 * one pass to write them out, not a merge per chunk; the few resulting arrays are then merged, not
 * sorted.
 */
final class TimeUnion {
  private final IndexRange window;
  /** (step, phase) → ranges of k, as pairs in one growing array. */
  private final Map<Progression, long[]> ranges = new HashMap<>();
  private final Map<Progression, Integer> counts = new HashMap<>();
  private final List<long[]> arrays = new ArrayList<>();

  private record Progression(long step, long phase) {}

  TimeUnion(IndexRange window) {
    this.window = requireNonNull(window, "window is null");
  }

  /** Adds the values of {@code set} within the window. */
  void add(TimeSet set) {
    for (int i = 0; i < set.ranges(); i++) {
      long first = set.firstValue(i);
      long last = set.lastValue(i);
      if (last < window.min() || first > window.max()) {
        continue;
      }
      long lo = set.lo(i);
      long hi = set.hi(i);
      long step = set.step();
      if (first < window.min()) { // the first k whose value is at or after the window's start
        long gap = window.min() - first; // positive; exact as an unsigned number
        lo += Long.divideUnsigned(gap, step) + (Long.remainderUnsigned(gap, step) == 0 ? 0 : 1);
      }
      if (last > window.max()) {
        hi -= Long.divideUnsigned(last - window.max(), step) + (Long.remainderUnsigned(last - window.max(), step) == 0 ? 0 : 1);
      }
      if (lo <= hi) {
        append(new Progression(step, set.phase()), lo, hi);
      }
    }
  }

  /**
   * Adds sorted, distinct values, all within the window. Values equal to an array added before are
   * left out: the columns of one entity, and entities logged together, bring the same index values
   * (a filled view over large.rrd: 9 columns' values, 3 distinct), and merging each copy was a
   * full pass over the window's rows; an equal compare is a fast one, and stops at the first difference.
   */
  void add(long[] sortedDistinct) {
    if (sortedDistinct.length == 0) {
      return;
    }
    for (long[] added : arrays) {
      if (Arrays.equals(added, sortedDistinct)) {
        return;
      }
    }
    arrays.add(sortedDistinct);
  }

  private void append(Progression key, long lo, long hi) {
    long[] pairs = ranges.get(key);
    int n = counts.getOrDefault(key, 0);
    if (pairs == null || 2 * n + 2 > pairs.length) {
      pairs = pairs == null ? new long[16] : Arrays.copyOf(pairs, pairs.length * 2);
      ranges.put(key, pairs);
    }
    pairs[2 * n] = lo;
    pairs[2 * n + 1] = hi;
    counts.put(key, n + 1);
  }

  /** All values added, ascending and distinct. */
  long[] values() {
    List<long[]> runs = new ArrayList<>(arrays);
    for (Map.Entry<Progression, long[]> group : ranges.entrySet()) {
      runs.add(expand(group.getKey(), group.getValue(), counts.get(group.getKey())));
    }
    while (runs.size() > 1) {
      List<long[]> merged = new ArrayList<>((runs.size() + 1) / 2);
      for (int i = 0; i < runs.size(); i += 2) {
        merged.add(i + 1 < runs.size() ? mergeDistinct(runs.get(i), runs.get(i + 1)) : runs.get(i));
      }
      runs = merged;
    }
    return runs.isEmpty() ? new long[0] : runs.get(0);
  }

  /** The values of {@code n} ranges of k: sorted by start, overlapping and touching ones joined, written out. */
  private static long[] expand(Progression key, long[] pairs, int n) {
    Integer[] order = new Integer[n];
    boolean sorted = true;
    for (int i = 0; i < n; i++) {
      order[i] = i;
      sorted &= i == 0 || pairs[2 * i - 2] <= pairs[2 * i];
    }
    if (!sorted) {
      Arrays.sort(order, (a, b) -> Long.compare(pairs[2 * a], pairs[2 * b]));
    }
    long[] lo = new long[n];
    long[] hi = new long[n];
    int runs = 0;
    long total = 0;
    for (int i = 0; i < n; i++) {
      long l = pairs[2 * order[i]];
      long h = pairs[2 * order[i] + 1];
      if (runs > 0 && (l <= hi[runs - 1] || l - hi[runs - 1] == 1)) {
        if (h > hi[runs - 1]) {
          total += h - hi[runs - 1];
          hi[runs - 1] = h;
        }
        continue;
      }
      lo[runs] = l;
      hi[runs] = h;
      total += h - l + 1;
      runs++;
    }
    if (total > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException("an index window of more than 2^31 rows: " + total);
    }
    long[] out = new long[(int) total];
    int at = 0;
    for (int r = 0; r < runs; r++) {
      for (long k = lo[r]; k <= hi[r]; k++) {
        out[at++] = key.phase() + key.step() * k;
        if (k == Long.MAX_VALUE) {
          break;
        }
      }
    }
    return out;
  }

  /** The union of two sorted arrays of distinct values, sorted and distinct. */
  static long[] mergeDistinct(long[] a, long[] b) {
    long[] out = new long[a.length + b.length];
    int i = 0;
    int j = 0;
    int n = 0;
    while (i < a.length && j < b.length) {
      long x = a[i];
      long y = b[j];
      if (x < y) {
        out[n++] = x;
        i++;
      } else if (y < x) {
        out[n++] = y;
        j++;
      } else {
        out[n++] = x;
        i++;
        j++;
      }
    }
    while (i < a.length) {
      out[n++] = a[i++];
    }
    while (j < b.length) {
      out[n++] = b[j++];
    }
    return n == out.length ? out : Arrays.copyOf(out, n);
  }
}
