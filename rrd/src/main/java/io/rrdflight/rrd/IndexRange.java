package io.rrdflight.rrd;

import java.util.Optional;

/** An inclusive range of values on one timeline: {@code min <= t <= max}. */
public record IndexRange(long min, long max) {
  /**
   * Every temporal value. {@code Long.MIN_VALUE} is Rerun's static sentinel ({@code TimeInt::STATIC}),
   * never the time of temporal data, so the smallest legal time is one above it.
   */
  public static final IndexRange EVERYTHING = new IndexRange(Long.MIN_VALUE + 1, Long.MAX_VALUE);

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

  /** The values in both ranges; empty when they do not overlap. */
  public Optional<IndexRange> intersection(IndexRange other) {
    long lo = Math.max(min, other.min);
    long hi = Math.min(max, other.max);
    return lo > hi ? Optional.empty() : Optional.of(new IndexRange(lo, hi));
  }

  /** True when the range holds every temporal value (no filter). */
  public boolean isEverything() {
    return min <= EVERYTHING.min && max == Long.MAX_VALUE;
  }
}
