package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import io.rrdflight.rrd.LocalFile;
import io.rrdflight.rrd.RecordingSource;
import io.rrdflight.rrd.RecordingSources;
import io.rrdflight.rrd.Timeline;
import io.rrdflight.rrd.s3.S3Client;
import io.rrdflight.rrd.s3.S3Exception;
import io.rrdflight.rrd.s3.S3Location;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
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
  /** Guarded by {@link #lock}: creation times are made distinct, so tasks list in submission order from any store. */
  private Instant lastCreated = Instant.EPOCH;

  /**
   * Group commit: workers put each file's outcome here and go on with the next file; one committer
   * thread takes whatever has gathered and commits it in one transaction, so one flush to disk
   * serves many files. Bounded, so indexing never runs far ahead of the disk (each outcome holds a
   * chunk index in memory).
   */
  private final BlockingQueue<Outcome> outcomes = new ArrayBlockingQueue<>(MAX_GROUP);
  private final Thread committer;
  static final int MAX_GROUP = 256;

  /**
   * How long a group may wait, from when the committer took its first file, for more files of a large
   * registration ({@link #LINGER_FILES} or more) still being indexed; then it commits what it has. So
   * 1,000 small files go in a few large transactions (commit thread 0.55 -> 0.29 s of CPU, 2.20 -> 2.00
   * ms per file), while a small registration's files are committed as they come, overlapping the
   * indexing of the rest: waiting for all 16 footer files of one registration made its wait 30-70 ms
   * longer on a fresh server (scripts/bench/README.md, "Afternoon session").
   */
  static final Duration LINGER = Duration.ofMillis(200);

  /**
   * How long a call that indexed its files from their footers waits for their commit; then it answers
   * with them still pending (and stored so), and the client waits for them as for a worker's. Only a
   * committer held up by a much larger registration's groups or a stalled disk comes near it.
   */
  static final Duration IN_CALL_COMMIT_WAIT = Duration.ofSeconds(30);
  /** {@link #IN_CALL_COMMIT_WAIT}, which tests shorten to answer before the commit. */
  private volatile Duration inCallCommitWait = IN_CALL_COMMIT_WAIT;

  /** The size of registration, in files, from which the committer waits for more of it ({@link #LINGER}). */
  static final int LINGER_FILES = 64;

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
    this.committer = new Thread(this::commitLoop, "rrdflight-catalog-commit");
    committer.setDaemon(true);
    committer.start();
  }

  /** Takes the stored tasks; those still pending or running were interrupted and are marked failed. */
  /** @param writer false on a fleet node that only reads: another server runs the unfinished tasks */
  void load(List<Task> stored, boolean writer) {
    Instant now = Instant.now();
    List<Task> interrupted = new ArrayList<>();
    synchronized (lock) {
      for (Task t : stored) {
        if (writer && !t.status().finished()) {
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

  /**
   * One task per file. A file a worker is to index is stored pending first and handed to a worker.
   * The files the call indexed from their footers go to the committer together and are committed in
   * one transaction, as worker-indexed files are; this waits for that (at most {@link #IN_CALL_COMMIT_WAIT})
   * and returns their tasks finished. They are stored only finished, so the call that named them
   * answers after their one flush; a crash before it loses only a registration whose call never answered.
   * Those the wait leaves unfinished are stored pending before the call answers with them, so a crash
   * before their commit brings them back interrupted, as a worker's, not unknown to the client waiting.
   */
  List<Task> submit(EntryId datasetId, List<FileToRegister> files, OnDuplicate onDuplicate) {
    requireNonNull(files, "files is null");
    requireNonNull(onDuplicate, "onDuplicate is null");
    List<Task> created = new ArrayList<>();
    synchronized (lock) {
      catalog.dataset(datasetId);
      Instant now = Instant.now();
      List<Task> forWorkers = new ArrayList<>();
      for (FileToRegister file : files) {
        Task task = newTask(datasetId, file.source().uri(), file.source().layer(), now);
        created.add(task);
        if (file.indexed().isEmpty()) {
          forWorkers.add(task);
        }
      }
      // Persisted before any work starts, so after a crash they come back as failed, never vanish.
      if (!forWorkers.isEmpty()) {
        store.upsertTasks(forWorkers);
      }
      created.forEach(t -> tasks.put(t.id(), t));
    }
    RegistrationProgress.Batch batch = progress.start(created.size());
    List<Outcome> inCall = new ArrayList<>();
    DatasetKind kind = catalog.dataset(datasetId).kind();
    for (int i = 0; i < created.size(); i++) {
      Task task = created.get(i);
      FileToRegister file = files.get(i);
      if (file.indexed().isPresent()) {
        FileToRegister.Indexed indexed = file.indexed().get();
        inCall.add(outcome(task, file.source(), indexed.stamp(), indexed.recordings(), kind, onDuplicate, false, batch));
        batch.handOver();
      } else {
        workers.execute(() -> run(task, file.source(), onDuplicate, false, clientRoots, batch));
      }
    }
    if (inCall.isEmpty()) {
      return created;
    }
    try {
      outcomes.put(new Together(inCall));
    } catch (InterruptedException e) {
      // Shutting down: these tasks were never stored, nor will they be; the call fails.
      Thread.currentThread().interrupt();
      synchronized (lock) {
        inCall.forEach(o -> tasks.remove(taskOf(o).id()));
      }
      throw CatalogException.internal("Registration was interrupted: the server is stopping", e);
    }
    List<Task> waited = awaitFinished(inCall.stream().map(o -> taskOf(o).id()).toList(), inCallCommitWait);
    storeUnfinished(waited);
    synchronized (lock) {
      return created.stream().map(t -> tasks.getOrDefault(t.id(), t)).toList();
    }
  }

  /**
   * Stores pending those of {@code waited} that were not finished. The committer stores them finished
   * outside the catalog's lock, before or after this: a task it stored keeps that state.
   */
  private void storeUnfinished(List<Task> waited) {
    List<Task> unfinished = waited.stream().filter(t -> !t.status().finished()).toList();
    if (unfinished.isEmpty()) {
      return;
    }
    try {
      store.addTasksIfAbsent(unfinished);
    } catch (CatalogException e) {
      // Their dataset deleted meanwhile, or a full disk: they still finish in memory as usual.
      log.warn("{} registration task(s) still being committed could not be stored pending: {}", unfinished.size(), e.getMessage());
    }
  }

  void inCallCommitWaitForTesting(Duration wait) {
    inCallCommitWait = requireNonNull(wait, "wait is null");
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

  /** The real path of a directory a client names (a table's), if it lies below the allowed roots. */
  Path requireRegistrableDirectory(Path dir) {
    return clientRoots.requireDirectory(dir);
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
      markRunning(prefixTask.id());
      List<Listed> files = listed(prefix, RecordingFiles.Depth.RECURSIVE, maxPrefixEntries);
      log.info("prefix {}: {} recording(s) found", dir, files.size());
      List<Task> children = submit(prefixTask.datasetId(),
          files.stream().map(f -> FileToRegister.toIndex(new DataSource(f.uri(), prefix.layer()))).toList(), onDuplicate);
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
    // With the companions rerun server 0.41 gives a directory's dataset (a blueprint and an asset dataset).
    // Only the writer adds them to an older dataset: a fleet reader's sync of an unchanged directory
    // must not write (it would fail, and the reader would not start).
    Dataset found = catalog.findDataset(name).orElseGet(() -> catalog.createDatasetWithCompanions(name));
    Dataset dataset = catalog.isWriter() ? catalog.ensureCompanions(found.id()) : found;
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

  /** A pending task; the caller holds the lock. */
  private Task newTask(EntryId datasetId, URI source, String layer, Instant now) {
    Instant created = now.isAfter(lastCreated) ? now : lastCreated.plusNanos(1);
    lastCreated = created;
    return new Task("task_" + UUID.randomUUID().toString().replace("-", ""), datasetId, source, layer,
        TaskStatus.PENDING, null, List.of(), created, created);
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

  /** What a worker hands the committer for one file. */
  private sealed interface Outcome permits Indexed, Failed, Together, Stop {}

  private record Indexed(Task task, DataSource source, String path, FileStamp stamp, List<IndexedRecording> recordings,
      OnDuplicate onDuplicate, boolean replaceSameFile, RegistrationProgress.Batch batch, long bytes) implements Outcome {}

  private record Failed(Task task, String message, RegistrationProgress.Batch batch, long bytes) implements Outcome {}

  /** The task of a file's outcome. */
  private static Task taskOf(Outcome o) {
    return o instanceof Indexed i ? i.task() : ((Failed) o).task();
  }

  /** The files one call indexed from their footers: committed in one group, never split between groups. */
  private record Together(List<Outcome> files) implements Outcome {}

  /** Put last by {@link #close()}: the committer commits what came before, then ends. */
  private record Stop() implements Outcome {}

  /**
   * One task, on a worker thread: index outside the lock, then hand the outcome to the committer.
   * Its "running" state is shown in memory only: a task still pending in the store after a crash is
   * marked interrupted on the next start either way, so storing it would cost a flush and say nothing.
   */
  private void run(Task task, DataSource source, OnDuplicate onDuplicate, boolean replaceSameFile, AllowedRoots roots,
      RegistrationProgress.Batch batch) {
    long bytes = 0;
    Outcome outcome;
    try {
      markRunning(task.id());
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
      outcome = outcome(task, source, stamp, recordings, kind, onDuplicate, replaceSameFile, batch);
    } catch (CatalogException e) {
      outcome = new Failed(task, e.kind() == CatalogException.Kind.INTERNAL
          ? "Registration of " + source.uri() + " was not recorded: " + e.getMessage() : e.getMessage(), batch, bytes);
    } catch (IOException e) {
      outcome = new Failed(task, e.getMessage() == null ? e.toString() : e.getMessage(), batch, bytes);
    } catch (RuntimeException e) {
      log.error("registration of {} failed unexpectedly", source.uri(), e);
      outcome = new Failed(task, "Registration of " + source.uri() + " failed: " + e, batch, bytes);
    }
    try {
      batch.handOver();
      outcomes.put(outcome);
    } catch (InterruptedException e) {
      // Shutting down: the task stays pending in the store and is reported interrupted at the next start.
      Thread.currentThread().interrupt();
    }
  }

  /** What an indexed file hands the committer, from a worker or from the call that indexed it. */
  private static Outcome outcome(Task task, DataSource source, FileStamp stamp, List<IndexedRecording> recordings, DatasetKind kind,
      OnDuplicate onDuplicate, boolean replaceSameFile, RegistrationProgress.Batch batch) {
    if (recordings.isEmpty()) {
      String what = kind == DatasetKind.BLUEPRINT ? "blueprint" : "recording";
      return new Failed(task, "No " + what + " in " + stamp.location() + " (it holds no " + what + " store)", batch, stamp.sizeBytes());
    }
    if (kind == DatasetKind.ASSET) {
      // As rerun server 0.41: an asset is shared by every segment at every time, so it holds static data only.
      Optional<IndexedRecording> temporal = recordings.stream().filter(r -> !r.schema().timelines().isEmpty()).findFirst();
      if (temporal.isPresent()) {
        return new Failed(task, "Asset datasets take static data only, but asset '" + temporal.get().recordingId() + "' in "
            + stamp.location() + " has temporal data (timelines " + temporal.get().schema().timelines().stream()
            .map(Timeline::name).toList() + "); it was not registered", batch, stamp.sizeBytes());
      }
    }
    return new Indexed(task, source, stamp.location(), stamp, recordings, onDuplicate, replaceSameFile, batch, stamp.sizeBytes());
  }

  /** Whether registrations log their progress (see {@link Catalog#logRegistrationProgress}). */
  void logProgress(boolean on) {
    progress.logged(on);
  }

  /**
   * The committer thread: takes what has gathered and, while a large registration in it has files still
   * being indexed, what comes within {@link #LINGER}; commits it as one group, until {@link Stop}.
   */
  private void commitLoop() {
    List<Outcome> group = new ArrayList<>();
    while (true) {
      group.clear();
      try {
        group.add(outcomes.take());
      } catch (InterruptedException e) {
        return;
      }
      outcomes.drainTo(group, MAX_GROUP - 1);
      boolean interrupted = false;
      long deadline = System.nanoTime() + LINGER.toNanos();
      while (group.size() < MAX_GROUP && awaitsMore(group)) {
        Outcome next;
        try {
          next = outcomes.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
          interrupted = true; // what was taken is still committed
          break;
        }
        if (next == null) {
          break;
        }
        group.add(next);
        outcomes.drainTo(group, MAX_GROUP - group.size());
      }
      boolean stop = group.removeIf(o -> o instanceof Stop) || interrupted;
      if (!group.isEmpty()) {
        try {
          commitGroup(group.stream().flatMap(o -> o instanceof Together t ? t.files().stream() : java.util.stream.Stream.of(o)).toList());
        } catch (RuntimeException e) {
          log.error("committing {} registration(s) failed unexpectedly", group.size(), e);
        }
      }
      if (stop) {
        return;
      }
    }
  }

  /** Whether a file of a large registration in {@code group} is still to come; never once the server stops. */
  private static boolean awaitsMore(List<Outcome> group) {
    boolean more = false;
    for (Outcome o : group) {
      if (o instanceof Stop) {
        return false;
      }
      if (o instanceof Together) {
        continue; // all its files are here
      }
      RegistrationProgress.Batch batch = o instanceof Indexed i ? i.batch() : ((Failed) o).batch();
      more |= batch.files() >= LINGER_FILES && batch.moreToCome();
    }
    return more;
  }

  /**
   * Commits the outcomes of several files in one transaction. Each file is planned against the
   * catalog as the files before it in the group leave it (a duplicate of an earlier file of the
   * group is a duplicate). The catalog's lock is held to plan and to show the result, never during
   * the flush: workers need it between files, and holding it through the flush kept them waiting
   * until groups shrank to one file each. A change made in between (a dataset deleted) makes the
   * transaction fail on its foreign key; then, as for any failed group, each file is committed on its
   * own, planned again, so one file that cannot be stored never fails the others.
   */
  private void commitGroup(List<Outcome> group) {
    Instant now;
    List<CatalogStore.FileCommit> commits = new ArrayList<>();
    Map<EntryId, StagedColumns> stagedSchemas = new HashMap<>();
    synchronized (lock) {
      now = Instant.now();
      Map<EntryId, Map<Catalog.PartitionKey, Optional<Partition>>> staged = new HashMap<>();
      for (Outcome o : group) {
        commits.add(plan(o, staged, stagedSchemas, now));
      }
    }
    boolean stored = true;
    try {
      store.commitRegistrations(commits, now);
    } catch (CatalogException e) {
      stored = false;
      if (group.size() > 1) {
        log.warn("a group of {} registrations could not be committed ({}); committing them one by one", group.size(), e.getMessage());
        group.forEach(o -> commitGroup(List.of(o)));
        return;
      }
      commits = List.of(notRecorded(commits.get(0), e, now));
    }
    synchronized (lock) {
      for (CatalogStore.FileCommit c : commits) {
        apply(c);
      }
      if (stored) {
        // The schema the plan worked out is the union of exactly these partitions: the catalog need not read them again.
        stagedSchemas.forEach((id, columns) -> {
          if (columns.exact()) {
            catalog.rememberDatasetSchema(id, columns.partitions(), columns.inMergeOrder());
          }
        });
      }
      for (Outcome o : group) {
        if (o instanceof Indexed i) {
          i.batch().fileDone(i.bytes());
        } else if (o instanceof Failed f) {
          log.warn("registration {} failed: {}", f.task().source(), f.message());
          f.batch().fileDone(f.bytes());
        }
      }
      lock.notifyAll();
    }
  }

  /** One file's commit: its partitions and successful task, or its failed task. The caller holds the lock. */
  private CatalogStore.FileCommit plan(Outcome o, Map<EntryId, Map<Catalog.PartitionKey, Optional<Partition>>> staged,
      Map<EntryId, StagedColumns> stagedSchemas, Instant now) {
    if (o instanceof Failed f) {
      return CatalogStore.FileCommit.failed(f.task().with(TaskStatus.FAILED, f.message(), List.of(), now));
    }
    Indexed i = (Indexed) o;
    try {
      return planIndexed(i, staged, stagedSchemas, now);
    } catch (CatalogException e) {
      log.warn("registration {} failed: {}", i.task().source(), e.getMessage());
      return CatalogStore.FileCommit.failed(i.task().with(TaskStatus.FAILED, e.getMessage(), List.of(), now));
    }
  }

  /**
   * A dataset's columns as a group's earlier files leave them: {@code schema} is the catalog's
   * ({@code before}) with the group's {@code added} partitions' merged in the order they were planned,
   * what a file is checked against; it is the union of {@code partitions}' schemas when {@code exact}
   * (no file of the group replaced a partition, whose columns stay in the union).
   */
  private record StagedColumns(List<Partition> partitions, DatasetSchema before, Map<Catalog.PartitionKey, DatasetSchema> added,
      DatasetSchema schema, boolean exact) {

    /**
     * The union as {@link Catalog#datasetSchema} works it out from the stored partitions: in the order
     * they were registered, a group's files by partition id. A struct that gains fields lists them in
     * merge order, so the union remembered must not depend on the order the group was planned in.
     */
    DatasetSchema inMergeOrder() {
      DatasetSchema union = before;
      List<Catalog.PartitionKey> keys = added.keySet().stream()
          .sorted(Comparator.comparing(Catalog.PartitionKey::partitionId).thenComparing(Catalog.PartitionKey::layer)).toList();
      for (Catalog.PartitionKey key : keys) {
        union = union.union(added.get(key));
      }
      return union;
    }
  }

  /** The dataset's {@link StagedColumns} in this group: the catalog's, asked once per group. The caller holds the lock. */
  private StagedColumns staged(Map<EntryId, StagedColumns> stagedSchemas, EntryId datasetId) {
    return stagedSchemas.computeIfAbsent(datasetId, id -> {
      DatasetSchema known = catalog.datasetSchema(id);
      return new StagedColumns(catalog.partitions(id), known, Map.of(), known, true);
    });
  }

  /**
   * The union of the dataset's partitions that stay once the group's earlier files and this one are
   * committed: {@code replaced} left out, the group's additions in. Worked out only when a recording
   * conflicts with the staged union while partitions are being replaced, whose columns that union
   * still holds: a recording that replaces one of another type must meet the others, not its own old self.
   */
  private DatasetSchema stayingSchema(Map<Catalog.PartitionKey, Partition> existing, Map<Catalog.PartitionKey, Optional<Partition>> changes,
      List<Partition> replaced, StagedColumns columns) {
    Set<Catalog.PartitionKey> keys = new HashSet<>(existing.keySet());
    keys.addAll(changes.keySet());
    DatasetSchema union = DatasetSchema.empty();
    for (Catalog.PartitionKey key : keys) {
      Partition p = changes.containsKey(key) ? changes.get(key).orElse(null) : existing.get(key);
      if (p == null || replaced.contains(p)) {
        continue;
      }
      DatasetSchema staged = columns.added().get(key); // a partition the group adds is not stored yet
      union = union.union(staged != null ? staged : catalog.schema(p));
    }
    return union;
  }

  /**
   * {@code stagedSchemas}: per dataset, its columns as the group's earlier files leave them (the catalog's
   * schema, asked once per group, with theirs added), so that two files of one group are checked against
   * each other too.
   */
  private CatalogStore.FileCommit planIndexed(Indexed i, Map<EntryId, Map<Catalog.PartitionKey, Optional<Partition>>> staged,
      Map<EntryId, StagedColumns> stagedSchemas, Instant now) {
    Task task = i.task();
    String path = i.path();
    String layer = i.source().layer();
    Map<Catalog.PartitionKey, Partition> existing = catalog.partitionsOf(task.datasetId());
    if (existing == null) {
      throw CatalogException.notFound("Dataset " + task.datasetId() + " was deleted before " + path + " was registered");
    }
    // The dataset as the earlier files of this group leave it.
    Map<Catalog.PartitionKey, Optional<Partition>> changes = staged.computeIfAbsent(task.datasetId(), k -> new HashMap<>());
    List<CatalogStore.IndexedPartition> added = new ArrayList<>();
    List<Partition> replaced = new ArrayList<>();
    if (i.replaceSameFile()) {
      existing.entrySet().stream().filter(e -> !changes.containsKey(e.getKey())).map(Map.Entry::getValue)
          .filter(p -> p.file().location().equals(path)).forEach(replaced::add);
      changes.values().stream().flatMap(Optional::stream).filter(p -> p.file().location().equals(path)).forEach(replaced::add);
    }
    List<String> seen = new ArrayList<>();
    for (IndexedRecording r : i.recordings()) {
      if (seen.contains(r.recordingId())) {
        throw CatalogException.invalidArgument("Recording " + r.recordingId() + " appears twice in " + path);
      }
      seen.add(r.recordingId());
      Catalog.PartitionKey key = new Catalog.PartitionKey(r.recordingId(), layer);
      Partition old = changes.containsKey(key) ? changes.get(key).orElse(null) : existing.get(key);
      if (old != null && !replaced.contains(old)) {
        switch (i.onDuplicate()) {
          // Rerun's words first ("Segment …: already exists"): scripts match them, on either server.
          case ERROR -> throw CatalogException.alreadyExists("Segment \"" + r.recordingId() + "\", layer \"" + layer
              + "\": already exists, from " + old.file().location() + "; " + path + " was not registered");
          case SKIP -> {
            continue;
          }
          case OVERWRITE -> replaced.add(old);
        }
      }
      // As Rerun's server since 0.30: a recording whose columns do not merge with the dataset's fails alone,
      // and the dataset stays readable (a query over both types read one's bytes as the other's). One that
      // replaces a partition (an overwrite, a changed file of a synced directory) is checked too, against
      // the partitions that stay: the staged union still holds the replaced ones' columns.
      StagedColumns columns = staged(stagedSchemas, task.datasetId());
      Optional<String> conflict = columns.schema().conflictWith(r.schema());
      if (conflict.isPresent() && (!replaced.isEmpty() || !columns.exact())) {
        conflict = stayingSchema(existing, changes, replaced, columns).conflictWith(r.schema());
      }
      if (conflict.isPresent()) {
        throw CatalogException.invalidArgument("schema incompatibility on segment '" + r.recordingId() + "', layer '" + layer
            + "': " + conflict.get() + " (" + path + "); it was not registered");
      }
      added.add(new CatalogStore.IndexedPartition(new Partition(task.datasetId(), r.recordingId(), layer,
          storageUrl(i.source().uri()), i.stamp(), r.chunkCount(), r.rowCount(), r.sizeBytes(), now, r.applicationId()),
          r.chunkIndex(), r.schema()));
    }
    replaced.forEach(p -> changes.put(new Catalog.PartitionKey(p.partitionId(), p.layer()), Optional.empty()));
    added.forEach(ip -> changes.put(new Catalog.PartitionKey(ip.partition().partitionId(), ip.partition().layer()), Optional.of(ip.partition())));
    if (!added.isEmpty()) {
      StagedColumns before = staged(stagedSchemas, task.datasetId());
      DatasetSchema known = before.schema();
      List<Partition> partitions = new ArrayList<>(before.partitions());
      Map<Catalog.PartitionKey, DatasetSchema> addedSchemas = new HashMap<>(before.added());
      for (CatalogStore.IndexedPartition ip : added) {
        known = known.union(ip.schema());
        partitions.add(ip.partition());
        addedSchemas.put(new Catalog.PartitionKey(ip.partition().partitionId(), ip.partition().layer()), ip.schema());
      }
      stagedSchemas.put(task.datasetId(), new StagedColumns(partitions, before.before(), addedSchemas, known,
          before.exact() && replaced.isEmpty()));
    }
    List<String> ids = added.stream().map(ip -> ip.partition().partitionId()).toList();
    return new CatalogStore.FileCommit(added, replaced, task.with(TaskStatus.SUCCESS, null, ids, now));
  }

  /**
   * A file whose commit failed on its own (a full disk): its task fails, stored if the store takes
   * that; otherwise shown in memory only, so waiters wake up, and marked interrupted at the next
   * start, which is what it was.
   */
  private CatalogStore.FileCommit notRecorded(CatalogStore.FileCommit attempted, CatalogException e, Instant now) {
    Task task = attempted.finished();
    String message = attempted.added().isEmpty() && task.status() == TaskStatus.FAILED ? task.message()
        : "Registration of " + task.source() + " was not recorded: " + e.getMessage();
    Task failed = task.with(TaskStatus.FAILED, message, List.of(), now);
    log.warn("registration {} failed: {}", task.source(), message);
    try {
      store.upsertTasks(List.of(failed));
    } catch (CatalogException again) {
      log.error("task {} failed but the catalog could not record it: {}", task.id(), again.getMessage());
    }
    return CatalogStore.FileCommit.failed(failed);
  }

  /** Makes a committed file visible in memory; the caller holds the lock. */
  private void apply(CatalogStore.FileCommit c) {
    Map<Catalog.PartitionKey, Partition> existing = catalog.partitionsOf(c.finished().datasetId());
    if (existing != null) {
      // A replaced partition's copy went with its row (the cascade): its file goes too (the value in
      // memory, which may have been swapped to its copy since this commit was planned).
      c.replaced().forEach(p -> {
        Partition gone = existing.remove(new Catalog.PartitionKey(p.partitionId(), p.layer()));
        if (gone != null) {
          catalog.discardCopy(gone);
        }
      });
      c.added().forEach(ip -> existing.put(new Catalog.PartitionKey(ip.partition().partitionId(), ip.partition().layer()), ip.partition()));
      // A new partition may want a copy of its own.
      c.added().forEach(ip -> catalog.considerCompaction(ip.partition()));
      if (!c.added().isEmpty()) {
        catalog.announceAdded(c.added().stream().map(CatalogStore.IndexedPartition::partition).toList());
      }
    }
    if (tasks.containsKey(c.finished().id())) {
      tasks.put(c.finished().id(), c.finished());
    }
  }

  private static URI storageUrl(URI source) {
    return source.normalize();
  }

  private void fail(Task task, String message) {
    log.warn("registration {} failed: {}", task.source(), message);
    update(task.id(), TaskStatus.FAILED, message);
  }

  /** Shows a task as running; in memory only (see {@link #run}). */
  private void markRunning(String taskId) {
    synchronized (lock) {
      Task t = tasks.get(taskId);
      if (t != null && !t.status().finished()) {
        tasks.put(taskId, t.with(TaskStatus.RUNNING, null, t.partitionIds(), Instant.now()));
      }
    }
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

  /** Stops the workers, then lets the committer store what they finished before the store closes. */
  @Override
  public void close() {
    walker.shutdownNow();
    workers.shutdownNow();
    try {
      workers.awaitTermination(10, TimeUnit.SECONDS);
      if (outcomes.offer(new Stop(), 10, TimeUnit.SECONDS)) {
        committer.join(TimeUnit.SECONDS.toMillis(30));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (committer.isAlive()) {
      committer.interrupt();
    }
  }
}
