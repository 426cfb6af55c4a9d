package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Instant;

/**
 * A table entry: rows kept next to the recordings (episode labels, success flags, notes), stored as
 * a Lance dataset in the directory {@code path}, as Rerun's server stores its table entries. The
 * catalog keeps only this record; the rows live in the directory ({@link LanceTables}).
 *
 * @param path the Lance dataset's directory (absolute, normalised)
 */
public record Table(EntryId id, String name, Path path, Instant createdAt, Instant updatedAt) {
  public Table {
    requireNonNull(id, "id is null");
    requireNonNull(name, "name is null");
    requireNonNull(path, "path is null");
    requireNonNull(createdAt, "createdAt is null");
    requireNonNull(updatedAt, "updatedAt is null");
  }

  /** The URL Rerun's clients see for the table (LanceTable.table_url, {@code storage_url}). */
  public String url() {
    return path.toUri().toString().replaceAll("/$", "");
  }

  Table renamed(String newName, Instant now) {
    return new Table(id, newName, path, createdAt, now);
  }
}
