package io.rrdflight.server.redap;

import static io.rrdflight.server.redap.PartitionsWire.requiredId;
import static io.rrdflight.server.redap.PartitionsWire.unary;
import static java.util.Objects.requireNonNull;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.EntryId;
import io.rrdflight.catalog.Table;
import io.rrdflight.catalog.Task;
import io.rrdflight.rrd.proto.DatasetKind;
import io.rrdflight.rrd.proto.PartitionId;
import io.rrdflight.rrd.proto.SegmentId;
import io.rrdflight.rrd.proto.TaskId;
import io.rrdflight.server.auth.Caller;
// The generated 0.28+ messages; the 0.27 ones they are translated to are named in full.
import io.rrdflight.server.redap.wire.segments.*;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The 0.28+ wire ("segments") of Rerun's catalog service, for rerun-sdk 0.28 to 0.41: parses the
 * 0.28+ messages (src/main/proto-v0_28plus), calls the {@link RerunModel}, and answers in the
 * client's {@link Vocabulary} (segment column names; LZ4-compressed parts for 0.29+).
 *
 * <p>Where a message has the same layout in both generations, it is carried over by its bytes
 * ({@link #carried}); the differences are translated by hand: renumbered fields (segment ids,
 * column lists, the default blueprint), new filters, and the calls 0.27 did not have — WhoAmI,
 * FindChunks (what the 0.41 reader uses instead of QueryDataset), UnregisterFromDataset, CancelTasks.
 */
final class SegmentsWire extends RerunCloudServiceGrpc.RerunCloudServiceImplBase {
  /**
   * The task id of work that finished within the call that started it (unregistering): waiting on
   * it answers success at once, as with Rerun's server.
   */
  static final String DONE_TASK_ID = "task_00000000DEADBEEF";
  /** How long CancelTasks waits for the tasks it names to finish. */
  static final Duration CANCEL_WAIT = Duration.ofSeconds(60);
  /** How long QueryTasksOnCompletion waits when the client gives no timeout (0.41's wait() gives none). */
  static final Duration DEFAULT_TASK_WAIT = Duration.ofHours(1);
  /** WhoAmI capabilities: writers may register files; readers may ask FindChunks (0.41 reads through it). */
  static final String REGISTER_FILES = "catalog:write:register:file";
  static final String FIND_CHUNKS = "dataset:find_chunks";

  /** Version feature: QueryDataset plans latest-at per segment index values (using_index_values). */
  static final String PER_SEGMENT_INDEX_VALUES = "per_segment_index_values";

  private final RerunModel model;
  private final Entries entries;

  SegmentsWire(RerunModel model) {
    this.model = requireNonNull(model, "model is null");
    this.entries = model.entries;
  }

  private static Vocabulary words() {
    return Vocabulary.current();
  }

  /** A message whose layout the two generations share, re-read as the other generation's type. */
  static <T> T carried(MessageLite message, Parser<T> parser) {
    try {
      return parser.parseFrom(message.toByteString());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("the two vocabularies disagree on a shared message: " + e.getMessage(), e);
    }
  }

  // --- who and what ----------------------------------------------------------------------------------

  @Override
  public void version(VersionRequest request, StreamObserver<VersionResponse> observer) {
    unary("Version", observer, () -> VersionResponse.newBuilder()
        .setBuildInfo(PartitionsWire.buildInfo(model.version))
        .setVersion(model.version)
        .addFeatures(PER_SEGMENT_INDEX_VALUES)
        .build());
  }

  /** WhoAmI: what the auth layer established for this call (everything, without {@code --auth}). */
  @Override
  public void whoAmI(WhoAmIRequest request, StreamObserver<WhoAmIResponse> observer) {
    unary("WhoAmI", observer, () -> {
      Caller caller = Caller.current();
      ServerCapabilities.Builder capabilities = ServerCapabilities.newBuilder();
      if (caller.canWrite()) {
        capabilities.addCapabilities(REGISTER_FILES);
      }
      if (caller.canRead()) {
        capabilities.addCapabilities(FIND_CHUNKS);
      }
      WhoAmIResponse.Builder answer = WhoAmIResponse.newBuilder()
          .setCanRead(caller.canRead())
          .setCanWrite(caller.canWrite())
          .setCapabilities(capabilities);
      if (!caller.credential().equals(Caller.ANONYMOUS.credential())) {
        answer.setUserId(caller.name());
      }
      return answer.build();
    });
  }

  // --- entries -----------------------------------------------------------------------------------------

  /**
   * FindEntries; 0.28+ listings name several kinds at once ({@code entry_kinds}): the answer is the
   * union of the single-kind lookups, where a kind that finds nothing adds nothing.
   */
  @Override
  public void findEntries(FindEntriesRequest request, StreamObserver<FindEntriesResponse> observer) {
    unary("FindEntries", observer, () -> {
      EntryFilter filter = request.getFilter();
      io.rrdflight.server.redap.proto.EntryFilter base = carried(filter.toBuilder().clearEntryKinds().build(),
          io.rrdflight.server.redap.proto.EntryFilter.parser());
      List<io.rrdflight.server.redap.proto.EntryDetails> found = new ArrayList<>();
      if (filter.getEntryKindsCount() == 0) {
        found.addAll(entries.find(base));
      } else {
        Map<String, io.rrdflight.server.redap.proto.EntryDetails> union = new LinkedHashMap<>();
        for (EntryKind kind : new LinkedHashSet<>(filter.getEntryKindsList())) {
          if (kind == EntryKind.ENTRY_KIND_DATASET_VIEW || kind == EntryKind.ENTRY_KIND_TABLE_VIEW || kind == EntryKind.UNRECOGNIZED) {
            continue; // rrdflight keeps no views; the 0.41 viewer lists every kind
          }
          try {
            entries.find(base.toBuilder().setEntryKindValue(kind.getNumber()).build())
                .forEach(d -> union.putIfAbsent(d.getId().toString(), d));
          } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
              throw e;
            }
          }
        }
        found.addAll(union.values());
      }
      FindEntriesResponse.Builder answer = FindEntriesResponse.newBuilder();
      found.forEach(d -> answer.addEntries(carried(d, EntryDetails.parser())));
      return answer.build();
    });
  }

  @Override
  public void createDatasetEntry(CreateDatasetEntryRequest request, StreamObserver<CreateDatasetEntryResponse> observer) {
    unary("CreateDatasetEntry", observer, () -> CreateDatasetEntryResponse.newBuilder()
        .setDataset(datasetEntry(entries.createDataset(request.hasId(), request.hasName(), request.getName())))
        .build());
  }

  @Override
  public void readDatasetEntry(ReadDatasetEntryRequest request, StreamObserver<ReadDatasetEntryResponse> observer) {
    unary("ReadDatasetEntry", observer, () -> ReadDatasetEntryResponse.newBuilder().setDataset(datasetEntry(entries.requestedDataset())).build());
  }

  /**
   * A dataset's entry in 0.28+ form: its handle says what it holds ({@code dataset_kind}); the default
   * blueprint is a segment id at field 5 (0.27: a partition id at 4); a recording dataset names its
   * asset dataset (field 7) to clients that know asset datasets.
   */
  private DatasetEntry datasetEntry(Dataset dataset) {
    io.rrdflight.server.redap.proto.DatasetEntry partitionsForm = Entries.datasetEntry(dataset);
    DatasetDetails.Builder details = DatasetDetails.newBuilder();
    dataset.blueprintDataset().ifPresent(b -> details.setBlueprintDataset(ProtoValues.toProto(b)));
    dataset.defaultBlueprint().ifPresent(p -> details.setDefaultBlueprintSegment(SegmentId.newBuilder().setId(p)));
    if (ClientVersion.current().knowsAssetDatasets()) {
      model.catalog.assetDataset(dataset.id()).ifPresent(a -> details.setAssetDataset(ProtoValues.toProto(a.id())));
    }
    DatasetKind kind = switch (dataset.kind()) {
      case RECORDING -> DatasetKind.DATASET_KIND_RECORDING;
      case BLUEPRINT -> DatasetKind.DATASET_KIND_BLUEPRINT;
      case ASSET -> DatasetKind.DATASET_KIND_ASSET;
    };
    return DatasetEntry.newBuilder()
        .setDetails(carried(partitionsForm.getDetails(), EntryDetails.parser()))
        .setDatasetHandle(partitionsForm.getDatasetHandle().toBuilder().setDatasetKind(kind))
        .setDatasetDetails(details)
        .build();
  }

  /**
   * UpdateDatasetEntry: the dataset by the body's id or the x-rerun-entry-id header; the default
   * blueprint at field 5; the asset dataset at 7 ({@link DatasetDetailsUpdate#checkAssetDataset}).
   */
  @Override
  public void updateDatasetEntry(UpdateDatasetEntryRequest request, StreamObserver<UpdateDatasetEntryResponse> observer) {
    unary("UpdateDatasetEntry", observer, () -> {
      EntryId id = request.hasId() ? ProtoValues.fromProto(request.getId()) : entries.requestedDataset().id();
      DatasetDetails details = request.getDatasetDetails();
      Optional<EntryId> blueprintDataset = details.hasBlueprintDataset()
          ? Optional.of(ProtoValues.fromProto(details.getBlueprintDataset())) : Optional.empty();
      Optional<String> defaultBlueprint = details.hasDefaultBlueprintSegment() && details.getDefaultBlueprintSegment().hasId()
          ? Optional.of(details.getDefaultBlueprintSegment().getId()) : Optional.empty();
      Optional<EntryId> assetDataset = details.hasAssetDataset()
          ? Optional.of(ProtoValues.fromProto(details.getAssetDataset())) : Optional.empty();
      DatasetDetailsUpdate.checkAssetDataset(model.catalog, id, assetDataset);
      DatasetDetailsUpdate.apply(model.catalog, id, blueprintDataset, defaultBlueprint);
      // As rerun server 0.41: an update gives a recording dataset without one (made before asset datasets) its asset dataset.
      Dataset updated = model.catalog.ensureCompanions(id);
      return UpdateDatasetEntryResponse.newBuilder().setDataset(datasetEntry(updated)).build();
    });
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
      return UpdateEntryResponse.newBuilder().setEntryDetails(carried(entries.update(id, name).details(), EntryDetails.parser())).build();
    });
  }

  // --- tables: __entries and table entries (Lance) -------------------------------------------------------

  /**
   * A table entry in this vocabulary: the 0.27 form plus TableDetails, its blueprint dataset and
   * default blueprint (each when set).
   */
  private static TableEntry tableEntry(Table table) {
    TableDetails.Builder details = TableDetails.newBuilder();
    table.blueprintDataset().ifPresent(b -> details.setBlueprintDataset(ProtoValues.toProto(b)));
    table.defaultBlueprint().ifPresent(p -> details.setDefaultBlueprintSegment(SegmentId.newBuilder().setId(p)));
    return carried(Entries.tableEntry(table), TableEntry.parser()).toBuilder().setTableDetails(details).build();
  }

  /** The system table's or a table entry's; the system table's TableDetails are empty. */
  private TableEntry tableEntry(EntryId id) {
    return entries.table(id).map(SegmentsWire::tableEntry).orElseGet(() -> carried(Entries.entriesTableEntry(), TableEntry.parser())
        .toBuilder().setTableDetails(TableDetails.getDefaultInstance()).build());
  }

  @Override
  public void readTableEntry(ReadTableEntryRequest request, StreamObserver<ReadTableEntryResponse> observer) {
    unary("ReadTableEntry", observer, () -> ReadTableEntryResponse.newBuilder()
        .setTable(tableEntry(model.tableEntries.requested(request.hasId(), request.getId(), "ReadTableEntry")))
        .build());
  }

  /** UpdateTableEntry: a table's default blueprint ({@link TableDetailsUpdate}). */
  @Override
  public void updateTableEntry(UpdateTableEntryRequest request, StreamObserver<UpdateTableEntryResponse> observer) {
    unary("UpdateTableEntry", observer, () -> UpdateTableEntryResponse.newBuilder()
        .setTable(tableEntry(TableDetailsUpdate.apply(model.catalog,
            model.tableEntries.requested(request.hasId(), request.getId(), "UpdateTableEntry"), request.getTableDetails())))
        .build());
  }

  @Override
  public void getTableSchema(GetTableSchemaRequest request, StreamObserver<GetTableSchemaResponse> observer) {
    unary("GetTableSchema", observer, () -> GetTableSchemaResponse.newBuilder()
        .setSchema(model.ipc.schema(model.tableEntries.schema(model.tableEntries.requested(request.hasTableId(), request.getTableId(), "GetTableSchema"), words())))
        .build());
  }

  @Override
  public void scanTable(ScanTableRequest request, StreamObserver<ScanTableResponse> observer) {
    try {
      model.tableEntries.scan(model.tableEntries.requested(request.hasTableId(), request.getTableId(), "ScanTable"), words(), observer,
          part -> ScanTableResponse.newBuilder().setDataframePart(part).build());
    } catch (RuntimeException e) {
      observer.onError(CatalogStatus.of(e, "ScanTable"));
    }
  }

  @Override
  public void createTableEntry(CreateTableEntryRequest request, StreamObserver<CreateTableEntryResponse> observer) {
    unary("CreateTableEntry", observer, () -> CreateTableEntryResponse.newBuilder()
        .setTable(tableEntry(model.tableEntries.create(request.getName(),
            request.hasProviderDetails() ? Optional.of(request.getProviderDetails()) : Optional.empty(), request.getSchema())))
        .build());
  }

  @Override
  public void registerTable(RegisterTableRequest request, StreamObserver<RegisterTableResponse> observer) {
    unary("RegisterTable", observer, () -> RegisterTableResponse.newBuilder()
        .setTableEntry(tableEntry(model.tableEntries.register(request.getName(), request.getProviderDetails())))
        .build());
  }

  @Override
  public StreamObserver<WriteTableRequest> writeTable(StreamObserver<WriteTableResponse> observer) {
    return model.tableEntries.receiveWrite(observer, WriteTableResponse.getDefaultInstance(),
        (request, write) -> write.add(request.getDataframePart(), request.getInsertModeValue()));
  }

  // --- registration and tasks ----------------------------------------------------------------------------

  @Override
  public void registerWithDataset(RegisterWithDatasetRequest request, StreamObserver<RegisterWithDatasetResponse> observer) {
    unary("RegisterWithDataset", observer, () -> {
      for (DataSource source : request.getDataSourcesList()) {
        if (source.hasObjectStoreConfig() && !source.getObjectStoreConfig().isBlank()) {
          // The server reads objects with its own settings only: a client-chosen endpoint and keys
          // would let any caller make the server send signed requests wherever it likes.
          throw CatalogStatus.invalidArgument("rrdflight reads object storage with its own settings (--s3-endpoint, the AWS"
              + " environment or profile of the server), not a client's object_store_config; register '" + source.getStorageUrl()
              + "' without one");
        }
      }
      io.rrdflight.server.redap.proto.RegisterWithDatasetRequest partitionsForm =
          carried(request, io.rrdflight.server.redap.proto.RegisterWithDatasetRequest.parser());
      return RegisterWithDatasetResponse.newBuilder()
          .setData(model.registration.register(entries.requestedDataset(), partitionsForm, words(), model.allocator))
          .build();
    });
  }

  @Override
  public void queryTasks(QueryTasksRequest request, StreamObserver<QueryTasksResponse> observer) {
    unary("QueryTasks", observer, () -> QueryTasksResponse.newBuilder()
        .setData(TaskTable.batch(tasks(request.getIdsList()), words(), model.allocator))
        .build());
  }

  @Override
  public void queryTasksOnCompletion(QueryTasksOnCompletionRequest request, StreamObserver<QueryTasksOnCompletionResponse> observer) {
    try {
      Duration timeout = request.hasTimeout()
          ? Duration.ofSeconds(request.getTimeout().getSeconds(), request.getTimeout().getNanos())
          : DEFAULT_TASK_WAIT;
      List<String> ids = request.getIdsList().stream().map(TaskId::getId).distinct().toList();
      if (ids.stream().allMatch(DONE_TASK_ID::equals)) {
        observer.onNext(QueryTasksOnCompletionResponse.newBuilder().setData(TaskTable.batch(tasks(request.getIdsList()), words(), model.allocator)).build());
        observer.onCompleted();
        return;
      }
      model.taskCompletion.await(ids.stream().filter(id -> !id.equals(DONE_TASK_ID)).toList(), timeout, words(), observer,
          part -> QueryTasksOnCompletionResponse.newBuilder().setData(part).build());
    } catch (RuntimeException e) {
      observer.onError(CatalogStatus.of(e, "QueryTasksOnCompletion"));
    }
  }

  private List<Task> tasks(List<TaskId> ids) {
    return ids.stream().map(TaskId::getId).distinct()
        .map(id -> id.equals(DONE_TASK_ID) ? TaskTable.done(id) : model.catalog.task(id))
        .toList();
  }

  /**
   * Registrations are short and are not stopped half-way (a file's partitions commit whole): cancelling
   * waits for the named tasks to finish and changes nothing, so afterwards the catalog holds what they
   * registered — as with Rerun's server, which registers before it answers.
   */
  @Override
  public void cancelTasks(CancelTasksRequest request, StreamObserver<CancelTasksResponse> observer) {
    unary("CancelTasks", observer, () -> {
      List<String> ids = tasks(request.getIdsList()).stream().map(Task::id).filter(id -> !id.equals(DONE_TASK_ID)).toList();
      model.catalog.awaitFinished(ids, CANCEL_WAIT);
      return CancelTasksResponse.getDefaultInstance();
    });
  }

  /**
   * UnregisterFromDataset: drops segments (every layer, or only the named layers) at once; the
   * answer is an empty manifest and a task that is already done, as with Rerun's server.
   */
  @Override
  public void unregisterFromDataset(UnregisterFromDatasetRequest request, StreamObserver<UnregisterFromDatasetResponse> observer) {
    unary("UnregisterFromDataset", observer, () -> {
      Dataset dataset = entries.requestedDataset();
      Set<String> ids = request.getSegmentsToDropList().stream().map(SegmentId::getId).collect(Collectors.toCollection(LinkedHashSet::new));
      if (ids.isEmpty() && request.getLayersToDropCount() == 0) {
        throw CatalogStatus.invalidArgument("UnregisterFromDataset: name the segments or the layers to drop");
      }
      Set<String> known = model.catalog.partitions(dataset.id()).stream().map(p -> p.partitionId()).collect(Collectors.toSet());
      if (ids.isEmpty()) {
        ids.addAll(known);
      }
      // Unregistering is idempotent, as with Rerun: a segment that is not (or no longer) there is no error.
      ids.retainAll(known);
      model.catalog.unregister(dataset.id(), ids, request.getLayersToDropList());
      return UnregisterFromDatasetResponse.newBuilder()
          .setData(model.tables.manifest(dataset, List.of(), DatasetTables.SegmentFilter.only(Set.of()), words()))
          .setTaskId(TaskId.newBuilder().setId(DONE_TASK_ID))
          .build();
    });
  }

  // --- segment table, manifest, schema -------------------------------------------------------------------

  @Override
  public void getSegmentTableSchema(GetSegmentTableSchemaRequest request, StreamObserver<GetSegmentTableSchemaResponse> observer) {
    unary("GetSegmentTableSchema", observer, () -> GetSegmentTableSchemaResponse.newBuilder()
        .setSchema(model.ipc.schema(model.tables.segmentTableSchema(entries.requestedDataset(), words())))
        .build());
  }

  @Override
  public void scanSegmentTable(ScanSegmentTableRequest request, StreamObserver<ScanSegmentTableResponse> observer) {
    unary("ScanSegmentTable", observer, () -> ScanSegmentTableResponse.newBuilder()
        .setData(model.tables.segmentTable(entries.requestedDataset(), request.getColumnsList(), segmentFilter(request.getSegmentIdFilter()), words()))
        .build());
  }

  @Override
  public void getDatasetManifestSchema(GetDatasetManifestSchemaRequest request, StreamObserver<GetDatasetManifestSchemaResponse> observer) {
    unary("GetDatasetManifestSchema", observer, () -> GetDatasetManifestSchemaResponse.newBuilder()
        .setSchema(model.ipc.schema(model.tables.manifestSchema(entries.requestedDataset(), words())))
        .build());
  }

  @Override
  public void scanDatasetManifest(ScanDatasetManifestRequest request, StreamObserver<ScanDatasetManifestResponse> observer) {
    unary("ScanDatasetManifest", observer, () -> ScanDatasetManifestResponse.newBuilder()
        .setData(model.tables.manifest(entries.requestedDataset(), request.getColumnsList(), segmentFilter(request.getSegmentIdFilter()), words()))
        .build());
  }

  private static DatasetTables.SegmentFilter segmentFilter(SegmentIdFilter filter) {
    return switch (filter.getStrategyCase()) {
      case SCAN_ONLY -> DatasetTables.SegmentFilter.only(Set.copyOf(filter.getScanOnly().getSegmentIdsList()));
      case SKIP -> DatasetTables.SegmentFilter.skipping(Set.copyOf(filter.getSkip().getSegmentIdsList()));
      case STRATEGY_NOT_SET -> DatasetTables.SegmentFilter.ALL;
    };
  }

  @Override
  public void getDatasetSchema(GetDatasetSchemaRequest request, StreamObserver<GetDatasetSchemaResponse> observer) {
    unary("GetDatasetSchema", observer, () -> GetDatasetSchemaResponse.newBuilder()
        .setSchema(model.ipc.schema(model.catalog.datasetSchema(entries.requestedDataset().id()).toArrow()))
        .build());
  }

  // --- queries and chunks ----------------------------------------------------------------------------------

  /** QueryDataset (0.28–0.36 readers; 0.37+ use FindChunks). */
  @Override
  public void queryDataset(QueryDatasetRequest request, StreamObserver<QueryDatasetResponse> observer) {
    try {
      model.datasetQuery.query(entries.requestedDataset(), FindChunksQuery.of(request), words(), observer,
          part -> QueryDatasetResponse.newBuilder().setData(part).build(), "QueryDataset");
    } catch (RuntimeException e) {
      observer.onError(CatalogStatus.of(e, "QueryDataset"));
    }
  }

  /** FindChunks (0.37+ readers): which chunks hold the selected contents, per mode. */
  @Override
  public void findChunks(FindChunksRequest request, StreamObserver<FindChunksResponse> observer) {
    try {
      model.datasetQuery.query(entries.requestedDataset(), FindChunksQuery.of(request), words(), observer,
          part -> FindChunksResponse.newBuilder().setData(part).build(), "FindChunks");
    } catch (RuntimeException e) {
      observer.onError(CatalogStatus.of(e, "FindChunks"));
    }
  }

  /**
   * GetRrdManifest (segment_store and the 0.37+ viewer): the segment's chunk manifest, one part per
   * layer ({@link SegmentManifest}); chunks are then fetched with FetchChunks by their keys.
   */
  @Override
  public void getRrdManifest(GetRrdManifestRequest request, StreamObserver<GetRrdManifestResponse> observer) {
    try {
      List<io.rrdflight.rrd.proto.RrdManifest> parts = model.segmentManifest.parts(entries.requestedDataset(),
          requiredSegment(request.hasSegmentId(), request.getSegmentId(), "GetRrdManifest"), words());
      parts.forEach(part -> observer.onNext(GetRrdManifestResponse.newBuilder().setRrdManifest(part).build()));
      observer.onCompleted();
    } catch (RuntimeException e) {
      observer.onError(CatalogStatus.of(e, "GetRrdManifest"));
    }
  }

  /**
   * GetAssetsForSegment: the dataset's asset dataset and the assets that apply to the segment
   * ({@link AssetsForSegment}), in one message. A dataset without an asset dataset (made before
   * asset datasets and not updated since, or a blueprint or asset dataset) answers no message, which
   * Rerun's clients read as no assets.
   */
  @Override
  public void getAssetsForSegment(GetAssetsForSegmentRequest request, StreamObserver<GetAssetsForSegmentResponse> observer) {
    try {
      Optional<String> segment = request.hasSegmentId() && !request.getSegmentId().getId().isEmpty()
          ? Optional.of(request.getSegmentId().getId()) : Optional.empty();
      model.assetsForSegment.assets(entries.requestedDataset(), segment).ifPresent(answer -> {
        GetAssetsForSegmentResponse.Builder message = GetAssetsForSegmentResponse.newBuilder()
            .setAssetsEntry(ProtoValues.toProto(answer.assetDataset().id()));
        answer.assetIds().forEach(a -> message.addAssetSegmentIds(SegmentId.newBuilder().setId(a)));
        observer.onNext(message.build());
      });
      observer.onCompleted();
    } catch (RuntimeException e) {
      observer.onError(CatalogStatus.of(e, "GetAssetsForSegment"));
    }
  }

  // --- segment properties (0.41) ------------------------------------------------------------------------

  /** GetSegmentProperties: the named segments' properties, in one message; segments without any are left out. */
  @Override
  public void getSegmentProperties(GetSegmentPropertiesRequest request, StreamObserver<GetSegmentPropertiesResponse> observer) {
    unary("GetSegmentProperties", observer, () -> {
      if (request.getSegmentIdsCount() == 0) {
        throw CatalogStatus.invalidArgument("GetSegmentProperties: name at least one segment");
      }
      Dataset dataset = entries.requestedDataset();
      // Each segment once, however often it is named: the answer must not grow with repetitions.
      Set<String> segmentIds = new LinkedHashSet<>();
      request.getSegmentIdsList().forEach(id -> segmentIds.add(id.getId()));
      GetSegmentPropertiesResponse.Builder answer = GetSegmentPropertiesResponse.newBuilder();
      long bytes = 0;
      for (String segmentId : segmentIds) {
        Optional<SegmentPropertyBatches.Stored> stored = model.segmentProperties.get(dataset, segmentId, words());
        if (stored.isEmpty()) {
          continue;
        }
        bytes += stored.get().size();
        if (bytes > SegmentPropertyBatches.MAX_ANSWER_BYTES) {
          throw Status.RESOURCE_EXHAUSTED.withDescription("GetSegmentProperties: the properties of these " + segmentIds.size()
              + " segments take more than the " + SegmentPropertyBatches.MAX_ANSWER_BYTES + " bytes one answer may hold; ask for fewer segments")
              .asRuntimeException();
        }
        answer.addSegments(SegmentProperties.newBuilder()
            .setSegmentId(SegmentId.newBuilder().setId(stored.get().segmentId()))
            .setProperties(stored.get().properties())
            .setRevision(stored.get().revision()));
      }
      return answer.build();
    });
  }

  @Override
  public void setSegmentProperties(SetSegmentPropertiesRequest request, StreamObserver<SetSegmentPropertiesResponse> observer) {
    unary("SetSegmentProperties", observer, () -> {
      if (!request.hasProperties()) {
        throw CatalogStatus.invalidArgument("SetSegmentProperties: properties are required (one row)");
      }
      long revision = model.segmentProperties.set(entries.requestedDataset(), request.getSegmentId().getId(), request.getProperties(),
          request.hasExpectedRevision() ? java.util.OptionalLong.of(request.getExpectedRevision()) : java.util.OptionalLong.empty());
      return SetSegmentPropertiesResponse.newBuilder().setRevision(revision).build();
    });
  }

  @Override
  public void deleteSegmentProperties(DeleteSegmentPropertiesRequest request, StreamObserver<DeleteSegmentPropertiesResponse> observer) {
    unary("DeleteSegmentProperties", observer, () -> {
      Map<String, java.util.OptionalLong> deletions = new LinkedHashMap<>();
      for (SegmentPropertiesDeletion d : request.getSegmentsList()) {
        deletions.put(d.getSegmentId().getId(),
            d.hasExpectedRevision() ? java.util.OptionalLong.of(d.getExpectedRevision()) : java.util.OptionalLong.empty());
      }
      model.segmentProperties.delete(entries.requestedDataset(), deletions);
      return DeleteSegmentPropertiesResponse.getDefaultInstance();
    });
  }

  private static String requiredSegment(boolean present, SegmentId id, String call) {
    if (!present || id.getId().isEmpty()) {
      throw CatalogStatus.invalidArgument(call + ": segment_id is required");
    }
    return id.getId();
  }

  @Override
  public void fetchChunks(FetchChunksRequest request, StreamObserver<FetchChunksResponse> observer) {
    try {
      model.chunkFetch.fetch(request.getChunkInfosList(), observer, chunks -> FetchChunksResponse.newBuilder().addAllChunks(chunks).build());
    } catch (RuntimeException e) {
      observer.onError(CatalogStatus.of(e, "FetchChunks"));
    }
  }
}
