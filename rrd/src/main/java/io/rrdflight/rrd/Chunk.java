package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * One decoded chunk: rows of one entity, as Arrow vectors. Owns its buffers through an allocator that
 * is a child of the one the caller passed in; close it when done.
 *
 * <p>The root holds the RowId column, the index columns and the component columns, in the order the
 * writer used (RowId, index columns sorted by timeline name, components). Indicator columns of
 * Rerun 0.23 files are not part of it.
 */
public final class Chunk implements AutoCloseable {
  private final ChunkId id;
  private final String entityPath;
  private final VectorSchemaRoot root;
  private final FixedSizeBinaryVector rowIds;
  private final List<IndexColumn> indexColumns;
  private final List<ComponentColumn> componentColumns;
  private final BufferAllocator allocator;

  Chunk(ChunkId id, String entityPath, VectorSchemaRoot root, FixedSizeBinaryVector rowIds,
      List<IndexColumn> indexColumns, List<ComponentColumn> componentColumns, BufferAllocator allocator) {
    this.id = requireNonNull(id, "id is null");
    this.entityPath = requireNonNull(entityPath, "entityPath is null");
    this.root = requireNonNull(root, "root is null");
    this.rowIds = requireNonNull(rowIds, "rowIds is null");
    this.indexColumns = List.copyOf(indexColumns);
    this.componentColumns = List.copyOf(componentColumns);
    this.allocator = requireNonNull(allocator, "allocator is null");
  }

  public ChunkId id() {
    return id;
  }

  public String entityPath() {
    return entityPath;
  }

  /** A static chunk has no index column; its data applies at every time. */
  public boolean isStatic() {
    return indexColumns.isEmpty();
  }

  public int rowCount() {
    return root.getRowCount();
  }

  /** 16-byte row ids: big-endian nanoseconds then a counter, ordered bytewise. */
  public FixedSizeBinaryVector rowIds() {
    return rowIds;
  }

  public List<IndexColumn> indexColumns() {
    return indexColumns;
  }

  public List<ComponentColumn> componentColumns() {
    return componentColumns;
  }

  /** All columns, with their Arrow field metadata as written (after dropping indicators). */
  public VectorSchemaRoot root() {
    return root;
  }

  @Override
  public void close() {
    root.close();
    allocator.close();
  }

  @Override
  public String toString() {
    return "Chunk[" + id + " " + entityPath + ", " + rowCount() + " rows, " + indexColumns.size() + " timelines, " + componentColumns.size() + " components]";
  }
}
