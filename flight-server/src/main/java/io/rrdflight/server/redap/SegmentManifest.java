package io.rrdflight.server.redap;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.CatalogException;
import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.Partition;
import io.rrdflight.rrd.Chunk;
import io.rrdflight.rrd.RecordingSource;
import io.rrdflight.rrd.ChunkId;
import io.rrdflight.rrd.ChunkIndex;
import io.rrdflight.rrd.FooterManifests;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.RrdReader;
import io.rrdflight.rrd.proto.ApplicationId;
import io.rrdflight.rrd.proto.RrdManifest;
import io.rrdflight.rrd.proto.StoreId;
import io.rrdflight.rrd.proto.StoreKind;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.UInt8Vector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GetRrdManifest: a segment's chunk manifest, from which a 0.37+ client (segment_store, the viewer)
 * decides which chunks it needs for a time or a component and then fetches them with FetchChunks by
 * their {@code chunk_key} — the opaque {@link ChunkKey} QueryDataset and FindChunks hand out too. So
 * no file path or URL reaches the client: the response's {@code manifest_key} (a location to read
 * the manifest from) is never set, and {@code generate_direct_urls} is ignored.
 *
 * <p>Each layer of the segment is one recording in one file, and is answered as its own manifest part
 * (several parts when it has more than {@link #ROWS_PER_PART} chunks), with the schema of that layer.
 * Rerun's client merges the parts of a segment, tolerating different columns; Rerun's own server
 * merges the layers itself, which gives the client the same store.
 *
 * <p>A layer's manifest comes from one of two places:
 * <ul>
 *   <li>the file's footer, when a 0.28+ writer left one that the chunk index was built from: it is
 *       exactly what Rerun would answer (its server hands the footer on too), with byte offsets of this
 *       very file; only {@code chunk_key} is added and every column made nullable, as in Rerun's answer;
 *   <li>otherwise (older writers, no footer), it is built by decoding the layer's chunks, because the
 *       chunk index knows each chunk's time range but not where each component has data inside it
 *       ({@link ManifestEntry}). That reads every chunk of the layer once (seconds for hundreds of MB),
 *       so the entries of the layers built last are kept, up to {@link #CACHED_ENTRIES} chunks in all;
 *       a layer registered again (another file stamp or time) is another key.
 * </ul>
 */
final class SegmentManifest {
  /** Rows per manifest part: a large recording's manifest is streamed, never one huge message. */
  static final int ROWS_PER_PART = 8192;
  /**
   * Chunks whose built entries are kept, over all layers (a few hundred bytes each): a viewer opening
   * a segment asks for its manifest again, but a catalog of large recordings must not fill the heap.
   */
  static final int CACHED_ENTRIES = 50_000;
  private static final Logger log = LoggerFactory.getLogger(SegmentManifest.class);

  private final Catalog catalog;
  private final ArrowIpc ipc;
  private final BufferAllocator allocator;
  private final int rowsPerPart;
  /** Built entries by layer, least recently used first; guarded by itself. */
  private final LinkedHashMap<Partition, List<ManifestEntry>> builtEntries = new LinkedHashMap<>(16, 0.75f, true);
  private long cachedEntries;

  SegmentManifest(Catalog catalog, ArrowIpc ipc) {
    this(catalog, ipc, ROWS_PER_PART);
  }

  SegmentManifest(Catalog catalog, ArrowIpc ipc, int rowsPerPart) {
    this.catalog = requireNonNull(catalog, "catalog is null");
    this.ipc = requireNonNull(ipc, "ipc is null");
    this.allocator = ipc.allocator();
    if (rowsPerPart <= 0) {
      throw new IllegalArgumentException("rowsPerPart must be positive: " + rowsPerPart);
    }
    this.rowsPerPart = rowsPerPart;
  }

  /** The manifest parts of segment {@code segmentId} of {@code dataset}, layer by layer. */
  List<RrdManifest> parts(Dataset dataset, String segmentId, Vocabulary words) {
    List<Partition> layers = catalog.partitions(dataset.id()).stream().filter(p -> p.partitionId().equals(segmentId)).toList();
    if (layers.isEmpty()) {
      throw CatalogException.notFound("Dataset '" + dataset.name() + "' has no segment '" + segmentId + "'");
    }
    List<RrdManifest> parts = new ArrayList<>();
    for (Partition layer : layers) {
      parts.addAll(layerParts(layer, words));
    }
    return parts;
  }

  /** The manifest of one layer, in parts. */
  List<RrdManifest> layerParts(Partition layer, Vocabulary words) {
    ChunkIndex index = catalog.chunks(layer);
    if (index.source() == ChunkIndex.Source.FOOTER) {
      Optional<List<RrdManifest>> reused = fromFooter(layer, words);
      if (reused.isPresent()) {
        log.debug("GetRrdManifest: segment {} layer {}: {} chunks, the file's footer manifest", layer.partitionId(), layer.layer(),
            index.chunks().size());
        return reused.get();
      }
    }
    log.debug("GetRrdManifest: segment {} layer {}: {} chunks, manifest built from the chunks", layer.partitionId(), layer.layer(),
        index.chunks().size());
    return built(layer, index.chunks(), words);
  }

  // --- the footer's manifest, handed on ----------------------------------------------------------

  private Optional<List<RrdManifest>> fromFooter(Partition layer, Vocabulary words) {
    Optional<RrdManifest> footer;
    try (RecordingSource source = catalog.openSource(layer)) {
      footer = FooterManifests.of(source, new io.rrdflight.rrd.StoreId(storeKind(layer), layer.applicationId(), layer.partitionId()));
    } catch (IOException e) {
      throw Catalog.readFailure(layer, "cannot read the footer of " + layer.file().location(), e);
    }
    if (footer.isEmpty()) {
      return Optional.empty();
    }
    byte[] ipc;
    try {
      ipc = ArrowIpc.payload(footer.get().getData(), "the footer manifest of " + layer.file().location());
    } catch (RuntimeException e) {
      log.warn("segment {}: footer manifest of {} unreadable ({}); building it from the chunks", layer.partitionId(), layer.file().location(), e.getMessage());
      return Optional.empty();
    }
    try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(ipc), allocator)) {
      VectorSchemaRoot stored = reader.getVectorSchemaRoot();
      if (!reader.loadNextBatch() || !(stored.getVector(ChunkInfo.CHUNK_ID) instanceof FixedSizeBinaryVector ids)
          || !(stored.getVector(ManifestBuilder.BYTE_OFFSET) instanceof UInt8Vector offsets)
          || !(stored.getVector(ManifestBuilder.BYTE_SIZE) instanceof UInt8Vector sizes)) {
        log.warn("segment {}: footer manifest of {} lacks chunk ids or byte spans; building it from the chunks", layer.partitionId(), layer.file().location());
        return Optional.empty();
      }
      try (VectorSchemaRoot withKeys = withChunkKeys(stored, layer, ids, offsets, sizes)) {
        return Optional.of(split(withKeys, store(layer), footer.get().getSorbetSchema(), footer.get().getSorbetSchemaSha256(), words));
      }
    } catch (IOException | RuntimeException e) {
      log.warn("segment {}: footer manifest of {} unusable ({}); building it from the chunks", layer.partitionId(), layer.file().location(), e.toString());
      return Optional.empty();
    }
  }

  /** The stored manifest's columns, all nullable as Rerun answers them, and {@code chunk_key} last. */
  private VectorSchemaRoot withChunkKeys(VectorSchemaRoot stored, Partition layer, FixedSizeBinaryVector ids, UInt8Vector offsets, UInt8Vector sizes) {
    List<Field> fields = new ArrayList<>();
    for (Field f : stored.getSchema().getFields()) {
      if (!f.getName().equals(ChunkInfo.CHUNK_KEY)) {
        fields.add(new Field(f.getName(), new FieldType(true, f.getType(), f.getDictionary(), f.getMetadata()), f.getChildren()));
      }
    }
    fields.add(new Field(ChunkInfo.CHUNK_KEY, FieldType.nullable(ArrowType.Binary.INSTANCE), null));
    VectorSchemaRoot out = VectorSchemaRoot.create(new Schema(fields), allocator);
    try {
      int rows = stored.getRowCount();
      VarBinaryVector keys = (VarBinaryVector) out.getVector(ChunkInfo.CHUNK_KEY);
      keys.allocateNew(rows);
      for (int row = 0; row < rows; row++) {
        ChunkId id = ChunkId.fromBytes(ids.get(row));
        keys.setSafe(row, new ChunkKey(layer.datasetId(), layer.partitionId(), layer.layer(), offsets.get(row), sizes.get(row), id.timeNs(), id.inc()).encode());
      }
      for (FieldVector from : stored.getFieldVectors()) {
        if (!from.getName().equals(ChunkInfo.CHUNK_KEY)) {
          from.makeTransferPair(out.getVector(from.getName())).transfer();
        }
      }
      out.setRowCount(rows);
      return out;
    } catch (RuntimeException e) {
      out.close();
      throw e;
    }
  }

  // --- a manifest built from the chunks --------------------------------------------------------------

  /** The layer's manifest built from its chunks, whether or not its file has a footer. */
  List<RrdManifest> built(Partition layer, Vocabulary words) {
    return built(layer, catalog.chunks(layer).chunks(), words);
  }

  private List<RrdManifest> built(Partition layer, List<IndexedChunk> chunks, Vocabulary words) {
    List<ManifestEntry> entries;
    synchronized (builtEntries) {
      entries = builtEntries.get(layer);
    }
    if (entries == null) {
      // Built outside the lock: another layer's manifest need not wait for this one's chunks.
      entries = entries(layer, chunks);
      remember(layer, entries);
    }
    Schema schema = catalog.schema(layer).toArrow();
    try (VectorSchemaRoot root = ManifestBuilder.build(entries, allocator)) {
      return split(root, store(layer), ipc.schema(schema), ByteString.copyFrom(sha256(schema)), words);
    }
  }

  private void remember(Partition layer, List<ManifestEntry> entries) {
    if (entries.size() > CACHED_ENTRIES) {
      return;
    }
    synchronized (builtEntries) {
      List<ManifestEntry> previous = builtEntries.put(layer, entries);
      cachedEntries += entries.size() - (previous == null ? 0 : previous.size());
      var eldest = builtEntries.entrySet().iterator();
      while (cachedEntries > CACHED_ENTRIES) {
        cachedEntries -= eldest.next().getValue().size();
        eldest.remove();
      }
    }
  }

  /** The entries of a layer's chunks, each read and decoded once. */
  private List<ManifestEntry> entries(Partition layer, List<IndexedChunk> chunks) {
    List<ManifestEntry> entries = new ArrayList<>(chunks.size());
    for (IndexedChunk at : chunks) {
      byte[] key = new ChunkInfo.Row(layer, at).key().encode();
      try (Chunk chunk = catalog.readChunk(layer, at.offset(), at.length(), allocator)) {
        // Chunks that held only indicators (written before 0.24, dropped on decoding) have no column
        // left; Rerun drops them on loading too, so they are not in its manifest either.
        if (!chunk.componentColumns().isEmpty()) {
          entries.add(ManifestEntry.of(chunk, at, key));
        }
      }
    }
    return List.copyOf(entries);
  }

  /**
   * The SHA-256 of the schema's IPC form with its fields sorted by name and no schema metadata, as
   * Rerun computes it — over Arrow Java's encoding, so a stable identity of the schema here, not
   * byte for byte Rerun's value (which no client compares with anything but other parts' hashes).
   */
  static byte[] sha256(Schema schema) {
    List<Field> sorted = new ArrayList<>(schema.getFields());
    sorted.sort(Comparator.comparing(Field::getName));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      MessageSerializer.serialize(new WriteChannel(Channels.newChannel(out)), new Schema(sorted));
      return MessageDigest.getInstance("SHA-256").digest(out.toByteArray());
    } catch (IOException | NoSuchAlgorithmException e) {
      throw new IllegalStateException("hashing a schema in memory cannot fail", e);
    }
  }

  // --- parts ------------------------------------------------------------------------------------------

  /**
   * The store the client files the segment's chunks under: the segment, of the dataset's kind (a
   * companion blueprint dataset's segments are blueprints), with the recording's application.
   */
  private StoreId store(Partition layer) {
    String application = layer.applicationId().isEmpty() ? layer.datasetId().toHex() : layer.applicationId();
    return StoreId.newBuilder()
        .setKind(storeKind(layer) == io.rrdflight.rrd.StoreKind.BLUEPRINT ? StoreKind.STORE_KIND_BLUEPRINT : StoreKind.STORE_KIND_RECORDING)
        .setRecordingId(layer.partitionId())
        .setApplicationId(ApplicationId.newBuilder().setId(application))
        .build();
  }

  private io.rrdflight.rrd.StoreKind storeKind(Partition layer) {
    return catalog.dataset(layer.datasetId()).kind().storeKind();
  }

  private List<RrdManifest> split(VectorSchemaRoot root, StoreId store, io.rrdflight.rrd.proto.Schema schema, ByteString sha256, Vocabulary words) {
    List<RrdManifest> parts = new ArrayList<>();
    int rows = root.getRowCount();
    for (int from = 0; from == 0 || from < rows; from += rowsPerPart) {
      int n = Math.min(rowsPerPart, rows - from);
      RrdManifest.Builder part = RrdManifest.newBuilder().setStoreId(store).setSorbetSchema(schema).setSorbetSchemaSha256(sha256);
      if (n == rows) {
        part.setData(words.part(root));
      } else {
        try (VectorSchemaRoot slice = root.slice(from, n)) {
          part.setData(words.part(slice));
        }
      }
      parts.add(part.build());
    }
    return parts;
  }
}
