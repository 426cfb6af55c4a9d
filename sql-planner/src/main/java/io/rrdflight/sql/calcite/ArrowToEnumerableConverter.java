package io.rrdflight.sql.calcite;

import java.util.List;
import org.apache.calcite.adapter.enumerable.EnumerableRel;
import org.apache.calcite.adapter.enumerable.EnumerableRelImplementor;
import org.apache.calcite.adapter.enumerable.JavaRowFormat;
import org.apache.calcite.adapter.enumerable.PhysType;
import org.apache.calcite.adapter.enumerable.PhysTypeImpl;
import org.apache.calcite.linq4j.tree.Blocks;
import org.apache.calcite.linq4j.tree.Expression;
import org.apache.calcite.linq4j.tree.Expressions;
import org.apache.calcite.plan.ConventionTraitDef;
import org.apache.calcite.plan.RelOptCluster;
import org.apache.calcite.plan.RelOptCost;
import org.apache.calcite.plan.RelOptPlanner;
import org.apache.calcite.plan.RelTraitSet;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.convert.ConverterImpl;
import org.apache.calcite.rel.metadata.RelMetadataQuery;

/**
 * Where a plan leaves the Arrow convention for Calcite's row engine (an operator the adapter does
 * not run on batches, such as most joins): the Arrow subtree's batches become rows. At the root of
 * a plan it marks a query whose every operator runs on batches, which the engine then streams
 * without any rows at all ({@link #arrowPlan}).
 */
public final class ArrowToEnumerableConverter extends ConverterImpl implements EnumerableRel {
  ArrowToEnumerableConverter(RelOptCluster cluster, RelTraitSet traits, RelNode input) {
    super(cluster, ConventionTraitDef.INSTANCE, traits, input);
  }

  @Override
  public RelNode copy(RelTraitSet traitSet, List<RelNode> inputs) {
    return new ArrowToEnumerableConverter(getCluster(), traitSet, sole(inputs));
  }

  @Override
  public RelOptCost computeSelfCost(RelOptPlanner planner, RelMetadataQuery mq) {
    // Turning batches into rows costs about what the rows cost downstream.
    return super.computeSelfCost(planner, mq).multiplyBy(0.1);
  }

  /** The Arrow plan below this converter. */
  public ArrowRel arrowPlan() {
    return (ArrowRel) getInput();
  }

  @Override
  public Result implement(EnumerableRelImplementor implementor, Prefer pref) {
    PhysType physType = PhysTypeImpl.of(implementor.getTypeFactory(), getRowType(), pref.preferArray());
    Expression plan = implementor.stash(arrowPlan(), ArrowRel.class);
    Expression call = Expressions.call(ArrowRows.class, "rows", implementor.getRootExpression(), plan,
        Expressions.constant(physType.getFormat() == JavaRowFormat.SCALAR));
    return implementor.result(physType, Blocks.toBlock(call));
  }
}
