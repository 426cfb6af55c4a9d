package io.rrdflight.server;

import static java.util.Objects.requireNonNull;

import java.util.function.BooleanSupplier;
import org.apache.arrow.memory.AllocationListener;
import org.apache.arrow.memory.AllocationOutcome;

/**
 * The root allocator's listener, which every child allocator inherits: when an Arrow allocation
 * would fail, memory that is only kept for speed (the SQL engine's decoded chunks no query uses)
 * is given back first, and Arrow tries once more.
 */
final class MemoryPressure implements AllocationListener {
  private volatile BooleanSupplier release = () -> false;

  /** @param release gives memory back; says whether it gave any */
  void releaseWith(BooleanSupplier release) {
    this.release = requireNonNull(release, "release is null");
  }

  @Override
  public boolean onFailedAllocation(long size, AllocationOutcome outcome) {
    return release.getAsBoolean();
  }
}
