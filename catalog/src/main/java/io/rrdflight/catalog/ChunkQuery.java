package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import io.rrdflight.rrd.IndexRange;
import java.util.Optional;

/**
 * What a dataframe query needs from one partition's chunks: the entities, the index timeline (none
 * for a static-only query), an inclusive range on it, and whether latest-at values from before the
 * range start are needed ({@code fill_latest_at}).
 */
public record ChunkQuery(EntityPathFilter entities, Optional<String> timeline, Optional<IndexRange> range, boolean latestAt,
    boolean includeStatic, boolean includeTemporal) {

  public ChunkQuery {
    requireNonNull(entities, "entities is null");
    requireNonNull(timeline, "timeline is null");
    requireNonNull(range, "range is null");
    if (range.isPresent() && timeline.isEmpty()) {
      throw CatalogException.invalidArgument("An index range needs an index timeline");
    }
  }

  /** Everything of the selected entities on {@code timeline}, static data included. */
  public static ChunkQuery on(String timeline, EntityPathFilter entities) {
    return new ChunkQuery(entities, Optional.of(timeline), Optional.empty(), false, true, true);
  }

  public ChunkQuery withRange(IndexRange r) {
    return new ChunkQuery(entities, timeline, Optional.of(r), latestAt, includeStatic, includeTemporal);
  }

  public ChunkQuery withLatestAt(boolean on) {
    return new ChunkQuery(entities, timeline, range, on, includeStatic, includeTemporal);
  }
}
