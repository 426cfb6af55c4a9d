package io.rrdflight.sql.calcite;

import static java.util.Objects.requireNonNull;

import io.rrdflight.rrd.IndexRange;
import io.rrdflight.sql.ResultBatches;
import io.rrdflight.sql.engine.QueryView;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.calcite.plan.RelOptCluster;
import org.apache.calcite.plan.RelOptCost;
import org.apache.calcite.adapter.enumerable.EnumerableRules;
import org.apache.calcite.plan.RelOptPlanner;
import org.apache.calcite.plan.RelOptTable;
import org.apache.calcite.plan.RelTraitSet;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.RelWriter;
import org.apache.calcite.rel.core.TableScan;
import org.apache.calcite.rel.metadata.RelMetadataQuery;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeField;
import org.apache.calcite.rel.type.RelDataTypeFactory;

/**
 * Reads a {@link RerunTable} as narrowed by its {@link RerunScanSpec}: the leaf of every Arrow plan
 * ({@link ArrowRel}), streaming the view's batches ({@link RerunTable#open}) with the spec's
 * parameter filters bound to the execution's values. EXPLAIN shows the pushed partitions, range,
 * parameter filters and columns.
 */
public final class RerunTableScan extends TableScan implements ArrowRel {
  private final RerunTable rerunTable;
  private final RerunScanSpec spec;

  private RerunTableScan(RelOptCluster cluster, RelTraitSet traits, RelOptTable table, RerunTable rerunTable, RerunScanSpec spec) {
    super(cluster, traits, List.of(), table);
    this.rerunTable = requireNonNull(rerunTable, "rerunTable is null");
    this.spec = requireNonNull(spec, "spec is null");
  }

  public static RerunTableScan create(RelOptCluster cluster, RelOptTable table, RerunTable rerunTable, RerunScanSpec spec) {
    return new RerunTableScan(cluster, cluster.traitSetOf(ArrowRel.CONVENTION), table, rerunTable, spec);
  }

  public RerunTableScan withSpec(RerunScanSpec newSpec) {
    return new RerunTableScan(getCluster(), getTraitSet(), getTable(), rerunTable, newSpec);
  }

  public RerunTable rerunTable() {
    return rerunTable;
  }

  public RerunScanSpec spec() {
    return spec;
  }

  @Override
  public RelNode copy(RelTraitSet traitSet, List<RelNode> inputs) {
    return new RerunTableScan(getCluster(), traitSet, getTable(), rerunTable, spec);
  }

  @Override
  public void register(RelOptPlanner planner) {
    RerunRules.ALL.forEach(planner::addRule);
    ArrowRules.ALL.forEach(planner::addRule);
    // A merge join sorts both inputs, so it holds a whole scan (millions of rows) in memory; a hash
    // join holds only its build side, usually the small table. Our Arrow sort costs a tenth of the
    // row engine's, which made merge joins look cheap: keep them out.
    planner.removeRule(EnumerableRules.ENUMERABLE_MERGE_JOIN_RULE);
  }

  @Override
  public RelDataType deriveRowType() {
    RelDataType full = table.getRowType();
    if (spec.countOnly()) {
      RelDataTypeFactory f = getCluster().getTypeFactory();
      return f.builder().add("count", f.createSqlType(org.apache.calcite.sql.type.SqlTypeName.BIGINT)).build();
    }
    if (spec.projection().isEmpty()) {
      return full;
    }
    RelDataTypeFactory.Builder b = getCluster().getTypeFactory().builder();
    for (int column : spec.projection().get()) {
      RelDataTypeField f = full.getFieldList().get(column);
      b.add(f.getName(), f.getType());
    }
    return b.uniquify().build();
  }

  @Override
  public RelWriter explainTerms(RelWriter pw) {
    QueryView v = rerunTable.narrowed(spec);
    RelWriter w = super.explainTerms(pw)
        .item("index", v.index().orElse("<static>"))
        .itemIf("partitions", v.partitionIds().map(List::copyOf).orElse(List.of()), v.partitionIds().isPresent())
        .itemIf("range", describe(v.range()), !v.range().isEverything())
        .itemIf("fill", "latest-at", v.fillLatestAt())
        .itemIf("empty", true, spec.empty())
        .itemIf("bound", spec.bindLater().toString(), !spec.bindLater().isEmpty())
        .itemIf("count", "rows", spec.countOnly());
    if (spec.projection().isPresent() && !spec.countOnly()) {
      List<String> names = new ArrayList<>();
      for (RelDataTypeField f : getRowType().getFieldList()) {
        names.add(f.getName());
      }
      w.item("columns", names);
    }
    return w;
  }

  /** {@code [6, 7]}, {@code [10, +inf]}: a range as EXPLAIN shows it. */
  private static String describe(IndexRange range) {
    return "[" + (range.min() <= IndexRange.EVERYTHING.min() ? "-inf" : Long.toString(range.min())) + ", "
        + (range.max() == Long.MAX_VALUE ? "+inf" : Long.toString(range.max())) + "]";
  }

  @Override
  public double estimateRowCount(RelMetadataQuery mq) {
    // Fewer partitions or a narrower range read fewer rows; the planner must see that, or it keeps
    // the filter above a full scan.
    if (spec.countOnly()) {
      return 1;
    }
    boolean partitions = spec.partitionIds().isPresent() || spec.bindLater().stream().anyMatch(f -> f instanceof RerunScanSpec.PartitionIn);
    return super.estimateRowCount(mq) * (partitions ? 0.25 : 1.0) * (spec.bindLater().isEmpty() ? 1.0 : 0.5) * (spec.range().isEverything() ? 1.0 : 0.25)
        * (spec.empty() ? 0.01 : 1.0);
  }

  @Override
  public RelOptCost computeSelfCost(RelOptPlanner planner, RelMetadataQuery mq) {
    // Narrower scans must look cheaper, or the planner keeps Filter/Project over a full scan.
    double columns = table.getRowType().getFieldCount();
    double factor = (0.2 + 0.8 * getRowType().getFieldCount() / columns)
        * (spec.partitionIds().isPresent() ? 0.5 : 1.0)
        * (spec.range().isEverything() ? 1.0 : 0.5)
        * (spec.countOnly() ? 0.01 : 1.0); // mostly no chunk read at all
    return super.computeSelfCost(planner, mq).multiplyBy(factor);
  }

  @Override
  public Schema arrowSchema() {
    return rerunTable.arrowSchema(spec, getRowType().getFieldNames());
  }

  @Override
  public ResultBatches open(ArrowExecution execution) {
    RerunScanSpec bound = spec.bind(execution.parameters(), rerunTable.index().map(io.rrdflight.rrd.Timeline::kind));
    bound = execution.partitions().map(bound::withPartitions).orElse(bound); // one slice of a split query
    return rerunTable.open(bound, getRowType().getFieldNames(), execution.allocator(), execution.batchRows(), -1);
  }
}
