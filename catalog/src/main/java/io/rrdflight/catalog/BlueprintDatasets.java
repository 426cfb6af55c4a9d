package io.rrdflight.catalog;

import java.time.Instant;
import java.util.Optional;

/**
 * The companion blueprint dataset Rerun creates with every dataset made through its catalog API
 * (0.27.3 on) and with every table (0.41): a dataset of kind {@link DatasetKind#BLUEPRINT} named
 * {@code __bp_<owner id>}, whose partitions are the blueprint stores of the files registered into
 * it. The owner names it as its {@code blueprintDataset}. Its name keeps the id it was made for,
 * even when the owner is renamed, as in Rerun; names starting with {@code __} are reserved, so no
 * user entry can take it.
 */
final class BlueprintDatasets {
  static final String NAME_PREFIX = "__bp_";

  private BlueprintDatasets() {}

  /** A new dataset and its blueprint dataset, not yet stored. */
  record Pair(Dataset dataset, Dataset blueprints) {}

  static Pair create(String name, Instant now) {
    EntryId datasetId = EntryId.random();
    Dataset blueprints = forOwner(datasetId, now);
    Dataset dataset = new Dataset(datasetId, name, DatasetKind.RECORDING, Optional.of(blueprints.id()), Optional.empty(), now, now);
    return new Pair(dataset, blueprints);
  }

  /** The blueprint dataset of the entry (dataset or table) {@code owner}, not yet stored. */
  static Dataset forOwner(EntryId owner, Instant now) {
    return new Dataset(EntryId.random(), NAME_PREFIX + owner.toHex(), DatasetKind.BLUEPRINT, Optional.empty(), Optional.empty(), now, now);
  }

  /**
   * What a change to the blueprint settings of an {@code ownerKind} ("dataset" or "table") whose
   * blueprint dataset {@code id} is gone is refused with: Rerun's words, which its tests match.
   */
  static CatalogException missing(String ownerKind, EntryId id) {
    return CatalogException.invalidArgument(ownerKind + " blueprint dataset does not exist: Entry id '" + id.toHex() + "' not found");
  }
}
