package io.rrdflight.sql.rerun;

import io.rrdflight.catalog.EntityPathFilter;
import io.rrdflight.rrd.IndexRange;
import io.rrdflight.sql.QueryContext;
import io.rrdflight.sql.engine.QueryView;
import io.rrdflight.sql.engine.ViewBatches;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.calcite.DataContext;
import org.apache.calcite.linq4j.AbstractEnumerable;
import org.apache.calcite.linq4j.Enumerable;
import org.apache.calcite.linq4j.Enumerator;
import org.apache.calcite.linq4j.Linq4j;
import org.apache.calcite.schema.SchemaPlus;

/**
 * The row-at-a-time side of {@link RerunTableScan}, called from Calcite's generated code: the same
 * columnar {@link ViewBatches}, with each batch's cells turned into the Java values Calcite's
 * enumerable operators expect. Arguments are plain constants because generated code can only
 * carry those; they are the typed scan spec, taken apart.
 */
public final class RerunEnumerables {
  /** Rows per batch when Calcite pulls rows: small, since rows are materialised as objects. */
  static final int ROW_PATH_BATCH = 4096;

  private RerunEnumerables() {}

  public static Enumerable<Object> scan(DataContext root, String dataset, String index, String contents, String[] partitionIds,
      long min, long max, boolean fill, boolean empty, int[] projection, boolean scalar) {
    if (empty) {
      return Linq4j.emptyEnumerable();
    }
    SchemaPlus schema = root.getRootSchema().subSchemas().get(dataset);
    RerunDatasetSchema ds = schema == null ? null : schema.unwrap(RerunDatasetSchema.class);
    if (ds == null) {
      throw new IllegalStateException("Dataset '" + dataset + "' is no longer served");
    }
    QueryView view = new QueryView(Optional.ofNullable(index), EntityPathFilter.parse(contents),
        partitionIds == null ? Optional.empty() : Optional.of(new TreeSet<>(Arrays.asList(partitionIds))), new IndexRange(min, max), fill);
    RerunTable table = ds.table(view);
    List<String> names = new ArrayList<>();
    for (int p : projection) {
      names.add(table.viewSchema().columnNames().get(p));
    }
    RerunScanSpec spec = RerunScanSpec.ALL.withProjection(projection);
    return new AbstractEnumerable<>() {
      @Override
      public Enumerator<Object> enumerator() {
        // Inside an execution, the scan's batches count against the query's memory budget.
        BufferAllocator allocator = QueryContext.current().allocatorOr(ds.allocator());
        return new RowEnumerator(table.open(spec, names, allocator, ROW_PATH_BATCH, -1), scalar, QueryContext.current());
      }
    };
  }

  private static final class RowEnumerator implements Enumerator<Object> {
    private final ViewBatches batches;
    private final boolean scalar;
    private final QueryContext context;
    private int row = -1;
    private Object current;
    private boolean done;

    RowEnumerator(ViewBatches batches, boolean scalar, QueryContext context) {
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
      if (v instanceof TimeStampVector t) {
        return Math.floorDiv(t.get(row), 1_000_000L); // Calcite's TIMESTAMP is milliseconds
      }
      if (v instanceof org.apache.arrow.vector.DurationVector d) {
        return d.getDataBuffer().getLong((long) row * 8);
      }
      Field f = v.getField();
      return RerunSqlTypes.toSqlValue(v.getObject(row), f);
    }

    @Override
    public void reset() {
      throw new UnsupportedOperationException("a Rerun scan cannot be rewound");
    }

    @Override
    public void close() {
      batches.close();
    }
  }
}
