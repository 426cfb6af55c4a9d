package io.rrdflight.server.redap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Empty;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.rrdflight.catalog.EntryId;
import io.rrdflight.rrd.proto.Compression;
import io.rrdflight.rrd.proto.DataframePart;
import io.rrdflight.rrd.proto.EntityPath;
import io.rrdflight.rrd.proto.SegmentId;
import io.rrdflight.rrd.proto.TaskId;
import io.rrdflight.server.Fixtures;
import io.rrdflight.server.redap.wire.segments.ContentSelection;
import io.rrdflight.server.redap.wire.segments.CreateDatasetEntryRequest;
import io.rrdflight.server.redap.wire.segments.DataSource;
import io.rrdflight.server.redap.wire.segments.DataSourceKind;
import io.rrdflight.server.redap.wire.segments.EntitySelection;
import io.rrdflight.server.redap.wire.segments.EntitySelections;
import io.rrdflight.server.redap.wire.segments.FetchChunksRequest;
import io.rrdflight.server.redap.wire.segments.FillMode;
import io.rrdflight.server.redap.wire.segments.FindChunksRequest;
import io.rrdflight.server.redap.wire.segments.FindChunksResponse;
import io.rrdflight.server.redap.wire.segments.QueryTasksOnCompletionRequest;
import io.rrdflight.server.redap.wire.segments.RangeSelection;
import io.rrdflight.server.redap.wire.segments.ReadTableEntryRequest;
import io.rrdflight.server.redap.wire.segments.RegisterWithDatasetRequest;
import io.rrdflight.server.redap.wire.segments.RerunCloudServiceGrpc.RerunCloudServiceBlockingStub;
import io.rrdflight.server.redap.wire.segments.ScanSegmentTableRequest;
import io.rrdflight.server.redap.wire.segments.SegmentIds;
import io.rrdflight.server.redap.wire.segments.SegmentSelection;
import io.rrdflight.server.redap.wire.segments.StaticSelection;
import io.rrdflight.server.redap.wire.segments.TableDetails;
import io.rrdflight.server.redap.wire.segments.TableEntry;
import io.rrdflight.server.redap.wire.segments.UnregisterFromDatasetRequest;
import io.rrdflight.server.redap.wire.segments.UpdateTableEntryRequest;
import io.rrdflight.server.redap.wire.segments.WhoAmIRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The 0.28+ wire on a real gRPC server and real recordings: the vocabulary a client gets follows its
 * x-rerun-client-version, parts are LZ4-compressed for 0.29+ clients, FindChunks answers what the
 * 0.41 reader asks, and clients outside the supported range get one clear error. The harness checks
 * for leaked Arrow buffers when it closes.
 */
class SegmentsWireTest {
  static final String NEWEST = "rerun-py/0.41.0";
  static final Path FILE = Fixtures.path("dataset/rec-dataset-04.rrd");

  @TempDir Path dir;
  RerunCloudHarness rerun;
  EntryId dataset;

  @BeforeEach
  void registerOneRecording() throws Exception {
    rerun = new RerunCloudHarness(dir.resolve("data"), null, new RrdRecordingProbe());
    dataset = ProtoValues.fromProto(rerun.segmentsStub(NEWEST, null)
        .createDatasetEntry(CreateDatasetEntryRequest.newBuilder().setName("d").build()).getDataset().getDetails().getId());
    DataframePart registered = rerun.segmentsStub(NEWEST, dataset).registerWithDataset(RegisterWithDatasetRequest.newBuilder()
        .addDataSources(DataSource.newBuilder().setStorageUrl(FILE.toUri().toString()).setTyp(DataSourceKind.DATA_SOURCE_KIND_RRD))
        .build()).getData();
    RerunCloudHarness.Table rows = rerun.read(registered);
    assertEquals(List.of("rerun_segment_id", "rerun_segment_layer", "rerun_segment_type", "rerun_storage_url", "rerun_task_id"),
        rows.schema().getFields().stream().map(Field::getName).toList());
    String task = rows.column("rerun_task_id").get(0).toString();
    // 0.41's wait() sends no timeout: the server must wait, not time out at once.
    rerun.segmentsStub(NEWEST, null).queryTasksOnCompletion(QueryTasksOnCompletionRequest.newBuilder()
        .addIds(TaskId.newBuilder().setId(task)).build()).forEachRemaining(r -> { });
  }

  @AfterEach
  void close() throws Exception {
    rerun.close();
  }

  @Test
  void newestClientsGetSegmentWordsInCompressedParts() {
    DataframePart part = rerun.segmentsStub(NEWEST, dataset)
        .scanSegmentTable(ScanSegmentTableRequest.newBuilder().addColumns("rerun_segment_id").build()).next().getData();
    assertEquals(Compression.COMPRESSION_LZ4, part.getCompression());
    assertEquals(List.of("rec-dataset-04"), rerun.read(part).column("rerun_segment_id"));
  }

  @Test
  void clientsWithoutAVersionGetTheNewestWordsAndMayReadThemUncompressedToo() {
    DataframePart part = rerun.segmentsStub(null, dataset)
        .scanSegmentTable(ScanSegmentTableRequest.newBuilder().addColumns("rerun_segment_id").build()).next().getData();
    assertEquals(List.of("rec-dataset-04"), rerun.read(part).column("rerun_segment_id"));
    DataframePart of028 = rerun.segmentsStub("rerun-py/0.28.2", dataset)
        .scanSegmentTable(ScanSegmentTableRequest.newBuilder().addColumns("rerun_segment_id").build()).next().getData();
    assertEquals(Compression.COMPRESSION_UNSPECIFIED, of028.getCompression(), "0.28 predates compressed parts");
  }

  @Test
  void segmentTableHasEachTimelinesBounds() {
    RerunCloudHarness.Table table = rerun.read(rerun.segmentsStub(NEWEST, dataset)
        .scanSegmentTable(ScanSegmentTableRequest.getDefaultInstance()).next().getData());
    Field end = table.schema().findField("frame:end");
    assertEquals("end", end.getMetadata().get("rerun:index_marker"));
    long start = (Long) table.column("frame:start").get(0);
    assertTrue(start <= (Long) table.column("frame:end").get(0));
  }

  @Test
  void whoAmIGrantsFindChunks() {
    assertTrue(rerun.segmentsStub(NEWEST, null).whoAmI(WhoAmIRequest.getDefaultInstance()).getCapabilities().getCapabilitiesList()
        .contains("dataset:find_chunks"));
  }

  @Test
  void findChunksAnswersStaticAndRangeApartAndTheChunksFetch() {
    RerunCloudServiceBlockingStub stub = rerun.segmentsStub(NEWEST, dataset);
    SegmentSelection one = SegmentSelection.newBuilder()
        .setExplicit(SegmentIds.newBuilder().addIds(SegmentId.newBuilder().setId("rec-dataset-04"))).build();
    List<DataframePart> statics = parts(stub.findChunks(FindChunksRequest.newBuilder()
        .setContents(ContentSelection.newBuilder().setAll(Empty.getDefaultInstance()))
        .setStatic(StaticSelection.newBuilder().setSegments(one)).build()));
    List<DataframePart> range = parts(stub.findChunks(FindChunksRequest.newBuilder()
        .setContents(ContentSelection.newBuilder().setExplicit(EntitySelections.newBuilder()
            .addEntities(EntitySelection.newBuilder().setEntityPath(EntityPath.newBuilder().setPath("/obj1")).setAll(Empty.getDefaultInstance()))))
        .setRange(RangeSelection.newBuilder().setTimeline("log_time").setFillMode(FillMode.FILL_MODE_NONE).setSegments(one)).build()));
    RerunCloudHarness.Table staticRows = rerun.read(statics.get(0));
    assertTrue(staticRows.column("chunk_is_static").stream().allMatch(Boolean.TRUE::equals));
    RerunCloudHarness.Table rangeRows = rerun.read(range.get(0));
    assertFalse(rangeRows.rows().isEmpty());
    assertTrue(rangeRows.column("chunk_entity_path").stream().allMatch("/obj1"::equals));
    assertTrue(rangeRows.column("chunk_is_static").stream().noneMatch(Boolean.TRUE::equals));
    assertEquals(List.of("chunk_id", "chunk_segment_id", "rerun_segment_layer", "chunk_key", "chunk_entity_path", "chunk_is_static",
        "chunk_byte_len", "chunk_byte_size_uncompressed", "chunk_timeline_start", "rerun_layer_direct_url",
        "rerun_layer_direct_url_expires_at"), rangeRows.schema().getFields().stream().map(Field::getName).toList());
    // The rows go back as they came (compressed, as the 0.41 client sends them).
    int fetched = 0;
    var answers = stub.fetchChunks(FetchChunksRequest.newBuilder().addChunkInfos(range.get(0)).build());
    while (answers.hasNext()) {
      fetched += answers.next().getChunksCount();
    }
    assertEquals(rangeRows.rows().size(), fetched);
  }

  @Test
  void anUnboundedRangeIsEveryChunkOfTheContentsOnTheIndexOrNot() {
    // /robot/joint_1 has chunks on frame and sim_time only; its ancestor /robot holds a recursive
    // Clear on log_tick. Rerun's server hands out the joint's chunks for an unbounded log_tick range
    // (its reader then empties the joint's column at the Clear), and only the chunks a bounded
    // range needs otherwise.
    RerunCloudServiceBlockingStub stub = rerun.segmentsStub(NEWEST, dataset);
    ContentSelection joint = ContentSelection.newBuilder().setExplicit(EntitySelections.newBuilder()
        .addEntities(EntitySelection.newBuilder().setEntityPath(EntityPath.newBuilder().setPath("/robot/joint_1")).setAll(Empty.getDefaultInstance())))
        .build();
    for (FillMode fill : List.of(FillMode.FILL_MODE_NONE, FillMode.FILL_MODE_LATEST_AT)) {
      RerunCloudHarness.Table unbounded = rerun.read(parts(stub.findChunks(FindChunksRequest.newBuilder().setContents(joint)
          .setRange(RangeSelection.newBuilder().setTimeline("log_tick").setFillMode(fill)).build())).get(0));
      assertFalse(unbounded.rows().isEmpty(), fill.toString());
      assertTrue(unbounded.column("chunk_timeline_start").stream().allMatch(java.util.Objects::isNull), "no chunk of the joint is on log_tick");
    }
    RerunCloudHarness.Table bounded = rerun.read(parts(stub.findChunks(FindChunksRequest.newBuilder().setContents(joint)
        .setRange(RangeSelection.newBuilder().setTimeline("log_tick").setStartInclusive(0).setEndInclusive(Long.MAX_VALUE)
            .setFillMode(FillMode.FILL_MODE_NONE)).build())).get(0));
    assertEquals(List.of(), bounded.rows());
  }

  @Test
  void unregisterDropsTheSegmentAndIsIdempotent() {
    RerunCloudServiceBlockingStub stub = rerun.segmentsStub(NEWEST, dataset);
    assertEquals(SegmentsWire.DONE_TASK_ID, stub.unregisterFromDataset(
        UnregisterFromDatasetRequest.newBuilder().addSegmentsToDrop(SegmentId.newBuilder().setId("nope")).build()).next().getTaskId().getId());
    String task = stub.unregisterFromDataset(UnregisterFromDatasetRequest.newBuilder()
        .addSegmentsToDrop(SegmentId.newBuilder().setId("rec-dataset-04")).build()).next().getTaskId().getId();
    assertEquals(SegmentsWire.DONE_TASK_ID, task);
    assertEquals(List.of(), rerun.read(stub.scanSegmentTable(ScanSegmentTableRequest.newBuilder().addColumns("rerun_segment_id").build())
        .next().getData()).rows());
  }

  @Test
  void clientsOutsideTheRangeAreToldTheRange() {
    StatusRuntimeException old = assertThrows(StatusRuntimeException.class,
        () -> rerun.segmentsStub("rerun-py/0.26.2", null).whoAmI(WhoAmIRequest.getDefaultInstance()));
    assertEquals(Status.Code.FAILED_PRECONDITION, old.getStatus().getCode());
    assertTrue(old.getStatus().getDescription().contains(ClientVersion.SUPPORTED_RANGE), old.getStatus().getDescription());
    assertTrue(old.getStatus().getDescription().contains("rerun-py/0.26.2"));
    StatusRuntimeException newer = assertThrows(StatusRuntimeException.class,
        () -> rerun.segmentsStub("rerun-py/0.42.0", null).whoAmI(WhoAmIRequest.getDefaultInstance()));
    assertEquals(Status.Code.FAILED_PRECONDITION, newer.getStatus().getCode());
  }

  @Test
  void aZeroTwentySevenClientCallingASegmentsOnlyMethodIsToldWhy() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> rerun.segmentsStub("rerun-py/0.27.3", null).whoAmI(WhoAmIRequest.getDefaultInstance()));
    assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("WhoAmI"), e.getStatus().getDescription());
  }

  @Test
  void badChunkQuestionsAreInvalidArgumentsAndChangeNothing() {
    RerunCloudServiceBlockingStub stub = rerun.segmentsStub(NEWEST, dataset);
    List<FindChunksRequest> bad = List.of(
        FindChunksRequest.newBuilder().setRange(RangeSelection.newBuilder().setTimeline("log_time").setStartInclusive(10).setEndInclusive(5)).build(),
        FindChunksRequest.newBuilder().setRange(RangeSelection.newBuilder().setTimeline("")).build(),
        FindChunksRequest.newBuilder().setRange(RangeSelection.newBuilder().setTimeline("log_time").setFillMode(FillMode.FILL_MODE_EARLIEST_AT)).build());
    for (FindChunksRequest request : bad) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> parts(stub.findChunks(request)));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), request.toString());
    }
    // A compressed part that claims more than any request needs, and one that is not LZ4 at all.
    DataframePart huge = DataframePart.newBuilder().setEncoderVersionValue(1).setCompression(Compression.COMPRESSION_LZ4)
        .setUncompressedSize(1L << 40).setPayload(com.google.protobuf.ByteString.copyFromUtf8("x")).build();
    DataframePart garbage = huge.toBuilder().setUncompressedSize(100).setPayload(com.google.protobuf.ByteString.copyFrom(new byte[] {(byte) 0xF0})).build();
    for (DataframePart part : List.of(huge, garbage)) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> stub.fetchChunks(FetchChunksRequest.newBuilder().addChunkInfos(part).build()).forEachRemaining(r -> { }));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    }
    assertEquals(List.of("rec-dataset-04"), rerun.read(stub.scanSegmentTable(ScanSegmentTableRequest.newBuilder().addColumns("rerun_segment_id").build())
        .next().getData()).column("rerun_segment_id"));
  }

  // --- tables' blueprint datasets (0.41) ----------------------------------------------------------

  private static Status.Code code(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
  }

  private static UpdateTableEntryRequest setDefault(TableEntry table, String segment) {
    TableDetails.Builder details = table.getTableDetails().toBuilder();
    if (segment == null) {
      details.clearDefaultBlueprintSegment();
    } else {
      details.setDefaultBlueprintSegment(SegmentId.newBuilder().setId(segment));
    }
    return UpdateTableEntryRequest.newBuilder().setId(table.getDetails().getId()).setTableDetails(details).build();
  }

  @Test
  void updateTableEntrySetsAndClearsTheDefaultBlueprintOfTheTablesOwnBlueprintDataset() throws Exception {
    io.rrdflight.catalog.Table made;
    try (org.apache.arrow.memory.BufferAllocator allocator = new org.apache.arrow.memory.RootAllocator()) {
      made = rerun.catalog.createTable("labels", java.util.Optional.empty(), new org.apache.arrow.vector.types.pojo.Schema(List.of(
          Field.nullable("n", new org.apache.arrow.vector.types.pojo.ArrowType.Int(64, true)))), allocator);
    }
    RerunCloudServiceBlockingStub stub = rerun.segmentsStub(NEWEST, null);
    TableEntry table = stub.readTableEntry(ReadTableEntryRequest.newBuilder().setId(ProtoValues.toProto(made.id())).build()).getTable();
    assertEquals(ProtoValues.toProto(made.blueprintDataset().orElseThrow()), table.getTableDetails().getBlueprintDataset());
    assertFalse(table.getTableDetails().hasDefaultBlueprintSegment());

    TableEntry set = stub.updateTableEntry(setDefault(table, "bp-1")).getTable();
    assertEquals("bp-1", set.getTableDetails().getDefaultBlueprintSegment().getId());
    assertEquals(table.getTableDetails().getBlueprintDataset(), set.getTableDetails().getBlueprintDataset());
    assertEquals("labels", set.getDetails().getName());
    assertEquals(set.getTableDetails(), stub.readTableEntry(ReadTableEntryRequest.newBuilder().setId(table.getDetails().getId()).build())
        .getTable().getTableDetails());
    assertFalse(stub.updateTableEntry(setDefault(set, null)).getTable().getTableDetails().hasDefaultBlueprintSegment());

    UpdateTableEntryRequest good = setDefault(table, "bp-2");
    StatusRuntimeException other = assertThrows(StatusRuntimeException.class, () -> stub.updateTableEntry(good.toBuilder()
        .setTableDetails(good.getTableDetails().toBuilder().setBlueprintDataset(ProtoValues.toProto(dataset))).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, other.getStatus().getCode());
    assertTrue(other.getStatus().getDescription().contains("cannot be changed"), other.getStatus().getDescription());
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub.updateTableEntry(good.toBuilder()
        .setId(ProtoValues.toProto(Entries.ENTRIES_TABLE_ID)).build())));
    assertEquals(Status.Code.NOT_FOUND, code(() -> stub.updateTableEntry(good.toBuilder().setId(ProtoValues.toProto(dataset)).build())));
    assertFalse(rerun.catalog.table(made.id()).defaultBlueprint().isPresent(), "nothing changed");

    // As in Rerun: a table whose blueprint dataset was deleted on its own keeps naming it, and its default is refused.
    rerun.catalog.deleteDataset(made.blueprintDataset().orElseThrow());
    StatusRuntimeException gone = assertThrows(StatusRuntimeException.class, () -> stub.updateTableEntry(good));
    assertEquals(Status.Code.INVALID_ARGUMENT, gone.getStatus().getCode());
    assertEquals("table blueprint dataset does not exist: Entry id '" + made.blueprintDataset().orElseThrow().toHex() + "' not found",
        gone.getStatus().getDescription());
  }

  private static List<DataframePart> parts(java.util.Iterator<FindChunksResponse> answers) {
    List<DataframePart> parts = new ArrayList<>();
    answers.forEachRemaining(r -> parts.add(r.getData()));
    return parts;
  }
}
