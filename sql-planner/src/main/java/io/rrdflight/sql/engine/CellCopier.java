package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * Fills one column with rows of columns of the same type (component cells: {@code List<T>} rows
 * of decoded chunks, nulls and empty lists; or any column an SQL operator copies rows of) by
 * copying buffers in bulk: a run of rows of one chunk is one
 * copy of its values, offsets are rebased, validity copied bit by bit. Two passes: the cells are
 * measured first, so every buffer is allocated once at its final size. Slicing source vectors
 * instead (transfer pairs) costs a buffer-ledger registration per run, which dominated when fill
 * repeats one cell row after row.
 *
 * <p>Covers what Rerun's components are made of: lists, fixed-size lists, structs, fixed-width
 * values, booleans, strings and binaries ({@link #supports}); anything else (unions) is copied by
 * {@link RowCopier} another way. Nulls and empty lists are for list targets only.
 */
final class CellCopier {
  /**
   * A run of appended cells: rows {@code [from, from + count)} of one source, or row {@code from}
   * repeated {@code count} times, or nulls, or empty lists. Mutable: a run of single rows grows in
   * place, one row at a time.
   */
  private static final class Run {
    final Shape source;
    final int from;
    final boolean empty;
    final boolean repeated;
    int count;

    Run(Shape source, int from, int count, boolean empty, boolean repeated) {
      this.source = source;
      this.from = from;
      this.count = count;
      this.empty = empty;
      this.repeated = repeated;
    }

    boolean continues(Shape otherSource, int otherFrom, boolean otherEmpty) {
      return !repeated && source == otherSource && empty == otherEmpty && (source == null || from + count == otherFrom);
    }
  }

  /**
   * A source vector and its children, as the copy walks them: the kind of each level, read once
   * per source and batch rather than per run, and whether the level has no null at all (then its
   * validity is written as ones in bulk, and a repeated cell's bits need not be read back).
   */
  private static final class Shape {
    static final int LIST = 0;
    static final int FIXED_LIST = 1;
    static final int STRUCT = 2;
    static final int VARIABLE = 3;
    static final int BITS = 4;
    static final int FIXED = 5;

    final FieldVector vector;
    final int kind;
    final boolean nullFree;
    /** Bytes per value (fixed width) or values per list (fixed-size lists). */
    final int width;
    final Shape[] children;

    Shape(FieldVector vector) {
      this.vector = vector;
      this.nullFree = vector.getNullCount() == 0;
      if (vector instanceof ListVector list) {
        kind = LIST;
        width = 0;
        children = new Shape[] {new Shape(list.getDataVector())};
      } else if (vector instanceof FixedSizeListVector list) {
        kind = FIXED_LIST;
        width = list.getListSize();
        children = new Shape[] {new Shape(list.getDataVector())};
      } else if (vector instanceof StructVector struct) {
        kind = STRUCT;
        width = 0;
        children = new Shape[struct.size()];
        for (int c = 0; c < children.length; c++) {
          children[c] = new Shape((FieldVector) struct.getChildByOrdinal(c));
        }
      } else if (vector instanceof BaseVariableWidthVector) {
        kind = VARIABLE;
        width = 0;
        children = new Shape[0];
      } else if (vector instanceof BitVector) {
        kind = BITS;
        width = 0;
        children = new Shape[0];
      } else if (vector instanceof BaseFixedWidthVector v) {
        kind = FIXED;
        width = v.getTypeWidth();
        children = new Shape[0];
      } else {
        throw new IllegalStateException("no bulk copy for " + vector.getField() + " (CellCopier.supports should have said so)");
      }
    }
  }

  private final FieldVector target;
  private final List<Run> runs;
  private final Map<FieldVector, Shape> shapes = new IdentityHashMap<>();
  /** The last source asked for and its shape: cells come in runs from one chunk. */
  private FieldVector lastSource;
  private Shape lastShape;
  private int rows;

  /** @param expectedRows how many rows the batch will have (sizes the run list) */
  CellCopier(FieldVector target, int expectedRows) {
    this.target = requireNonNull(target, "target is null");
    this.runs = new ArrayList<>(Math.max(16, expectedRows));
  }

  /** Whether the bulk copy handles a column of this type. */
  static boolean supports(Field field) {
    ArrowType type = field.getType();
    return switch (type.getTypeID()) {
      case List, FixedSizeList, Struct -> field.getChildren().stream().allMatch(CellCopier::supports);
      case Int, FloatingPoint, Bool, Utf8, Binary, FixedSizeBinary, Timestamp, Duration, Date, Time, Decimal -> true;
      default -> false;
    };
  }

  /** Appends rows {@code [first, first + n)} of {@code source}. */
  void rows(FieldVector source, int first, int n) {
    add(shape(requireNonNull(source, "source is null")), first, n, false);
  }

  /**
   * Appends row {@code row} of {@code source} {@code n} times, as latest-at fill and static data
   * repeat a cell: it is measured and copied from the source once, then its bytes are doubled up
   * within the target (offsets rebased per copy).
   */
  void repeat(FieldVector source, int row, int n) {
    runs.add(new Run(shape(requireNonNull(source, "source is null")), row, n, false, true));
    rows += n;
  }

  private Shape shape(FieldVector source) {
    if (source != lastSource) {
      lastShape = shapes.computeIfAbsent(source, Shape::new);
      lastSource = source;
    }
    return lastShape;
  }

  void nulls(int n) {
    listTarget();
    add(null, 0, n, false);
  }

  void emptyLists(int n) {
    listTarget();
    add(null, 0, n, true);
  }

  private ListVector listTarget() {
    if (!(target instanceof ListVector list)) {
      throw new IllegalStateException("nulls and empty lists are appended to list columns only, not to " + target.getField());
    }
    return list;
  }

  private void add(Shape source, int first, int n, boolean empty) {
    int last = runs.size() - 1;
    if (last >= 0 && runs.get(last).continues(source, first, empty)) {
      runs.get(last).count += n;
    } else {
      runs.add(new Run(source, first, n, empty, false));
    }
    rows += n;
  }

  /** Writes the appended cells into the target, which then holds exactly those rows. */
  void write() {
    Need need = new Need();
    for (Run run : runs) {
      if (run.source == null) {
        need.rows += run.count;
      } else if (run.repeated) {
        measure(run.source, run.from, 1, run.count, need);
      } else {
        measure(run.source, run.from, run.count, 1, need);
      }
    }
    target.clear();
    reserve(target, need);
    target.allocateNew();
    int at = 0;
    for (Run run : runs) {
      if (run.repeated) {
        copy(run.source, run.from, 1, target, at);
        replicate(run.source, true, target, at, 1, run.count - 1); // a cell, never a null: its bit is set
      } else if (run.source != null) {
        copy(run.source, run.from, run.count, target, at);
      } else {
        ArrowBuf offsets = listTarget().getOffsetBuffer();
        ArrowBuf validity = target.getValidityBuffer();
        int base = offsets.getInt((long) at * ListVector.OFFSET_WIDTH);
        for (int k = 0; k < run.count; k++) {
          offsets.setInt((long) (at + k + 1) * ListVector.OFFSET_WIDTH, base);
          BitVectorHelper.setValidityBit(validity, at + k, run.empty ? 1 : 0);
        }
      }
      at += run.count;
    }
    finish(target, need);
    target.setValueCount(rows);
    runs.clear();
    shapes.clear();
    lastSource = null;
    lastShape = null;
    rows = 0;
  }

  // --- measuring: how many values each vector of the target needs -----------------------------

  /** Values (and, for strings and binaries, bytes) one vector of the target takes; children alike. */
  private static final class Need {
    long rows;
    long bytes;
    private final List<Need> children = new ArrayList<>();

    Need child(int i) {
      while (children.size() <= i) {
        children.add(new Need());
      }
      return children.get(i);
    }
  }

  private static long offset(ArrowBuf offsets, long index) {
    return offsets.getInt(index * ListVector.OFFSET_WIDTH);
  }

  /** Adds what {@code times} copies of values {@code [first, first + n)} of {@code src} take. */
  private static void measure(Shape src, long first, long n, long times, Need need) {
    need.rows += n * times;
    switch (src.kind) {
      case Shape.LIST -> {
        ArrowBuf offsets = ((ListVector) src.vector).getOffsetBuffer();
        long start = offset(offsets, first);
        long end = offset(offsets, first + n);
        measure(src.children[0], start, end - start, times, need.child(0));
      }
      case Shape.FIXED_LIST -> measure(src.children[0], first * src.width, n * src.width, times, need.child(0));
      case Shape.STRUCT -> {
        for (int c = 0; c < src.children.length; c++) {
          measure(src.children[c], first, n, times, need.child(c));
        }
      }
      case Shape.VARIABLE -> {
        ArrowBuf offsets = ((BaseVariableWidthVector) src.vector).getOffsetBuffer();
        need.bytes += (offset(offsets, first + n) - offset(offsets, first)) * times;
      }
      default -> { }
    }
  }

  /** Sets every vector's initial capacity to what it needs, top down (a parent sets its children's first). */
  private static void reserve(FieldVector dst, Need need) {
    int n = (int) Math.max(1, need.rows);
    if (dst instanceof BaseVariableWidthVector v) {
      v.setInitialCapacity(n, Math.max(1.0, (double) need.bytes / n));
    } else {
      dst.setInitialCapacity(n);
    }
    if (dst instanceof ListVector list) {
      reserve(list.getDataVector(), need.child(0));
    } else if (dst instanceof FixedSizeListVector list) {
      reserve(list.getDataVector(), need.child(0));
    } else if (dst instanceof StructVector struct) {
      for (int c = 0; c < struct.size(); c++) {
        reserve((FieldVector) struct.getChildByOrdinal(c), need.child(c));
      }
    }
  }

  /** Marks nested lists and strings as written up to their last value, so setValueCount keeps their offsets. */
  private static void finish(FieldVector dst, Need need) {
    int last = (int) need.rows - 1;
    if (dst instanceof ListVector list) {
      list.setLastSet(last);
      finish(list.getDataVector(), need.child(0));
    } else if (dst instanceof FixedSizeListVector list) {
      finish(list.getDataVector(), need.child(0));
    } else if (dst instanceof StructVector struct) {
      for (int c = 0; c < struct.size(); c++) {
        finish((FieldVector) struct.getChildByOrdinal(c), need.child(c));
      }
    } else if (dst instanceof BaseVariableWidthVector v) {
      v.setLastSet(last);
    }
  }

  // --- copying ----------------------------------------------------------------------------------

  /** Copies values {@code [first, first + n)} of {@code src} to {@code dst} at {@code at}. */
  private static void copy(Shape src, long first, long n, FieldVector dst, long at) {
    if (n == 0) {
      return;
    }
    switch (src.kind) {
      case Shape.LIST -> {
        ListVector list = (ListVector) src.vector;
        ListVector out = (ListVector) dst;
        int base = out.getOffsetBuffer().getInt(at * ListVector.OFFSET_WIDTH);
        long start = offset(list.getOffsetBuffer(), first);
        long end = offset(list.getOffsetBuffer(), first + n);
        copyOffsets(list.getOffsetBuffer(), first, n, out.getOffsetBuffer(), at);
        copyValidity(src, first, out.getValidityBuffer(), at, n);
        copy(src.children[0], start, end - start, out.getDataVector(), base);
      }
      case Shape.FIXED_LIST -> {
        FixedSizeListVector out = (FixedSizeListVector) dst;
        copyValidity(src, first, out.getValidityBuffer(), at, n);
        copy(src.children[0], first * src.width, n * src.width, out.getDataVector(), at * src.width);
      }
      case Shape.STRUCT -> {
        StructVector out = (StructVector) dst;
        copyValidity(src, first, out.getValidityBuffer(), at, n);
        for (int c = 0; c < src.children.length; c++) {
          copy(src.children[c], first, n, (FieldVector) out.getChildByOrdinal(c), at);
        }
      }
      case Shape.VARIABLE -> {
        BaseVariableWidthVector v = (BaseVariableWidthVector) src.vector;
        BaseVariableWidthVector out = (BaseVariableWidthVector) dst;
        int base = out.getOffsetBuffer().getInt(at * BaseVariableWidthVector.OFFSET_WIDTH);
        long start = offset(v.getOffsetBuffer(), first);
        long end = offset(v.getOffsetBuffer(), first + n);
        copyOffsets(v.getOffsetBuffer(), first, n, out.getOffsetBuffer(), at);
        out.getDataBuffer().setBytes(base, v.getDataBuffer(), start, end - start);
        copyValidity(src, first, out.getValidityBuffer(), at, n);
      }
      case Shape.BITS -> {
        BitVector out = (BitVector) dst;
        copyBits(((BitVector) src.vector).getDataBuffer(), first, out.getDataBuffer(), at, n);
        copyValidity(src, first, out.getValidityBuffer(), at, n);
      }
      default -> {
        BaseFixedWidthVector v = (BaseFixedWidthVector) src.vector;
        BaseFixedWidthVector out = (BaseFixedWidthVector) dst;
        out.getDataBuffer().setBytes(at * src.width, v.getDataBuffer(), first * src.width, n * src.width);
        copyValidity(src, first, out.getValidityBuffer(), at, n);
      }
    }
  }

  // --- repeating: a cell written once, then doubled up in place --------------------------------

  /**
   * Values {@code [at, at + len)} of {@code dst}, already written from {@code src}, are written
   * {@code times} more times right after them; children alike, offsets shifted for each copy.
   * {@code valid}: those values are known to be non-null (their validity bits need not be read).
   */
  private static void replicate(Shape src, boolean valid, FieldVector dst, long at, long len, long times) {
    if (times <= 0 || len == 0) {
      return;
    }
    switch (src.kind) {
      case Shape.LIST -> {
        ListVector list = (ListVector) dst;
        long base = offset(list.getOffsetBuffer(), at);
        long childLen = replicateOffsets(list.getOffsetBuffer(), at, len, times);
        replicateBits(list.getValidityBuffer(), valid, at, len, times);
        replicate(src.children[0], src.children[0].nullFree, list.getDataVector(), base, childLen, times);
      }
      case Shape.FIXED_LIST -> {
        FixedSizeListVector list = (FixedSizeListVector) dst;
        replicateBits(list.getValidityBuffer(), valid, at, len, times);
        replicate(src.children[0], src.children[0].nullFree, list.getDataVector(), at * src.width, len * src.width, times);
      }
      case Shape.STRUCT -> {
        StructVector struct = (StructVector) dst;
        replicateBits(struct.getValidityBuffer(), valid, at, len, times);
        for (int c = 0; c < src.children.length; c++) {
          replicate(src.children[c], src.children[c].nullFree, (FieldVector) struct.getChildByOrdinal(c), at, len, times);
        }
      }
      case Shape.VARIABLE -> {
        BaseVariableWidthVector v = (BaseVariableWidthVector) dst;
        long base = offset(v.getOffsetBuffer(), at);
        long bytes = replicateOffsets(v.getOffsetBuffer(), at, len, times);
        replicateBytes(v.getDataBuffer(), base, bytes, times);
        replicateBits(v.getValidityBuffer(), valid, at, len, times);
      }
      case Shape.BITS -> {
        BitVector bits = (BitVector) dst;
        replicateBits(bits.getDataBuffer(), false, at, len, times);
        replicateBits(bits.getValidityBuffer(), valid, at, len, times);
      }
      default -> {
        BaseFixedWidthVector v = (BaseFixedWidthVector) dst;
        replicateBytes(v.getDataBuffer(), at * src.width, len * src.width, times);
        replicateBits(v.getValidityBuffer(), valid, at, len, times);
      }
    }
  }

  /** Repeats offsets {@code at + 1 .. at + len}, each copy shifted by the span they cover; returns that span. */
  private static long replicateOffsets(ArrowBuf offsets, long at, long len, long times) {
    long base = offset(offsets, at);
    long span = offset(offsets, at + len) - base;
    for (long j = 1; j <= times; j++) {
      long shift = span * j;
      long to = at + len * j;
      for (long k = 1; k <= len; k++) {
        offsets.setInt((to + k) * ListVector.OFFSET_WIDTH, (int) (offset(offsets, at + k) + shift));
      }
    }
    return span;
  }

  /** Repeats bytes {@code [start, start + len)} {@code times} times after them, doubling the copied span each step. */
  private static void replicateBytes(ArrowBuf buf, long start, long len, long times) {
    long total = len * (times + 1);
    long filled = len;
    while (filled < total) {
      long n = Math.min(filled, total - filled);
      buf.setBytes(start + filled, buf, start, n);
      filled += n;
    }
  }

  /** Repeats bits {@code [at, at + len)} {@code times} times after them (all ones, known or found: set in bulk). */
  private static void replicateBits(ArrowBuf buf, boolean ones, long at, long len, long times) {
    if (ones) {
      setBits(buf, at + len, len * times);
      return;
    }
    boolean allSet = true;
    for (long k = 0; k < len && allSet; k++) {
      allSet = BitVectorHelper.get(buf, (int) (at + k)) == 1;
    }
    if (allSet) {
      setBits(buf, at + len, len * times);
      return;
    }
    for (long j = 1; j <= times; j++) {
      for (long k = 0; k < len; k++) {
        BitVectorHelper.setValidityBit(buf, (int) (at + len * j + k), BitVectorHelper.get(buf, (int) (at + k)));
      }
    }
  }

  /**
   * Offsets {@code first + 1 .. first + n} of {@code src}, moved to start where {@code dst}'s
   * offset {@code at} is (lists and strings alike use 32-bit offsets).
   */
  private static void copyOffsets(ArrowBuf src, long first, long n, ArrowBuf dst, long at) {
    long shift = offset(dst, at) - offset(src, first);
    for (long k = 1; k <= n; k++) {
      dst.setInt((at + k) * ListVector.OFFSET_WIDTH, (int) (offset(src, first + k) + shift));
    }
  }

  /** The validity of {@code src}'s values {@code [first, first + n)}, to {@code dst} at {@code at} (freshly zeroed). */
  private static void copyValidity(Shape src, long first, ArrowBuf dst, long at, long n) {
    if (src.nullFree) {
      setBits(dst, at, n); // the usual case: values without nulls, written a byte at a time
    } else {
      copyBits(src.vector.getValidityBuffer(), first, dst, at, n);
    }
  }

  private static void copyBits(ArrowBuf src, long first, ArrowBuf dst, long at, long n) {
    for (long k = 0; k < n; k++) {
      BitVectorHelper.setValidityBit(dst, (int) (at + k), BitVectorHelper.get(src, (int) (first + k)));
    }
  }

  /** Sets bits {@code [at, at + n)}: single bits up to a byte boundary, whole bytes, then single bits. */
  private static void setBits(ArrowBuf dst, long at, long n) {
    long i = at;
    long end = at + n;
    while (i < end && (i & 7) != 0) {
      BitVectorHelper.setBit(dst, i++);
    }
    long bytes = (end - i) >>> 3;
    if (bytes > 0) {
      dst.setOne(i >>> 3, bytes);
      i += bytes << 3;
    }
    while (i < end) {
      BitVectorHelper.setBit(dst, i++);
    }
  }
}
