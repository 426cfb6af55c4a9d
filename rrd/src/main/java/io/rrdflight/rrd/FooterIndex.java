package io.rrdflight.rrd;

import io.rrdflight.rrd.proto.DataframePart;
import io.rrdflight.rrd.proto.RrdFooter;
import io.rrdflight.rrd.proto.RrdManifest;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import net.jpountz.xxhash.XXHash32;
import net.jpountz.xxhash.XXHashFactory;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The fast path of indexing, for files written by Rerun 0.28 and later: the footer at the end of the
 * file points to an RrdFooter whose manifests list every chunk with its entity, rows, time ranges and
 * byte span. Nothing but the footer is read.
 *
 * <p>The footer is used only when it certainly describes the whole file: one stream footer entry,
 * an RrdFooter that ends exactly where the stream footer starts, preceded by an End message header,
 * with a matching XXH32 checksum. Footer offsets count from the start of the stream that wrote them,
 * so in a concatenated file ({@code cat a.rrd b.rrd}) they do not match and we fall back to a scan;
 * these checks also keep a copy of the same footer earlier in the file ({@code cat a.rrd a.rrd})
 * from passing for the last one.
 */
final class FooterIndex {
  private static final int TAIL_SIZE = 12;
  private static final int ENTRY_SIZE = 20;
  private static final int CRC_SEED = 7850921; // "RERUN" in base 26, per Rerun's footer
  private static final byte[] MAGIC = "RRF2FOOT".getBytes(StandardCharsets.US_ASCII);
  private static final XXHash32 XXH32 = XXHashFactory.fastestInstance().hash32();
  private static final String STATIC_INDEX = "rerun:static";

  /**
   * The file's one stream, its stores and chunks, read from a footer; with each store's schema as
   * the writer summed it up for the footer (Rerun's "sorbet" schema), where it could be read.
   */
  record Contents(RrdStream stream, List<Store> stores, List<IndexedChunk> chunks, Map<StoreId, Schema> schemas) {}

  private FooterIndex() {}

  /**
   * The footer's contents, or empty when the file has no footer that can be trusted for the whole
   * file; then {@code notes} says why, if a footer was there at all.
   */
  static Optional<Contents> read(FileBytes bytes, BufferAllocator allocator, List<String> notes) throws IOException {
    List<IndexedChunk> chunks = new ArrayList<>();
    return readManifests(bytes, allocator, notes, (store, columns) -> columns.readInto(store, chunks))
        .map(head -> new Contents(head.stream(), head.stores(), chunks, head.schemas()));
  }

  /**
   * The footer's stores with their totals ({@link StoreTotals}: counts, sizes, timelines, columns),
   * summed straight from the manifests' columns without a per-chunk object; empty exactly when
   * {@link #read} is (the same checks, the same notes).
   */
  static Optional<FooterTotals.Contents> totals(FileBytes bytes, BufferAllocator allocator, List<String> notes) throws IOException {
    List<StoreTotals> totals = new ArrayList<>();
    return readManifests(bytes, allocator, notes, (store, columns) -> totals.add(columns.totals(store)))
        .map(head -> new FooterTotals.Contents(head.stream(), head.stores(), totals, head.schemas()));
  }

  /** What is read of a footer besides its manifests' rows. */
  private record Head(RrdStream stream, List<Store> stores, Map<StoreId, Schema> schemas) {}

  /** Takes one manifest's columns, while they are loaded. */
  private interface ManifestUse {
    void accept(Store store, ManifestColumns columns) throws RrdFormatException;
  }

  /**
   * Verifies the footer and hands each manifest's columns to {@code use}; empty when the file has no
   * footer that can be trusted for the whole file or a manifest cannot be used ({@code notes} says why).
   */
  private static Optional<Head> readManifests(FileBytes bytes, BufferAllocator allocator, List<String> notes, ManifestUse use)
      throws IOException {
    Optional<VerifiedFooter> footer = verifiedFooter(bytes, notes);
    if (footer.isEmpty()) {
      return Optional.empty();
    }
    StreamHeader header;
    try {
      header = StreamHeader.parse(bytes.file(), 0, bytes.read(0, StreamHeader.SIZE, "stream header"));
    } catch (RrdFormatException e) {
      return Optional.empty(); // a bad start is for the scan to report, located
    }
    long footerStart = footer.get().start();
    try {
      RrdFooter rrdFooter = RrdFooter.parseFrom(footer.get().bytes());
      List<Store> stores = new ArrayList<>();
      Map<StoreId, Schema> schemas = new HashMap<>();
      for (RrdManifest manifest : rrdFooter.getManifestsList()) {
        StoreId id = StoreId.fromProto(manifest.getStoreId());
        Store store = new Store(id, header.version());
        stores.add(store);
        readManifest(bytes, footerStart, store, manifest.getData(), allocator, use);
        sorbetSchema(bytes, footerStart, id, manifest, notes).ifPresent(schema -> schemas.put(id, schema));
      }
      return Optional.of(new Head(new RrdStream(0, header.version(), header.lz4(), true, true), stores, schemas));
    } catch (InvalidProtocolBufferException | RrdFormatException e) {
      // The checksum matched, so this is what the writer wrote; a manifest we cannot read is a gap in
      // our knowledge, not damage. A scan still reads the file.
      notes.add("the footer's manifest could not be used (" + e.getMessage() + "); the file was scanned instead");
      return Optional.empty();
    }
  }

  /**
   * The stores the footer lists, without reading their manifests' chunk tables; empty when the file
   * has no footer that can be trusted for the whole file.
   */
  static Optional<List<StoreId>> stores(FileBytes bytes) throws IOException {
    Optional<VerifiedFooter> footer = verifiedFooter(bytes, new ArrayList<>());
    if (footer.isEmpty()) {
      return Optional.empty();
    }
    try {
      List<StoreId> stores = new ArrayList<>();
      for (RrdManifest manifest : RrdFooter.parseFrom(footer.get().bytes()).getManifestsList()) {
        stores.add(StoreId.fromProto(manifest.getStoreId()));
      }
      return Optional.of(stores);
    } catch (InvalidProtocolBufferException e) {
      return Optional.empty();
    }
  }

  /** Whether the file ends with a stream footer whose RrdFooter checks out; for reporting. */
  static boolean hasVerifiedFooter(FileBytes bytes) throws IOException {
    return verifiedFooter(bytes, new ArrayList<>()).isPresent();
  }

  /** [start, length] of the RrdFooter the stream footer points to, or null if there is none. */
  private static long[] footerSpan(FileBytes bytes) throws IOException {
    long size = bytes.size();
    if (size < StreamHeader.SIZE + Frame.HEADER_SIZE + ENTRY_SIZE + TAIL_SIZE) {
      return null;
    }
    ByteBuffer tail = bytes.read(size - ENTRY_SIZE - TAIL_SIZE, ENTRY_SIZE + TAIL_SIZE, "stream footer");
    for (int i = 0; i < MAGIC.length; i++) {
      if (tail.get(ENTRY_SIZE + i) != MAGIC[i]) {
        return null;
      }
    }
    if (tail.getInt(ENTRY_SIZE + 8) != 1) {
      return null; // writers emit exactly one entry; anything else we leave to the scan
    }
    return new long[] {tail.getLong(0), tail.getLong(8), tail.getInt(16) & 0xFFFFFFFFL};
  }

  /** An RrdFooter whose checksum matched, and where it starts in the file. */
  record VerifiedFooter(long start, ByteBuffer bytes) {}

  static Optional<VerifiedFooter> verifiedFooter(FileBytes bytes, List<String> notes) throws IOException {
    long[] span = footerSpan(bytes);
    if (span == null) {
      return Optional.empty();
    }
    long start = span[0];
    long length = span[1];
    long streamFooterStart = bytes.size() - ENTRY_SIZE - TAIL_SIZE;
    if (length <= 0 || start < StreamHeader.SIZE + Frame.HEADER_SIZE || start > streamFooterStart || length != streamFooterStart - start) {
      notes.add("the stream footer at the end of the file points to bytes " + start + "+" + length
          + ", which do not end where it starts (a concatenated file?); the file was scanned instead");
      return Optional.empty();
    }
    ByteBuffer header = bytes.read(start - Frame.HEADER_SIZE, Frame.HEADER_SIZE, "End message header");
    if (header.getLong(0) != MessageKind.END.code() || header.getLong(8) != length) {
      notes.add("the stream footer does not point just after an End message; the file was scanned instead");
      return Optional.empty();
    }
    ByteBuffer footer = bytes.readCopy(start, length, "RrdFooter");
    long crc = XXH32.hash(footer, footer.position(), footer.remaining(), CRC_SEED) & 0xFFFFFFFFL;
    if (crc != span[2]) {
      notes.add("the RrdFooter's checksum does not match; the file was scanned instead");
      return Optional.empty();
    }
    return Optional.of(new VerifiedFooter(start, footer));
  }

  /**
   * The store's schema from its manifest; empty when the writer left it out or it cannot be read
   * (then {@code notes} says so): the schema is a summary that readers can also work out from the
   * chunks, so it never makes the footer unusable.
   */
  private static Optional<Schema> sorbetSchema(FileBytes bytes, long footerStart, StoreId store, RrdManifest manifest, List<String> notes) {
    if (!manifest.hasSorbetSchema() || !manifest.getSorbetSchema().hasArrowSchema()) {
      return Optional.empty();
    }
    try {
      return Optional.of(IpcStream.parseSchema(manifest.getSorbetSchema().getArrowSchema().asReadOnlyByteBuffer(), bytes.file(), footerStart,
          "footer schema"));
    } catch (RrdFormatException e) {
      notes.add("the footer's schema of " + store + " could not be read ("
          + e.getMessage() + "); its columns are read from the chunks instead");
      return Optional.empty();
    }
  }

  private static void readManifest(FileBytes bytes, long footerStart, Store store, DataframePart data, BufferAllocator allocator,
      ManifestUse use) throws IOException {
    boolean lz4 = data.getCompression() == io.rrdflight.rrd.proto.Compression.COMPRESSION_LZ4;
    // A copy into an array: lz4-java's native decompressor takes only direct or array-backed
    // buffers and quietly falls back to its slowest pure-Java one for the read-only view a
    // ByteString gives; that fallback, interpreted on a fresh server, was a tenth of registering.
    ByteBuffer compressed = lz4 ? ByteBuffer.wrap(data.getPayload().toByteArray()) : data.getPayload().asReadOnlyByteBuffer();
    ArrowPayload payload = new ArrowPayload(bytes.file(), footerStart, compressed, lz4, data.getUncompressedSize(), "footer manifest");
    try (ArrowPayload.Loaded loaded = payload.load(allocator)) {
      use.accept(store, new ManifestColumns(bytes, footerStart, loaded.root()));
    } catch (ClassCastException e) {
      throw new RrdFormatException(bytes.file(), footerStart, "footer manifest has a column of an unexpected type (" + e.getMessage() + ")");
    }
  }

  /** The columns of a manifest record batch: one row per chunk. */
  private static final class ManifestColumns {
    private final FileBytes bytes;
    private final long at;
    private final VectorSchemaRoot root;
    private final Map<String, FieldVector> byName = new HashMap<>();
    /** Per timeline: its start and end columns. */
    private final SortedMap<Timeline, FieldVector[]> timelines = new TreeMap<>();
    /** Components of static chunks: has_static_data columns. */
    private final List<Map.Entry<ComponentDescriptor, BitVector>> staticComponents = new ArrayList<>();
    /** Components of temporal chunks: num_rows columns, one per timeline and component. */
    private final List<Map.Entry<ComponentDescriptor, BaseFixedWidthVector>> temporalComponents = new ArrayList<>();
    /** Per timeline and component: the start, end and num_rows columns of the component's cells. */
    private final List<ComponentColumns> componentRanges = new ArrayList<>();

    /** The columns locating one component's cells on one timeline; start and end may be missing. */
    private record ComponentColumns(String timeline, ComponentDescriptor component, BaseFixedWidthVector rows,
        BaseFixedWidthVector start, BaseFixedWidthVector end) {}

    ManifestColumns(FileBytes bytes, long at, VectorSchemaRoot root) throws RrdFormatException {
      this.bytes = bytes;
      this.at = at;
      this.root = root;
      Map<String, FieldVector> starts = new HashMap<>();
      Map<String, FieldVector> ends = new HashMap<>();
      // Per (timeline, component): [num_rows, start, end].
      Map<Map.Entry<String, ComponentDescriptor>, FieldVector[]> perComponent = new LinkedHashMap<>();
      for (FieldVector vector : root.getFieldVectors()) {
        Field field = vector.getField();
        Map<String, String> md = field.getMetadata();
        String index = md.get("rerun:index");
        String component = md.get("rerun:component");
        String name = field.getName();
        if (index == null) {
          byName.put(name, vector);
        } else if (component == null) {
          (name.endsWith(":start") ? starts : ends).put(index, vector);
        } else {
          ComponentDescriptor descriptor = new ComponentDescriptor(component, Optional.ofNullable(md.get("rerun:archetype")),
              Optional.ofNullable(md.get("rerun:component_type")));
          if (index.equals(STATIC_INDEX)) {
            staticComponents.add(Map.entry(descriptor, (BitVector) vector));
          } else {
            int slot = name.endsWith(":num_rows") ? 0 : name.endsWith(":start") ? 1 : name.endsWith(":end") ? 2 : -1;
            if (slot == 0) {
              temporalComponents.add(Map.entry(descriptor, (BaseFixedWidthVector) vector));
            }
            if (slot >= 0) {
              perComponent.computeIfAbsent(Map.entry(index, descriptor), k -> new FieldVector[3])[slot] = vector;
            }
          }
        }
      }
      perComponent.forEach((key, columns) -> {
        if (columns[0] != null) {
          componentRanges.add(new ComponentColumns(key.getKey(), key.getValue(), (BaseFixedWidthVector) columns[0],
              (BaseFixedWidthVector) columns[1], (BaseFixedWidthVector) columns[2]));
        }
      });
      for (Map.Entry<String, FieldVector> start : starts.entrySet()) {
        FieldVector end = ends.get(start.getKey());
        TimelineKind kind = TimelineKind.fromArrowType(start.getValue().getField().getType())
            .orElseThrow(() -> new RrdFormatException(bytes.file(), at, "footer manifest column " + start.getValue().getField() + " is not a timeline type"));
        if (end == null) {
          throw new RrdFormatException(bytes.file(), at, "footer manifest has " + start.getKey() + ":start but no :end column");
        }
        timelines.put(new Timeline(start.getKey(), kind), new FieldVector[] {start.getValue(), end});
      }
    }

    void readInto(Store store, List<IndexedChunk> chunks) throws RrdFormatException {
      Rows rows = new Rows();
      for (int row = 0; row < root.getRowCount(); row++) {
        boolean chunkIsStatic = rows.isStatic(row);
        SortedMap<Timeline, IndexRange> ranges = new TreeMap<>();
        for (Map.Entry<Timeline, FieldVector[]> t : timelines.entrySet()) {
          BaseFixedWidthVector start = (BaseFixedWidthVector) t.getValue()[0];
          BaseFixedWidthVector end = (BaseFixedWidthVector) t.getValue()[1];
          if (onTimeline(start, end, row)) {
            ranges.put(t.getKey(), new IndexRange(long64(start, row), long64(end, row)));
          }
        }
        Map<ComponentDescriptor, SortedMap<Timeline, IndexRange>> located = chunkIsStatic ? Map.of() : componentRanges(row, ranges);
        long offset = rows.offset(row);
        long length = rows.length(row);
        chunks.add(new IndexedChunk(store.id(), ChunkId.fromBytes(rows.ids.get(row)), rows.entityPath(row), chunkIsStatic,
            rows.rowCount(row), ranges, components(row, chunkIsStatic), offset, length, ChunkSizes.undeclared(rows.ipcBytes(row, length)), located));
      }
    }

    /**
     * The store's totals, summed over the rows as {@link #readInto} would read them (the same
     * checks, so the same failures), without an object per chunk: what registration needs. Each
     * column is copied out of Arrow once and the rows are read from plain arrays: on a fresh server
     * this loop runs interpreted, where a cell read through Arrow's accessors (bounds, reference-count
     * and null checks, several calls each) made a 452-chunk manifest cost ~40 ms, and those accessors
     * were what the JIT compiled during the first registration. A row's entity path and columns are
     * looked at only when they differ from the row before and from every chunk seen with that entity.
     */
    StoreTotals totals(Store store) throws RrdFormatException {
      Rows rows = new Rows();
      requireLongColumns(rows);
      int n = root.getRowCount();
      byte[] staticValid = validity(rows.isStatic, n);
      byte[] staticBits = bitsOf(rows.isStatic, n);
      long[] rowCounts = longs(rows.rowCounts, n);
      long[] offsets = longs(rows.offsets, n);
      long[] sizes = longs(rows.sizes, n);
      long[] uncompressed = rows.uncompressed == null ? null : longs(rows.uncompressed, n);
      byte[] uncompressedValid = rows.uncompressed == null ? null : validity(rows.uncompressed, n);
      byte[] pathValid = validity(rows.entityPaths, n);
      int[] pathOffsets = ints(rows.entityPaths.getOffsetBuffer(), n + 1);
      byte[] paths = new byte[n == 0 ? 0 : pathOffsets[n]];
      rows.entityPaths.getDataBuffer().getBytes(0, paths);
      CellMasks masks = new CellMasks(n);
      StoreTotals.Builder totals = new StoreTotals.Builder(store);
      Set<ChunkColumns> seen = new HashSet<>();
      // The last kinds of chunk met (by the row of their entity path, static flag and components):
      // chunks of a few entities interleave, and comparing bytes with these few is cheaper than
      // making each row's path and hashing it, interpreted.
      int[] recentRows = new int[RECENT];
      boolean[] recentStatic = new boolean[RECENT];
      long[][] recentMasks = new long[RECENT][masks.words];
      int recent = 0;
      long[] mask = new long[masks.words];
      for (int row = 0; row < n; row++) {
        if (!isSet(staticValid, row)) {
          rows.isStatic(row); // fails as readInto fails on it
        }
        boolean chunkIsStatic = isSet(staticBits, row);
        long length = sizes[row];
        checkedOffset(offsets[row], length, row);
        boolean any = masks.fill(row, chunkIsStatic, mask);
        if (!isSet(pathValid, row)) {
          rows.entityPath(row); // fails as readInto fails on it
        }
        totals.addChunk(rowCounts[row]);
        if (!any) {
          continue;
        }
        totals.addComponentChunk(uncompressed != null && isSet(uncompressedValid, row) && uncompressed[row] >= 0 ? uncompressed[row] : length);
        boolean met = false;
        for (int r = 0; r < Math.min(recent, RECENT) && !met; r++) {
          met = recentStatic[r] == chunkIsStatic && same(recentMasks[r], mask) && samePath(paths, pathOffsets, row, recentRows[r]);
        }
        if (met) {
          continue;
        }
        String path = rows.entityPath(row);
        if (seen.add(new ChunkColumns(path, chunkIsStatic, BitSet.valueOf(mask)))) {
          totals.addColumns(path, chunkIsStatic, components(row, chunkIsStatic));
        }
        int slot = recent++ % RECENT;
        recentRows[slot] = row;
        recentStatic[slot] = chunkIsStatic;
        System.arraycopy(mask, 0, recentMasks[slot], 0, mask.length);
      }
      for (Map.Entry<Timeline, FieldVector[]> t : timelines.entrySet()) {
        byte[] startValid = validity(t.getValue()[0], n);
        byte[] endValid = validity(t.getValue()[1], n);
        long[] starts = longs((BaseFixedWidthVector) t.getValue()[0], n);
        long[] ends = longs((BaseFixedWidthVector) t.getValue()[1], n);
        boolean on = false;
        for (int row = 0; row < n; row++) {
          if (isSet(startValid, row) && isSet(endValid, row) && starts[row] != Long.MIN_VALUE) {
            on = true;
            if (starts[row] > ends[row]) {
              new IndexRange(starts[row], ends[row]); // refused as readInto refuses it
            }
          }
        }
        if (on) {
          totals.addTimeline(t.getKey());
        }
      }
      return totals.build();
    }

    /** How many kinds of chunk {@link #totals} compares a row with before it looks the row's kind up. */
    private static final int RECENT = 8;

    /** An entity's chunks with cells of the same components, as {@link #totals} meets them: their columns are added once. */
    private record ChunkColumns(String entityPath, boolean isStatic, BitSet components) {}

    /**
     * Which components have cells in a row, as bits (the same test as {@link #components}): a static
     * chunk's by their has_static_data column, a temporal chunk's by a positive num_rows on some
     * timeline, one bit per component however many timelines it is on.
     */
    private final class CellMasks {
      final int words;
      private final byte[][] staticValid;
      private final byte[][] staticBits;
      private final byte[][] temporalValid;
      private final long[][] temporalRows;
      private final int[] temporalBit;

      CellMasks(int n) {
        staticValid = new byte[staticComponents.size()][];
        staticBits = new byte[staticComponents.size()][];
        for (int i = 0; i < staticComponents.size(); i++) {
          staticValid[i] = validity(staticComponents.get(i).getValue(), n);
          staticBits[i] = bitsOf(staticComponents.get(i).getValue(), n);
        }
        temporalValid = new byte[temporalComponents.size()][];
        temporalRows = new long[temporalComponents.size()][];
        temporalBit = new int[temporalComponents.size()];
        Map<ComponentDescriptor, Integer> bits = new HashMap<>();
        for (int i = 0; i < temporalComponents.size(); i++) {
          temporalValid[i] = validity(temporalComponents.get(i).getValue(), n);
          temporalRows[i] = longs(temporalComponents.get(i).getValue(), n);
          temporalBit[i] = bits.computeIfAbsent(temporalComponents.get(i).getKey(), k -> bits.size());
        }
        words = Math.max(staticComponents.size(), bits.size()) / Long.SIZE + 1;
      }

      /** Sets {@code mask} to the row's components; whether it has any. */
      boolean fill(int row, boolean chunkIsStatic, long[] mask) {
        Arrays.fill(mask, 0);
        boolean any = false;
        if (chunkIsStatic) {
          for (int i = 0; i < staticBits.length; i++) {
            if (isSet(staticValid[i], row) && isSet(staticBits[i], row)) {
              mask[i >>> 6] |= 1L << i;
              any = true;
            }
          }
        } else {
          for (int i = 0; i < temporalRows.length; i++) {
            if (isSet(temporalValid[i], row) && temporalRows[i][row] > 0) {
              mask[temporalBit[i] >>> 6] |= 1L << temporalBit[i];
              any = true;
            }
          }
        }
        return any;
      }
    }

    // Plain loops, not Arrays.equals: its vectorised mismatch is a dozen calls per 8 bytes while
    // interpreted, for masks of a word or two and paths of a few dozen bytes.
    private static boolean same(long[] a, long[] b) {
      for (int i = 0; i < a.length; i++) {
        if (a[i] != b[i]) {
          return false;
        }
      }
      return true;
    }

    private static boolean samePath(byte[] paths, int[] offsets, int row, int other) {
      int length = offsets[row + 1] - offsets[row];
      if (length != offsets[other + 1] - offsets[other]) {
        return false;
      }
      for (int i = 0, a = offsets[row], b = offsets[other]; i < length; i++) {
        if (paths[a + i] != paths[b + i]) {
          return false;
        }
      }
      return true;
    }

    /** The first {@code n} values of a 64-bit column (checked by {@link #requireLongColumns}), copied out at once. */
    private static long[] longs(BaseFixedWidthVector v, int n) {
      long[] out = new long[n];
      v.getDataBuffer().nioBuffer(0, n * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
      return out;
    }

    private static int[] ints(org.apache.arrow.memory.ArrowBuf buffer, int n) {
      int[] out = new int[n];
      buffer.nioBuffer(0, n * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
      return out;
    }

    /** The validity bits of the first {@code n} cells. */
    private static byte[] validity(FieldVector v, int n) {
      byte[] out = new byte[(n + 7) >>> 3];
      v.getValidityBuffer().getBytes(0, out);
      return out;
    }

    /** The value bits of a boolean column's first {@code n} cells. */
    private static byte[] bitsOf(BitVector v, int n) {
      byte[] out = new byte[(n + 7) >>> 3];
      v.getDataBuffer().getBytes(0, out);
      return out;
    }

    private static boolean isSet(byte[] bits, int row) {
      return (bits[row >>> 3] >> (row & 7) & 1) != 0;
    }

    /**
     * Fails as {@link #readInto} would on a 64-bit column that is not: this reads fewer cells, yet
     * must refuse every manifest that one refuses (it may refuse more; the caller then reads the
     * whole footer).
     */
    private void requireLongColumns(Rows rows) {
      List<BaseFixedWidthVector> columns = new ArrayList<>(List.of(rows.rowCounts, rows.offsets, rows.sizes));
      if (rows.uncompressed != null) {
        columns.add(rows.uncompressed);
      }
      timelines.values().forEach(pair -> {
        columns.add((BaseFixedWidthVector) pair[0]);
        columns.add((BaseFixedWidthVector) pair[1]);
      });
      temporalComponents.forEach(c -> columns.add(c.getValue()));
      for (ComponentColumns c : componentRanges) {
        columns.add(c.rows());
        if (c.start() != null) {
          columns.add(c.start());
        }
        if (c.end() != null) {
          columns.add(c.end());
        }
      }
      for (BaseFixedWidthVector column : columns) {
        if (column.getTypeWidth() != Long.BYTES) {
          throw new ClassCastException(column.getField() + " is not a 64-bit column");
        }
      }
    }

    /**
     * Whether the chunk of {@code row} has times on a timeline. Null: the chunk is not on it.
     * Long.MIN_VALUE: Rerun's "static" time, written when the chunk has the timeline but no value on it.
     */
    private static boolean onTimeline(BaseFixedWidthVector start, BaseFixedWidthVector end, int row) {
      return !start.isNull(row) && !end.isNull(row) && long64(start, row) != Long.MIN_VALUE;
    }

    /** The components with a cell in the chunk of {@code row}. */
    private List<ComponentDescriptor> components(int row, boolean chunkIsStatic) {
      List<ComponentDescriptor> components = new ArrayList<>();
      if (chunkIsStatic) {
        for (Map.Entry<ComponentDescriptor, BitVector> c : staticComponents) {
          if (!c.getValue().isNull(row) && c.getValue().get(row) == 1) {
            components.add(c.getKey());
          }
        }
      } else {
        for (Map.Entry<ComponentDescriptor, BaseFixedWidthVector> c : temporalComponents) {
          if (!c.getValue().isNull(row) && long64(c.getValue(), row) > 0 && !components.contains(c.getKey())) {
            components.add(c.getKey());
          }
        }
      }
      return components;
    }

    /** A chunk's offset, checked to lie with its length inside the stream. */
    private long checkedOffset(long offset, long length, int row) throws RrdFormatException {
      long footerMessage = at - Frame.HEADER_SIZE;
      if (offset < StreamHeader.SIZE + Frame.HEADER_SIZE || length < 0 || offset > footerMessage || length > footerMessage - offset) {
        throw new RrdFormatException(bytes.file(), at, "footer manifest places chunk " + row + " at " + offset + "+" + length + ", outside the stream");
      }
      return offset;
    }

    /** The per-chunk columns every manifest has, read row by row. */
    private final class Rows {
      final VarCharVector entityPaths = (VarCharVector) required("chunk_entity_path");
      final FixedSizeBinaryVector ids = (FixedSizeBinaryVector) required("chunk_id");
      final BitVector isStatic = (BitVector) required("chunk_is_static");
      final BaseFixedWidthVector rowCounts = (BaseFixedWidthVector) required("chunk_num_rows");
      final BaseFixedWidthVector offsets = (BaseFixedWidthVector) required("chunk_byte_offset");
      final BaseFixedWidthVector sizes = (BaseFixedWidthVector) required("chunk_byte_size");
      // Footers since 0.28 also give the decompressed IPC length; schemas (and any declared heap
      // size in them) are not read from a footer-indexed file.
      final BaseFixedWidthVector uncompressed = optional("chunk_byte_size_uncompressed");

      Rows() throws RrdFormatException {}

      boolean isStatic(int row) {
        return isStatic.get(row) == 1;
      }

      String entityPath(int row) {
        return ChunkSchema.normalizeEntityPath(new String(entityPaths.get(row), StandardCharsets.UTF_8));
      }

      long rowCount(int row) {
        return long64(rowCounts, row);
      }

      long length(int row) {
        return long64(sizes, row);
      }

      /** Where the chunk's ArrowMsg starts, checked to lie with its length inside the stream. */
      long offset(int row) throws RrdFormatException {
        return checkedOffset(long64(offsets, row), length(row), row);
      }

      /** The decompressed IPC length, where the footer gives it; else the stored length. */
      long ipcBytes(int row, long length) {
        return uncompressed != null && !uncompressed.isNull(row) && long64(uncompressed, row) >= 0 ? long64(uncompressed, row) : length;
      }
    }

    /**
     * The times of each component's cells in one chunk, as the writer summed them up per timeline
     * (from the validity of the component's column, so both ends are times of real cells). A
     * component with no cells on a timeline, or a pair of columns that does not make a range inside
     * the chunk's, is left out: for the planner that only means "somewhere within the chunk's range".
     */
    private Map<ComponentDescriptor, SortedMap<Timeline, IndexRange>> componentRanges(int row, SortedMap<Timeline, IndexRange> chunkRanges) {
      Map<ComponentDescriptor, SortedMap<Timeline, IndexRange>> out = new HashMap<>();
      for (ComponentColumns c : componentRanges) {
        if (c.start() == null || c.end() == null || c.rows().isNull(row) || long64(c.rows(), row) <= 0
            || c.start().isNull(row) || c.end().isNull(row)) {
          continue;
        }
        long min = long64(c.start(), row);
        long max = long64(c.end(), row);
        Timeline timeline = timelineNamed(c.timeline());
        IndexRange chunk = timeline == null ? null : chunkRanges.get(timeline);
        // Cells outside the chunk's own range would contradict the rest of the manifest: not trusted.
        if (chunk == null || min > max || min < chunk.min() || max > chunk.max()) {
          continue;
        }
        out.computeIfAbsent(c.component(), k -> new TreeMap<>()).put(timeline, new IndexRange(min, max));
      }
      return out;
    }

    private Timeline timelineNamed(String name) {
      for (Timeline t : timelines.keySet()) {
        if (t.name().equals(name)) {
          return t;
        }
      }
      return null;
    }

    private FieldVector required(String name) throws RrdFormatException {
      FieldVector v = byName.get(name);
      if (v == null) {
        throw new RrdFormatException(bytes.file(), at, "footer manifest has no " + name + " column");
      }
      return v;
    }

    private BaseFixedWidthVector optional(String name) {
      return (BaseFixedWidthVector) byName.get(name);
    }

    /** The 64-bit value of a Int64, UInt64, Timestamp or Duration cell. */
    private static long long64(BaseFixedWidthVector v, int row) {
      if (v.getTypeWidth() != Long.BYTES) {
        throw new ClassCastException(v.getField() + " is not a 64-bit column");
      }
      return v.getDataBuffer().getLong((long) row * Long.BYTES);
    }
  }
}
