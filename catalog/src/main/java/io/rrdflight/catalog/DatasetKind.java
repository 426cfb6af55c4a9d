package io.rrdflight.catalog;

import io.rrdflight.rrd.StoreKind;
import java.util.Locale;

/**
 * What a dataset holds: recordings (the data users query), blueprints (viewer layouts, in the
 * companion blueprint dataset Rerun's CreateDatasetEntry makes for each dataset) or assets (static
 * recordings shared by a dataset's segments, in its companion asset dataset, see
 * {@link AssetDatasets}). A dataset takes from each registered file only the stores of its kind's
 * store kind, as Rerun's server does: an asset is a recording store.
 */
public enum DatasetKind {
  RECORDING(StoreKind.RECORDING),
  BLUEPRINT(StoreKind.BLUEPRINT),
  ASSET(StoreKind.RECORDING);

  private final StoreKind storeKind;

  DatasetKind(StoreKind storeKind) {
    this.storeKind = storeKind;
  }

  /** The kind of store (in an .rrd file) that becomes this dataset's partitions. */
  public StoreKind storeKind() {
    return storeKind;
  }

  /** How the catalog store writes it. */
  String word() {
    return name().toLowerCase(Locale.ROOT);
  }

  static DatasetKind ofWord(String word) {
    for (DatasetKind k : values()) {
      if (k.word().equals(word)) {
        return k;
      }
    }
    throw CatalogException.failed("Catalog store error: unknown dataset kind '" + word + "'", null);
  }
}
