package io.rrdflight.sql.calcite;

import io.rrdflight.sql.calcite.RerunSqlTypes;
import io.rrdflight.sql.ResultBatches;
import io.rrdflight.sql.calcite.ArrowExpressions.Expr;
import io.rrdflight.sql.engine.RowCopier;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.calcite.plan.RelOptCluster;
import org.apache.calcite.plan.RelOptCost;
import org.apache.calcite.plan.RelOptPlanner;
import org.apache.calcite.plan.RelTraitSet;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.Project;
import org.apache.calcite.rel.metadata.RelMetadataQuery;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexNode;

/**
 * SELECT expressions on Arrow batches: a column passes through with its buffers moved, not copied
 * (so ARRAY columns keep Rerun's Arrow list types); a computed value is written per batch.
 */
public final class ArrowProject extends Project implements ArrowRel {
  /** Per output column: the compiled expression, or empty for a column moved from the input. */
  private final List<Optional<Expr>> computed = new ArrayList<>();

  ArrowProject(RelOptCluster cluster, RelTraitSet traits, RelNode input, List<? extends RexNode> projects, RelDataType rowType) {
    super(cluster, traits, List.of(), input, projects, rowType, java.util.Set.of());
    for (RexNode e : projects) {
      computed.add(e instanceof RexInputRef ? Optional.empty() : Optional.of(ArrowExpressions.compile(e, input.getRowType())
          .orElseThrow(() -> new IllegalArgumentException("expression not supported on Arrow batches: " + e))));
    }
  }

  /** Whether every expression can run on batches of {@code input}. */
  static boolean supports(List<? extends RexNode> projects, RelDataType input) {
    for (RexNode e : projects) {
      if (!(e instanceof RexInputRef) && (ArrowExpressions.compile(e, input).isEmpty()
          || !ArrowColumns.writable(RerunSqlTypes.toField("x", e.getType())))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public Project copy(RelTraitSet traitSet, RelNode input, List<RexNode> projects, RelDataType rowType) {
    return new ArrowProject(getCluster(), traitSet, input, projects, rowType);
  }

  @Override
  public RelOptCost computeSelfCost(RelOptPlanner planner, RelMetadataQuery mq) {
    return super.computeSelfCost(planner, mq).multiplyBy(0.1);
  }

  /** Moved columns keep their input's Arrow fields (Rerun's types); computed ones get the SQL type's. */
  @Override
  public Schema arrowSchema() {
    Schema in = ((ArrowRel) getInput()).arrowSchema();
    List<Field> fields = new ArrayList<>();
    for (int i = 0; i < exps.size(); i++) {
      String name = getRowType().getFieldList().get(i).getName();
      if (exps.get(i) instanceof RexInputRef ref) {
        Field f = in.getFields().get(ref.getIndex());
        fields.add(new Field(name, f.getFieldType(), f.getChildren()));
      } else {
        fields.add(RerunSqlTypes.toField(name, exps.get(i).getType()));
      }
    }
    return new Schema(fields);
  }

  @Override
  public ResultBatches open(ArrowExecution execution) {
    ResultBatches input = ((ArrowRel) getInput()).open(execution);
    try {
      VectorSchemaRoot out = VectorSchemaRoot.create(arrowSchema(), execution.allocator());
      List<RexNode> projects = getProjects();
      return new ArrowBatches(out, input) {
        @Override
        protected boolean fill() {
          if (!input.next()) {
            return false;
          }
          VectorSchemaRoot in = input.root();
          int rows = in.getRowCount();
          boolean[] moved = new boolean[in.getFieldVectors().size()];
          List<Integer> moves = new ArrayList<>();
          for (int i = 0; i < projects.size(); i++) {
            FieldVector target = out.getVector(i);
            if (computed.get(i).isPresent()) {
              ArrowColumns.setAll(target, computed.get(i).get().evaluate(in, execution), rows);
            } else {
              int from = ((RexInputRef) projects.get(i)).getIndex();
              if (moved[from]) {
                copyAll(in.getVector(from), target, rows);
              } else {
                moved[from] = true;
                moves.add(i);
              }
            }
          }
          // Moves last: a moved column can no longer be read by the expressions above.
          for (int i : moves) {
            int from = ((RexInputRef) projects.get(i)).getIndex();
            in.getVector(from).makeTransferPair(out.getVector(i)).transfer();
          }
          out.setRowCount(rows);
          return true;
        }
      };
    } catch (RuntimeException e) {
      input.close();
      throw e;
    }
  }

  /** A column referenced twice: the second reference gets a copy (the engine's copier: any type). */
  private static void copyAll(FieldVector from, FieldVector to, int rows) {
    RowCopier copier = new RowCopier(to, rows);
    copier.rows(from, 0, rows);
    copier.write();
  }
}
