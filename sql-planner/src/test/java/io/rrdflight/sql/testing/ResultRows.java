package io.rrdflight.sql.testing;

import io.rrdflight.sql.ResultBatches;
import io.rrdflight.sql.SqlEngine;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/** A query's answer as text, for tests to compare whole: one string per row, its cells as Arrow's getObject renders them. */
public final class ResultRows {
  private ResultRows() {}

  /** The rows of {@code sql} with {@code parameters}, fetched in batches of {@code batchRows}, cells joined by "; ". */
  public static List<String> of(SqlEngine engine, String sql, List<?> parameters, BufferAllocator allocator, int batchRows) {
    return of(engine.prepare(sql).execute(parameters, allocator, batchRows), "; ");
  }

  /** Every row of {@code batches}, cells joined by {@code separator}; closes the batches. */
  public static List<String> of(ResultBatches batches, String separator) {
    return cells(batches).stream().map(row -> String.join(separator, row)).toList();
  }

  /** Every row of {@code batches} as its cells; closes the batches. */
  public static List<List<String>> cells(ResultBatches batches) {
    List<List<String>> out = new ArrayList<>();
    try (batches) {
      VectorSchemaRoot root = batches.root();
      while (batches.next()) {
        for (int r = 0; r < root.getRowCount(); r++) {
          List<String> cells = new ArrayList<>();
          for (FieldVector v : root.getFieldVectors()) {
            cells.add(String.valueOf(v.getObject(r)));
          }
          out.add(cells);
        }
      }
    }
    return out;
  }
}
