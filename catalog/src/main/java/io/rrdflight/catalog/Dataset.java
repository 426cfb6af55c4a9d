package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/** A named collection of recordings (partitions), queried together. */
public record Dataset(EntryId id, String name, Instant createdAt, Instant updatedAt) {
  public Dataset {
    requireNonNull(id, "id is null");
    requireNonNull(name, "name is null");
    requireNonNull(createdAt, "createdAt is null");
    requireNonNull(updatedAt, "updatedAt is null");
  }
}
