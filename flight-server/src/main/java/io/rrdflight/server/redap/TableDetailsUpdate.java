package io.rrdflight.server.redap;

import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.EntryId;
import io.rrdflight.catalog.Table;
import io.rrdflight.server.redap.wire.segments.TableDetails;
import java.util.Optional;

/**
 * UpdateTableEntry (0.41's table blueprints): the client sends the table's whole TableDetails as it
 * last read them, with a new default blueprint (any segment id, or none to clear it). A table
 * without a blueprint dataset, entered before tables had them, gets one made, which is what the
 * SDK's {@code TableEntry.blueprint_dataset()} asks for by sending details without one; Rerun makes
 * the missing one only when a default is set, and drops the link when details without one come.
 * One whose blueprint dataset was deleted on its own is refused, as in Rerun.
 */
final class TableDetailsUpdate {
  private TableDetailsUpdate() {}

  static Table apply(Catalog catalog, EntryId id, TableDetails details) {
    Optional<EntryId> blueprintDataset = details.hasBlueprintDataset()
        ? Optional.of(ProtoValues.fromProto(details.getBlueprintDataset())) : Optional.empty();
    // A segment id without an id is no default, as for datasets.
    Optional<String> defaultBlueprint = details.hasDefaultBlueprintSegment() && details.getDefaultBlueprintSegment().hasId()
        ? Optional.of(details.getDefaultBlueprintSegment().getId()) : Optional.empty();
    if (id.equals(Entries.ENTRIES_TABLE_ID)) {
      throw CatalogStatus.invalidArgument("The system table " + Entries.ENTRIES_TABLE_NAME + " has no blueprints to change");
    }
    Table table = catalog.table(id);
    if (blueprintDataset.isPresent()) {
      FixedBlueprintDataset.require("table", table.name(), table.blueprintDataset(), blueprintDataset);
    }
    return catalog.setTableDefaultBlueprint(id, defaultBlueprint);
  }
}
