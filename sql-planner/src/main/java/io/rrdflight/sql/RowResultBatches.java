package io.rrdflight.sql;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeMilliVector;
import org.apache.arrow.vector.TimeStampMilliVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A row-at-a-time query result (Calcite's enumerable engine, through its JDBC ResultSet) copied
 * into Arrow batches. Used for plans the columnar path does not cover (joins, aggregates…).
 * A query's result as a sequence of Arrow batches of at most {@code batchRows} rows, filled one
 * batch at a time into the same {@link #root()}, so memory stays bounded whatever the result size.
 */
final class RowResultBatches implements ResultBatches {
  /** How often (in rows) a batch checks whether it has reached TARGET_BATCH_BYTES. */
  private static final int SIZE_CHECK_ROWS = 1024;

  private final ResultSet resultSet;
  private final VectorSchemaRoot root;
  private final int batchRows;
  private final List<ColumnWriter> writers = new ArrayList<>();
  private boolean exhausted;

  RowResultBatches(ResultSet resultSet, Schema schema, BufferAllocator allocator, int batchRows) {
    if (batchRows <= 0) {
      throw new IllegalArgumentException("batchRows must be positive: " + batchRows);
    }
    this.resultSet = Objects.requireNonNull(resultSet, "resultSet is null");
    this.root = VectorSchemaRoot.create(schema, allocator);
    this.batchRows = batchRows;
    for (int i = 0; i < root.getFieldVectors().size(); i++) {
      writers.add(writerFor(root.getVector(i), i + 1));
    }
  }

  @Override
  public VectorSchemaRoot root() {
    return root;
  }

  /** Loads the next batch into {@link #root()}; false when no rows are left. */
  @Override
  public boolean next() {
    if (exhausted) {
      return false;
    }
    root.allocateNew();
    int row = 0;
    boolean full = false;
    QueryContext context = QueryContext.current();
    try {
      while (row < batchRows && !full) {
        context.check();
        if (!resultSet.next()) {
          exhausted = true;
          break;
        }
        for (ColumnWriter writer : writers) {
          writer.write(resultSet, row);
        }
        row++;
        full = row % SIZE_CHECK_ROWS == 0 && bufferBytes(row) >= TARGET_BATCH_BYTES;
      }
    } catch (QueryAbortedException e) {
      throw e;
    } catch (SQLException | RuntimeException e) {
      throw SqlQueryException.wrapping(SqlEngine.rootMessage(e), e);
    }
    root.setRowCount(row);
    return row > 0;
  }

  /** The bytes the first {@code rows} rows take (value counts are only set once the batch is done). */
  private long bufferBytes(int rows) {
    long bytes = 0;
    for (FieldVector v : root.getFieldVectors()) {
      bytes += v.getBufferSizeFor(rows);
    }
    return bytes;
  }

  @Override
  public void close() {
    root.close();
    try {
      resultSet.close();
    } catch (SQLException e) {
      throw SqlQueryException.wrapping("Closing result failed: " + e.getMessage(), e);
    }
  }

  @FunctionalInterface
  private interface ColumnWriter {
    void write(ResultSet rs, int row) throws SQLException;
  }

  private static ColumnWriter writerFor(FieldVector vector, int column) {
    if (vector instanceof BitVector v) {
      return (rs, row) -> { boolean x = rs.getBoolean(column); if (rs.wasNull()) v.setNull(row); else v.setSafe(row, x ? 1 : 0); };
    } else if (vector instanceof TinyIntVector v) {
      return (rs, row) -> { byte x = rs.getByte(column); if (rs.wasNull()) v.setNull(row); else v.setSafe(row, x); };
    } else if (vector instanceof SmallIntVector v) {
      return (rs, row) -> { short x = rs.getShort(column); if (rs.wasNull()) v.setNull(row); else v.setSafe(row, x); };
    } else if (vector instanceof IntVector v) {
      return (rs, row) -> { int x = rs.getInt(column); if (rs.wasNull()) v.setNull(row); else v.setSafe(row, x); };
    } else if (vector instanceof BigIntVector v) {
      return (rs, row) -> { long x = rs.getLong(column); if (rs.wasNull()) v.setNull(row); else v.setSafe(row, x); };
    } else if (vector instanceof Float4Vector v) {
      return (rs, row) -> { float x = rs.getFloat(column); if (rs.wasNull()) v.setNull(row); else v.setSafe(row, x); };
    } else if (vector instanceof Float8Vector v) {
      return (rs, row) -> { double x = rs.getDouble(column); if (rs.wasNull()) v.setNull(row); else v.setSafe(row, x); };
    } else if (vector instanceof DecimalVector v) {
      return (rs, row) -> {
        BigDecimal x = rs.getBigDecimal(column);
        if (x == null) v.setNull(row); else v.setSafe(row, x.setScale(v.getScale(), java.math.RoundingMode.HALF_UP));
      };
    } else if (vector instanceof DateDayVector v) {
      return (rs, row) -> { java.sql.Date x = rs.getDate(column); if (x == null) v.setNull(row); else v.setSafe(row, (int) x.toLocalDate().toEpochDay()); };
    } else if (vector instanceof TimeMilliVector v) {
      return (rs, row) -> { java.sql.Time x = rs.getTime(column); if (x == null) v.setNull(row); else v.setSafe(row, (int) (x.toLocalTime().toNanoOfDay() / 1_000_000)); };
    } else if (vector instanceof TimeStampMilliVector v) {
      return (rs, row) -> { Timestamp x = rs.getTimestamp(column); if (x == null) v.setNull(row); else v.setSafe(row, x.getTime()); };
    } else if (vector instanceof VarBinaryVector v) {
      return (rs, row) -> { byte[] x = rs.getBytes(column); if (x == null) v.setNull(row); else v.setSafe(row, x); };
    } else if (vector instanceof VarCharVector v) {
      return (rs, row) -> { String x = rs.getString(column); if (x == null) v.setNull(row); else v.setSafe(row, x.getBytes(StandardCharsets.UTF_8)); };
    } else if (vector instanceof org.apache.arrow.vector.NullVector) {
      return (rs, row) -> { };
    }
    throw new SqlQueryException("No Arrow writer for column " + column + " of type " + vector.getField().getType());
  }
}
