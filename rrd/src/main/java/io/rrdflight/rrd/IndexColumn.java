package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import org.apache.arrow.vector.BaseFixedWidthVector;

/**
 * One timeline's column in a chunk. The vector is a BigIntVector, TimeStampNanoVector (or a zoned
 * variant) or DurationVector, depending on {@link Timeline#kind()}; all store 64-bit values, which
 * {@link #value(int)} reads without caring which.
 */
public record IndexColumn(Timeline timeline, BaseFixedWidthVector vector) {
  public IndexColumn {
    requireNonNull(timeline, "timeline is null");
    requireNonNull(vector, "vector is null");
  }

  public boolean isNull(int row) {
    return vector.isNull(row);
  }

  /** The raw 64-bit value of {@code row}: a sequence number or nanoseconds. */
  public long value(int row) {
    return vector.getDataBuffer().getLong((long) row * Long.BYTES);
  }
}
