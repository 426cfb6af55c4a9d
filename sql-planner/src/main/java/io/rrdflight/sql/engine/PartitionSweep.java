package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.ChunkPlanner;
import io.rrdflight.catalog.Partition;
import io.rrdflight.rrd.ChunkId;
import io.rrdflight.rrd.IndexRange;
import io.rrdflight.rrd.IndexedChunk;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;

/**
 * One partition's rows of a view, computed one index window at a time ({@link IndexWindows}) so
 * that memory is bounded by the window budget, not by the partition. For each window the chunk
 * index names the chunks it needs ({@link ChunkPlanner}: the window's own, static data and,
 * with fill, the latest values before it); chunks the previous window decoded and this one needs
 * too are kept, the others are released before anything new is decoded.
 */
final class PartitionSweep implements AutoCloseable {
  private final ViewSchema schema;
  private final Partition partition;
  private final RerunData data;
  private final BufferAllocator allocator;
  private final List<IndexedChunk> chunks;
  private final Iterator<IndexRange> windows;
  private final Map<ChunkId, ChunkData> decoded = new LinkedHashMap<>();

  PartitionSweep(ViewSchema schema, Partition partition, RerunData data, BufferAllocator allocator, long windowBytes) {
    this.schema = requireNonNull(schema, "schema is null");
    this.partition = requireNonNull(partition, "partition is null");
    this.data = requireNonNull(data, "data is null");
    this.allocator = requireNonNull(allocator, "allocator is null");
    this.chunks = data.chunks(partition);
    QueryView view = schema.view();
    List<IndexRange> planned = schema.index()
        .map(t -> IndexWindows.plan(ChunkPlanner.plan(chunks, view.chunkRequest(view.range())), t, view.range(), windowBytes))
        .orElse(List.of(view.range()));
    this.windows = planned.iterator();
  }

  /**
   * The rows of the next window (possibly none), or empty when the partition is done. Rows of the
   * previous window must not be read any more: its chunks may be released.
   */
  Optional<PartitionView> next() {
    if (!windows.hasNext()) {
      releaseAll();
      return Optional.empty();
    }
    IndexRange window = windows.next();
    List<IndexedChunk> needed = ChunkPlanner.plan(chunks, schema.view().chunkRequest(window));
    Set<ChunkId> ids = new HashSet<>();
    needed.forEach(c -> ids.add(c.id()));
    decoded.entrySet().removeIf(e -> {
      if (ids.contains(e.getKey())) {
        return false;
      }
      e.getValue().close();
      return true;
    });
    List<ChunkData> loaded = new ArrayList<>(needed.size());
    for (IndexedChunk c : needed) {
      ChunkData d = decoded.get(c.id());
      if (d == null) {
        d = data.read(partition, c, allocator);
        decoded.put(c.id(), d);
      }
      loaded.add(d);
    }
    return Optional.of(PartitionView.compute(schema, partition, window, loaded));
  }

  private void releaseAll() {
    RuntimeException failure = null;
    for (ChunkData d : decoded.values()) {
      try {
        d.close();
      } catch (RuntimeException e) {
        failure = failure == null ? e : failure;
      }
    }
    decoded.clear();
    if (failure != null) {
      throw failure;
    }
  }

  @Override
  public void close() {
    releaseAll();
  }
}
