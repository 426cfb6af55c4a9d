package io.rrdflight.server.redap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.CatalogException;
import io.rrdflight.catalog.DataSource;
import io.rrdflight.catalog.Dataset;
import io.rrdflight.rrd.NoLeaks;
import io.rrdflight.catalog.OnDuplicate;
import io.rrdflight.catalog.Partition;
import io.rrdflight.catalog.RrdRecordingIndexer;
import io.rrdflight.catalog.TaskStatus;
import io.rrdflight.rrd.ChunkIndex;
import io.rrdflight.rrd.ComponentDescriptor;
import io.rrdflight.rrd.IndexRange;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.Timeline;
import io.rrdflight.rrd.proto.RrdManifest;
import io.rrdflight.server.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.DurationVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.Text;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * GetRrdManifest's answer for real recordings: built from the chunks of a file without footer (0.27.3),
 * handed on from the footer of a 0.41.0 file — and, built from that file's chunks, equal to what
 * Rerun's writer put in its footer. Every test checks that no Arrow memory is left allocated.
 */
@ExtendWith(NoLeaks.class)
class SegmentManifestTest {
  static final Path NO_FOOTER = Fixtures.path("dataset/rec-dataset-04.rrd");
  static final Path WITH_FOOTER = Fixtures.path("versions/rerun-0.41.0.rrd");
  static final Vocabulary PLAIN = new Vocabulary(true, false, true, true, true);

  @TempDir Path dir;
  BufferAllocator allocator;
  Catalog catalog;
  Dataset dataset;

  @BeforeEach
  void registerBothWriters(BufferAllocator allocator) {
    this.allocator = allocator;
    catalog = Catalog.open(dir, new RrdRecordingIndexer(allocator), 2);
    dataset = catalog.createDataset("d");
    register(NO_FOOTER, "base");
    register(WITH_FOOTER, "base");
    register(NO_FOOTER, "extra");
  }

  @AfterEach
  void noLeaks() {
    catalog.close();
  }

  private void register(Path file, String layer) {
    assertEquals(TaskStatus.SUCCESS, catalog.register(dataset.id(), DataSource.of(file.toUri().toString(), layer), OnDuplicate.ERROR,
        Duration.ofMinutes(1)).status());
  }

  private Partition layer(String segment, String layer) {
    return catalog.partition(dataset.id(), segment, layer);
  }

  @Test
  void builtManifestHasOneRowPerChunkWithRerunsColumnsInRerunsOrder() {
    Partition base = layer("rec-dataset-04", "base");
    List<IndexedChunk> chunks = catalog.chunks(base).chunks();
    List<RrdManifest> parts = new SegmentManifest(catalog, new ArrowIpc(allocator)).layerParts(base, PLAIN);
    assertEquals(1, parts.size());
    Table table = read(parts.get(0));
    assertEquals(chunks.size(), table.rows().size());

    List<String> names = table.schema().getFields().stream().map(Field::getName).toList();
    assertEquals(List.of("chunk_entity_path", "chunk_id", "chunk_is_static", "chunk_num_rows", "chunk_byte_offset", "chunk_byte_size",
        "chunk_byte_size_uncompressed", "Clear:is_recursive:has_static_data", "Points3D:positions:has_static_data",
        "RecordingInfo:start_time:has_static_data", "Scalars:scalars:has_static_data", "TextDocument:text:has_static_data",
        "frame:start", "frame:end", "log_tick:start", "log_tick:end", "log_time:start", "log_time:end", "sim_time:start", "sim_time:end",
        "time_1:start", "time_1:end", "time_2:start", "time_2:end", "time_3:start", "time_3:end"), names.subList(0, 26));
    assertEquals(List.of("frame:Clear:is_recursive:start", "frame:Clear:is_recursive:end", "frame:Clear:is_recursive:num_rows",
        "frame:Scalars:scalars:start", "frame:Scalars:scalars:end", "frame:Scalars:scalars:num_rows", "log_tick:Clear:is_recursive:start"),
        names.subList(26, 33));
    assertEquals("chunk_key", names.get(names.size() - 1));
    assertTrue(table.schema().getFields().stream().allMatch(Field::isNullable), "Rerun's 0.41 server answers every column nullable");
    Field logTime = table.schema().findField("log_time:Points3D:positions:start");
    assertEquals(new ArrowType.Timestamp(org.apache.arrow.vector.types.TimeUnit.NANOSECOND, null), logTime.getType());
    assertEquals(Map.of("rerun:index", "log_time", "rerun:component", "Points3D:positions", "rerun:archetype", "rerun.archetypes.Points3D",
        "rerun:component_type", "rerun.components.Position3D"), logTime.getMetadata());
    assertEquals(Map.of("rerun:index", "rerun:static", "rerun:component", "TextDocument:text", "rerun:archetype",
        "rerun.archetypes.TextDocument", "rerun:component_type", "rerun.components.Text"),
        table.schema().findField("TextDocument:text:has_static_data").getMetadata());

    for (int i = 0; i < chunks.size(); i++) {
      IndexedChunk chunk = chunks.get(i);
      Map<String, Object> row = table.rows().get(i);
      assertEquals(chunk.entityPath(), row.get("chunk_entity_path"));
      assertArrayEquals(chunk.id().toBytes(), (byte[]) row.get("chunk_id"));
      assertEquals(chunk.isStatic(), row.get("chunk_is_static"));
      assertEquals(chunk.rowCount(), row.get("chunk_num_rows"));
      assertEquals(chunk.offset(), row.get("chunk_byte_offset"));
      assertEquals(chunk.length(), row.get("chunk_byte_size"));
      assertTrue((Long) row.get("chunk_byte_size_uncompressed") > 0);
      ChunkKey key = ChunkKey.decode((byte[]) row.get("chunk_key"));
      assertEquals(new ChunkKey(dataset.id(), "rec-dataset-04", "base", chunk.offset(), chunk.length(), chunk.id().timeNs(), chunk.id().inc()), key);
      for (Timeline t : List.of(new Timeline("frame", io.rrdflight.rrd.TimelineKind.SEQUENCE),
          new Timeline("log_tick", io.rrdflight.rrd.TimelineKind.SEQUENCE), new Timeline("time_3", io.rrdflight.rrd.TimelineKind.SEQUENCE))) {
        IndexRange range = chunk.timeRanges().get(t);
        assertEquals(range == null ? null : range.min(), row.get(t.name() + ":start"), t + " of chunk " + i);
        assertEquals(range == null ? null : range.max(), row.get(t.name() + ":end"), t + " of chunk " + i);
      }
      for (ComponentDescriptor c : chunk.components()) {
        String column = ManifestBuilder.hasStaticData(c);
        assertEquals(chunk.isStatic(), row.get(column), column + " of chunk " + i);
      }
    }
  }

  @Test
  void componentSpansCountTheRowsThatHoldTheComponent() {
    Partition base = layer("rec-dataset-04", "base");
    Table table = read(new SegmentManifest(catalog, new ArrowIpc(allocator)).layerParts(base, PLAIN).get(0));
    long scalarRows = 0;
    long jointRows = 0;
    for (Map<String, Object> row : table.rows()) {
      scalarRows += (Long) row.get("frame:Scalars:scalars:num_rows");
      if (((String) row.get("chunk_entity_path")).startsWith("/robot/joint_")) {
        jointRows += (Long) row.get("chunk_num_rows");
      }
      if (row.get("frame:Scalars:scalars:start") == null) {
        assertEquals(0L, row.get("frame:Scalars:scalars:num_rows"));
      }
    }
    assertEquals(jointRows, scalarRows, "every /robot/joint_* row holds a scalar on frame");
  }

  @Test
  void footerManifestIsHandedOnWithChunkKeys() throws IOException {
    Partition layer = layer("rec-version-0.41.0", "base");
    ChunkIndex index = catalog.chunks(layer);
    assertEquals(ChunkIndex.Source.FOOTER, index.source());
    RrdManifest footer = io.rrdflight.rrd.FooterManifests.of(WITH_FOOTER, layer.storeId()).orElseThrow();
    List<RrdManifest> parts = new SegmentManifest(catalog, new ArrowIpc(allocator)).layerParts(layer, PLAIN);
    assertEquals(1, parts.size());
    assertEquals(footer.getSorbetSchema(), parts.get(0).getSorbetSchema());
    assertEquals(footer.getSorbetSchemaSha256(), parts.get(0).getSorbetSchemaSha256());
    Table table = read(parts.get(0));
    assertEquals(index.chunks().size(), table.rows().size());
    for (int i = 0; i < table.rows().size(); i++) {
      IndexedChunk chunk = index.chunks().get(i);
      ChunkKey key = ChunkKey.decode((byte[]) table.rows().get(i).get("chunk_key"));
      assertEquals(new ChunkKey(dataset.id(), layer.partitionId(), "base", chunk.offset(), chunk.length(), chunk.id().timeNs(), chunk.id().inc()), key);
    }
  }

  @Test
  void manifestBuiltFromChunksEqualsTheOneRerunsWriterPutInTheFooter() {
    Partition layer = layer("rec-version-0.41.0", "base");
    SegmentManifest manifests = new SegmentManifest(catalog, new ArrowIpc(allocator));
    Table footer = read(manifests.layerParts(layer, PLAIN).get(0));
    Table built = read(manifests.built(layer, PLAIN).get(0));
    assertEquals(footer.schema(), built.schema());
    assertEquals(footer.rows().size(), built.rows().size());
    for (int i = 0; i < footer.rows().size(); i++) {
      Map<String, Object> expected = footer.rows().get(i);
      Map<String, Object> actual = built.rows().get(i);
      for (String column : expected.keySet()) {
        Object e = expected.get(column);
        Object a = actual.get(column);
        if (e instanceof byte[] eb) {
          assertArrayEquals(eb, (byte[]) a, column + " of row " + i);
        } else {
          assertEquals(e, a, column + " of row " + i);
        }
      }
    }
  }

  @Test
  void chunksLeftWithoutColumnsAreNotInTheManifestAsInRerun() {
    register(Fixtures.path("versions/rerun-0.23.4.rrd"), "base");
    Partition legacy = layer("rec-version-0.23.4", "base");
    int indexed = catalog.chunks(legacy).chunks().size();
    Table table = read(new SegmentManifest(catalog, new ArrowIpc(allocator)).layerParts(legacy, PLAIN).get(0));
    assertTrue(table.rows().size() < indexed, "0.23 wrote indicator-only chunks, which hold nothing once indicators are dropped");
    for (Map<String, Object> row : table.rows()) {
      boolean holdsSomething = row.entrySet().stream().anyMatch(c -> (c.getKey().endsWith(":has_static_data") && Boolean.TRUE.equals(c.getValue()))
          || (c.getKey().endsWith(":num_rows") && ((Long) c.getValue()) > 0));
      assertTrue(holdsSomething, "chunk of " + row.get("chunk_entity_path") + " holds no component");
    }
  }

  @Test
  void everyLayerOfASegmentIsAPartAndLargeLayersAreSplit() {
    SegmentManifest manifests = new SegmentManifest(catalog, new ArrowIpc(allocator), 10);
    int chunks = catalog.chunks(layer("rec-dataset-04", "base")).chunks().size();
    List<RrdManifest> parts = manifests.parts(dataset, "rec-dataset-04", new Vocabulary(true, true, true, true, true));
    int perLayer = (chunks + 9) / 10;
    assertEquals(2 * perLayer, parts.size());
    List<Object> ids = new ArrayList<>();
    Schema first = null;
    for (RrdManifest part : parts) {
      assertEquals("rec-dataset-04", part.getStoreId().getRecordingId());
      assertEquals("rrdflight_dataset", part.getStoreId().getApplicationId().getId());
      assertEquals(32, part.getSorbetSchemaSha256().size());
      Table table = read(part);
      first = first == null ? table.schema() : first;
      assertEquals(first, table.schema(), "the parts of a layer share its columns");
      table.rows().forEach(r -> ids.add(ChunkKey.decode((byte[]) r.get("chunk_key")).layer()));
    }
    assertEquals(2 * chunks, ids.size());
    assertEquals(chunks, ids.stream().filter("base"::equals).count());
  }

  @Test
  void unknownSegmentIsNotFound() {
    SegmentManifest manifests = new SegmentManifest(catalog, new ArrowIpc(allocator));
    CatalogException e = assertThrows(CatalogException.class, () -> manifests.parts(dataset, "no-such-segment", PLAIN));
    assertTrue(e.getMessage().contains("no-such-segment"), e.getMessage());
    assertFalse(e.getMessage().contains(dir.toString()), "no server path in the message");
  }

  // --- reading parts ------------------------------------------------------------------------------------------

  record Table(Schema schema, List<Map<String, Object>> rows) {}

  private Table read(RrdManifest part) {
    byte[] ipc = ArrowIpc.payload(part.getData(), "test");
    try (BufferAllocator a = allocator.newChildAllocator("read", 0, Long.MAX_VALUE);
        ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(ipc), a)) {
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      assertTrue(reader.loadNextBatch());
      List<Map<String, Object>> rows = new ArrayList<>();
      for (int i = 0; i < root.getRowCount(); i++) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (FieldVector v : root.getFieldVectors()) {
          row.put(v.getName(), cell(v, i));
        }
        rows.add(row);
      }
      assertFalse(reader.loadNextBatch(), "a part holds one batch");
      return new Table(root.getSchema(), rows);
    } catch (IOException e) {
      throw new AssertionError("not an Arrow IPC stream", e);
    }
  }

  /** A cell as a plain Java value; timestamps and durations as their raw 64-bit values. */
  private static Object cell(FieldVector v, int row) {
    if (v.isNull(row)) {
      return null;
    }
    if (v instanceof TimeStampVector || v instanceof DurationVector) {
      return ((BaseFixedWidthVector) v).getDataBuffer().getLong((long) row * Long.BYTES);
    }
    Object value = v.getObject(row);
    return value instanceof Text t ? t.toString() : value;
  }
}
