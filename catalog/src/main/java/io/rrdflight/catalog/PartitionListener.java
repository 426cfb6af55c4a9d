package io.rrdflight.catalog;

import java.util.List;

/**
 * What the catalog tells of its partitions as it happens ({@link Catalog#listen}). It tells on its own threads, so a
 * listener only hands the news on (as the SQL engine's background row counts do); one that fails is logged, and the
 * catalog's change stands.
 */
public interface PartitionListener {
  /** A registration's partitions, as committed; on the registrar's thread, holding the catalog's lock. */
  default void partitionsAdded(List<Partition> added) {}

  /**
   * {@code p}'s compacted copy is no longer {@link CompactionState#PENDING}: it was made or checked (the partition as
   * listed now reads it), making it failed, or {@code p} went meanwhile. On the compaction thread, holding no lock.
   */
  default void compactionEnded(Partition p) {}
}
