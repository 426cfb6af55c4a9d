package io.rrdflight.server.redap;

import io.rrdflight.catalog.EntryId;
import java.util.Optional;

/**
 * An entry's blueprint dataset is the one made with it (deleting the entry deletes it), so an update
 * that names another is INVALID_ARGUMENT here; Rerun would take any blueprint dataset.
 */
final class FixedBlueprintDataset {
  private FixedBlueprintDataset() {}

  /** @param ownerKind "dataset" or "table" */
  static void require(String ownerKind, String ownerName, Optional<EntryId> own, Optional<EntryId> asked) {
    if (!asked.equals(own)) {
      throw CatalogStatus.invalidArgument("The blueprint dataset of " + ownerKind + " '" + ownerName + "' is "
          + own.map(EntryId::toHex).orElse("none") + " and cannot be changed (asked: " + asked.map(EntryId::toHex).orElse("none") + ")");
    }
  }
}
