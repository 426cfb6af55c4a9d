package io.rrdflight.sql.calcite;

import java.util.List;
import org.apache.calcite.adapter.enumerable.EnumerableConvention;
import org.apache.calcite.plan.Convention;
import org.apache.calcite.plan.RelOptRule;
import org.apache.calcite.plan.RelTraitSet;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.convert.ConverterRule;
import org.apache.calcite.rel.logical.LogicalAggregate;
import org.apache.calcite.rel.logical.LogicalFilter;
import org.apache.calcite.rel.logical.LogicalProject;
import org.apache.calcite.rel.logical.LogicalSort;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexUtil;

/**
 * The rules that move logical operators into the Arrow convention ({@link ArrowRel}) when their
 * expressions and types can run on batches, and the converter rule back to Calcite's row engine for
 * the rest. The planner's cost model picks between them; our operators cost a tenth of the row
 * engine's, so a query over dataset tables runs on batches as far up as it can.
 */
public final class ArrowRules {
  private ArrowRules() {}

  public static final RelOptRule FILTER = ConverterRule.Config.INSTANCE
      .withConversion(LogicalFilter.class, (LogicalFilter f) -> ArrowExpressions.compile(expanded(f), f.getInput().getRowType()).isPresent(),
          Convention.NONE, ArrowRel.CONVENTION, "ArrowFilterRule")
      .withRuleFactory(FilterRule::new).toRule();

  public static final RelOptRule PROJECT = ConverterRule.Config.INSTANCE
      .withConversion(LogicalProject.class, (LogicalProject p) -> ArrowProject.supports(p.getProjects(), p.getInput().getRowType()),
          Convention.NONE, ArrowRel.CONVENTION, "ArrowProjectRule")
      .withRuleFactory(ProjectRule::new).toRule();

  public static final RelOptRule AGGREGATE = ConverterRule.Config.INSTANCE
      .withConversion(LogicalAggregate.class, ArrowAggregate::supports, Convention.NONE, ArrowRel.CONVENTION, "ArrowAggregateRule")
      .withRuleFactory(AggregateRule::new).toRule();

  public static final RelOptRule SORT = ConverterRule.Config.INSTANCE
      .withConversion(LogicalSort.class, ArrowSort::supports, Convention.NONE, ArrowRel.CONVENTION, "ArrowSortRule")
      .withRuleFactory(SortRule::new).toRule();

  public static final RelOptRule TO_ENUMERABLE = ConverterRule.Config.INSTANCE
      .withConversion(RelNode.class, ArrowRel.CONVENTION, EnumerableConvention.INSTANCE, "ArrowToEnumerableConverterRule")
      .withRuleFactory(ToEnumerableRule::new).toRule();

  public static final List<RelOptRule> ALL = List.of(FILTER, PROJECT, AGGREGATE, SORT, TO_ENUMERABLE);

  /** The condition with SEARCH (Sarg) calls spelled out as comparisons, which batches evaluate. */
  private static RexNode expanded(LogicalFilter f) {
    return RexUtil.expandSearch(f.getCluster().getRexBuilder(), null, f.getCondition());
  }

  private static RelTraitSet arrow(RelNode rel) {
    return rel.getTraitSet().replace(ArrowRel.CONVENTION);
  }

  private static final class FilterRule extends ConverterRule {
    FilterRule(Config config) {
      super(config);
    }

    @Override
    public RelNode convert(RelNode rel) {
      LogicalFilter f = (LogicalFilter) rel;
      return new ArrowFilter(f.getCluster(), arrow(f), convert(f.getInput(), arrow(f.getInput())), expanded(f));
    }
  }

  private static final class ProjectRule extends ConverterRule {
    ProjectRule(Config config) {
      super(config);
    }

    @Override
    public RelNode convert(RelNode rel) {
      LogicalProject p = (LogicalProject) rel;
      return new ArrowProject(p.getCluster(), arrow(p), convert(p.getInput(), arrow(p.getInput())), p.getProjects(), p.getRowType());
    }
  }

  private static final class AggregateRule extends ConverterRule {
    AggregateRule(Config config) {
      super(config);
    }

    @Override
    public RelNode convert(RelNode rel) {
      LogicalAggregate a = (LogicalAggregate) rel;
      return new ArrowAggregate(a.getCluster(), arrow(a), convert(a.getInput(), arrow(a.getInput())), a.getGroupSet(), a.getAggCallList());
    }
  }

  private static final class SortRule extends ConverterRule {
    SortRule(Config config) {
      super(config);
    }

    @Override
    public RelNode convert(RelNode rel) {
      LogicalSort s = (LogicalSort) rel;
      RelTraitSet traits = arrow(s).replace(s.getCollation());
      return new ArrowSort(s.getCluster(), traits, convert(s.getInput(), arrow(s.getInput()).replace(org.apache.calcite.rel.RelCollations.EMPTY)),
          s.getCollation(), s.offset, s.fetch);
    }
  }

  private static final class ToEnumerableRule extends ConverterRule {
    ToEnumerableRule(Config config) {
      super(config);
    }

    @Override
    public RelNode convert(RelNode rel) {
      return new ArrowToEnumerableConverter(rel.getCluster(), rel.getTraitSet().replace(EnumerableConvention.INSTANCE), rel);
    }
  }
}
