package io.rrdflight.catalog;

/** What a registration does when the dataset already has a partition with that id and layer. */
public enum OnDuplicate {
  /** Fail the registration, change nothing (the default, as in Rerun). */
  ERROR,
  /** Keep the existing partition, register the rest. */
  SKIP,
  /** Replace the existing partition. */
  OVERWRITE
}
