package io.rrdflight.sql.calcite;

import io.rrdflight.sql.QueryContext;
import io.rrdflight.sql.ResultBatches;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.DurationVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TimeStampMilliVector;
import org.apache.arrow.vector.TimeStampNanoVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.calcite.DataContext;
import org.apache.calcite.linq4j.AbstractEnumerable;
import org.apache.calcite.linq4j.Enumerable;
import org.apache.calcite.linq4j.Enumerator;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rex.RexDynamicParam;
import org.apache.calcite.rex.RexShuttle;

/**
 * The rows of an Arrow plan for Calcite's row engine, called from the code an
 * {@link ArrowToEnumerableConverter} generates: each batch's cells as the Java values the
 * enumerable operators expect ({@link RerunSqlTypes#toSqlValue}), the statement's {@code ?} values
 * taken from Calcite's data context.
 */
public final class ArrowRows {
  /** Rows per batch when Calcite pulls rows: small, since rows are materialised as objects. */
  static final int ROW_PATH_BATCH = 4096;

  private ArrowRows() {}

  public static Enumerable<Object> rows(DataContext root, ArrowRel plan, boolean scalar) {
    List<Object> parameters = new ArrayList<>();
    int count = parameterCount(plan);
    for (int i = 0; i < count; i++) {
      parameters.add(root.get("?" + i));
    }
    return new AbstractEnumerable<>() {
      @Override
      public Enumerator<Object> enumerator() {
        QueryContext context = QueryContext.current();
        // Inside an execution, the batches count against the query's memory budget.
        BufferAllocator allocator = context.allocatorOr(fallbackAllocator(plan));
        ArrowExecution execution = new ArrowExecution(allocator, ROW_PATH_BATCH, parameters, context);
        return new RowEnumerator(plan.open(execution), scalar, context);
      }
    };
  }

  /** One more than the highest {@code ?} index in {@code plan}'s expressions. */
  static int parameterCount(RelNode plan) {
    TreeSet<Integer> seen = new TreeSet<>();
    collect(plan, seen);
    return seen.isEmpty() ? 0 : seen.last() + 1;
  }

  private static void collect(RelNode rel, TreeSet<Integer> seen) {
    rel.accept(new RexShuttle() {
      @Override
      public org.apache.calcite.rex.RexNode visitDynamicParam(RexDynamicParam p) {
        seen.add(p.getIndex());
        return p;
      }
    });
    if (rel instanceof RerunTableScan scan) {
      scan.spec().parameterIndexes().forEach(seen::add);
    }
    rel.getInputs().forEach(i -> collect(i, seen));
  }

  /** Outside an execution (tests, metadata), where the dataset's scans allocate. */
  private static BufferAllocator fallbackAllocator(RelNode rel) {
    if (rel instanceof RerunTableScan scan) {
      return scan.rerunTable().allocator();
    }
    for (RelNode input : rel.getInputs()) {
      BufferAllocator a = fallbackAllocator(input);
      if (a != null) {
        return a;
      }
    }
    return null;
  }

  private static final class RowEnumerator implements Enumerator<Object> {
    private final ResultBatches batches;
    private final boolean scalar;
    private final QueryContext context;
    private int row = -1;
    private Object current;
    private boolean done;

    RowEnumerator(ResultBatches batches, boolean scalar, QueryContext context) {
      this.batches = batches;
      this.scalar = scalar;
      this.context = context;
    }

    @Override
    public Object current() {
      return current;
    }

    @Override
    public boolean moveNext() {
      context.check();
      VectorSchemaRoot root = batches.root();
      while (!done && (row < 0 || row + 1 >= root.getRowCount())) {
        if (!batches.next()) {
          done = true;
          return false;
        }
        row = -1;
        if (root.getRowCount() > 0) {
          break;
        }
      }
      if (done) {
        return false;
      }
      row++;
      List<FieldVector> vectors = root.getFieldVectors();
      Object[] values = new Object[vectors.size()];
      for (int i = 0; i < values.length; i++) {
        values[i] = value(vectors.get(i), row);
      }
      current = scalar ? values[0] : values;
      return true;
    }

    private static Object value(FieldVector v, int row) {
      if (v.isNull(row)) {
        return null;
      }
      if (v instanceof TimeStampNanoVector t) {
        return Math.floorDiv(t.get(row), 1_000_000L); // Calcite's TIMESTAMP is milliseconds
      }
      if (v instanceof TimeStampMilliVector t) {
        return t.get(row);
      }
      if (v instanceof DurationVector d) {
        return d.getDataBuffer().getLong((long) row * 8);
      }
      return RerunSqlTypes.toSqlValue(v.getObject(row), v.getField());
    }

    @Override
    public void reset() {
      throw new UnsupportedOperationException("Arrow batches cannot be rewound");
    }

    @Override
    public void close() {
      batches.close();
    }
  }
}
