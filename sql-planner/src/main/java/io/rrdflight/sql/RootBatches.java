package io.rrdflight.sql;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * An Arrow plan's batches as the statement returns them: some of the plan's columns (a sort key
 * the statement does not select is dropped), under the statement's names. Each batch's buffers are
 * moved, not copied.
 */
final class RootBatches implements ResultBatches {
  private final ResultBatches inner;
  private final int[] columns;
  private final VectorSchemaRoot root;

  private RootBatches(ResultBatches inner, int[] columns, VectorSchemaRoot root) {
    this.inner = inner;
    this.columns = columns.clone();
    this.root = root;
  }

  /** @param columns for each result column, the plan column it shows (each at most once) */
  static ResultBatches of(ResultBatches inner, int[] columns, Schema schema, BufferAllocator allocator) {
    boolean identity = columns.length == inner.root().getFieldVectors().size();
    for (int i = 0; identity && i < columns.length; i++) {
      identity = columns[i] == i;
    }
    if (identity && inner.root().getSchema().equals(schema)) {
      return inner;
    }
    try {
      return new RootBatches(inner, columns, VectorSchemaRoot.create(schema, allocator));
    } catch (RuntimeException e) {
      inner.close();
      throw e;
    }
  }

  @Override
  public VectorSchemaRoot root() {
    return root;
  }

  @Override
  public boolean next() {
    if (!inner.next()) {
      root.setRowCount(0);
      return false;
    }
    VectorSchemaRoot in = inner.root();
    for (int c = 0; c < root.getFieldVectors().size(); c++) {
      in.getVector(columns[c]).makeTransferPair(root.getVector(c)).transfer();
    }
    root.setRowCount(in.getRowCount());
    return true;
  }

  @Override
  public void close() {
    try {
      root.close();
    } finally {
      inner.close();
    }
  }
}
