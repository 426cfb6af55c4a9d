package io.rrdflight.sql.calcite;

import io.rrdflight.sql.ResultBatches;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.calcite.plan.Convention;
import org.apache.calcite.rel.RelNode;

/**
 * A relational operator that runs on Arrow batches: the adapter's own convention. The planner
 * converts filters, projections, aggregates and sorts over dataset scans into it (see
 * {@link ArrowRules}); whatever it cannot convert stays in Calcite's enumerable convention above an
 * {@link ArrowToEnumerableConverter}. A plan whose root is in this convention streams its batches
 * straight to the client.
 */
public interface ArrowRel extends RelNode {
  Convention CONVENTION = new Convention.Impl("RERUN_ARROW", ArrowRel.class);

  /** The Arrow fields of this operator's batches: dataset columns keep Rerun's own types. */
  Schema arrowSchema();

  /** Starts this operator (and its inputs) for one execution; the caller closes the batches. */
  ResultBatches open(ArrowExecution execution);
}
