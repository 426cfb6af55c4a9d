package io.rrdflight.sql.rerun;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import org.apache.calcite.adapter.enumerable.EnumerableConvention;
import org.apache.calcite.adapter.enumerable.EnumerableRel;
import org.apache.calcite.adapter.enumerable.EnumerableRelImplementor;
import org.apache.calcite.adapter.enumerable.JavaRowFormat;
import org.apache.calcite.adapter.enumerable.PhysType;
import org.apache.calcite.adapter.enumerable.PhysTypeImpl;
import org.apache.calcite.linq4j.tree.Blocks;
import org.apache.calcite.linq4j.tree.Expression;
import org.apache.calcite.linq4j.tree.Expressions;
import org.apache.calcite.plan.RelOptCluster;
import org.apache.calcite.plan.RelOptCost;
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
import io.rrdflight.rrd.IndexRange;
import io.rrdflight.sql.engine.QueryView;

/**
 * Reads a {@link RerunTable} as narrowed by its {@link RerunScanSpec}. In a plan that is this scan
 * alone, the engine streams it as Arrow batches directly ({@link RerunTable#open}); under joins,
 * aggregates and the like it runs in Calcite's enumerable convention, one row at a time
 * ({@link RerunEnumerables#scan}). EXPLAIN shows the pushed partitions, range and columns.
 */
public final class RerunTableScan extends TableScan implements EnumerableRel {
  private final RerunTable rerunTable;
  private final RerunScanSpec spec;

  private RerunTableScan(RelOptCluster cluster, RelTraitSet traits, RelOptTable table, RerunTable rerunTable, RerunScanSpec spec) {
    super(cluster, traits, List.of(), table);
    this.rerunTable = requireNonNull(rerunTable, "rerunTable is null");
    this.spec = requireNonNull(spec, "spec is null");
  }

  public static RerunTableScan create(RelOptCluster cluster, RelOptTable table, RerunTable rerunTable, RerunScanSpec spec) {
    return new RerunTableScan(cluster, cluster.traitSetOf(EnumerableConvention.INSTANCE), table, rerunTable, spec);
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
  }

  @Override
  public RelDataType deriveRowType() {
    RelDataType full = table.getRowType();
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
        .itemIf("empty", true, spec.empty());
    if (spec.projection().isPresent()) {
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
    return super.estimateRowCount(mq) * (spec.partitionIds().isPresent() ? 0.25 : 1.0) * (spec.range().isEverything() ? 1.0 : 0.25)
        * (spec.empty() ? 0.01 : 1.0);
  }

  @Override
  public RelOptCost computeSelfCost(RelOptPlanner planner, RelMetadataQuery mq) {
    // Narrower scans must look cheaper, or the planner keeps Filter/Project over a full scan.
    double columns = table.getRowType().getFieldCount();
    double factor = (0.2 + 0.8 * getRowType().getFieldCount() / columns)
        * (spec.partitionIds().isPresent() ? 0.5 : 1.0)
        * (spec.range().isEverything() ? 1.0 : 0.5);
    return super.computeSelfCost(planner, mq).multiplyBy(factor);
  }

  @Override
  public Result implement(EnumerableRelImplementor implementor, Prefer pref) {
    PhysType physType = PhysTypeImpl.of(implementor.getTypeFactory(), getRowType(), pref.preferArray());
    QueryView v = rerunTable.narrowed(spec);
    int[] projection = new int[getRowType().getFieldCount()];
    for (int i = 0; i < projection.length; i++) {
      projection[i] = spec.viewColumn(i);
    }
    List<Expression> ids = new ArrayList<>();
    v.partitionIds().ifPresent(s -> s.forEach(id -> ids.add(Expressions.constant(id))));
    List<Expression> columns = new ArrayList<>();
    for (int p : projection) {
      columns.add(Expressions.constant(p));
    }
    Expression call = Expressions.call(RerunEnumerables.class, "scan",
        implementor.getRootExpression(),
        Expressions.constant(rerunTable.dataset().name()),
        Expressions.constant(v.index().orElse(null), String.class),
        Expressions.constant(v.contents().toString()),
        v.partitionIds().isPresent() ? Expressions.newArrayInit(String.class, ids) : Expressions.constant(null, String[].class),
        Expressions.constant(v.range().min()),
        Expressions.constant(v.range().max()),
        Expressions.constant(v.fillLatestAt()),
        Expressions.constant(spec.empty()),
        Expressions.newArrayInit(int.class, columns),
        Expressions.constant(physType.getFormat() == JavaRowFormat.SCALAR));
    return implementor.result(physType, Blocks.toBlock(call));
  }
}
