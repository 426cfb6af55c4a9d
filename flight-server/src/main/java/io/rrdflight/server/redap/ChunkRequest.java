package io.rrdflight.server.redap;

import static java.util.Objects.requireNonNull;

import io.rrdflight.rrd.proto.EntityPath;
import io.rrdflight.rrd.proto.PartitionId;
import io.rrdflight.rrd.proto.Tuid;
import io.rrdflight.server.redap.proto.Query;
import io.rrdflight.server.redap.proto.QueryDatasetRequest;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a QueryDataset request asks for, as typed values: which partitions, entities, components and
 * chunks, and which times. The SDK's dataframe query sends its view's range as {@code range} and its
 * start as {@code latest_at} (for {@code fill_latest_at}); a static-only view sends a latest-at
 * without an index; a view without a time filter sends neither, and needs everything.
 *
 * @param partitionIds empty: every partition
 * @param entityPaths empty: every entity (select_all_entity_paths); present: exactly these
 * @param chunkIds empty: any chunk; else only these (as 16-byte TUIDs, big-endian halves)
 * @param fuzzyDescriptors empty: every component; else components whose descriptor contains one
 */
record ChunkRequest(
    Set<String> partitionIds,
    Optional<Set<String>> entityPaths,
    Set<ChunkIdValue> chunkIds,
    List<String> fuzzyDescriptors,
    boolean excludeStatic,
    boolean excludeTemporal,
    Optional<LatestAt> latestAt,
    Optional<Range> range) {

  /** A chunk id as its two TUID halves. */
  record ChunkIdValue(long timeNs, long inc) {}

  /**
   * The latest value at or before {@code at} on {@code timeline}; with no timeline, static data only
   * (what a view with {@code index=None} asks for).
   */
  record LatestAt(Optional<String> timeline, long at) {
    LatestAt {
      requireNonNull(timeline, "timeline is null");
    }
  }

  /** Every value in {@code [min, max]} (inclusive) on {@code timeline}. */
  record Range(String timeline, long min, long max) {
    Range {
      requireNonNull(timeline, "timeline is null");
    }
  }

  ChunkRequest {
    partitionIds = Set.copyOf(partitionIds);
    entityPaths = entityPaths.map(Set::copyOf);
    chunkIds = Set.copyOf(chunkIds);
    fuzzyDescriptors = List.copyOf(fuzzyDescriptors);
    requireNonNull(latestAt, "latestAt is null");
    requireNonNull(range, "range is null");
  }

  /** The index timeline the request is about, if any: its range's, else its latest-at's. */
  Optional<String> timeline() {
    return range.map(Range::timeline).or(() -> latestAt.flatMap(LatestAt::timeline));
  }

  /** Whether the query limits time at all; without a limit every chunk of the entities is needed. */
  boolean limitsTime() {
    return latestAt.isPresent() || range.isPresent();
  }

  static ChunkRequest of(QueryDatasetRequest request) {
    if (request.getSelectAllEntityPaths() && request.getEntityPathsCount() > 0) {
      throw CatalogStatus.invalidArgument("QueryDataset: give entity_paths or set select_all_entity_paths, not both");
    }
    Set<String> partitions = request.getPartitionIdsList().stream().map(PartitionId::getId).collect(Collectors.toSet());
    // No paths without select_all selects nothing (the protocol's definition); the SDK sends that
    // only when a view's contents match no entity, and then needs no chunks.
    Optional<Set<String>> entities = request.getSelectAllEntityPaths()
        ? Optional.empty()
        : Optional.of(request.getEntityPathsList().stream().map(EntityPath::getPath).map(ChunkRequest::normalizedPath).collect(Collectors.toSet()));
    Set<ChunkIdValue> chunks = request.getChunkIdsList().stream().map(ChunkRequest::chunkId).collect(Collectors.toSet());
    Optional<LatestAt> latestAt = Optional.empty();
    Optional<Range> range = Optional.empty();
    if (request.hasQuery()) {
      Query q = request.getQuery();
      if (q.hasLatestAt()) {
        var l = q.getLatestAt();
        boolean hasIndex = l.hasIndex() && !l.getIndex().getTimeline().getName().isEmpty();
        latestAt = Optional.of(hasIndex && l.hasAt()
            ? new LatestAt(Optional.of(l.getIndex().getTimeline().getName()), l.getAt())
            : new LatestAt(Optional.empty(), Long.MIN_VALUE));
      }
      if (q.hasRange()) {
        var r = q.getRange();
        if (!r.hasIndex() || r.getIndex().getTimeline().getName().isEmpty()) {
          throw CatalogStatus.invalidArgument("QueryDataset: a range query needs an index (timeline)");
        }
        long min = r.getIndexRange().getStart();
        long max = r.getIndexRange().getEnd();
        if (min > max) {
          throw CatalogStatus.invalidArgument("QueryDataset: range start " + min + " is after its end " + max);
        }
        range = Optional.of(new Range(r.getIndex().getTimeline().getName(), min, max));
      }
    }
    return new ChunkRequest(partitions, entities, chunks, request.getFuzzyDescriptorsList(),
        request.getExcludeStaticData(), request.getExcludeTemporalData(), latestAt, range);
  }

  private static ChunkIdValue chunkId(Tuid tuid) {
    return new ChunkIdValue(tuid.getTimeNs(), tuid.getInc());
  }

  /** Entity paths always start with a slash; clients may omit it. */
  static String normalizedPath(String path) {
    return path.startsWith("/") ? path : "/" + path;
  }
}
