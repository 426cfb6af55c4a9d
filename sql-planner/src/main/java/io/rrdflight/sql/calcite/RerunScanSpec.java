package io.rrdflight.sql.calcite;

import static java.util.Objects.requireNonNull;

import io.rrdflight.rrd.IndexRange;
import io.rrdflight.rrd.TimelineKind;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import org.apache.calcite.sql.SqlKind;

/**
 * What a {@link RerunTableScan} reads, narrowed by {@link RerunRules}: which partitions, which index
 * range and which columns. Typed values travel from the rule to the scan; nothing is parsed back
 * from strings. Filters on {@code ?} parameters are kept as such and {@link #bind bound} when the
 * statement executes, so a prepared statement is planned once.
 *
 * @param partitionIds the partitions to read; empty = all (of the table's own selection)
 * @param range the index range (intersected with the table's own)
 * @param projection view columns to return, in order; empty = all
 * @param empty a pushed filter can match nothing (e.g. disjoint ranges): read no chunk at all
 * @param bindLater filters whose values are {@code ?} parameters, applied by {@link #bind}
 * @param countOnly the scan returns one row, the number of the view's rows ({@code COUNT(*)} with no
 *     filter but partitions, {@link RerunRules.CountIntoScanRule}), not the rows
 */
public record RerunScanSpec(Optional<SortedSet<String>> partitionIds, IndexRange range, Optional<int[]> projection, boolean empty,
    List<ParameterFilter> bindLater, boolean countOnly) {
  public static final RerunScanSpec ALL = new RerunScanSpec(Optional.empty(), IndexRange.EVERYTHING, Optional.empty(), false, List.of(), false);

  /** A pushed filter on parameter values, known only at execution. */
  public sealed interface ParameterFilter {
    /** The parameter indexes (0-based) it reads. */
    List<Integer> parameters();
  }

  /** {@code rerun_partition_id} is one of {@code literals} or the value of one of {@code parameters} (an OR of equalities). */
  public record PartitionIn(SortedSet<String> literals, List<Integer> parameters) implements ParameterFilter {
    public PartitionIn {
      literals = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(literals));
      parameters = List.copyOf(parameters);
    }

    @Override
    public String toString() {
      List<String> all = new ArrayList<>(literals);
      parameters.forEach(p -> all.add("?" + p));
      return "partition in " + all;
    }
  }

  /** The index compared with a parameter: {@code index <comparison> ?parameter}. */
  public record IndexBound(SqlKind comparison, int parameter) implements ParameterFilter {
    @Override
    public List<Integer> parameters() {
      return List.of(parameter);
    }

    @Override
    public String toString() {
      return "index " + comparison.sql + " ?" + parameter;
    }
  }

  public RerunScanSpec {
    requireNonNull(partitionIds, "partitionIds is null");
    requireNonNull(range, "range is null");
    requireNonNull(projection, "projection is null");
    partitionIds = partitionIds.map(s -> java.util.Collections.unmodifiableSortedSet(new TreeSet<>(s)));
    projection = projection.map(int[]::clone);
    bindLater = List.copyOf(requireNonNull(bindLater, "bindLater is null"));
  }

  /** Keeps only partitions in {@code ids} as well. */
  public RerunScanSpec withPartitions(SortedSet<String> ids) {
    SortedSet<String> merged = new TreeSet<>(ids);
    partitionIds.ifPresent(merged::retainAll);
    return new RerunScanSpec(Optional.of(merged), range, projection, empty || merged.isEmpty(), bindLater, countOnly);
  }

  public RerunScanSpec withRange(Optional<IndexRange> narrower) {
    Optional<IndexRange> r = narrower.flatMap(range::intersection);
    return new RerunScanSpec(partitionIds, r.orElse(range), projection, empty || r.isEmpty(), bindLater, countOnly);
  }

  public RerunScanSpec withProjection(int[] columns) {
    int[] mapped = columns.clone();
    projection.ifPresent(p -> {
      for (int i = 0; i < mapped.length; i++) {
        mapped[i] = p[mapped[i]];
      }
    });
    return new RerunScanSpec(partitionIds, range, Optional.of(mapped), empty, bindLater, countOnly);
  }

  public RerunScanSpec withParameterFilter(ParameterFilter filter) {
    List<ParameterFilter> more = new ArrayList<>(bindLater);
    more.add(filter);
    return new RerunScanSpec(partitionIds, range, projection, empty, more, countOnly);
  }

  /** The scan counting the rows instead of returning them (no column). */
  public RerunScanSpec withCountOnly() {
    return new RerunScanSpec(partitionIds, range, Optional.of(new int[0]), empty, bindLater, true);
  }

  /** Every parameter index the spec's filters read. */
  public List<Integer> parameterIndexes() {
    return bindLater.stream().flatMap(f -> f.parameters().stream()).toList();
  }

  /**
   * The spec with each parameter filter applied to the bound {@code values}: a NULL matches
   * nothing, as {@code = NULL} does in SQL.
   *
   * @param index the kind of the table's index (how a parameter's value becomes the index's raw unit)
   */
  public RerunScanSpec bind(List<Object> values, Optional<TimelineKind> index) {
    RerunScanSpec bound = new RerunScanSpec(partitionIds, range, projection, empty, List.of(), countOnly);
    for (ParameterFilter f : bindLater) {
      if (f instanceof PartitionIn in) {
        SortedSet<String> ids = new TreeSet<>(in.literals());
        for (int p : in.parameters()) {
          Object v = values.get(p);
          if (v != null) {
            ids.add(v instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.UTF_8) : v.toString());
          }
        }
        bound = bound.withPartitions(ids);
      } else if (f instanceof IndexBound b) {
        Object v = values.get(b.parameter());
        Optional<BigDecimal> raw = v == null || index.isEmpty() ? Optional.empty() : Optional.of(RerunRules.rawIndexValue(v, index.get()));
        bound = raw.isEmpty() ? bound.withRange(Optional.empty()) : bound.withRange(RerunRules.rangeOf(b.comparison(), raw.get()).orElse(Optional.empty()));
      }
    }
    return bound;
  }

  /** The view column behind scan field {@code field}. */
  public int viewColumn(int field) {
    return projection.map(p -> p[field]).orElse(field);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RerunScanSpec s && partitionIds.equals(s.partitionIds) && range.equals(s.range) && empty == s.empty
        && projection.map(Arrays::toString).equals(s.projection.map(Arrays::toString)) && bindLater.equals(s.bindLater) && countOnly == s.countOnly;
  }

  @Override
  public int hashCode() {
    return partitionIds.hashCode() * 31 + range.hashCode() + projection.map(Arrays::hashCode).orElse(0) + bindLater.hashCode() + (countOnly ? 1 : 0);
  }
}
