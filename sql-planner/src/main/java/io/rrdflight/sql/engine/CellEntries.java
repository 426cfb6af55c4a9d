package io.rrdflight.sql.engine;

import java.util.Arrays;

/**
 * The cells of one column of one partition that a view can use, sorted by (index value, RowId):
 * a growable set of parallel primitive arrays, so a million cells cost a few arrays, not a million
 * objects. A cell is a chunk row ({@link #ref}) or an injected clear.
 */
final class CellEntries {
  static final byte DATA = 0;
  static final byte CLEAR = 1;

  private long[] t;
  private long[] hi;
  private long[] lo;
  private long[] ref;
  private byte[] kind;
  private int size;

  CellEntries() {
    this(16);
  }

  /** @param capacity how many cells will be added, when known: no growing (which cost ~12% of a filled view's time) */
  CellEntries(int capacity) {
    int n = Math.max(1, capacity);
    t = new long[n];
    hi = new long[n];
    lo = new long[n];
    ref = new long[n];
    kind = new byte[n];
  }

  void add(long time, long rowIdHigh, long rowIdLow, long cellRef, byte cellKind) {
    if (size == t.length) {
      int n = size * 2;
      t = Arrays.copyOf(t, n);
      hi = Arrays.copyOf(hi, n);
      lo = Arrays.copyOf(lo, n);
      ref = Arrays.copyOf(ref, n);
      kind = Arrays.copyOf(kind, n);
    }
    t[size] = time;
    hi[size] = rowIdHigh;
    lo[size] = rowIdLow;
    ref[size] = cellRef;
    kind[size] = cellKind;
    size++;
  }

  int size() {
    return size;
  }

  long time(int i) {
    return t[i];
  }

  long ref(int i) {
    return ref[i];
  }

  byte kind(int i) {
    return kind[i];
  }

  long rowIdHigh(int i) {
    return hi[i];
  }

  long rowIdLow(int i) {
    return lo[i];
  }

  /** Sorts by (index value, RowId); chunks are usually sorted already, so this is mostly a merge. */
  void sort() {
    if (isSorted()) {
      return;
    }
    int[] order = new int[size];
    for (int i = 0; i < size; i++) {
      order[i] = i;
    }
    int[] scratch = new int[size];
    mergeSort(order, scratch, 0, size);
    t = permute(t, order);
    hi = permute(hi, order);
    lo = permute(lo, order);
    ref = permute(ref, order);
    byte[] k = new byte[size];
    for (int i = 0; i < size; i++) {
      k[i] = kind[order[i]];
    }
    kind = k;
  }

  /** The last cell with index value at or before {@code time}, or -1. */
  int latestAtOrBefore(long time) {
    int lowIdx = 0;
    int highIdx = size - 1;
    int found = -1;
    while (lowIdx <= highIdx) {
      int mid = (lowIdx + highIdx) >>> 1;
      if (t[mid] <= time) {
        found = mid;
        lowIdx = mid + 1;
      } else {
        highIdx = mid - 1;
      }
    }
    return found;
  }

  /** The first cell with index value at or after {@code time}, or size(). */
  int firstAtOrAfter(long time) {
    int lowIdx = 0;
    int highIdx = size;
    while (lowIdx < highIdx) {
      int mid = (lowIdx + highIdx) >>> 1;
      if (t[mid] < time) {
        lowIdx = mid + 1;
      } else {
        highIdx = mid;
      }
    }
    return lowIdx;
  }

  /** The distinct index values in {@code [min, max]}, ascending (the entries must be sorted). */
  long[] distinctTimes(long min, long max) {
    int from = firstAtOrAfter(min);
    int to = latestAtOrBefore(max) + 1;
    if (to <= from) {
      return new long[0];
    }
    long[] out = new long[to - from];
    int n = 0;
    for (int i = from; i < to; i++) {
      if (n == 0 || t[i] != out[n - 1]) {
        out[n++] = t[i];
      }
    }
    return n == out.length ? out : Arrays.copyOf(out, n);
  }

  private boolean isSorted() {
    for (int i = 1; i < size; i++) {
      if (compare(i - 1, i) > 0) {
        return false;
      }
    }
    return true;
  }

  private int compare(int a, int b) {
    int c = Long.compare(t[a], t[b]);
    if (c != 0) {
      return c;
    }
    c = Long.compareUnsigned(hi[a], hi[b]);
    return c != 0 ? c : Long.compareUnsigned(lo[a], lo[b]);
  }

  private void mergeSort(int[] a, int[] scratch, int from, int to) {
    if (to - from < 2) {
      return;
    }
    int mid = (from + to) >>> 1;
    mergeSort(a, scratch, from, mid);
    mergeSort(a, scratch, mid, to);
    if (compare(a[mid - 1], a[mid]) <= 0) {
      return;
    }
    System.arraycopy(a, from, scratch, from, to - from);
    int i = from;
    int j = mid;
    for (int k = from; k < to; k++) {
      if (j >= to || (i < mid && compare(scratch[i], scratch[j]) <= 0)) {
        a[k] = scratch[i++];
      } else {
        a[k] = scratch[j++];
      }
    }
  }

  private long[] permute(long[] values, int[] order) {
    long[] out = new long[size];
    for (int i = 0; i < size; i++) {
      out[i] = values[order[i]];
    }
    return out;
  }
}
