package io.rrdflight.sql.calcite;

import static java.util.Objects.requireNonNull;

import io.rrdflight.sql.QueryContext;
import io.rrdflight.sql.SqlQueryException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import org.apache.arrow.memory.BufferAllocator;

/**
 * What one execution of an {@link ArrowRel} plan runs with: where its batches are allocated (the
 * query's allocator, whose limit is the query's memory budget), the most rows per batch, the values
 * bound to the statement's {@code ?} parameters (read at execution, never written into the SQL),
 * the query's limits, and, for one slice of a split query, the only partitions its scans read.
 */
public record ArrowExecution(BufferAllocator allocator, int batchRows, List<Object> parameters, QueryContext context,
    Optional<SortedSet<String>> partitions) {
  public ArrowExecution {
    requireNonNull(allocator, "allocator is null");
    requireNonNull(context, "context is null");
    requireNonNull(partitions, "partitions is null");
    if (batchRows <= 0) {
      throw new IllegalArgumentException("batchRows must be positive: " + batchRows);
    }
    parameters = Collections.unmodifiableList(new ArrayList<>(requireNonNull(parameters, "parameters is null")));
  }

  /** Every partition the plan reads. */
  public ArrowExecution(BufferAllocator allocator, int batchRows, List<Object> parameters, QueryContext context) {
    this(allocator, batchRows, parameters, context, Optional.empty());
  }

  /** The value bound to parameter {@code index} (0-based). */
  public Object parameter(int index) {
    if (index < 0 || index >= parameters.size()) {
      throw new SqlQueryException("Parameter " + (index + 1) + " has no bound value (" + parameters.size() + " bound)");
    }
    return parameters.get(index);
  }
}
