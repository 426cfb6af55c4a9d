package io.rrdflight.server.redap;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Any;
import io.grpc.Status;
import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.DatasetKind;
import io.rrdflight.catalog.EntryId;
import io.rrdflight.catalog.Table;
import io.rrdflight.rrd.proto.DatasetHandle;
import io.rrdflight.rrd.proto.PartitionId;
import io.rrdflight.rrd.proto.StoreKind;
import io.rrdflight.server.redap.proto.DatasetDetails;
import io.rrdflight.server.redap.proto.DatasetEntry;
import io.rrdflight.server.redap.proto.EntryDetails;
import io.rrdflight.server.redap.proto.EntryFilter;
import io.rrdflight.server.redap.proto.EntryKind;
import io.rrdflight.server.redap.proto.SystemTable;
import io.rrdflight.server.redap.proto.SystemTableKind;
import io.rrdflight.server.redap.proto.TableEntry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The catalog's entries as Rerun's clients see them: every dataset (recording datasets, and the
 * blueprint and asset datasets that come with datasets made by CreateDatasetEntry; asset datasets
 * only for clients that know them, {@link ClientVersion#knowsAssetDatasets}), plus the
 * {@code __entries} system table that lists them all (the SDK's {@code client.entries()} and the
 * viewer's landing page read it). Entries are looked up by id, by name, or by the request's
 * {@code x-rerun-entry-id}.
 */
final class Entries {
  static final String ENTRIES_TABLE_NAME = "__entries";
  /**
   * The system table's id: fixed, so it is the same after a restart like every other id here. Rerun
   * lists this table in itself with the all-zero id, which we use as its entry id too.
   */
  static final EntryId ENTRIES_TABLE_ID = new EntryId(0, 0);
  private static final Instant ENTRIES_TABLE_CREATED = Instant.EPOCH;

  /** One entry, whatever its kind. */
  record Entry(EntryId id, String name, EntryKind kind, Instant createdAt, Instant updatedAt) {
    Entry {
      requireNonNull(id, "id is null");
      requireNonNull(name, "name is null");
      requireNonNull(kind, "kind is null");
      requireNonNull(createdAt, "createdAt is null");
      requireNonNull(updatedAt, "updatedAt is null");
    }

    static Entry of(Dataset d) {
      return new Entry(d.id(), d.name(), kindOf(d), d.createdAt(), d.updatedAt());
    }

    static Entry of(Table t) {
      return new Entry(t.id(), t.name(), EntryKind.ENTRY_KIND_TABLE, t.createdAt(), t.updatedAt());
    }

    EntryDetails details() {
      return EntryDetails.newBuilder()
          .setId(ProtoValues.toProto(id))
          .setName(name)
          .setEntryKind(kind)
          .setCreatedAt(ProtoValues.timestamp(createdAt))
          .setUpdatedAt(ProtoValues.timestamp(updatedAt))
          .build();
    }
  }

  static final Entry ENTRIES_TABLE = new Entry(ENTRIES_TABLE_ID, ENTRIES_TABLE_NAME, EntryKind.ENTRY_KIND_TABLE,
      ENTRIES_TABLE_CREATED, ENTRIES_TABLE_CREATED);

  private final Catalog catalog;

  Entries(Catalog catalog) {
    this.catalog = requireNonNull(catalog, "catalog is null");
  }

  static EntryKind kindOf(Dataset d) {
    return switch (d.kind()) {
      case RECORDING -> EntryKind.ENTRY_KIND_DATASET;
      case BLUEPRINT -> EntryKind.ENTRY_KIND_BLUEPRINT_DATASET;
      case ASSET -> EntryKind.ENTRY_KIND_ASSET_DATASET;
    };
  }

  /** Every entry the current client may be shown: its datasets of every kind, the table entries, then the system table. */
  List<Entry> all() {
    List<Entry> all = new ArrayList<>();
    listedDatasets().forEach(d -> all.add(Entry.of(d)));
    all.addAll(tables());
    all.add(ENTRIES_TABLE);
    return all;
  }

  /** The datasets listed to the current client: asset datasets only to clients that know the kind. */
  private List<Dataset> listedDatasets() {
    boolean assets = ClientVersion.current().knowsAssetDatasets();
    return catalog.allDatasets().stream().filter(d -> assets || d.kind() != DatasetKind.ASSET).toList();
  }

  private List<Entry> tables() {
    return catalog.tables().stream().map(Entry::of).toList();
  }

  /**
   * FindEntries, filtering as Rerun's server does: with a kind, an id or name that names nothing is
   * NOT_FOUND, and one that names an entry of another kind finds nothing (a blueprint dataset is not
   * a dataset); without a kind it is an empty list (which the SDK's name lookup turns into a
   * LookupError). Views are not supported; an explicit UNSPECIFIED kind is invalid.
   */
  List<EntryDetails> find(EntryFilter filter) {
    Optional<EntryId> id = filter.hasId() ? Optional.of(ProtoValues.fromProto(filter.getId())) : Optional.empty();
    Optional<String> name = filter.hasName() ? Optional.of(filter.getName()) : Optional.empty();
    if (!filter.hasEntryKind()) {
      return matching(all(), id, name).stream().map(Entry::details).toList();
    }
    EntryKind kind = filter.getEntryKind();
    List<Entry> found = switch (kind) {
      case ENTRY_KIND_DATASET, ENTRY_KIND_BLUEPRINT_DATASET, ENTRY_KIND_ASSET_DATASET -> datasetsOfKind(kind, id, name);
      case ENTRY_KIND_TABLE -> named(java.util.stream.Stream.concat(tables().stream(), java.util.stream.Stream.of(ENTRIES_TABLE)).toList(),
          kind, id, name);
      case ENTRY_KIND_DATASET_VIEW, ENTRY_KIND_TABLE_VIEW ->
          throw Status.UNIMPLEMENTED.withDescription("Dataset and table views are not supported").asRuntimeException();
      case ENTRY_KIND_UNSPECIFIED, UNRECOGNIZED ->
          throw CatalogStatus.invalidArgument("FindEntries: entry kind " + filter.getEntryKindValue() + " is not a valid kind");
    };
    return found.stream().map(Entry::details).toList();
  }

  /**
   * Datasets of one kind, as Rerun's server looks them up: an id or name that names no dataset at
   * all is NOT_FOUND, one that names a dataset of the other kind finds nothing.
   */
  private List<Entry> datasetsOfKind(EntryKind kind, Optional<EntryId> id, Optional<String> name) {
    List<Entry> any = named(listedDatasets().stream().map(Entry::of).toList(), kind, id, name);
    return any.stream().filter(e -> e.kind() == kind).toList();
  }

  /** The entries matching id and name; NOT_FOUND if an id or name was given and nothing matches. */
  private static List<Entry> named(List<Entry> entries, EntryKind kind, Optional<EntryId> id, Optional<String> name) {
    List<Entry> found = matching(entries, id, name);
    if (found.isEmpty() && (id.isPresent() || name.isPresent())) {
      throw notFound(kind, id, name);
    }
    return found;
  }

  private static List<Entry> matching(List<Entry> entries, Optional<EntryId> id, Optional<String> name) {
    return entries.stream()
        .filter(e -> id.isEmpty() || e.id().equals(id.get()))
        .filter(e -> name.isEmpty() || e.name().equals(name.get()))
        .toList();
  }

  private static RuntimeException notFound(EntryKind kind, Optional<EntryId> id, Optional<String> name) {
    String what = switch (kind) {
      case ENTRY_KIND_TABLE -> "table";
      case ENTRY_KIND_BLUEPRINT_DATASET -> "blueprint dataset";
      case ENTRY_KIND_ASSET_DATASET -> "asset dataset";
      default -> "dataset";
    };
    StringBuilder message = new StringBuilder("No " + what);
    name.ifPresent(n -> message.append(" named '").append(n).append("'"));
    id.ifPresent(i -> message.append(name.isPresent() ? " and" : "").append(" with id ").append(i.toHex()));
    return CatalogStatus.notFound(message.toString());
  }

  /** CreateDatasetEntry, in either vocabulary: a new dataset with a name no entry has. */
  Dataset createDataset(boolean idGiven, boolean nameGiven, String name) {
    if (idGiven) {
      throw CatalogStatus.invalidArgument("rrdflight chooses dataset ids itself; leave the id of CreateDatasetEntry unset");
    }
    if (!nameGiven || name.isBlank()) {
      throw CatalogStatus.invalidArgument("A dataset needs a name");
    }
    if (all().stream().anyMatch(e -> e.name().equals(name))) {
      throw io.rrdflight.catalog.CatalogException.alreadyExists("An entry named '" + name + "' already exists");
    }
    // With its companion blueprint and asset datasets, as Rerun's CreateDatasetEntry makes it.
    return catalog.createDatasetWithCompanions(name);
  }

  /**
   * DeleteEntry: a dataset goes with its partitions, a table entry alone (never their files); the
   * system table stays.
   */
  void delete(EntryId id) {
    if (id.equals(ENTRIES_TABLE_ID)) {
      throw CatalogStatus.invalidArgument("The system table " + ENTRIES_TABLE_NAME + " cannot be deleted");
    }
    if (catalog.findTable(id).isPresent()) {
      catalog.deleteTable(id);
      return;
    }
    catalog.deleteDataset(id);
  }

  /** UpdateEntry: renames a dataset when a name is given; answers the entry as it is then. */
  Entry update(EntryId id, Optional<String> newName) {
    if (id.equals(ENTRIES_TABLE_ID)) {
      throw CatalogStatus.invalidArgument("The system table " + ENTRIES_TABLE_NAME + " cannot be changed");
    }
    if (catalog.findTable(id).isPresent()) {
      newName.ifPresent(name -> catalog.renameTable(id, name));
      return entry(id);
    }
    catalog.dataset(id);
    newName.ifPresent(name -> catalog.renameDataset(id, name));
    return entry(id);
  }

  /**
   * The table an id names: empty for the system table {@code __entries}, else the table entry;
   * NOT_FOUND when the id names a dataset or nothing.
   */
  Optional<Table> table(EntryId id) {
    if (id.equals(ENTRIES_TABLE_ID)) {
      return Optional.empty();
    }
    Optional<Table> table = catalog.findTable(id);
    if (table.isPresent()) {
      return table;
    }
    Entry entry = entry(id);
    throw CatalogStatus.notFound("Entry " + id.toHex() + " is the dataset '" + entry.name() + "', not a table");
  }

  /** Any entry by id; NOT_FOUND names the id. */
  Entry entry(EntryId id) {
    if (id.equals(ENTRIES_TABLE_ID)) {
      return ENTRIES_TABLE;
    }
    Optional<Table> table = catalog.findTable(id);
    if (table.isPresent()) {
      return Entry.of(table.get());
    }
    return Entry.of(catalog.dataset(id));
  }

  /**
   * The dataset the current call names in its headers. A call without them is INVALID_ARGUMENT; an
   * id of a table is NOT_FOUND, as no dataset has it.
   */
  Dataset requestedDataset() {
    EntryIdHeader.RequestedEntry requested = EntryIdHeader.current();
    Optional<EntryId> id = requested.id();
    if (id.isPresent()) {
      if (id.get().equals(ENTRIES_TABLE_ID)) {
        throw CatalogStatus.notFound("Entry " + id.get().toHex() + " is the table " + ENTRIES_TABLE_NAME + ", not a dataset");
      }
      return catalog.dataset(id.get());
    }
    if (requested.name().isPresent()) {
      return catalog.datasetNamed(requested.name().get());
    }
    throw CatalogStatus.invalidArgument("This call needs the dataset's id in the header x-rerun-entry-id (32 hex digits)");
  }

  /**
   * The full entry the SDK keeps after create_dataset and get_dataset: details, dataset details
   * (blueprint dataset and default blueprint, each when set) and a handle whose URL must parse. The
   * URL points at the dataset on the address the client dialled, in the same form as the SDK's own
   * partition URLs.
   */
  static DatasetEntry datasetEntry(Dataset dataset) {
    String origin = EntryIdHeader.current().authority().map(a -> "rerun+http://" + a).orElse("rerun+http://localhost");
    return DatasetEntry.newBuilder()
        .setDetails(Entry.of(dataset).details())
        .setDatasetDetails(datasetDetails(dataset))
        .setDatasetHandle(DatasetHandle.newBuilder()
            .setEntryId(ProtoValues.toProto(dataset.id()))
            .setStoreKind(dataset.kind() == DatasetKind.BLUEPRINT ? StoreKind.STORE_KIND_BLUEPRINT : StoreKind.STORE_KIND_RECORDING)
            .setDatasetUrl(origin + "/dataset/" + dataset.id().toHex()))
        .build();
  }

  static DatasetDetails datasetDetails(Dataset dataset) {
    DatasetDetails.Builder details = DatasetDetails.newBuilder();
    dataset.blueprintDataset().ifPresent(b -> details.setBlueprintDataset(ProtoValues.toProto(b)));
    dataset.defaultBlueprint().ifPresent(p -> details.setDefaultBlueprint(PartitionId.newBuilder().setId(p)));
    return details.build();
  }

  /**
   * The system table's entry. Its provider's type URL must be exactly
   * {@code /rerun.cloud.v1alpha1.SystemTable}: Rerun's clients compare the string, and
   * {@code Any.pack(msg)} would prefix {@code type.googleapis.com}.
   */
  static TableEntry entriesTableEntry() {
    SystemTable provider = SystemTable.newBuilder().setKind(SystemTableKind.SYSTEM_TABLE_KIND_ENTRIES).build();
    return TableEntry.newBuilder()
        .setDetails(ENTRIES_TABLE.details())
        .setProviderDetails(Any.pack(provider, ""))
        .build();
  }

  /** A table entry's entry: its Lance directory as a {@code LanceTable} (type URL without a domain, as above). */
  static TableEntry tableEntry(Table table) {
    return TableEntry.newBuilder()
        .setDetails(Entry.of(table).details())
        .setProviderDetails(Any.pack(io.rrdflight.server.redap.proto.LanceTable.newBuilder().setTableUrl(table.url()).build(), ""))
        .build();
  }

  /** The entry of the table an id names: the system table's or a table entry's. */
  TableEntry tableEntry(EntryId id) {
    return table(id).map(Entries::tableEntry).orElseGet(Entries::entriesTableEntry);
  }
}
