package io.rrdflight.catalog;

import java.time.Instant;
import java.util.Optional;

/**
 * The companion asset dataset rerun server 0.41 creates with every dataset made through its catalog
 * API: a dataset of kind {@link DatasetKind#ASSET} named {@code __as_<dataset id>}, holding static
 * recordings (meshes, calibration, maps) shared by the dataset's segments. Names starting with
 * {@code __} are reserved, so no user dataset can take it. The dataset finds its asset dataset by
 * that name (the catalog store keeps no column for the link), which is why an asset dataset keeps
 * its name: renaming it is refused.
 */
final class AssetDatasets {
  static final String NAME_PREFIX = "__as_";

  private AssetDatasets() {}

  /** The name of the asset dataset of the dataset {@code owner}. */
  static String nameFor(EntryId owner) {
    return NAME_PREFIX + owner.toHex();
  }

  /** A new, empty asset dataset for {@code owner}, not yet stored. */
  static Dataset create(EntryId owner, Instant now) {
    return new Dataset(EntryId.random(), nameFor(owner), DatasetKind.ASSET, Optional.empty(), Optional.empty(), now, now);
  }
}
