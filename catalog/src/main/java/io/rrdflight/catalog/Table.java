package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * A table entry: rows kept next to the recordings (episode labels, success flags, notes), stored as
 * a Lance dataset in the directory {@code path}, as Rerun's server stores its table entries. The
 * catalog keeps only this record; the rows live in the directory ({@link LanceTables}).
 *
 * @param path the Lance dataset's directory (absolute, normalised)
 * @param blueprintDataset the companion blueprint dataset holding the viewer's layouts of this table
 *     (Rerun 0.41's TableDetails.blueprint_dataset); tables entered before rrdflight made one have
 *     none until a client asks for it. It may name a blueprint dataset that was deleted on its own,
 *     as in Rerun
 * @param defaultBlueprint the partition (of the companion) a viewer should lay the table out with;
 *     any partition id is accepted, as in Rerun, so it may name none
 */
public record Table(
    EntryId id,
    String name,
    Path path,
    Optional<EntryId> blueprintDataset,
    Optional<String> defaultBlueprint,
    Instant createdAt,
    Instant updatedAt) {

  public Table {
    requireNonNull(id, "id is null");
    requireNonNull(name, "name is null");
    requireNonNull(path, "path is null");
    requireNonNull(blueprintDataset, "blueprintDataset is null");
    requireNonNull(defaultBlueprint, "defaultBlueprint is null");
    requireNonNull(createdAt, "createdAt is null");
    requireNonNull(updatedAt, "updatedAt is null");
  }

  /** A table without a blueprint dataset or default blueprint. */
  public Table(EntryId id, String name, Path path, Instant createdAt, Instant updatedAt) {
    this(id, name, path, Optional.empty(), Optional.empty(), createdAt, updatedAt);
  }

  /** The URL Rerun's clients see for the table (LanceTable.table_url, {@code storage_url}). */
  public String url() {
    return path.toUri().toString().replaceAll("/$", "");
  }

  Table renamed(String newName, Instant now) {
    return new Table(id, newName, path, blueprintDataset, defaultBlueprint, createdAt, now);
  }

  Table movedTo(Path dir, Instant now) {
    return new Table(id, name, dir, blueprintDataset, defaultBlueprint, createdAt, now);
  }

  Table withBlueprints(Optional<EntryId> newBlueprintDataset, Optional<String> newDefault, Instant now) {
    return new Table(id, name, path, newBlueprintDataset, newDefault, createdAt, now);
  }
}
