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
 * Fills one output column of a batch with component cells ({@code List<T>} rows of decoded
 * chunks, nulls and empty lists) by copying buffers in bulk: a run of rows of one chunk is one
 * copy of its values, offsets are rebased, validity copied bit by bit. Two passes: the cells are
 * measured first, so every buffer is allocated once at its final size. Slicing source vectors
 * instead (transfer pairs) costs a buffer-ledger registration per run, which dominated when fill
 * repeats one cell row after row.
 *
 * <p>Covers what Rerun's components are made of: lists, fixed-size lists, structs, fixed-width
 * values, booleans, strings and binaries ({@link #supports}); anything else (unions) is copied by
 * the caller another way.
 */
final class CellCopier {
  /**
   * A run of appended cells: rows {@code [from, from + count)} of one source, or row {@code from}
   * repeated {@code count} times, or nulls, or empty lists.
   */
  private record Run(ListVector source, int from, int count, boolean empty, boolean repeated) {
    Run extendedBy(int n) {
      return new Run(source, from, count + n, empty, repeated);
    }

    boolean continues(ListVector otherSource, int otherFrom, boolean otherEmpty) {
      return !repeated && source == otherSource && empty == otherEmpty && (source == null || from + count == otherFrom);
    }
  }

  private final ListVector target;
  private final List<Run> runs;
  /** Per source vector: whether it has no null at all, so its validity can be written as ones in bulk. */
  private final Map<FieldVector, Boolean> nullFree = new IdentityHashMap<>();
  private int rows;

  /** @param expectedRows how many rows the batch will have (sizes the run list) */
  CellCopier(ListVector target, int expectedRows) {
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
  void rows(ListVector source, int first, int n) {
    add(requireNonNull(source, "source is null"), first, n, false);
  }

  /**
   * Appends row {@code row} of {@code source} {@code n} times, as latest-at fill and static data
   * repeat a cell: it is measured and copied from the source once, then its bytes are doubled up
   * within the target (offsets rebased per copy).
   */
  void repeat(ListVector source, int row, int n) {
    requireNonNull(source, "source is null");
    runs.add(new Run(source, row, n, false, true));
    rows += n;
  }

  void nulls(int n) {
    add(null, 0, n, false);
  }

  void emptyLists(int n) {
    add(null, 0, n, true);
  }

  private void add(ListVector source, int first, int n, boolean empty) {
    int last = runs.size() - 1;
    if (last >= 0 && runs.get(last).continues(source, first, empty)) {
      runs.set(last, runs.get(last).extendedBy(n));
    } else {
      runs.add(new Run(source, first, n, empty, false));
    }
    rows += n;
  }

  /** Writes the appended cells into the target, which then holds exactly those rows. */
  void write() {
    Need need = new Need();
    for (Run run : runs) {
      if (run.source() == null) {
        need.rows += run.count();
      } else if (run.repeated()) {
        measure(run.source(), run.from(), 1, run.count(), need);
      } else {
        measure(run.source(), run.from(), run.count(), 1, need);
      }
    }
    target.clear();
    reserve(target, need);
    target.allocateNew();
    ArrowBuf offsets = target.getOffsetBuffer();
    ArrowBuf validity = target.getValidityBuffer();
    int at = 0;
    for (Run run : runs) {
      if (run.repeated()) {
        copy(run.source(), run.from(), 1, target, at);
        replicate(target, at, 1, run.count() - 1);
      } else if (run.source() != null) {
        copy(run.source(), run.from(), run.count(), target, at);
      } else {
        int base = offsets.getInt((long) at * ListVector.OFFSET_WIDTH);
        for (int k = 0; k < run.count(); k++) {
          offsets.setInt((long) (at + k + 1) * ListVector.OFFSET_WIDTH, base);
          BitVectorHelper.setValidityBit(validity, at + k, run.empty() ? 1 : 0);
        }
      }
      at += run.count();
    }
    finish(target, need);
    target.setValueCount(rows);
    runs.clear();
    nullFree.clear();
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
  private static void measure(FieldVector src, long first, long n, long times, Need need) {
    need.rows += n * times;
    if (src instanceof ListVector list) {
      long start = offset(list.getOffsetBuffer(), first);
      long end = offset(list.getOffsetBuffer(), first + n);
      measure(list.getDataVector(), start, end - start, times, need.child(0));
    } else if (src instanceof FixedSizeListVector list) {
      measure(list.getDataVector(), first * list.getListSize(), n * list.getListSize(), times, need.child(0));
    } else if (src instanceof StructVector struct) {
      for (int c = 0; c < struct.size(); c++) {
        measure((FieldVector) struct.getChildByOrdinal(c), first, n, times, need.child(c));
      }
    } else if (src instanceof BaseVariableWidthVector v) {
      need.bytes += (offset(v.getOffsetBuffer(), first + n) - offset(v.getOffsetBuffer(), first)) * times;
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
  private void copy(FieldVector src, long first, long n, FieldVector dst, long at) {
    if (n == 0) {
      return;
    }
    if (src instanceof ListVector list) {
      ListVector out = (ListVector) dst;
      int base = out.getOffsetBuffer().getInt(at * ListVector.OFFSET_WIDTH);
      long start = offset(list.getOffsetBuffer(), first);
      long end = offset(list.getOffsetBuffer(), first + n);
      copyOffsets(list.getOffsetBuffer(), first, n, out.getOffsetBuffer(), at);
      copyValidity(list, first, out.getValidityBuffer(), at, n);
      copy(list.getDataVector(), start, end - start, out.getDataVector(), base);
    } else if (src instanceof FixedSizeListVector list) {
      FixedSizeListVector out = (FixedSizeListVector) dst;
      int size = list.getListSize();
      copyValidity(list, first, out.getValidityBuffer(), at, n);
      copy(list.getDataVector(), first * size, n * size, out.getDataVector(), at * size);
    } else if (src instanceof StructVector struct) {
      StructVector out = (StructVector) dst;
      copyValidity(struct, first, out.getValidityBuffer(), at, n);
      for (int c = 0; c < struct.size(); c++) {
        copy((FieldVector) struct.getChildByOrdinal(c), first, n, (FieldVector) out.getChildByOrdinal(c), at);
      }
    } else if (src instanceof BaseVariableWidthVector v) {
      BaseVariableWidthVector out = (BaseVariableWidthVector) dst;
      int base = out.getOffsetBuffer().getInt(at * BaseVariableWidthVector.OFFSET_WIDTH);
      long start = offset(v.getOffsetBuffer(), first);
      long end = offset(v.getOffsetBuffer(), first + n);
      copyOffsets(v.getOffsetBuffer(), first, n, out.getOffsetBuffer(), at);
      out.getDataBuffer().setBytes(base, v.getDataBuffer(), start, end - start);
      copyValidity(v, first, out.getValidityBuffer(), at, n);
    } else if (src instanceof BitVector bits) {
      BitVector out = (BitVector) dst;
      copyBits(bits.getDataBuffer(), first, out.getDataBuffer(), at, n);
      copyValidity(bits, first, out.getValidityBuffer(), at, n);
    } else if (src instanceof BaseFixedWidthVector v) {
      int width = v.getTypeWidth();
      ((BaseFixedWidthVector) dst).getDataBuffer().setBytes(at * width, v.getDataBuffer(), first * width, n * width);
      copyValidity(v, first, ((BaseFixedWidthVector) dst).getValidityBuffer(), at, n);
    } else {
      throw new IllegalStateException("no bulk copy for " + src.getField() + " (CellCopier.supports should have said so)");
    }
  }

  // --- repeating: a cell written once, then doubled up in place --------------------------------

  /**
   * Values {@code [at, at + len)} of {@code dst}, already written, are written {@code times} more
   * times right after them; children alike, offsets shifted for each copy.
   */
  private static void replicate(FieldVector dst, long at, long len, long times) {
    if (times <= 0 || len == 0) {
      return;
    }
    if (dst instanceof ListVector list) {
      long base = offset(list.getOffsetBuffer(), at);
      long childLen = replicateOffsets(list.getOffsetBuffer(), at, len, times);
      replicateBits(list.getValidityBuffer(), at, len, times);
      replicate(list.getDataVector(), base, childLen, times);
    } else if (dst instanceof FixedSizeListVector list) {
      int size = list.getListSize();
      replicateBits(list.getValidityBuffer(), at, len, times);
      replicate(list.getDataVector(), at * size, len * size, times);
    } else if (dst instanceof StructVector struct) {
      replicateBits(struct.getValidityBuffer(), at, len, times);
      for (int c = 0; c < struct.size(); c++) {
        replicate((FieldVector) struct.getChildByOrdinal(c), at, len, times);
      }
    } else if (dst instanceof BaseVariableWidthVector v) {
      long base = offset(v.getOffsetBuffer(), at);
      long bytes = replicateOffsets(v.getOffsetBuffer(), at, len, times);
      replicateBytes(v.getDataBuffer(), base, bytes, times);
      replicateBits(v.getValidityBuffer(), at, len, times);
    } else if (dst instanceof BitVector bits) {
      replicateBits(bits.getDataBuffer(), at, len, times);
      replicateBits(bits.getValidityBuffer(), at, len, times);
    } else if (dst instanceof BaseFixedWidthVector v) {
      int width = v.getTypeWidth();
      replicateBytes(v.getDataBuffer(), at * width, len * width, times);
      replicateBits(v.getValidityBuffer(), at, len, times);
    } else {
      throw new IllegalStateException("no bulk copy for " + dst.getField() + " (CellCopier.supports should have said so)");
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

  /** Repeats bits {@code [at, at + len)} {@code times} times after them (all ones: set in bulk). */
  private static void replicateBits(ArrowBuf buf, long at, long len, long times) {
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
  private void copyValidity(FieldVector src, long first, ArrowBuf dst, long at, long n) {
    if (nullFree.computeIfAbsent(src, v -> v.getNullCount() == 0)) {
      setBits(dst, at, n); // the usual case: values without nulls, written a byte at a time
    } else {
      copyBits(src.getValidityBuffer(), first, dst, at, n);
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
