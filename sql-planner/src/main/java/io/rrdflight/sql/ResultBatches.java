package io.rrdflight.sql;

import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A query's result as a sequence of Arrow batches, each loaded in turn into the same
 * {@link #root()}, so memory stays bounded whatever the result size.
 */
public interface ResultBatches extends AutoCloseable {
  VectorSchemaRoot root();

  /** Loads the next batch into {@link #root()}; false when no rows are left. */
  boolean next();

  @Override
  void close();
}
