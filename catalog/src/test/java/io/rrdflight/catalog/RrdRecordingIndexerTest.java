package io.rrdflight.catalog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.rrd.ChunkIndex;
import io.rrdflight.rrd.NoLeaks;
import io.rrdflight.rrd.Store;
import io.rrdflight.rrd.StoreKind;
import io.rrdflight.rrd.TimelineKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Registration reads of real SDK-written files: recordings, counts and the dataframe schema. */
@ExtendWith(NoLeaks.class)
class RrdRecordingIndexerTest {
  private BufferAllocator allocator;

  @BeforeEach
  void open(BufferAllocator allocator) {
    this.allocator = allocator;
  }

  static Path fixture(String relative) {
    Path root = Path.of(System.getProperty("rrdflight.fixtures", "fixtures"));
    Path p = root.resolve(relative);
    if (!Files.exists(p)) {
      throw new IllegalStateException("fixture missing: " + p + " (run scripts/gen-fixtures)");
    }
    return p;
  }

  @Test
  void datasetRecordingHasRerunsDataframeColumns() throws Exception {
    List<IndexedRecording> recs = indexFile(new RrdRecordingIndexer(allocator), fixture("dataset/rec-dataset-01.rrd"), StoreKind.RECORDING);
    assertEquals(1, recs.size());
    IndexedRecording r = recs.get(0);
    assertEquals("rec-dataset-01", r.recordingId());
    assertEquals("rrdflight_dataset", r.applicationId());
    assertTrue(r.chunkCount() > 0 && r.rowCount() > 0);

    DatasetSchema schema = r.schema();
    assertEquals(TimelineKind.TIMESTAMP, schema.timeline("time_1").orElseThrow().kind());
    assertEquals(TimelineKind.DURATION, schema.timeline("time_2").orElseThrow().kind());
    assertEquals(TimelineKind.SEQUENCE, schema.timeline("time_3").orElseThrow().kind());

    Schema arrow = schema.toArrow();
    assertEquals("rerun.controls.RowId", arrow.getFields().get(0).getName());
    var positions = arrow.findField("/obj1:Points3D:positions");
    assertTrue(positions.getType() instanceof ArrowType.List, positions.toString());
    assertEquals("item", positions.getChildren().get(0).getName(), "list items keep the name the chunks use");
    assertEquals("data", positions.getMetadata().get("rerun:kind"));
    assertEquals("/obj1", positions.getMetadata().get("rerun:entity_path"));
    assertEquals("Points3D:positions", positions.getMetadata().get("rerun:component"));
    assertEquals("rerun.archetypes.Points3D", positions.getMetadata().get("rerun:archetype"));
    assertFalse(positions.getMetadata().containsKey("rerun:is_static"));
    var text = arrow.findField("/text1:TextDocument:text");
    assertEquals("true", text.getMetadata().get("rerun:is_static"));
    var property = arrow.findField("property:RecordingInfo:start_time");
    assertEquals("/__properties", property.getMetadata().get("rerun:entity_path"));
  }

  @Test
  void schemaFromTheFooterEqualsTheSchemaFromTheChunks() throws Exception {
    Path file = fixture("versions/rerun-0.41.0.rrd");
    ChunkIndex index = ChunkIndex.build(file, allocator);
    assertEquals(ChunkIndex.Source.FOOTER, index.source());

    for (Store store : index.recordings()) {
      ChunkIndex own = index.forStore(store.id());
      // A source that refuses every read: reading any chunk would fail, so the footer alone must do.
      DatasetSchema fromFooter = RecordingSchemaReader.read(own, new Unreadable());
      ChunkIndex withoutFooterSchema = ChunkIndex.fromBytes(own.toBytes(), file);
      assertTrue(withoutFooterSchema.footerSchema(store.id()).isEmpty());
      DatasetSchema fromChunks = readSchema(withoutFooterSchema, file);

      assertFalse(fromChunks.components().isEmpty());
      assertEquals(fromChunks, fromFooter);
    }
  }

  @Test
  void aFooterFileIsStoredAsAReferenceThatReadsBackAsTheWholeIndex() throws Exception {
    Path file = fixture("versions/rerun-0.41.0.rrd");
    RrdRecordingIndexer indexer = new RrdRecordingIndexer(allocator);
    List<IndexedRecording> recs = indexFile(indexer, file, StoreKind.RECORDING);
    ChunkIndex eager = ChunkIndex.build(file, allocator);
    assertFalse(recs.isEmpty());
    for (IndexedRecording r : recs) {
      ChunkIndex own = ownIndex(eager, r.recordingId());
      assertTrue(r.chunkIndex().length < own.toBytes().length / 10,
          "the reference is short: " + r.chunkIndex().length + " bytes vs " + own.toBytes().length);
      // Read back lazily (what the first query does) it is the index registration saw, chunk for chunk.
      ChunkIndex lazy = indexer.chunkIndex(r.chunkIndex(), file.toString());
      assertEquals(own.chunks(), lazy.chunks());
      assertEquals(own.stores(), lazy.stores());
      assertEquals(own.streams(), lazy.streams());
      assertEquals(ChunkIndex.Source.FOOTER, lazy.source());
      assertEquals(r.chunkCount(), lazy.chunks().size());
      assertEquals(r.sizeBytes(), PartitionSizeBytes.of(lazy.chunks()));
      // ... and equal to the whole index stored the old way, so lazily and eagerly indexed partitions answer alike.
      assertEquals(ChunkIndex.fromBytes(own.toBytes(), file.toString(), allocator).chunks(), lazy.chunks());
    }
  }

  @Test
  void aCatalogReopenedAfterTheTaskFinishedReadsTheSameChunksFromTheFooter(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Path file = Files.copy(fixture("versions/rerun-0.41.0.rrd"), dir.resolve("v41.rrd"));
    Path data = dir.resolve("data");
    ChunkIndex eager = ChunkIndex.build(file, allocator);
    List<io.rrdflight.rrd.IndexedChunk> expected = eager.forStore(eager.recordings().get(0).id()).chunks();
    EntryId dataset;
    // No query before the catalog goes: the index was never built from the reference in this process.
    try (Catalog c = Catalog.open(data, new RrdRecordingIndexer(allocator), 1)) {
      dataset = c.createDataset("v41").id();
      Task t = c.register(dataset, DataSource.of(file.toUri().toString(), null), OnDuplicate.ERROR, java.time.Duration.ofSeconds(30));
      assertEquals(TaskStatus.SUCCESS, t.status(), t.message());
    }
    try (Catalog c = Catalog.open(data, new RrdRecordingIndexer(allocator), 1)) {
      Partition p = c.partitions(dataset).get(0);
      assertEquals(expected.size(), p.chunkCount());
      assertEquals(expected, c.chunks(p).chunks());
      assertEquals(expected, c.chunks(p).chunks(), "cached on first use");
    }
  }

  @Test
  void aFooterFileIsRegisteredFromItsFootersTotalsAsItsWholeIndexWouldRegisterIt() throws Exception {
    Path file = fixture("versions/rerun-0.41.0.rrd");
    ChunkIndex eager = ChunkIndex.build(file, allocator);
    List<IndexedRecording> recs = indexFile(new RrdRecordingIndexer(allocator), file, StoreKind.RECORDING);
    assertEquals(eager.recordings().size(), recs.size());
    for (IndexedRecording r : recs) {
      ChunkIndex own = ownIndex(eager, r.recordingId());
      assertEquals(own.stores().get(0).applicationId(), r.applicationId());
      assertEquals(own.chunks().size(), r.chunkCount());
      assertEquals(own.chunks().stream().mapToLong(io.rrdflight.rrd.IndexedChunk::rowCount).sum(), r.rowCount());
      assertEquals(PartitionSizeBytes.of(own.chunks()), r.sizeBytes());
      assertEquals(readSchema(own, file), r.schema());
      org.junit.jupiter.api.Assertions.assertArrayEquals(own.toFooterReference(), r.chunkIndex());
    }
  }

  @Test
  void aFooterRecordingThatIsNoLocalFileStoresItsWholeIndex() throws Exception {
    Path file = fixture("versions/rerun-0.41.0.rrd");
    RrdRecordingIndexer indexer = new RrdRecordingIndexer(allocator);
    List<IndexedRecording> local = indexFile(indexer, file, StoreKind.RECORDING);
    ChunkIndex eager = ChunkIndex.build(file, allocator);
    List<IndexedRecording> remote;
    try (io.rrdflight.rrd.LocalFile source = io.rrdflight.rrd.LocalFile.open(file)) {
      remote = indexer.index(new Elsewhere(source), StoreKind.RECORDING);
    }
    assertEquals(local.size(), remote.size());
    for (int i = 0; i < local.size(); i++) {
      IndexedRecording r = remote.get(i);
      assertEquals(local.get(i).schema(), r.schema());
      assertEquals(local.get(i).sizeBytes(), r.sizeBytes());
      assertEquals(local.get(i).rowCount(), r.rowCount());
      ChunkIndex saved = ChunkIndex.fromBytes(r.chunkIndex(), "s3://bucket/v41.rrd");
      assertEquals(ownIndex(eager, r.recordingId()).chunks(), saved.chunks(), "the whole index, as an object's always was");
      assertEquals(r.chunkCount(), saved.chunks().size());
    }
  }

  /** A recording read through a local file but named and versioned as an object, as S3 objects are. */
  private record Elsewhere(io.rrdflight.rrd.RecordingSource local) implements io.rrdflight.rrd.RecordingSource {
    @Override
    public String name() {
      return "s3://bucket/v41.rrd";
    }

    @Override
    public long size() {
      return local.size();
    }

    @Override
    public String version() {
      return "\"etag\"";
    }

    @Override
    public void readFully(long position, java.nio.ByteBuffer target) throws java.io.IOException {
      local.readFully(position, target);
    }

    @Override
    public void close() {}
  }

  @Test
  void aScannedFileKeepsItsWholeIndex() throws Exception {
    Path file = fixture("versions/rerun-0.27.3.rrd");
    IndexedRecording r = indexFile(new RrdRecordingIndexer(allocator), file, StoreKind.RECORDING).get(0);
    ChunkIndex saved = ChunkIndex.fromBytes(r.chunkIndex(), file.toString());
    assertEquals(ChunkIndex.Source.SCAN, saved.source());
    assertEquals(r.chunkCount(), saved.chunks().size());
  }

  @Test
  void aReferenceToAFileChangedSinceFailsNamingTheFile(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Path file = Files.copy(fixture("versions/rerun-0.41.0.rrd"), dir.resolve("changed.rrd"));
    RrdRecordingIndexer indexer = new RrdRecordingIndexer(allocator);
    byte[] stored = indexFile(indexer, file, StoreKind.RECORDING).get(0).chunkIndex();
    Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 5_000));
    io.rrdflight.rrd.RrdFormatException e = org.junit.jupiter.api.Assertions.assertThrows(io.rrdflight.rrd.RrdFormatException.class,
        () -> indexer.chunkIndex(stored, file.toString()));
    assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("register it again"), e.getMessage());
  }

  @Test
  void aSmallScannedFileIsRegisteredAsItsChunksReadOneByOneWouldRegisterIt() throws Exception {
    for (String name : List.of("many/rec-many-0000.rrd", "dataset/rec-dataset-01.rrd", "versions/rerun-0.23.4.rrd", "versions/rerun-0.27.3.rrd", "single/two_recordings.rrd")) {
      Path file = fixture(name);
      assertTrue(Files.size(file) <= RrdRecordingIndexer.HELD_MAX_BYTES, "read whole, once: " + name);
      ChunkIndex index = ChunkIndex.build(file, allocator);
      for (IndexedRecording r : indexFile(new RrdRecordingIndexer(allocator), file, StoreKind.RECORDING)) {
        ChunkIndex own = index.forStore(index.stores().stream().filter(s -> s.recordingId().equals(r.recordingId())).findFirst().orElseThrow().id());
        assertEquals(readSchema(own, file), r.schema(), name);
        assertArrayEquals(own.toBytes(), r.chunkIndex(), name);
      }
    }
  }

  @Test
  void schemaSurvivesTheStore() throws Exception {
    DatasetSchema schema = indexFile(new RrdRecordingIndexer(allocator), fixture("dataset/rec-dataset-04.rrd"), StoreKind.RECORDING).get(0).schema();
    assertEquals(schema, DatasetSchema.fromBytes(schema.toBytes()));
  }

  @Test
  void fileWithTwoRecordingsGivesTwoWithTheirOwnChunks() throws Exception {
    List<IndexedRecording> recs = indexFile(new RrdRecordingIndexer(allocator), fixture("single/two_recordings.rrd"), StoreKind.RECORDING);
    assertEquals(List.of("rec-single-two-a", "rec-single-two-b"), recs.stream().map(IndexedRecording::recordingId).sorted().toList());
    assertTrue(recs.stream().allMatch(r -> r.chunkCount() > 0));
  }

  @Test
  void recordingsAndBlueprintsAreIndexedApart() throws Exception {
    RrdRecordingIndexer indexer = new RrdRecordingIndexer(allocator);
    List<IndexedRecording> recs = indexFile(indexer, fixture("single/blueprint.rrd"), StoreKind.RECORDING);
    assertEquals(List.of("rec-single-blueprint"), recs.stream().map(IndexedRecording::recordingId).toList());
    List<IndexedRecording> blueprints = indexFile(indexer, fixture("single/blueprint.rrd"), StoreKind.BLUEPRINT);
    assertEquals(1, blueprints.size());
    IndexedRecording bp = blueprints.get(0);
    assertTrue(bp.recordingId().startsWith("rec_") && bp.chunkCount() > 0, bp.recordingId());
    assertTrue(bp.schema().timeline("blueprint").isPresent(), "blueprints are on the 'blueprint' timeline");
    assertTrue(indexFile(indexer, fixture("single/points3d.rrd"), StoreKind.BLUEPRINT).isEmpty());
  }

  @Test
  void sizeIsTheChunksDeclaredHeapSizesNotTheFileSize() throws Exception {
    Path file = fixture("dataset/rec-dataset-01.rrd");
    IndexedRecording r = indexFile(new RrdRecordingIndexer(allocator), file, StoreKind.RECORDING).get(0);
    ChunkIndex index = ChunkIndex.scan(file, io.rrdflight.rrd.ReadMode.STRICT);
    long declared = index.chunks().stream().mapToLong(c -> c.sizes().declaredHeapBytes().orElseThrow()).sum();
    // Each chunk counts its declared heap size plus the chunk object Rerun keeps it in.
    assertEquals(declared + PartitionSizeBytes.CHUNK_OBJECT_BYTES * index.chunks().size(), r.sizeBytes());
    assertTrue(r.sizeBytes() != Files.size(file));
  }

  @Test
  void unionMarksAColumnStaticWhenAnyPartitionHasItStatic() throws Exception {
    RrdRecordingIndexer indexer = new RrdRecordingIndexer(allocator);
    DatasetSchema a = indexFile(indexer, fixture("dataset/rec-dataset-01.rrd"), StoreKind.RECORDING).get(0).schema();
    DatasetSchema b = indexFile(indexer, fixture("dataset/rec-dataset-02.rrd"), StoreKind.RECORDING).get(0).schema();
    DatasetSchema union = a.union(b);
    assertTrue(union.components().size() >= Math.max(a.components().size(), b.components().size()));
    assertEquals(union, b.union(a), "union does not depend on order");
  }

  /** The part of {@code index} about the recording {@code recordingId}. */
  private static ChunkIndex ownIndex(ChunkIndex index, String recordingId) {
    Store store = index.recordings().stream().filter(s -> s.recordingId().equals(recordingId)).findFirst().orElseThrow();
    return index.forStore(store.id());
  }

  static List<IndexedRecording> indexFile(RrdRecordingIndexer indexer, Path file, StoreKind kind) throws java.io.IOException {
    try (io.rrdflight.rrd.LocalFile source = io.rrdflight.rrd.LocalFile.open(file)) {
      return indexer.index(source, kind);
    }
  }

  private static DatasetSchema readSchema(io.rrdflight.rrd.ChunkIndex index, Path file) throws java.io.IOException {
    try (io.rrdflight.rrd.LocalFile source = io.rrdflight.rrd.LocalFile.open(file)) {
      return RecordingSchemaReader.read(index, source);
    }
  }

  /** A recording none of whose bytes can be read. */
  private record Unreadable() implements io.rrdflight.rrd.RecordingSource {
    @Override
    public String name() {
      return "unreadable.rrd";
    }

    @Override
    public long size() {
      return 1L << 30;
    }

    @Override
    public String version() {
      return "0";
    }

    @Override
    public void readFully(long position, java.nio.ByteBuffer target) throws java.io.IOException {
      throw new java.io.IOException("read of " + target.remaining() + " bytes at " + position);
    }

    @Override
    public void close() {}
  }
}
