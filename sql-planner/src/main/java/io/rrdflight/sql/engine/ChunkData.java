package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import io.rrdflight.rrd.IndexedChunk;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.complex.ListVector;

/**
 * One decoded chunk, as Arrow vectors: 16-byte big-endian RowIds, one 64-bit vector per timeline
 * and one {@code List<T>} vector per component (a null list: not logged in that row; an empty
 * list: logged with no instances). Closing it releases the buffers.
 */
public final class ChunkData implements AutoCloseable {
  private final IndexedChunk info;
  private final FixedSizeBinaryVector rowIds;
  private final Map<String, BaseFixedWidthVector> timelines;
  private final Map<String, ListVector> components;
  private final AutoCloseable owner;
  /** What is copied out of the vectors on first use: shared by the chunk's leases ({@link #leased}). */
  private final Unpacked unpacked;

  private static final class Unpacked {
    /**
     * RowIds unpacked into two unsigned halves ([0] high, [1] low), on first use: the join compares
     * them only to order cells at the same index value, which most chunks never have.
     */
    volatile long[][] rowIdHalves;
    /**
     * Per timeline, its values, copied out on first use: read by every column's join and fill; a
     * view reads its own index only, unless it shows the others.
     */
    final Map<String, long[]> times = new ConcurrentHashMap<>();
  }

  /**
   * @param owner closed with this chunk: whatever holds the vectors' buffers
   */
  public ChunkData(IndexedChunk info, FixedSizeBinaryVector rowIds, Map<String, BaseFixedWidthVector> timelines,
      Map<String, ListVector> components, AutoCloseable owner) {
    this.info = requireNonNull(info, "info is null");
    this.rowIds = requireNonNull(rowIds, "rowIds is null");
    this.timelines = Map.copyOf(requireNonNull(timelines, "timelines is null"));
    this.components = Map.copyOf(requireNonNull(components, "components is null"));
    this.owner = requireNonNull(owner, "owner is null");
    this.unpacked = new Unpacked();
  }

  private ChunkData(ChunkData shared, AutoCloseable owner) {
    this.info = shared.info;
    this.rowIds = shared.rowIds;
    this.timelines = shared.timelines;
    this.components = shared.components;
    this.owner = owner;
    this.unpacked = shared.unpacked;
  }

  /**
   * The same vectors (and what was copied out of them) for another user, whose {@link #close}
   * runs {@code owner} instead of releasing the buffers: a chunk kept by the {@link ChunkCache}.
   */
  ChunkData leased(AutoCloseable owner) {
    return new ChunkData(this, requireNonNull(owner, "owner is null"));
  }

  /** The bytes of its Arrow buffers. */
  long bytes() {
    long bytes = rowIds.getBufferSize();
    for (BaseFixedWidthVector v : timelines.values()) {
      bytes += v.getBufferSize();
    }
    for (ListVector v : components.values()) {
      bytes += v.getBufferSize();
    }
    return bytes;
  }

  public IndexedChunk info() {
    return info;
  }

  public String entityPath() {
    return info.entityPath();
  }

  public int rowCount() {
    return rowIds.getValueCount();
  }

  public long rowIdHigh(int row) {
    return rowIdHalves()[0][row];
  }

  public long rowIdLow(int row) {
    return rowIdHalves()[1][row];
  }

  /** Racy but idempotent: two threads may both unpack; either's arrays are the same values. */
  private long[][] rowIdHalves() {
    long[][] halves = unpacked.rowIdHalves;
    if (halves == null) {
      int rows = rowCount();
      long[] high = new long[rows];
      long[] low = new long[rows];
      // Read through one bounds-checked view: ArrowBuf checks every single read.
      ByteBuffer ids = rowIds.getDataBuffer().nioBuffer(0, rows * 16).order(ByteOrder.BIG_ENDIAN);
      for (int i = 0; i < rows; i++) {
        high[i] = ids.getLong(i * 16);
        low[i] = ids.getLong(i * 16 + 8);
      }
      halves = new long[][] {high, low};
      unpacked.rowIdHalves = halves;
    }
    return halves;
  }

  /** The timeline's vector (BigInt, TimeStampNano or Duration), or null when the chunk lacks it. */
  public BaseFixedWidthVector timeline(String name) {
    return timelines.get(name);
  }

  /** The timeline's values by row (its vector's, which has no nulls), or null when the chunk lacks it. */
  long[] times(String name) {
    long[] values = unpacked.times.get(name);
    if (values != null) {
      return values;
    }
    BaseFixedWidthVector vector = timelines.get(name);
    return vector == null ? null : unpacked.times.computeIfAbsent(name, n -> ArrowBuffers.longs(vector.getDataBuffer(), rowCount()));
  }

  /**
   * As {@link #times}, without keeping the copy when no one kept one: learning a chunk's times
   * ({@link ChunkTimes#of}) reads every timeline once, and a chunk kept across scans
   * ({@link ChunkCache}) should hold only the timelines queries read, not all of them on the heap.
   * The values are copied into {@code into} (at least {@link #rowCount} long), the caller's scratch;
   * they are read only, never written: the array returned may be the kept copy.
   */
  long[] timesInto(String name, long[] into) {
    long[] values = unpacked.times.get(name);
    if (values != null) {
      return values;
    }
    BaseFixedWidthVector vector = timelines.get(name);
    return vector == null ? null : ArrowBuffers.longsInto(vector.getDataBuffer(), rowCount(), into);
  }


  public Map<String, BaseFixedWidthVector> timelines() {
    return timelines;
  }

  /** The components the chunk has a list column for. */
  public java.util.Set<String> componentNames() {
    return components.keySet();
  }

  public ListVector component(String component) {
    return components.get(component);
  }

  @Override
  public void close() {
    try {
      owner.close();
    } catch (Exception e) {
      throw new IllegalStateException("closing chunk " + info.id() + " failed: " + e.getMessage(), e);
    }
  }
}
