package io.rrdflight.server.redap;

import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.EntryId;
import io.rrdflight.server.redap.proto.DatasetDetails;
import io.rrdflight.server.redap.proto.UpdateDatasetEntryRequest;
import java.util.Optional;

/**
 * UpdateDatasetEntry: the client sends a dataset's whole DatasetDetails, changed where it wants
 * (the SDK's {@code set_default_blueprint_partition_id} sends the details it read with a new
 * {@code default_blueprint}). The default blueprint is taken as given, any partition id or none,
 * as Rerun does, but not for a dataset whose blueprint dataset was deleted on its own (Rerun's
 * INVALID_ARGUMENT and words, see {@code Catalog.setDefaultBlueprint}). Rerun would also take another
 * {@code blueprint_dataset} or asset dataset; here both are fixed ({@link FixedBlueprintDataset},
 * {@link #checkAssetDataset}), and a request that changes one is INVALID_ARGUMENT.
 */
final class DatasetDetailsUpdate {
  private DatasetDetailsUpdate() {}

  /** The 0.27 request: the id in the body, the default blueprint as a partition id (field 4). */
  static Dataset apply(Catalog catalog, UpdateDatasetEntryRequest request) {
    if (!request.hasId()) {
      throw CatalogStatus.invalidArgument("UpdateDatasetEntry needs the dataset's id");
    }
    if (!request.hasDatasetDetails()) {
      throw CatalogStatus.invalidArgument("UpdateDatasetEntry needs dataset_details (the whole details, as read)");
    }
    DatasetDetails details = request.getDatasetDetails();
    Optional<EntryId> blueprintDataset = details.hasBlueprintDataset()
        ? Optional.of(ProtoValues.fromProto(details.getBlueprintDataset())) : Optional.empty();
    Optional<String> defaultBlueprint = Optional.empty();
    if (details.hasDefaultBlueprint()) {
      if (!details.getDefaultBlueprint().hasId()) {
        throw CatalogStatus.invalidArgument("default_blueprint has no partition id; leave default_blueprint unset to clear it");
      }
      defaultBlueprint = Optional.of(details.getDefaultBlueprint().getId());
    }
    return apply(catalog, ProtoValues.fromProto(request.getId()), blueprintDataset, defaultBlueprint);
  }

  /** The update in either vocabulary: the details as sent, with the default blueprint's segment id or none. */
  static Dataset apply(Catalog catalog, EntryId id, Optional<EntryId> blueprintDataset, Optional<String> defaultBlueprint) {
    if (id.equals(Entries.ENTRIES_TABLE_ID)) {
      throw CatalogStatus.notFound("Entry " + id.toHex() + " is the table " + Entries.ENTRIES_TABLE_NAME + ", not a dataset");
    }
    Dataset dataset = catalog.dataset(id);
    FixedBlueprintDataset.require("dataset", dataset.name(), dataset.blueprintDataset(), blueprintDataset);
    return catalog.setDefaultBlueprint(id, defaultBlueprint);
  }

  /**
   * The asset dataset an update names (0.41, field 7). Unset keeps the dataset's own, as in Rerun,
   * where the server manages it; set, it must be the dataset's own, or name no entry any more (a
   * client's stale copy of a deleted one: the update then makes a new one). Rerun would also move a
   * dataset to another asset dataset; here the link is fixed by name ({@code __as_<id>}), so that
   * is INVALID_ARGUMENT.
   */
  static void checkAssetDataset(Catalog catalog, EntryId id, Optional<EntryId> asked) {
    if (asked.isEmpty() || id.equals(Entries.ENTRIES_TABLE_ID)) {
      return;
    }
    Optional<EntryId> own = catalog.assetDataset(id).map(Dataset::id);
    boolean stale = own.isEmpty() && catalog.allDatasets().stream().noneMatch(d -> d.id().equals(asked.get()));
    if (!asked.equals(own) && !stale) {
      throw CatalogStatus.invalidArgument("The asset dataset of '" + catalog.dataset(id).name() + "' is "
          + own.map(EntryId::toHex).orElse("none") + " and cannot be changed (asked: " + asked.get().toHex() + ")");
    }
  }
}
