package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import io.rrdflight.rrd.ChunkId;
import io.rrdflight.rrd.IndexRange;
import io.rrdflight.rrd.IndexedChunk;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The vocabulary of {@link ChunkPlanner}: what a query asks of a dataset's chunk indexes
 * ({@link Request}) and what one segment needs ({@link Segment}). The request is the union of what
 * both doors send: Rerun's QueryDataset / FindChunks (segment ids, exact entity paths, chunk ids,
 * fuzzy component descriptors, static/temporal exclusion, range, latest-at at a point, per-segment
 * index values) and SQL's query view (content expression, range, {@code fill_latest_at}).
 * Everything is immutable and checked when built; a bad value fails with a
 * {@link CatalogException.Kind#INVALID_ARGUMENT} naming it.
 */
public final class ChunkPlan {
  private ChunkPlan() {}

  /**
   * Everything the planner needs to know.
   *
   * @param segments which segments (partitions) of the dataset
   * @param entities which entities
   * @param components which components; a chunk holding none of them is not needed
   * @param chunkIds empty: any chunk; otherwise only these
   * @param includeStatic whether static chunks may be returned
   * @param includeTemporal whether temporal chunks may be returned
   * @param time which index values the query reads
   */
  public record Request(Segments segments, Entities entities, Components components, Set<ChunkId> chunkIds,
      boolean includeStatic, boolean includeTemporal, Time time) {

    public Request {
      requireNonNull(segments, "segments is null");
      requireNonNull(entities, "entities is null");
      requireNonNull(components, "components is null");
      chunkIds = Set.copyOf(requireNonNull(chunkIds, "chunkIds is null"));
      requireNonNull(time, "time is null");
      if (time instanceof Time.OnIndex on && on.rows() instanceof Rows.AtValues values && segments instanceof Segments.Named named) {
        for (String segment : values.perSegment().keySet()) {
          if (!named.ids().contains(segment)) {
            throw CatalogException.invalidArgument("Index values are given for segment '" + segment
                + "', which the request does not name (it names " + new TreeSet<>(named.ids()) + ")");
          }
        }
      }
    }

    /** Every chunk of every segment: refine with the {@code with…} methods. */
    public static Request everything() {
      return new Request(Segments.all(), Entities.all(), Components.all(), Set.of(), true, true, Time.unbounded());
    }

    public Request withSegments(Segments s) {
      return new Request(s, entities, components, chunkIds, includeStatic, includeTemporal, time);
    }

    /**
     * This request without the named segments that are not among {@code existing}, and without their
     * index values: for clients that expect a segment id the dataset does not hold to be skipped (Rerun's
     * server since 0.33: an id in a filter is data, not a reference), where {@link ChunkPlanner#segments}
     * refuses it. Unchanged when it names no segment or only existing ones.
     */
    public Request amongSegments(Set<String> existing) {
      requireNonNull(existing, "existing is null");
      if (!(segments instanceof Segments.Named named) || existing.containsAll(named.ids())) {
        return this;
      }
      Set<String> kept = new TreeSet<>(named.ids());
      kept.retainAll(existing);
      Time keptTime = time;
      if (time instanceof Time.OnIndex on && on.rows() instanceof Rows.AtValues values) {
        Map<String, IndexValues> keptValues = new HashMap<>(values.perSegment());
        keptValues.keySet().retainAll(kept);
        keptTime = Time.onIndex(on.timeline(), Rows.atValues(keptValues), on.latestAt());
      }
      return new Request(Segments.named(kept), entities, components, chunkIds, includeStatic, includeTemporal, keptTime);
    }

    public Request withEntities(Entities e) {
      return new Request(segments, e, components, chunkIds, includeStatic, includeTemporal, time);
    }

    public Request withComponents(Components c) {
      return new Request(segments, entities, c, chunkIds, includeStatic, includeTemporal, time);
    }

    public Request withChunkIds(Set<ChunkId> ids) {
      return new Request(segments, entities, components, ids, includeStatic, includeTemporal, time);
    }

    public Request withStatic(boolean include) {
      return new Request(segments, entities, components, chunkIds, include, includeTemporal, time);
    }

    public Request withTemporal(boolean include) {
      return new Request(segments, entities, components, chunkIds, includeStatic, include, time);
    }

    public Request withTime(Time t) {
      return new Request(segments, entities, components, chunkIds, includeStatic, includeTemporal, t);
    }
  }

  /** Which segments (partitions; a segment id is a recording id) a request covers. */
  public sealed interface Segments {
    static Segments all() {
      return new All();
    }

    static Segments named(Collection<String> ids) {
      return new Named(Set.copyOf(requireNonNull(ids, "ids is null")));
    }

    boolean includes(String segmentId);

    /** Every segment of the dataset. */
    record All() implements Segments {
      @Override
      public boolean includes(String segmentId) {
        return true;
      }
    }

    /** Exactly these segments (none, if empty). */
    record Named(Set<String> ids) implements Segments {
      public Named {
        ids = Set.copyOf(requireNonNull(ids, "ids is null"));
      }

      @Override
      public boolean includes(String segmentId) {
        return ids.contains(segmentId);
      }
    }
  }

  /**
   * Which entities a request selects. The two doors differ on purpose: Rerun's server matches the
   * paths a client names exactly, and our answers must equal Rerun's, so {@link Exact} adds nothing;
   * a content expression ({@link Expression}, SQL) also needs the Clears that ancestors of the
   * selected entities logged, because a recursive Clear empties its descendants' components.
   */
  public sealed interface Entities {
    static Entities all() {
      return new All();
    }

    static Entities exactly(Collection<String> paths) {
      return new Exact(Set.copyOf(requireNonNull(paths, "paths is null")));
    }

    static Entities matching(EntityPathFilter filter) {
      return new Expression(filter);
    }

    /** Every entity, recording properties included (Rerun's {@code select_all_entity_paths}). */
    record All() implements Entities {}

    /** Exactly these entity paths, each with its leading slash; none, if empty. */
    record Exact(Set<String> paths) implements Entities {
      public Exact {
        paths = Set.copyOf(requireNonNull(paths, "paths is null"));
        for (String p : paths) {
          if (!p.startsWith("/")) {
            throw CatalogException.invalidArgument("Entity path '" + p + "' must start with '/'");
          }
        }
      }
    }

    /**
     * The entities a content expression selects among those the segment has, plus the chunks with
     * a Clear on any of their ancestors (only their Clear column counts for latest-at).
     */
    record Expression(EntityPathFilter filter) implements Entities {
      public Expression {
        requireNonNull(filter, "filter is null");
      }
    }
  }

  /**
   * Which components a request needs, as the protocol's fuzzy descriptors: a component is needed
   * when one of them is a substring of its name ({@code Points3D:positions}), its archetype or its
   * component type. Clears always count: they empty the other components of their entity.
   *
   * @param fuzzyDescriptors empty: every component
   */
  public record Components(List<String> fuzzyDescriptors) {
    public Components {
      fuzzyDescriptors = List.copyOf(requireNonNull(fuzzyDescriptors, "fuzzyDescriptors is null"));
    }

    public static Components all() {
      return new Components(List.of());
    }

    public static Components matching(List<String> fuzzyDescriptors) {
      return new Components(fuzzyDescriptors);
    }

    public boolean isAll() {
      return fuzzyDescriptors.isEmpty();
    }
  }

  /** Which index values a request reads. */
  public sealed interface Time {
    /** Every chunk, whatever timelines it has: a Rerun request without a query. */
    static Time unbounded() {
      return new Unbounded();
    }

    /** Static chunks only: a view without index ({@code index=None}). */
    static Time staticOnly() {
      return new StaticOnly();
    }

    static Time onIndex(String timeline, Rows rows, LatestAt latestAt) {
      return new OnIndex(timeline, rows, latestAt);
    }

    record Unbounded() implements Time {}

    record StaticOnly() implements Time {}

    /**
     * A query on one index timeline: the static chunks, the temporal chunks with values on the
     * timeline that the {@code rows} need, and those that may hold a latest value the
     * {@code latestAt} part asks for. Temporal chunks without a value on the timeline never count.
     */
    record OnIndex(String timeline, Rows rows, LatestAt latestAt) implements Time {
      public OnIndex {
        requireNonNull(timeline, "timeline is null");
        requireNonNull(rows, "rows is null");
        requireNonNull(latestAt, "latestAt is null");
        if (timeline.isEmpty()) {
          throw CatalogException.invalidArgument("The index timeline of a chunk request is empty");
        }
        if (latestAt instanceof LatestAt.AtEachRow && rows instanceof Rows.None) {
          throw CatalogException.invalidArgument("Latest-at at each row needs rows: give a range, index values or all rows");
        }
      }
    }
  }

  /** Which values of the index timeline the query makes rows at (their data is needed). */
  public sealed interface Rows {
    static Rows all() {
      return new All();
    }

    static Rows inRange(IndexRange range) {
      return new InRange(range);
    }

    static Rows atValues(Map<String, IndexValues> perSegment) {
      return new AtValues(perSegment);
    }

    static Rows none() {
      return new None();
    }

    /** Every value: every chunk with a value on the timeline. */
    record All() implements Rows {}

    /** The values in an inclusive range: the chunks whose values on the timeline overlap it. */
    record InRange(IndexRange range) implements Rows {
      public InRange {
        requireNonNull(range, "range is null");
      }
    }

    /**
     * Per segment, exactly these values ({@code using_index_values}): the chunks with a value on
     * the timeline at one of them. A segment without an entry has no rows (static data only).
     */
    record AtValues(Map<String, IndexValues> perSegment) implements Rows {
      public AtValues {
        perSegment = Map.copyOf(requireNonNull(perSegment, "perSegment is null"));
      }

      public IndexValues of(String segmentId) {
        return perSegment.getOrDefault(segmentId, IndexValues.NONE);
      }
    }

    /** No rows: only what the latest-at part asks for. */
    record None() implements Rows {}
  }

  /** Which latest values (greatest value at or before a point, per component) the query needs. */
  public sealed interface LatestAt {
    static LatestAt none() {
      return new None();
    }

    /** At one point, in every segment (QueryDataset's {@code latest_at.at}). */
    static LatestAt at(long point) {
      return new At(point);
    }

    /**
     * At every row ({@code fill_latest_at}): at the start of a range (later rows of the range find
     * their latest value inside it or at the start), at each of the index values, nothing more
     * for all rows.
     */
    static LatestAt atEachRow() {
      return new AtEachRow();
    }

    record None() implements LatestAt {}

    record At(long point) implements LatestAt {}

    record AtEachRow() implements LatestAt {}
  }

  /**
   * A sorted set of index values (one segment's {@code using_index_values}). Rerun's static
   * sentinel ({@code Long.MIN_VALUE}) is never an index value and is dropped.
   */
  public record IndexValues(long[] values) {
    public static final IndexValues NONE = new IndexValues(new long[0]);

    public IndexValues {
      requireNonNull(values, "values is null");
      values = Arrays.stream(values).filter(v -> v != Long.MIN_VALUE).sorted().distinct().toArray();
    }

    public static IndexValues of(long... values) {
      return new IndexValues(values);
    }

    public static IndexValues of(Collection<Long> values) {
      return new IndexValues(values.stream().mapToLong(Long::longValue).toArray());
    }

    /** The values, ascending and distinct (a copy). */
    @Override
    public long[] values() {
      return values.clone();
    }

    public int size() {
      return values.length;
    }

    public boolean isEmpty() {
      return values.length == 0;
    }

    /** Position of the smallest value {@code >= v}; {@link #size()} if there is none. */
    int ceilingIndex(long v) {
      int i = Arrays.binarySearch(values, v);
      return i >= 0 ? i : -i - 1;
    }

    long get(int i) {
      return values[i];
    }

    /** Whether one of the values lies in {@code range}. */
    public boolean anyIn(IndexRange range) {
      int i = ceilingIndex(range.min());
      return i < values.length && values[i] <= range.max();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof IndexValues other && Arrays.equals(values, other.values);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(values);
    }

    @Override
    public String toString() {
      return values.length <= 8 ? Arrays.toString(values) : values.length + " values in [" + values[0] + ", " + values[values.length - 1] + "]";
    }
  }

  /**
   * What one segment (one layer of one partition) needs.
   *
   * @param chunkCount how many chunks the segment has (for logs and counters)
   * @param chunks the needed chunks, in file order
   */
  public record Segment(Partition partition, int chunkCount, List<IndexedChunk> chunks) {
    public Segment {
      requireNonNull(partition, "partition is null");
      chunks = List.copyOf(requireNonNull(chunks, "chunks is null"));
    }
  }
}
