package io.rrdflight.catalog;

import io.rrdflight.rrd.ComponentDescriptor;
import io.rrdflight.rrd.IndexRange;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.Timeline;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Picks the chunks of one partition that a {@link ChunkQuery} needs, from the chunk index alone:
 * static chunks of the selected entities; temporal chunks that carry the index timeline and overlap
 * the range; and, for latest-at, the chunks before the range that may hold the latest value of a
 * component (or a Clear on the entity or an ancestor) at the range start. Returning more chunks
 * than needed is always safe; fewer never happens.
 */
public final class ChunkSelection {
  private ChunkSelection() {}

  /** The chunks needed, in file order. */
  public static List<IndexedChunk> select(List<IndexedChunk> chunks, ChunkQuery query) {
    Set<IndexedChunk> picked = new LinkedHashSet<>();
    Set<String> selectedEntities = new java.util.HashSet<>();
    for (IndexedChunk c : chunks) {
      if (query.entities().matches(c.entityPath())) {
        selectedEntities.add(c.entityPath());
      }
    }
    Optional<Timeline> timeline = query.timeline().flatMap(name -> timelineNamed(chunks, name));
    // Before-range candidates per (entity, component), for latest-at.
    Map<String, List<IndexedChunk>> before = new HashMap<>();
    for (IndexedChunk c : chunks) {
      boolean selected = selectedEntities.contains(c.entityPath());
      boolean clearsASelectedEntity = !selected && hasClear(c) && isAncestorOfAny(c.entityPath(), selectedEntities);
      if (!selected && !clearsASelectedEntity) {
        continue;
      }
      if (c.isStatic()) {
        if (query.includeStatic()) {
          picked.add(c);
        }
        continue;
      }
      if (!query.includeTemporal() || timeline.isEmpty()) {
        continue;
      }
      IndexRange own = c.timeRanges().get(timeline.get());
      if (own == null) {
        continue; // no value on the index timeline: it cannot make or fill a row
      }
      if (query.range().isEmpty() || own.intersects(query.range().get())) {
        picked.add(c);
      } else if (query.latestAt() && own.max() < query.range().get().min()) {
        for (ComponentDescriptor d : c.components()) {
          if (clearsASelectedEntity && !d.component().equals(ColumnNames.CLEAR_IS_RECURSIVE)) {
            continue;
          }
          before.computeIfAbsent(c.entityPath() + "\u0000" + d.component(), k -> new ArrayList<>()).add(c);
        }
      }
    }
    for (List<IndexedChunk> candidates : before.values()) {
      Timeline t = timeline.get();
      // Each chunk holds a value of the component at or after its min, so the latest value is at
      // or after the largest min; any chunk reaching that far may hold it.
      long floor = candidates.stream().mapToLong(c -> c.timeRanges().get(t).min()).max().orElseThrow();
      for (IndexedChunk c : candidates) {
        if (c.timeRanges().get(t).max() >= floor) {
          picked.add(c);
        }
      }
    }
    List<IndexedChunk> inFileOrder = new ArrayList<>();
    for (IndexedChunk c : chunks) {
      if (picked.contains(c)) {
        inFileOrder.add(c);
      }
    }
    return inFileOrder;
  }

  private static Optional<Timeline> timelineNamed(List<IndexedChunk> chunks, String name) {
    for (IndexedChunk c : chunks) {
      for (Timeline t : c.timeRanges().keySet()) {
        if (t.name().equals(name)) {
          return Optional.of(t);
        }
      }
    }
    return Optional.empty();
  }

  private static boolean hasClear(IndexedChunk c) {
    return c.components().stream().anyMatch(d -> d.component().equals(ColumnNames.CLEAR_IS_RECURSIVE));
  }

  private static boolean isAncestorOfAny(String path, Set<String> entities) {
    List<String> ancestor = EntityPathFilter.parts(path);
    for (String e : entities) {
      List<String> parts = EntityPathFilter.parts(e);
      if (parts.size() > ancestor.size() && parts.subList(0, ancestor.size()).equals(ancestor)) {
        return true;
      }
    }
    return false;
  }
}
