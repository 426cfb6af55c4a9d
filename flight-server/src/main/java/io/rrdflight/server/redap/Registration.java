package io.rrdflight.server.redap;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.CatalogException;
import io.rrdflight.catalog.DataSource;
import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.OnDuplicate;
import io.rrdflight.catalog.Partition;
import io.rrdflight.catalog.Task;
import io.rrdflight.rrd.proto.DataframePart;
import io.rrdflight.rrd.proto.IfDuplicateBehavior;
import io.rrdflight.server.redap.proto.DataSourceKind;
import io.rrdflight.server.redap.proto.RegisterWithDatasetRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
 * file to the catalog, which indexes the files in the background. A prefix becomes one task too,
 * which walks the directory in the background (its answer row has no partition id: the files are
 * not known yet); files and prefixes must lie under the server's allowed roots.
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

  static final Schema RESPONSE_SCHEMA = new Schema(List.of(
      utf8("rerun_partition_id"), utf8("rerun_partition_layer"), utf8("rerun_partition_type"),
      utf8("rerun_storage_url"), utf8("rerun_task_id")));

  /** One file to register, as the client named it; a prefix has no recording ids until it is walked. */
  record Source(String storageUrl, Path file, String layer, List<String> recordingIds, boolean prefix) {}

  private final Catalog catalog;
  private final RecordingProbe probe;

  Registration(Catalog catalog, RecordingProbe probe) {
    this.catalog = requireNonNull(catalog, "catalog is null");
    this.probe = requireNonNull(probe, "probe is null");
  }

  /** Registers what the request names into {@code dataset}; returns the answer's table. */
  DataframePart register(Dataset dataset, RegisterWithDatasetRequest request, BufferAllocator allocator) {
    OnDuplicate onDuplicate = onDuplicate(request.getOnDuplicate());
    List<Source> sources = new ArrayList<>();
    for (io.rrdflight.server.redap.proto.DataSource s : request.getDataSourcesList()) {
      sources.addAll(resolve(s));
    }
    if (onDuplicate == OnDuplicate.ERROR) {
      rejectDuplicates(dataset, sources.stream().filter(s -> !s.prefix()).toList());
    }
    List<Source> files = sources.stream().filter(s -> !s.prefix()).toList();
    List<Task> fileTasks = catalog.submit(dataset.id(), files.stream().map(s -> new DataSource(s.file().toUri(), s.layer())).toList(),
        onDuplicate);
    List<Task> tasks = new ArrayList<>();
    for (int i = 0, f = 0; i < sources.size(); i++) {
      Source s = sources.get(i);
      tasks.add(s.prefix() ? catalog.submitPrefix(dataset.id(), new DataSource(s.file().toUri(), s.layer()), onDuplicate) : fileTasks.get(f++));
    }
    try (VectorSchemaRoot root = VectorSchemaRoot.create(RESPONSE_SCHEMA, allocator)) {
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
      return ArrowIpc.dataframePart(root);
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
  List<Source> resolve(io.rrdflight.server.redap.proto.DataSource source) {
    if (source.getTyp() != DataSourceKind.DATA_SOURCE_KIND_RRD && source.getTyp() != DataSourceKind.DATA_SOURCE_KIND_UNSPECIFIED) {
      throw CatalogStatus.invalidArgument("Only .rrd data sources can be registered, got kind " + source.getTypValue()
          + " for '" + source.getStorageUrl() + "'");
    }
    if (!source.hasStorageUrl() || source.getStorageUrl().isBlank()) {
      throw CatalogStatus.invalidArgument("A data source has no storage_url; give a file:///absolute/path.rrd URL");
    }
    String url = source.getStorageUrl();
    String layer = source.hasLayer() && !source.getLayer().isBlank() ? source.getLayer() : LAYER_DEFAULT;
    Path path = DataSource.of(url, layer).localPath();
    if (source.getPrefix()) {
      // Walked in the background by the catalog; checked now so a bad prefix fails the call.
      catalog.requireRegistrablePrefix(path);
      return List.of(new Source(url, path, layer, List.of(), true));
    }
    // Allowed roots, regular file, readable: checked before the probe opens it.
    Path file = catalog.requireRegistrable(path);
    return List.of(probed(url, file, layer));
  }

  private Source probed(String url, Path file, String layer) {
    List<String> ids;
    try {
      ids = probe.recordingIds(file);
    } catch (IOException e) {
      throw CatalogStatus.invalidArgument("Cannot register " + file + ": " + e.getMessage());
    }
    if (ids.isEmpty()) {
      throw CatalogStatus.invalidArgument("Cannot register " + file + ": it holds no recording (only blueprints, or nothing)");
    }
    // Rerun answers a file's partitions in id order; register() reports the last one.
    return new Source(url, file, layer, ids.stream().distinct().sorted().toList(), false);
  }

  private void rejectDuplicates(Dataset dataset, List<Source> sources) {
    Map<String, String> taken = new HashMap<>();
    for (Partition p : catalog.partitions(dataset.id())) {
      taken.put(p.partitionId() + "\u0000" + p.layer(), p.file().path().toString());
    }
    for (Source s : sources) {
      for (String id : s.recordingIds()) {
        String previous = taken.putIfAbsent(id + "\u0000" + s.layer(), s.file().toString());
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
