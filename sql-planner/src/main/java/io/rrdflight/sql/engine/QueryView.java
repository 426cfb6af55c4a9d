package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.ChunkPlan;
import io.rrdflight.catalog.ChunkPlan.Entities;
import io.rrdflight.catalog.ChunkPlan.LatestAt;
import io.rrdflight.catalog.ChunkPlan.Rows;
import io.rrdflight.catalog.ChunkPlan.Time;
import io.rrdflight.catalog.EntityPathFilter;
import io.rrdflight.rrd.IndexRange;
import java.util.Collections;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A dataframe query over a dataset, as Rerun's {@code dataframe_query_view(index=, contents=)}
 * with {@code filter_partition_id}, {@code filter_range_nanos} and {@code fill_latest_at}.
 *
 * @param index the index timeline; empty for a static-only view (one row per partition)
 * @param contents which entities' columns the view has
 * @param partitionIds the partitions to read; empty = all
 * @param range rows outside it are not returned ({@link IndexRange#EVERYTHING} when unfiltered)
 * @param fillLatestAt fill null cells with the latest value at or before the row's index value
 */
public record QueryView(Optional<String> index, EntityPathFilter contents, Optional<SortedSet<String>> partitionIds,
    IndexRange range, boolean fillLatestAt) {

  public QueryView {
    requireNonNull(index, "index is null");
    requireNonNull(contents, "contents is null");
    requireNonNull(partitionIds, "partitionIds is null");
    requireNonNull(range, "range is null");
    partitionIds = partitionIds.map(s -> Collections.unmodifiableSortedSet(new TreeSet<>(s)));
  }

  public static QueryView of(String index, String contents) {
    return new QueryView(Optional.ofNullable(index), EntityPathFilter.parse(contents), Optional.empty(), IndexRange.EVERYTHING, false);
  }

  public QueryView withPartitionIds(SortedSet<String> ids) {
    return new QueryView(index, contents, Optional.of(ids), range, fillLatestAt);
  }

  public QueryView withRange(IndexRange newRange) {
    return new QueryView(index, contents, partitionIds, newRange, fillLatestAt);
  }

  public QueryView withFillLatestAt(boolean fill) {
    return new QueryView(index, contents, partitionIds, range, fill);
  }

  public boolean includesPartition(String partitionId) {
    return partitionIds.map(s -> s.contains(partitionId)).orElse(true);
  }

  /**
   * What the view needs from a partition's chunks for its rows in {@code window} (a part of its
   * range), for {@link io.rrdflight.catalog.ChunkPlanner}: the contents' entities (with the Clears
   * of their ancestors), static data, the window on the index and, with fill, the latest values
   * at its start. A static-only view needs static data only.
   */
  public ChunkPlan.Request chunkRequest(IndexRange window) {
    requireNonNull(window, "window is null");
    ChunkPlan.Request request = ChunkPlan.Request.everything().withEntities(Entities.matching(contents));
    if (index.isEmpty()) {
      return request.withTime(Time.staticOnly());
    }
    Rows rows = window.isEverything() ? Rows.all() : Rows.inRange(window);
    return request.withTime(Time.onIndex(index.get(), rows, fillLatestAt ? LatestAt.atEachRow() : LatestAt.none()));
  }
}
