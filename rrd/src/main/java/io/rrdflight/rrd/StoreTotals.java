package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One store of a footer file summed up from its manifest ({@link FooterTotals}): what registering
 * it needs, with no object per chunk. Each figure is what the store's chunks in a {@link ChunkIndex}
 * would add up to.
 *
 * @param store the store
 * @param chunkCount its chunks
 * @param rowCount their rows
 * @param timelines the timelines on which some chunk has times
 * @param columns each entity and component with a cell in some chunk, once per static flag (a
 *     component in static and temporal chunks of an entity is there twice), in file order
 * @param componentChunks the chunks with a cell of some component ({@link IndexedChunk#components()} not empty)
 * @param componentChunkIpcBytes their decompressed IPC lengths ({@link ChunkSizes#ipcBytes()}), summed;
 *     footers declare no heap sizes
 */
public record StoreTotals(Store store, long chunkCount, long rowCount, SortedSet<Timeline> timelines, List<Column> columns,
    long componentChunks, long componentChunkIpcBytes) {

  /** A component of an entity, as static or temporal chunks hold it. */
  public record Column(String entityPath, ComponentDescriptor component, boolean isStatic) {
    public Column {
      requireNonNull(entityPath, "entityPath is null");
      requireNonNull(component, "component is null");
    }
  }

  public StoreTotals {
    requireNonNull(store, "store is null");
    timelines = Collections.unmodifiableSortedSet(new TreeSet<>(timelines));
    columns = List.copyOf(columns);
  }

  /** Sums a manifest's rows. */
  static final class Builder {
    private final Store store;
    private long chunks;
    private long rows;
    private final SortedSet<Timeline> timelines = new TreeSet<>();
    private final Set<Column> columns = new LinkedHashSet<>();
    private long componentChunks;
    private long componentChunkIpcBytes;

    Builder(Store store) {
      this.store = requireNonNull(store, "store is null");
    }

    void addChunk(long rowCount) {
      chunks++;
      rows += rowCount;
    }

    /** A chunk with a cell of some component, of {@code ipcBytes} decompressed. */
    void addComponentChunk(long ipcBytes) {
      componentChunks++;
      componentChunkIpcBytes += ipcBytes;
    }

    /** The columns of a chunk of {@code entityPath}; each is kept once, in the order first added. */
    void addColumns(String entityPath, boolean isStatic, List<ComponentDescriptor> components) {
      for (ComponentDescriptor component : components) {
        columns.add(new Column(entityPath, component, isStatic));
      }
    }

    void addTimeline(Timeline timeline) {
      timelines.add(timeline);
    }

    StoreTotals build() {
      return new StoreTotals(store, chunks, rows, timelines, new ArrayList<>(columns), componentChunks, componentChunkIpcBytes);
    }
  }
}
