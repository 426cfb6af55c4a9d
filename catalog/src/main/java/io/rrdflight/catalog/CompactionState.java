package io.rrdflight.catalog;

/**
 * Where a partition's compacted copy stands ({@link Catalog#compactionState}): what the SQL
 * {@code partitions} table shows, so a client can tell whether its old SDK is about to get fewer
 * chunks.
 */
public enum CompactionState {
  /** Its file needs no copy (few or large chunks), or compaction is off. */
  NONE,
  /** A copy is being made, or a copy made earlier is being checked; its own file is read meanwhile. */
  PENDING,
  /** Read from its compacted copy. */
  DONE,
  /** Making the copy failed (logged); its own file is read. */
  FAILED,
  /** It would want a copy but cannot have one: an object in S3-compatible storage, or a catalog in PostgreSQL. */
  SKIPPED
}
