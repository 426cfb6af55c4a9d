package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.CatalogException;
import io.rrdflight.catalog.ColumnTypes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * Fills one column with rows of columns of the same type (component cells: {@code List<T>} rows
 * of decoded chunks, nulls and empty lists; or any column an SQL operator copies rows of) by
 * copying buffers in bulk, one nesting level at a time.
 *
 * <p>The appended cells are kept as <em>pieces</em>: values {@code [start, start + len)} of one
 * source, written {@code times} times in a row (a run of rows is one piece; a cell that latest-at
 * fill or static data repeats is one piece with {@code times > 1}). Writing walks the type's levels
 * top down: each level's pieces give the next level's (a list piece becomes the range of child
 * values its offsets span; a fixed-size list's is scaled by its size; a struct's children take its
 * pieces as they are), so all buffers are measured first and allocated once at their final size,
 * and then each level is copied in one tight loop over its pieces — offsets rebased, validity set
 * in bulk where a source has no null, values one memory copy per piece and doubled up for repeats.
 * Fill repeats short cells on many rows (a point cloud logged every other frame is a two-row
 * piece per cell): per-cell work is a few array reads and one copy per level, with the type's
 * dispatch once per level and batch rather than once per cell.
 *
 * <p>Memory is read and written by address ({@link MemoryUtil}): every piece's source range is
 * checked against its buffers' capacity when it is measured and every target buffer against its
 * size once allocated, so a corrupt chunk (offsets beyond its values) is a clear error, never a
 * read outside a buffer. Slicing source vectors instead (transfer pairs) would cost a buffer-ledger
 * registration per run.
 *
 * <p>Covers what Rerun's components are made of: lists, fixed-size lists, structs, fixed-width
 * values, booleans, strings and binaries ({@link #supports}); anything else (unions) is copied by
 * {@link RowCopier} another way. Nulls and empty lists are for list targets only.
 */
final class CellCopier {
  private static final int LIST = 0;
  private static final int FIXED_LIST = 1;
  private static final int STRUCT = 2;
  private static final int VARIABLE = 3;
  private static final int BITS = 4;
  private static final int FIXED = 5;
  /** Source ids of pieces that are not values of a source: null cells and empty lists (top level). */
  private static final int NULLS = -1;
  private static final int EMPTIES = -2;
  private static final long OFFSET_WIDTH = 4; // lists and strings alike use 32-bit offsets

  /**
   * Pieces in order: parallel growable arrays. A piece continuing the last one (same source,
   * consecutive values, both written once) extends it, so appending a run row by row costs little.
   *
   * <p>A piece with {@code each > 1} is a run of <em>groups</em>, each written {@code each} times
   * before the next (a chunk's rows that fill repeats on every other row: one piece, not one per
   * cell). Its groups are {@code group} values each when {@code group > 0} (rows of the column, or
   * a fixed-size list's values), else they end at {@code bounds} (a list's groups of child values,
   * bounds[0] = start, bounds[last] = start + len). Such a piece has {@code times == 1}.
   */
  private static final class Pieces {
    int[] source;
    long[] start;
    long[] len;
    long[] times;
    long[] each;
    long[] group;
    long[][] bounds;
    int size;

    Pieces(int capacity) {
      int n = Math.max(16, capacity);
      source = new int[n];
      start = new long[n];
      len = new long[n];
      times = new long[n];
      each = new long[n];
      group = new long[n];
      bounds = new long[n][];
    }

    void add(int src, long from, long n, long repeat) {
      if (n == 0 || repeat == 0) {
        return;
      }
      int last = size - 1;
      if (last >= 0 && repeat == 1 && times[last] == 1 && each[last] == 1 && source[last] == src
          && (src < 0 || start[last] + len[last] == from)) {
        len[last] += n;
        return;
      }
      append(src, from, n, repeat, 1, 0, null);
    }

    /** Groups of values {@code [from, from + n)} (see the class comment), each written {@code repeat} times. */
    void addEach(int src, long from, long n, long repeat, long groupSize, long[] groupBounds) {
      if (n == 0) {
        return;
      }
      if (repeat == 1) {
        add(src, from, n, 1);
        return;
      }
      append(src, from, n, 1, repeat, groupSize, groupBounds);
    }

    private void append(int src, long from, long n, long repeat, long eachTimes, long groupSize, long[] groupBounds) {
      if (size == source.length) {
        int grown = size * 2;
        source = Arrays.copyOf(source, grown);
        start = Arrays.copyOf(start, grown);
        len = Arrays.copyOf(len, grown);
        times = Arrays.copyOf(times, grown);
        each = Arrays.copyOf(each, grown);
        group = Arrays.copyOf(group, grown);
        bounds = Arrays.copyOf(bounds, grown);
      }
      source[size] = src;
      start[size] = from;
      len[size] = n;
      times[size] = repeat;
      each[size] = eachTimes;
      group[size] = groupSize;
      bounds[size] = groupBounds;
      size++;
    }

    /** Empties the list; dropping the group bounds it refers to. */
    void clear() {
      Arrays.fill(bounds, 0, size, null);
      size = 0;
    }

    /** Values written by piece {@code p}. */
    long written(int p) {
      return len[p] * times[p] * each[p];
    }
  }

  /** One vector of the target (the column, or a child at some depth) and, per source id, the source's vector at the same place. */
  private static final class Level {
    final FieldVector dst;
    final int kind;
    /** Bytes per value (fixed width) or values per list (fixed-size lists). */
    final int width;
    final Level[] children;
    FieldVector[] sources;
    /** Per source: no null in it at all (its validity is then written as ones in bulk, never read). */
    boolean[] nullFree;
    /** Per source: the addresses of its validity, offsets and data buffers (0 where the kind has none). */
    long[] validityAt;
    long[] offsetsAt;
    long[] dataAt;
    Pieces pieces;
    long values;
    long bytes;

    Level(FieldVector dst) {
      this.dst = dst;
      if (dst instanceof ListVector list) {
        kind = LIST;
        width = 0;
        children = new Level[] {new Level(list.getDataVector())};
      } else if (dst instanceof FixedSizeListVector list) {
        kind = FIXED_LIST;
        width = list.getListSize();
        children = new Level[] {new Level(list.getDataVector())};
      } else if (dst instanceof StructVector struct) {
        kind = STRUCT;
        width = 0;
        children = new Level[struct.size()];
        for (int c = 0; c < children.length; c++) {
          children[c] = new Level((FieldVector) struct.getChildByOrdinal(c));
        }
      } else if (dst instanceof BaseVariableWidthVector) {
        kind = VARIABLE;
        width = 0;
        children = new Level[0];
      } else if (dst instanceof BitVector) {
        kind = BITS;
        width = 0;
        children = new Level[0];
      } else if (dst instanceof BaseFixedWidthVector v) {
        kind = FIXED;
        width = v.getTypeWidth();
        children = new Level[0];
      } else {
        throw new IllegalStateException("no bulk copy for " + dst.getField() + " (CellCopier.supports should have said so)");
      }
    }

    /** The sources' vectors at this level, and their children's. */
    void bind(FieldVector[] vectors) {
      sources = vectors;
      nullFree = new boolean[vectors.length];
      validityAt = new long[vectors.length];
      offsetsAt = new long[vectors.length];
      dataAt = new long[vectors.length];
      for (int s = 0; s < vectors.length; s++) {
        FieldVector v = vectors[s];
        // Word by word: Arrow's getNullCount counts a byte at a time, for every source, level and
        // batch (4% of a filled view's scan thread, the points' children being 8 values a row).
        nullFree[s] = ArrowBuffers.allSet(v.getValidityBuffer(), v.getValueCount());
        validityAt[s] = v.getValidityBuffer().memoryAddress();
        offsetsAt[s] = kind == LIST || kind == VARIABLE ? v.getOffsetBuffer().memoryAddress() : 0;
        dataAt[s] = kind == VARIABLE || kind == FIXED || kind == BITS ? v.getDataBuffer().memoryAddress() : 0;
      }
      for (int c = 0; c < children.length; c++) {
        FieldVector[] child = new FieldVector[vectors.length];
        for (int s = 0; s < vectors.length; s++) {
          child[s] = childOf(vectors[s], c);
        }
        children[c].bind(child);
      }
    }

    private FieldVector childOf(FieldVector v, int c) {
      return switch (kind) {
        case LIST -> ((ListVector) v).getDataVector();
        case FIXED_LIST -> ((FixedSizeListVector) v).getDataVector();
        default -> (FieldVector) ((StructVector) v).getChildByOrdinal(c);
      };
    }

    // --- measuring: what each level takes, and the pieces of the next ----------------------------

    /** Counts this level's values (and bytes), checks each piece's range against its source's buffers, derives the children's pieces. */
    void measure() {
      values = 0;
      bytes = 0;
      Pieces next = kind == LIST || kind == FIXED_LIST ? new Pieces(pieces.size) : kind == STRUCT ? pieces : null;
      for (int p = 0; p < pieces.size; p++) {
        int s = pieces.source[p];
        long start = pieces.start[p];
        long len = pieces.len[p];
        long times = pieces.times[p];
        long each = pieces.each[p];
        values += pieces.written(p);
        if (s < 0) {
          continue;
        }
        FieldVector v = sources[s];
        if (start < 0 || start + len > v.getValueCount()) {
          throw outside(v, "values " + start + ".." + (start + len) + " of " + v.getValueCount());
        }
        if (!nullFree[s]) {
          checkBits(v.getValidityBuffer(), start + len, v);
        }
        switch (kind) {
          case LIST, VARIABLE -> {
            ArrowBuf offsets = v.getOffsetBuffer();
            if ((start + len + 1) * OFFSET_WIDTH > offsets.capacity()) {
              throw outside(v, "offsets up to value " + (start + len) + " beyond its offset buffer");
            }
            long first = MemoryUtil.getInt(offsetsAt[s] + start * OFFSET_WIDTH); // within its capacity: checked above
            long last = MemoryUtil.getInt(offsetsAt[s] + (start + len) * OFFSET_WIDTH);
            if (first < 0 || last < first) {
              throw outside(v, "offsets " + first + ".." + last + " of values " + start + ".." + (start + len));
            }
            if (kind == LIST && each > 1) {
              next.addEach(s, first, last - first, each, 0, childBounds(p, v, first, last));
            } else if (kind == LIST) {
              next.add(s, first, last - first, times);
            } else if (last > ((BaseVariableWidthVector) v).getDataBuffer().capacity()) {
              throw outside(v, "bytes " + first + ".." + last + " beyond its data buffer");
            } else {
              if (each > 1) {
                childBounds(p, v, first, last); // each group's bytes are copied on their own: their offsets must not go back
              }
              bytes += (last - first) * times * each;
            }
          }
          case FIXED_LIST -> {
            if (each > 1) {
              long group = pieces.group[p];
              next.addEach(s, start * width, len * width, each, group * width, group > 0 ? null : scaled(pieces.bounds[p], width));
            } else {
              next.add(s, start * width, len * width, times);
            }
          }
          case BITS -> checkBits(((BitVector) v).getDataBuffer(), start + len, v);
          case FIXED -> {
            if ((start + len) * width > ((BaseFixedWidthVector) v).getDataBuffer().capacity()) {
              throw outside(v, "values " + start + ".." + (start + len) + " beyond its data buffer");
            }
          }
          default -> { }
        }
      }
      for (Level child : children) {
        child.pieces = next;
        child.measure();
      }
    }

    /**
     * The child values where each group of piece {@code p} (a list's values) begins, and where the
     * last ends: the list's offsets at its group bounds, checked to never go back (a corrupt offset
     * would make a group's span negative).
     */
    private long[] childBounds(int p, FieldVector v, long first, long last) {
      long start = pieces.start[p];
      long group = pieces.group[p];
      long[] bounds = pieces.bounds[p];
      int groups = (int) (group > 0 ? pieces.len[p] / group : bounds.length - 1);
      long[] out = new long[groups + 1];
      long at = offsetsAt[pieces.source[p]];
      long previous = first;
      for (int j = 0; j <= groups; j++) {
        long value = group > 0 ? start + j * group : bounds[j];
        long offset = MemoryUtil.getInt(at + value * OFFSET_WIDTH); // within [start, start + len]: checked by measure
        if (offset < previous || offset > last) {
          throw outside(v, "offset " + offset + " of value " + value + " outside " + previous + ".." + last);
        }
        out[j] = offset;
        previous = offset;
      }
      return out;
    }

    private static long[] scaled(long[] bounds, int width) {
      long[] out = new long[bounds.length];
      for (int j = 0; j < bounds.length; j++) {
        out[j] = bounds[j] * width;
      }
      return out;
    }

    private static void checkBits(ArrowBuf bits, long count, FieldVector v) {
      if ((count + 7) >>> 3 > bits.capacity()) {
        throw outside(v, "bits up to " + count + " beyond its buffer");
      }
    }

    private static IllegalStateException outside(FieldVector v, String what) {
      return new IllegalStateException("corrupt column " + v.getField().getName() + " (" + v.getField().getType() + "): " + what);
    }

    /** Sets this vector's initial capacity to what it needs, then its children's (a parent sets its children's first). */
    void reserve() {
      if (values > Integer.MAX_VALUE || bytes > Integer.MAX_VALUE) {
        throw new IllegalStateException("a batch of " + dst.getField() + " would hold " + values + " values of " + bytes
            + " bytes: beyond Arrow's 32-bit offsets");
      }
      // The buffers of fixed-width values, lists and strings come from allocateUnzeroed, after
      // allocateNew: allocate little here. Structs and fixed-size lists have validity only.
      int n = unzeroed() ? 1 : (int) Math.max(1, values);
      if (dst instanceof BaseVariableWidthVector v) {
        v.setInitialCapacity(n, 1.0);
      } else {
        dst.setInitialCapacity(n);
      }
      for (Level child : children) {
        child.reserve();
      }
    }

    /** Whether allocateUnzeroed gives this level its buffers (all but validity written by copy()). */
    private boolean unzeroed() {
      return kind == FIXED || kind == LIST || kind == VARIABLE;
    }

    /**
     * After allocateNew: gives fixed-width, list and string levels their buffers at their final size
     * without Arrow's zeroing, which allocateNew does to every buffer. copy() writes every value and
     * every offset but the first of such a level (its pieces cover them all), and the zeroing was 5%
     * of the server's CPU in a filled query view (~400 MB of values per view of large.rrd); the lists'
     * offsets were another 2% (a profile of 15 views). Validity is zeroed: the bits copy() leaves unset
     * are the nulls. A string level's data is sized by measure() exactly.
     */
    void allocateUnzeroed() {
      if (unzeroed() && values > 0) {
        BufferAllocator allocator = dst.getAllocator();
        ArrowFieldNode node = new ArrowFieldNode(values, 0);
        try (ArrowBuf validity = allocator.buffer((values + 7) >>> 3)) {
          validity.setZero(0, validity.capacity());
          if (kind == FIXED) {
            try (ArrowBuf data = allocator.buffer(values * width)) {
              dst.loadFieldBuffers(node, List.of(validity, data)); // takes its own references
            }
          } else {
            try (ArrowBuf offsets = allocator.buffer((values + 1) * OFFSET_WIDTH)) {
              offsets.setInt(0, 0); // copy() writes each piece's offsets after the one before it
              if (kind == LIST) {
                dst.loadFieldBuffers(node, List.of(validity, offsets));
              } else {
                try (ArrowBuf data = allocator.buffer(Math.max(1, bytes))) {
                  dst.loadFieldBuffers(node, List.of(validity, offsets, data));
                }
              }
            }
          }
        }
      }
      for (Level child : children) {
        child.allocateUnzeroed();
      }
    }

    /** After allocateNew: every buffer holds what will be written into it (strings' data grown if the estimate fell short). */
    void checkAllocated() {
      if (dst.getValidityBuffer().capacity() < (values + 7) >>> 3) {
        throw new IllegalStateException("validity of " + dst.getField() + " allocated too small");
      }
      switch (kind) {
        case LIST, VARIABLE -> {
          if (dst.getOffsetBuffer().capacity() < (values + 1) * OFFSET_WIDTH) {
            throw new IllegalStateException("offsets of " + dst.getField() + " allocated too small");
          }
          if (kind == VARIABLE) {
            BaseVariableWidthVector v = (BaseVariableWidthVector) dst;
            while (v.getDataBuffer().capacity() < bytes) {
              v.reallocDataBuffer();
            }
          }
        }
        case BITS -> {
          if (((BitVector) dst).getDataBuffer().capacity() < (values + 7) >>> 3) {
            throw new IllegalStateException("bits of " + dst.getField() + " allocated too small");
          }
        }
        case FIXED -> {
          if (((BaseFixedWidthVector) dst).getDataBuffer().capacity() < values * width) {
            throw new IllegalStateException("values of " + dst.getField() + " allocated too small");
          }
        }
        default -> { }
      }
      for (Level child : children) {
        child.checkAllocated();
      }
    }

    // --- copying: one loop over the pieces per level ----------------------------------------------

    void copy() {
      long validity = dst.getValidityBuffer().memoryAddress();
      long dstOffsets = kind == LIST || kind == VARIABLE ? dst.getOffsetBuffer().memoryAddress() : 0;
      long dstData = kind == VARIABLE || kind == FIXED || kind == BITS ? dst.getDataBuffer().memoryAddress() : 0;
      long at = 0;
      for (int p = 0; p < pieces.size; p++) {
        int s = pieces.source[p];
        long start = pieces.start[p];
        long len = pieces.len[p];
        long total = pieces.written(p);
        if (s < 0) { // nulls or empty lists: no values; the offsets stay where they are
          int base = MemoryUtil.getInt(dstOffsets + at * OFFSET_WIDTH);
          for (long k = 1; k <= total; k++) {
            MemoryUtil.putInt(dstOffsets + (at + k) * OFFSET_WIDTH, base);
          }
          if (s == EMPTIES) {
            ArrowBuffers.setBits(validity, at, total);
          }
        } else if (pieces.each[p] == 1) {
          copyRange(s, start, len, pieces.times[p], at, validity, dstOffsets, dstData, !nullFree[s]);
          if (nullFree[s]) {
            ArrowBuffers.setBits(validity, at, total); // the usual case: values without nulls
          }
        } else { // groups, each written `each` times: measured as one piece, copied group by group
          if (nullFree[s]) {
            // All of the piece's bits at once: set group by group, a few bits each (two rows of a
            // point cloud logged every other frame), they were a bit at a time.
            ArrowBuffers.setBits(validity, at, total);
          }
          if (nullFree[s] && kind != BITS) {
            copyGroups(p, at, dstOffsets, dstData); // fixed-size lists and structs: nothing (validity only, set above)
          } else {
            long each = pieces.each[p];
            long group = pieces.group[p];
            long[] bounds = pieces.bounds[p];
            long groups = group > 0 ? len / group : bounds.length - 1;
            long to = at;
            for (int j = 0; j < groups; j++) {
              long from = group > 0 ? start + j * group : bounds[j];
              long n = group > 0 ? group : bounds[j + 1] - from;
              copyRange(s, from, n, each, to, validity, dstOffsets, dstData, !nullFree[s]);
              to += n * each;
            }
          }
        }
        at += total;
      }
      for (Level child : children) {
        child.copy();
      }
    }

    /**
     * The buffers but validity of piece {@code p} (groups, each written {@code each} times; its
     * source has no null) at {@code at}, in one loop over its groups per buffer: the groups of fill
     * are short (a point cloud logged every other frame: two rows of one cell each), and copying
     * them through {@link #copyRange} one call and one dispatch per group was most of their cost.
     */
    private void copyGroups(int p, long at, long dstOffsets, long dstData) {
      int s = pieces.source[p];
      long start = pieces.start[p];
      long each = pieces.each[p];
      long group = pieces.group[p];
      long[] bounds = pieces.bounds[p];
      long groups = group > 0 ? pieces.len[p] / group : bounds.length - 1;
      // int counters: C2 (Java 17) neither unrolls nor hoists the safepoint poll out of a loop
      // counted in longs, and these loops run per group of a row or two (their offsets loop was 10%
      // of a filled view's scan thread). Counts fit: reserve checked that the level's values fit an int.
      int times = Math.toIntExact(each);
      int count = Math.toIntExact(groups);
      switch (kind) {
        case LIST, VARIABLE -> {
          long src = offsetsAt[s];
          long out = dstOffsets + (at + 1) * OFFSET_WIDTH;
          int base = MemoryUtil.getInt(dstOffsets + at * OFFSET_WIDTH);
          for (int j = 0; j < count; j++) {
            long from = group > 0 ? start + j * group : bounds[j];
            int n = (int) (group > 0 ? group : bounds[j + 1] - from);
            int first = MemoryUtil.getInt(src + from * OFFSET_WIDTH);
            int span = MemoryUtil.getInt(src + (from + n) * OFFSET_WIDTH) - first;
            if (kind == VARIABLE) {
              copyRepeated(dataAt[s] + first, dstData + base, span, each);
            }
            if (n == 1) { // a group of one row (fill's usual): each copy's offset is its end
              for (int e = 0; e < times; e++) {
                base += span;
                MemoryUtil.putInt(out, base);
                out += OFFSET_WIDTH;
              }
              continue;
            }
            long in = src + (from + 1) * OFFSET_WIDTH;
            for (int e = 0; e < times; e++) {
              int shift = base - first;
              for (int k = 0; k < n; k++) {
                MemoryUtil.putInt(out, MemoryUtil.getInt(in + (long) k * OFFSET_WIDTH) + shift);
                out += OFFSET_WIDTH;
              }
              base += span;
            }
          }
        }
        case FIXED -> {
          long to = dstData + at * width;
          for (int j = 0; j < count; j++) {
            long from = group > 0 ? start + j * group : bounds[j];
            long n = (group > 0 ? group : bounds[j + 1] - from) * width;
            copyRepeatedSmall(dataAt[s] + from * width, to, n, times);
            to += n * each;
          }
        }
        default -> { } // fixed-size lists and structs: only their validity at this level
      }
    }

    /**
     * Values {@code [start, start + len)} of source {@code s} at {@code at}, {@code times} times in a
     * row: this level's buffers only, and its validity bits when {@code copyValidity} (a source
     * without nulls has them set for the whole piece instead).
     */
    private void copyRange(int s, long start, long len, long times, long at, long validity, long dstOffsets, long dstData,
        boolean copyValidity) {
      if (len == 0) {
        return;
      }
      switch (kind) {
        case LIST -> copyOffsets(offsetsAt[s], start, len, times, dstOffsets, at);
        case VARIABLE -> {
          long first = MemoryUtil.getInt(offsetsAt[s] + start * OFFSET_WIDTH);
          long base = MemoryUtil.getInt(dstOffsets + at * OFFSET_WIDTH);
          long span = copyOffsets(offsetsAt[s], start, len, times, dstOffsets, at);
          copyRepeated(dataAt[s] + first, dstData + base, span, times);
        }
        case BITS -> {
          for (long j = 0; j < times; j++) {
            ArrowBuffers.copyBits(dataAt[s], start, dstData, at + j * len, len);
          }
        }
        case FIXED -> copyRepeated(dataAt[s] + start * width, dstData + at * width, len * width, times);
        default -> { } // fixed-size lists and structs: only their validity here, their children are levels of their own
      }
      if (copyValidity) {
        for (long j = 0; j < times; j++) {
          ArrowBuffers.copyBits(validityAt[s], start, validity, at + j * len, len);
        }
      }
    }

    /** Marks lists and strings as written up to their last value, so setValueCount keeps their offsets. */
    void finish() {
      int last = (int) values - 1;
      if (dst instanceof ListVector list) {
        list.setLastSet(last);
      } else if (dst instanceof BaseVariableWidthVector v) {
        v.setLastSet(last);
      }
      for (Level child : children) {
        child.finish();
      }
    }
  }

  /**
   * Source offsets {@code start + 1 .. start + len}, moved to start where the target's offset
   * {@code at} is, then the same again {@code times - 1} times, each copy shifted by the span
   * they cover. Returns that span (child values or bytes of one copy).
   */
  private static long copyOffsets(long src, long start, long len, long times, long dst, long at) {
    int first = MemoryUtil.getInt(src + start * OFFSET_WIDTH);
    int base = MemoryUtil.getInt(dst + at * OFFSET_WIDTH);
    int shift = base - first;
    long from = src + (start + 1) * OFFSET_WIDTH;
    long to = dst + (at + 1) * OFFSET_WIDTH;
    // int counters (see copyGroups): a run of a scalar column is a batch's rows, one offset each.
    int n = Math.toIntExact(len);
    for (int k = 0; k < n; k++) {
      MemoryUtil.putInt(to + (long) k * OFFSET_WIDTH, MemoryUtil.getInt(from + (long) k * OFFSET_WIDTH) + shift);
    }
    int span = MemoryUtil.getInt(to + (len - 1) * OFFSET_WIDTH) - base;
    for (long j = 1; j < times; j++) {
      long copy = to + j * len * OFFSET_WIDTH;
      int more = (int) (span * j);
      for (int k = 0; k < n; k++) {
        MemoryUtil.putInt(copy + (long) k * OFFSET_WIDTH, MemoryUtil.getInt(to + (long) k * OFFSET_WIDTH) + more);
      }
    }
    return span;
  }

  /** Groups up to this many bytes are copied a long at a time ({@link #copyRepeatedSmall}). */
  static final long SMALL_COPY = 64;

  /**
   * As {@link #copyRepeated}, by hand for a short run of whole longs (fill's groups: a row of 8
   * points' colors is 32 bytes, written twice): two memory-copy calls per group cost more than
   * moving its four longs (8 against 14 ns per group in a micro-benchmark; at 96 bytes, a row's
   * positions, the calls win: 18 against 21 ns).
   */
  private static void copyRepeatedSmall(long src, long dst, long len, int times) {
    if (len > SMALL_COPY || (len & 7) != 0 || times > 8) { // else the doubling copy calls are few for what they move
      copyRepeated(src, dst, len, times);
      return;
    }
    int words = (int) (len >>> 3);
    for (int k = 0; k < words; k++) {
      long word = MemoryUtil.getLong(src + 8L * k);
      for (int e = 0; e < times; e++) {
        MemoryUtil.putLong(dst + e * len + 8L * k, word);
      }
    }
  }

  /** Copies {@code len} bytes to {@code dst}, then repeats them {@code times - 1} times after, doubling the copied span each step. */
  private static void copyRepeated(long src, long dst, long len, long times) {
    if (len == 0) {
      return;
    }
    MemoryUtil.copyMemory(src, dst, len);
    long total = len * times;
    long filled = len;
    while (filled < total) {
      long n = Math.min(filled, total - filled);
      MemoryUtil.copyMemory(dst, dst + filled, n);
      filled += n;
    }
  }

  private final FieldVector target;
  /** The target's field, asked once: a list vector builds its field anew from its children's on every ask. */
  private Field targetField;
  private final Pieces pieces;
  /** The sources of this batch in the order first seen; a piece names one by its place here. */
  private final List<FieldVector> sources = new ArrayList<>();
  private final Map<FieldVector, Integer> sourceIds = new IdentityHashMap<>();
  /** Per source, whether it is narrower than the target ({@link #checkWidens}): read as the target's type. */
  private final List<Boolean> narrower = new ArrayList<>();
  /** The last source asked for and its id: cells come in runs from one chunk. */
  private FieldVector lastSource;
  private int lastId;
  private long rows;

  /**
   * Pieces the arrays start with at most: runs and fill repeats make a batch's pieces far fewer
   * than its rows, and arrays sized for every row (seven per column and batch) were most of a
   * filled view's heap allocation; a batch of single-row pieces grows them by doubling.
   */
  static final int MAX_INITIAL_PIECES = 64;

  /** @param expectedRows how many rows the batch will have (bounds the piece arrays' first size) */
  CellCopier(FieldVector target, int expectedRows) {
    this.target = requireNonNull(target, "target is null");
    this.pieces = new Pieces(Math.min(expectedRows, MAX_INITIAL_PIECES));
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
    pieces.add(sourceId(source), first, n, 1);
    rows += n;
  }

  /**
   * Appends row {@code row} of {@code source} {@code n} times, as latest-at fill and static data
   * repeat a cell: it is measured and copied from the source once, then its bytes are doubled up
   * within the target (offsets rebased per copy).
   */
  void repeat(FieldVector source, int row, int n) {
    pieces.add(sourceId(source), row, 1, n);
    rows += n;
  }

  /**
   * Appends rows {@code [first, first + n)} of {@code source}, each written {@code each} times
   * before the next, as latest-at fill repeats a chunk logged every {@code each}-th row: one piece
   * for the whole run, copied row by row without per-cell bookkeeping.
   */
  void repeatEach(FieldVector source, int first, int n, int each) {
    if (each < 1) {
      throw new IllegalArgumentException("each must be positive: " + each);
    }
    pieces.addEach(sourceId(source), first, n, each, 1, null);
    rows += (long) n * each;
  }

  private int sourceId(FieldVector source) {
    if (source != lastSource) {
      requireNonNull(source, "source is null");
      Integer id = sourceIds.get(source);
      if (id == null) {
        if (targetField == null) {
          targetField = target.getField();
        }
        // Checked once per source vector, so a batch pays for it once per chunk column.
        boolean same = source.getMinorType() == target.getMinorType() && ColumnTypes.sameValueTypes(source.getField(), targetField);
        if (!same) {
          checkWidens(source);
        }
        id = sources.size();
        sources.add(source);
        narrower.add(!same);
        sourceIds.put(source, id);
      }
      lastSource = source;
      lastId = id;
    }
    return lastId;
  }

  /**
   * A recording's column of another type than the dataset's is read as the dataset's type when it is
   * narrower: registration lets one join (a Null column, a struct with fewer fields), whose missing
   * parts read as null ({@link WiderColumn}, made in {@link #write}). Any other difference (Int32 in one
   * recording, Int64 in another) is refused: copying the buffers as each other's read Int64 cells as
   * pairs of Int32 ones.
   */
  private void checkWidens(FieldVector source) {
    if (ColumnTypes.widensTo(source.getField(), targetField)) {
      return;
    }
    throw CatalogException.failed("Column " + targetField.getName() + " is " + ColumnTypes.text(targetField)
              + " in the dataset but " + ColumnTypes.text(source.getField()) + " in one of its recordings: recordings whose "
              + "columns disagree cannot be read together (unregister one of them)", null);
  }

  void nulls(int n) {
    listTarget();
    pieces.add(NULLS, 0, n, 1);
    rows += n;
  }

  void emptyLists(int n) {
    listTarget();
    pieces.add(EMPTIES, 0, n, 1);
    rows += n;
  }

  private void listTarget() {
    if (!(target instanceof ListVector)) {
      throw new IllegalStateException("nulls and empty lists are appended to list columns only, not to " + target.getField());
    }
  }

  /** Writes the appended cells into the target, which then holds exactly those rows. */
  void write() {
    List<FieldVector> widened = new ArrayList<>();
    try {
      Level top = new Level(target);
      top.bind(readable(widened));
      top.pieces = pieces;
      top.measure();
      target.clear();
      top.reserve();
      target.allocateNew();
      top.allocateUnzeroed();
      top.checkAllocated();
      top.copy();
      top.finish();
      target.setValueCount((int) rows);
    } finally {
      widened.forEach(FieldVector::close);
      pieces.clear();
      sources.clear();
      narrower.clear();
      sourceIds.clear();
      lastSource = null;
      rows = 0;
    }
  }

  /** The sources as the copy reads them: narrower ones as the target's type, made here and added to {@code made}. */
  private FieldVector[] readable(List<FieldVector> made) {
    FieldVector[] readable = sources.toArray(new FieldVector[0]);
    for (int i = 0; i < readable.length; i++) {
      if (narrower.get(i)) {
        readable[i] = WiderColumn.of(readable[i], targetField, target.getAllocator());
        made.add(readable[i]);
      }
    }
    return readable;
  }
}
