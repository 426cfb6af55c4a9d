package io.rrdflight.rrd;

import java.util.Optional;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;

/** How a timeline's values are to be read. All three are stored as 64-bit integers. */
public enum TimelineKind {
  /** A frame or step number: Arrow Int64. */
  SEQUENCE,
  /** Nanoseconds since the Unix epoch, UTC: Arrow Timestamp(ns). Any time zone is accepted on read. */
  TIMESTAMP,
  /** Nanoseconds since some start: Arrow Duration(ns). */
  DURATION;

  /** The kind for an index column's Arrow type, or empty when the type cannot hold a timeline. */
  public static Optional<TimelineKind> fromArrowType(ArrowType type) {
    if (type instanceof ArrowType.Int i && i.getBitWidth() == 64 && i.getIsSigned()) {
      return Optional.of(SEQUENCE);
    }
    if (type instanceof ArrowType.Timestamp t && t.getUnit() == TimeUnit.NANOSECOND) {
      return Optional.of(TIMESTAMP);
    }
    if (type instanceof ArrowType.Duration d && d.getUnit() == TimeUnit.NANOSECOND) {
      return Optional.of(DURATION);
    }
    return Optional.empty();
  }
}
