package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import java.util.Comparator;

/** A named timeline, such as {@code log_time} or {@code frame}, and how its values read. */
public record Timeline(String name, TimelineKind kind) implements Comparable<Timeline> {
  private static final Comparator<Timeline> ORDER = Comparator.comparing(Timeline::name).thenComparing(Timeline::kind);

  public Timeline {
    requireNonNull(name, "name is null");
    requireNonNull(kind, "kind is null");
  }

  @Override
  public int compareTo(Timeline other) {
    return ORDER.compare(this, other);
  }
}
