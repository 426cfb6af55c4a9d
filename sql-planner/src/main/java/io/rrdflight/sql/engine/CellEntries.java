package io.rrdflight.sql.engine;

import java.util.Arrays;

/**
 * The cells of one column of one partition that a view can use, sorted by (index value, RowId):
 * a growable set of parallel primitive arrays, so a million cells cost a few arrays, not a million
 * objects. A cell is a chunk row ({@link #ref}) or an injected clear. RowIds are not kept: they
 * only order cells at the same index value, so the sort looks them up ({@link RowIds}) for those.
 */
final class CellEntries {
  static final byte DATA = 0;
  static final byte CLEAR = 1;

  /** The RowId of the chunk row a cell ref points to, as two unsigned halves. */
  interface RowIds {
    long high(long cellRef);

    long low(long cellRef);
  }

  private long[] t;
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
    ref = new long[n];
    kind = new byte[n];
  }

  void add(long time, long cellRef, byte cellKind) {
    ensureRoom(1);
    t[size] = time;
    ref[size] = cellRef;
    kind[size] = cellKind;
    size++;
  }

  /** Adds {@code n} data cells at once: times {@code times[from..from+n)}, refs {@code firstRef, firstRef + 1, …}. */
  void addData(long[] times, int from, int n, long firstRef) {
    ensureRoom(n);
    System.arraycopy(times, from, t, size, n);
    for (int i = 0; i < n; i++) {
      ref[size + i] = firstRef + i;
      kind[size + i] = DATA;
    }
    size += n;
  }

  private void ensureRoom(int n) {
    if (size + n > t.length) {
      int capacity = Math.max(size + n, size * 2);
      t = Arrays.copyOf(t, capacity);
      ref = Arrays.copyOf(ref, capacity);
      kind = Arrays.copyOf(kind, capacity);
    }
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

  /**
   * Sorts by (index value, RowId); chunks are usually sorted already, so this is mostly a merge.
   * {@code rowIds} is asked only about cells that share an index value.
   */
  void sort(RowIds rowIds) {
    if (isSorted(rowIds)) {
      return;
    }
    int[] order = new int[size];
    for (int i = 0; i < size; i++) {
      order[i] = i;
    }
    int[] scratch = new int[size];
    mergeSort(order, scratch, 0, size, rowIds);
    t = permute(t, order);
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

  /**
   * For each of {@code rows} (ascending, distinct), the ref of the last cell at that index value,
   * else, with {@code fill}, of the last cell before it, else {@code missing}: the join of data
   * cells (no clears; sorted). Walked as runs, not row by row: a stretch of rows that are the
   * cells' own index values one to one (a chunk logged at every row) is one compare of the two
   * arrays and one copy of refs, and a stretch of rows between two cells one fill.
   */
  void joinInto(long[] rows, long[] out, boolean fill, long missing) {
    int cursor = rows.length == 0 ? 0 : firstAtOrAfter(rows[0]);
    int r = 0;
    while (r < rows.length) {
      long row = rows[r];
      while (cursor < size && t[cursor] <= row) {
        cursor++;
      }
      // cursor - 1 is now the last cell at or before the row
      if (cursor > 0 && t[cursor - 1] == row) {
        out[r++] = ref[cursor - 1];
        if (cursor < size && r < rows.length && t[cursor] == rows[r]) { // not a lone cell (every other row's): a stretch
          int run = matchingRun(cursor, rows, r);
          System.arraycopy(ref, cursor, out, r, run);
          r += run;
          cursor += run;
        }
      } else {
        // Rows up to the next cell, written as they are found: a sparse column's gaps are a row or a
        // few (every other frame, every 10th), where a look ahead and a fill call each cost more.
        long value = fill && cursor > 0 ? ref[cursor - 1] : missing;
        long next = cursor < size ? t[cursor] : Long.MAX_VALUE;
        do {
          out[r++] = value;
        } while (r < rows.length && rows[r] < next);
      }
    }
  }

  /**
   * How many cells from {@code from} are, one to one, the rows from {@code r}: each such row's
   * last cell, so the last cell of the stretch is left out when the next one shares its value.
   */
  private int matchingRun(int from, long[] rows, int r) {
    int n = Math.min(size - from, rows.length - r);
    if (n <= 0 || t[from] != rows[r]) {
      return 0;
    }
    int run = Arrays.mismatch(t, from, from + n, rows, r, r + n);
    run = run < 0 ? n : run;
    if (from + run < size && t[from + run] == t[from + run - 1]) {
      run--; // a tie: the later cell wins that row, the usual walk finds it
    }
    return run;
  }

  /** Whether {@code other} has the same index values, in the same order (a fast compare, stopping at the first difference). */
  boolean sameTimes(CellEntries other) {
    return other == this || other.size == size && Arrays.equals(t, 0, size, other.t, 0, size);
  }

  /**
   * Whether {@code other} holds the same cells: index values, refs and kinds, in the same order
   * (the components of one entity logged together have the same chunk rows), so that a join of
   * either gives the same refs.
   */
  boolean sameCells(CellEntries other) {
    return other == this || sameTimes(other) && Arrays.equals(ref, 0, size, other.ref, 0, size) && Arrays.equals(kind, 0, size, other.kind, 0, size);
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

  private boolean isSorted(RowIds rowIds) {
    for (int i = 1; i < size; i++) {
      if (t[i - 1] > t[i] || (t[i - 1] == t[i] && compare(i - 1, i, rowIds) > 0)) {
        return false;
      }
    }
    return true;
  }

  private int compare(int a, int b, RowIds rowIds) {
    int c = Long.compare(t[a], t[b]);
    if (c != 0) {
      return c;
    }
    c = Long.compareUnsigned(rowIds.high(ref[a]), rowIds.high(ref[b]));
    return c != 0 ? c : Long.compareUnsigned(rowIds.low(ref[a]), rowIds.low(ref[b]));
  }

  private void mergeSort(int[] a, int[] scratch, int from, int to, RowIds rowIds) {
    if (to - from < 2) {
      return;
    }
    int mid = (from + to) >>> 1;
    mergeSort(a, scratch, from, mid, rowIds);
    mergeSort(a, scratch, mid, to, rowIds);
    if (compare(a[mid - 1], a[mid], rowIds) <= 0) {
      return;
    }
    System.arraycopy(a, from, scratch, from, to - from);
    int i = from;
    int j = mid;
    for (int k = from; k < to; k++) {
      if (j >= to || (i < mid && compare(scratch[i], scratch[j], rowIds) <= 0)) {
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
