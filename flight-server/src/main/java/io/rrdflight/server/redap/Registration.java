package io.rrdflight.server.redap;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.CatalogException;
import io.rrdflight.catalog.DataSource;
import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.DatasetKind;
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
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * RegisterWithDataset: checks every source before anything is registered, then hands one task per
 * file to the catalog, which indexes the files in the background. For 0.27 clients a prefix becomes
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

  /** One file to register, as the client named it; a prefix has no recording ids until it is walked. */
  record Source(String storageUrl, URI location, String layer, List<String> recordingIds, boolean prefix) {}

  private final Catalog catalog;
  private final RecordingProbe probe;

  Registration(Catalog catalog, RecordingProbe probe) {
    this.catalog = requireNonNull(catalog, "catalog is null");
    this.probe = requireNonNull(probe, "probe is null");
  }

  /** Registers what the request names into {@code dataset}; returns the answer's table. */
  DataframePart register(Dataset dataset, RegisterWithDatasetRequest request, Vocabulary vocabulary, BufferAllocator allocator) {
    OnDuplicate onDuplicate = onDuplicate(request.getOnDuplicate());
    List<Source> sources = new ArrayList<>();
    for (io.rrdflight.server.redap.proto.DataSource s : request.getDataSourcesList()) {
      sources.addAll(resolve(s, dataset.kind(), vocabulary));
    }
    // Clients before 0.41 learn of a duplicate from the call; 0.41+ from the failed task, as with Rerun.
    List<Source> files = sources.stream().filter(s -> !s.prefix()).toList();
    if (onDuplicate == OnDuplicate.ERROR && !vocabulary.duplicatesInTasks()) {
      rejectDuplicates(dataset, files);
    }
    List<Task> fileTasks = catalog.submit(dataset.id(), files.stream().map(s -> new DataSource(s.location(), s.layer())).toList(),
        onDuplicate);
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

  /** A data source as the files it stands for: itself, or every .rrd below a prefix directory. */
  List<Source> resolve(io.rrdflight.server.redap.proto.DataSource source, DatasetKind kind, Vocabulary vocabulary) {
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
        return List.of(new Source(url, named.uri(), layer, List.of(), true));
      }
      // 0.28+ clients read the segment ids from this answer (wait().segment_ids): the files are listed
      // now, under the allowed roots and within --max-prefix-files, and each becomes its own task.
      List<Source> found = new ArrayList<>();
      for (DataSource file : catalog.recordingsBelow(named)) {
        found.add(probed(file.uri().toString(), file, kind));
      }
      return found;
    }
    try {
      return List.of(probed(url, named, kind));
    } catch (CatalogException e) {
      // A missing file: 0.28+ clients raise NotFoundError for it, as Rerun's server answers; 0.27 ones ValueError.
      if (e.kind() == CatalogException.Kind.NOT_FOUND && !vocabulary.segments()) {
        throw CatalogStatus.invalidArgument(e.getMessage());
      }
      throw e;
    }
  }

  /**
   * The recording with the ids of its stores of {@code kind}: a recording dataset takes recordings,
   * a blueprint dataset blueprints. The catalog checks the allowed roots (and, for a file, that it
   * is a regular file) before it opens it.
   */
  private Source probed(String url, DataSource named, DatasetKind kind) {
    List<String> ids;
    try (RecordingSource recording = catalog.openRegistrable(named)) {
      ids = probe.recordingIds(recording, kind.storeKind());
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
    return new Source(url, named.uri(), named.layer(), ids.stream().distinct().sorted().toList(), false);
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
