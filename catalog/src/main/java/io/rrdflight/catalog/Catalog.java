package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import io.rrdflight.rrd.Chunk;
import io.rrdflight.rrd.ChunkId;
import io.rrdflight.rrd.ChunkIndex;
import io.rrdflight.rrd.LocalFile;
import io.rrdflight.rrd.RecordingSource;
import io.rrdflight.rrd.RecordingSources;
import io.rrdflight.rrd.RrdFormatException;
import io.rrdflight.rrd.RrdReader;
import io.rrdflight.rrd.StoreKind;
import io.rrdflight.rrd.s3.S3Exception;
import java.io.IOException;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import org.apache.arrow.memory.BufferAllocator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Datasets, their partitions and registration tasks; persisted in a {@link CatalogStore} (by
 * default {@code DATA_DIR/catalog.db}, or PostgreSQL) and kept in memory for reads. This class is the read model and the API; registration is the
 * {@link Registrar}'s, which indexes files on background threads and commits each file's partitions
 * together with its task's final state in one transaction, so a crash never leaves a
 * half-registered file behind. Thread-safe.
 */
public final class Catalog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Catalog.class);
  static final String INTERRUPTED = "interrupted: the server stopped before this registration finished; register the file again";

  private final CatalogStore store;
  private final RecordingSources sources;
  /** Made the partitions' chunk indexes, and reads them back. */
  private final RecordingIndexer indexer;
  private final Registrar registrar;
  private final ChunkIndexCache indexCache = ChunkIndexCache.sizedForHeap();
  private final ChunkTimesWriter timesWriter;
  private final Map<EntryId, DatasetSchemaEntry> schemaCache = new HashMap<>();

  /** Guards the maps below and the registrar's tasks; also the monitor that task waiters wait on. */
  private final Object lock = new Object();
  private final Map<EntryId, Dataset> datasets = new LinkedHashMap<>();
  private final Map<EntryId, Map<PartitionKey, Partition>> partitions = new HashMap<>();
  private final Map<EntryId, Table> tables = new LinkedHashMap<>();
  private final LanceTables lanceTables = new LanceTables();
  private final Path tablesDir;
  /** Null with a catalog in PostgreSQL: copies in one server's data dir would not serve a fleet. */
  private final Compactions compactions;

  record PartitionKey(String partitionId, String layer) {
    // Written out, as EntryId's are: a record's own equals/hashCode are linked on first use (ObjectMethods'
    // bootstrap, interpreted), and a restart's load uses this key before the server is ready. Same
    // results: the components compared, the hash as a record computes it.
    @Override
    public boolean equals(Object o) {
      return o instanceof PartitionKey k && Objects.equals(partitionId, k.partitionId) && Objects.equals(layer, k.layer);
    }

    @Override
    public int hashCode() {
      return 31 * Objects.hashCode(partitionId) + Objects.hashCode(layer);
    }
  }

  /** What keeps other servers off this catalog: the data dir's lock (the writer lock of PostgreSQL goes with the store). */
  private final AutoCloseable dataDirLock;
  /** Told of each registration's partitions as it is committed, and of each compaction's end ({@link #listen}). */
  private final List<PartitionListener> listeners = new CopyOnWriteArrayList<>();

  private Catalog(AutoCloseable dataDirLock, CatalogStore store, RecordingIndexer indexer, RecordingSources sources, int threads,
      RegistrationLimits limits, Path tablesDir, Path compactedDir, CompactionPolicy compaction) {
    this.dataDirLock = dataDirLock;
    this.compactions = compactedDir == null ? null : new Compactions(this, compactedDir, compaction,
        indexer.newWorkAllocator("compactions", Compactions.MEMORY_LIMIT));
    this.tablesDir = tablesDir;
    this.store = store;
    this.sources = sources;
    this.indexer = indexer;
    this.registrar = new Registrar(this, store, lock, indexer, sources, threads, limits);
    this.timesWriter = new ChunkTimesWriter(store);
  }

  /**
   * Opens (or creates) the catalog in {@code dataDir}, which this process then holds exclusively
   * until {@link #close()}: a second server on the same data dir fails here, naming the holder's
   * pid. Tasks that were pending or running when the previous process stopped are marked failed:
   * their files' partitions were never committed.
   */
  public static Catalog open(Path dataDir, RecordingIndexer indexer, int registrationThreads) {
    return open(dataDir, indexer, registrationThreads, RegistrationLimits.UNRESTRICTED);
  }

  /** As above; what clients may register is bounded by {@code limits} (the server's {@code --allow-root}). */
  public static Catalog open(Path dataDir, RecordingIndexer indexer, int registrationThreads, RegistrationLimits limits) {
    return open(new CatalogLocation.Embedded(dataDir), indexer, registrationThreads, limits, RecordingSources.localOnly());
  }

  /**
   * As above, reading recordings through {@code sources} (local files, and objects when it has an
   * S3 client); the catalog closes it.
   */
  public static Catalog open(Path dataDir, RecordingIndexer indexer, int registrationThreads, RegistrationLimits limits,
      RecordingSources sources) {
    return open(new CatalogLocation.Embedded(dataDir), indexer, registrationThreads, limits, sources);
  }

  /** The catalog at {@code location}, reading local files only (see below for a catalog in PostgreSQL). */
  public static Catalog open(CatalogLocation location, RecordingIndexer indexer, int registrationThreads, RegistrationLimits limits) {
    return open(location, indexer, registrationThreads, limits, RecordingSources.localOnly());
  }

  /**
   * Opens the catalog where {@code location} says: the embedded store in a data dir (held by this
   * process alone, see above), or a PostgreSQL database (held by this process alone through an
   * advisory lock, see {@link PostgresCatalogStore}); recordings are read through {@code sources},
   * which the catalog closes.
   */
  public static Catalog open(CatalogLocation location, RecordingIndexer indexer, int registrationThreads, RegistrationLimits limits,
      RecordingSources sources) {
    if (!(location instanceof CatalogLocation.Embedded embedded)) {
      throw new IllegalArgumentException("a catalog in PostgreSQL needs a directory for the tables it creates: pass tablesDir");
    }
    return open(location, indexer, registrationThreads, limits, sources, embedded.dataDir().resolve("tables"));
  }

  /** As above; tables created without a directory of their own go below {@code tablesDir}. */
  public static Catalog open(CatalogLocation location, RecordingIndexer indexer, int registrationThreads, RegistrationLimits limits,
      RecordingSources sources, Path tablesDir) {
    return open(location, indexer, registrationThreads, limits, sources, tablesDir, CompactionPolicy.AUTO);
  }

  /**
   * As above; {@code compaction} says which recordings of many small chunks get a compacted copy in
   * the data dir (none with a catalog in PostgreSQL, which says so in one log line).
   */
  public static Catalog open(CatalogLocation location, RecordingIndexer indexer, int registrationThreads, RegistrationLimits limits,
      RecordingSources sources, Path tablesDir, CompactionPolicy compaction) {
    requireNonNull(compaction, "compaction is null");
    requireNonNull(location, "location is null");
    requireNonNull(tablesDir, "tablesDir is null");
    requireNonNull(sources, "sources is null");
    requireNonNull(indexer, "indexer is null");
    requireNonNull(limits, "limits is null");
    AutoCloseable held;
    CatalogStore store;
    Path compactedDir = null;
    if (location instanceof CatalogLocation.Embedded embedded) {
      compactedDir = embedded.dataDir().toAbsolutePath().normalize().resolve("compacted");
      Path dataDir = embedded.dataDir();
      createDataDir(dataDir);
      DataDirLock dataDirLock = DataDirLock.acquire(dataDir);
      try {
        store = SqliteCatalogStore.open(dataDir.resolve("catalog.db"));
      } catch (RuntimeException e) {
        dataDirLock.close();
        throw e;
      }
      held = dataDirLock;
    } else {
      store = PostgresCatalogStore.open((CatalogLocation.Postgres) location);
      held = () -> { };
      if (!compaction.isOff()) {
        log.info("recordings of many small chunks are not compacted with a catalog in PostgreSQL: copies in one server's"
            + " data dir would not serve the fleet (catalog README, \"Compacted copies\")");
      }
    }
    Catalog catalog = new Catalog(held, store, indexer, sources, Math.max(1, registrationThreads), limits,
        tablesDir.toAbsolutePath().normalize(), compactedDir, compaction);
    try {
      catalog.load();
    } catch (RuntimeException e) {
      catalog.close();
      throw e;
    }
    return catalog;
  }

  /**
   * Does the one-time work of this process's first {@link #open} of a catalog in a data dir ahead, on an empty
   * in-memory database (no file): a server does it on another thread while it parses its arguments.
   */
  public static void warmUpEmbedded() {
    SqliteCatalogStore.warmUp();
  }

  private static void createDataDir(Path dataDir) {
    try {
      if (!Files.isDirectory(dataDir)) {
        Files.createDirectories(dataDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
    } catch (UnsupportedOperationException e) {
      createDirectories(dataDir);
    } catch (IOException e) {
      throw CatalogException.failed("Cannot create data directory " + dataDir + ": " + e.getMessage(), e);
    }
  }

  private static void createDirectories(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw CatalogException.failed("Cannot create data directory " + dir + ": " + e.getMessage(), e);
    }
  }

  private void load() {
    synchronized (lock) {
      // Everything is read before anything is replaced: a read that fails (a dropped connection, a row
      // this rrdflight cannot read) leaves a refreshing server with the catalog it had, not an empty one.
      long generation = store.generation();
      List<Dataset> storedDatasets = store.datasets();
      List<Table> storedTables = store.tables();
      Map<CatalogStore.PartitionRef, CompactedCopy> copies = compactions == null ? Map.of() : store.compactedCopies();
      List<Partition> storedPartitions = store.partitions();
      loadedGeneration = generation;
      datasets.clear();
      partitions.clear();
      for (Dataset d : storedDatasets) {
        datasets.put(d.id(), d);
        partitions.put(d.id(), new LinkedHashMap<>());
      }
      tables.clear();  // a refresh must drop tables another server deleted, as it drops datasets
      for (Table t : storedTables) {
        tables.put(t.id(), t);
      }
      List<Partition> withCopies = new ArrayList<>();
      for (Partition p : storedPartitions) {
        // A recorded copy is served once it has been checked whole (Compactions.adopt); its own file until then.
        if (copies.containsKey(new CatalogStore.PartitionRef(p.datasetId(), p.partitionId(), p.layer()))) {
          withCopies.add(p);
        }
        partitions.computeIfAbsent(p.datasetId(), k -> new LinkedHashMap<>()).put(new PartitionKey(p.partitionId(), p.layer()), p);
      }
      if (compactions != null && store.writable()) {
        compactions.deleteOrphans(copies.values().stream().map(c -> c.file().path().toAbsolutePath().normalize()).collect(java.util.stream.Collectors.toSet()));
        withCopies.forEach(p -> compactions.adopt(p, copies.get(new CatalogStore.PartitionRef(p.datasetId(), p.partitionId(), p.layer()))));
        partitions.values().forEach(m -> m.values().forEach(p -> {
          if (!withCopies.contains(p)) {
            compactions.consider(p);
          }
        }));
      }
    }
    registrar.load(store.tasks(), store.writable());
  }

  /** The store's change counter when this catalog last read it. */
  private volatile long loadedGeneration;

  /** Whether this server may change the catalog: always, except on a fleet node that is not the writer. */
  public boolean isWriter() {
    return store.writable();
  }

  /**
   * On a server that reads a shared catalog (a fleet node that is not the writer): takes over as
   * writer when the writer's lock is free, and reads the catalog again when another server changed
   * it since the last read, so datasets, partitions and (through the SQL engine's generation) the
   * plan cache follow. Returns whether anything was read again. The writer never needs this: it
   * makes every change itself.
   */
  public boolean refresh() {
    if (store.writable()) {
      return false;
    }
    boolean promoted = store instanceof PostgresCatalogStore pg && pg.tryBecomeWriter();
    if (!promoted && store.generation() == loadedGeneration) {
      return false;
    }
    if (promoted) {
      log.warn("this server now writes catalog {} (the previous writer stopped)", store.describe());
    }
    load(); // as the new writer, this also marks the old writer's unfinished tasks failed
    return true;
  }

  /** Records this server in the fleet's nodes table (nothing with the embedded store). */
  public void heartbeat(String nodeId, String location) {
    store.heartbeat(nodeId, location);
  }

  /** The locations of the fleet's servers seen alive within {@code within}, by node id; empty alone. */
  public List<String> liveLocations(Duration within) {
    return store.liveLocations(within);
  }

  // --- datasets ---------------------------------------------------------------------------------

  /** A recording dataset without companions (a server's warm-up rehearsal; what {@code server -d} made before 0.41's companions). */
  public Dataset createDataset(String name) {
    String checked = checkName(name);
    synchronized (lock) {
      Instant now = Instant.now();
      return insert(List.of(new Dataset(EntryId.random(), checked, now, now))).get(0);
    }
  }

  /**
   * A recording dataset together with its companion blueprint and asset datasets, as Rerun's
   * CreateDatasetEntry makes them ({@link BlueprintDatasets}, {@link AssetDatasets}); all three are
   * stored in one transaction. Returns the recording dataset, whose {@code blueprintDataset} names
   * the blueprint companion; {@link #assetDataset} finds the asset companion.
   */
  public Dataset createDatasetWithCompanions(String name) {
    String checked = checkName(name);
    synchronized (lock) {
      Instant now = Instant.now();
      BlueprintDatasets.Pair pair = BlueprintDatasets.create(checked, now);
      Dataset assets = AssetDatasets.create(pair.dataset().id(), now);
      return insert(List.of(pair.blueprints(), assets, pair.dataset())).get(2);
    }
  }

  /**
   * Gives a recording dataset the companions it lacks (a blueprint dataset, an asset dataset), as
   * {@code rerun server} 0.41 gives every dataset, those it serves with {@code -d} too: a directory
   * dataset an older rrdflight made has none, nor an asset dataset any dataset made before them (Rerun's
   * server makes that one when the dataset's entry is updated, which is how its clients ask). A
   * blueprint dataset deleted on its own stays named and is not made anew, as in Rerun. Blueprint and
   * asset datasets have no companions. Returns the dataset as it is now.
   */
  public Dataset ensureCompanions(EntryId id) {
    synchronized (lock) {
      Dataset d = dataset(id);
      if (d.kind() != DatasetKind.RECORDING) {
        return d;
      }
      Instant now = Instant.now();
      List<Dataset> created = new ArrayList<>();
      Dataset updated = d;
      if (d.blueprintDataset().isEmpty()) {
        Dataset blueprints = BlueprintDatasets.forOwner(id, now);
        created.add(blueprints);
        updated = d.withBlueprints(Optional.of(blueprints.id()), d.defaultBlueprint(), now);
      }
      if (assetDataset(id).isEmpty()) {
        created.add(AssetDatasets.create(id, now));
      }
      if (created.isEmpty()) {
        return d;
      }
      for (Dataset c : created) {
        if (findDataset(c.name()).isPresent()) {
          throw CatalogException.alreadyExists("Dataset '" + c.name() + "' already exists");
        }
      }
      store.updateBlueprints(updated, created);
      created.forEach(this::putStored);
      datasets.put(id, updated);
      return updated;
    }
  }

  /** The asset dataset of a recording dataset, if it has one (datasets created before asset datasets have none). */
  public Optional<Dataset> assetDataset(EntryId owner) {
    synchronized (lock) {
      String name = AssetDatasets.nameFor(owner);
      return datasets.values().stream().filter(d -> d.kind() == DatasetKind.ASSET && d.name().equals(name)).findFirst();
    }
  }

  private List<Dataset> insert(List<Dataset> created) {
    for (Dataset d : created) {
      if (findDataset(d.name()).isPresent()) {
        throw CatalogException.alreadyExists("Dataset '" + d.name() + "' already exists");
      }
      requireNoTableNamed(d.name());
    }
    store.insertDatasets(created);
    created.forEach(this::putStored);
    return created;
  }

  /** The recording datasets (what users query; SQL tables); blueprint and asset datasets are left out. */
  public List<Dataset> datasets() {
    return datasets(DatasetKind.RECORDING);
  }

  public List<Dataset> datasets(DatasetKind kind) {
    synchronized (lock) {
      return datasets.values().stream().filter(d -> d.kind() == kind).toList();
    }
  }

  /** Every dataset, recording, blueprint and asset datasets alike (Rerun's entry listings show them all). */
  public List<Dataset> allDatasets() {
    synchronized (lock) {
      return List.copyOf(datasets.values());
    }
  }

  /** A dataset of either kind by its name. */
  public Optional<Dataset> findDataset(String name) {
    synchronized (lock) {
      return datasets.values().stream().filter(d -> d.name().equals(name)).findFirst();
    }
  }

  /** A dataset of either kind by its id. */
  public Dataset dataset(EntryId id) {
    synchronized (lock) {
      Dataset d = datasets.get(id);
      if (d == null) {
        throw CatalogException.notFound("No dataset with id " + id);
      }
      return d;
    }
  }

  public Dataset datasetNamed(String name) {
    return findDataset(name).orElseThrow(() -> CatalogException.notFound("No dataset named '" + name + "'"));
  }

  /**
   * Forgets the dataset, its partitions and their chunk indexes, and its blueprint and asset
   * datasets with it (as Rerun does). Deleting a blueprint dataset on its own leaves its owner (a
   * dataset or table) naming it, as Rerun does, so setting the owner's default blueprint is then
   * refused ({@link #requireBlueprintDataset}); deleting an asset dataset on its own leaves its
   * dataset without one until {@link #ensureCompanions} makes a new one (Rerun's server keeps
   * naming the deleted one instead). The .rrd files are never touched.
   */
  public void deleteDataset(EntryId id) {
    synchronized (lock) {
      Dataset d = dataset(id);
      List<EntryId> gone = new ArrayList<>();
      gone.add(id);
      // A companion deleted on its own before is simply gone here (Rerun deletes the dataset too, then answers NOT_FOUND).
      d.blueprintDataset().filter(datasets::containsKey).ifPresent(gone::add);
      if (d.kind() == DatasetKind.RECORDING) {
        assetDataset(id).map(Dataset::id).ifPresent(gone::add);
      }
      store.deleteDatasets(gone);
      forgetDatasets(gone);
    }
  }

  /** Drops deleted datasets from memory: their partitions, compacted copies and tasks. */
  private void forgetDatasets(List<EntryId> gone) {
    for (EntryId g : gone) {
      datasets.remove(g);
      Map<PartitionKey, Partition> dropped = partitions.remove(g);
      if (dropped != null) {
        dropped.values().forEach(this::discardCopy);
      }
      registrar.forgetDataset(g);
    }
  }

  /**
   * Refuses to change the blueprint settings of an {@code ownerKind} ("dataset" or "table") whose
   * blueprint dataset {@code id} was deleted on its own: INVALID_ARGUMENT in Rerun's words.
   */
  private void requireBlueprintDataset(EntryId id, String ownerKind) {
    if (!datasets.containsKey(id)) {
      throw BlueprintDatasets.missing(ownerKind, id);
    }
  }

  public Dataset renameDataset(EntryId id, String newName) {
    String checked = checkName(newName);
    synchronized (lock) {
      Dataset d = dataset(id);
      if (d.kind() == DatasetKind.ASSET) {
        // Its dataset finds it by name (AssetDatasets); Rerun's server would rename it.
        throw CatalogException.invalidArgument("'" + d.name() + "' is an asset dataset: it keeps the name its dataset gave it");
      }
      Optional<Dataset> clash = findDataset(checked);
      if (clash.isPresent() && !clash.get().id().equals(id)) {
        throw CatalogException.alreadyExists("Dataset '" + checked + "' already exists");
      }
      requireNoTableNamed(checked);
      Instant now = Instant.now();
      store.renameDataset(id, checked, now);
      Dataset renamed = d.renamed(checked, now);
      datasets.put(id, renamed);
      return renamed;
    }
  }

  /**
   * Sets (or, with empty, clears) the partition a viewer should lay the dataset out with. Like
   * Rerun, any partition id is accepted: the blueprint may be registered later; but a dataset whose
   * blueprint dataset was deleted on its own is refused, as in Rerun ({@link #requireBlueprintDataset}).
   */
  public Dataset setDefaultBlueprint(EntryId id, Optional<String> partitionId) {
    requireDefaultBlueprint(partitionId);
    synchronized (lock) {
      Dataset d = dataset(id);
      d.blueprintDataset().ifPresent(b -> requireBlueprintDataset(b, "dataset"));
      Dataset updated = d.withBlueprints(d.blueprintDataset(), partitionId, Instant.now());
      store.updateBlueprints(updated, List.of());
      datasets.put(id, updated);
      return updated;
    }
  }

  /** Any partition id will do as a default blueprint, as in Rerun, but not a blank one. */
  private static void requireDefaultBlueprint(Optional<String> partitionId) {
    requireNonNull(partitionId, "partitionId is null");
    if (partitionId.isPresent() && partitionId.get().isBlank()) {
      throw CatalogException.invalidArgument("A default blueprint needs a non-empty partition id");
    }
  }

  /** Keeps a dataset just stored: it has no partitions yet. */
  private void putStored(Dataset d) {
    datasets.put(d.id(), d);
    partitions.put(d.id(), new LinkedHashMap<>());
  }

  // --- segment properties -------------------------------------------------------------------------

  /** A segment's mutable properties in a dataset of any kind, if any were written ({@link SegmentProperties}). */
  public Optional<SegmentProperties> segmentProperties(EntryId datasetId, String segmentId) {
    requireNonNull(segmentId, "segmentId is null");
    synchronized (lock) {
      dataset(datasetId);
      return store.segmentProperties(datasetId, segmentId);
    }
  }

  /**
   * Replaces a segment's properties and returns the new revision. With {@code expectedRevision}, the
   * write lands only if the stored revision is that one (0: the segment has none yet), else FAILED,
   * so that two read-modify-writes of one segment cannot both land, as in Rerun.
   */
  public long setSegmentProperties(EntryId datasetId, String segmentId, byte[] batch, OptionalLong expectedRevision) {
    requireNonNull(segmentId, "segmentId is null");
    requireNonNull(batch, "batch is null");
    requireNonNull(expectedRevision, "expectedRevision is null");
    synchronized (lock) {
      dataset(datasetId);
      requireRevision(datasetId, segmentId, expectedRevision);
      long revision = newRevision();
      store.putSegmentProperties(datasetId, new SegmentProperties(segmentId, batch, revision));
      return revision;
    }
  }

  /** Drops a segment's properties (none stored: nothing to do), with the same revision check as a write. */
  public void deleteSegmentProperties(EntryId datasetId, String segmentId, OptionalLong expectedRevision) {
    requireNonNull(segmentId, "segmentId is null");
    deleteSegmentProperties(datasetId, Map.of(segmentId, requireNonNull(expectedRevision, "expectedRevision is null")));
  }

  /**
   * Drops the properties of several segments, all or none: every revision is checked before any is
   * dropped, so one stale revision leaves the others' properties in place.
   */
  public void deleteSegmentProperties(EntryId datasetId, Map<String, OptionalLong> expectedRevisions) {
    requireNonNull(expectedRevisions, "expectedRevisions is null");
    synchronized (lock) {
      dataset(datasetId);
      expectedRevisions.forEach((segmentId, expected) -> requireRevision(datasetId, segmentId, expected));
      store.deleteSegmentProperties(datasetId, List.copyOf(expectedRevisions.keySet()));
    }
  }

  private void requireRevision(EntryId datasetId, String segmentId, OptionalLong expected) {
    if (expected.isEmpty()) {
      return;
    }
    long found = store.segmentProperties(datasetId, segmentId).map(SegmentProperties::revision).orElse(0L);
    if (found != expected.getAsLong()) {
      throw CatalogException.failed("Properties of segment '" + segmentId + "' were changed by another write: expected revision "
          + Long.toUnsignedString(expected.getAsLong()) + ", found " + Long.toUnsignedString(found), null);
    }
  }

  /** Random, as Rerun's (clients only compare revisions), and never 0, which means "no properties". */
  private static long newRevision() {
    long r;
    do {
      r = java.util.concurrent.ThreadLocalRandom.current().nextLong();
    } while (r == 0);
    return r;
  }

  // --- tables -----------------------------------------------------------------------------------

  /** The table entries, by name. Their rows are read and written through {@link #lanceTables()}. */
  public List<Table> tables() {
    synchronized (lock) {
      return tables.values().stream().sorted(java.util.Comparator.comparing(Table::name)).toList();
    }
  }

  public Optional<Table> findTable(String name) {
    synchronized (lock) {
      return tables.values().stream().filter(t -> t.name().equals(name)).findFirst();
    }
  }

  public Optional<Table> findTable(EntryId id) {
    synchronized (lock) {
      return Optional.ofNullable(tables.get(id));
    }
  }

  public Table table(EntryId id) {
    return findTable(id).orElseThrow(() -> CatalogException.notFound("No table with id " + id));
  }

  public Table tableNamed(String name) {
    return findTable(name).orElseThrow(() -> CatalogException.notFound("No table named '" + name + "'"));
  }

  /** Reads and writes the rows of tables. */
  public LanceTables lanceTables() {
    return lanceTables;
  }

  /**
   * Registers the existing Lance table in {@code dir} (Rerun's RegisterTable; {@code server -t}).
   * Clients may name only directories below the allowed roots ({@code trusted} is for the server's
   * own {@code -t} arguments). The name must be free among datasets and tables.
   */
  public Table registerTable(String name, Path dir, boolean trusted) {
    String checked = checkName(name, "table");
    Path real = trusted ? dir.toAbsolutePath().normalize() : registrar.requireRegistrableDirectory(dir);
    lanceTables.requireTable(real);
    synchronized (lock) {
      requireFreeName(checked);
      return insertTable(EntryId.random(), checked, real);
    }
  }

  /** A new table entry with its blueprint dataset, as Rerun 0.41 makes every table; both stored in one transaction. */
  private Table insertTable(EntryId id, String name, Path dir) {
    Instant now = Instant.now();
    Dataset blueprints = BlueprintDatasets.forOwner(id, now);
    Table t = new Table(id, name, dir, Optional.of(blueprints.id()), Optional.empty(), now, now);
    store.insertTable(t, List.of(blueprints));
    putStored(blueprints);
    tables.put(t.id(), t);
    return t;
  }

  /**
   * What {@code server -t NAME=DIR} does: the table named NAME serves DIR from now on. An entry of
   * that name is kept (same id across restarts); one for another directory is pointed at DIR, with
   * its blueprint dataset and default blueprint; a dataset of that name is ALREADY_EXISTS.
   */
  public Table serveTable(String name, Path dir) {
    Path real = dir.toAbsolutePath().normalize();
    lanceTables.requireTable(real);
    synchronized (lock) {
      Optional<Table> existing = findTable(name);
      if (existing.isPresent()) {
        Table t = existing.get();
        if (t.path().equals(real)) {
          return t;
        }
        Instant now = Instant.now();
        store.moveTable(t.id(), real, now);
        Table moved = t.movedTo(real, now);
        tables.put(t.id(), moved);
        return moved;
      }
    }
    return registerTable(name, real, true);
  }

  /**
   * Creates an empty Lance table (Rerun's CreateTableEntry) in {@code dir}, or, when empty, in a new
   * directory below {@code DATA_DIR/tables}; a client's directory must lie below the allowed roots.
   */
  public Table createTable(String name, Optional<Path> dir, org.apache.arrow.vector.types.pojo.Schema schema,
      org.apache.arrow.memory.BufferAllocator allocator) {
    String checked = checkName(name, "table");
    EntryId id = EntryId.random();
    Path target;
    if (dir.isPresent()) {
      Path wanted = dir.get().toAbsolutePath().normalize();
      if (wanted.getParent() == null) {
        throw CatalogException.invalidArgument("Cannot create a table at " + dir.get() + ": name a directory for it");
      }
      // Missing directories on the way are made, as Rerun's server makes them, but only once the
      // nearest one that exists has been found under an allowed root (symlinks resolved): outside
      // them a missing and an unreadable directory still look the same.
      Path existing = wanted.getParent();
      while (!Files.isDirectory(existing)) {
        existing = existing.getParent();
      }
      target = registrar.requireRegistrableDirectory(existing).resolve(existing.relativize(wanted));
      try {
        Files.createDirectories(target.getParent());
      } catch (IOException e) {
        throw CatalogException.invalidArgument("Cannot create a table in " + dir.get() + ": " + e.getMessage());
      }
      // Checked again once made, symlinks resolved: a link on the way (put there since the check) or at
      // the table's own name must not lead out of the allowed roots, as no registered path may.
      target = registrar.requireRegistrableDirectory(target.getParent()).resolve(target.getFileName());
      if (Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(target)) {
        target = registrar.requireRegistrableDirectory(target);
      }
    } else {
      createDirectories(tablesDir);
      target = tablesDir.resolve(id.toHex());
    }
    // The first table of a server unpacks and loads Lance's native library (~180 MB): not while every
    // other catalog call waits for the lock.
    LanceNativeLibrary.load();
    synchronized (lock) {
      requireFreeName(checked);
      lanceTables.create(target, schema, allocator);
      return insertTable(id, checked, target);
    }
  }

  /**
   * Forgets a table entry and its blueprint dataset, as Rerun does; its Lance directory stays on
   * disk, as with Rerun's server.
   */
  public void deleteTable(EntryId id) {
    synchronized (lock) {
      Table t = table(id);
      List<EntryId> owned = t.blueprintDataset().filter(datasets::containsKey).stream().toList();
      store.deleteTable(id, owned);
      tables.remove(id);
      forgetDatasets(owned);
    }
  }

  /**
   * Sets (or, with empty, clears) the partition a viewer should lay the table out with, as datasets
   * have theirs ({@link #setDefaultBlueprint}). A table entered before tables had blueprint datasets
   * gets one made now, as Rerun 0.41 does on demand; one whose blueprint dataset was deleted on its
   * own is refused, as in Rerun ({@link #requireBlueprintDataset}).
   */
  public Table setTableDefaultBlueprint(EntryId id, Optional<String> partitionId) {
    requireDefaultBlueprint(partitionId);
    synchronized (lock) {
      Table t = table(id);
      Instant now = Instant.now();
      t.blueprintDataset().ifPresent(b -> requireBlueprintDataset(b, "table"));
      Optional<Dataset> created = t.blueprintDataset().isPresent() ? Optional.empty() : Optional.of(BlueprintDatasets.forOwner(id, now));
      Table updated = t.withBlueprints(created.map(Dataset::id).or(t::blueprintDataset), partitionId, now);
      store.updateTableBlueprints(updated, created.stream().toList());
      created.ifPresent(this::putStored);
      tables.put(id, updated);
      return updated;
    }
  }

  public Table renameTable(EntryId id, String newName) {
    String checked = checkName(newName, "table");
    synchronized (lock) {
      Table t = table(id);
      if (t.name().equals(checked)) {
        return t;
      }
      requireFreeName(checked);
      Instant now = Instant.now();
      store.renameTable(id, checked, now);
      Table renamed = t.renamed(checked, now);
      tables.put(id, renamed);
      return renamed;
    }
  }

  private void requireFreeName(String name) {
    if (findDataset(name).isPresent()) {
      throw CatalogException.alreadyExists("A dataset named '" + name + "' already exists; tables and datasets share one namespace");
    }
    requireNoTableNamed(name);
  }

  private void requireNoTableNamed(String name) {
    if (findTable(name).isPresent()) {
      throw CatalogException.alreadyExists("A table named '" + name + "' already exists; tables and datasets share one namespace");
    }
  }

  // --- partitions -------------------------------------------------------------------------------

  private static final Comparator<Partition> PARTITION_ORDER = Comparator.comparing(Partition::partitionId).thenComparing(Partition::layer);

  /** The dataset's partitions, ordered by partition id then layer. */
  public List<Partition> partitions(EntryId datasetId) {
    synchronized (lock) {
      dataset(datasetId);
      return partitions.getOrDefault(datasetId, Map.of()).values().stream()
          .sorted(PARTITION_ORDER)
          .toList();
    }
  }

  /**
   * One layer of one partition, without listing the dataset: Rerun's FetchChunks names the chunks
   * of a partition per call, and a dataset may have thousands. NOT_FOUND names what is missing.
   */
  public Partition partition(EntryId datasetId, String partitionId, String layer) {
    synchronized (lock) {
      Dataset d = dataset(datasetId);
      Partition p = partitions.getOrDefault(datasetId, Map.of()).get(new PartitionKey(partitionId, layer));
      if (p == null) {
        throw CatalogException.notFound("Dataset '" + d.name() + "' has no partition " + partitionId + " (layer " + layer + ")");
      }
      return p;
    }
  }

  /** The serialised chunk index of a partition, as the rrd module wrote it at registration. */
  public byte[] chunkIndex(Partition partition) {
    return store.chunkIndex(partition.datasetId(), partition.partitionId(), partition.layer())
        .orElseThrow(() -> CatalogException.notFound("Partition " + partition.partitionId() + " is no longer in the catalog"));
  }

  /** The columns of one partition, in Rerun's dataframe form. */
  public DatasetSchema schema(Partition partition) {
    return DatasetSchema.fromBytes(store.schema(partition.datasetId(), partition.partitionId(), partition.layer())
        .orElseThrow(() -> CatalogException.notFound("Partition " + partition.partitionId() + " is no longer in the catalog")));
  }

  /**
   * The dataset's columns: the union of its partitions' columns (what SQL tables and Rerun's
   * {@code GetDatasetSchema} show). Cached until the dataset's partitions change.
   */
  public DatasetSchema datasetSchema(EntryId datasetId) {
    List<Partition> current = partitions(datasetId);
    synchronized (schemaCache) {
      DatasetSchemaEntry cached = schemaCache.get(datasetId);
      if (cached != null && cached.partitions().equals(current)) {
        return cached.schema();
      }
    }
    // In the order the partitions were registered (a struct that gains fields lists them in merge order),
    // as the registrar merges each group's files into the union it remembers: the same columns, in the
    // same order, however the union was last worked out.
    DatasetSchema union = DatasetSchema.empty();
    for (Partition p : current.stream().sorted(Comparator.comparing(Partition::registeredAt).thenComparing(PARTITION_ORDER)).toList()) {
      union = union.union(schema(p));
    }
    synchronized (schemaCache) {
      schemaCache.put(datasetId, new DatasetSchemaEntry(current, union));
    }
    return union;
  }

  private record DatasetSchemaEntry(List<Partition> partitions, DatasetSchema schema) {}

  /**
   * Keeps {@code schema} as the union of {@code partitions}' schemas (the registrar worked it out as it
   * planned a group of files), so that {@link #datasetSchema} need not read those partitions again.
   */
  void rememberDatasetSchema(EntryId datasetId, List<Partition> partitions, DatasetSchema schema) {
    List<Partition> ordered = partitions.stream().sorted(PARTITION_ORDER).toList();
    synchronized (schemaCache) {
      schemaCache.put(datasetId, new DatasetSchemaEntry(ordered, schema));
    }
  }

  /**
   * The chunk index of a partition (its recording's chunks only), decoded; recently used ones are
   * cached. Fails, naming partition and file, when the file changed or vanished since registration.
   */
  public ChunkIndex chunks(Partition partition) {
    verifyUnchanged(partition);
    Optional<CompactedCopy> copy = partition.compacted();
    if (copy.isPresent()) {
      verifyCopy(partition, copy.get());
    }
    return indexCache.get(partition, () -> {
      try {
        if (copy.isPresent()) {
          byte[] bytes = store.compactedIndex(partition.datasetId(), partition.partitionId(), partition.layer())
              .orElseThrow(() -> CatalogException.notFound("Partition " + partition.partitionId() + " changed; run the query again"));
          return indexer.chunkIndex(bytes, copy.get().file().location());
        }
        return indexer.chunkIndex(chunkIndex(partition), partition.file().location());
      } catch (RrdFormatException e) {
        throw CatalogException.failed("Partition " + partition.partitionId() + ": its stored chunk index is unreadable ("
            + e.getMessage() + "); register " + partition.file().location() + " again", e);
      }
    });
  }

  /**
   * What scans learnt about the partition's chunks ({@link #saveChunkTimes}), by chunk, in the SQL
   * engine's encoding; only what was learnt from the file as registered now (a re-registered or
   * changed file has none), so they survive restarts but never outlive the bytes they describe.
   */
  public Map<ChunkId, byte[]> chunkTimes(Partition partition) {
    return store.chunkTimes(requireNonNull(partition, "partition is null"));
  }

  /**
   * Keeps chunk times a scan learnt, written later on a thread of the catalog's (never on the
   * caller's); chunks that already have theirs keep them. Dropped when the store is read-only (a
   * fleet reader) or too many wait: they are a cache, and the next scan learns them again.
   */
  public void saveChunkTimes(Partition partition, Map<ChunkId, byte[]> times) {
    timesWriter.offer(partition, times);
  }

  /**
   * The row count of the view on {@code timeline} with {@code contents} in the partition as
   * registered now ({@link ViewRowCount}), when a scan stored it ({@link #saveViewRowCount}); reads
   * that one count, nothing else of the partition's.
   */
  public OptionalLong viewRowCount(Partition partition, String timeline, String contents) {
    return store.viewRowCount(requireNonNull(partition, "partition is null"), requireNonNull(timeline, "timeline is null"),
        requireNonNull(contents, "contents is null"));
  }

  /** Keeps a view's row count a scan computed, written later as chunk times are ({@link #saveChunkTimes}). */
  public void saveViewRowCount(ViewRowCount count) {
    timesWriter.offer(count);
  }

  // --- reading recordings ------------------------------------------------------------------------

  /**
   * Opens a partition's recording, as registered, for reading chunks by offset; the caller closes
   * it. A local file is checked now: FAILED (FAILED_PRECONDITION) naming partition and file when it
   * changed or vanished since registration, as stale offsets would give wrong data. An object costs
   * no request here: each read asks for the registered ETag, and fails the same way when the object
   * changed ({@link #readFailure}).
   */
  public RecordingSource openSource(Partition partition) {
    FileStamp stamp = partition.file();
    if (!stamp.isObject()) {
      verifyUnchanged(partition);
    }
    if (partition.compacted().isPresent()) {
      // The original's stamp governs (checked just now); the copy is read as it was written.
      CompactedCopy copy = partition.compacted().get();
      verifyCopy(partition, copy);
      stamp = copy.file();
    }
    RecordingSource source;
    try {
      source = sources.openAsOf(stamp.location(), stamp.sizeBytes(), stamp.version());
    } catch (IOException e) {
      throw readFailure(partition, "cannot open its recording " + stamp.location(), e);
    }
    if (!stamp.sameAs(FileStamp.of(source))) {
      closeQuietly(source);
      throw changed(partition);
    }
    return source;
  }

  /**
   * Checks with one request (a HEAD) that a partition's object is as it was registered, failing as its
   * reads would ({@link #readFailure}: changed, or gone). Reads of an object check its ETag themselves;
   * this is for a reader that serves chunks it kept from earlier reads. A local file is checked by
   * {@link #openSource}, so nothing is done for one.
   */
  public void verifyObject(Partition partition) {
    FileStamp stamp = partition.file();
    if (!stamp.isObject()) {
      return;
    }
    try (RecordingSource now = sources.open(stamp.location())) {
      if (!stamp.sameAs(FileStamp.of(now))) {
        throw changed(partition);
      }
    } catch (IOException e) {
      throw readFailure(partition, "cannot check its recording " + stamp.location(), e);
    }
  }

  /** Opens a file the catalog wrote itself (a compacted copy) through the one place recordings are opened. */
  RecordingSource openLocal(Path file) throws IOException {
    return sources.open(file.toString());
  }

  /** Decodes one chunk of a partition (see {@link #openSource}); the caller closes it. */
  public Chunk readChunk(Partition partition, long offset, long length, BufferAllocator allocator) {
    try (RecordingSource source = openSource(partition)) {
      return readChunk(partition, source, offset, length, allocator);
    } catch (IOException e) { // from closing it: reads fail in the call above
      throw readFailure(partition, "cannot close " + partition.file().location(), e);
    }
  }

  /**
   * Decodes one chunk from the partition's recording opened by {@link #openSource}, for readers that
   * take many chunks of one partition (and may have announced them, {@link RecordingSource#prefetch});
   * the caller closes the chunk. Fails as {@link #readChunk(Partition, long, long, BufferAllocator)} does.
   */
  public static Chunk readChunk(Partition partition, RecordingSource source, long offset, long length, BufferAllocator allocator) {
    try {
      return RrdReader.readChunk(source, offset, length, allocator);
    } catch (IOException e) {
      throw readFailure(partition, "cannot read the chunk at byte " + offset + " of " + partition.file().location(), e);
    }
  }

  /**
   * What a failed read of a partition's recording says to a client: FAILED naming partition and
   * recording when it changed (an object's ETag differs) or is gone, else FAILED with the reason.
   */
  public static CatalogException readFailure(Partition partition, String what, IOException e) {
    if (e instanceof S3Exception s3 && s3.reason() == S3Exception.Reason.CHANGED) {
      return changed(partition);
    }
    if (e instanceof S3Exception s3 && s3.reason() == S3Exception.Reason.NOT_FOUND) {
      return CatalogException.failed("Partition " + partition.partitionId() + ": its object " + partition.file().location()
          + " no longer exists; register it again or delete the partition", e);
    }
    return CatalogException.failed("Partition " + partition.partitionId() + ": " + what + ": " + e.getMessage(), e);
  }

  private static CatalogException changed(Partition partition) {
    return CatalogException.failed("Partition " + partition.partitionId() + ": its " + (partition.file().isObject() ? "object " : "file ")
        + partition.file().location() + " changed since it was registered; register it again to serve the new content", null);
  }

  /** For a local file: fails when it is gone or differs from its stamp. Objects are checked as they are read. */
  private static void verifyUnchanged(Partition partition) {
    FileStamp stamp = partition.file();
    if (stamp.isObject()) {
      return;
    }
    java.nio.file.attribute.BasicFileAttributes attrs;
    try {
      attrs = java.nio.file.Files.readAttributes(stamp.path(), java.nio.file.attribute.BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      throw CatalogException.failed("Partition " + partition.partitionId() + ": its file " + stamp.location() + " no longer exists; "
          + "register it again or delete the partition", e);
    } catch (IOException e) {
      throw CatalogException.failed("Partition " + partition.partitionId() + ": cannot read its file " + stamp.location() + ": " + e.getMessage(), e);
    }
    if (attrs.size() != stamp.sizeBytes() || !LocalFile.versionOf(attrs).equals(stamp.version())) {
      throw CatalogException.failed("Partition " + partition.partitionId() + ": its file " + stamp.location() + " changed since it was registered "
          + "(size " + stamp.sizeBytes() + " -> " + attrs.size() + " bytes); register it again to serve the new content", null);
    }
  }

  private static void closeQuietly(RecordingSource source) {
    try {
      source.close();
    } catch (IOException e) {
      // nothing was read through it
    }
  }

  // --- compacted copies (made by Compactions) -----------------------------------------------------

  /** Whether {@code p} is still the dataset's partition, exactly (not replaced, removed or swapped). */
  boolean isCurrent(Partition p) {
    synchronized (lock) {
      Map<PartitionKey, Partition> current = partitions.get(p.datasetId());
      return current != null && p.equals(current.get(new PartitionKey(p.partitionId(), p.layer())));
    }
  }

  /**
   * Makes {@code p} read its chunks from {@code copy}: stored in one transaction, then shown to
   * queries that start after it (running ones keep the value they took, and its file). False, and
   * nothing changes, when {@code p} is no longer current.
   */
  boolean swapToCompacted(Partition p, CompactedCopy copy, byte[] chunkIndex) {
    synchronized (lock) {
      if (!isCurrent(p) || !store.putCompacted(p, copy, chunkIndex)) {
        return false;
      }
      partitions.get(p.datasetId()).put(new PartitionKey(p.partitionId(), p.layer()), p.withCompacted(Optional.of(copy)));
      return true;
    }
  }

  /** Shows {@code copy}, recorded and now checked, to queries that start after this, if {@code p} is still current. */
  void showCompacted(Partition p, CompactedCopy copy) {
    synchronized (lock) {
      if (isCurrent(p)) {
        partitions.get(p.datasetId()).put(new PartitionKey(p.partitionId(), p.layer()), p.withCompacted(Optional.of(copy)));
      }
    }
  }

  /** Forgets {@code p}'s recorded copy, found damaged before it was served, and deletes it unless another partition reads it. */
  void dropCompacted(Partition p, CompactedCopy copy) {
    synchronized (lock) {
      if (isCurrent(p)) {
        store.dropCompacted(p);
      }
      discardUnlessShared(copy);
    }
  }

  /** A copy made of the same file (same stamp, same store) for a partition of another dataset, with its chunk index. */
  record SharedCopy(CompactedCopy copy, byte[] chunkIndex) {}

  /** The copy another current partition of the same file reads, if any: a file registered twice is compacted once. */
  Optional<SharedCopy> copyOfSameFile(Partition p) {
    synchronized (lock) {
      for (Map<PartitionKey, Partition> dataset : partitions.values()) {
        for (Partition q : dataset.values()) {
          if (q.compacted().isPresent() && q.file().equals(p.file()) && q.storeId().equals(p.storeId())) {
            Optional<byte[]> index = store.compactedIndex(q.datasetId(), q.partitionId(), q.layer());
            if (index.isPresent()) {
              return Optional.of(new SharedCopy(q.compacted().get(), index.get()));
            }
          }
        }
      }
      return Optional.empty();
    }
  }

  /** Where {@code p}'s compacted copy stands (see {@link CompactionState}). */
  public CompactionState compactionState(Partition p) {
    requireNonNull(p, "p is null");
    if (compactions == null) {
      return CompactionPolicy.AUTO.wants(p) ? CompactionState.SKIPPED : CompactionState.NONE; // a catalog in PostgreSQL
    }
    return compactions.state(p);
  }

  /** Tells {@code listener} of each registration's partitions as it is committed, and of each compaction's end. */
  public void listen(PartitionListener listener) {
    listeners.add(requireNonNull(listener, "listener is null"));
  }

  /** Tells the listeners of a registration's committed partitions; the caller holds the lock. */
  void announceAdded(List<Partition> added) {
    announce("of new partitions", listener -> listener.partitionsAdded(added));
  }

  /** Tells the listeners that {@code p}'s compaction is no longer pending (see {@link PartitionListener#compactionEnded}). */
  void announceCompactionEnded(Partition p) {
    announce("of compactions", listener -> listener.compactionEnded(p));
  }

  /** A failing listener is logged; the change it was told of stands. */
  private void announce(String what, Consumer<PartitionListener> news) {
    for (PartitionListener listener : listeners) {
      try {
        news.accept(listener);
      } catch (RuntimeException e) {
        log.warn("a listener {} failed: {}", what, e.toString());
      }
    }
  }

  /** Queues a compaction of a newly committed partition when its file wants one; the caller may hold the lock. */
  void considerCompaction(Partition p) {
    if (compactions != null) {
      compactions.consider(p);
    }
  }

  /** Deletes the copy of a partition that is gone or replaced (unless another partition of the same file shares it); holding the lock. */
  void discardCopy(Partition p) {
    p.compacted().ifPresent(this::discardUnlessShared);
  }

  private void discardUnlessShared(CompactedCopy copy) {
    synchronized (lock) {
      boolean shared = partitions.values().stream().flatMap(m -> m.values().stream())
          .anyMatch(q -> q.compacted().map(c -> c.file().location().equals(copy.file().location())).orElse(false));
      if (compactions != null && !shared) {
        compactions.discard(copy);
      }
    }
  }

  /** Waits until queued compactions have finished (for tests and benchmarks). */
  public void awaitCompactions(Duration timeout) throws InterruptedException {
    if (compactions != null) {
      compactions.awaitIdle(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Fails when a partition's copy is gone or differs from what was written (someone touched the
   * data dir): the copy is then dropped, so the next query reads the original, and made again.
   */
  private void verifyCopy(Partition p, CompactedCopy copy) {
    FileStamp now;
    try {
      java.nio.file.attribute.BasicFileAttributes attrs = Files.readAttributes(copy.file().path(), java.nio.file.attribute.BasicFileAttributes.class);
      now = new FileStamp(copy.file().location(), attrs.size(), LocalFile.versionOf(attrs));
    } catch (IOException e) {
      now = null;
    }
    if (now != null && copy.file().sameAs(now)) {
      return;
    }
    synchronized (lock) {
      if (isCurrent(p)) {
        store.dropCompacted(p);
        Partition original = p.withCompacted(Optional.empty());
        partitions.get(p.datasetId()).put(new PartitionKey(p.partitionId(), p.layer()), original);
        discardCopy(p);
        considerCompaction(original);
      }
    }
    throw CatalogException.failed("Partition " + p.partitionId() + ": its compacted copy " + copy.file().location()
        + " is gone or was changed; it will be made again, run the query again", null);
  }

  // --- registration (done by the Registrar) ------------------------------------------------------

  /**
   * Queues one task per source and returns them at once, pending. Each task indexes its file and
   * commits the file's partitions, or fails with a message naming the file; the rest of the catalog
   * never changes because of a failed task.
   */
  public List<Task> submit(EntryId datasetId, List<DataSource> sources, OnDuplicate onDuplicate) {
    return registrar.submit(datasetId, sources.stream().map(FileToRegister::toIndex).toList(), onDuplicate);
  }

  /**
   * As {@link #submit}, for files some of which the caller already indexed from their footers
   * ({@link #indexFromFooter}): those are committed together in one transaction, on the committer
   * like any file, and returned finished (success, or failed alone: a duplicate, a dataset deleted
   * meanwhile); the others are returned pending, for the workers. Returns in the order given.
   */
  public List<Task> submitFiles(EntryId datasetId, List<FileToRegister> files, OnDuplicate onDuplicate) {
    return registrar.submit(datasetId, files, onDuplicate);
  }

  /**
   * What registering {@code recording} (opened by {@link #openRegistrable} from {@code source}) would
   * commit for its stores of {@code kind}, when its footer alone tells it; empty when a worker must
   * read more of it. Throws an {@link IOException} naming the file and offset when it cannot be read.
   */
  public Optional<FileToRegister.Indexed> indexFromFooter(DataSource source, RecordingSource recording, StoreKind kind) throws IOException {
    requireNonNull(source, "source is null");
    return indexer.indexFromFooter(recording, kind)
        .map(stores -> new FileToRegister.Indexed(new FileStamp(source.location(), recording.size(), recording.version()), stores));
  }

  /**
   * Whether registrations log their progress ({@code registration: n/total files, MB/s}); on from the
   * open. Off for a catalog that only rehearses a registration (the server's warm-up, in a temporary
   * directory): its lines would read as the user's.
   */
  public void logRegistrationProgress(boolean on) {
    registrar.logProgress(on);
  }

  /**
   * Registers every recording below the directory {@code prefix} names, walking it in the
   * background; returns the one task that finishes when they all have (see {@link Registrar}).
   * The directory must lie under the allowed roots: checked now, PERMISSION_DENIED if not.
   */
  public Task submitPrefix(EntryId datasetId, DataSource prefix, OnDuplicate onDuplicate) {
    return registrar.submitPrefix(datasetId, prefix, onDuplicate);
  }

  /**
   * Opens a recording a client wants registered, when it may be: a regular, readable file under the
   * allowed roots (a FIFO or device is refused without being opened), or an object under the allowed
   * prefixes. Otherwise PERMISSION_DENIED (outside the roots, whatever is there), NOT_FOUND or
   * INVALID_ARGUMENT naming the problem. The caller closes it.
   */
  public RecordingSource openRegistrable(DataSource source) {
    return registrar.openRegistrable(source);
  }

  /**
   * The recordings below {@code prefix} (a directory or an object prefix), as a prefix
   * registration's walk finds them: it must lie under the allowed roots, and the walk fails
   * (INVALID_ARGUMENT) when it meets more entries than the limit. For callers that must name the
   * files at once; otherwise {@link #submitPrefix} walks in the background.
   */
  public List<DataSource> recordingsBelow(DataSource prefix) {
    return registrar.recordingsBelow(prefix);
  }

  /** As {@link #openRegistrable}, for a directory or object prefix to register as a prefix; opens nothing. */
  public void requireRegistrablePrefix(DataSource prefix) {
    registrar.requireRegistrablePrefix(prefix);
  }

  /** Registers one source and waits for it; returns the finished task (success or failed). */
  public Task register(EntryId datasetId, DataSource source, OnDuplicate onDuplicate, Duration timeout) {
    Task task = submit(datasetId, List.of(source), onDuplicate).get(0);
    return awaitFinished(List.of(task.id()), timeout).get(0);
  }

  /** The dataset's registration tasks, oldest first (finished ones are kept until the dataset goes). */
  public List<Task> tasks(EntryId datasetId) {
    return registrar.tasks(datasetId);
  }

  public Task task(String id) {
    return registrar.task(id);
  }

  /**
   * Waits until every task has finished or {@code timeout} passed, and returns their states in the
   * order asked (some may still be unfinished after a timeout). Unknown ids are NOT_FOUND.
   */
  public List<Task> awaitFinished(Collection<String> ids, Duration timeout) {
    return registrar.awaitFinished(ids, timeout);
  }

  /**
   * Removes partitions from a dataset (their chunk indexes go with them; files stay untouched): every
   * layer of each id in {@code partitionIds}, or only {@code layers} of them when that is not empty.
   * An id the dataset does not have is NOT_FOUND and nothing is removed. Returns what was removed.
   */
  public List<Partition> unregister(EntryId datasetId, Collection<String> partitionIds, Collection<String> layers) {
    requireNonNull(partitionIds, "partitionIds is null");
    requireNonNull(layers, "layers is null");
    Dataset dataset = dataset(datasetId);
    List<Partition> removed = new ArrayList<>();
    synchronized (lock) {
      Map<PartitionKey, Partition> current = partitions.getOrDefault(datasetId, Map.of());
      java.util.Set<String> unknown = new java.util.TreeSet<>(partitionIds);
      for (Partition p : current.values()) {
        if (partitionIds.contains(p.partitionId())) {
          unknown.remove(p.partitionId());
          if (layers.isEmpty() || layers.contains(p.layer())) {
            removed.add(p);
          }
        }
      }
      if (!unknown.isEmpty()) {
        throw CatalogException.notFound("Dataset '" + dataset.name() + "' has no partition " + String.join(", ", unknown)
            + "; nothing was unregistered");
      }
      if (!removed.isEmpty()) {
        store.deletePartitions(removed, datasetId, Instant.now());
        removed.forEach(p -> current.remove(new PartitionKey(p.partitionId(), p.layer())));
        removed.forEach(this::discardCopy);
      }
    }
    removed.forEach(p -> log.info("dataset {}: unregistered partition {} (layer {})", dataset.name(), p.partitionId(), p.layer()));
    return removed;
  }

  /**
   * Makes dataset {@code name} mirror the top-level {@code .rrd} files of {@code dir} (what
   * {@code rrdflight server -d} does): registers new and changed files, drops partitions whose file
   * is gone, leaves unchanged files alone. Waits for the work and returns the tasks it ran.
   */
  public List<Task> syncDirectory(String name, Path dir, Duration timeout) {
    return registrar.syncDirectory(name, dir.toAbsolutePath().normalize().toUri(), timeout);
  }

  /** As {@link #syncDirectory(String, Path, Duration)}, for a directory ({@code file:///…}) or an object prefix ({@code s3://bucket/prefix/}). */
  public List<Task> syncDirectory(String name, URI dir, Duration timeout) {
    return registrar.syncDirectory(name, dir, timeout);
  }

  /** The live partition map of a dataset, or null when it has none; the caller holds {@link #lock}. */
  Map<PartitionKey, Partition> partitionsOf(EntryId datasetId) {
    return partitions.get(datasetId);
  }

  private static String checkName(String name) {
    return checkName(name, "dataset");
  }

  private static String checkName(String name, String what) {
    if (name == null || name.isBlank()) {
      throw CatalogException.invalidArgument("A " + what + " needs a non-empty name");
    }
    if (name.startsWith("__")) {
      throw CatalogException.invalidArgument("Names starting with '__' are reserved: '" + name + "'");
    }
    return name;
  }

  @Override
  public void close() {
    try {
      registrar.close();
      timesWriter.close(); // writes what scans learnt, before the store goes
      if (compactions != null) {
        compactions.close();
      }
      store.close();
      sources.close();
    } finally {
      try {
        dataDirLock.close();
      } catch (Exception e) {
        log.warn("releasing the catalog's lock failed: {}", e.toString());
      }
    }
  }

  /** The store, for tests that inject faults. */
  CatalogStore store() {
    return store;
  }

  /** Shortens how long a call that indexed its files waits for their commit: tests answer before it. */
  void inCallCommitWaitForTesting(Duration wait) {
    registrar.inCallCommitWaitForTesting(wait);
  }
}
