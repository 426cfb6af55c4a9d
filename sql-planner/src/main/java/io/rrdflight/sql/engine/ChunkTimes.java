package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.complex.ListVector;

/**
 * What one temporal chunk adds to a view's row set, learnt when it is decoded: per timeline and
 * component, the distinct index values of the component's non-null cells ({@link TimeSet}), and
 * which components have a cell at all. A view's rows are the distinct index values at which some
 * column has a cell (query-semantics.md §3), so a scan that does not need a column's cells answers
 * that column's share of the rows from this, without decoding the chunk again
 * ({@link ChunkTimesCache}).
 *
 * <p>Exactly what {@link PartitionView}'s row set reads from a decoded chunk: a row counts when its
 * component's list is not null, at the raw value of each timeline vector the chunk has.
 */
final class ChunkTimes {
  private final String entityPath;
  private final Set<String> components;
  /** timeline name → component → its cells' index values. */
  private final Map<String, Map<String, TimeSet>> byTimeline;

  private ChunkTimes(String entityPath, Set<String> components, Map<String, Map<String, TimeSet>> byTimeline) {
    this.entityPath = requireNonNull(entityPath, "entityPath is null");
    this.components = Set.copyOf(components);
    this.byTimeline = byTimeline;
  }

  /** Reads a decoded temporal chunk's timelines and the validity of its components. */
  static ChunkTimes of(ChunkData chunk) {
    requireNonNull(chunk, "chunk is null");
    int rows = chunk.rowCount();
    Map<String, ListVector> lists = new HashMap<>();
    for (String component : chunk.componentNames()) {
      ListVector values = chunk.component(component);
      if (values != null && values.getNullCount() < rows) {
        lists.put(component, values);
      }
    }
    Map<String, Map<String, TimeSet>> byTimeline = new HashMap<>();
    long[] scratch = new long[rows];
    for (String timeline : chunk.timelines().keySet()) {
      long[] times = chunk.times(timeline);
      Map<String, TimeSet> sets = new HashMap<>();
      for (Map.Entry<String, ListVector> list : lists.entrySet()) {
        ListVector values = list.getValue();
        int n = 0;
        boolean sorted = true;
        for (int r = 0; r < rows; r++) {
          if (!values.isNull(r)) {
            long t = times[r];
            sorted &= n == 0 || scratch[n - 1] < t;
            scratch[n++] = t;
          }
        }
        if (!sorted) {
          Arrays.sort(scratch, 0, n);
          n = distinct(scratch, n);
        }
        sets.put(list.getKey(), TimeSet.of(scratch, n));
      }
      byTimeline.put(timeline, sets);
    }
    return new ChunkTimes(chunk.entityPath(), lists.keySet(), byTimeline);
  }

  /** Drops repeats from sorted {@code values[0, n)}; returns the new count. */
  private static int distinct(long[] values, int n) {
    int out = 0;
    for (int i = 0; i < n; i++) {
      if (out == 0 || values[out - 1] != values[i]) {
        values[out++] = values[i];
      }
    }
    return out;
  }

  String entityPath() {
    return entityPath;
  }

  /** Whether the chunk has a non-null cell of {@code component}. */
  boolean has(String component) {
    return components.contains(component);
  }

  /** Per component with cells, their values on {@code timeline}; empty when the chunk is not on it. */
  Map<String, TimeSet> on(String timeline) {
    return byTimeline.getOrDefault(timeline, Map.of());
  }

  /** How many ranges all its sets hold: a chunk of scattered values is not worth keeping. */
  int ranges() {
    int n = 0;
    for (Map<String, TimeSet> sets : byTimeline.values()) {
      for (TimeSet s : sets.values()) {
        n += s.ranges();
      }
    }
    return n;
  }

  long heapBytes() {
    long bytes = 96 + 64L * components.size();
    for (Map<String, TimeSet> sets : byTimeline.values()) {
      bytes += 64;
      for (TimeSet s : sets.values()) {
        bytes += 32 + s.heapBytes();
      }
    }
    return bytes;
  }
}
