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
import io.rrdflight.server.redap.proto.CreateTableEntryRequest;
import io.rrdflight.server.redap.proto.CreateTableEntryResponse;
import io.rrdflight.server.redap.proto.RegisterTableRequest;
import io.rrdflight.server.redap.proto.RegisterTableResponse;
import io.rrdflight.server.redap.proto.WriteTableRequest;
import io.rrdflight.server.redap.proto.WriteTableResponse;
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
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The 0.27 wire ("partitions") of Rerun's catalog service, for rerun-sdk 0.27.x: parses and answers
 * the 0.27 messages (src/main/proto) and calls the {@link RerunModel}; answers use
 * {@link Vocabulary#PARTITIONS}. Methods not overridden answer UNIMPLEMENTED (see {@link WireRouter}).
 */
final class PartitionsWire extends RerunCloudServiceGrpc.RerunCloudServiceImplBase {
  private final RerunModel model;
  private final Catalog catalog;
  private final BufferAllocator allocator;
  private final Entries entries;
  private static final Vocabulary WORDS = Vocabulary.PARTITIONS;

  PartitionsWire(RerunModel model) {
    this.model = requireNonNull(model, "model is null");
    this.catalog = model.catalog;
    this.allocator = model.allocator;
    this.entries = model.entries;
  }

  // --- version -----------------------------------------------------------------------------------

  @Override
  public void version(VersionRequest request, StreamObserver<VersionResponse> observer) {
    unary("Version", observer, () -> VersionResponse.newBuilder().setBuildInfo(buildInfo(model.version)).build());
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
      Dataset created = entries.createDataset(request.hasId(), request.hasName(), request.getName());
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
      entries.delete(requiredId(request.hasId(), request.getId(), "DeleteEntry"));
      return DeleteEntryResponse.getDefaultInstance();
    });
  }

  @Override
  public void updateEntry(UpdateEntryRequest request, StreamObserver<UpdateEntryResponse> observer) {
    unary("UpdateEntry", observer, () -> {
      EntryId id = requiredId(request.hasId(), request.getId(), "UpdateEntry");
      Optional<String> name = request.getEntryDetailsUpdate().hasName() ? Optional.of(request.getEntryDetailsUpdate().getName()) : Optional.empty();
      return UpdateEntryResponse.newBuilder().setEntryDetails(entries.update(id, name).details()).build();
    });
  }

  // --- tables: __entries and table entries (Lance) ---------------------------------------------------

  @Override
  public void readTableEntry(ReadTableEntryRequest request, StreamObserver<ReadTableEntryResponse> observer) {
    unary("ReadTableEntry", observer, () -> ReadTableEntryResponse.newBuilder()
        .setTable(entries.tableEntry(model.tableEntries.requested(request.hasId(), request.getId(), "ReadTableEntry")))
        .build());
  }

  @Override
  public void getTableSchema(GetTableSchemaRequest request, StreamObserver<GetTableSchemaResponse> observer) {
    unary("GetTableSchema", observer, () -> GetTableSchemaResponse.newBuilder()
        .setSchema(model.ipc.schema(model.tableEntries.schema(model.tableEntries.requested(request.hasTableId(), request.getTableId(), "GetTableSchema"), WORDS)))
        .build());
  }

  @Override
  public void scanTable(ScanTableRequest request, StreamObserver<ScanTableResponse> observer) {
    try {
      model.tableEntries.scan(model.tableEntries.requested(request.hasTableId(), request.getTableId(), "ScanTable"), WORDS, observer,
          part -> ScanTableResponse.newBuilder().setDataframePart(part).build());
    } catch (RuntimeException e) {
      observer.onError(CatalogStatus.of(e, "ScanTable"));
    }
  }

  @Override
  public void createTableEntry(CreateTableEntryRequest request, StreamObserver<CreateTableEntryResponse> observer) {
    unary("CreateTableEntry", observer, () -> CreateTableEntryResponse.newBuilder()
        .setTable(Entries.tableEntry(model.tableEntries.create(request.getName(),
            request.hasProviderDetails() ? Optional.of(request.getProviderDetails()) : Optional.empty(), request.getSchema())))
        .build());
  }

  @Override
  public void registerTable(RegisterTableRequest request, StreamObserver<RegisterTableResponse> observer) {
    unary("RegisterTable", observer, () -> RegisterTableResponse.newBuilder()
        .setTableEntry(Entries.tableEntry(model.tableEntries.register(request.getName(), request.getProviderDetails())))
        .build());
  }

  @Override
  public StreamObserver<WriteTableRequest> writeTable(StreamObserver<WriteTableResponse> observer) {
    return model.tableEntries.receiveWrite(observer, WriteTableResponse.getDefaultInstance(),
        (request, write) -> write.add(request.getDataframePart(), request.getInsertModeValue()));
  }

  static EntryId requiredId(boolean present, io.rrdflight.rrd.proto.EntryId id, String call) {
    if (!present) {
      throw CatalogStatus.invalidArgument(call + " needs the entry's id");
    }
    return ProtoValues.fromProto(id);
  }

  // --- registration and tasks --------------------------------------------------------------------

  @Override
  public void registerWithDataset(RegisterWithDatasetRequest request, StreamObserver<RegisterWithDatasetResponse> observer) {
    unary("RegisterWithDataset", observer, () -> RegisterWithDatasetResponse.newBuilder()
        .setData(model.registration.register(entries.requestedDataset(), request, WORDS, allocator))
        .build());
  }

  @Override
  public void queryTasks(QueryTasksRequest request, StreamObserver<QueryTasksResponse> observer) {
    unary("QueryTasks", observer, () -> {
      List<Task> tasks = request.getIdsList().stream().map(TaskId::getId).distinct().map(catalog::task).toList();
      return QueryTasksResponse.newBuilder().setData(TaskTable.batch(tasks, WORDS, allocator)).build();
    });
  }

  @Override
  public void queryTasksOnCompletion(QueryTasksOnCompletionRequest request, StreamObserver<QueryTasksOnCompletionResponse> observer) {
    try {
      Duration timeout = Duration.ofSeconds(request.getTimeout().getSeconds(), request.getTimeout().getNanos());
      model.taskCompletion.await(request.getIdsList().stream().map(TaskId::getId).toList(), timeout, WORDS, observer,
          part -> QueryTasksOnCompletionResponse.newBuilder().setData(part).build());
    } catch (RuntimeException e) {
      observer.onError(CatalogStatus.of(e, "QueryTasksOnCompletion"));
    }
  }

  // --- partition table ---------------------------------------------------------------------------

  @Override
  public void getPartitionTableSchema(GetPartitionTableSchemaRequest request, StreamObserver<GetPartitionTableSchemaResponse> observer) {
    unary("GetPartitionTableSchema", observer, () -> GetPartitionTableSchemaResponse.newBuilder()
        .setSchema(model.ipc.schema(model.tables.segmentTableSchema(entries.requestedDataset(), WORDS)))
        .build());
  }

  @Override
  public void scanPartitionTable(ScanPartitionTableRequest request, StreamObserver<ScanPartitionTableResponse> observer) {
    unary("ScanPartitionTable", observer, () -> ScanPartitionTableResponse.newBuilder()
        .setData(model.tables.segmentTable(entries.requestedDataset(), request.getColumnsList(), DatasetTables.SegmentFilter.ALL, WORDS))
        .build());
  }

  // --- dataset manifest ----------------------------------------------------------------------------

  @Override
  public void getDatasetManifestSchema(GetDatasetManifestSchemaRequest request, StreamObserver<GetDatasetManifestSchemaResponse> observer) {
    unary("GetDatasetManifestSchema", observer, () -> GetDatasetManifestSchemaResponse.newBuilder()
        .setSchema(model.ipc.schema(model.tables.manifestSchema(entries.requestedDataset(), WORDS)))
        .build());
  }

  @Override
  public void scanDatasetManifest(ScanDatasetManifestRequest request, StreamObserver<ScanDatasetManifestResponse> observer) {
    unary("ScanDatasetManifest", observer, () -> ScanDatasetManifestResponse.newBuilder()
        .setData(model.tables.manifest(entries.requestedDataset(), request.getColumnsList(), DatasetTables.SegmentFilter.ALL, WORDS))
        .build());
  }

  // --- dataset schema, queries and chunks ----------------------------------------------------------

  @Override
  public void getDatasetSchema(GetDatasetSchemaRequest request, StreamObserver<GetDatasetSchemaResponse> observer) {
    unary("GetDatasetSchema", observer,
        () -> GetDatasetSchemaResponse.newBuilder()
            .setSchema(model.ipc.schema(catalog.datasetSchema(entries.requestedDataset().id()).toArrow()))
            .build());
  }

  @Override
  public void queryDataset(QueryDatasetRequest request, StreamObserver<QueryDatasetResponse> observer) {
    try {
      model.datasetQuery.query(entries.requestedDataset(), DatasetQuery.planRequest(request), WORDS, observer,
          part -> QueryDatasetResponse.newBuilder().setData(part).build(), "QueryDataset");
    } catch (RuntimeException e) {
      observer.onError(CatalogStatus.of(e, "QueryDataset"));
    }
  }

  @Override
  public void fetchChunks(FetchChunksRequest request, StreamObserver<FetchChunksResponse> observer) {
    try {
      model.chunkFetch.fetch(request.getChunkInfosList(), observer, chunks -> FetchChunksResponse.newBuilder().addAllChunks(chunks).build());
    } catch (RuntimeException e) {
      observer.onError(CatalogStatus.of(e, "FetchChunks"));
    }
  }

  // --- plumbing ----------------------------------------------------------------------------------

  /**
   * Answers a unary call, or a streaming call that sends one message, with whatever {@code answer}
   * returns; any failure becomes the call's status.
   */
  static <T> void unary(String call, StreamObserver<T> observer, Supplier<T> answer) {
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
}
