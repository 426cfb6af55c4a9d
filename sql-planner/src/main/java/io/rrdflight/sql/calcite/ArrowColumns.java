package io.rrdflight.sql.calcite;

import io.rrdflight.sql.calcite.ArrowExpressions.Column;
import io.rrdflight.sql.calcite.ArrowExpressions.Values;
import io.rrdflight.sql.engine.ArrowBuffers;
import io.rrdflight.sql.engine.RowCopier;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DurationVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeStampMilliVector;
import org.apache.arrow.vector.TimeStampNanoVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Writing computed values into Arrow vectors, reading numbers out of them a batch at a time, and
 * copying chosen rows of one batch into another. The bulk reads and writes move a buffer with one
 * bounds check instead of Arrow's checked access per value (and per validity bit), which was most
 * of a GROUP BY's time above the scan.
 */
final class ArrowColumns {
  private ArrowColumns() {}

  /**
   * Every value of a vector of doubles or 64-bit integers (Rerun's scalars, sequences, timestamps,
   * durations), as {@link ArrowExpressions#vectorColumn} reads them (TIMESTAMP as Calcite's
   * milliseconds), or null for another vector.
   */
  static Values read(FieldVector v) {
    int n = v.getValueCount();
    if (v instanceof Float8Vector) {
      return new Values(nulls(v, n), null, ArrowBuffers.doubles(v.getDataBuffer(), n));
    }
    if (v instanceof BigIntVector || v instanceof TimeStampMilliVector || v instanceof TimeStampNanoVector || v instanceof DurationVector) {
      long[] longs = ArrowBuffers.longs(v.getDataBuffer(), n);
      if (v instanceof TimeStampNanoVector) {
        for (int i = 0; i < n; i++) {
          longs[i] = Math.floorDiv(longs[i], 1_000_000L); // Calcite's TIMESTAMP is milliseconds
        }
      }
      return new Values(nulls(v, n), longs, null);
    }
    return null;
  }

  /** The first {@code rows + 1} offsets of a list or string vector. */
  static int[] offsets(FieldVector vector, int rows) {
    return rows > 0 ? ArrowBuffers.ints(vector.getOffsetBuffer(), rows + 1) : new int[rows + 1];
  }

  private static boolean[] nulls(FieldVector v, int n) {
    return v.getNullCount() > 0 ? ArrowBuffers.nulls(v.getValidityBuffer(), n) : new boolean[n];
  }

  /**
   * Replaces {@code out}'s contents with {@code values[0, rows)}; {@code out} is of the type
   * {@link RerunSqlTypes#toField} gives. Doubles and BIGINTs are written in bulk.
   */
  static void setAll(FieldVector out, Column values, int rows) {
    out.clear();
    if (rows > 0 && (out instanceof Float8Vector || out instanceof BigIntVector)) {
      boolean doubles = out instanceof Float8Vector;
      ((BaseFixedWidthVector) out).allocateNew(rows);
      byte[] validity = new byte[(rows + 7) / 8];
      ByteBuffer data = ArrowBuffers.view(out.getDataBuffer(), 8L * rows);
      for (int r = 0; r < rows; r++) {
        if (!values.isNull(r)) {
          validity[r >> 3] |= (byte) (1 << (r & 7));
          if (doubles) {
            data.putDouble(8 * r, values.getDouble(r));
          } else {
            data.putLong(8 * r, values.getLong(r));
          }
        }
      }
      out.getValidityBuffer().setBytes(0, validity);
    } else {
      out.allocateNew();
      for (int r = 0; r < rows; r++) {
        set(out, r, values, r);
      }
    }
    out.setValueCount(rows);
  }

  /** Sets {@code out[row]} from {@code value[from]}; {@code out} is of the type {@link RerunSqlTypes#toField} gives. */
  static void set(FieldVector out, int row, Column value, int from) {
    if (value.isNull(from)) {
      out.setNull(row);
      return;
    }
    if (out instanceof BigIntVector v) {
      v.setSafe(row, value.getLong(from));
    } else if (out instanceof Float8Vector v) {
      v.setSafe(row, value.getDouble(from));
    } else if (out instanceof IntVector v) {
      v.setSafe(row, (int) value.getLong(from));
    } else if (out instanceof Float4Vector v) {
      v.setSafe(row, (float) value.getDouble(from));
    } else if (out instanceof BitVector v) {
      v.setSafe(row, value.getLong(from) != 0 ? 1 : 0);
    } else if (out instanceof VarCharVector v) {
      v.setSafe(row, value.getString(from).getBytes(StandardCharsets.UTF_8));
    } else if (out instanceof TimeStampMilliVector v) {
      v.setSafe(row, value.getLong(from));
    } else if (out instanceof SmallIntVector v) {
      v.setSafe(row, (short) value.getLong(from));
    } else if (out instanceof TinyIntVector v) {
      v.setSafe(row, (byte) value.getLong(from));
    } else {
      throw new IllegalStateException("no writer for " + out.getField());
    }
  }

  /** Whether {@link #set} can write a vector with this field's type. */
  static boolean writable(org.apache.arrow.vector.types.pojo.Field f) {
    return switch (f.getType().getTypeID()) {
      case Int, FloatingPoint, Bool, Utf8 -> true;
      case Timestamp -> ((org.apache.arrow.vector.types.pojo.ArrowType.Timestamp) f.getType()).getUnit()
          == org.apache.arrow.vector.types.TimeUnit.MILLISECOND;
      default -> false;
    };
  }

  /**
   * Copies rows {@code rows[0..count)} of {@code in} into {@code out} (same columns), replacing its
   * contents, through the engine's copier: any type Rerun produces (fixed-size lists, unions too).
   */
  static void copyRows(VectorSchemaRoot in, int[] rows, int count, VectorSchemaRoot out) {
    for (int c = 0; c < out.getFieldVectors().size(); c++) {
      RowCopier.copyRows(in.getVector(c), rows, count, out.getVector(c));
    }
    out.setRowCount(count);
  }

  /**
   * Copies the rows {@code refs[from..from + count)} name, each {@code batch << 32 | row} of
   * {@code batches}, into {@code out} (same columns), replacing its contents.
   */
  static void copyRows(List<VectorSchemaRoot> batches, long[] refs, int from, int count, VectorSchemaRoot out) {
    for (int c = 0; c < out.getFieldVectors().size(); c++) {
      RowCopier copier = new RowCopier(out.getVector(c), count);
      for (int i = from; i < from + count; i++) {
        copier.rows(batches.get((int) (refs[i] >>> 32)).getVector(c), (int) refs[i], 1);
      }
      copier.write();
    }
    out.setRowCount(count);
  }

  /** Moves every buffer of {@code in} into {@code out} (same columns): no copy. */
  static void transfer(VectorSchemaRoot in, VectorSchemaRoot out) {
    for (int c = 0; c < out.getFieldVectors().size(); c++) {
      in.getVector(c).makeTransferPair(out.getVector(c)).transfer();
    }
    out.setRowCount(in.getRowCount());
  }
}
