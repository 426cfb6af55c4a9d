package io.rrdflight.sql.calcite;

import static java.util.Objects.requireNonNull;

import io.rrdflight.sql.ResultBatches;
import java.util.List;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * An operator's running output: its own root, refilled by {@link #fill()}, and the inputs it
 * closes with itself.
 */
abstract class ArrowBatches implements ResultBatches {
  private final VectorSchemaRoot root;
  private final List<ResultBatches> inputs;
  private boolean done;

  ArrowBatches(VectorSchemaRoot root, ResultBatches... inputs) {
    this.root = requireNonNull(root, "root is null");
    this.inputs = List.of(inputs);
  }

  @Override
  public final VectorSchemaRoot root() {
    return root;
  }

  @Override
  public final boolean next() {
    if (done) {
      return false;
    }
    if (!fill()) {
      done = true;
      root.setRowCount(0);
      return false;
    }
    return true;
  }

  /** Loads the next batch into {@link #root()}; false when no rows are left. */
  protected abstract boolean fill();

  /** Frees what the operator itself holds beyond its root (tables, retained batches). */
  protected void release() {}

  @Override
  public final void close() {
    try {
      release();
    } finally {
      try {
        root.close();
      } finally {
        for (ResultBatches input : inputs) {
          input.close();
        }
      }
    }
  }
}
