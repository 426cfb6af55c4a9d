package io.rrdflight.sql.view;

import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;

/** How an index timeline's 64-bit values read, and the Arrow type Rerun gives its column. */
public enum TimelineKind {
  SEQUENCE(new ArrowType.Int(64, true)),
  TIMESTAMP(new ArrowType.Timestamp(TimeUnit.NANOSECOND, null)),
  DURATION(new ArrowType.Duration(TimeUnit.NANOSECOND));

  private final ArrowType arrowType;

  TimelineKind(ArrowType arrowType) {
    this.arrowType = arrowType;
  }

  public ArrowType arrowType() {
    return arrowType;
  }

  public static TimelineKind of(ArrowType type) {
    if (type instanceof ArrowType.Int i && i.getBitWidth() == 64) {
      return SEQUENCE;
    }
    if (type instanceof ArrowType.Timestamp) {
      return TIMESTAMP;
    }
    if (type instanceof ArrowType.Duration) {
      return DURATION;
    }
    throw new IllegalArgumentException("not a timeline type: " + type);
  }
}
