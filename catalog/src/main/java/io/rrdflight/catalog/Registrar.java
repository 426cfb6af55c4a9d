package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import io.rrdflight.rrd.LocalFile;
import io.rrdflight.rrd.RecordingSource;
import io.rrdflight.rrd.RecordingSources;
import io.rrdflight.rrd.s3.S3Client;
import io.rrdflight.rrd.s3.S3Exception;
import io.rrdflight.rrd.s3.S3Location;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.Set;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writing side of the {@link Catalog}: registration tasks, the worker threads that index files,
 * and the commit of a file's partitions together with its task's final state. Both front doors
 * register through here: {@code server -d} ({@link #syncDirectory}) and Rerun's RegisterWithDataset
 * ({@link #submit}, {@link #submitPrefix}), and both list directories with {@link RecordingFiles}.
 * Files clients name must lie under the {@link AllowedRoots}; the server's own {@code -d}
 * directories are the operator's choice and are not restricted. Guarded by the catalog's lock,
 * which is also the monitor task waiters wait on.
 */
final class Registrar implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Registrar.class);

  private final Catalog catalog;
  private final CatalogStore store;
  private final Object lock;
  private final RecordingIndexer indexer;
  private final RecordingSources sources;
  private final AllowedRoots clientRoots;
  private final int maxPrefixEntries;
  private final ExecutorService workers;
  /** Walks prefixes one at a time, off the gRPC threads and off the indexing workers it waits for. */
  private final ExecutorService walker;
  private final RegistrationProgress progress = new RegistrationProgress();
  /** Guarded by {@link #lock}. */
  private final Map<String, Task> tasks = new LinkedHashMap<>();

  Registrar(Catalog catalog, CatalogStore store, Object lock, RecordingIndexer indexer, RecordingSources sources, int threads,
      RegistrationLimits limits) {
    this.catalog = requireNonNull(catalog, "catalog is null");
    this.store = requireNonNull(store, "store is null");
    this.lock = requireNonNull(lock, "lock is null");
    this.indexer = requireNonNull(indexer, "indexer is null");
    this.sources = requireNonNull(sources, "sources is null");
    this.clientRoots = limits.allowedRoots();
    this.maxPrefixEntries = limits.maxPrefixEntries();
    AtomicInteger n = new AtomicInteger();
    this.workers = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "rrdflight-register-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.walker = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "rrdflight-prefix-walk");
      t.setDaemon(true);
      return t;
    });
  }

  /** Takes the stored tasks; those still pending or running were interrupted and are marked failed. */
  void load(List<Task> stored) {
    Instant now = Instant.now();
    List<Task> interrupted = new ArrayList<>();
    synchronized (lock) {
      for (Task t : stored) {
        if (!t.status().finished()) {
          t = t.with(TaskStatus.FAILED, Catalog.INTERRUPTED, List.of(), now);
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

  /** Forgets the finished tasks of a deleted dataset; the caller holds the lock. */
  void forgetDataset(EntryId id) {
    tasks.values().removeIf(t -> t.datasetId().equals(id) && t.status().finished());
  }

  List<Task> submit(EntryId datasetId, List<DataSource> sources, OnDuplicate onDuplicate) {
    requireNonNull(sources, "sources is null");
    requireNonNull(onDuplicate, "onDuplicate is null");
    List<Task> created = new ArrayList<>();
    synchronized (lock) {
      catalog.dataset(datasetId);
      Instant now = Instant.now();
      for (DataSource source : sources) {
        created.add(newTask(datasetId, source.uri(), source.layer(), now));
      }
      // Persisted before any work starts, so after a crash they come back as failed, never vanish.
      store.upsertTasks(created);
      created.forEach(t -> tasks.put(t.id(), t));
    }
    RegistrationProgress.Batch batch = progress.start(created.size());
    for (int i = 0; i < created.size(); i++) {
      Task task = created.get(i);
      DataSource source = sources.get(i);
      workers.execute(() -> run(task, source, onDuplicate, false, clientRoots, batch));
    }
    return created;
  }

  /**
   * Opens a recording a client names, if it may be registered: a local file under the allowed roots
   * (see {@link AllowedRoots#requireFile}; its real path is opened), or an object under the allowed
   * prefixes (one HEAD). The caller closes it.
   */
  RecordingSource openRegistrable(DataSource source) {
    return open(source, clientRoots);
  }

  /** Checks a prefix a client names: a directory under the allowed roots, or an object prefix under the allowed ones. */
  void requireRegistrablePrefix(DataSource prefix) {
    if (prefix.isObject()) {
      requireObjectPrefix(prefix.object());
      clientRoots.requireObject(prefix.object());
    } else {
      clientRoots.requireDirectory(prefix.localPath());
    }
  }

  /** The recordings below a prefix a client names, each as a source to register into its layer. */
  List<DataSource> recordingsBelow(DataSource prefix) {
    requireRegistrablePrefix(prefix);
    return listed(prefix, RecordingFiles.Depth.RECURSIVE, maxPrefixEntries).stream()
        .map(l -> new DataSource(l.uri(), prefix.layer())).toList();
  }

  private void requireObjectStorage(DataSource source) {
    if (!sources.readsObjects()) {
      throw CatalogException.invalidArgument("This catalog reads no object storage, so " + source.uri() + " cannot be registered");
    }
  }

  private static void requireObjectPrefix(S3Location prefix) {
    if (!prefix.isPrefix()) {
      throw CatalogException.invalidArgument("Prefix " + prefix + " must end in '/' (a bucket, or a \"folder\" of it)");
    }
  }

  /** A recording a listing found: where it is, its URI, and its stamp if the listing tells it. */
  private record Listed(String location, URI uri, FileStamp stamp) {}

  private List<Listed> listed(DataSource prefix, RecordingFiles.Depth depth, int maxEntries) {
    if (prefix.isObject()) {
      requireObjectStorage(prefix);
      List<Listed> out = new ArrayList<>();
      for (S3Client.ObjectInfo o : RecordingFiles.listObjects(sources.s3(), prefix.object(), depth, maxEntries)) {
        out.add(new Listed(o.location().toString(), o.location().uri(), new FileStamp(o.location().toString(), o.size(), o.etag())));
      }
      return out;
    }
    return RecordingFiles.list(prefix.localPath(), depth, maxEntries).stream()
        .map(f -> new Listed(f.toString(), f.toUri(), null)).toList();
  }

  /** Opens {@code source} if {@code roots} allow it; errors as CatalogExceptions naming it. */
  private RecordingSource open(DataSource source, AllowedRoots roots) {
    try {
      if (source.isObject()) {
        S3Location object = source.object();
        if (object.isPrefix()) {
          throw CatalogException.invalidArgument(object + " is a prefix; register it as a prefix (register_prefix) or name its .rrd objects");
        }
        roots.requireObject(object);
        requireObjectStorage(source);
        return sources.open(object.toString());
      }
      return sources.open(roots.requireFile(source.localPath()).toString());
    } catch (S3Exception e) {
      throw ObjectStorage.toCatalog(e, "Cannot register " + source.uri());
    } catch (NoSuchFileException e) {
      throw CatalogException.notFound("File not found: " + source.uri().getPath());
    } catch (IOException e) {
      throw CatalogException.invalidArgument("Cannot read " + source.uri() + ": " + e.getMessage());
    }
  }

  /**
   * Queues one task that walks {@code prefix} in the background and registers every recording
   * below it, each as a task of its own; the prefix task finishes when they all have, and fails
   * when any failed or the walk met more than the entry limit. The directory is checked at once.
   */
  Task submitPrefix(EntryId datasetId, DataSource prefix, OnDuplicate onDuplicate) {
    requireNonNull(prefix, "prefix is null");
    requireNonNull(onDuplicate, "onDuplicate is null");
    requireRegistrablePrefix(prefix);
    Task task;
    synchronized (lock) {
      catalog.dataset(datasetId);
      task = newTask(datasetId, prefix.uri(), prefix.layer(), Instant.now());
      store.upsertTasks(List.of(task));
      tasks.put(task.id(), task);
    }
    walker.execute(() -> walk(task, prefix, onDuplicate));
    return task;
  }

  private void walk(Task prefixTask, DataSource prefix, OnDuplicate onDuplicate) {
    URI dir = prefix.uri();
    try {
      update(prefixTask.id(), TaskStatus.RUNNING, null);
      List<Listed> files = listed(prefix, RecordingFiles.Depth.RECURSIVE, maxPrefixEntries);
      log.info("prefix {}: {} recording(s) found", dir, files.size());
      List<Task> children = submit(prefixTask.datasetId(), files.stream().map(f -> new DataSource(f.uri(), prefix.layer())).toList(),
          onDuplicate);
      List<Task> done = awaitFinished(children.stream().map(Task::id).toList(), Duration.ofDays(365));
      List<Task> failed = done.stream().filter(t -> t.status() != TaskStatus.SUCCESS).toList();
      if (failed.isEmpty()) {
        update(prefixTask.id(), TaskStatus.SUCCESS, null, done.stream().flatMap(t -> t.partitionIds().stream()).toList());
      } else {
        fail(prefixTask, failed.size() + " of " + done.size() + " recordings below " + dir + " failed to register; the first: "
            + failed.get(0).source() + ": " + failed.get(0).message());
      }
    } catch (CatalogException e) {
      fail(prefixTask, e.getMessage());
    } catch (RuntimeException e) {
      log.error("prefix registration of {} failed unexpectedly", dir, e);
      fail(prefixTask, "Registration of the prefix " + dir + " failed (the server log has the details)");
    }
  }

  List<Task> tasks(EntryId datasetId) {
    synchronized (lock) {
      catalog.dataset(datasetId);
      return tasks.values().stream().filter(t -> t.datasetId().equals(datasetId)).toList();
    }
  }

  Task task(String id) {
    synchronized (lock) {
      Task t = tasks.get(id);
      if (t == null) {
        throw CatalogException.notFound("No task with id " + id);
      }
      return t;
    }
  }

  List<Task> awaitFinished(Collection<String> ids, Duration timeout) {
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
   * Makes dataset {@code name} hold the recordings at the top level of {@code dir}: a local directory
   * ({@code file:///…}) or an object prefix ({@code s3://bucket/prefix/}). New and changed ones are
   * registered, vanished ones dropped.
   */
  List<Task> syncDirectory(String name, URI dir, Duration timeout) {
    requireNonNull(dir, "dir is null");
    DataSource prefix = new DataSource(dir, Partition.DEFAULT_LAYER);
    if (prefix.isObject()) {
      requireObjectPrefix(prefix.object());
    }
    Dataset dataset = catalog.findDataset(name).orElseGet(() -> catalog.createDataset(name));
    List<Listed> files = listed(prefix, RecordingFiles.Depth.TOP_LEVEL, Integer.MAX_VALUE);
    Set<String> present = new HashSet<>();
    files.forEach(f -> present.add(f.location()));
    String under = prefix.isObject() ? prefix.object().toString() : prefix.localPath().toAbsolutePath().normalize().toString() + "/";
    List<Partition> vanished = new ArrayList<>();
    List<Listed> toRegister = new ArrayList<>();
    synchronized (lock) {
      Map<String, List<Partition>> byFile = new HashMap<>();
      for (Partition p : catalog.partitionsOf(dataset.id()).values()) {
        byFile.computeIfAbsent(p.file().location(), k -> new ArrayList<>()).add(p);
      }
      for (Map.Entry<String, List<Partition>> e : byFile.entrySet()) {
        boolean gone = prefix.isObject() ? !present.contains(e.getKey()) : !Files.exists(Path.of(e.getKey()));
        if (e.getKey().startsWith(under) && gone) {
          vanished.addAll(e.getValue());
        }
      }
      for (Listed file : files) {
        List<Partition> existing = byFile.getOrDefault(file.location(), List.of());
        if (existing.isEmpty() || !unchanged(existing, file)) {
          toRegister.add(file);
        }
      }
      if (!vanished.isEmpty()) {
        store.deletePartitions(vanished, dataset.id(), Instant.now());
        vanished.forEach(p -> catalog.partitionsOf(dataset.id()).remove(new Catalog.PartitionKey(p.partitionId(), p.layer())));
      }
    }
    vanished.forEach(p -> log.info("dataset {}: dropped partition {}: its file {} is gone", name, p.partitionId(), p.file().location()));
    log.info("dataset {}: {} .rrd file(s) in {}, {} new or changed, {} unchanged", name, files.size(), dir,
        toRegister.size(), files.size() - toRegister.size());
    if (toRegister.isEmpty()) {
      return List.of();
    }
    List<Task> created = new ArrayList<>();
    synchronized (lock) {
      Instant now = Instant.now();
      for (Listed file : toRegister) {
        created.add(newTask(dataset.id(), file.uri(), Partition.DEFAULT_LAYER, now));
      }
      store.upsertTasks(created);
      created.forEach(t -> tasks.put(t.id(), t));
    }
    RegistrationProgress.Batch batch = progress.start(created.size());
    for (Task t : created) {
      workers.execute(() -> run(t, new DataSource(t.source(), t.layer()), OnDuplicate.ERROR, true, AllowedRoots.any(), batch));
    }
    return awaitFinished(created.stream().map(Task::id).toList(), timeout);
  }

  private static Task newTask(EntryId datasetId, URI source, String layer, Instant now) {
    return new Task("task_" + UUID.randomUUID().toString().replace("-", ""), datasetId, source, layer,
        TaskStatus.PENDING, null, List.of(), now, now);
  }

  /** Whether the partitions of one recording still match it: by the listing's stamp (objects) or the file's attributes now. */
  private static boolean unchanged(List<Partition> fromOneFile, Listed now) {
    FileStamp stamp = now.stamp();
    if (stamp == null) {
      try {
        BasicFileAttributes attrs = Files.readAttributes(Path.of(now.location()), BasicFileAttributes.class);
        stamp = new FileStamp(now.location(), attrs.size(), LocalFile.versionOf(attrs));
      } catch (IOException e) {
        return false;
      }
    }
    FileStamp current = stamp;
    return fromOneFile.stream().allMatch(p -> p.file().sameAs(current));
  }

  /** One task, on a worker thread: index outside the lock, then commit or fail. */
  private void run(Task task, DataSource source, OnDuplicate onDuplicate, boolean replaceSameFile, AllowedRoots roots,
      RegistrationProgress.Batch batch) {
    long bytes = 0;
    try {
      update(task.id(), TaskStatus.RUNNING, null);
      String location = source.location();
      // Checked again here, not only when the request came: the file may have changed meanwhile.
      FileStamp stamp;
      List<IndexedRecording> recordings;
      DatasetKind kind = catalog.dataset(task.datasetId()).kind();
      try (RecordingSource recording = open(source, roots)) {
        stamp = new FileStamp(location, recording.size(), recording.version());
        bytes = stamp.sizeBytes();
        recordings = indexer.index(recording, kind.storeKind());
      } catch (S3Exception e) {
        throw ObjectStorage.toCatalog(e, "Cannot register " + location);
      }
      if (recordings.isEmpty()) {
        String what = kind == DatasetKind.BLUEPRINT ? "blueprint" : "recording";
        throw CatalogException.invalidArgument("No " + what + " in " + location + " (it holds no " + what + " store)");
      }
      commit(task, source, location, stamp, recordings, onDuplicate, replaceSameFile);
    } catch (CatalogException e) {
      if (e.kind() == CatalogException.Kind.INTERNAL) {
        fail(task, "Registration of " + source.uri() + " was not recorded: " + e.getMessage());
      } else {
        fail(task, e.getMessage());
      }
    } catch (IOException e) {
      fail(task, e.getMessage() == null ? e.toString() : e.getMessage());
    } catch (RuntimeException e) {
      log.error("registration of {} failed unexpectedly", source.uri(), e);
      fail(task, "Registration of " + source.uri() + " failed: " + e);
    } finally {
      batch.fileDone(bytes);
    }
  }

  private void commit(Task task, DataSource source, String path, FileStamp stamp, List<IndexedRecording> recordings,
      OnDuplicate onDuplicate, boolean replaceSameFile) {
    synchronized (lock) {
      Map<Catalog.PartitionKey, Partition> existing = catalog.partitionsOf(task.datasetId());
      if (existing == null) {
        throw CatalogException.notFound("Dataset " + task.datasetId() + " was deleted before " + path + " was registered");
      }
      Instant now = Instant.now();
      List<CatalogStore.IndexedPartition> added = new ArrayList<>();
      List<Partition> replaced = new ArrayList<>();
      if (replaceSameFile) {
        existing.values().stream().filter(p -> p.file().location().equals(path)).forEach(replaced::add);
      }
      List<String> seen = new ArrayList<>();
      for (IndexedRecording r : recordings) {
        if (seen.contains(r.recordingId())) {
          throw CatalogException.invalidArgument("Recording " + r.recordingId() + " appears twice in " + path);
        }
        seen.add(r.recordingId());
        Catalog.PartitionKey key = new Catalog.PartitionKey(r.recordingId(), source.layer());
        Partition old = existing.get(key);
        if (old != null && !replaced.contains(old)) {
          switch (onDuplicate) {
            case ERROR -> throw CatalogException.alreadyExists("Partition " + r.recordingId() + " (layer " + source.layer()
                + ") is already in the dataset, from " + old.file().location() + "; " + path + " was not registered");
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
      replaced.forEach(p -> existing.remove(new Catalog.PartitionKey(p.partitionId(), p.layer())));
      added.forEach(ip -> existing.put(new Catalog.PartitionKey(ip.partition().partitionId(), ip.partition().layer()), ip.partition()));
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

  /**
   * Records a task's new state. When the store cannot take it (a full disk), a final state is still
   * shown in memory so waiters wake up; the stored task stays unfinished and is marked interrupted
   * at the next start, which is what it was.
   */
  private void update(String taskId, TaskStatus status, String message) {
    update(taskId, status, message, null);
  }

  /** As above, with the partitions the task registered ({@code null}: unchanged). */
  private void update(String taskId, TaskStatus status, String message, List<String> partitionIds) {
    synchronized (lock) {
      Task t = tasks.get(taskId);
      if (t == null) {
        return; // its dataset was deleted
      }
      Task next = t.with(status, message, partitionIds == null ? t.partitionIds() : partitionIds, Instant.now());
      try {
        store.upsertTasks(List.of(next));
      } catch (CatalogException e) {
        if (!status.finished()) {
          throw e;
        }
        log.error("task {} is {} but the catalog could not record it: {}", taskId, status.word(), e.getMessage());
      }
      tasks.put(taskId, next);
      lock.notifyAll();
    }
  }

  @Override
  public void close() {
    walker.shutdownNow();
    workers.shutdownNow();
    try {
      workers.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
