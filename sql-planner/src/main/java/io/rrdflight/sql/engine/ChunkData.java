package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import io.rrdflight.rrd.IndexedChunk;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
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
  private final long[] rowIdHigh;
  private final long[] rowIdLow;
  /** Per timeline, its values: read by every column's join and fill, so copied out once per chunk. */
  private final Map<String, long[]> times;

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
    int rows = rowIds.getValueCount();
    // RowIds are compared many times while joining; unpacked once into two unsigned halves.
    // Read through one bounds-checked view per buffer: ArrowBuf checks every single read.
    this.rowIdHigh = new long[rows];
    this.rowIdLow = new long[rows];
    ByteBuffer ids = rowIds.getDataBuffer().nioBuffer(0, rows * 16).order(ByteOrder.BIG_ENDIAN);
    for (int i = 0; i < rows; i++) {
      rowIdHigh[i] = ids.getLong(i * 16);
      rowIdLow[i] = ids.getLong(i * 16 + 8);
    }
    Map<String, long[]> values = new HashMap<>();
    this.timelines.forEach((name, vector) -> {
      long[] out = new long[rows];
      vector.getDataBuffer().nioBuffer(0, rows * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
      values.put(name, out);
    });
    this.times = Map.copyOf(values);
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
    return rowIdHigh[row];
  }

  public long rowIdLow(int row) {
    return rowIdLow[row];
  }

  /** The timeline's vector (BigInt, TimeStampNano or Duration), or null when the chunk lacks it. */
  public BaseFixedWidthVector timeline(String name) {
    return timelines.get(name);
  }

  /** The timeline's values by row (its vector's, which has no nulls), or null when the chunk lacks it. */
  long[] times(String name) {
    return times.get(name);
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
