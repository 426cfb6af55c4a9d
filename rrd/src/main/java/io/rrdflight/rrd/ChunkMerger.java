package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.rrdflight.rrd.proto.ArrowMsg;
import io.rrdflight.rrd.proto.Compression;
import io.rrdflight.rrd.proto.Encoding;
import io.rrdflight.rrd.proto.Tuid;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.Types.MinorType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.VectorSchemaRootAppender;

/**
 * Merges a recording's many small chunks into fewer, larger ones, as Rerun's chunk store compacts
 * them when it loads a file (re_chunk_store, {@code ChunkStoreConfig::DEFAULT}). Files written by
 * {@code rr.log} per frame hold chunks of a few rows each; rerun-sdk 0.27.3's {@code df()} inserts
 * every chunk it fetches into a compacting store of its own, one by one, which makes each small
 * chunk expensive for the client. Handing it merged chunks spares it that work.
 *
 * <p>Chunks are fed in file order ({@link #add}); the chunks of one entity with the same columns
 * (names, types, metadata) collect in a run, which is merged into one chunk when the next would take
 * it past the {@link Thresholds}, would break its RowId order, or when {@link #flush} is called.
 * Static chunks, chunks already at the thresholds and anything unusual (legacy metadata, nulls in an
 * index, RowIds out of order within the chunk) pass through unchanged, and so does a run of one
 * chunk. A merged chunk keeps its rows in RowId order (Rerun's store refuses other chunks), gets a
 * fresh {@code rerun:id}, and its per-column {@code rerun:is_sorted} is recomputed.
 *
 * <p>Memory: the chunks of open runs are bounded by {@code windowBytes} of their decoded size; past
 * it, the largest run is merged early. They wait as their messages and are decoded (from
 * {@code allocator}) to be looked at and again when their run is merged, one run at a time.
 * One merger serves one stream on one thread.
 */
public final class ChunkMerger implements AutoCloseable {
  /** When a merged chunk is big enough: Rerun's compaction thresholds. */
  public record Thresholds(long maxBytes, int maxRows, int maxRowsIfUnsorted) {
    /** {@code ChunkStoreConfig::DEFAULT} of re_chunk_store at Rerun 0.27.3 (unchanged up to 0.41). */
    public static final Thresholds RERUN_DEFAULT = new Thresholds(12 * 8 * 4096, 4096, 1024);
  }

  private static final String IS_SORTED = "rerun:is_sorted";
  private static final SecureRandom RANDOM = new SecureRandom();
  /** Counter half of fresh chunk ids, as Rerun's TUIDs: random start, then incremented. */
  private static final AtomicLong NEXT_INC = new AtomicLong(RANDOM.nextLong() & Long.MAX_VALUE);

  private final BufferAllocator allocator;
  private final Thresholds limits;
  private final long windowBytes;
  private final Map<RunKey, Run> runs = new LinkedHashMap<>();
  private long openBytes;
  private long chunksIn;
  private long chunksOut;

  public ChunkMerger(BufferAllocator allocator, Thresholds limits, long windowBytes) {
    this.allocator = requireNonNull(allocator, "allocator is null");
    this.limits = requireNonNull(limits, "limits is null");
    if (windowBytes < limits.maxBytes()) {
      throw new IllegalArgumentException("windowBytes (" + windowBytes + ") must hold at least one full chunk (" + limits.maxBytes() + ")");
    }
    this.windowBytes = windowBytes;
  }

  /** Chunks given to {@link #add} so far. */
  public long chunksIn() {
    return chunksIn;
  }

  /** Chunks handed back so far, merged or not. */
  public long chunksOut() {
    return chunksOut;
  }

  /**
   * Takes the next chunk ({@code where} locates it for error messages) and returns the chunks that
   * are ready: none while it waits in a run, else the runs it closed and/or itself.
   */
  public List<ArrowMsg> add(ArrowMsg msg, String where) throws IOException {
    requireNonNull(msg, "msg is null");
    chunksIn++;
    List<ArrowMsg> ready = new ArrayList<>(2);
    long ipcSize = msg.getCompression() == Compression.COMPRESSION_LZ4 ? msg.getUncompressedSize() : msg.getPayload().size();
    if ((msg.hasIsStatic() && msg.getIsStatic()) || msg.getEncoding() != Encoding.ENCODING_ARROW_IPC || ipcSize > limits.maxBytes()) {
      return passThrough(msg, ready);
    }
    Piece piece = Piece.load(msg, where, allocator);
    if (piece == null) {
      return passThrough(msg, ready);
    }
    RunKey key = piece.key;
    piece.key = null; // the run's map key names the fields, once for all its chunks
    Run run = runs.get(key);
    if (run != null && !run.accepts(piece, limits)) {
      ready.addAll(close(runs.remove(key)));
    }
    run = runs.computeIfAbsent(key, k -> new Run());
    run.add(piece);
    openBytes += piece.bytes;
    if (run.rows >= limits.maxRows() || (!run.sorted && run.rows >= limits.maxRowsIfUnsorted())) {
      ready.addAll(close(runs.remove(key)));
    }
    while (openBytes > windowBytes) {
      RunKey largest = runs.entrySet().stream().max((a, b) -> Long.compare(a.getValue().bytes, b.getValue().bytes)).orElseThrow().getKey();
      ready.addAll(close(runs.remove(largest)));
    }
    return ready;
  }

  /** Merges every open run and returns the results (call at the end of a recording). */
  public List<ArrowMsg> flush() {
    List<ArrowMsg> ready = new ArrayList<>(runs.size());
    for (Run run : runs.values()) {
      ready.addAll(close(run));
    }
    runs.clear();
    return ready;
  }

  /** Drops the chunks of open runs without merging them (a stream that ends early). */
  @Override
  public void close() {
    runs.clear();
    openBytes = 0;
  }

  private List<ArrowMsg> passThrough(ArrowMsg msg, List<ArrowMsg> ready) {
    ready.add(msg);
    chunksOut++;
    return ready;
  }

  /**
   * The run as one chunk (its only chunk unchanged), its pieces freed. Should Arrow fail to append a
   * column type, the run's chunks go out as they came: unmerged is slower for the client, never wrong.
   */
  private List<ArrowMsg> close(Run run) {
    openBytes -= run.bytes;
    if (run.pieces.size() > 1) {
      try {
        ArrowMsg merged = merge(run);
        chunksOut++;
        return List.of(merged);
      } catch (UnsupportedOperationException | IllegalArgumentException e) {
        // falls through to the chunks as they are
      }
    }
    chunksOut += run.pieces.size();
    return run.pieces.stream().map(p -> p.msg).toList();
  }

  /** The run's chunks decoded again (the one run being merged is the only one decoded) and appended into one. */
  private ArrowMsg merge(Run run) {
    List<Decoded> decoded = new ArrayList<>(run.pieces.size());
    try {
      for (Piece p : run.pieces) {
        decoded.add(p.decodeAgain(allocator));
      }
      return merge(run, decoded);
    } finally {
      decoded.forEach(Decoded::close);
    }
  }

  private ArrowMsg merge(Run run, List<Decoded> decoded) {
    Piece first = run.pieces.get(0);
    Schema normalized = decoded.get(0).root().getSchema();
    try (VectorSchemaRoot merged = VectorSchemaRoot.create(normalized, allocator)) {
      // Arrow's appender reads the target's offsets, so they must exist even while it is empty.
      merged.allocateNew();
      VectorSchemaRootAppender.append(false, merged, decoded.stream().map(Decoded::root).toArray(VectorSchemaRoot[]::new));
      ChunkId id = new ChunkId(freshTimeNs(), NEXT_INC.getAndIncrement());
      List<Field> fields = new ArrayList<>(normalized.getFields());
      fields.set(first.rowIdField, withSorted(fields.get(first.rowIdField), true));
      for (int i = 0; i < first.indexFields.size(); i++) {
        int position = first.indexFields.get(i);
        fields.set(position, withSorted(fields.get(position), run.indexSorted[i]));
      }
      Map<String, String> metadata = new HashMap<>(normalized.getCustomMetadata());
      metadata.put("rerun:id", id.toString());
      // The writer's declared heap size was the small chunk's; without it the client measures.
      metadata.remove("rerun:heap_size_bytes");
      // The same vectors under the merged chunk's schema (closing `merged` frees them).
      VectorSchemaRoot out = new VectorSchemaRoot(new Schema(fields, metadata), merged.getFieldVectors(), merged.getRowCount());
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (ArrowStreamWriter writer = new ArrowStreamWriter(out, null, Channels.newChannel(bytes))) {
        writer.start();
        writer.writeBatch();
        writer.end();
      } catch (IOException e) {
        throw new UncheckedIOException("writing a merged chunk to memory", e);
      }
      return ArrowMsg.newBuilder()
          .setStoreId(first.msg.getStoreId())
          .setCompression(Compression.COMPRESSION_NONE)
          .setUncompressedSize(bytes.size())
          .setEncoding(Encoding.ENCODING_ARROW_IPC)
          .setPayload(ByteString.copyFrom(bytes.toByteArray()))
          .setChunkId(Tuid.newBuilder().setTimeNs(id.timeNs()).setInc(id.inc()))
          .setIsStatic(false)
          .build();
    }
  }

  /**
   * A column's size as Rerun's store weighs it against its compaction threshold (arrow-rs's buffer
   * memory size): its buffers and its children's, without the validity bitmap of a vector that has
   * no nulls, which arrow-rs does not keep. Counting those bitmaps cut an entity's 8,000 rows of
   * points into three chunks where Rerun makes two.
   */
  static long rerunSize(ValueVector v) {
    return v.getBufferSize() - bitmapsNotKept(v);
  }

  private static long bitmapsNotKept(ValueVector v) {
    MinorType type = v.getMinorType();
    boolean hasBitmap = type != MinorType.NULL && type != MinorType.UNION && type != MinorType.DENSEUNION;
    long bytes = hasBitmap && v.getNullCount() == 0 ? BitVectorHelper.getValidityBufferSize(v.getValueCount()) : 0;
    for (ValueVector child : v) {
      bytes += bitmapsNotKept(child);
    }
    return bytes;
  }

  private static long freshTimeNs() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  private static Field withSorted(Field field, boolean sorted) {
    Map<String, String> metadata = new HashMap<>(field.getMetadata());
    if (sorted) {
      metadata.put(IS_SORTED, "true");
    } else {
      metadata.remove(IS_SORTED);
    }
    FieldType type = new FieldType(field.isNullable(), field.getType(), field.getDictionary(), metadata);
    return new Field(field.getName(), type, field.getChildren());
  }

  /** Chunks merge only with chunks of the same entity and the very same columns. */
  private record RunKey(String entityPath, List<Field> fields) {}

  /** Chunks waiting to be merged, in RowId order. */
  private static final class Run {
    final List<Piece> pieces = new ArrayList<>();
    long rows;
    long bytes;
    long sizeBytes;
    boolean sorted = true;
    boolean[] indexSorted;
    long[] lastTimes;
    long lastRowIdHigh;
    long lastRowIdLow;

    /** Whether {@code p} can follow: RowIds stay in order and the merged chunk stays within limits. */
    boolean accepts(Piece p, Thresholds limits) {
      int order = Long.compareUnsigned(lastRowIdHigh, p.firstRowIdHigh);
      if (order > 0 || (order == 0 && Long.compareUnsigned(lastRowIdLow, p.firstRowIdLow) > 0)) {
        return false;
      }
      boolean stillSorted = sorted && sortedAfter(p);
      long maxRows = stillSorted ? limits.maxRows() : limits.maxRowsIfUnsorted();
      return rows + p.rows <= maxRows && sizeBytes + p.sizeBytes <= limits.maxBytes();
    }

    private boolean sortedAfter(Piece p) {
      for (int i = 0; i < p.firstTimes.length; i++) {
        if (!p.timesSorted[i] || lastTimes[i] > p.firstTimes[i]) {
          return false;
        }
      }
      return true;
    }

    void add(Piece p) {
      if (pieces.isEmpty()) {
        indexSorted = p.timesSorted.clone();
      } else {
        for (int i = 0; i < indexSorted.length; i++) {
          indexSorted[i] &= p.timesSorted[i] && lastTimes[i] <= p.firstTimes[i];
        }
      }
      sorted = true;
      for (boolean s : indexSorted) {
        sorted &= s;
      }
      pieces.add(p);
      rows += p.rows;
      bytes += p.bytes;
      sizeBytes += p.sizeBytes;
      lastTimes = p.lastTimes;
      lastRowIdHigh = p.lastRowIdHigh;
      lastRowIdLow = p.lastRowIdLow;
    }
  }

  /**
   * A chunk's vectors (index and RowId fields without {@code rerun:is_sorted}), decoded from its
   * message by {@link Piece#decode}, with the allocator that holds them.
   */
  private record Decoded(VectorSchemaRoot root, BufferAllocator owner, ChunkSchema schema) implements AutoCloseable {
    @Override
    public void close() {
      root.close();
      owner.close();
    }
  }

  /**
   * One chunk waiting in a run: its message, and what runs compare, worked out by decoding it once.
   * Its vectors are not kept: small chunks weigh far more on the heap as decoded Arrow objects than as
   * messages (thousands wait in the window), so the run's chunks are decoded again when it is merged.
   */
  private static final class Piece {
    final ArrowMsg msg;
    final String where;
    /** The chunk's entity and fields; dropped once the piece is in its run, whose map key names them. */
    RunKey key;
    final int rowIdField;
    final List<Integer> indexFields;
    final int rows;
    /** The buffers of its vectors, decoded: what the window counts. */
    final long bytes;
    /** What Rerun's store weighs against {@code maxBytes} ({@link ChunkMerger#rerunSize}). */
    final long sizeBytes;
    final long firstRowIdHigh;
    final long firstRowIdLow;
    final long lastRowIdHigh;
    final long lastRowIdLow;
    final long[] firstTimes;
    final long[] lastTimes;
    final boolean[] timesSorted;

    private Piece(ArrowMsg msg, String where, VectorSchemaRoot root, ChunkSchema schema) {
      this.msg = msg;
      this.where = where;
      this.key = new RunKey(schema.entityPath(), root.getSchema().getFields());
      this.rowIdField = schema.rowIdField();
      this.indexFields = schema.indexFields().stream().map(ChunkSchema.IndexField::position).toList();
      this.rows = root.getRowCount();
      long size = 0;
      long rerunSize = 0;
      for (FieldVector v : root.getFieldVectors()) {
        size += v.getBufferSize();
        rerunSize += rerunSize(v);
      }
      this.bytes = size;
      this.sizeBytes = rerunSize;
      FieldVector rowIds = root.getVector(rowIdField);
      firstRowIdHigh = Long.reverseBytes(rowIds.getDataBuffer().getLong(0));
      firstRowIdLow = Long.reverseBytes(rowIds.getDataBuffer().getLong(8));
      lastRowIdHigh = Long.reverseBytes(rowIds.getDataBuffer().getLong(16L * (rows - 1)));
      lastRowIdLow = Long.reverseBytes(rowIds.getDataBuffer().getLong(16L * (rows - 1) + 8));
      firstTimes = new long[indexFields.size()];
      lastTimes = new long[indexFields.size()];
      timesSorted = new boolean[indexFields.size()];
      for (int i = 0; i < indexFields.size(); i++) {
        FieldVector times = root.getVector(indexFields.get(i));
        firstTimes[i] = times.getDataBuffer().getLong(0);
        lastTimes[i] = times.getDataBuffer().getLong(8L * (rows - 1));
        timesSorted[i] = nonDecreasing(times);
      }
    }

    /**
     * The chunk, looked at, or null when it should pass through unmerged: static, empty, legacy
     * metadata, an index with nulls or of another width, RowIds out of order.
     */
    static Piece load(ArrowMsg msg, String where, BufferAllocator allocator) throws IOException {
      try (Decoded decoded = decode(msg, where, allocator)) {
        return decoded == null ? null : new Piece(msg, where, decoded.root(), decoded.schema());
      }
    }

    /** Its vectors again, for the merge (the bytes decoded before, so they decode again). */
    Decoded decodeAgain(BufferAllocator allocator) {
      try {
        return requireNonNull(decode(msg, where, allocator), "a chunk that decoded once");
      } catch (IOException e) {
        throw new UncheckedIOException(where + ": decoding a chunk again for its merge", e);
      }
    }

    private static Decoded decode(ArrowMsg msg, String where, BufferAllocator allocator) throws IOException {
      boolean lz4 = msg.getCompression() == Compression.COMPRESSION_LZ4;
      ArrowPayload.Loaded loaded = new ArrowPayload(where, 0, msg.getPayload().asReadOnlyByteBuffer(), lz4, msg.getUncompressedSize(), "chunk payload")
          .load(allocator);
      try {
        Schema schema = loaded.root().getSchema();
        Map<String, String> metadata = schema.getCustomMetadata();
        ChunkSchema chunk = ChunkSchema.of(schema, where, 0);
        boolean usable = !chunk.isStatic() && loaded.root().getRowCount() > 0 && metadata.containsKey("rerun:id") && !metadata.containsKey("rerun.id")
            // A merged chunk would hold the values of dictionary-encoded columns, not their encoding as the file's schema says.
            && !loaded.decodedDictionaries()
            && chunk.indexFields().stream().map(f -> loaded.root().getVector(f.position()))
                .allMatch(v -> v instanceof BaseFixedWidthVector w && w.getTypeWidth() == 8 && v.getNullCount() == 0)
            && loaded.root().getVector(chunk.rowIdField()).getNullCount() == 0
            && rowIdsInOrder(loaded.root().getVector(chunk.rowIdField()));
        if (!usable) {
          loaded.close();
          return null;
        }
        VectorSchemaRoot root = withoutSortedFlags(loaded.root(), chunk, loaded.allocator());
        return new Decoded(root, loaded.allocator(), chunk);
      } catch (IOException | RuntimeException e) {
        loaded.close();
        throw e;
      }
    }

    /**
     * The root with {@code rerun:is_sorted} left out of the RowId and index fields: it differs from
     * chunk to chunk of one run and is recomputed for the merged chunk. The buffers move, not copy.
     */
    private static VectorSchemaRoot withoutSortedFlags(VectorSchemaRoot root, ChunkSchema chunk, BufferAllocator allocator) {
      List<Integer> positions = new ArrayList<>(chunk.indexFields().stream().map(ChunkSchema.IndexField::position).toList());
      positions.add(chunk.rowIdField());
      List<FieldVector> vectors = new ArrayList<>(root.getFieldVectors());
      List<Field> fields = new ArrayList<>(root.getSchema().getFields());
      for (int p : positions) {
        if (!fields.get(p).getMetadata().containsKey(IS_SORTED)) {
          continue;
        }
        Field plain = withSorted(fields.get(p), false);
        FieldVector moved = plain.createVector(allocator);
        vectors.get(p).makeTransferPair(moved).transfer();
        moved.setValueCount(root.getRowCount());
        vectors.get(p).close();
        vectors.set(p, moved);
        fields.set(p, plain);
      }
      return new VectorSchemaRoot(new Schema(fields, root.getSchema().getCustomMetadata()), vectors, root.getRowCount());
    }

    private static boolean rowIdsInOrder(FieldVector rowIds) {
      long prevHigh = 0;
      long prevLow = 0;
      for (int i = 0; i < rowIds.getValueCount(); i++) {
        long high = Long.reverseBytes(rowIds.getDataBuffer().getLong(16L * i));
        long low = Long.reverseBytes(rowIds.getDataBuffer().getLong(16L * i + 8));
        int order = Long.compareUnsigned(prevHigh, high);
        if (i > 0 && (order > 0 || (order == 0 && Long.compareUnsigned(prevLow, low) > 0))) {
          return false;
        }
        prevHigh = high;
        prevLow = low;
      }
      return true;
    }

    private static boolean nonDecreasing(FieldVector times) {
      for (int i = 1; i < times.getValueCount(); i++) {
        if (times.getDataBuffer().getLong(8L * (i - 1)) > times.getDataBuffer().getLong(8L * i)) {
          return false;
        }
      }
      return true;
    }
  }
}
