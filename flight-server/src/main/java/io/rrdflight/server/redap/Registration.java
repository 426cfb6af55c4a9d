package io.rrdflight.server.redap;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.CatalogException;
import io.rrdflight.catalog.DataSource;
import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.DatasetKind;
import io.rrdflight.catalog.FileToRegister;
import io.rrdflight.catalog.OnDuplicate;
import io.rrdflight.catalog.Partition;
import io.rrdflight.catalog.Task;
import io.rrdflight.rrd.proto.DataframePart;
import io.rrdflight.rrd.proto.IfDuplicateBehavior;
import io.rrdflight.server.redap.proto.DataSourceKind;
import io.rrdflight.server.redap.proto.RegisterWithDatasetRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import io.rrdflight.rrd.RecordingSource;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * RegisterWithDataset: checks every source before anything is registered, then hands one task per
 * file to the catalog, which indexes the files in the background; or, for a call of a few local files
 * with footers, indexes them from the footers it reads here and has the catalog commit them before
 * it answers (see {@link #register}). For 0.27 clients a prefix becomes
 * one task too, which walks the directory in the background (its answer row has no partition id:
 * the files are not known yet); 0.28+ clients need the segment ids in the answer, so their prefix is
 * listed during the call, within the same bounds. Files and prefixes must lie under the server's
 * allowed roots.
 *
 * <p>The answer needs the partition ids at once (the SDK's {@code register()} returns the last
 * row's), before the tasks ran. So the recording ids of each file are read up front by a
 * {@link RecordingProbe}, which reads only the small store messages; the task later indexes the file
 * and commits exactly those recordings as partitions. Reading them up front also lets every mistake a
 * user can fix (a URL that is not a local file, a missing file, a file that is not an .rrd, a
 * partition the dataset already has) fail the whole call with a message, before anything changed.
 */
final class Registration {
  static final String LAYER_DEFAULT = Partition.DEFAULT_LAYER;
  /** Rerun's clients insist on this literal in rerun_partition_type. */
  static final String PARTITION_TYPE_RRD = "rrd";

  /** The answer's columns; clients reject a column of the other generation's vocabulary. */
  static Schema responseSchema(Vocabulary vocabulary) {
    return new Schema(List.of(
        utf8(vocabulary.idColumn()), utf8(vocabulary.layerColumn()), utf8(vocabulary.typeColumn()),
        utf8("rerun_storage_url"), utf8("rerun_task_id")));
  }

  /**
   * How many files a call may index from their footers itself (see {@link #register}); a call naming
   * more, or a prefix, leaves its files to the catalog's workers. The call reads every footer either
   * way (for the ids); what this bounds is decoding their manifests while the client waits.
   */
  static final int IN_CALL_MAX_FILES = 64;

  /**
   * One file to register, as the client named it; a prefix has no recording ids until it is walked.
   * {@code indexed}: what its footer gave, when the call indexed it.
   */
  record Source(String storageUrl, URI location, String layer, List<String> recordingIds, boolean prefix,
      Optional<FileToRegister.Indexed> indexed) {}

  /** Threads that read a call's files ({@link #inParallel}): two at least, so the client waits for half the footers even on two cores. */
  static final int IN_CALL_THREADS = Math.min(4, Math.max(2, Runtime.getRuntime().availableProcessors()));

  private final Catalog catalog;
  private final RecordingProbe probe;
  private final ExecutorService executor;

  /** @param executor lends the threads that help a call read its files; owned by the caller */
  Registration(Catalog catalog, RecordingProbe probe, ExecutorService executor) {
    this.catalog = requireNonNull(catalog, "catalog is null");
    this.probe = requireNonNull(probe, "probe is null");
    this.executor = requireNonNull(executor, "executor is null");
  }

  /** Registers what the request names into {@code dataset}; returns the answer's table. */
  DataframePart register(Dataset dataset, RegisterWithDatasetRequest request, Vocabulary vocabulary, BufferAllocator allocator) {
    OnDuplicate onDuplicate = onDuplicate(request.getOnDuplicate());
    if (request.getDataSourcesCount() == 0 && vocabulary.segments()) {
      // 0.28+ clients learn of it from the call, as from Rerun's server; 0.27 ones get an empty answer, as before.
      throw CatalogStatus.invalidArgument("no data sources to register: the request names no file or prefix");
    }
    // A few files, no prefix: each footer is read once, here, and what it gives is committed before
    // the answer, which then names finished tasks (as Rerun's server answers), instead of a worker
    // reading every footer again and the client waiting for it.
    boolean inCall = request.getDataSourcesCount() <= IN_CALL_MAX_FILES
        && request.getDataSourcesList().stream().noneMatch(io.rrdflight.server.redap.proto.DataSource::getPrefix);
    List<Supplier<Source>> resolved = new ArrayList<>();
    for (io.rrdflight.server.redap.proto.DataSource s : request.getDataSourcesList()) {
      resolved.addAll(resolve(s, dataset.kind(), vocabulary, inCall));
    }
    List<Source> sources = inCall ? inParallel(resolved) : resolved.stream().map(Supplier::get).toList();
    // Clients before 0.41 learn of a duplicate from the call; 0.41+ from the failed task, as with Rerun.
    List<Source> files = sources.stream().filter(s -> !s.prefix()).toList();
    if (vocabulary.refusesRepeatsInRequest()) {
      refuseRepeats(files);
    }
    if (onDuplicate == OnDuplicate.ERROR && !vocabulary.duplicatesInTasks()) {
      rejectDuplicates(dataset, files);
    }
    List<Task> fileTasks = catalog.submitFiles(dataset.id(),
        files.stream().map(s -> new FileToRegister(new DataSource(s.location(), s.layer()), s.indexed())).toList(), onDuplicate);
    List<Task> tasks = new ArrayList<>();
    for (int i = 0, f = 0; i < sources.size(); i++) {
      Source s = sources.get(i);
      tasks.add(s.prefix() ? catalog.submitPrefix(dataset.id(), new DataSource(s.location(), s.layer()), onDuplicate) : fileTasks.get(f++));
    }
    try (VectorSchemaRoot root = VectorSchemaRoot.create(responseSchema(vocabulary), allocator)) {
      root.allocateNew();
      int row = 0;
      for (int i = 0; i < sources.size(); i++) {
        Source s = sources.get(i);
        for (String partitionId : s.prefix() ? List.of("") : s.recordingIds()) {
          set(root, 0, row, partitionId);
          set(root, 1, row, s.layer());
          set(root, 2, row, PARTITION_TYPE_RRD);
          set(root, 3, row, s.storageUrl());
          set(root, 4, row, tasks.get(i).id());
          row++;
        }
      }
      root.setRowCount(row);
      return vocabulary.part(root);
    }
  }

  private static OnDuplicate onDuplicate(IfDuplicateBehavior behavior) {
    return switch (behavior) {
      case IF_DUPLICATE_BEHAVIOR_OVERWRITE -> OnDuplicate.OVERWRITE;
      case IF_DUPLICATE_BEHAVIOR_SKIP -> OnDuplicate.SKIP;
      case IF_DUPLICATE_BEHAVIOR_ERROR, IF_DUPLICATE_BEHAVIOR_UNSPECIFIED -> OnDuplicate.ERROR;
      case UNRECOGNIZED -> throw CatalogStatus.invalidArgument("Unknown on_duplicate behaviour " + behavior);
    };
  }

  /**
   * Reads the files on up to {@link #IN_CALL_THREADS} threads, the call's own and helpers from the
   * executor, since the client waits for all of them; fails as reading them in order would, with the
   * first file's error.
   */
  private List<Source> inParallel(List<Supplier<Source>> files) {
    int n = files.size();
    Source[] read = new Source[n];
    RuntimeException[] failed = new RuntimeException[n];
    AtomicInteger next = new AtomicInteger();
    Runnable drain = () -> {
      for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
        try {
          read[i] = files.get(i).get();
        } catch (RuntimeException e) {
          failed[i] = e;
        }
      }
    };
    List<Future<?>> helpers = new ArrayList<>();
    for (int h = 1; h < Math.min(n, IN_CALL_THREADS); h++) {
      try {
        helpers.add(executor.submit(drain));
      } catch (RejectedExecutionException e) {
        break; // shutting down: the call's thread reads them all
      }
    }
    drain.run();
    for (Future<?> helper : helpers) {
      try {
        helper.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw io.grpc.Status.CANCELLED.withDescription("The registration was interrupted: the server is stopping").asRuntimeException();
      } catch (ExecutionException e) {
        throw new IllegalStateException("reading a file to register failed", e.getCause());
      }
    }
    for (RuntimeException e : failed) {
      if (e != null) {
        throw e;
      }
    }
    return List.of(read);
  }

  /** A data source as the files it stands for: itself, or every .rrd below a prefix directory; each read when asked. */
  List<Supplier<Source>> resolve(io.rrdflight.server.redap.proto.DataSource source, DatasetKind kind, Vocabulary vocabulary, boolean inCall) {
    if (source.getTyp() != DataSourceKind.DATA_SOURCE_KIND_RRD && source.getTyp() != DataSourceKind.DATA_SOURCE_KIND_UNSPECIFIED) {
      throw CatalogStatus.invalidArgument("Only .rrd data sources can be registered, got kind " + source.getTypValue()
          + " for '" + source.getStorageUrl() + "'");
    }
    if (!source.hasStorageUrl() || source.getStorageUrl().isBlank()) {
      throw CatalogStatus.invalidArgument("A data source has no storage_url; give a file:///absolute/path.rrd or s3://bucket/key.rrd URL");
    }
    String url = source.getStorageUrl();
    String layer = source.hasLayer() && !source.getLayer().isBlank() ? source.getLayer() : LAYER_DEFAULT;
    DataSource named = DataSource.of(url, layer);
    if (source.getPrefix()) {
      if (!vocabulary.segments()) {
        // 0.27 clients only wait for the tasks: one task walks the prefix in the background. Checked
        // now, so that a prefix outside the allowed roots fails the call.
        catalog.requireRegistrablePrefix(named);
        Source walked = new Source(url, named.uri(), layer, List.of(), true, Optional.empty());
        return List.of(() -> walked);
      }
      // 0.28+ clients read the segment ids from this answer (wait().segment_ids): the files are listed
      // now, under the allowed roots and within --max-prefix-files, and each becomes its own task.
      List<Supplier<Source>> found = new ArrayList<>();
      for (DataSource file : catalog.recordingsBelow(named)) {
        found.add(() -> probed(file.uri().toString(), file, kind, false));
      }
      if (found.isEmpty()) {
        throw CatalogStatus.invalidArgument("no rrd files found in \"" + url + "\": the prefix holds no .rrd file");
      }
      return found;
    }
    return List.of(() -> {
      try {
        return probed(url, named, kind, inCall);
      } catch (CatalogException e) {
        // A missing file: 0.28+ clients raise NotFoundError for it, as Rerun's server answers; 0.27 ones ValueError.
        if (e.kind() == CatalogException.Kind.NOT_FOUND && !vocabulary.segments()) {
          throw CatalogStatus.invalidArgument(e.getMessage());
        }
        throw e;
      }
    });
  }

  /**
   * The recording with the ids of its stores of {@code kind}: a recording dataset takes recordings,
   * a blueprint dataset blueprints. The catalog checks the allowed roots (and, for a file, that it
   * is a regular file) before it opens it.
   */
  private Source probed(String url, DataSource named, DatasetKind kind, boolean inCall) {
    List<String> ids;
    Optional<FileToRegister.Indexed> indexed = Optional.empty();
    try (RecordingSource recording = catalog.openRegistrable(named)) {
      if (inCall && !named.isObject()) { // an object's footer is not indexed in the call: its whole index is built
        indexed = indexedFromFooter(named, recording, kind);
      }
      ids = indexed.isPresent() ? indexed.get().recordingIds() : probe.recordingIds(recording, kind.storeKind());
    } catch (IOException e) {
      throw CatalogStatus.invalidArgument("Cannot register " + named.location() + ": " + e.getMessage());
    }
    if (ids.isEmpty()) {
      throw CatalogStatus.invalidArgument("Cannot register " + named.location() + (kind == DatasetKind.BLUEPRINT
          ? ": it holds no blueprint, and this is a blueprint dataset"
          : ": it holds no recording (only blueprints, or nothing)"));
    }
    // Rerun answers a file's partitions in id order; register() reports the last one.
    // The file as the client named it: that is the storage URL Rerun reports (the check used its real path).
    return new Source(url, named.uri(), named.layer(), ids.stream().distinct().sorted().toList(), false, indexed);
  }

  /**
   * The file indexed from its footer, or empty: no usable footer, or one that cannot be read. Such a
   * file is probed instead and left to a worker, which reads all of it and, for a damaged file,
   * fails its task alone with the file and offset, as before calls read footers.
   */
  private Optional<FileToRegister.Indexed> indexedFromFooter(DataSource named, RecordingSource recording, DatasetKind kind) {
    try {
      return catalog.indexFromFooter(named, recording, kind.storeKind());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * Fails the call when two of its files give one segment the same layer (a file named twice, or two
   * files of one recording), whatever the request's on_duplicate: which of them should win is not the
   * server's to guess. Names every such segment layer with its files. Nothing is registered.
   */
  private static void refuseRepeats(List<Source> files) {
    Map<String, List<String>> urls = new TreeMap<>();
    for (Source s : files) {
      for (String id : s.recordingIds()) {
        urls.computeIfAbsent("segment " + id + " (layer " + s.layer() + ")", k -> new ArrayList<>()).add(s.storageUrl());
      }
    }
    String repeats = urls.entrySet().stream().filter(e -> e.getValue().size() > 1)
        .map(e -> e.getKey() + " from " + String.join(", ", e.getValue()))
        .collect(Collectors.joining("; "));
    if (!repeats.isEmpty()) {
      throw CatalogStatus.invalidArgument("duplicate segment layers in request: " + repeats + "; nothing was registered");
    }
  }

  private void rejectDuplicates(Dataset dataset, List<Source> sources) {
    Map<String, String> taken = new HashMap<>();
    for (Partition p : catalog.partitions(dataset.id())) {
      taken.put(p.partitionId() + "\u0000" + p.layer(), p.file().location());
    }
    for (Source s : sources) {
      for (String id : s.recordingIds()) {
        String previous = taken.putIfAbsent(id + "\u0000" + s.layer(), new DataSource(s.location(), s.layer()).location());
        if (previous != null) {
          throw CatalogException.alreadyExists("Partition " + id + " (layer " + s.layer() + ") is already in dataset '"
              + dataset.name() + "', from " + previous + "; nothing was registered");
        }
      }
    }
  }

  private static Field utf8(String name) {
    return new Field(name, FieldType.notNullable(ArrowType.Utf8.INSTANCE), null);
  }

  private static void set(VectorSchemaRoot root, int column, int row, String value) {
    ((VarCharVector) root.getVector(column)).setSafe(row, value.getBytes(StandardCharsets.UTF_8));
  }
}
