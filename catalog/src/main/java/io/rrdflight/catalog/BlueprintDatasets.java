package io.rrdflight.catalog;

import java.time.Instant;
import java.util.Optional;

/**
 * The companion blueprint dataset Rerun 0.27.3 creates with every dataset made through its catalog
 * API: a dataset of kind {@link DatasetKind#BLUEPRINT} named {@code __bp_<dataset id>}, whose
 * partitions are the blueprint stores of the files registered into it. The recording dataset names
 * it as its {@code blueprintDataset}. Its name keeps the dataset id it was made for, even when the
 * dataset is renamed, as in Rerun; names starting with {@code __} are reserved, so no user dataset
 * can take it.
 */
final class BlueprintDatasets {
  static final String NAME_PREFIX = "__bp_";

  private BlueprintDatasets() {}

  /** A new dataset and its blueprint dataset, not yet stored. */
  record Pair(Dataset dataset, Dataset blueprints) {}

  static Pair create(String name, Instant now) {
    EntryId datasetId = EntryId.random();
    Dataset blueprints = new Dataset(EntryId.random(), NAME_PREFIX + datasetId.toHex(), DatasetKind.BLUEPRINT, Optional.empty(),
        Optional.empty(), now, now);
    Dataset dataset = new Dataset(datasetId, name, DatasetKind.RECORDING, Optional.of(blueprints.id()), Optional.empty(), now, now);
    return new Pair(dataset, blueprints);
  }
}
