package io.rrdflight.sql;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.calcite.adapter.enumerable.EnumerableAggregateBase;
import org.apache.calcite.adapter.enumerable.EnumerableBatchNestedLoopJoin;
import org.apache.calcite.adapter.enumerable.EnumerableMergeJoin;
import org.apache.calcite.adapter.enumerable.EnumerableRel;
import org.apache.calcite.adapter.enumerable.EnumerableRelImplementor;
import org.apache.calcite.adapter.enumerable.PhysType;
import org.apache.calcite.adapter.enumerable.PhysTypeImpl;
import org.apache.calcite.linq4j.AbstractEnumerable;
import org.apache.calcite.linq4j.Enumerable;
import org.apache.calcite.linq4j.Enumerator;
import org.apache.calcite.linq4j.tree.BlockBuilder;
import org.apache.calcite.linq4j.tree.Expression;
import org.apache.calcite.linq4j.tree.Expressions;
import org.apache.calcite.linq4j.tree.Types;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.RelWriter;
import org.apache.calcite.rel.SingleRel;
import org.apache.calcite.rel.core.Join;
import org.apache.calcite.rel.core.RepeatUnion;
import org.apache.calcite.rel.core.SetOp;
import org.apache.calcite.rel.core.Sort;
import org.apache.calcite.rel.core.Window;
import org.apache.calcite.tools.Program;

/**
 * A pass-through step between two operators of Calcite's row engine that checks the running query's
 * {@link QueryContext} for every row: cancellation and the deadline stop the query wherever it
 * spends its time (a recursive query, a large join, a sort), not only where our scans produce rows.
 * Where the operator above keeps its input rows until the end (a sort, the build side of a join, a
 * window, a recursive union), the step also charges their estimated size to the memory budget.
 *
 * <p>{@link #PROGRAM} inserts one above every input of every operator after Calcite's own
 * optimisation, so the cost model never sees them.
 */
public final class QueryCheckpoint extends SingleRel implements EnumerableRel {
  private static final Method CHECKED = Types.lookupMethod(QueryCheckpoint.class, "checked", Enumerable.class, boolean.class);

  /** Calcite's standard optimisation, then the checkpoints. */
  static final Program PROGRAM = (planner, rel, traits, materializations, lattices) -> insert(rel);

  private final boolean retains;

  private QueryCheckpoint(RelNode input, boolean retains) {
    super(input.getCluster(), input.getTraitSet(), input);
    this.retains = retains;
  }

  @Override
  public RelNode copy(org.apache.calcite.plan.RelTraitSet traitSet, List<RelNode> inputs) {
    return new QueryCheckpoint(sole(inputs), retains);
  }

  @Override
  public RelWriter explainTerms(RelWriter pw) {
    return super.explainTerms(pw).itemIf("retained", true, retains);
  }

  @Override
  public Result implement(EnumerableRelImplementor implementor, Prefer pref) {
    BlockBuilder builder = new BlockBuilder();
    Result child = implementor.visitChild(this, 0, (EnumerableRel) getInput(), pref);
    Expression input = builder.append("input", child.block);
    builder.add(Expressions.return_(null, Expressions.call(CHECKED, input, Expressions.constant(retains))));
    PhysType physType = PhysTypeImpl.of(implementor.getTypeFactory(), getRowType(), child.format);
    return implementor.result(physType, builder.toBlock());
  }

  /** {@code rel} with a checkpoint above each input of each row-engine operator. */
  static RelNode insert(RelNode rel) {
    List<RelNode> inputs = rel.getInputs();
    if (inputs.isEmpty() || rel instanceof QueryCheckpoint) {
      return rel;
    }
    List<RelNode> checked = new ArrayList<>(inputs.size());
    for (int i = 0; i < inputs.size(); i++) {
      RelNode input = insert(inputs.get(i));
      boolean enumerable = rel instanceof EnumerableRel && input instanceof EnumerableRel;
      checked.add(enumerable ? new QueryCheckpoint(input, retainsInput(rel, i)) : input);
    }
    return rel.copy(rel.getTraitSet(), checked);
  }

  /** {@code rel} without checkpoints: the plan as Calcite chose it, for recognising plan shapes. */
  static RelNode strip(RelNode rel) {
    if (rel instanceof QueryCheckpoint c) {
      return strip(c.getInput());
    }
    List<RelNode> inputs = rel.getInputs();
    if (inputs.isEmpty()) {
      return rel;
    }
    List<RelNode> stripped = inputs.stream().map(QueryCheckpoint::strip).toList();
    return stripped.equals(inputs) ? rel : rel.copy(rel.getTraitSet(), stripped);
  }

  /**
   * Whether {@code rel} keeps the rows of its input {@code i} until it is done: sorts and windows
   * all of them, hash and nested-loop joins their right (build) side, distinct set operations and
   * distinct recursive unions their rows. Aggregates keep groups, not rows, and are not charged
   * per row.
   */
  private static boolean retainsInput(RelNode rel, int i) {
    if (rel instanceof EnumerableAggregateBase) {
      return false;
    }
    if (rel instanceof Sort sort) {
      return sort.fetch == null; // with a fetch, only the top rows are kept
    }
    if (rel instanceof Join) {
      return i == 1 && !(rel instanceof EnumerableMergeJoin) && !(rel instanceof EnumerableBatchNestedLoopJoin);
    }
    // A recursive UNION ALL keeps one iteration at a time (its spool's table is emptied each round),
    // so only a distinct one, which remembers every row it has seen, is charged.
    return rel instanceof Window || (rel instanceof RepeatUnion r && !r.all) || (rel instanceof SetOp setOp && !setOp.all);
  }

  /** Called from generated code: {@code input}, checking the query's context before each row. */
  public static <T> Enumerable<T> checked(Enumerable<T> input, boolean retains) {
    return new AbstractEnumerable<>() {
      @Override
      public Enumerator<T> enumerator() {
        QueryContext context = QueryContext.current();
        Enumerator<T> rows = input.enumerator();
        return new Enumerator<>() {
          @Override
          public T current() {
            return rows.current();
          }

          @Override
          public boolean moveNext() {
            context.check();
            if (!rows.moveNext()) {
              return false;
            }
            if (retains) {
              context.retainHeap(estimatedBytes(rows.current()));
            }
            return true;
          }

          @Override
          public void reset() {
            rows.reset();
          }

          @Override
          public void close() {
            rows.close();
          }
        };
      }
    };
  }

  /** A rough size of one row on the heap: object headers, references and the values' contents. */
  static long estimatedBytes(Object value) {
    if (value == null) {
      return 8;
    }
    if (value instanceof Object[] row) {
      long bytes = 16 + 8L * row.length;
      for (Object v : row) {
        bytes += estimatedBytes(v);
      }
      return bytes;
    }
    if (value instanceof String s) {
      return 40 + s.length();
    }
    if (value instanceof byte[] b) {
      return 16 + b.length;
    }
    if (value instanceof Collection<?> list) {
      long bytes = 40 + 8L * list.size();
      for (Object v : list) {
        bytes += estimatedBytes(v);
      }
      return bytes;
    }
    if (value instanceof Map<?, ?> map) {
      long bytes = 48 + 32L * map.size();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        bytes += estimatedBytes(e.getKey()) + estimatedBytes(e.getValue());
      }
      return bytes;
    }
    return 24; // a boxed number, a boolean, a date
  }
}
