package io.rrdflight.server.redap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.rrdflight.catalog.EntryId;
import io.rrdflight.rrd.proto.DataframePart;
import io.rrdflight.rrd.proto.DatasetKind;
import io.rrdflight.rrd.proto.SegmentId;
import io.rrdflight.server.redap.wire.segments.CreateDatasetEntryRequest;
import io.rrdflight.server.redap.wire.segments.DatasetEntry;
import io.rrdflight.server.redap.wire.segments.DeleteEntryRequest;
import io.rrdflight.server.redap.wire.segments.DeleteSegmentPropertiesRequest;
import io.rrdflight.server.redap.wire.segments.EntryDetails;
import io.rrdflight.server.redap.wire.segments.EntryFilter;
import io.rrdflight.server.redap.wire.segments.EntryKind;
import io.rrdflight.server.redap.wire.segments.FindEntriesRequest;
import io.rrdflight.server.redap.wire.segments.GetAssetsForSegmentRequest;
import io.rrdflight.server.redap.wire.segments.GetAssetsForSegmentResponse;
import io.rrdflight.server.redap.wire.segments.GetSegmentPropertiesRequest;
import io.rrdflight.server.redap.wire.segments.ReadDatasetEntryRequest;
import io.rrdflight.server.redap.wire.segments.RerunCloudServiceGrpc.RerunCloudServiceBlockingStub;
import io.rrdflight.server.redap.wire.segments.SegmentProperties;
import io.rrdflight.server.redap.wire.segments.SegmentPropertiesDeletion;
import io.rrdflight.server.redap.wire.segments.SetSegmentPropertiesRequest;
import io.rrdflight.server.redap.wire.segments.UpdateDatasetEntryRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Asset datasets and segment properties on the 0.28+ wire, as rerun-sdk 0.41 uses them: the asset
 * dataset CreateDatasetEntry makes, who is shown it, how an update restores it, and the property
 * calls register_asset makes. Registering assets themselves is tested with real recordings against
 * rerun server 0.41 in src/test/python-newest/test_rerun041_assets.py.
 */
class AssetDatasetsWireTest {
  static final String NEWEST = "rerun-py/0.41.0";
  static final String BEFORE_ASSETS = "rerun-py/0.34.1";

  @TempDir Path dir;
  RerunCloudHarness rerun;
  DatasetEntry created;
  EntryId dataset;

  @BeforeEach
  void createDataset() throws Exception {
    rerun = new RerunCloudHarness(dir.resolve("data"), null, new RrdRecordingProbe());
    created = rerun.segmentsStub(NEWEST, null).createDatasetEntry(CreateDatasetEntryRequest.newBuilder().setName("d").build()).getDataset();
    dataset = ProtoValues.fromProto(created.getDetails().getId());
  }

  @AfterEach
  void close() throws Exception {
    rerun.close();
  }

  private EntryId assetDataset() {
    assertTrue(created.getDatasetDetails().hasAssetDataset(), "CreateDatasetEntry names the asset dataset");
    return ProtoValues.fromProto(created.getDatasetDetails().getAssetDataset());
  }

  private List<EntryDetails> listed(String client) {
    return rerun.segmentsStub(client, null).findEntries(FindEntriesRequest.newBuilder().setFilter(EntryFilter.getDefaultInstance()).build())
        .getEntriesList();
  }

  @Test
  void createDatasetEntryMakesAnAssetDatasetOfKindAssetNamedAfterTheDataset() {
    DatasetEntry assets = rerun.segmentsStub(NEWEST, assetDataset()).readDatasetEntry(ReadDatasetEntryRequest.getDefaultInstance()).getDataset();
    assertEquals("__as_" + dataset.toHex(), assets.getDetails().getName());
    assertEquals(EntryKind.ENTRY_KIND_ASSET_DATASET, assets.getDetails().getEntryKind());
    assertEquals(DatasetKind.DATASET_KIND_ASSET, assets.getDatasetHandle().getDatasetKind());
    assertFalse(assets.getDatasetDetails().hasAssetDataset() || assets.getDatasetDetails().hasBlueprintDataset(),
        "an asset dataset has no companions of its own");
    List<EntryDetails> found = rerun.segmentsStub(NEWEST, null).findEntries(FindEntriesRequest.newBuilder()
        .setFilter(EntryFilter.newBuilder().addEntryKinds(EntryKind.ENTRY_KIND_ASSET_DATASET)).build()).getEntriesList();
    assertEquals(List.of(assets.getDetails().getName()), found.stream().map(EntryDetails::getName).toList());
  }

  @Test
  void clientsBeforeAssetDatasetsAreNeitherShownNorToldOfThem() {
    assertTrue(listed(NEWEST).stream().anyMatch(e -> e.getEntryKind() == EntryKind.ENTRY_KIND_ASSET_DATASET));
    assertTrue(listed(BEFORE_ASSETS).stream().noneMatch(e -> e.getName().startsWith("__as_")));
    DatasetEntry seen = rerun.segmentsStub(BEFORE_ASSETS, dataset).readDatasetEntry(ReadDatasetEntryRequest.getDefaultInstance()).getDataset();
    assertFalse(seen.getDatasetDetails().hasAssetDataset());
  }

  @Test
  void deletingTheDatasetDeletesItsAssetDataset() {
    EntryId assets = assetDataset();
    rerun.segmentsStub(NEWEST, null).deleteEntry(DeleteEntryRequest.newBuilder().setId(ProtoValues.toProto(dataset)).build());
    StatusRuntimeException gone = assertThrows(StatusRuntimeException.class,
        () -> rerun.segmentsStub(NEWEST, assets).readDatasetEntry(ReadDatasetEntryRequest.getDefaultInstance()));
    assertEquals(Status.Code.NOT_FOUND, gone.getStatus().getCode());
    assertTrue(listed(NEWEST).stream().noneMatch(e -> ProtoValues.fromProto(e.getId()).equals(assets)));
  }

  @Test
  void anUpdateCarryingTheDetailsGivesADatasetWithoutAssetDatasetANewOne() {
    EntryId first = assetDataset();
    rerun.catalog.deleteDataset(first); // what a dataset made before asset datasets looks like
    DatasetEntry read = rerun.segmentsStub(NEWEST, dataset).readDatasetEntry(ReadDatasetEntryRequest.getDefaultInstance()).getDataset();
    assertFalse(read.getDatasetDetails().hasAssetDataset());
    DatasetEntry updated = rerun.segmentsStub(NEWEST, dataset).updateDatasetEntry(UpdateDatasetEntryRequest.newBuilder()
        .setId(ProtoValues.toProto(dataset)).setDatasetDetails(read.getDatasetDetails()).build()).getDataset();
    assertTrue(updated.getDatasetDetails().hasAssetDataset());
    assertFalse(ProtoValues.fromProto(updated.getDatasetDetails().getAssetDataset()).equals(first));
    assertEquals(updated.getDatasetDetails().getBlueprintDataset(), created.getDatasetDetails().getBlueprintDataset(), "the rest is kept");
    StatusRuntimeException moved = assertThrows(StatusRuntimeException.class, () -> rerun.segmentsStub(NEWEST, dataset)
        .updateDatasetEntry(UpdateDatasetEntryRequest.newBuilder().setId(ProtoValues.toProto(dataset))
            .setDatasetDetails(read.getDatasetDetails().toBuilder().setAssetDataset(created.getDatasetDetails().getBlueprintDataset())).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, moved.getStatus().getCode());
  }

  /** One row of one list-of-string column, as register_asset writes the asset property. */
  private DataframePart properties(int rows) {
    return properties(rows, "OptIn");
  }

  private DataframePart properties(int rows, String value) {
    try (VectorSchemaRoot root = VectorSchemaRoot.of(new VarCharVector("property:asset:mode", rerun.root))) {
      VarCharVector mode = (VarCharVector) root.getVector(0);
      mode.allocateNew();
      for (int i = 0; i < rows; i++) {
        mode.setSafe(i, value.getBytes());
      }
      root.setRowCount(rows);
      return ArrowIpc.dataframePart(root, null);
    }
  }

  @Test
  void segmentPropertiesAreWrittenReadBackAndGuardedByTheirRevision() {
    RerunCloudServiceBlockingStub assets = rerun.segmentsStub(NEWEST, assetDataset());
    SegmentId mesh = SegmentId.newBuilder().setId("mesh").build();
    long revision = assets.setSegmentProperties(SetSegmentPropertiesRequest.newBuilder().setSegmentId(mesh).setProperties(properties(1))
        .setExpectedRevision(0).build()).getRevision();
    List<SegmentProperties> read = new ArrayList<>();
    assets.getSegmentProperties(GetSegmentPropertiesRequest.newBuilder().addSegmentIds(mesh).addSegmentIds(SegmentId.newBuilder().setId("none"))
        .build()).forEachRemaining(r -> read.addAll(r.getSegmentsList()));
    assertEquals(1, read.size(), "a segment without properties is left out");
    assertEquals(revision, read.get(0).getRevision());
    assertEquals(List.of("OptIn"), rerun.read(read.get(0).getProperties()).column("property:asset:mode").stream().map(Object::toString).toList());

    StatusRuntimeException stale = assertThrows(StatusRuntimeException.class, () -> assets.setSegmentProperties(SetSegmentPropertiesRequest
        .newBuilder().setSegmentId(mesh).setProperties(properties(1)).setExpectedRevision(0).build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, stale.getStatus().getCode());
    StatusRuntimeException twoRows = assertThrows(StatusRuntimeException.class, () -> assets.setSegmentProperties(SetSegmentPropertiesRequest
        .newBuilder().setSegmentId(mesh).setProperties(properties(2)).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, twoRows.getStatus().getCode());
    assertTrue(twoRows.getStatus().getDescription().contains("2 rows"), twoRows.getStatus().getDescription());
    StatusRuntimeException garbage = assertThrows(StatusRuntimeException.class, () -> assets.setSegmentProperties(SetSegmentPropertiesRequest
        .newBuilder().setSegmentId(mesh).setProperties(DataframePart.newBuilder().setPayload(com.google.protobuf.ByteString.copyFromUtf8("x"))).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, garbage.getStatus().getCode());
    StatusRuntimeException tooLarge = assertThrows(StatusRuntimeException.class, () -> assets.setSegmentProperties(SetSegmentPropertiesRequest
        .newBuilder().setSegmentId(mesh).setProperties(ArrowIpc.compressed(properties(1, "x".repeat(SegmentPropertyBatches.MAX_BYTES)))).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, tooLarge.getStatus().getCode(), tooLarge.getStatus().getDescription());
    assertTrue(tooLarge.getStatus().getDescription().contains("a segment's properties may take"), tooLarge.getStatus().getDescription());

    assets.deleteSegmentProperties(DeleteSegmentPropertiesRequest.newBuilder()
        .addSegments(SegmentPropertiesDeletion.newBuilder().setSegmentId(mesh).setExpectedRevision(revision)).build());
    List<SegmentProperties> after = new ArrayList<>();
    assets.getSegmentProperties(GetSegmentPropertiesRequest.newBuilder().addSegmentIds(mesh).build())
        .forEachRemaining(r -> after.addAll(r.getSegmentsList()));
    assertTrue(after.isEmpty());
  }

  @Test
  void aSegmentNamedManyTimesIsAnsweredOnceAndAnAnswerBeyondItsLimitIsRefused() {
    RerunCloudServiceBlockingStub assets = rerun.segmentsStub(NEWEST, assetDataset());
    SegmentId big = SegmentId.newBuilder().setId("big").build();
    assets.setSegmentProperties(SetSegmentPropertiesRequest.newBuilder().setSegmentId(big).setProperties(properties(1, "x".repeat(3 << 20))).build());
    GetSegmentPropertiesRequest.Builder often = GetSegmentPropertiesRequest.newBuilder();
    for (int i = 0; i < 40; i++) {
      often.addSegmentIds(big);
    }
    List<SegmentProperties> read = new ArrayList<>();
    assets.getSegmentProperties(often.build()).forEachRemaining(r -> read.addAll(r.getSegmentsList()));
    assertEquals(1, read.size(), "one answer per segment, however often it is named");

    GetSegmentPropertiesRequest.Builder many = GetSegmentPropertiesRequest.newBuilder();
    long written = 0;
    for (int i = 0; written <= SegmentPropertyBatches.MAX_ANSWER_BYTES; i++) {
      SegmentId id = SegmentId.newBuilder().setId("big-" + i).build();
      assets.setSegmentProperties(SetSegmentPropertiesRequest.newBuilder().setSegmentId(id)
          .setProperties(ArrowIpc.compressed(properties(1, "x".repeat(SegmentPropertyBatches.MAX_BYTES - 1024)))).build());
      many.addSegmentIds(id);
      written += SegmentPropertyBatches.MAX_BYTES - 1024;
    }
    StatusRuntimeException tooMuch = assertThrows(StatusRuntimeException.class, () -> assets.getSegmentProperties(many.build()).forEachRemaining(r -> { }));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, tooMuch.getStatus().getCode(), tooMuch.getStatus().getDescription());
    assertTrue(tooMuch.getStatus().getDescription().contains("ask for fewer segments"), tooMuch.getStatus().getDescription());
  }

  @Test
  void deletingSeveralSegmentsPropertiesIsAllOrNothing() {
    RerunCloudServiceBlockingStub assets = rerun.segmentsStub(NEWEST, assetDataset());
    SegmentId a = SegmentId.newBuilder().setId("a").build();
    SegmentId b = SegmentId.newBuilder().setId("b").build();
    assets.setSegmentProperties(SetSegmentPropertiesRequest.newBuilder().setSegmentId(a).setProperties(properties(1)).build());
    long revisionOfB = assets.setSegmentProperties(SetSegmentPropertiesRequest.newBuilder().setSegmentId(b).setProperties(properties(1)).build())
        .getRevision();
    StatusRuntimeException stale = assertThrows(StatusRuntimeException.class, () -> assets.deleteSegmentProperties(
        DeleteSegmentPropertiesRequest.newBuilder()
            .addSegments(SegmentPropertiesDeletion.newBuilder().setSegmentId(a))
            .addSegments(SegmentPropertiesDeletion.newBuilder().setSegmentId(b).setExpectedRevision(revisionOfB + 1)).build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, stale.getStatus().getCode());
    List<SegmentProperties> kept = new ArrayList<>();
    assets.getSegmentProperties(GetSegmentPropertiesRequest.newBuilder().addSegmentIds(a).addSegmentIds(b).build())
        .forEachRemaining(r -> kept.addAll(r.getSegmentsList()));
    assertEquals(List.of("a", "b"), kept.stream().map(k -> k.getSegmentId().getId()).toList(), "a stale revision keeps every segment's properties");
  }

  @Test
  void propertiesAreOneBatchOfOneRowAndAnOversizedLz4PartIsRefusedByItsStatedSize() throws Exception {
    RerunCloudServiceBlockingStub assets = rerun.segmentsStub(NEWEST, assetDataset());
    SegmentId mesh = SegmentId.newBuilder().setId("mesh").build();
    java.io.ByteArrayOutputStream twoBatches = new java.io.ByteArrayOutputStream();
    try (VectorSchemaRoot root = VectorSchemaRoot.of(new VarCharVector("property:asset:mode", rerun.root));
        org.apache.arrow.vector.ipc.ArrowStreamWriter writer = new org.apache.arrow.vector.ipc.ArrowStreamWriter(root, null,
            java.nio.channels.Channels.newChannel(twoBatches))) {
      writer.start();
      root.setRowCount(0);
      writer.writeBatch();
      ((VarCharVector) root.getVector(0)).setSafe(0, "OptIn".getBytes());
      root.setRowCount(1);
      writer.writeBatch();
      writer.end();
    }
    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> assets.setSegmentProperties(SetSegmentPropertiesRequest
        .newBuilder().setSegmentId(mesh).setProperties(DataframePart.newBuilder().setEncoderVersion(io.rrdflight.rrd.proto.EncoderVersion.ENCODER_VERSION_V0)
            .setPayload(com.google.protobuf.ByteString.copyFrom(twoBatches.toByteArray()))).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
    assertTrue(refused.getStatus().getDescription().contains("1 rows in 2 batches"), refused.getStatus().getDescription());

    // A part that says it decompresses past the limit is refused on its word, not after decompressing it.
    StatusRuntimeException tooLarge = assertThrows(StatusRuntimeException.class, () -> assets.setSegmentProperties(SetSegmentPropertiesRequest
        .newBuilder().setSegmentId(mesh).setProperties(properties(1).toBuilder().setCompression(io.rrdflight.rrd.proto.Compression.COMPRESSION_LZ4)
            .setUncompressedSize(SegmentPropertyBatches.MAX_BYTES + 1L)).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, tooLarge.getStatus().getCode());
    assertTrue(tooLarge.getStatus().getDescription().contains((SegmentPropertyBatches.MAX_BYTES + 1L) + " bytes"), tooLarge.getStatus().getDescription());
  }

  @Test
  void assetsForASegmentNameTheAssetDatasetEvenWithoutAssets() {
    List<GetAssetsForSegmentResponse> answer = new ArrayList<>();
    rerun.segmentsStub(NEWEST, dataset).getAssetsForSegment(GetAssetsForSegmentRequest.newBuilder()
        .setSegmentId(SegmentId.newBuilder().setId("rec-1")).build()).forEachRemaining(answer::add);
    assertEquals(1, answer.size());
    assertEquals(assetDataset(), ProtoValues.fromProto(answer.get(0).getAssetsEntry()));
    assertEquals(0, answer.get(0).getAssetSegmentIdsCount());
    List<GetAssetsForSegmentResponse> ofAssets = new ArrayList<>();
    rerun.segmentsStub(NEWEST, assetDataset()).getAssetsForSegment(GetAssetsForSegmentRequest.getDefaultInstance()).forEachRemaining(ofAssets::add);
    assertTrue(ofAssets.isEmpty(), "an asset dataset has no assets of its own");
  }
}
