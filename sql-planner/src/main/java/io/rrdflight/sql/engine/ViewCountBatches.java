package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.Partition;
import io.rrdflight.sql.ResultBatches;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A view's number of rows over some partitions, as one row of one BIGINT column: what
 * {@code COUNT(*)} with no filter returns. Each partition's count is the one a scan learnt
 * ({@link ChunkTimesCache#rowCount}, in memory or stored); the partitions whose count is not known
 * are scanned as COUNT(*) always was (no column read, {@link ViewBatches}), which learns theirs.
 * The one value is written here, not through {@code RowResultBatches}: that copies the rows of a JDBC
 * cursor, and a long known at execution has none (a cursor made for it would be the larger code).
 */
public final class ViewCountBatches implements ResultBatches {
  private final ViewSchema schema;
  private final List<Partition> partitions;
  private final RerunData data;
  private final BufferAllocator allocator;
  private final int batchRows;
  private final long windowBytes;
  private final ChunkTimesCache timesCache;
  private final VectorSchemaRoot root;
  private boolean done;

  /** @param name the one column's name */
  public ViewCountBatches(ViewSchema schema, List<Partition> partitions, RerunData data, BufferAllocator allocator, int batchRows,
      long windowBytes, ChunkTimesCache timesCache, String name) {
    this.schema = requireNonNull(schema, "schema is null");
    this.partitions = List.copyOf(partitions);
    this.data = requireNonNull(data, "data is null");
    this.allocator = requireNonNull(allocator, "allocator is null");
    this.batchRows = batchRows;
    this.windowBytes = windowBytes;
    this.timesCache = requireNonNull(timesCache, "timesCache is null");
    this.root = VectorSchemaRoot.create(schema(name), allocator);
  }

  /** The schema of the one column. */
  public static Schema schema(String name) {
    return new Schema(List.of(new Field(requireNonNull(name, "name is null"), FieldType.notNullable(new ArrowType.Int(64, true)), null)));
  }

  @Override
  public VectorSchemaRoot root() {
    return root;
  }

  @Override
  public boolean next() {
    if (done) {
      root.setRowCount(0);
      return false;
    }
    done = true;
    long total = 0;
    List<Partition> unknown = new ArrayList<>();
    QueryView view = schema.view();
    for (Partition p : partitions) {
      OptionalLong known = view.index().isPresent() && view.range().isEverything() && !view.fillLatestAt()
          ? timesCache.rowCount(p, view.index().get(), view.contents().toString())
          : OptionalLong.empty();
      if (known.isPresent()) {
        total += known.getAsLong();
      } else {
        unknown.add(p);
      }
    }
    if (!unknown.isEmpty()) {
      total += scannedRows(schema, unknown, data, allocator, batchRows, windowBytes, timesCache);
    }
    BigIntVector out = (BigIntVector) root.getVector(0);
    out.allocateNew(1);
    out.set(0, total);
    root.setRowCount(1);
    return true;
  }

  /**
   * The rows of a scan that reads no column: what a count is when not known. The scan learns each
   * partition's count ({@link ChunkTimesCache#learnt}); so does {@link ViewRowCounter} through this.
   */
  static long scannedRows(ViewSchema schema, List<Partition> scanned, RerunData data, BufferAllocator allocator, int batchRows,
      long windowBytes, ChunkTimesCache timesCache) {
    long rows = 0;
    try (ViewBatches scan = new ViewBatches(schema, scanned, data, allocator, batchRows, new int[0], new Schema(List.of()), -1, windowBytes,
        timesCache)) {
      while (scan.next()) {
        rows += scan.root().getRowCount();
      }
    }
    return rows;
  }

  @Override
  public void close() {
    root.close();
  }
}
