package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import io.rrdflight.rrd.ChunkIndex;
import io.rrdflight.rrd.RrdFormatException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Datasets, their partitions and registration tasks; persisted in {@code DATA_DIR/catalog.db} and
 * kept in memory for reads. Registration indexes files on background threads and commits each
 * file's partitions together with its task's final state in one transaction, so a crash never
 * leaves a half-registered file behind. Thread-safe.
 */
public final class Catalog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Catalog.class);
  static final String INTERRUPTED = "interrupted: the server stopped before this registration finished; register the file again";

  private final CatalogStore store;
  private final RecordingIndexer indexer;
  private final ExecutorService workers;
  private final RegistrationProgress progress = new RegistrationProgress();
  private final ChunkIndexCache indexCache = new ChunkIndexCache(256);
  private final Map<EntryId, DatasetSchemaEntry> schemaCache = new HashMap<>();

  /** Guards the maps below; also the monitor that task waiters wait on. */
  private final Object lock = new Object();
  private final Map<EntryId, Dataset> datasets = new LinkedHashMap<>();
  private final Map<EntryId, Map<PartitionKey, Partition>> partitions = new HashMap<>();
  private final Map<String, Task> tasks = new LinkedHashMap<>();

  private record PartitionKey(String partitionId, String layer) {}

  private Catalog(CatalogStore store, RecordingIndexer indexer, int threads) {
    this.store = store;
    this.indexer = indexer;
    AtomicInteger n = new AtomicInteger();
    this.workers = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "rrdflight-register-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Opens (or creates) the catalog in {@code dataDir}. Tasks that were pending or running when the
   * previous process stopped are marked failed: their files' partitions were never committed.
   */
  public static Catalog open(Path dataDir, RecordingIndexer indexer, int registrationThreads) {
    requireNonNull(dataDir, "dataDir is null");
    requireNonNull(indexer, "indexer is null");
    try {
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw CatalogException.failed("Cannot create data directory " + dataDir + ": " + e.getMessage(), e);
    }
    Catalog catalog = new Catalog(CatalogStore.open(dataDir.resolve("catalog.db")), indexer, Math.max(1, registrationThreads));
    catalog.load();
    return catalog;
  }

  private void load() {
    Instant now = Instant.now();
    List<Task> interrupted = new ArrayList<>();
    synchronized (lock) {
      for (Dataset d : store.datasets()) {
        datasets.put(d.id(), d);
        partitions.put(d.id(), new LinkedHashMap<>());
      }
      for (Partition p : store.partitions()) {
        partitions.computeIfAbsent(p.datasetId(), k -> new LinkedHashMap<>()).put(new PartitionKey(p.partitionId(), p.layer()), p);
      }
      for (Task t : store.tasks()) {
        if (!t.status().finished()) {
          t = t.with(TaskStatus.FAILED, INTERRUPTED, List.of(), now);
          interrupted.add(t);
        }
        tasks.put(t.id(), t);
      }
    }
    if (!interrupted.isEmpty()) {
      store.upsertTasks(interrupted);
      log.warn("{} registration task(s) were interrupted by the last shutdown and are marked failed", interrupted.size());
    }
  }

  // --- datasets ---------------------------------------------------------------------------------

  /** A recording dataset without a blueprint dataset (what {@code server -d} serves, as Rerun does). */
  public Dataset createDataset(String name) {
    String checked = checkName(name);
    synchronized (lock) {
      Instant now = Instant.now();
      return insert(List.of(new Dataset(EntryId.random(), checked, now, now))).get(0);
    }
  }

  /**
   * A recording dataset together with its companion blueprint dataset, as Rerun's
   * CreateDatasetEntry makes them ({@link BlueprintDatasets}); both are stored in one transaction.
   * Returns the recording dataset, whose {@code blueprintDataset} names the companion.
   */
  public Dataset createDatasetWithBlueprintDataset(String name) {
    String checked = checkName(name);
    synchronized (lock) {
      Instant now = Instant.now();
      BlueprintDatasets.Pair pair = BlueprintDatasets.create(checked, now);
      return insert(List.of(pair.blueprints(), pair.dataset())).get(1);
    }
  }

  private List<Dataset> insert(List<Dataset> created) {
    for (Dataset d : created) {
      if (findDataset(d.name()).isPresent()) {
        throw CatalogException.alreadyExists("Dataset '" + d.name() + "' already exists");
      }
    }
    store.insertDatasets(created);
    for (Dataset d : created) {
      datasets.put(d.id(), d);
      partitions.put(d.id(), new LinkedHashMap<>());
    }
    return created;
  }

  /** The recording datasets (what users query; SQL tables); blueprint datasets are left out. */
  public List<Dataset> datasets() {
    return datasets(DatasetKind.RECORDING);
  }

  public List<Dataset> datasets(DatasetKind kind) {
    synchronized (lock) {
      return datasets.values().stream().filter(d -> d.kind() == kind).toList();
    }
  }

  /** Every dataset, recording and blueprint datasets alike (Rerun's entry listings show both). */
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
   * Forgets the dataset, its partitions and their chunk indexes, and its blueprint dataset with it
   * (as Rerun does). Deleting a blueprint dataset on its own detaches it from its dataset, which
   * then has no blueprint dataset and no default blueprint. The .rrd files are never touched.
   */
  public void deleteDataset(EntryId id) {
    synchronized (lock) {
      Dataset d = dataset(id);
      List<EntryId> gone = new ArrayList<>();
      gone.add(id);
      d.blueprintDataset().filter(datasets::containsKey).ifPresent(gone::add);
      Instant now = Instant.now();
      List<Dataset> detached = datasets.values().stream()
          .filter(o -> !gone.contains(o.id()) && o.blueprintDataset().filter(gone::contains).isPresent())
          .map(o -> o.withBlueprints(Optional.empty(), Optional.empty(), now))
          .toList();
      store.deleteDatasets(gone, detached);
      for (EntryId g : gone) {
        datasets.remove(g);
        partitions.remove(g);
        tasks.values().removeIf(t -> t.datasetId().equals(g) && t.status().finished());
      }
      detached.forEach(o -> datasets.put(o.id(), o));
    }
  }

  public Dataset renameDataset(EntryId id, String newName) {
    String checked = checkName(newName);
    synchronized (lock) {
      Dataset d = dataset(id);
      Optional<Dataset> clash = findDataset(checked);
      if (clash.isPresent() && !clash.get().id().equals(id)) {
        throw CatalogException.alreadyExists("Dataset '" + checked + "' already exists");
      }
      Instant now = Instant.now();
      store.renameDataset(id, checked, now);
      Dataset renamed = d.renamed(checked, now);
      datasets.put(id, renamed);
      return renamed;
    }
  }

  /**
   * Sets (or, with empty, clears) the partition a viewer should lay the dataset out with. Like
   * Rerun, any partition id is accepted: the blueprint may be registered later.
   */
  public Dataset setDefaultBlueprint(EntryId id, Optional<String> partitionId) {
    requireNonNull(partitionId, "partitionId is null");
    if (partitionId.isPresent() && partitionId.get().isBlank()) {
      throw CatalogException.invalidArgument("A default blueprint needs a non-empty partition id");
    }
    synchronized (lock) {
      Dataset d = dataset(id);
      Dataset updated = d.withBlueprints(d.blueprintDataset(), partitionId, Instant.now());
      store.updateBlueprints(updated);
      datasets.put(id, updated);
      return updated;
    }
  }

  // --- partitions -------------------------------------------------------------------------------

  /** The dataset's partitions, ordered by partition id then layer. */
  public List<Partition> partitions(EntryId datasetId) {
    synchronized (lock) {
      dataset(datasetId);
      return partitions.getOrDefault(datasetId, Map.of()).values().stream()
          .sorted((a, b) -> a.partitionId().equals(b.partitionId()) ? a.layer().compareTo(b.layer()) : a.partitionId().compareTo(b.partitionId()))
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
    DatasetSchema union = DatasetSchema.empty();
    for (Partition p : current) {
      union = union.union(schema(p));
    }
    synchronized (schemaCache) {
      schemaCache.put(datasetId, new DatasetSchemaEntry(current, union));
    }
    return union;
  }

  private record DatasetSchemaEntry(List<Partition> partitions, DatasetSchema schema) {}

  /**
   * The chunk index of a partition (its recording's chunks only), decoded; recently used ones are
   * cached. Fails, naming partition and file, when the file changed or vanished since registration.
   */
  public ChunkIndex chunks(Partition partition) {
    partition.file().verifyUnchanged(partition.partitionId());
    return indexCache.get(partition, () -> {
      try {
        return ChunkIndex.fromBytes(chunkIndex(partition), partition.file().path());
      } catch (RrdFormatException e) {
        throw CatalogException.failed("Partition " + partition.partitionId() + ": its stored chunk index is unreadable ("
            + e.getMessage() + "); register " + partition.file().path() + " again", e);
      }
    });
  }

  // --- registration -----------------------------------------------------------------------------

  /**
   * Queues one task per source and returns them at once, pending. Each task indexes its file and
   * commits the file's partitions, or fails with a message naming the file; the rest of the catalog
   * never changes because of a failed task.
   */
  public List<Task> submit(EntryId datasetId, List<DataSource> sources, OnDuplicate onDuplicate) {
    requireNonNull(sources, "sources is null");
    requireNonNull(onDuplicate, "onDuplicate is null");
    List<Task> created = new ArrayList<>();
    synchronized (lock) {
      dataset(datasetId);
      Instant now = Instant.now();
      for (DataSource source : sources) {
        created.add(new Task("task_" + UUID.randomUUID().toString().replace("-", ""), datasetId, source.uri(), source.layer(),
            TaskStatus.PENDING, null, List.of(), now, now));
      }
      // Persisted before any work starts, so after a crash they come back as failed, never vanish.
      store.upsertTasks(created);
      created.forEach(t -> tasks.put(t.id(), t));
    }
    RegistrationProgress.Batch batch = progress.start(created.size());
    for (int i = 0; i < created.size(); i++) {
      Task task = created.get(i);
      DataSource source = sources.get(i);
      workers.execute(() -> run(task, source, onDuplicate, false, batch));
    }
    return created;
  }

  /** Registers one source and waits for it; returns the finished task (success or failed). */
  public Task register(EntryId datasetId, DataSource source, OnDuplicate onDuplicate, Duration timeout) {
    Task task = submit(datasetId, List.of(source), onDuplicate).get(0);
    return awaitFinished(List.of(task.id()), timeout).get(0);
  }

  /** The dataset's registration tasks, oldest first (finished ones are kept until the dataset goes). */
  public List<Task> tasks(EntryId datasetId) {
    synchronized (lock) {
      dataset(datasetId);
      return tasks.values().stream().filter(t -> t.datasetId().equals(datasetId)).toList();
    }
  }

  public Task task(String id) {
    synchronized (lock) {
      Task t = tasks.get(id);
      if (t == null) {
        throw CatalogException.notFound("No task with id " + id);
      }
      return t;
    }
  }

  /**
   * Waits until every task has finished or {@code timeout} passed, and returns their states in the
   * order asked (some may still be unfinished after a timeout). Unknown ids are NOT_FOUND.
   */
  public List<Task> awaitFinished(Collection<String> ids, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (true) {
        List<Task> current = new ArrayList<>();
        for (String id : ids) {
          current.add(task(id));
        }
        long left = deadline - System.nanoTime();
        if (current.stream().allMatch(t -> t.status().finished()) || left <= 0) {
          return current;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return current;
        }
      }
    }
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
    requireNonNull(dir, "dir is null");
    Dataset dataset = findDataset(name).orElseGet(() -> createDataset(name));
    List<Path> files;
    try (Stream<Path> listing = Files.list(dir)) {
      files = listing.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".rrd"))
          .filter(Files::isRegularFile)
          .map(p -> p.toAbsolutePath().normalize())
          .sorted()
          .toList();
    } catch (IOException e) {
      throw CatalogException.invalidArgument("Cannot list dataset directory " + dir + ": " + e.getMessage());
    }
    List<Partition> vanished = new ArrayList<>();
    List<Path> toRegister = new ArrayList<>();
    synchronized (lock) {
      Map<Path, List<Partition>> byFile = new HashMap<>();
      for (Partition p : partitions.getOrDefault(dataset.id(), Map.of()).values()) {
        byFile.computeIfAbsent(p.file().path(), k -> new ArrayList<>()).add(p);
      }
      for (Map.Entry<Path, List<Partition>> e : byFile.entrySet()) {
        if (e.getKey().startsWith(dir.toAbsolutePath().normalize()) && !Files.exists(e.getKey())) {
          vanished.addAll(e.getValue());
        }
      }
      for (Path file : files) {
        List<Partition> existing = byFile.getOrDefault(file, List.of());
        if (existing.isEmpty() || !unchanged(existing)) {
          toRegister.add(file);
        }
      }
      if (!vanished.isEmpty()) {
        store.deletePartitions(vanished, dataset.id(), Instant.now());
        vanished.forEach(p -> partitions.get(dataset.id()).remove(new PartitionKey(p.partitionId(), p.layer())));
      }
    }
    vanished.forEach(p -> log.info("dataset {}: dropped partition {}: its file {} is gone", name, p.partitionId(), p.file().path()));
    log.info("dataset {}: {} .rrd file(s) in {}, {} new or changed, {} unchanged", name, files.size(), dir,
        toRegister.size(), files.size() - toRegister.size());
    if (toRegister.isEmpty()) {
      return List.of();
    }
    List<Task> created = new ArrayList<>();
    synchronized (lock) {
      Instant now = Instant.now();
      for (Path file : toRegister) {
        created.add(new Task("task_" + UUID.randomUUID().toString().replace("-", ""), dataset.id(), file.toUri(),
            Partition.DEFAULT_LAYER, TaskStatus.PENDING, null, List.of(), now, now));
      }
      store.upsertTasks(created);
      created.forEach(t -> tasks.put(t.id(), t));
    }
    RegistrationProgress.Batch batch = progress.start(created.size());
    for (Task t : created) {
      workers.execute(() -> run(t, new DataSource(t.source(), t.layer()), OnDuplicate.ERROR, true, batch));
    }
    return awaitFinished(created.stream().map(Task::id).toList(), timeout);
  }

  private static boolean unchanged(List<Partition> fromOneFile) {
    try {
      FileStamp now = FileStamp.of(fromOneFile.get(0).file().path());
      return fromOneFile.stream().allMatch(p -> p.file().equals(now));
    } catch (IOException e) {
      return false;
    }
  }

  /** One task, on a worker thread: index outside the lock, then commit or fail. */
  private void run(Task task, DataSource source, OnDuplicate onDuplicate, boolean replaceSameFile, RegistrationProgress.Batch batch) {
    update(task.id(), TaskStatus.RUNNING, null);
    long bytes = 0;
    try {
      Path path = source.localPath();
      if (!Files.exists(path)) {
        throw CatalogException.invalidArgument("File not found: " + path + " (from " + source.uri() + ")");
      }
      if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
        throw CatalogException.invalidArgument("Not a readable file: " + path + " (from " + source.uri() + ")");
      }
      FileStamp stamp = FileStamp.of(path);
      bytes = stamp.sizeBytes();
      DatasetKind kind = dataset(task.datasetId()).kind();
      List<IndexedRecording> recordings = indexer.index(path, kind.storeKind());
      if (recordings.isEmpty()) {
        String what = kind == DatasetKind.BLUEPRINT ? "blueprint" : "recording";
        throw CatalogException.invalidArgument("No " + what + " in " + path + " (it holds no " + what + " store)");
      }
      commit(task, source, path, stamp, recordings, onDuplicate, replaceSameFile);
    } catch (CatalogException e) {
      fail(task, e.getMessage());
    } catch (IOException e) {
      fail(task, e.getMessage() == null ? e.toString() : e.getMessage());
    } catch (RuntimeException e) {
      log.error("registration of {} failed unexpectedly", source.uri(), e);
      fail(task, "Registration of " + source.uri() + " failed: " + e);
    } finally {
      batch.fileDone(bytes);
    }
  }

  private void commit(Task task, DataSource source, Path path, FileStamp stamp, List<IndexedRecording> recordings,
      OnDuplicate onDuplicate, boolean replaceSameFile) {
    synchronized (lock) {
      Map<PartitionKey, Partition> existing = partitions.get(task.datasetId());
      if (existing == null) {
        throw CatalogException.notFound("Dataset " + task.datasetId() + " was deleted before " + path + " was registered");
      }
      Instant now = Instant.now();
      List<CatalogStore.IndexedPartition> added = new ArrayList<>();
      List<Partition> replaced = new ArrayList<>();
      if (replaceSameFile) {
        existing.values().stream().filter(p -> p.file().path().equals(path)).forEach(replaced::add);
      }
      List<String> seen = new ArrayList<>();
      for (IndexedRecording r : recordings) {
        if (seen.contains(r.recordingId())) {
          throw CatalogException.invalidArgument("Recording " + r.recordingId() + " appears twice in " + path);
        }
        seen.add(r.recordingId());
        PartitionKey key = new PartitionKey(r.recordingId(), source.layer());
        Partition old = existing.get(key);
        if (old != null && !replaced.contains(old)) {
          switch (onDuplicate) {
            case ERROR -> throw CatalogException.alreadyExists("Partition " + r.recordingId() + " (layer " + source.layer()
                + ") is already in the dataset, from " + old.file().path() + "; " + path + " was not registered");
            case SKIP -> {
              continue;
            }
            case OVERWRITE -> replaced.add(old);
          }
        }
        added.add(new CatalogStore.IndexedPartition(new Partition(task.datasetId(), r.recordingId(), source.layer(),
            storageUrl(source.uri()), stamp, r.chunkCount(), r.rowCount(), r.sizeBytes(), now, r.applicationId()), r.chunkIndex(), r.schema()));
      }
      List<String> ids = added.stream().map(ip -> ip.partition().partitionId()).toList();
      Task done = task.with(TaskStatus.SUCCESS, null, ids, now);
      store.commitRegistration(added, replaced, done, now);
      replaced.forEach(p -> existing.remove(new PartitionKey(p.partitionId(), p.layer())));
      added.forEach(ip -> existing.put(new PartitionKey(ip.partition().partitionId(), ip.partition().layer()), ip.partition()));
      tasks.put(done.id(), done);
      lock.notifyAll();
    }
  }

  private static URI storageUrl(URI source) {
    return source.normalize();
  }

  private void fail(Task task, String message) {
    log.warn("registration {} failed: {}", task.source(), message);
    update(task.id(), TaskStatus.FAILED, message);
  }

  private void update(String taskId, TaskStatus status, String message) {
    synchronized (lock) {
      Task t = tasks.get(taskId);
      if (t == null) {
        return; // its dataset was deleted
      }
      Task next = t.with(status, message, t.partitionIds(), Instant.now());
      store.upsertTasks(List.of(next));
      tasks.put(taskId, next);
      lock.notifyAll();
    }
  }

  private static String checkName(String name) {
    if (name == null || name.isBlank()) {
      throw CatalogException.invalidArgument("A dataset needs a non-empty name");
    }
    if (name.startsWith("__")) {
      throw CatalogException.invalidArgument("Names starting with '__' are reserved: '" + name + "'");
    }
    return name;
  }

  @Override
  public void close() {
    workers.shutdownNow();
    try {
      workers.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    store.close();
  }
}
