package io.rrdflight.server.redap;

import static java.util.Objects.requireNonNull;

import io.rrdflight.rrd.Chunk;
import io.rrdflight.rrd.ChunkId;
import io.rrdflight.rrd.ComponentColumn;
import io.rrdflight.rrd.ComponentDescriptor;
import io.rrdflight.rrd.IndexColumn;
import io.rrdflight.rrd.IndexRange;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.Timeline;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.arrow.vector.FieldVector;

/**
 * One chunk as a row of an RRD manifest describes it: where it lies, its size, and — what lets a
 * client decide which chunks a time or a component needs without reading them — per timeline the
 * chunk's time range and, per component, the range of the rows that hold it and how many do.
 *
 * @param chunkKey the opaque {@link ChunkKey} FetchChunks reads it back by
 * @param byteOffset where the chunk's ArrowMsg starts in its file (after its frame header)
 * @param byteSize the ArrowMsg's length in the file (compressed, as stored)
 * @param byteSizeUncompressed the chunk's size once decoded, as far as the file says ({@link io.rrdflight.rrd.ChunkSizes})
 * @param staticComponents for a static chunk, every component column it has
 * @param timelines for a temporal chunk, per timeline its time range (empty without rows)
 * @param components for a temporal chunk, per timeline and component: the time range of the rows
 *     where the component is not null (empty when there are none) and their number
 */
record ManifestEntry(
    ChunkId id,
    String entityPath,
    boolean isStatic,
    long numRows,
    long byteOffset,
    long byteSize,
    long byteSizeUncompressed,
    byte[] chunkKey,
    List<ComponentDescriptor> staticComponents,
    SortedMap<Timeline, Optional<IndexRange>> timelines,
    Map<TimelineComponent, Span> components) {

  /** A component on a timeline: one group of per-component manifest columns. */
  record TimelineComponent(Timeline timeline, ComponentDescriptor component) {
    TimelineComponent {
      requireNonNull(timeline, "timeline is null");
      requireNonNull(component, "component is null");
    }
  }

  /** Where on a timeline a component has data in a chunk, and in how many rows. */
  record Span(Optional<IndexRange> range, long numRows) {
    Span {
      requireNonNull(range, "range is null");
    }
  }

  ManifestEntry {
    requireNonNull(id, "id is null");
    requireNonNull(entityPath, "entityPath is null");
    requireNonNull(chunkKey, "chunkKey is null");
    staticComponents = List.copyOf(staticComponents);
    timelines = Collections.unmodifiableSortedMap(new TreeMap<>(timelines));
    components = Collections.unmodifiableMap(new LinkedHashMap<>(components));
  }

  /**
   * The entry of a decoded chunk found at {@code at} in its file. As Rerun counts: a component's rows
   * are its non-null cells (an empty list counts), a dense component spans the chunk's whole range,
   * and a chunk without rows lists no per-component spans.
   */
  static ManifestEntry of(Chunk chunk, IndexedChunk at, byte[] chunkKey) {
    // The size its writer declared (0.24 to about 0.30), which Rerun adopts too; else the IPC stream's.
    long decodedBytes = at.sizes().declaredHeapBytes().orElse(at.sizes().ipcBytes());
    int rows = chunk.rowCount();
    List<ComponentDescriptor> statics = new ArrayList<>();
    SortedMap<Timeline, Optional<IndexRange>> timelines = new TreeMap<>();
    Map<TimelineComponent, Span> components = new LinkedHashMap<>();
    if (chunk.isStatic()) {
      chunk.componentColumns().forEach(c -> statics.add(c.descriptor()));
    } else {
      for (IndexColumn index : chunk.indexColumns()) {
        Optional<IndexRange> whole = range(index, null, rows);
        timelines.put(index.timeline(), whole);
        if (rows == 0) {
          continue;
        }
        for (ComponentColumn column : chunk.componentColumns()) {
          FieldVector cells = column.vector();
          long filled = rows - cells.getNullCount();
          Optional<IndexRange> span = filled == rows ? whole : range(index, cells, rows);
          components.put(new TimelineComponent(index.timeline(), column.descriptor()), new Span(span, filled));
        }
      }
    }
    return new ManifestEntry(chunk.id(), chunk.entityPath(), chunk.isStatic(), rows, at.offset(), at.length(), decodedBytes, chunkKey,
        statics, timelines, components);
  }

  /** Smallest and largest time of the rows where {@code cells} (all rows when null) is not null. */
  private static Optional<IndexRange> range(IndexColumn index, FieldVector cells, int rows) {
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    boolean any = false;
    for (int row = 0; row < rows; row++) {
      if (index.isNull(row) || (cells != null && cells.isNull(row))) {
        continue;
      }
      long t = index.value(row);
      min = Math.min(min, t);
      max = Math.max(max, t);
      any = true;
    }
    return any ? Optional.of(new IndexRange(min, max)) : Optional.empty();
  }
}
