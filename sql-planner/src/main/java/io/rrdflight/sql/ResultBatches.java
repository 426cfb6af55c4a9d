package io.rrdflight.sql;

import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A query's result as a sequence of Arrow batches, each loaded in turn into the same
 * {@link #root()}, so memory stays bounded whatever the result size. A batch holds at most the
 * rows asked for and, unless one row alone is larger, about {@link #TARGET_BATCH_BYTES}.
 *
 * <p>A consumer may move a batch's buffers out of {@link #root()} (a transfer, as the Arrow operators
 * of {@code calcite/} do), so {@link #next()} must fill the root's vectors afresh, never assume they
 * still hold the previous batch's buffers. Nor may it write into buffers an earlier batch had: the
 * Flight door hands each batch's buffers to gRPC without copying them, and gRPC may still be sending
 * them while the next batch is made.
 */
public interface ResultBatches extends AutoCloseable {
  /**
   * Bytes a batch aims at: half of gRPC's default 16 MiB message limit, which Go clients (ADBC)
   * enforce on every Flight message, so that a batch whose rows vary in size still fits.
   */
  long TARGET_BATCH_BYTES = 8L << 20;

  VectorSchemaRoot root();

  /** Loads the next batch into {@link #root()}; false when no rows are left. */
  boolean next();

  @Override
  void close();
}
