package io.rrdflight.server.redap;

import io.rrdflight.catalog.ChunkSelection;
import io.rrdflight.rrd.ComponentDescriptor;
import io.rrdflight.rrd.IndexRange;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.Timeline;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which chunks of one partition a QueryDataset request needs, from the chunk index alone. Rerun's
 * own server sends every chunk of the requested entities and lets the client's local query engine
 * sort it out; the engine's answer only depends on these:
 *
 * <ul>
 *   <li>chunks of the requested entities (exactly these paths, as Rerun's server filters), chunk ids
 *       and static/temporal kind, holding a requested component when the request names components
 *       (Clears always count: they empty the other components of their entity);
 *   <li>every static chunk: static data holds at all times;
 *   <li>for {@code range} on timeline T: the temporal chunks whose T values overlap it;
 *   <li>for {@code latest_at} at {@code a} on T, per (entity, component): the chunks that may hold
 *       the component's latest value at or before {@code a}. A chunk lying wholly at or before
 *       {@code a} holds a value of each of its components somewhere in its time range, so that
 *       latest value is at or after the largest such range start ({@code floor}); chunks ending
 *       before {@code floor} cannot hold it. {@code fill_latest_at} needs exactly this at the range
 *       start.
 * </ul>
 *
 * Temporal chunks without T take no part in a query on T. A request without range and latest-at
 * needs every chunk. Dropping a chunk is only ever done when nothing in it can reach the answer.
 *
 * <p>The catalog's {@link ChunkSelection} answers the same question for content expressions (SQL);
 * this one follows the protocol's request: explicit entity paths, chunk ids, component names, and a
 * latest-at point that need not start a range.
 */
final class NeededChunks {
  private static final String CLEAR = "Clear:is_recursive";

  private NeededChunks() {}

  /** The needed chunks, in file order. */
  static List<IndexedChunk> select(ChunkRequest request, List<IndexedChunk> chunks) {
    List<IndexedChunk> candidates = chunks.stream().filter(c -> wanted(request, c)).toList();
    if (!request.limitsTime()) {
      return candidates;
    }
    Set<IndexedChunk> selected = new LinkedHashSet<>();
    for (IndexedChunk c : candidates) {
      if (c.isStatic()) {
        selected.add(c);
      }
    }
    request.range().ifPresent(range -> {
      IndexRange window = new IndexRange(range.min(), range.max());
      for (IndexedChunk c : candidates) {
        IndexRange own = timeRange(c, range.timeline());
        if (!c.isStatic() && own != null && own.intersects(window)) {
          selected.add(c);
        }
      }
    });
    request.latestAt().ifPresent(latestAt -> latestAt.timeline()
        .ifPresent(timeline -> selected.addAll(latestAtChunks(request, candidates, timeline, latestAt.at()))));
    return candidates.stream().filter(selected::contains).toList();
  }

  private static boolean wanted(ChunkRequest request, IndexedChunk c) {
    if (request.entityPaths().isPresent() && !request.entityPaths().get().contains(c.entityPath())) {
      return false;
    }
    if (!request.chunkIds().isEmpty() && !request.chunkIds().contains(new ChunkRequest.ChunkIdValue(c.id().timeNs(), c.id().inc()))) {
      return false;
    }
    if (c.isStatic() ? request.excludeStatic() : request.excludeTemporal()) {
      return false;
    }
    return request.fuzzyDescriptors().isEmpty() || c.components().stream().anyMatch(d -> componentWanted(request, d));
  }

  /** Whether a request that names components (by substring, as Rerun defines it) needs this one. */
  private static boolean componentWanted(ChunkRequest request, ComponentDescriptor d) {
    if (request.fuzzyDescriptors().isEmpty() || d.component().equals(CLEAR)) {
      return true;
    }
    for (String fuzzy : request.fuzzyDescriptors()) {
      if (d.component().contains(fuzzy) || d.archetype().map(a -> a.contains(fuzzy)).orElse(false)
          || d.componentType().map(t -> t.contains(fuzzy)).orElse(false)) {
        return true;
      }
    }
    return false;
  }

  private static IndexRange timeRange(IndexedChunk c, String timeline) {
    for (Map.Entry<Timeline, IndexRange> e : c.timeRanges().entrySet()) {
      if (e.getKey().name().equals(timeline)) {
        return e.getValue();
      }
    }
    return null;
  }

  private static Set<IndexedChunk> latestAtChunks(ChunkRequest request, List<IndexedChunk> candidates, String timeline, long at) {
    record Column(String entityPath, String component) {}
    Map<Column, List<IndexedChunk>> byColumn = new LinkedHashMap<>();
    for (IndexedChunk c : candidates) {
      IndexRange own = timeRange(c, timeline);
      if (c.isStatic() || own == null || own.min() > at) {
        continue; // no value at or before `at`
      }
      for (ComponentDescriptor d : c.components()) {
        if (componentWanted(request, d)) {
          byColumn.computeIfAbsent(new Column(c.entityPath(), d.component()), k -> new ArrayList<>()).add(c);
        }
      }
    }
    Set<IndexedChunk> needed = new LinkedHashSet<>();
    for (List<IndexedChunk> chunks : byColumn.values()) {
      long floor = Long.MIN_VALUE;
      for (IndexedChunk c : chunks) {
        IndexRange own = timeRange(c, timeline);
        if (own.max() <= at) {
          floor = Math.max(floor, own.min());
        }
      }
      for (IndexedChunk c : chunks) {
        if (Math.min(timeRange(c, timeline).max(), at) >= floor) {
          needed.add(c);
        }
      }
    }
    return needed;
  }
}
