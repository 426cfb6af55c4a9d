package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;

/**
 * A named collection of recordings (partitions), queried together.
 *
 * @param kind recordings, or blueprints (a companion blueprint dataset)
 * @param blueprintDataset the companion blueprint dataset that holds this dataset's viewer layouts;
 *     datasets created through Rerun's catalog API get one, datasets served from a directory do not
 * @param defaultBlueprint the partition (of the companion) a viewer should lay this dataset out
 *     with; any partition id is accepted, as in Rerun, so it may name none
 */
public record Dataset(
    EntryId id,
    String name,
    DatasetKind kind,
    Optional<EntryId> blueprintDataset,
    Optional<String> defaultBlueprint,
    Instant createdAt,
    Instant updatedAt) {

  public Dataset {
    requireNonNull(id, "id is null");
    requireNonNull(name, "name is null");
    requireNonNull(kind, "kind is null");
    requireNonNull(blueprintDataset, "blueprintDataset is null");
    requireNonNull(defaultBlueprint, "defaultBlueprint is null");
    requireNonNull(createdAt, "createdAt is null");
    requireNonNull(updatedAt, "updatedAt is null");
  }

  /** A recording dataset without a blueprint dataset or default blueprint. */
  public Dataset(EntryId id, String name, Instant createdAt, Instant updatedAt) {
    this(id, name, DatasetKind.RECORDING, Optional.empty(), Optional.empty(), createdAt, updatedAt);
  }

  Dataset renamed(String newName, Instant now) {
    return new Dataset(id, newName, kind, blueprintDataset, defaultBlueprint, createdAt, now);
  }

  Dataset withBlueprints(Optional<EntryId> newBlueprintDataset, Optional<String> newDefault, Instant now) {
    return new Dataset(id, name, kind, newBlueprintDataset, newDefault, createdAt, now);
  }
}
