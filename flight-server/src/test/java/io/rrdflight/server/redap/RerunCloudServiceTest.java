package io.rrdflight.server.redap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.rrdflight.catalog.EntryId;
import io.rrdflight.catalog.IndexedRecording;
import io.rrdflight.catalog.RecordingIndexer;
import io.rrdflight.rrd.proto.IfDuplicateBehavior;
import io.rrdflight.rrd.proto.TaskId;
import io.rrdflight.server.redap.proto.CreateDatasetEntryRequest;
import io.rrdflight.server.redap.proto.DataSource;
import io.rrdflight.server.redap.proto.DataSourceKind;
import io.rrdflight.server.redap.proto.DatasetDetails;
import io.rrdflight.server.redap.proto.DatasetEntry;
import io.rrdflight.server.redap.proto.DeleteEntryRequest;
import io.rrdflight.server.redap.proto.EntryDetails;
import io.rrdflight.server.redap.proto.EntryDetailsUpdate;
import io.rrdflight.server.redap.proto.EntryFilter;
import io.rrdflight.server.redap.proto.EntryKind;
import io.rrdflight.server.redap.proto.FindEntriesRequest;
import io.rrdflight.server.redap.proto.GetPartitionTableSchemaRequest;
import io.rrdflight.server.redap.proto.GetTableSchemaRequest;
import io.rrdflight.server.redap.proto.QueryTasksOnCompletionRequest;
import io.rrdflight.server.redap.proto.QueryTasksOnCompletionResponse;
import io.rrdflight.server.redap.proto.QueryTasksRequest;
import io.rrdflight.server.redap.proto.ReadDatasetEntryRequest;
import io.rrdflight.server.redap.proto.ReadTableEntryRequest;
import io.rrdflight.server.redap.proto.RegisterWithDatasetRequest;
import io.rrdflight.server.redap.proto.RerunCloudServiceGrpc.RerunCloudServiceBlockingStub;
import io.rrdflight.server.redap.proto.ScanPartitionTableRequest;
import io.rrdflight.server.redap.proto.ScanPartitionTableResponse;
import io.rrdflight.server.redap.proto.ScanTableRequest;
import io.rrdflight.server.redap.proto.UpdateDatasetEntryRequest;
import io.rrdflight.server.redap.proto.UpdateEntryRequest;
import io.rrdflight.server.redap.proto.VersionRequest;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The catalog service's answers at the protocol level, as Rerun's clients decode them: messages,
 * Arrow schemas, status codes. Recordings are stood in for by a fake indexer and probe (file name →
 * recording ids), so this runs without the .rrd reader.
 */
class RerunCloudServiceTest {
  @TempDir Path dir;
  RerunCloudHarness rerun;
  /** The recording ids each fake .rrd file holds. */
  final Map<Path, List<String>> recordings = new ConcurrentHashMap<>();
  /** Whether the fake files have footers the call may index them from, and how often it did. */
  volatile boolean footers;
  final java.util.concurrent.atomic.AtomicInteger footerReads = new java.util.concurrent.atomic.AtomicInteger();
  /** Released to let the fake indexer finish; counted down up front unless a test holds it. */
  CountDownLatch indexing = new CountDownLatch(0);

  @BeforeEach
  void start() throws IOException {
    RecordingIndexer indexer = new RecordingIndexer() {
      @Override
      public List<IndexedRecording> index(io.rrdflight.rrd.RecordingSource file, io.rrdflight.rrd.StoreKind kind) throws IOException {
        try {
          indexing.await();
        } catch (InterruptedException e) {
          throw new IOException("interrupted", e);
        }
        return stores(file, kind);
      }

      @Override
      public java.util.Optional<List<IndexedRecording>> indexFromFooter(io.rrdflight.rrd.RecordingSource file,
          io.rrdflight.rrd.StoreKind kind) throws IOException {
        if (!footers) {
          return java.util.Optional.empty();
        }
        footerReads.incrementAndGet();
        return java.util.Optional.of(stores(file, kind));
      }

      private List<IndexedRecording> stores(io.rrdflight.rrd.RecordingSource file, io.rrdflight.rrd.StoreKind kind) throws IOException {
        if (file.name().contains("damaged")) {
          throw new IOException(file.name() + ": footer manifest cut short at byte offset 1234 (test)");
        }
        if (kind != io.rrdflight.rrd.StoreKind.RECORDING) {
          return List.of();
        }
        return recordings.get(Path.of(file.name())).stream()
            .map(id -> new IndexedRecording(id, "app", 3, 30, 3000, new byte[] {1}, io.rrdflight.catalog.DatasetSchema.empty()))
            .toList();
      }
    };
    RecordingProbe probe = (file, kind) -> {
      List<String> ids = recordings.get(Path.of(file.name()));
      if (ids == null) {
        throw new IOException("not an .rrd file (test)");
      }
      return kind == io.rrdflight.rrd.StoreKind.RECORDING ? ids : List.of();
    };
    rerun = new RerunCloudHarness(dir.resolve("data"), indexer, probe);
  }

  @AfterEach
  void stop() throws InterruptedException {
    indexing = new CountDownLatch(0);
    rerun.close();
  }

  private Path rrd(String name, String... recordingIds) throws IOException {
    Path file = dir.resolve(name);
    Files.createDirectories(file.getParent());
    Files.write(file, new byte[] {42});
    recordings.put(file.toAbsolutePath(), List.of(recordingIds));
    return file.toAbsolutePath();
  }

  private DatasetEntry create(String name) {
    return rerun.stub().createDatasetEntry(CreateDatasetEntryRequest.newBuilder().setName(name).build()).getDataset();
  }

  private static EntryId id(DatasetEntry d) {
    return ProtoValues.fromProto(d.getDetails().getId());
  }

  private static Status.Code code(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
  }

  private static RegisterWithDatasetRequest registerRequest(String... urls) {
    RegisterWithDatasetRequest.Builder r = RegisterWithDatasetRequest.newBuilder().setOnDuplicate(IfDuplicateBehavior.IF_DUPLICATE_BEHAVIOR_ERROR);
    for (String url : urls) {
      r.addDataSources(DataSource.newBuilder().setStorageUrl(url).setTyp(DataSourceKind.DATA_SOURCE_KIND_RRD).setLayer("base"));
    }
    return r.build();
  }

  private List<QueryTasksOnCompletionResponse> awaitTasks(List<String> taskIds, long seconds) {
    QueryTasksOnCompletionRequest.Builder r = QueryTasksOnCompletionRequest.newBuilder().setTimeout(Duration.newBuilder().setSeconds(seconds));
    taskIds.forEach(id -> r.addIds(TaskId.newBuilder().setId(id)));
    List<QueryTasksOnCompletionResponse> all = new ArrayList<>();
    Iterator<QueryTasksOnCompletionResponse> it = rerun.stub().queryTasksOnCompletion(r.build());
    it.forEachRemaining(all::add);
    return all;
  }

  // --- entries -------------------------------------------------------------------------------------

  @Test
  void findEntriesWithoutFilterListsDatasetsTheirBlueprintDatasetsAndTheEntriesTable() {
    DatasetEntry a = create("a");
    List<EntryDetails> all = rerun.stub().findEntries(FindEntriesRequest.newBuilder().setFilter(EntryFilter.getDefaultInstance()).build()).getEntriesList();
    assertEquals(List.of("__bp_" + id(a).toHex(), "a", "__entries"), all.stream().map(EntryDetails::getName).toList());
    assertEquals(List.of(EntryKind.ENTRY_KIND_BLUEPRINT_DATASET, EntryKind.ENTRY_KIND_DATASET, EntryKind.ENTRY_KIND_TABLE),
        all.stream().map(EntryDetails::getEntryKind).toList());
    for (EntryDetails e : all) {
      // Rerun's clients refuse details without these, and TUIDs with a half missing.
      assertTrue(e.hasId() && e.getId().getId().hasTimeNs() && e.getId().getId().hasInc() && e.hasName() && e.hasCreatedAt() && e.hasUpdatedAt(), e.toString());
    }
  }

  @Test
  void findEntriesFiltersByKindNameAndId() {
    DatasetEntry a = create("a");
    create("b");
    EntryFilter byKind = EntryFilter.newBuilder().setEntryKind(EntryKind.ENTRY_KIND_DATASET).build();
    assertEquals(2, rerun.stub().findEntries(FindEntriesRequest.newBuilder().setFilter(byKind).build()).getEntriesCount());
    EntryFilter tables = EntryFilter.newBuilder().setEntryKind(EntryKind.ENTRY_KIND_TABLE).build();
    assertEquals(List.of("__entries"), rerun.stub().findEntries(FindEntriesRequest.newBuilder().setFilter(tables).build())
        .getEntriesList().stream().map(EntryDetails::getName).toList());
    EntryFilter byId = EntryFilter.newBuilder().setId(a.getDetails().getId()).build();
    assertEquals(List.of("a"), rerun.stub().findEntries(FindEntriesRequest.newBuilder().setFilter(byId).build())
        .getEntriesList().stream().map(EntryDetails::getName).toList());
  }

  @Test
  void findEntriesForAMissingNameIsEmptyWithoutKindAndNotFoundWithOne() {
    EntryFilter noKind = EntryFilter.newBuilder().setName("nope").build();
    assertEquals(0, rerun.stub().findEntries(FindEntriesRequest.newBuilder().setFilter(noKind).build()).getEntriesCount());
    EntryFilter table = noKind.toBuilder().setEntryKind(EntryKind.ENTRY_KIND_TABLE).build();
    assertEquals(Status.Code.NOT_FOUND, code(() -> rerun.stub().findEntries(FindEntriesRequest.newBuilder().setFilter(table).build())));
    EntryFilter unspecified = EntryFilter.newBuilder().setEntryKind(EntryKind.ENTRY_KIND_UNSPECIFIED).build();
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> rerun.stub().findEntries(FindEntriesRequest.newBuilder().setFilter(unspecified).build())));
  }

  @Test
  void createDatasetAnswersACompleteEntryWithAUrlThatParses() {
    DatasetEntry d = create("oss_demo");
    assertEquals("oss_demo", d.getDetails().getName());
    assertEquals(EntryKind.ENTRY_KIND_DATASET, d.getDetails().getEntryKind());
    assertTrue(d.hasDatasetDetails(), "clients require dataset_details");
    assertTrue(d.getDatasetDetails().hasBlueprintDataset(), "created with its blueprint dataset, as in Rerun");
    assertFalse(d.getDatasetDetails().hasDefaultBlueprint());
    URI url = URI.create(d.getDatasetHandle().getDatasetUrl());
    assertEquals("rerun+http", url.getScheme());
    assertEquals("127.0.0.1:" + rerun.port(), url.getAuthority());
    assertEquals("/dataset/" + id(d).toHex(), url.getPath());
  }

  @Test
  void createDatasetWithATakenNameIsAlreadyExists() {
    create("twice");
    assertEquals(Status.Code.ALREADY_EXISTS, code(() -> create("twice")));
    assertEquals(Status.Code.ALREADY_EXISTS, code(() -> create("__entries")));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> rerun.stub().createDatasetEntry(CreateDatasetEntryRequest.getDefaultInstance())));
  }

  @Test
  void readDatasetEntryResolvesTheHeaderCaseInsensitively() {
    DatasetEntry d = create("by_header");
    assertEquals(d.getDetails(), rerun.stub(id(d)).readDatasetEntry(ReadDatasetEntryRequest.getDefaultInstance()).getDataset().getDetails());
    String lower = id(d).toHex().toLowerCase(java.util.Locale.ROOT);
    assertEquals("by_header", rerun.stubWithHeader(lower).readDatasetEntry(ReadDatasetEntryRequest.getDefaultInstance()).getDataset().getDetails().getName());
  }

  @Test
  void readDatasetEntryErrorsSayWhatIsWrong() {
    StatusRuntimeException missing = assertThrows(StatusRuntimeException.class,
        () -> rerun.stub().readDatasetEntry(ReadDatasetEntryRequest.getDefaultInstance()));
    assertEquals(Status.Code.INVALID_ARGUMENT, missing.getStatus().getCode());
    assertTrue(missing.getStatus().getDescription().contains("x-rerun-entry-id"), missing.getStatus().getDescription());
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> rerun.stubWithHeader("xyz").readDatasetEntry(ReadDatasetEntryRequest.getDefaultInstance())));
    assertEquals(Status.Code.NOT_FOUND, code(() -> rerun.stub(new EntryId(1, 2)).readDatasetEntry(ReadDatasetEntryRequest.getDefaultInstance())));
    assertEquals(Status.Code.NOT_FOUND, code(() -> rerun.stub(Entries.ENTRIES_TABLE_ID).readDatasetEntry(ReadDatasetEntryRequest.getDefaultInstance())));
  }

  @Test
  void renameAndDeleteADataset() {
    DatasetEntry d = create("before");
    EntryDetails renamed = rerun.stub().updateEntry(UpdateEntryRequest.newBuilder().setId(d.getDetails().getId())
        .setEntryDetailsUpdate(EntryDetailsUpdate.newBuilder().setName("after")).build()).getEntryDetails();
    assertEquals("after", renamed.getName());
    rerun.stub().deleteEntry(DeleteEntryRequest.newBuilder().setId(d.getDetails().getId()).build());
    assertEquals(Status.Code.NOT_FOUND, code(() -> rerun.stub().deleteEntry(DeleteEntryRequest.newBuilder().setId(d.getDetails().getId()).build())));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> rerun.stub().deleteEntry(DeleteEntryRequest.newBuilder()
        .setId(ProtoValues.toProto(Entries.ENTRIES_TABLE_ID)).build())));
  }

  @Test
  void entriesTableIsASystemTableWhoseTypeUrlHasNoDomain() {
    var table = rerun.stub().readTableEntry(ReadTableEntryRequest.newBuilder().setId(ProtoValues.toProto(Entries.ENTRIES_TABLE_ID)).build()).getTable();
    // The SDK compares the type URL as a string; protobuf-java's default prefix breaks it.
    assertEquals("/rerun.cloud.v1alpha1.SystemTable", table.getProviderDetails().getTypeUrl());
    assertEquals("__entries", table.getDetails().getName());
  }

  @Test
  void entriesTableScanMatchesItsSchemaAndListsEveryEntry() {
    DatasetEntry d = create("listed");
    var tableId = ProtoValues.toProto(Entries.ENTRIES_TABLE_ID);
    Schema schema = rerun.schema(rerun.stub().getTableSchema(GetTableSchemaRequest.newBuilder().setTableId(tableId).build()).getSchema());
    RerunCloudHarness.Table scan = rerun.read(rerun.stub().scanTable(ScanTableRequest.newBuilder().setTableId(tableId).build()).next().getDataframePart());
    assertEquals(schema, scan.schema());
    assertEquals("id: FixedSizeBinary(16) not null, name: Utf8 not null, entry_kind: Int(32, true) not null, "
        + "created_at: Timestamp(NANOSECOND, null) not null, updated_at: Timestamp(NANOSECOND, null) not null",
        String.join(", ", schema.getFields().stream().map(Field::toString).toList()));
    assertEquals(List.of("__bp_" + id(d).toHex(), "listed", "__entries"), scan.column("name"));
    assertEquals(List.of(5, 1, 3), scan.column("entry_kind"));
    assertEquals(java.util.HexFormat.of().formatHex(id(d).toBytes()), java.util.HexFormat.of().formatHex((byte[]) scan.column("id").get(1)));
  }

  // --- blueprint datasets ------------------------------------------------------------------------

  private DatasetEntry read(EntryId dataset) {
    return rerun.stub(dataset).readDatasetEntry(ReadDatasetEntryRequest.getDefaultInstance()).getDataset();
  }

  private List<String> names(EntryFilter filter) {
    return rerun.stub().findEntries(FindEntriesRequest.newBuilder().setFilter(filter).build()).getEntriesList().stream()
        .map(EntryDetails::getName).toList();
  }

  @Test
  void blueprintDatasetIsFoundAsABlueprintDatasetAndNotAsADataset() {
    DatasetEntry d = create("ds");
    EntryId bpId = ProtoValues.fromProto(d.getDatasetDetails().getBlueprintDataset());
    String bpName = "__bp_" + id(d).toHex();
    assertEquals(List.of("ds"), names(EntryFilter.newBuilder().setEntryKind(EntryKind.ENTRY_KIND_DATASET).build()));
    assertEquals(List.of(bpName), names(EntryFilter.newBuilder().setEntryKind(EntryKind.ENTRY_KIND_BLUEPRINT_DATASET).build()));
    assertEquals(List.of(bpName), names(EntryFilter.newBuilder().setName(bpName).setEntryKind(EntryKind.ENTRY_KIND_BLUEPRINT_DATASET).build()));
    // As in Rerun: a name of the other kind finds nothing, a name of nothing is NOT_FOUND.
    assertEquals(List.of(), names(EntryFilter.newBuilder().setName(bpName).setEntryKind(EntryKind.ENTRY_KIND_DATASET).build()));
    assertEquals(List.of(), names(EntryFilter.newBuilder().setName("ds").setEntryKind(EntryKind.ENTRY_KIND_BLUEPRINT_DATASET).build()));
    assertEquals(Status.Code.NOT_FOUND, code(() -> names(EntryFilter.newBuilder().setName("nope")
        .setEntryKind(EntryKind.ENTRY_KIND_BLUEPRINT_DATASET).build())));

    DatasetEntry bp = read(bpId);
    assertEquals(bpName, bp.getDetails().getName());
    assertEquals(EntryKind.ENTRY_KIND_BLUEPRINT_DATASET, bp.getDetails().getEntryKind());
    assertEquals(io.rrdflight.rrd.proto.StoreKind.STORE_KIND_BLUEPRINT, bp.getDatasetHandle().getStoreKind());
    assertTrue(bp.hasDatasetDetails() && !bp.getDatasetDetails().hasBlueprintDataset() && !bp.getDatasetDetails().hasDefaultBlueprint());
  }

  private UpdateDatasetEntryRequest setDefault(DatasetEntry d, String partitionId) {
    DatasetDetails.Builder details = d.getDatasetDetails().toBuilder();
    if (partitionId == null) {
      details.clearDefaultBlueprint();
    } else {
      details.setDefaultBlueprint(io.rrdflight.rrd.proto.PartitionId.newBuilder().setId(partitionId));
    }
    return UpdateDatasetEntryRequest.newBuilder().setId(d.getDetails().getId()).setDatasetDetails(details).build();
  }

  @Test
  void updateDatasetEntrySetsAndClearsTheDefaultBlueprint() {
    DatasetEntry d = create("ds");
    DatasetEntry set = rerun.stub().updateDatasetEntry(setDefault(d, "bp-1")).getDataset();
    assertEquals("bp-1", set.getDatasetDetails().getDefaultBlueprint().getId());
    assertEquals(d.getDatasetDetails().getBlueprintDataset(), set.getDatasetDetails().getBlueprintDataset());
    assertEquals("bp-1", read(id(d)).getDatasetDetails().getDefaultBlueprint().getId());
    DatasetEntry cleared = rerun.stub().updateDatasetEntry(setDefault(set, null)).getDataset();
    assertFalse(cleared.getDatasetDetails().hasDefaultBlueprint());
    assertFalse(read(id(d)).getDatasetDetails().hasDefaultBlueprint());
  }

  @Test
  void updateDatasetEntryRefusesWhatItCannotDo() {
    DatasetEntry d = create("ds");
    UpdateDatasetEntryRequest good = setDefault(d, "bp-1");
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> rerun.stub().updateDatasetEntry(good.toBuilder().clearId().build())));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> rerun.stub().updateDatasetEntry(good.toBuilder().clearDatasetDetails().build())));
    UpdateDatasetEntryRequest otherBlueprints = good.toBuilder().setDatasetDetails(good.getDatasetDetails().toBuilder()
        .setBlueprintDataset(ProtoValues.toProto(new EntryId(1, 2)))).build();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> rerun.stub().updateDatasetEntry(otherBlueprints));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("cannot be changed"), e.getStatus().getDescription());
    assertEquals(Status.Code.NOT_FOUND, code(() -> rerun.stub().updateDatasetEntry(good.toBuilder()
        .setId(ProtoValues.toProto(new EntryId(1, 2))).build())));
    assertFalse(read(id(d)).getDatasetDetails().hasDefaultBlueprint(), "nothing changed");
  }

  @Test
  void deletingADatasetDeletesItsBlueprintDataset() {
    DatasetEntry d = create("ds");
    EntryId bpId = ProtoValues.fromProto(d.getDatasetDetails().getBlueprintDataset());
    rerun.stub().deleteEntry(DeleteEntryRequest.newBuilder().setId(d.getDetails().getId()).build());
    assertEquals(Status.Code.NOT_FOUND, code(() -> read(bpId)));
    assertEquals(List.of("__entries"), names(EntryFilter.getDefaultInstance()));
  }

  @Test
  void aDatasetWhoseBlueprintDatasetWasDeletedAloneKeepsNamingItAndItsDefaultIsRefusedInRerunsWords() {
    DatasetEntry d = create("ds");
    EntryId bpId = ProtoValues.fromProto(d.getDatasetDetails().getBlueprintDataset());
    rerun.stub().deleteEntry(DeleteEntryRequest.newBuilder().setId(ProtoValues.toProto(bpId)).build());
    assertEquals(d.getDatasetDetails().getBlueprintDataset(), read(id(d)).getDatasetDetails().getBlueprintDataset());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> rerun.stub().updateDatasetEntry(setDefault(d, "bp-1")));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertEquals("dataset blueprint dataset does not exist: Entry id '" + bpId.toHex() + "' not found", e.getStatus().getDescription());
    rerun.stub().deleteEntry(DeleteEntryRequest.newBuilder().setId(d.getDetails().getId()).build());
    assertEquals(List.of("__entries"), names(EntryFilter.getDefaultInstance()));
  }

  @Test
  void versionNamesRrdflight() {
    var info = rerun.stub().version(VersionRequest.getDefaultInstance()).getBuildInfo();
    assertEquals("rrdflight", info.getCrateName());
    assertEquals(9, info.getVersion().getMajor());
    assertEquals(7, info.getVersion().getPatch());
  }

  // --- registration and tasks ----------------------------------------------------------------------

  @Test
  void registerAnswersOneRowPerRecordingWithTheTaskThatRegistersIt() throws IOException {
    DatasetEntry d = create("reg");
    Path one = rrd("one.rrd", "rec-b", "rec-a");
    Path two = rrd("two.rrd", "rec-c");
    var response = rerun.stub(id(d)).registerWithDataset(registerRequest(one.toUri().toString(), two.toUri().toString()));
    RerunCloudHarness.Table rows = rerun.read(response.getData());
    assertEquals(List.of("rerun_partition_id", "rerun_partition_layer", "rerun_partition_type", "rerun_storage_url", "rerun_task_id"),
        rows.schema().getFields().stream().map(Field::getName).toList());
    assertEquals(List.of("rec-a", "rec-b", "rec-c"), rows.column("rerun_partition_id"));
    assertEquals(List.of("rrd", "rrd", "rrd"), rows.column("rerun_partition_type"));
    assertEquals(List.of(one.toUri().toString(), one.toUri().toString(), two.toUri().toString()), rows.column("rerun_storage_url"));
    List<Object> tasks = rows.column("rerun_task_id");
    assertEquals(tasks.get(0), tasks.get(1), "one task per file");
    assertFalse(tasks.get(1).equals(tasks.get(2)));

    List<QueryTasksOnCompletionResponse> done = awaitTasks(tasks.stream().map(Object::toString).distinct().toList(), 30);
    assertEquals(1, done.size());
    RerunCloudHarness.Table status = rerun.read(done.get(0).getData());
    assertEquals(TaskTable.SCHEMA, status.schema());
    assertEquals(List.of("success", "success"), status.column("exec_status"));

    RerunCloudHarness.Table partitions = rerun.read(rerun.stub(id(d)).scanPartitionTable(ScanPartitionTableRequest.getDefaultInstance()).next().getData());
    assertEquals(List.of("rec-a", "rec-b", "rec-c"), partitions.column(Vocabulary.PARTITIONS.idColumn()));
    assertEquals(List.of(List.of("base"), List.of("base"), List.of("base")),
        partitions.column(PartitionTable.LAYER_NAMES).stream().map(l -> ((List<?>) l).stream().map(Object::toString).toList()).toList());
  }

  @Test
  void filesWithFootersAreRegisteredInTheCallAndAnsweredWithFinishedTasks() throws IOException {
    footers = true;
    indexing = new CountDownLatch(1); // a worker would wait here: none is asked
    DatasetEntry d = create("in-call");
    Path one = rrd("one.rrd", "rec-b", "rec-a");
    Path two = rrd("two.rrd", "rec-c");
    RerunCloudHarness.Table rows = rerun.read(rerun.stub(id(d)).registerWithDataset(
        registerRequest(one.toUri().toString(), two.toUri().toString())).getData());
    assertEquals(List.of("rec-a", "rec-b", "rec-c"), rows.column("rerun_partition_id"));
    assertEquals(2, footerReads.get());
    List<String> ids = rows.column("rerun_task_id").stream().map(Object::toString).distinct().toList();
    RerunCloudHarness.Table status = rerun.read(awaitTasks(ids, 0).get(0).getData());
    assertEquals(List.of("success", "success"), status.column("exec_status"));
    assertEquals(ids, status.column("task_id").stream().map(Object::toString).toList());
    assertEquals(List.of("rec-a", "rec-b", "rec-c"), rerun.catalog.partitions(id(d)).stream().map(p -> p.partitionId()).sorted().toList());
  }

  @Test
  void aWaitForTasksThatHaveFinishedIsAnsweredWithoutAWaitingThread() throws IOException {
    footers = true;
    DatasetEntry d = create("finished");
    Path one = rrd("one.rrd", "rec-a");
    RerunCloudHarness.Table rows = rerun.read(rerun.stub(id(d)).registerWithDataset(registerRequest(one.toUri().toString())).getData());
    List<String> ids = rows.column("rerun_task_id").stream().map(Object::toString).toList();
    rerun.stopExecutor(); // a wait handed to it would be refused
    RerunCloudHarness.Table status = rerun.read(awaitTasks(ids, 30).get(0).getData());
    assertEquals(List.of("success"), status.column("exec_status"));
  }

  @Test
  void aDamagedFooterFileFailsItsTaskAloneNamingFileAndOffset() throws IOException {
    footers = true;
    DatasetEntry d = create("damaged");
    Path good = rrd("good.rrd", "rec-good");
    Path damaged = rrd("damaged.rrd", "rec-damaged");
    RerunCloudHarness.Table rows = rerun.read(rerun.stub(id(d)).registerWithDataset(
        registerRequest(good.toUri().toString(), damaged.toUri().toString())).getData());
    List<String> ids = rows.column("rerun_task_id").stream().map(Object::toString).toList();
    RerunCloudHarness.Table status = rerun.read(awaitTasks(ids, 30).get(0).getData());
    assertEquals(List.of("success", "failed"), status.column("exec_status"));
    String message = status.column("msgs").get(1).toString();
    assertTrue(message.contains(damaged.toString()) && message.contains("offset 1234"), message);
    assertEquals(List.of("rec-good"), rerun.catalog.partitions(id(d)).stream().map(p -> p.partitionId()).toList());
  }

  @Test
  void aRegistrationOverTheCapGoesThroughTheWorkers() throws IOException {
    footers = true;
    DatasetEntry d = create("many");
    List<String> urls = new ArrayList<>();
    for (int i = 0; i <= Registration.IN_CALL_MAX_FILES; i++) {
      urls.add(rrd("f" + i + ".rrd", "rec-" + i).toUri().toString());
    }
    RerunCloudHarness.Table rows = rerun.read(rerun.stub(id(d)).registerWithDataset(registerRequest(urls.toArray(String[]::new))).getData());
    assertEquals(0, footerReads.get(), "no footer was indexed in the call");
    List<String> ids = rows.column("rerun_task_id").stream().map(Object::toString).toList();
    RerunCloudHarness.Table status = rerun.read(awaitTasks(ids, 30).get(0).getData());
    assertEquals(java.util.Collections.nCopies(urls.size(), "success"), status.column("exec_status"));
  }

  @Test
  void taskTableSchemaIsRerunsElevenColumns() {
    assertEquals("task_id: Utf8 not null, kind: Utf8, data: Utf8, exec_status: Utf8 not null, msgs: Utf8, blob_len: Int(64, false), "
        + "lease_owner: Utf8, lease_expiration: Timestamp(NANOSECOND, null), attempts: Int(8, false) not null, "
        + "creation_time: Timestamp(NANOSECOND, null), last_update_time: Timestamp(NANOSECOND, null)",
        String.join(", ", TaskTable.SCHEMA.getFields().stream().map(Field::toString).toList()));
  }

  @Test
  void registerRejectsWhatCannotBeRegisteredBeforeChangingAnything() throws IOException {
    DatasetEntry d = create("bad");
    RerunCloudServiceBlockingStub stub = rerun.stub(id(d));
    Path good = rrd("good.rrd", "rec-good");
    StatusRuntimeException s3 = assertThrows(StatusRuntimeException.class, () -> stub.registerWithDataset(registerRequest("s3://bucket/x.rrd")));
    assertEquals(Status.Code.INVALID_ARGUMENT, s3.getStatus().getCode());
    assertTrue(s3.getStatus().getDescription().contains("s3://bucket/x.rrd"), s3.getStatus().getDescription());
    StatusRuntimeException missing = assertThrows(StatusRuntimeException.class,
        () -> stub.registerWithDataset(registerRequest(good.toUri().toString(), "file:///no/such/file.rrd")));
    assertEquals(Status.Code.INVALID_ARGUMENT, missing.getStatus().getCode());
    assertTrue(missing.getStatus().getDescription().contains("/no/such/file.rrd"), missing.getStatus().getDescription());
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub.registerWithDataset(registerRequest("not a url"))));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub.registerWithDataset(registerRequest(dir.toUri().toString()))));
    Path notRrd = dir.resolve("notes.rrd");
    Files.writeString(notRrd, "hello");
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub.registerWithDataset(registerRequest(notRrd.toUri().toString()))));
    assertEquals(0, rerun.catalog.partitions(id(d)).size());
    assertEquals(0, rerun.catalog.tasks(id(d)).size(), "nothing was submitted");
  }

  @Test
  void registeringAPartitionTwiceIsAlreadyExists() throws IOException {
    DatasetEntry d = create("dup");
    Path one = rrd("one.rrd", "rec-1");
    Path copy = rrd("copy.rrd", "rec-1");
    var first = rerun.read(rerun.stub(id(d)).registerWithDataset(registerRequest(one.toUri().toString())).getData());
    awaitTasks(List.of(first.column("rerun_task_id").get(0).toString()), 30);
    StatusRuntimeException again = assertThrows(StatusRuntimeException.class,
        () -> rerun.stub(id(d)).registerWithDataset(registerRequest(copy.toUri().toString())));
    assertEquals(Status.Code.ALREADY_EXISTS, again.getStatus().getCode());
    assertTrue(again.getStatus().getDescription().contains("rec-1"), again.getStatus().getDescription());
    assertEquals(Status.Code.ALREADY_EXISTS, code(() -> rerun.stub(id(create("dup2"))).registerWithDataset(
        registerRequest(one.toUri().toString(), copy.toUri().toString()))));
  }

  @Test
  void registerPrefixFindsRrdFilesBelowTheDirectory() throws IOException {
    DatasetEntry d = create("prefix");
    rrd("tree/a.rrd", "rec-a");
    rrd("tree/sub/b.rrd", "rec-b");
    Files.writeString(dir.resolve("tree/readme.txt"), "not a recording");
    RegisterWithDatasetRequest request = RegisterWithDatasetRequest.newBuilder()
        .addDataSources(DataSource.newBuilder().setStorageUrl(dir.resolve("tree").toUri().toString()).setPrefix(true)
            .setTyp(DataSourceKind.DATA_SOURCE_KIND_RRD))
        .build();
    // One row for the prefix: its files are found by a background walk, so no partition id yet.
    RerunCloudHarness.Table rows = rerun.read(rerun.stub(id(d)).registerWithDataset(request).getData());
    assertEquals(List.of(""), rows.column("rerun_partition_id").stream().map(Object::toString).toList());
    String task = rows.column("rerun_task_id").get(0).toString();
    assertEquals(List.of("success"), rerun.read(awaitTasks(List.of(task), 30).get(0).getData()).column("exec_status"));
    assertEquals(List.of("rec-a", "rec-b"), rerun.catalog.partitions(id(d)).stream().map(p -> p.partitionId()).toList());
  }

  @Test
  void waitingForTasksPastTheTimeoutIsDeadlineExceeded() throws IOException {
    indexing = new CountDownLatch(1);
    DatasetEntry d = create("slow");
    Path one = rrd("slow.rrd", "rec-slow");
    String task = rerun.read(rerun.stub(id(d)).registerWithDataset(registerRequest(one.toUri().toString())).getData())
        .column("rerun_task_id").get(0).toString();
    StatusRuntimeException timeout = assertThrows(StatusRuntimeException.class, () -> awaitTasks(List.of(task), 1));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, timeout.getStatus().getCode());
    assertTrue(timeout.getStatus().getDescription().contains(task), timeout.getStatus().getDescription());

    RerunCloudHarness.Table now = rerun.read(rerun.stub().queryTasks(QueryTasksRequest.newBuilder().addIds(TaskId.newBuilder().setId(task)).build()).getData());
    assertTrue(List.of("pending", "running").contains(now.column("exec_status").get(0)), now.rows().toString());
    indexing.countDown();
    assertEquals(List.of("success"), rerun.read(awaitTasks(List.of(task), 30).get(0).getData()).column("exec_status"));
  }

  @Test
  void unknownTaskIdsAreNotFound() {
    assertEquals(Status.Code.NOT_FOUND, code(() -> awaitTasks(List.of("task_nope"), 1)));
    assertEquals(Status.Code.NOT_FOUND, code(() -> rerun.stub().queryTasks(QueryTasksRequest.newBuilder().addIds(TaskId.newBuilder().setId("task_nope")).build())));
  }

  // --- partition table ---------------------------------------------------------------------------

  @Test
  void partitionTableScanHonoursTheProjectionAndMatchesTheSchema() {
    DatasetEntry d = create("empty");
    Schema schema = rerun.schema(rerun.stub(id(d)).getPartitionTableSchema(GetPartitionTableSchemaRequest.getDefaultInstance()).getSchema());
    ScanPartitionTableResponse all = rerun.stub(id(d)).scanPartitionTable(ScanPartitionTableRequest.getDefaultInstance()).next();
    assertEquals(schema, rerun.read(all.getData()).schema());
    assertEquals(0, rerun.read(all.getData()).rows().size());
    ScanPartitionTableResponse ids = rerun.stub(id(d)).scanPartitionTable(ScanPartitionTableRequest.newBuilder()
        .addColumns("rerun_num_chunks").addColumns("rerun_partition_id").build()).next();
    assertEquals(List.of("rerun_num_chunks", "rerun_partition_id"), rerun.read(ids.getData()).schema().getFields().stream().map(Field::getName).toList());
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> rerun.stub(id(d)).scanPartitionTable(ScanPartitionTableRequest.newBuilder()
        .addColumns("nope").build()).next()));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> rerun.stub(id(d)).scanPartitionTable(ScanPartitionTableRequest.newBuilder()
        .addColumns("rerun_partition_id").addColumns("rerun_partition_id").build()).next()));
  }
}
