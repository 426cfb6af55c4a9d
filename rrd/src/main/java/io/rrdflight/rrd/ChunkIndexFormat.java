package io.rrdflight.rrd;

import com.google.protobuf.InvalidProtocolBufferException;
import io.rrdflight.rrd.proto.ChunkIndexFile;
import io.rrdflight.rrd.proto.Damage;
import io.rrdflight.rrd.proto.IndexSource;
import io.rrdflight.rrd.proto.IndexedChunkEntry;
import io.rrdflight.rrd.proto.IndexedComponent;
import io.rrdflight.rrd.proto.IndexedComponentRange;
import io.rrdflight.rrd.proto.IndexedStore;
import io.rrdflight.rrd.proto.IndexedStream;
import io.rrdflight.rrd.proto.IndexedTimeRange;
import io.rrdflight.rrd.proto.IndexedTimeline;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * Writes and reads {@link ChunkIndex} files: {@code RRDFLIDX}, a little-endian u32 format version,
 * then a {@code rrdflight.rrd.v1.ChunkIndexFile} protobuf (see chunk_index.proto). Bump
 * {@link #VERSION} on any change of meaning; older files are then rebuilt, never misread. A change
 * that only adds knowledge may keep older versions readable ({@link #OLDEST_READABLE}): format 2 lacks
 * components' time ranges, which costs pruning, not correctness; one made from a footer is read
 * again from the footer (cheap) so that it has them, one made by a scan stays as it is.
 *
 * <p>Format 4 adds the short form of a footer-indexed local file ({@link #encodeFooterReference}):
 * no chunks, only where they are (the file, its size and time, its stores). Registration stores it,
 * so it does not pay for encoding (and storing) hundreds of chunks it already found in the footer;
 * the footer is read again when the index is first used ({@link Saved#current}). Older servers
 * refuse format 4 rather than take the short form for an empty index.
 */
final class ChunkIndexFormat {
  static final int VERSION = 4; // 2: chunk sizes (declared heap bytes, IPC bytes); 3: components' time ranges; 4: chunks_in_footer
  /** The first format that keeps components' time ranges; a footer index saved before is read again from the footer. */
  static final int FIRST_WITH_COMPONENT_RANGES = 3;
  /** Still read: a format 2 index is a format 3 one without components' ranges, which only prunes less. */
  static final int OLDEST_READABLE = 2;
  private static final byte[] MAGIC = "RRDFLIDX".getBytes(StandardCharsets.US_ASCII);
  private static final int HEADER_SIZE = MAGIC.length + Integer.BYTES;

  private ChunkIndexFormat() {}

  static void write(ChunkIndex index, Path indexFile) throws IOException {
    byte[] encoded = encode(index);
    Path parent = indexFile.toAbsolutePath().getParent();
    Path tmp = Files.createTempFile(parent, indexFile.getFileName().toString(), ".tmp");
    try {
      try (OutputStream os = Files.newOutputStream(tmp)) {
        os.write(encoded);
      }
      Files.move(tmp, indexFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * The index in its file form (magic, version, protobuf), for storing it elsewhere than a file.
   * Written field by field ({@link ProtoWriter}, with the generated classes' field numbers), in
   * field-number order, as the generated code would write the message: registration encodes one per file, and the builders cost a fifth of
   * indexing a small file (the tests read it back with the generated parser).
   */
  static byte[] encode(ChunkIndex index) {
    Map<StoreId, Integer> stores = new HashMap<>();
    for (Store store : index.stores()) {
      stores.put(store.id(), stores.size());
    }
    Dictionary<String> entityPaths = new Dictionary<>();
    Dictionary<Timeline> timelines = new Dictionary<>();
    Dictionary<ComponentDescriptor> components = new Dictionary<>();
    // The chunks first, which fill the dictionaries the message holds before them.
    ProtoWriter chunks = new ProtoWriter();
    ProtoWriter entry = new ProtoWriter();
    ProtoWriter range = new ProtoWriter();
    ProtoWriter componentRanges = new ProtoWriter();
    int[] ids = new int[16];
    for (IndexedChunk chunk : index.chunks()) {
      entry.clear()
          .uint(IndexedChunkEntry.STORE_FIELD_NUMBER, stores.get(chunk.store()))
          .fixed64(IndexedChunkEntry.ID_TIME_NS_FIELD_NUMBER, chunk.id().timeNs())
          .fixed64(IndexedChunkEntry.ID_INC_FIELD_NUMBER, chunk.id().inc())
          .uint(IndexedChunkEntry.ENTITY_PATH_FIELD_NUMBER, entityPaths.id(chunk.entityPath()))
          .bool(IndexedChunkEntry.IS_STATIC_FIELD_NUMBER, chunk.isStatic())
          .uint(IndexedChunkEntry.ROW_COUNT_FIELD_NUMBER, chunk.rowCount());
      for (Map.Entry<Timeline, IndexRange> r : chunk.timeRanges().entrySet()) {
        entry.message(IndexedChunkEntry.TIME_RANGES_FIELD_NUMBER, range.clear()
            .uint(IndexedTimeRange.TIMELINE_FIELD_NUMBER, timelines.id(r.getKey()))
            .sint64(IndexedTimeRange.MIN_FIELD_NUMBER, r.getValue().min())
            .sint64(IndexedTimeRange.MAX_FIELD_NUMBER, r.getValue().max()));
      }
      ids = idsOf(chunk.components(), components, ids);
      entry.packed(IndexedChunkEntry.COMPONENTS_FIELD_NUMBER, ids, chunk.components().size())
          .uint(IndexedChunkEntry.OFFSET_FIELD_NUMBER, chunk.offset())
          .uint(IndexedChunkEntry.LENGTH_FIELD_NUMBER, chunk.length());
      if (chunk.sizes().declaredHeapBytes().isPresent()) {
        entry.always(IndexedChunkEntry.DECLARED_HEAP_BYTES_FIELD_NUMBER, chunk.sizes().declaredHeapBytes().getAsLong());
      }
      entry.uint(IndexedChunkEntry.IPC_BYTES_FIELD_NUMBER, chunk.sizes().ipcBytes());
      int dense = 0;
      componentRanges.clear();
      for (Map.Entry<ComponentDescriptor, SortedMap<Timeline, IndexRange>> c : chunk.componentRanges().entrySet()) {
        int component = components.id(c.getKey());
        if (c.getValue().equals(chunk.timeRanges())) {
          ids = dense < ids.length ? ids : Arrays.copyOf(ids, ids.length * 2);
          ids[dense++] = component;
        } else {
          for (Map.Entry<Timeline, IndexRange> r : c.getValue().entrySet()) {
            componentRanges.message(IndexedChunkEntry.COMPONENT_RANGES_FIELD_NUMBER, range.clear()
                .uint(IndexedComponentRange.COMPONENT_FIELD_NUMBER, component)
                .uint(IndexedComponentRange.TIMELINE_FIELD_NUMBER, timelines.id(r.getKey()))
                .sint64(IndexedComponentRange.MIN_FIELD_NUMBER, r.getValue().min())
                .sint64(IndexedComponentRange.MAX_FIELD_NUMBER, r.getValue().max()));
          }
        }
      }
      entry.packed(IndexedChunkEntry.DENSE_COMPONENTS_FIELD_NUMBER, ids, dense).append(componentRanges);
      chunks.message(ChunkIndexFile.CHUNKS_FIELD_NUMBER, entry);
    }
    ProtoWriter out = new ProtoWriter();
    headStart(index, out);
    for (String path : entityPaths.values) {
      out.stringAlways(ChunkIndexFile.ENTITY_PATHS_FIELD_NUMBER, path);
    }
    ProtoWriter item = new ProtoWriter();
    for (Timeline t : timelines.values) {
      out.message(ChunkIndexFile.TIMELINES_FIELD_NUMBER, item.clear()
          .string(IndexedTimeline.NAME_FIELD_NUMBER, t.name()).uint(IndexedTimeline.KIND_FIELD_NUMBER, t.kind().ordinal() + 1));
    }
    for (ComponentDescriptor c : components.values) {
      item.clear().string(IndexedComponent.COMPONENT_FIELD_NUMBER, c.component());
      c.archetype().ifPresent(a -> item.stringAlways(IndexedComponent.ARCHETYPE_FIELD_NUMBER, a));
      c.componentType().ifPresent(t -> item.stringAlways(IndexedComponent.COMPONENT_TYPE_FIELD_NUMBER, t));
      out.message(ChunkIndexFile.COMPONENTS_FIELD_NUMBER, item);
    }
    out.append(chunks);
    index.damage().ifPresent(d -> out.message(ChunkIndexFile.DAMAGE_FIELD_NUMBER, item.clear()
        .uint(Damage.OFFSET_FIELD_NUMBER, d.offset()).string(Damage.PROBLEM_FIELD_NUMBER, d.problem())));
    headEnd(index, out);
    return withHeader(out);
  }

  /** The dictionary ids of {@code values}, in {@code ids} (grown if need be). */
  private static <T> int[] idsOf(List<T> values, Dictionary<T> dictionary, int[] ids) {
    int[] out = values.size() <= ids.length ? ids : new int[values.size()];
    for (int i = 0; i < values.size(); i++) {
      out[i] = dictionary.id(values.get(i));
    }
    return out;
  }

  /**
   * The short form of an index read from a local file's footer: where its chunks are, not the chunks
   * (see the class comment). Only for an undamaged footer index; {@link Saved#current} reads the
   * footer again.
   */
  static byte[] encodeFooterReference(ChunkIndex index) {
    if (index.source() != ChunkIndex.Source.FOOTER || index.damage().isPresent()) {
      throw new IllegalArgumentException("only an index read from a footer can refer to it: " + index);
    }
    ProtoWriter out = new ProtoWriter();
    headStart(index, out);
    headEnd(index, out);
    return withHeader(out.bool(ChunkIndexFile.CHUNKS_IN_FOOTER_FIELD_NUMBER, true));
  }

  /** The fields before the chunks and their dictionaries: the format, the file's stamp, the source, the stores. */
  private static void headStart(ChunkIndex index, ProtoWriter out) {
    out.uint(ChunkIndexFile.FORMAT_VERSION_FIELD_NUMBER, VERSION)
        .uint(ChunkIndexFile.RRD_FILE_SIZE_FIELD_NUMBER, index.fileSize())
        .uint(ChunkIndexFile.RRD_LAST_MODIFIED_MILLIS_FIELD_NUMBER, index.lastModifiedMillis())
        .uint(ChunkIndexFile.SOURCE_FIELD_NUMBER, (index.source() == ChunkIndex.Source.FOOTER ? IndexSource.INDEX_SOURCE_FOOTER : IndexSource.INDEX_SOURCE_SCAN).getNumber());
    ProtoWriter store = new ProtoWriter();
    for (Store s : index.stores()) {
      out.message(ChunkIndexFile.STORES_FIELD_NUMBER, store.clear()
          .message(IndexedStore.ID_FIELD_NUMBER, s.id().toProto().toByteArray()).int32(IndexedStore.VERSION_BITS_FIELD_NUMBER, s.version().toBits()));
    }
  }

  /** The fields after the chunks: the warnings and the streams. */
  private static void headEnd(ChunkIndex index, ProtoWriter out) {
    for (String warning : index.warnings()) {
      out.stringAlways(ChunkIndexFile.WARNINGS_FIELD_NUMBER, warning);
    }
    ProtoWriter stream = new ProtoWriter();
    for (RrdStream s : index.streams()) {
      out.message(ChunkIndexFile.STREAMS_FIELD_NUMBER, stream.clear()
          .uint(IndexedStream.OFFSET_FIELD_NUMBER, s.offset()).int32(IndexedStream.VERSION_BITS_FIELD_NUMBER, s.version().toBits())
          .bool(IndexedStream.LZ4_FIELD_NUMBER, s.lz4()).bool(IndexedStream.HAS_END_FIELD_NUMBER, s.hasEnd())
          .bool(IndexedStream.HAS_FOOTER_FIELD_NUMBER, s.hasFooter()));
    }
  }

  private static byte[] withHeader(ProtoWriter out) {
    return ByteBuffer.allocate(HEADER_SIZE + out.size()).order(ByteOrder.LITTLE_ENDIAN)
        .put(MAGIC).putInt(VERSION).put(out.toByteArray()).array();
  }

  /**
   * An index as saved, the format version it was saved in, and whether it is the short form whose
   * chunks are in the file's footer ({@link #encodeFooterReference}).
   */
  record Saved(ChunkIndex index, int version, boolean chunksInFooter) {
    /**
     * The index with what the current format knows: the short form and one saved from a footer in
     * an older format are read again from the footer ({@code allocator} holds the footer's manifest
     * meanwhile); others as saved. The short form fails, naming the file, when the footer cannot
     * be read as it was at registration: it has no chunks to fall back on.
     */
    ChunkIndex current(BufferAllocator allocator) throws RrdFormatException {
      if (chunksInFooter) {
        return index.fromFooterReference(allocator);
      }
      return version < FIRST_WITH_COMPONENT_RANGES && index.source() == ChunkIndex.Source.FOOTER ? index.againFromFooter(allocator) : index;
    }

    /** The index exactly as saved; the short form is read from the footer, as it holds no chunks itself. */
    ChunkIndex asSaved() throws RrdFormatException {
      if (!chunksInFooter) {
        return index;
      }
      try (BufferAllocator allocator = new RootAllocator()) {
        return current(allocator);
      }
    }
  }

  static Saved read(Path indexFile, Path rrdFile) throws IOException {
    byte[] all;
    try (FileBytes bytes = FileBytes.open(indexFile)) {
      all = bytes.readCopy(0, bytes.size(), "index file").array();
    }
    return decode(all, indexFile.toString(), rrdFile.toString());
  }

  /** Reads {@link #encode}'s form; {@code origin} names where the bytes came from in errors. */
  static Saved decode(byte[] all, String origin, String rrdFile) throws RrdFormatException {
    String indexFile = origin;
    if (all.length < HEADER_SIZE || !Arrays.equals(all, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw new RrdFormatException(indexFile, 0, "not an rrdflight index file; expected the magic RRDFLIDX");
    }
    int version = ByteBuffer.wrap(all, MAGIC.length, Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN).getInt();
    if (version < OLDEST_READABLE || version > VERSION) {
      throw new RrdFormatException(indexFile, MAGIC.length, "index format version " + version + "; expected " + OLDEST_READABLE + " to "
          + VERSION + " (rebuild the index)");
    }
    try {
      ChunkIndexFile in = ChunkIndexFile.parseFrom(ByteBuffer.wrap(all, HEADER_SIZE, all.length - HEADER_SIZE));
      List<RrdStream> streams = new ArrayList<>();
      for (IndexedStream s : in.getStreamsList()) {
        streams.add(new RrdStream(s.getOffset(), CrateVersion.fromBits(s.getVersionBits()), s.getLz4(), s.getHasEnd(), s.getHasFooter()));
      }
      List<Store> stores = new ArrayList<>();
      for (IndexedStore s : in.getStoresList()) {
        stores.add(new Store(StoreId.fromProto(s.getId()), CrateVersion.fromBits(s.getVersionBits())));
      }
      List<Timeline> timelines = new ArrayList<>();
      for (IndexedTimeline t : in.getTimelinesList()) {
        int kind = t.getKindValue() - 1;
        if (kind < 0 || kind >= TimelineKind.values().length) {
          throw new RrdFormatException(indexFile, HEADER_SIZE, "unknown timeline kind " + t.getKindValue() + " for timeline " + t.getName());
        }
        timelines.add(new Timeline(t.getName(), TimelineKind.values()[kind]));
      }
      List<ComponentDescriptor> components = new ArrayList<>();
      for (IndexedComponent c : in.getComponentsList()) {
        components.add(new ComponentDescriptor(c.getComponent(), c.hasArchetype() ? Optional.of(c.getArchetype()) : Optional.empty(),
            c.hasComponentType() ? Optional.of(c.getComponentType()) : Optional.empty()));
      }
      List<IndexedChunk> chunks = new ArrayList<>();
      for (IndexedChunkEntry e : in.getChunksList()) {
        SortedMap<Timeline, IndexRange> ranges = new TreeMap<>();
        for (IndexedTimeRange r : e.getTimeRangesList()) {
          ranges.put(timelines.get(r.getTimeline()), new IndexRange(r.getMin(), r.getMax()));
        }
        Map<ComponentDescriptor, SortedMap<Timeline, IndexRange>> located = new HashMap<>();
        for (int dense : e.getDenseComponentsList()) {
          located.put(components.get(dense), ranges);
        }
        for (IndexedComponentRange r : e.getComponentRangesList()) {
          located.computeIfAbsent(components.get(r.getComponent()), k -> new TreeMap<>())
              .put(timelines.get(r.getTimeline()), new IndexRange(r.getMin(), r.getMax()));
        }
        chunks.add(new IndexedChunk(stores.get(e.getStore()).id(), new ChunkId(e.getIdTimeNs(), e.getIdInc()), in.getEntityPaths(e.getEntityPath()),
            e.getIsStatic(), e.getRowCount(), ranges, e.getComponentsList().stream().map(components::get).toList(), e.getOffset(), e.getLength(),
            new ChunkSizes(e.hasDeclaredHeapBytes() ? OptionalLong.of(e.getDeclaredHeapBytes()) : OptionalLong.empty(), e.getIpcBytes()), located));
      }
      RrdFormatException damage = in.hasDamage() ? new RrdFormatException(rrdFile, in.getDamage().getOffset(), in.getDamage().getProblem()) : null;
      ChunkIndex.Source source = in.getSource() == IndexSource.INDEX_SOURCE_FOOTER ? ChunkIndex.Source.FOOTER : ChunkIndex.Source.SCAN;
      ChunkIndex saved = new ChunkIndex(rrdFile, in.getRrdFileSize(), in.getRrdLastModifiedMillis(), source, streams, stores, chunks, damage,
          in.getWarningsList());
      return new Saved(saved, version, in.getChunksInFooter());
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      // Positions out of range and the like: the file is corrupt.
      throw new RrdFormatException(indexFile, HEADER_SIZE, "corrupt index file (" + e.getMessage() + "); expected a ChunkIndexFile protobuf", e);
    }
  }

  /** Assigns each distinct value a position, in order of first use. */
  private static final class Dictionary<T> {
    final List<T> values = new ArrayList<>();
    private final Map<T, Integer> ids = new HashMap<>();

    int id(T value) {
      return ids.computeIfAbsent(value, v -> {
        values.add(v);
        return values.size() - 1;
      });
    }
  }
}
