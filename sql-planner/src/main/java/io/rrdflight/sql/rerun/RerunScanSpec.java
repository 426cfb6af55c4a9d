package io.rrdflight.sql.rerun;

import static java.util.Objects.requireNonNull;

import io.rrdflight.rrd.IndexRange;
import java.util.Arrays;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What a {@link RerunTableScan} reads, narrowed by {@link RerunRules}: which partitions, which index
 * range and which columns. Typed values travel from the rule to the scan; nothing is parsed back
 * from strings.
 *
 * @param partitionIds the partitions to read; empty = all (of the table's own selection)
 * @param range the index range (intersected with the table's own)
 * @param projection view columns to return, in order; empty = all
 * @param empty a pushed filter can match nothing (e.g. disjoint ranges): read no chunk at all
 */
public record RerunScanSpec(Optional<SortedSet<String>> partitionIds, IndexRange range, Optional<int[]> projection, boolean empty) {
  public static final RerunScanSpec ALL = new RerunScanSpec(Optional.empty(), IndexRange.EVERYTHING, Optional.empty(), false);

  public RerunScanSpec {
    requireNonNull(partitionIds, "partitionIds is null");
    requireNonNull(range, "range is null");
    requireNonNull(projection, "projection is null");
    partitionIds = partitionIds.map(s -> java.util.Collections.unmodifiableSortedSet(new TreeSet<>(s)));
    projection = projection.map(int[]::clone);
  }

  /** Keeps only partitions in {@code ids} as well. */
  public RerunScanSpec withPartitions(SortedSet<String> ids) {
    SortedSet<String> merged = new TreeSet<>(ids);
    partitionIds.ifPresent(merged::retainAll);
    return new RerunScanSpec(Optional.of(merged), range, projection, empty || merged.isEmpty());
  }

  public RerunScanSpec withRange(Optional<IndexRange> narrower) {
    Optional<IndexRange> r = narrower.flatMap(range::intersection);
    return new RerunScanSpec(partitionIds, r.orElse(range), projection, empty || r.isEmpty());
  }

  public RerunScanSpec withProjection(int[] columns) {
    int[] mapped = columns.clone();
    projection.ifPresent(p -> {
      for (int i = 0; i < mapped.length; i++) {
        mapped[i] = p[mapped[i]];
      }
    });
    return new RerunScanSpec(partitionIds, range, Optional.of(mapped), empty);
  }

  /** The view column behind scan field {@code field}. */
  public int viewColumn(int field) {
    return projection.map(p -> p[field]).orElse(field);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RerunScanSpec s && partitionIds.equals(s.partitionIds) && range.equals(s.range) && empty == s.empty
        && projection.map(Arrays::toString).equals(s.projection.map(Arrays::toString));
  }

  @Override
  public int hashCode() {
    return partitionIds.hashCode() * 31 + range.hashCode() + projection.map(Arrays::hashCode).orElse(0);
  }
}
