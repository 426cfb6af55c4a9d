package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

/**
 * A store announced in a file: a recording or a blueprint.
 *
 * @param version the Rerun version that wrote it. Taken from the stream header, which Rerun itself
 *     prefers over {@code StoreInfo.store_version} (some writers fill the latter wrongly).
 */
public record Store(StoreId id, CrateVersion version) {
  public Store {
    requireNonNull(id, "id is null");
    requireNonNull(version, "version is null");
  }

  public StoreKind kind() {
    return id.kind();
  }

  public String applicationId() {
    return id.applicationId();
  }

  public String recordingId() {
    return id.recordingId();
  }
}
