package io.rrdflight.sql.calcite;

import io.rrdflight.sql.ResultBatches;
import io.rrdflight.sql.calcite.ArrowExpressions.Column;
import io.rrdflight.sql.calcite.ArrowExpressions.Expr;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.calcite.plan.RelOptCluster;
import org.apache.calcite.plan.RelOptCost;
import org.apache.calcite.plan.RelOptPlanner;
import org.apache.calcite.plan.RelTraitSet;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.Filter;
import org.apache.calcite.rel.metadata.RelMetadataQuery;
import org.apache.calcite.rex.RexNode;

/** WHERE on Arrow batches: the condition is evaluated per batch and the matching rows are kept. */
public final class ArrowFilter extends Filter implements ArrowRel {
  private final Expr compiled;

  ArrowFilter(RelOptCluster cluster, RelTraitSet traits, RelNode input, RexNode condition) {
    super(cluster, traits, input, condition);
    this.compiled = ArrowExpressions.compile(condition, input.getRowType())
        .orElseThrow(() -> new IllegalArgumentException("condition not supported on Arrow batches: " + condition));
  }

  @Override
  public Filter copy(RelTraitSet traitSet, RelNode input, RexNode condition) {
    return new ArrowFilter(getCluster(), traitSet, input, condition);
  }

  @Override
  public RelOptCost computeSelfCost(RelOptPlanner planner, RelMetadataQuery mq) {
    return super.computeSelfCost(planner, mq).multiplyBy(0.1); // cheaper than the row engine's
  }

  @Override
  public Schema arrowSchema() {
    return ((ArrowRel) getInput()).arrowSchema();
  }

  @Override
  public ResultBatches open(ArrowExecution execution) {
    ResultBatches input = ((ArrowRel) getInput()).open(execution);
    try {
      VectorSchemaRoot out = VectorSchemaRoot.create(arrowSchema(), execution.allocator());
      return new ArrowBatches(out, input) {
        private int[] selected = new int[0];

        @Override
        protected boolean fill() {
          while (input.next()) {
            execution.context().checkNow();
            VectorSchemaRoot in = input.root();
            int rows = in.getRowCount();
            Column keep = compiled.evaluate(in, execution);
            if (selected.length < rows) {
              selected = new int[rows];
            }
            int count = 0;
            for (int r = 0; r < rows; r++) {
              if (!keep.isNull(r) && keep.getLong(r) != 0) {
                selected[count++] = r;
              }
            }
            if (count == 0) {
              continue;
            }
            if (count == rows) {
              ArrowColumns.transfer(in, out);
            } else {
              ArrowColumns.copyRows(in, selected, count, out);
            }
            return true;
          }
          return false;
        }
      };
    } catch (RuntimeException e) {
      input.close();
      throw e;
    }
  }
}
