package io.rrdflight.sql.calcite;

import io.rrdflight.rrd.IndexRange;
import io.rrdflight.rrd.Timeline;
import io.rrdflight.rrd.TimelineKind;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import org.apache.calcite.plan.RelOptRule;
import org.apache.calcite.plan.RelOptRuleCall;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.Filter;
import org.apache.calcite.rel.core.Project;
import org.apache.calcite.rex.RexBuilder;
import org.apache.calcite.rex.RexCall;
import org.apache.calcite.rex.RexDynamicParam;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexUtil;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.plan.RelOptUtil;
import org.apache.calcite.util.TimestampString;

/**
 * Planner rules that push work into {@link RerunTableScan}: partition-id and index-range filters
 * (so only the chunks that can contribute are read) and column projections. Each rule carries a
 * typed {@link RerunScanSpec} to the scan; the part of a filter it cannot absorb stays above it.
 *
 * <p>Written against the older {@link RelOptRule} operand API, which needs no generated rule
 * configs (Calcite's own adapters use Immutables for those).
 */
@SuppressWarnings("deprecation")
public final class RerunRules {
  private RerunRules() {}

  public static final RelOptRule FILTER_INTO_SCAN = new FilterIntoScanRule();
  public static final RelOptRule PROJECT_INTO_SCAN = new ProjectIntoScanRule();
  public static final RelOptRule AGGREGATE_COLUMNS_INTO_SCAN = new AggregateColumnsIntoScanRule();
  public static final RelOptRule COUNT_INTO_SCAN = new CountIntoScanRule();
  public static final List<RelOptRule> ALL = List.of(FILTER_INTO_SCAN, PROJECT_INTO_SCAN, AGGREGATE_COLUMNS_INTO_SCAN, COUNT_INTO_SCAN);

  /** {@code Filter(RerunTableScan)} → {@code [Filter(residual)] RerunTableScan(narrowed)}. */
  static final class FilterIntoScanRule extends RelOptRule {
    FilterIntoScanRule() {
      super(operand(Filter.class, operand(RerunTableScan.class, none())), "RerunFilterIntoScanRule");
    }

    @Override
    public void onMatch(RelOptRuleCall call) {
      Filter filter = call.rel(0);
      RerunTableScan scan = call.rel(1);
      if (scan.spec().countOnly()) {
        return; // its one column is a count, no view column
      }
      RexBuilder rex = filter.getCluster().getRexBuilder();
      RexNode condition = RexUtil.expandSearch(rex, null, filter.getCondition());
      RerunScanSpec spec = scan.spec();
      List<RexNode> residual = new ArrayList<>();
      boolean absorbed = false;
      for (RexNode conjunct : RelOptUtil.conjunctions(condition)) {
        Optional<RerunScanSpec.PartitionIn> ids = partitionIds(conjunct, scan);
        if (ids.isPresent()) {
          spec = ids.get().parameters().isEmpty() ? spec.withPartitions(ids.get().literals()) : spec.withParameterFilter(ids.get());
          absorbed = true;
          continue;
        }
        Optional<RerunScanSpec.IndexBound> bound = indexBound(conjunct, scan);
        if (bound.isPresent()) {
          spec = spec.withParameterFilter(bound.get());
          absorbed = true;
          continue;
        }
        Optional<Optional<IndexRange>> range = indexRange(conjunct, scan);
        if (range.isPresent()) {
          spec = spec.withRange(range.get());
          absorbed = true;
          continue;
        }
        residual.add(conjunct);
      }
      if (!absorbed) {
        return;
      }
      RelNode narrowed = scan.withSpec(spec);
      call.transformTo(residual.isEmpty() ? narrowed
          : filter.copy(filter.getTraitSet(), narrowed, RexUtil.composeConjunction(rex, residual)));
    }

    /** {@code pid = 'a'}, {@code 'a' = pid}, {@code pid = ?}, or an OR of those: the ids and parameters; else empty. */
    private static Optional<RerunScanSpec.PartitionIn> partitionIds(RexNode node, RerunTableScan scan) {
      SortedSet<String> ids = new TreeSet<>();
      List<Integer> parameters = new ArrayList<>();
      for (RexNode disjunct : RelOptUtil.disjunctions(node)) {
        if (!(disjunct instanceof RexCall c) || c.getKind() != SqlKind.EQUALS) {
          return Optional.empty();
        }
        RexNode value = isPartitionId(c.operands.get(0), scan) ? c.operands.get(1)
            : isPartitionId(c.operands.get(1), scan) ? c.operands.get(0) : null;
        if (value == null) {
          return Optional.empty();
        }
        Optional<String> id = stringLiteral(value);
        if (id.isPresent()) {
          ids.add(id.get());
        } else if (unwrapCast(value) instanceof RexDynamicParam p) {
          parameters.add(p.getIndex());
        } else {
          return Optional.empty();
        }
      }
      return Optional.of(new RerunScanSpec.PartitionIn(ids, parameters));
    }

    /** A comparison of the view's index column with a {@code ?} parameter; else empty. */
    private static Optional<RerunScanSpec.IndexBound> indexBound(RexNode node, RerunTableScan scan) {
      Optional<Integer> indexColumn = scan.rerunTable().indexColumn();
      if (indexColumn.isEmpty() || !(node instanceof RexCall c) || c.operands.size() != 2 || !COMPARISONS.contains(c.getKind())) {
        return Optional.empty();
      }
      if (isColumn(c.operands.get(0), scan, indexColumn.get()) && unwrapCast(c.operands.get(1)) instanceof RexDynamicParam p) {
        return Optional.of(new RerunScanSpec.IndexBound(c.getKind(), p.getIndex()));
      }
      if (isColumn(c.operands.get(1), scan, indexColumn.get()) && unwrapCast(c.operands.get(0)) instanceof RexDynamicParam p) {
        return Optional.of(new RerunScanSpec.IndexBound(c.getKind().reverse(), p.getIndex()));
      }
      return Optional.empty();
    }

    static boolean isPartitionId(RexNode node, RerunTableScan scan) {
      return node instanceof RexInputRef ref && scan.spec().viewColumn(ref.getIndex()) == 0;
    }

    private static Optional<String> stringLiteral(RexNode node) {
      RexNode n = unwrapCast(node);
      if (n instanceof RexLiteral lit && lit.getType().getSqlTypeName().getFamily() == org.apache.calcite.sql.type.SqlTypeFamily.CHARACTER
          && lit.getValueAs(String.class) != null) {
        return Optional.of(lit.getValueAs(String.class));
      }
      return Optional.empty();
    }

    /**
     * A comparison of the view's index column with a literal, as an inclusive range (empty when it
     * matches nothing); Optional.empty() when the conjunct is something else.
     */
    private static Optional<Optional<IndexRange>> indexRange(RexNode node, RerunTableScan scan) {
      Optional<Integer> indexColumn = scan.rerunTable().indexColumn();
      Optional<Timeline> index = scan.rerunTable().index();
      if (indexColumn.isEmpty() || !(node instanceof RexCall c) || c.operands.size() != 2) {
        return Optional.empty();
      }
      SqlKind kind = c.getKind();
      RexNode left = c.operands.get(0);
      RexNode right = c.operands.get(1);
      if (!isColumn(left, scan, indexColumn.get())) {
        if (!isColumn(right, scan, indexColumn.get())) {
          return Optional.empty();
        }
        RexNode t = left;
        left = right;
        right = t;
        kind = kind.reverse();
      }
      Optional<BigDecimal> value = numeric(right, index.get().kind());
      if (value.isEmpty()) {
        return Optional.empty();
      }
      return rangeOf(kind, value.get());
    }

    /**
     * Whether {@code node} is the view's column, also as a TIMESTAMP of more digits: Calcite casts a
     * TIMESTAMP(3) column to a nanosecond literal's TIMESTAMP(9), and the scan compares the column's own
     * nanoseconds.
     */
    static boolean isColumn(RexNode node, RerunTableScan scan, int viewColumn) {
      while (node instanceof RexCall c && c.getKind() == SqlKind.CAST && RerunSqlTypes.isTimestamp(c) && RerunSqlTypes.isTimestamp(c.operands.get(0))) {
        node = c.operands.get(0);
      }
      return node instanceof RexInputRef ref && scan.spec().viewColumn(ref.getIndex()) == viewColumn;
    }

    /** A literal as the index's raw 64-bit unit: TIMESTAMP literals as nanoseconds, every digit kept. */
    private static Optional<BigDecimal> numeric(RexNode node, TimelineKind kind) {
      RexNode n = unwrapCast(node);
      if (!(n instanceof RexLiteral lit) || lit.isNull()) {
        return Optional.empty();
      }
      if (kind == TimelineKind.TIMESTAMP) {
        return RerunSqlTypes.epochNanos(lit.getValueAs(TimestampString.class));
      }
      if (lit.getType().getSqlTypeName().getFamily() != org.apache.calcite.sql.type.SqlTypeFamily.NUMERIC) {
        return Optional.empty();
      }
      return Optional.ofNullable(lit.getValueAs(BigDecimal.class));
    }

    static RexNode unwrapCast(RexNode node) {
      while (node instanceof RexCall c && c.getKind() == SqlKind.CAST) {
        node = c.operands.get(0);
      }
      return node;
    }

  }

  private static final java.util.Set<SqlKind> COMPARISONS = java.util.EnumSet.of(SqlKind.EQUALS, SqlKind.GREATER_THAN,
      SqlKind.GREATER_THAN_OR_EQUAL, SqlKind.LESS_THAN, SqlKind.LESS_THAN_OR_EQUAL);

  /**
   * {@code index <kind> v} (v in the index's raw unit) as an inclusive range, empty when it matches
   * nothing; Optional.empty() for a comparison that is not a range.
   */
  static Optional<Optional<IndexRange>> rangeOf(SqlKind kind, BigDecimal v) {
    long floor = clamp(v.setScale(0, RoundingMode.FLOOR));
    long ceil = clamp(v.setScale(0, RoundingMode.CEILING));
    long lo = IndexRange.EVERYTHING.min();
    long hi = IndexRange.EVERYTHING.max();
    return switch (kind) {
      case GREATER_THAN_OR_EQUAL -> Optional.of(possiblyEmpty(Math.max(lo, ceil), hi));
      case GREATER_THAN -> Optional.of(floor == Long.MAX_VALUE ? Optional.empty() : possiblyEmpty(Math.max(lo, floor + 1), hi));
      case LESS_THAN_OR_EQUAL -> Optional.of(possiblyEmpty(lo, floor));
      case LESS_THAN -> Optional.of(possiblyEmpty(lo, ceil == Long.MIN_VALUE ? Long.MIN_VALUE : ceil - 1));
      case EQUALS -> Optional.of(floor == ceil ? possiblyEmpty(Math.max(lo, floor), floor) : Optional.empty());
      default -> Optional.empty();
    };
  }

  /**
   * A bound parameter value in the index's raw unit: timestamps as nanoseconds, every digit kept; a
   * number compared with a TIMESTAMP index is milliseconds, as Calcite's.
   */
  static BigDecimal rawIndexValue(Object v, TimelineKind kind) {
    Optional<BigDecimal> nanos = RerunSqlTypes.epochNanos(v);
    if (nanos.isPresent()) {
      return nanos.get();
    }
    if (v instanceof Number n) {
      BigDecimal d = new BigDecimal(n.toString());
      return kind == TimelineKind.TIMESTAMP ? d.multiply(BigDecimal.valueOf(1_000_000L)) : d;
    }
    throw new io.rrdflight.sql.SqlQueryException("A value compared with the index must be a number or a timestamp: " + v);
  }

  /** The range [min, max], or empty when min > max (a filter that matches nothing). */
  private static Optional<IndexRange> possiblyEmpty(long min, long max) {
    return min > max ? Optional.empty() : Optional.of(new IndexRange(min, max));
  }

  private static long clamp(BigDecimal v) {
    if (v.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) >= 0) {
      return Long.MAX_VALUE;
    }
    if (v.compareTo(BigDecimal.valueOf(Long.MIN_VALUE)) <= 0) {
      return Long.MIN_VALUE;
    }
    return v.longValueExact();
  }

  /**
   * {@code Project(column refs)(RerunTableScan)} → {@code RerunTableScan(columns)}; a projection
   * with expressions stays, over a scan of just the columns it reads.
   */
  static final class ProjectIntoScanRule extends RelOptRule {
    ProjectIntoScanRule() {
      super(operand(Project.class, operand(RerunTableScan.class, none())), "RerunProjectIntoScanRule");
    }

    @Override
    public void onMatch(RelOptRuleCall call) {
      Project project = call.rel(0);
      RerunTableScan scan = call.rel(1);
      if (scan.spec().countOnly()) {
        return;
      }
      int[] columns = new int[project.getProjects().size()];
      boolean refsOnly = true;
      for (int i = 0; i < columns.length; i++) {
        if (project.getProjects().get(i) instanceof RexInputRef ref) {
          columns[i] = ref.getIndex();
        } else {
          refsOnly = false;
        }
      }
      if (refsOnly && columns.length > 0) {
        call.transformTo(scan.withSpec(scan.spec().withProjection(columns)));
        return;
      }
      int fields = scan.getRowType().getFieldCount();
      org.apache.calcite.util.ImmutableBitSet used = RelOptUtil.InputFinder.bits(project.getProjects(), null);
      if (refsOnly || used.cardinality() >= fields || used.isEmpty()) {
        return;
      }
      org.apache.calcite.util.mapping.Mappings.TargetMapping mapping =
          org.apache.calcite.util.mapping.Mappings.target(used::indexOf, fields, used.cardinality());
      List<RexNode> remapped = new ArrayList<>();
      for (RexNode e : project.getProjects()) {
        remapped.add(e.accept(new org.apache.calcite.rex.RexPermuteInputsShuttle(mapping, scan)));
      }
      RelNode narrowed = scan.withSpec(scan.spec().withProjection(used.toArray()));
      call.transformTo(project.copy(project.getTraitSet(), narrowed, remapped, project.getRowType()));
    }
  }

  /**
   * {@code Aggregate(RerunTableScan)} reading fewer columns than the scan returns → the aggregate
   * over a scan of just those columns; none at all for {@code COUNT(*)}, where the scan then only
   * counts rows (batches with no columns, which only the Arrow operators read).
   */
  static final class AggregateColumnsIntoScanRule extends RelOptRule {
    AggregateColumnsIntoScanRule() {
      super(operand(org.apache.calcite.rel.logical.LogicalAggregate.class, operand(RerunTableScan.class, none())),
          "RerunAggregateColumnsIntoScanRule");
    }

    @Override
    public void onMatch(RelOptRuleCall call) {
      org.apache.calcite.rel.logical.LogicalAggregate agg = call.rel(0);
      RerunTableScan scan = call.rel(1);
      if (scan.spec().countOnly()) {
        return;
      }
      int fields = scan.getRowType().getFieldCount();
      org.apache.calcite.util.ImmutableBitSet used = org.apache.calcite.util.ImmutableBitSet.of(
          org.apache.calcite.plan.RelOptUtil.getAllFields(agg));
      if (used.cardinality() >= fields || agg.getGroupType() != org.apache.calcite.rel.core.Aggregate.Group.SIMPLE) {
        return;
      }
      int[] columns = used.toArray();
      org.apache.calcite.util.mapping.Mappings.TargetMapping mapping =
          org.apache.calcite.util.mapping.Mappings.target(used::indexOf, fields, columns.length);
      List<org.apache.calcite.rel.core.AggregateCall> calls = new ArrayList<>();
      for (org.apache.calcite.rel.core.AggregateCall c : agg.getAggCallList()) {
        calls.add(c.transform(mapping));
      }
      RelNode narrowed = scan.withSpec(scan.spec().withProjection(columns));
      org.apache.calcite.util.ImmutableBitSet groups = org.apache.calcite.util.ImmutableBitSet.of(
          agg.getGroupSet().asList().stream().map(used::indexOf).toList());
      call.transformTo(agg.copy(agg.getTraitSet(), narrowed, groups, null, calls));
    }
  }

  /**
   * {@code Aggregate(COUNT(*))} with no group over a scan of a whole timeline view (no range, no
   * parameter filter, no fill; partitions may be narrowed) → a count-only scan: each partition's
   * row count as a scan learnt it ({@code ViewCountBatches}), so a count decodes nothing once the
   * counts are known. Any other aggregate, a filter on the index or on parameters keeps the scan.
   */
  static final class CountIntoScanRule extends RelOptRule {
    CountIntoScanRule() {
      super(operand(org.apache.calcite.rel.logical.LogicalAggregate.class, operand(RerunTableScan.class, none())), "RerunCountIntoScanRule");
    }

    @Override
    public void onMatch(RelOptRuleCall call) {
      org.apache.calcite.rel.logical.LogicalAggregate agg = call.rel(0);
      RerunTableScan scan = call.rel(1);
      RerunScanSpec spec = scan.spec();
      if (!agg.getGroupSet().isEmpty() || agg.getGroupType() != org.apache.calcite.rel.core.Aggregate.Group.SIMPLE
          || agg.getAggCallList().size() != 1 || spec.countOnly() || spec.empty() || !spec.bindLater().isEmpty()
          || !spec.range().isEverything()) {
        return;
      }
      org.apache.calcite.rel.core.AggregateCall count = agg.getAggCallList().get(0);
      if (count.getAggregation().getKind() != org.apache.calcite.sql.SqlKind.COUNT || !count.getArgList().isEmpty() || count.isDistinct()
          || count.filterArg >= 0) {
        return;
      }
      io.rrdflight.sql.engine.QueryView view = scan.rerunTable().narrowed(spec);
      if (view.index().isEmpty() || !view.range().isEverything() || view.fillLatestAt()) {
        return;
      }
      call.transformTo(scan.withSpec(spec.withCountOnly()));
    }
  }
}
