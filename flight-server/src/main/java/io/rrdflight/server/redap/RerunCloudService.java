package io.rrdflight.server.redap;

import static java.util.Objects.requireNonNull;

import io.grpc.stub.StreamObserver;
import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.EntryId;
import io.rrdflight.catalog.Task;
import io.rrdflight.rrd.proto.BuildInfo;
import io.rrdflight.rrd.proto.SemanticVersion;
import io.rrdflight.rrd.proto.TaskId;
import io.rrdflight.server.redap.proto.CreateDatasetEntryRequest;
import io.rrdflight.server.redap.proto.CreateDatasetEntryResponse;
import io.rrdflight.server.redap.proto.DeleteEntryRequest;
import io.rrdflight.server.redap.proto.DeleteEntryResponse;
import io.rrdflight.server.redap.proto.FetchChunksRequest;
import io.rrdflight.server.redap.proto.FetchChunksResponse;
import io.rrdflight.server.redap.proto.FindEntriesRequest;
import io.rrdflight.server.redap.proto.GetDatasetManifestSchemaRequest;
import io.rrdflight.server.redap.proto.GetDatasetManifestSchemaResponse;
import io.rrdflight.server.redap.proto.GetDatasetSchemaRequest;
import io.rrdflight.server.redap.proto.GetDatasetSchemaResponse;
import io.rrdflight.server.redap.proto.QueryDatasetRequest;
import io.rrdflight.server.redap.proto.QueryDatasetResponse;
import io.rrdflight.server.redap.proto.FindEntriesResponse;
import io.rrdflight.server.redap.proto.GetPartitionTableSchemaRequest;
import io.rrdflight.server.redap.proto.GetPartitionTableSchemaResponse;
import io.rrdflight.server.redap.proto.GetTableSchemaRequest;
import io.rrdflight.server.redap.proto.GetTableSchemaResponse;
import io.rrdflight.server.redap.proto.QueryTasksOnCompletionRequest;
import io.rrdflight.server.redap.proto.QueryTasksOnCompletionResponse;
import io.rrdflight.server.redap.proto.QueryTasksRequest;
import io.rrdflight.server.redap.proto.QueryTasksResponse;
import io.rrdflight.server.redap.proto.ReadDatasetEntryRequest;
import io.rrdflight.server.redap.proto.ReadDatasetEntryResponse;
import io.rrdflight.server.redap.proto.ReadTableEntryRequest;
import io.rrdflight.server.redap.proto.ReadTableEntryResponse;
import io.rrdflight.server.redap.proto.RegisterWithDatasetRequest;
import io.rrdflight.server.redap.proto.RegisterWithDatasetResponse;
import io.rrdflight.server.redap.proto.RerunCloudServiceGrpc;
import io.rrdflight.server.redap.proto.ScanDatasetManifestRequest;
import io.rrdflight.server.redap.proto.ScanDatasetManifestResponse;
import io.rrdflight.server.redap.proto.ScanPartitionTableRequest;
import io.rrdflight.server.redap.proto.ScanPartitionTableResponse;
import io.rrdflight.server.redap.proto.ScanTableRequest;
import io.rrdflight.server.redap.proto.ScanTableResponse;
import io.rrdflight.server.redap.proto.UpdateDatasetEntryRequest;
import io.rrdflight.server.redap.proto.UpdateDatasetEntryResponse;
import io.rrdflight.server.redap.proto.UpdateEntryRequest;
import io.rrdflight.server.redap.proto.UpdateEntryResponse;
import io.rrdflight.server.redap.proto.VersionRequest;
import io.rrdflight.server.redap.proto.VersionResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Rerun's catalog service on rrdflight's port: a thin dispatcher. Each call names the answer it
 * builds; the catalog holds the state, and failures become the statuses of {@link CatalogStatus}.
 * Methods not overridden here answer UNIMPLEMENTED.
 */
public final class RerunCloudService extends RerunCloudServiceGrpc.RerunCloudServiceImplBase implements AutoCloseable {
  private final Catalog catalog;
  private final BufferAllocator allocator;
  private final ArrowIpc ipc;
  private final Entries entries;
  private final Registration registration;
  private final TaskCompletion taskCompletion;
  private final DatasetQuery datasetQuery;
  private final ChunkFetch chunkFetch;
  private final String version;

  /**
   * @param allocator owned by the service from now on (a child of the server's), closed with it
   * @param executor runs waits and streams off the gRPC threads; owned by the caller
   */
  public RerunCloudService(Catalog catalog, BufferAllocator allocator, ExecutorService executor, String version) {
    this(catalog, allocator, executor, new RrdRecordingProbe(), ChunkFetch.TARGET_MESSAGE_BYTES, version);
  }

  RerunCloudService(Catalog catalog, BufferAllocator allocator, ExecutorService executor, RecordingProbe probe, int fetchMessageBytes,
      String version) {
    this.catalog = requireNonNull(catalog, "catalog is null");
    this.allocator = requireNonNull(allocator, "allocator is null");
    requireNonNull(executor, "executor is null");
    this.version = requireNonNull(version, "version is null");
    this.ipc = new ArrowIpc(allocator);
    this.entries = new Entries(catalog);
    this.registration = new Registration(catalog, probe);
    this.taskCompletion = new TaskCompletion(catalog, executor, allocator);
    this.datasetQuery = new DatasetQuery(catalog, executor, allocator);
    this.chunkFetch = new ChunkFetch(catalog, ipc, executor, fetchMessageBytes);
  }

  // --- version -----------------------------------------------------------------------------------

  @Override
  public void version(VersionRequest request, StreamObserver<VersionResponse> observer) {
    unary("Version", observer, () -> VersionResponse.newBuilder().setBuildInfo(buildInfo(version)).build());
  }

  static BuildInfo buildInfo(String version) {
    BuildInfo.Builder info = BuildInfo.newBuilder().setCrateName("rrdflight");
    Matcher m = Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+).*").matcher(version);
    if (m.matches()) {
      info.setVersion(SemanticVersion.newBuilder()
          .setMajor(Integer.parseInt(m.group(1))).setMinor(Integer.parseInt(m.group(2))).setPatch(Integer.parseInt(m.group(3))));
    }
    return info.build();
  }

  // --- entries -----------------------------------------------------------------------------------

  @Override
  public void findEntries(FindEntriesRequest request, StreamObserver<FindEntriesResponse> observer) {
    unary("FindEntries", observer, () -> FindEntriesResponse.newBuilder().addAllEntries(entries.find(request.getFilter())).build());
  }

  @Override
  public void createDatasetEntry(CreateDatasetEntryRequest request, StreamObserver<CreateDatasetEntryResponse> observer) {
    unary("CreateDatasetEntry", observer, () -> {
      if (request.hasId()) {
        throw CatalogStatus.invalidArgument("rrdflight chooses dataset ids itself; leave the id of CreateDatasetEntry unset");
      }
      if (!request.hasName() || request.getName().isBlank()) {
        throw CatalogStatus.invalidArgument("A dataset needs a name");
      }
      if (entries.all().stream().anyMatch(e -> e.name().equals(request.getName()))) {
        throw io.rrdflight.catalog.CatalogException.alreadyExists("An entry named '" + request.getName() + "' already exists");
      }
      // With its companion blueprint dataset, as Rerun's CreateDatasetEntry makes it.
      Dataset created = catalog.createDatasetWithBlueprintDataset(request.getName());
      return CreateDatasetEntryResponse.newBuilder().setDataset(Entries.datasetEntry(created)).build();
    });
  }

  @Override
  public void readDatasetEntry(ReadDatasetEntryRequest request, StreamObserver<ReadDatasetEntryResponse> observer) {
    unary("ReadDatasetEntry", observer,
        () -> ReadDatasetEntryResponse.newBuilder().setDataset(Entries.datasetEntry(entries.requestedDataset())).build());
  }

  @Override
  public void updateDatasetEntry(UpdateDatasetEntryRequest request, StreamObserver<UpdateDatasetEntryResponse> observer) {
    unary("UpdateDatasetEntry", observer, () -> UpdateDatasetEntryResponse.newBuilder()
        .setDataset(Entries.datasetEntry(DatasetDetailsUpdate.apply(catalog, request)))
        .build());
  }

  @Override
  public void deleteEntry(DeleteEntryRequest request, StreamObserver<DeleteEntryResponse> observer) {
    unary("DeleteEntry", observer, () -> {
      EntryId id = requiredId(request.hasId(), request.getId(), "DeleteEntry");
      if (id.equals(Entries.ENTRIES_TABLE_ID)) {
        throw CatalogStatus.invalidArgument("The system table " + Entries.ENTRIES_TABLE_NAME + " cannot be deleted");
      }
      catalog.deleteDataset(id);
      return DeleteEntryResponse.getDefaultInstance();
    });
  }

  @Override
  public void updateEntry(UpdateEntryRequest request, StreamObserver<UpdateEntryResponse> observer) {
    unary("UpdateEntry", observer, () -> {
      EntryId id = requiredId(request.hasId(), request.getId(), "UpdateEntry");
      if (id.equals(Entries.ENTRIES_TABLE_ID)) {
        throw CatalogStatus.invalidArgument("The system table " + Entries.ENTRIES_TABLE_NAME + " cannot be changed");
      }
      catalog.dataset(id);
      if (request.getEntryDetailsUpdate().hasName()) {
        catalog.renameDataset(id, request.getEntryDetailsUpdate().getName());
      }
      return UpdateEntryResponse.newBuilder().setEntryDetails(entries.entry(id).details()).build();
    });
  }

  // --- the __entries system table ------------------------------------------------------------------

  @Override
  public void readTableEntry(ReadTableEntryRequest request, StreamObserver<ReadTableEntryResponse> observer) {
    unary("ReadTableEntry", observer, () -> {
      requireEntriesTable(requiredId(request.hasId(), request.getId(), "ReadTableEntry"));
      return ReadTableEntryResponse.newBuilder().setTable(Entries.entriesTableEntry()).build();
    });
  }

  @Override
  public void getTableSchema(GetTableSchemaRequest request, StreamObserver<GetTableSchemaResponse> observer) {
    unary("GetTableSchema", observer, () -> {
      requireEntriesTable(requiredId(request.hasTableId(), request.getTableId(), "GetTableSchema"));
      return GetTableSchemaResponse.newBuilder().setSchema(ipc.schema(EntriesTable.SCHEMA)).build();
    });
  }

  @Override
  public void scanTable(ScanTableRequest request, StreamObserver<ScanTableResponse> observer) {
    unary("ScanTable", observer, () -> {
      requireEntriesTable(requiredId(request.hasTableId(), request.getTableId(), "ScanTable"));
      return ScanTableResponse.newBuilder().setDataframePart(EntriesTable.batch(entries.all(), allocator)).build();
    });
  }

  private void requireEntriesTable(EntryId id) {
    Entries.Entry entry = entries.entry(id);
    if (!entry.equals(Entries.ENTRIES_TABLE)) {
      throw CatalogStatus.notFound("Entry " + id.toHex() + " is the dataset '" + entry.name() + "', not a table");
    }
  }

  private static EntryId requiredId(boolean present, io.rrdflight.rrd.proto.EntryId id, String call) {
    if (!present) {
      throw CatalogStatus.invalidArgument(call + " needs the entry's id");
    }
    return ProtoValues.fromProto(id);
  }

  // --- registration and tasks --------------------------------------------------------------------

  @Override
  public void registerWithDataset(RegisterWithDatasetRequest request, StreamObserver<RegisterWithDatasetResponse> observer) {
    unary("RegisterWithDataset", observer, () -> RegisterWithDatasetResponse.newBuilder()
        .setData(registration.register(entries.requestedDataset(), request, allocator))
        .build());
  }

  @Override
  public void queryTasks(QueryTasksRequest request, StreamObserver<QueryTasksResponse> observer) {
    unary("QueryTasks", observer, () -> {
      List<Task> tasks = request.getIdsList().stream().map(TaskId::getId).distinct().map(catalog::task).toList();
      return QueryTasksResponse.newBuilder().setData(TaskTable.batch(tasks, allocator)).build();
    });
  }

  @Override
  public void queryTasksOnCompletion(QueryTasksOnCompletionRequest request, StreamObserver<QueryTasksOnCompletionResponse> observer) {
    try {
      Duration timeout = Duration.ofSeconds(request.getTimeout().getSeconds(), request.getTimeout().getNanos());
      taskCompletion.await(request.getIdsList().stream().map(TaskId::getId).toList(), timeout, observer);
    } catch (RuntimeException e) {
      observer.onError(CatalogStatus.of(e, "QueryTasksOnCompletion"));
    }
  }

  // --- partition table ---------------------------------------------------------------------------

  @Override
  public void getPartitionTableSchema(GetPartitionTableSchemaRequest request, StreamObserver<GetPartitionTableSchemaResponse> observer) {
    unary("GetPartitionTableSchema", observer, () -> {
      Dataset dataset = entries.requestedDataset();
      List<PartitionProperties.Column> properties = PartitionProperties.columns(catalog.datasetSchema(dataset.id()));
      return GetPartitionTableSchemaResponse.newBuilder().setSchema(ipc.schema(PartitionTable.schema(properties))).build();
    });
  }

  @Override
  public void scanPartitionTable(ScanPartitionTableRequest request, StreamObserver<ScanPartitionTableResponse> observer) {
    unary("ScanPartitionTable", observer, () -> {
      Dataset dataset = entries.requestedDataset();
      List<PartitionProperties.Column> propertyColumns = PartitionProperties.columns(catalog.datasetSchema(dataset.id()));
      List<String> columns = PartitionTable.projection(PartitionTable.schema(propertyColumns), request.getColumnsList());
      List<PartitionTable.Row> rows = PartitionTable.rows(catalog.partitions(dataset.id()));
      // Properties cost chunk reads: only when a property column is asked for.
      List<PartitionProperties.Column> wanted = propertyColumns.stream().filter(c -> columns.contains(c.field().getName())).toList();
      try (PartitionProperties properties = PartitionProperties.read(catalog, rows, wanted, allocator)) {
        return ScanPartitionTableResponse.newBuilder().setData(PartitionTable.batch(rows, columns, properties, allocator)).build();
      }
    });
  }

  // --- dataset manifest ----------------------------------------------------------------------------

  @Override
  public void getDatasetManifestSchema(GetDatasetManifestSchemaRequest request, StreamObserver<GetDatasetManifestSchemaResponse> observer) {
    unary("GetDatasetManifestSchema", observer, () -> {
      Dataset dataset = entries.requestedDataset();
      List<PartitionProperties.Column> properties = PartitionProperties.columns(catalog.datasetSchema(dataset.id()));
      return GetDatasetManifestSchemaResponse.newBuilder().setSchema(ipc.schema(DatasetManifest.schema(properties))).build();
    });
  }

  @Override
  public void scanDatasetManifest(ScanDatasetManifestRequest request, StreamObserver<ScanDatasetManifestResponse> observer) {
    unary("ScanDatasetManifest", observer, () -> {
      Dataset dataset = entries.requestedDataset();
      List<PartitionProperties.Column> propertyColumns = PartitionProperties.columns(catalog.datasetSchema(dataset.id()));
      List<String> columns = PartitionTable.projection(DatasetManifest.schema(propertyColumns), request.getColumnsList());
      List<PartitionTable.Row> rows = DatasetManifest.rows(catalog.partitions(dataset.id()));
      List<PartitionProperties.Column> wanted = propertyColumns.stream().filter(c -> columns.contains(c.field().getName())).toList();
      try (PartitionProperties properties = PartitionProperties.read(catalog, rows, wanted, allocator)) {
        return ScanDatasetManifestResponse.newBuilder().setData(DatasetManifest.batch(catalog, rows, columns, properties, allocator)).build();
      }
    });
  }

  // --- dataset schema, queries and chunks ----------------------------------------------------------

  @Override
  public void getDatasetSchema(GetDatasetSchemaRequest request, StreamObserver<GetDatasetSchemaResponse> observer) {
    unary("GetDatasetSchema", observer,
        () -> GetDatasetSchemaResponse.newBuilder()
            .setSchema(ipc.schema(catalog.datasetSchema(entries.requestedDataset().id()).toArrow()))
            .build());
  }

  @Override
  public void queryDataset(QueryDatasetRequest request, StreamObserver<QueryDatasetResponse> observer) {
    try {
      datasetQuery.query(entries.requestedDataset(), request, observer);
    } catch (RuntimeException e) {
      observer.onError(CatalogStatus.of(e, "QueryDataset"));
    }
  }

  @Override
  public void fetchChunks(FetchChunksRequest request, StreamObserver<FetchChunksResponse> observer) {
    try {
      chunkFetch.fetch(request, observer);
    } catch (RuntimeException e) {
      observer.onError(CatalogStatus.of(e, "FetchChunks"));
    }
  }

  /** Chunks and bytes FetchChunks sent since start, and chunks QueryDataset answered out of how many. */
  public record Counters(long chunksSent, long bytesSent, long chunksSelected, long chunksConsidered) {}

  public Counters counters() {
    return new Counters(chunkFetch.chunksSent.sum(), chunkFetch.bytesSent.sum(), datasetQuery.chunksSelected.sum(),
        datasetQuery.chunksConsidered.sum());
  }

  // --- plumbing ----------------------------------------------------------------------------------

  /**
   * Answers a unary call, or a streaming call that sends one message, with whatever {@code answer}
   * returns; any failure becomes the call's status.
   */
  private static <T> void unary(String call, StreamObserver<T> observer, Supplier<T> answer) {
    T response;
    try {
      response = answer.get();
    } catch (RuntimeException e) {
      observer.onError(CatalogStatus.of(e, call));
      return;
    }
    observer.onNext(response);
    observer.onCompleted();
  }

  @Override
  public void close() {
    allocator.close();
  }
}
