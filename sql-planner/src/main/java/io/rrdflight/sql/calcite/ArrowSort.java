package io.rrdflight.sql.calcite;

import io.rrdflight.sql.ResultBatches;
import io.rrdflight.sql.SqlQueryException;
import io.rrdflight.sql.calcite.ArrowExpressions.Column;
import io.rrdflight.sql.calcite.ArrowExpressions.Kind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.calcite.plan.RelOptCluster;
import org.apache.calcite.plan.RelOptCost;
import org.apache.calcite.plan.RelOptPlanner;
import org.apache.calcite.plan.RelTraitSet;
import org.apache.calcite.rel.RelCollation;
import org.apache.calcite.rel.RelFieldCollation;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.Sort;
import org.apache.calcite.rel.metadata.RelMetadataQuery;
import org.apache.calcite.rex.RexDynamicParam;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;

/**
 * ORDER BY, OFFSET and FETCH (LIMIT) on Arrow batches. Without keys it streams, skipping and
 * stopping. With keys it keeps its input's batches (their buffers count against the query's
 * budget through its allocator, the row index against its heap budget) and emits them in key
 * order, stable as the row engine's sort; with a FETCH it keeps only the first OFFSET+FETCH rows
 * seen so far, so a top-N holds little more than N rows.
 */
public final class ArrowSort extends Sort implements ArrowRel {
  /** Rows kept before a top-N drops the ones that can no longer make it. */
  private static final int COMPACT_ROWS = 1 << 14;

  ArrowSort(RelOptCluster cluster, RelTraitSet traits, RelNode input, RelCollation collation, RexNode offset, RexNode fetch) {
    super(cluster, traits, input, collation, offset, fetch);
  }

  /** Whether the sort can run on batches of {@code sort}'s input. */
  static boolean supports(Sort sort) {
    for (RelFieldCollation fc : sort.getCollation().getFieldCollations()) {
      var k = ArrowExpressions.kindOf(sort.getInput().getRowType().getFieldList().get(fc.getFieldIndex()).getType());
      if (k.isEmpty() || k.get() == Kind.LIST) {
        return false;
      }
    }
    return bound(sort.offset) && bound(sort.fetch);
  }

  private static boolean bound(RexNode n) {
    return n == null || n instanceof RexLiteral || n instanceof RexDynamicParam;
  }

  @Override
  public Sort copy(RelTraitSet traitSet, RelNode newInput, RelCollation newCollation, RexNode offset, RexNode fetch) {
    return new ArrowSort(getCluster(), traitSet, newInput, newCollation, offset, fetch);
  }

  @Override
  public RelOptCost computeSelfCost(RelOptPlanner planner, RelMetadataQuery mq) {
    return super.computeSelfCost(planner, mq).multiplyBy(0.1);
  }

  @Override
  public Schema arrowSchema() {
    return ((ArrowRel) getInput()).arrowSchema();
  }

  private static long value(RexNode n, ArrowExecution execution, long absent) {
    if (n == null) {
      return absent;
    }
    Object v = n instanceof RexDynamicParam p ? execution.parameter(p.getIndex()) : ((RexLiteral) n).getValueAs(Long.class);
    if (!(v instanceof Number number) || number.longValue() < 0) {
      throw new SqlQueryException("OFFSET and FETCH take a number of rows, 0 or more: " + v);
    }
    return number.longValue();
  }

  @Override
  public ResultBatches open(ArrowExecution execution) {
    long offset = value(this.offset, execution, 0);
    long fetch = value(this.fetch, execution, Long.MAX_VALUE);
    ResultBatches input = ((ArrowRel) getInput()).open(execution);
    try {
      VectorSchemaRoot out = VectorSchemaRoot.create(arrowSchema(), execution.allocator());
      if (getCollation().getFieldCollations().isEmpty()) {
        return limit(input, out, offset, fetch, execution);
      }
      return new Sorted(input, out, offset, fetch, execution);
    } catch (RuntimeException e) {
      input.close();
      throw e;
    }
  }

  private static ResultBatches limit(ResultBatches input, VectorSchemaRoot out, long offset, long fetch, ArrowExecution execution) {
    return new ArrowBatches(out, input) {
      private long skip = offset;
      private long left = fetch;

      @Override
      protected boolean fill() {
        while (left > 0 && input.next()) {
          execution.context().checkNow();
          VectorSchemaRoot in = input.root();
          int rows = in.getRowCount();
          int from = (int) Math.min(skip, rows);
          skip -= from;
          int count = (int) Math.min(left, rows - from);
          if (count <= 0) {
            continue;
          }
          left -= count;
          if (from == 0 && count == rows) {
            ArrowColumns.transfer(in, out);
          } else {
            int[] chosen = new int[count];
            for (int i = 0; i < count; i++) {
              chosen[i] = from + i;
            }
            ArrowColumns.copyRows(in, chosen, count, out);
          }
          return true;
        }
        return false;
      }
    };
  }

  /** The sorting operator: reads all of its input on the first batch, then emits in order. */
  private final class Sorted extends ArrowBatches {
    private final ResultBatches input;
    private final VectorSchemaRoot out;
    private final long offset;
    private final long fetch;
    private final ArrowExecution execution;
    private final Schema schema;
    /** Retained input batches, owned here. */
    private final List<VectorSchemaRoot> kept = new ArrayList<>();
    private final List<Column[]> keys = new ArrayList<>();
    private long[] order;
    private int emitted;

    Sorted(ResultBatches input, VectorSchemaRoot out, long offset, long fetch, ArrowExecution execution) {
      super(out, input);
      this.input = input;
      this.out = out;
      this.offset = offset;
      this.fetch = fetch;
      this.execution = execution;
      this.schema = arrowSchema();
    }

    @Override
    protected boolean fill() {
      if (order == null) {
        long keep = fetch == Long.MAX_VALUE ? Long.MAX_VALUE : offset + fetch;
        long rows = 0;
        try {
          while (input.next()) {
            execution.context().checkNow();
            VectorSchemaRoot batch = VectorSchemaRoot.create(schema, execution.allocator());
            kept.add(batch);
            ArrowColumns.transfer(input.root(), batch);
            keys.add(keyColumns(batch));
            rows += batch.getRowCount();
            execution.context().retainHeap(16L * batch.getRowCount()); // the row index below
            if (keep != Long.MAX_VALUE && rows > Math.max(COMPACT_ROWS, 2 * keep)) {
              rows = compact((int) Math.min(keep, Integer.MAX_VALUE - 8));
            }
          }
          order = sorted();
        } catch (org.apache.arrow.memory.OutOfMemoryException e) {
          // The execution's allocator is limited to the query's budget: its sort is what fills it.
          throw new io.rrdflight.sql.QueryAbortedException(io.rrdflight.sql.QueryAbortedException.Reason.MEMORY_EXHAUSTED, String.format(
              "Query exceeded its memory budget (--query-memory): its ORDER BY holds %d rows", rows));
        }
        emitted = (int) Math.min(offset, order.length);
        int end = (int) Math.min((long) order.length, keep == Long.MAX_VALUE ? Long.MAX_VALUE : keep);
        order = Arrays.copyOf(order, end);
      }
      int count = Math.min(execution.batchRows(), order.length - emitted);
      if (count <= 0) {
        return false;
      }
      ArrowColumns.copyRows(kept, order, emitted, count, out);
      emitted += count;
      return true;
    }

    /** Keeps only the first {@code keep} rows in order, copied into one batch; returns its row count. */
    private long compact(int keep) {
      long[] refs = sorted();
      int count = Math.min(keep, refs.length);
      VectorSchemaRoot best = VectorSchemaRoot.create(schema, execution.allocator());
      try {
        ArrowColumns.copyRows(kept, refs, 0, count, best);
      } catch (RuntimeException e) {
        best.close();
        throw e;
      }
      kept.forEach(VectorSchemaRoot::close);
      kept.clear();
      keys.clear();
      kept.add(best);
      keys.add(keyColumns(best));
      return count;
    }

    private Column[] keyColumns(VectorSchemaRoot batch) {
      List<RelFieldCollation> fcs = getCollation().getFieldCollations();
      Column[] columns = new Column[fcs.size()];
      for (int k = 0; k < columns.length; k++) {
        columns[k] = ArrowExpressions.vectorColumn(batch.getVector(fcs.get(k).getFieldIndex()));
      }
      return columns;
    }

    /** Every kept row as (batch << 32 | row), in key order; ties keep their input order. */
    private long[] sorted() {
      int total = 0;
      for (VectorSchemaRoot b : kept) {
        total += b.getRowCount();
      }
      Long[] refs = new Long[total];
      int i = 0;
      for (int b = 0; b < kept.size(); b++) {
        for (int r = 0; r < kept.get(b).getRowCount(); r++) {
          refs[i++] = ((long) b << 32) | r;
        }
      }
      Arrays.sort(refs, comparator());
      long[] out = new long[total];
      for (int j = 0; j < total; j++) {
        out[j] = refs[j];
      }
      return out;
    }

    private Comparator<Long> comparator() {
      List<RelFieldCollation> fcs = getCollation().getFieldCollations();
      Kind[] kinds = new Kind[fcs.size()];
      for (int k = 0; k < kinds.length; k++) {
        kinds[k] = ArrowExpressions.kindOf(getInput().getRowType().getFieldList().get(fcs.get(k).getFieldIndex()).getType()).orElseThrow();
      }
      return (x, y) -> {
        Column[] a = keys.get((int) (x >>> 32));
        Column[] b = keys.get((int) (y >>> 32));
        int ra = (int) (long) x;
        int rb = (int) (long) y;
        for (int k = 0; k < kinds.length; k++) {
          RelFieldCollation fc = fcs.get(k);
          boolean nullA = a[k].isNull(ra);
          boolean nullB = b[k].isNull(rb);
          int c;
          if (nullA || nullB) {
            RelFieldCollation.NullDirection nulls = fc.nullDirection == RelFieldCollation.NullDirection.UNSPECIFIED
                ? fc.direction.defaultNullDirection() : fc.nullDirection;
            c = nullA == nullB ? 0 : (nullA == (nulls == RelFieldCollation.NullDirection.FIRST) ? -1 : 1);
            if (c != 0) {
              return c; // where nulls go does not flip with DESC
            }
            continue;
          }
          c = switch (kinds[k]) {
            case DOUBLE -> Double.compare(a[k].getDouble(ra), b[k].getDouble(rb));
            case STRING -> a[k].getString(ra).compareTo(b[k].getString(rb));
            default -> Long.compare(a[k].getLong(ra), b[k].getLong(rb));
          };
          if (c != 0) {
            return fc.direction.isDescending() ? -c : c;
          }
        }
        return 0;
      };
    }

    @Override
    protected void release() {
      kept.forEach(VectorSchemaRoot::close);
      kept.clear();
    }
  }
}
