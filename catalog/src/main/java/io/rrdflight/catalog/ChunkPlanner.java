package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.ChunkPlan.Components;
import io.rrdflight.catalog.ChunkPlan.Entities;
import io.rrdflight.catalog.ChunkPlan.IndexValues;
import io.rrdflight.catalog.ChunkPlan.LatestAt;
import io.rrdflight.catalog.ChunkPlan.Request;
import io.rrdflight.catalog.ChunkPlan.Rows;
import io.rrdflight.catalog.ChunkPlan.Segments;
import io.rrdflight.catalog.ChunkPlan.Time;
import io.rrdflight.rrd.ComponentDescriptor;
import io.rrdflight.rrd.IndexRange;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.Timeline;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Which chunks a query needs, decided from the chunk index alone: the one place that answers it,
 * for SQL's query views and for every Rerun wire (QueryDataset, FindChunks). Returning more chunks
 * than needed is always safe (the engines ignore data they do not need); returning fewer never
 * happens. Chunks come out in file order.
 *
 * <p>A chunk is a candidate when its entity is selected ({@link Entities}: exact paths, a content
 * expression with the Clears of ancestors, or all), its id is requested (if ids are given), its kind
 * (static or temporal) is included, and it holds a requested component or a Clear. Then the
 * {@link Time} part decides: unbounded takes every candidate; static-only the static ones; a query
 * on index timeline T takes every static candidate (static data holds at all times) and, among the
 * temporal candidates with values on T (others can neither make nor fill a row on T), those the
 * rows need and those that may hold a latest value the query asks for.
 *
 * <h2>Latest-at: why no chunk that could hold the latest value is dropped</h2>
 *
 * The latest value of a column (one component of one entity, in one segment) at point {@code a} is
 * its non-null cell with the greatest T at or before {@code a}, ties going to the larger RowId. The
 * index tells, per chunk, the smallest and largest T ({@code [min, max]}) and which components have
 * a non-null cell; every row of a temporal chunk has a value on each of the chunk's timelines. So:
 *
 * <ul>
 *   <li>a chunk starting after {@code a} has nothing at or before {@code a}: not needed;
 *   <li>a chunk lying wholly at or before {@code a} has a cell of the column somewhere in
 *       {@code [min, max]}, so the latest value at {@code a} is at or after its {@code min}. Call
 *       the largest such {@code min} the <em>floor</em>: the latest value lies in {@code [floor, a]};
 *   <li>hence a chunk ending before the floor cannot hold it, and every other chunk starting at or
 *       before {@code a} is kept: those ending at or after the floor (at the floor too: a tie in T
 *       is decided by RowId, which the index does not know), and those reaching past {@code a} (they
 *       may have cells anywhere up to {@code a}, and the floor is never past {@code a}).
 * </ul>
 *
 * The chunk holding the true latest value starts at or before {@code a}; if it reaches past
 * {@code a} it is kept, and otherwise it ends at or after that value's T, which is at or after the
 * floor: kept too. A Clear competes with the values of its entity's components; Clears form their
 * own column here (Clears on ancestors too, for content expressions), so the latest Clear is kept
 * as well and the engine sees both contenders.
 *
 * <p>Where the index has located a component's cells in a chunk ({@link IndexedChunk#componentRange}:
 * every component of a footer-indexed file, the components without nulls of a scanned one), that
 * range replaces the chunk's for the component's column, and both its ends are times of real cells.
 * So such a chunk also raises the floor with its start when it straddles {@code a}, and with its
 * end when it lies at or before {@code a}. That is what drops the chunk just before a window whose
 * first row has a value: the chunk starting at the window start holds a cell at {@code a}. The
 * argument above is unchanged, with "a cell at a time at or after the floor" now also given by
 * those ends.
 *
 * <p>{@code fill_latest_at} over rows in {@code [s, e]} needs latest-at at {@code s} only, plus the
 * range: for a row at {@code t}, the latest value is either inside {@code [s, t]} (in a chunk that
 * overlaps the range) or, when nothing lies there, the latest value at {@code s}. QueryDataset sends
 * exactly that ({@code latest_at.at = s}), but may send any point, with or without a range.
 *
 * <p>The two rules this replaces were this rule on different candidates: the SQL side computed the
 * floor only from chunks ending strictly before the range start (chunks touching the start overlap
 * the range and were kept anyway), the QueryDataset side from chunks ending at or before
 * {@code at} and clipped chunks at {@code at}. Both are sound; the floor taken from every chunk
 * ending at or before the point is never lower, so the planner keeps no more than either did.
 *
 * <p>With many points (per-segment {@code using_index_values} with latest-at), the floor grows with
 * the point, so the point that best keeps a chunk ending at {@code max} is the smallest one at or
 * after {@code max}; and a chunk reaching past a point is kept when a point lies in
 * {@code [min, max)}. Per column, the chunks are sorted once by their end with a running maximum of
 * their starts (the floor at any point, by binary search), and each chunk is decided with two
 * binary searches in the values: {@code O(n log n + n log v)} for n chunks and v values.
 */
public final class ChunkPlanner {
  private ChunkPlanner() {}

  /**
   * The chunks of one segment (one partition's chunk list, as {@link Catalog#chunks} gives it) that
   * {@code request} needs, in file order. The request's segment filter is not applied here (the
   * caller chose the segment); per-segment index values are looked up by each chunk's recording id,
   * which is its segment id.
   */
  public static List<IndexedChunk> plan(List<IndexedChunk> chunks, Request request) {
    requireNonNull(chunks, "chunks is null");
    requireNonNull(request, "request is null");
    List<Candidate> candidates = candidates(chunks, request);
    Time time = request.time();
    if (time instanceof Time.Unbounded) {
      return candidates.stream().map(Candidate::chunk).toList();
    }
    if (time instanceof Time.StaticOnly) {
      return candidates.stream().map(Candidate::chunk).filter(IndexedChunk::isStatic).toList();
    }
    Time.OnIndex on = (Time.OnIndex) time;
    Set<IndexedChunk> needed = Collections.newSetFromMap(new IdentityHashMap<>());
    List<OnTimeline> onTimeline = new ArrayList<>();
    for (Candidate c : candidates) {
      if (c.chunk().isStatic()) {
        needed.add(c.chunk());
      } else {
        IndexRange own = rangeOn(c.chunk(), on.timeline());
        if (own != null) {
          onTimeline.add(new OnTimeline(c, own));
        }
      }
    }
    for (OnTimeline c : onTimeline) {
      if (rowsNeed(on.rows(), c)) {
        needed.add(c.chunk());
      }
    }
    addLatestAt(on, onTimeline, request.components(), needed);
    return candidates.stream().map(Candidate::chunk).filter(needed::contains).toList();
  }

  /**
   * The partitions of {@code dataset} that the request's segments name (every layer of each), in
   * the catalog's order. Unknown segment ids fail with NOT_FOUND, naming them.
   */
  public static List<Partition> segments(Catalog catalog, Dataset dataset, Request request) {
    requireNonNull(catalog, "catalog is null");
    requireNonNull(dataset, "dataset is null");
    requireNonNull(request, "request is null");
    List<Partition> all = catalog.partitions(dataset.id());
    if (!(request.segments() instanceof Segments.Named named)) {
      return all;
    }
    Set<String> unknown = new TreeSet<>(named.ids());
    all.forEach(p -> unknown.remove(p.partitionId()));
    if (!unknown.isEmpty()) {
      throw CatalogException.notFound("Dataset '" + dataset.name() + "' has no partition " + String.join(", ", unknown));
    }
    return all.stream().filter(p -> named.includes(p.partitionId())).toList();
  }

  /**
   * The whole dataset: the segments are resolved now ({@link #segments}, so unknown ids fail before
   * anything is streamed), each segment's chunk index is read and planned only when the stream
   * reaches it, so a caller can stop early and never holds more than one segment's index.
   */
  public static Stream<ChunkPlan.Segment> plan(Catalog catalog, Dataset dataset, Request request) {
    List<Partition> segments = segments(catalog, dataset, request);
    return segments.stream().map(p -> {
      List<IndexedChunk> all = catalog.chunks(p).chunks();
      return new ChunkPlan.Segment(p, all.size(), plan(all, request));
    });
  }

  // --- candidates ----------------------------------------------------------------------------------

  /**
   * A chunk that passed the entity, id, kind and component filters; {@code ancestorClear} when it
   * is only there for the Clears it may hold on an ancestor of a selected entity.
   */
  private record Candidate(IndexedChunk chunk, boolean ancestorClear) {}

  /** A temporal candidate with values on the index timeline, in {@code own}. */
  private record OnTimeline(Candidate candidate, IndexRange own) {
    IndexedChunk chunk() {
      return candidate.chunk();
    }

    String segment() {
      return candidate.chunk().store().recordingId();
    }
  }

  private static List<Candidate> candidates(List<IndexedChunk> chunks, Request request) {
    Entities entities = request.entities();
    Set<String> selected = new HashSet<>();
    Set<List<String>> ancestorsOfSelected = new HashSet<>();
    if (entities instanceof Entities.Expression e) {
      for (IndexedChunk c : chunks) {
        if (!selected.contains(c.entityPath()) && e.filter().matches(c.entityPath())) {
          selected.add(c.entityPath());
          List<String> parts = EntityPathFilter.parts(c.entityPath());
          for (int n = 0; n < parts.size(); n++) {
            ancestorsOfSelected.add(parts.subList(0, n));
          }
        }
      }
    }
    List<Candidate> out = new ArrayList<>();
    for (IndexedChunk c : chunks) {
      boolean ancestorClear = false;
      if (entities instanceof Entities.Exact exact) {
        if (!exact.paths().contains(c.entityPath())) {
          continue;
        }
      } else if (entities instanceof Entities.Expression) {
        if (!selected.contains(c.entityPath())) {
          if (!hasClear(c) || !ancestorsOfSelected.contains(EntityPathFilter.parts(c.entityPath()))) {
            continue;
          }
          ancestorClear = true;
        }
      }
      if (!request.chunkIds().isEmpty() && !request.chunkIds().contains(c.id())) {
        continue;
      }
      if (c.isStatic() ? !request.includeStatic() : !request.includeTemporal()) {
        continue;
      }
      if (!ancestorClear && !request.components().isAll() && c.components().stream().noneMatch(d -> wanted(request.components(), d))) {
        continue;
      }
      out.add(new Candidate(c, ancestorClear));
    }
    return out;
  }

  private static boolean hasClear(IndexedChunk c) {
    return c.components().stream().anyMatch(ChunkPlanner::isClear);
  }

  private static boolean isClear(ComponentDescriptor d) {
    return d.component().equals(ColumnNames.CLEAR_IS_RECURSIVE);
  }

  /** Rerun's fuzzy descriptor match: a substring of component, archetype or component type. Clears always. */
  private static boolean wanted(Components components, ComponentDescriptor d) {
    if (components.isAll() || isClear(d)) {
      return true;
    }
    for (String fuzzy : components.fuzzyDescriptors()) {
      if (d.component().contains(fuzzy) || d.archetype().map(a -> a.contains(fuzzy)).orElse(false)
          || d.componentType().map(t -> t.contains(fuzzy)).orElse(false)) {
        return true;
      }
    }
    return false;
  }

  /** The chunk's range on the timeline named {@code name}; null when it has no value there. */
  private static IndexRange rangeOn(IndexedChunk c, String name) {
    for (Map.Entry<Timeline, IndexRange> e : c.timeRanges().entrySet()) {
      if (e.getKey().name().equals(name)) {
        return e.getValue();
      }
    }
    return null;
  }

  // --- rows and latest-at --------------------------------------------------------------------------

  private static boolean rowsNeed(Rows rows, OnTimeline c) {
    if (rows instanceof Rows.All) {
      return true;
    }
    if (rows instanceof Rows.InRange r) {
      return c.own().intersects(r.range());
    }
    if (rows instanceof Rows.AtValues v) {
      return v.of(c.segment()).anyIn(c.own());
    }
    return false; // Rows.None
  }

  /** The latest-at points of a segment, or null when the query needs no latest values there. */
  private static IndexValues latestAtPoints(Time.OnIndex on, String segment) {
    LatestAt latestAt = on.latestAt();
    if (latestAt instanceof LatestAt.At at) {
      return IndexValues.of(at.point());
    }
    if (latestAt instanceof LatestAt.AtEachRow) {
      if (on.rows() instanceof Rows.InRange r) {
        return IndexValues.of(r.range().min());
      }
      if (on.rows() instanceof Rows.AtValues v) {
        return v.of(segment);
      }
    }
    return null; // no latest-at, or every row's chunks are taken already (Rows.All)
  }

  private static void addLatestAt(Time.OnIndex on, List<OnTimeline> onTimeline, Components components, Set<IndexedChunk> needed) {
    record Column(String segment, String entityPath, String component) {}
    Map<Column, List<InColumn>> columns = new HashMap<>();
    Map<String, IndexValues> points = new HashMap<>();
    for (OnTimeline c : onTimeline) {
      IndexValues at = points.computeIfAbsent(c.segment(), s -> {
        IndexValues p = latestAtPoints(on, s);
        return p == null ? IndexValues.NONE : p;
      });
      if (at.isEmpty()) {
        continue;
      }
      for (ComponentDescriptor d : c.chunk().components()) {
        boolean counts = c.candidate().ancestorClear() ? isClear(d) : wanted(components, d);
        if (counts) {
          InColumn cells = c.chunk().componentRange(d, on.timeline())
              .map(located -> new InColumn(c, located, true))
              .orElseGet(() -> new InColumn(c, c.own(), false));
          columns.computeIfAbsent(new Column(c.segment(), c.chunk().entityPath(), d.component()), k -> new ArrayList<>()).add(cells);
        }
      }
    }
    for (Map.Entry<Column, List<InColumn>> e : columns.entrySet()) {
      keepLatest(e.getValue(), points.get(e.getKey().segment()), needed);
    }
  }

  /**
   * One chunk's cells of one column on the index: somewhere within {@code range}, or, when
   * {@code located}, with cells at both its ends (the index knows the component's own range).
   */
  private record InColumn(OnTimeline chunk, IndexRange range, boolean located) {}

  /**
   * Adds the chunks of one column that may hold its latest value at one of {@code points}. The
   * floor at a point is the latest time at or before it that certainly has a cell: the start of a
   * chunk lying wholly at or before it, and, for a chunk whose cells are located, each end of it at
   * or before the point (a located chunk straddling the point sets the floor with its start).
   */
  private static void keepLatest(List<InColumn> column, IndexValues points, Set<IndexedChunk> needed) {
    // (time from which the cell counts, the time of the cell), sorted by the first.
    List<long[]> cells = new ArrayList<>(column.size() * 2);
    for (InColumn c : column) {
      if (c.located()) {
        cells.add(new long[] {c.range().min(), c.range().min()});
        cells.add(new long[] {c.range().max(), c.range().max()});
      } else {
        cells.add(new long[] {c.range().max(), c.range().min()});
      }
    }
    cells.sort((a, b) -> Long.compare(a[0], b[0]));
    long[] from = new long[cells.size()];
    long[] floorUpTo = new long[cells.size()]; // the latest cell among cells[0..i]
    long floor = Long.MIN_VALUE;
    for (int i = 0; i < cells.size(); i++) {
      from[i] = cells.get(i)[0];
      floor = Math.max(floor, cells.get(i)[1]);
      floorUpTo[i] = floor;
    }
    for (InColumn c : column) {
      IndexRange own = c.range();
      int i = points.ceilingIndex(own.min());
      if (i < points.size() && points.get(i) < own.max()) {
        needed.add(c.chunk().chunk()); // a point lies in [min, max): the chunk reaches past it
        continue;
      }
      int j = points.ceilingIndex(own.max());
      if (j < points.size() && floorAt(points.get(j), from, floorUpTo) <= own.max()) {
        needed.add(c.chunk().chunk()); // lies wholly at or before that point and reaches its floor
      }
    }
  }

  /** The latest cell counting at {@code point}; MIN_VALUE if none does. */
  private static long floorAt(long point, long[] from, long[] floorUpTo) {
    int lo = 0;
    int hi = from.length; // first index with from[i] > point
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (from[mid] <= point) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo == 0 ? Long.MIN_VALUE : floorUpTo[lo - 1];
  }
}
