package io.rrdflight.rrd;

/** An inclusive range of values on one timeline: {@code min <= t <= max}. */
public record IndexRange(long min, long max) {
  public IndexRange {
    if (min > max) {
      throw new IllegalArgumentException("min " + min + " is greater than max " + max);
    }
  }

  public boolean contains(long value) {
    return min <= value && value <= max;
  }

  public boolean intersects(IndexRange other) {
    return min <= other.max && other.min <= max;
  }

  /** The smallest range that covers both. */
  public IndexRange span(IndexRange other) {
    return new IndexRange(Math.min(min, other.min), Math.max(max, other.max));
  }
}
