package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.ChunkPlanner;
import io.rrdflight.catalog.Partition;
import io.rrdflight.rrd.ChunkId;
import io.rrdflight.rrd.IndexRange;
import io.rrdflight.rrd.IndexedChunk;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;

/**
 * One partition's rows of a view, cut into index windows ({@link IndexWindows}) so that memory is
 * bounded by the window budget, not by the partition. For each window the chunk index names the
 * chunks it needs ({@link ChunkPlanner}: the window's own, static data and, with fill, the latest
 * values before it). Windows may be computed on several threads at once: a chunk that several
 * windows need is decoded once, by the first, and released when the last of them is done, so
 * each chunk is decoded once however the windows are spread over threads.
 */
final class PartitionSweep implements AutoCloseable {
  private final ViewSchema schema;
  private final Partition partition;
  private final RerunData data;
  private final BufferAllocator allocator;
  private final List<IndexRange> windows;
  private final List<List<IndexedChunk>> needed;
  /** Decoded (or to be decoded) chunks, with how many windows not yet done still need them. */
  private final Map<ChunkId, Shared> shared = new HashMap<>();
  private int released;

  /** A chunk several windows use: decoded by the first that asks, closed after the last releases it. */
  private static final class Shared {
    final IndexedChunk info;
    int users;
    ChunkData decoded;

    Shared(IndexedChunk info) {
      this.info = info;
    }
  }

  PartitionSweep(ViewSchema schema, Partition partition, RerunData data, BufferAllocator allocator, long windowBytes) {
    this.schema = requireNonNull(schema, "schema is null");
    this.partition = requireNonNull(partition, "partition is null");
    this.data = requireNonNull(data, "data is null");
    this.allocator = requireNonNull(allocator, "allocator is null");
    List<IndexedChunk> chunks = data.chunks(partition);
    QueryView view = schema.view();
    this.windows = schema.index()
        .map(t -> IndexWindows.plan(ChunkPlanner.plan(chunks, view.chunkRequest(view.range())), t, view.range(), windowBytes))
        .orElse(List.of(view.range()));
    this.needed = new ArrayList<>(windows.size());
    for (IndexRange window : windows) {
      List<IndexedChunk> forWindow = ChunkPlanner.plan(chunks, view.chunkRequest(window));
      needed.add(forWindow);
      for (IndexedChunk c : forWindow) {
        shared.computeIfAbsent(c.id(), id -> new Shared(c)).users++;
      }
    }
  }

  Partition partition() {
    return partition;
  }

  int windowCount() {
    return windows.size();
  }

  /**
   * The rows of window {@code w} (possibly none), decoding the chunks no other window has decoded
   * yet. The caller reads them, then calls {@link #release} once; safe from several threads for
   * different windows.
   */
  PartitionView open(int w) {
    List<IndexedChunk> chunks = needed.get(w);
    List<ChunkData> loaded = new ArrayList<>(chunks.size());
    for (IndexedChunk c : chunks) {
      Shared s;
      synchronized (shared) {
        s = shared.get(c.id());
      }
      synchronized (s) { // another window may be decoding it right now: wait for it, decode once
        if (s.decoded == null) {
          s.decoded = data.read(partition, s.info, allocator);
        }
        loaded.add(s.decoded);
      }
    }
    return PartitionView.compute(schema, partition, windows.get(w), loaded);
  }

  /**
   * Window {@code w} is done (read, or failed): its chunks that no other window needs are closed.
   * Returns whether every window of the partition is released now.
   */
  boolean release(int w) {
    List<ChunkData> done = new ArrayList<>();
    boolean all;
    synchronized (shared) {
      all = ++released == windows.size();
      for (IndexedChunk c : needed.get(w)) {
        Shared s = shared.get(c.id());
        if (--s.users == 0) {
          shared.remove(c.id());
          done.add(s.decoded);
        }
      }
    }
    closeAll(done);
    return all;
  }

  /** Closes whatever is still decoded (windows that never ran or were not released): call once no window runs. */
  @Override
  public void close() {
    List<ChunkData> left = new ArrayList<>();
    synchronized (shared) {
      shared.values().forEach(s -> left.add(s.decoded));
      shared.clear();
    }
    closeAll(left);
  }

  private static void closeAll(List<ChunkData> chunks) {
    RuntimeException failure = null;
    for (ChunkData d : chunks) {
      if (d == null) {
        continue;
      }
      try {
        d.close();
      } catch (RuntimeException e) {
        failure = failure == null ? e : failure;
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
