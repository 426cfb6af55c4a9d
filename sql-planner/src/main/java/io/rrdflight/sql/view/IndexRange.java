package io.rrdflight.sql.view;

/**
 * An inclusive range of values on the index timeline, {@code min <= t <= max}, as Rerun's
 * {@code filter_range_*} sets it. Values are raw 64-bit: sequence numbers or nanoseconds.
 */
public record IndexRange(long min, long max) {
  /** Every legal value; {@code Long.MIN_VALUE} is Rerun's static sentinel, never a temporal value. */
  public static final IndexRange EVERYTHING = new IndexRange(Long.MIN_VALUE + 1, Long.MAX_VALUE);

  public IndexRange {
    if (min > max) {
      throw new IllegalArgumentException("empty index range: min " + min + " > max " + max);
    }
  }

  /** A range that may be empty: empty when {@code min > max} (a filter that matches nothing). */
  public static java.util.Optional<IndexRange> ofPossiblyEmpty(long min, long max) {
    return min > max ? java.util.Optional.empty() : java.util.Optional.of(new IndexRange(min, max));
  }

  public boolean contains(long value) {
    return min <= value && value <= max;
  }

  public boolean intersects(long otherMin, long otherMax) {
    return min <= otherMax && otherMin <= max;
  }

  public boolean isEverything() {
    return min <= EVERYTHING.min && max == Long.MAX_VALUE;
  }

  /** The intersection, empty when the ranges do not overlap. */
  public java.util.Optional<IndexRange> intersect(IndexRange other) {
    return ofPossiblyEmpty(Math.max(min, other.min), Math.min(max, other.max));
  }

  @Override
  public String toString() {
    return "[" + (min <= EVERYTHING.min ? "-inf" : Long.toString(min)) + ", " + (max == Long.MAX_VALUE ? "+inf" : Long.toString(max)) + "]";
  }
}
