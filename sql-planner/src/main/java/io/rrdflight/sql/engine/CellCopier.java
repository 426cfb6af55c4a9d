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
  /** A run of appended cells: rows of one source, or nulls, or empty lists. */
  private record Run(ListVector source, int from, int count, boolean empty) {
    Run extendedBy(int n) {
      return new Run(source, from, count + n, empty);
    }

    boolean continues(ListVector otherSource, int otherFrom, boolean otherEmpty) {
      return source == otherSource && empty == otherEmpty && (source == null || from + count == otherFrom);
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
      runs.add(new Run(source, first, n, empty));
    }
    rows += n;
  }

  /** Writes the appended cells into the target, which then holds exactly those rows. */
  void write() {
    Need need = new Need();
    for (Run run : runs) {
      if (run.source() == null) {
        need.rows += run.count();
      } else {
        measure(run.source(), run.from(), run.count(), need);
      }
    }
    target.clear();
    reserve(target, need);
    target.allocateNew();
    ArrowBuf offsets = target.getOffsetBuffer();
    ArrowBuf validity = target.getValidityBuffer();
    int at = 0;
    for (Run run : runs) {
      if (run.source() != null) {
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

  private static void measure(FieldVector src, long first, long n, Need need) {
    need.rows += n;
    if (src instanceof ListVector list) {
      long start = offset(list.getOffsetBuffer(), first);
      long end = offset(list.getOffsetBuffer(), first + n);
      measure(list.getDataVector(), start, end - start, need.child(0));
    } else if (src instanceof FixedSizeListVector list) {
      measure(list.getDataVector(), first * list.getListSize(), n * list.getListSize(), need.child(0));
    } else if (src instanceof StructVector struct) {
      for (int c = 0; c < struct.size(); c++) {
        measure((FieldVector) struct.getChildByOrdinal(c), first, n, need.child(c));
      }
    } else if (src instanceof BaseVariableWidthVector v) {
      need.bytes += offset(v.getOffsetBuffer(), first + n) - offset(v.getOffsetBuffer(), first);
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
