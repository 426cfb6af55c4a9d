package io.rrdflight.server.redap;

import io.rrdflight.catalog.ChunkPlan;
import io.rrdflight.catalog.ChunkPlan.Components;
import io.rrdflight.catalog.ChunkPlan.Entities;
import io.rrdflight.catalog.ChunkPlan.IndexValues;
import io.rrdflight.catalog.ChunkPlan.LatestAt;
import io.rrdflight.catalog.ChunkPlan.Rows;
import io.rrdflight.catalog.ChunkPlan.Segments;
import io.rrdflight.catalog.ChunkPlan.Time;
import io.rrdflight.rrd.IndexRange;
import io.rrdflight.rrd.proto.SegmentId;
import io.rrdflight.server.redap.wire.segments.ContentSelection;
import io.rrdflight.server.redap.wire.segments.EntitySelection;
import io.rrdflight.server.redap.wire.segments.FillMode;
import io.rrdflight.server.redap.wire.segments.FindChunksRequest;
import io.rrdflight.server.redap.wire.segments.IndexValueList;
import io.rrdflight.server.redap.wire.segments.QueryDatasetRequest;
import io.rrdflight.server.redap.wire.segments.RangeSelection;
import io.rrdflight.server.redap.wire.segments.SegmentSamples;
import io.rrdflight.server.redap.wire.segments.SegmentSamplesSelection;
import io.rrdflight.server.redap.wire.segments.SegmentSelection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The 0.28+ chunk questions as the catalog's typed {@link ChunkPlan.Request}.
 *
 * <p>FindChunks (0.37+) selects contents (all, or entities each with all or some components) and one
 * mode: static data only; an index range on a timeline, optionally with what fills it from before its
 * start (latest-at), where a range without bounds means every chunk of the contents as in Rerun's answer;
 * or per-segment samples (index values, {@code using_index_values}) with the same
 * fill. A range or samples answer includes the static chunks of the contents, as Rerun's does (the
 * reader fills static columns from them). QueryDataset (0.28–0.36) is the 0.27 request with
 * segment ids at field 11 and, for {@code using_index_values}, per-segment values in its latest-at.
 */
final class FindChunksQuery {
  private FindChunksQuery() {}

  static ChunkPlan.Request of(FindChunksRequest request) {
    Entities entities = entities(request.getContents());
    Components components = components(request.getContents());
    return switch (request.getModeCase()) {
      case STATIC -> new ChunkPlan.Request(segments(request.getStatic().getSegments()), entities, components, Set.of(), true, false,
          Time.staticOnly());
      case RANGE -> range(request.getRange(), entities, components);
      case SAMPLES -> samples(request.getSamples(), entities, components);
      case MODE_NOT_SET -> new ChunkPlan.Request(Segments.all(), entities, components, Set.of(), true, true, Time.unbounded());
    };
  }

  private static ChunkPlan.Request range(RangeSelection range, Entities entities, Components components) {
    String timeline = timeline(range.getTimeline());
    LatestAt fill = fill(range.getFillMode());
    if (!range.hasStartInclusive() && !range.hasEndInclusive()) {
      // An unbounded range, with or without fill, is every chunk of the contents, on the index or
      // not, as Rerun's server answers it. The reader needs them: a component of an entity under a
      // recursive Clear on the index becomes a column of its local store only through the entity's
      // own chunks (on whatever timeline), and only then does the Clear empty it ([] rather than null).
      return new ChunkPlan.Request(segments(range.getSegments()), entities, components, Set.of(), true, true, Time.unbounded());
    }
    long start = range.hasStartInclusive() ? range.getStartInclusive() : Long.MIN_VALUE;
    long end = range.hasEndInclusive() ? range.getEndInclusive() : Long.MAX_VALUE;
    if (start > end) {
      throw CatalogStatus.invalidArgument("FindChunks: range start " + start + " is after its end " + end);
    }
    return new ChunkPlan.Request(segments(range.getSegments()), entities, components, Set.of(), true, true,
        Time.onIndex(timeline, Rows.inRange(new IndexRange(start, end)), fill));
  }

  private static ChunkPlan.Request samples(SegmentSamplesSelection samples, Entities entities, Components components) {
    Map<String, IndexValues> perSegment = new LinkedHashMap<>();
    for (SegmentSamples s : samples.getSegmentsList()) {
      perSegment.put(s.getSegmentId().getId(), IndexValues.of(s.getValuesList()));
    }
    return new ChunkPlan.Request(Segments.named(perSegment.keySet()), entities, components, Set.of(), true, true,
        Time.onIndex(timeline(samples.getTimeline()), Rows.atValues(perSegment), fill(samples.getFillMode())));
  }

  /**
   * QueryDataset of a 0.28–0.36 client: the 0.27 translation, with the segment ids moved to where
   * 0.27 had partition ids, and per-segment index values (in the order of the segment ids) as rows
   * at those values with the latest value at each.
   */
  static ChunkPlan.Request of(QueryDatasetRequest request) {
    io.rrdflight.server.redap.proto.QueryDatasetRequest.Builder partitionsForm =
        SegmentsWire.carried(request, io.rrdflight.server.redap.proto.QueryDatasetRequest.parser()).toBuilder();
    request.getSegmentIdsList().forEach(s -> partitionsForm.addPartitionIds(io.rrdflight.rrd.proto.PartitionId.newBuilder().setId(s.getId())));
    var latestAt = request.getQuery().getLatestAt();
    if (latestAt.getPerSegmentValuesCount() == 0) {
      return DatasetQuery.planRequest(partitionsForm.build());
    }
    if (latestAt.getPerSegmentValuesCount() != request.getSegmentIdsCount()) {
      throw CatalogStatus.invalidArgument("QueryDataset: " + latestAt.getPerSegmentValuesCount() + " lists of index values for "
          + request.getSegmentIdsCount() + " segment ids; give one list per segment, in the same order");
    }
    Map<String, IndexValues> perSegment = new LinkedHashMap<>();
    for (int i = 0; i < request.getSegmentIdsCount(); i++) {
      IndexValueList values = latestAt.getPerSegmentValues(i);
      perSegment.put(request.getSegmentIds(i).getId(), IndexValues.of(values.getValuesList()));
    }
    partitionsForm.getQueryBuilder().clearLatestAt().clearRange();
    ChunkPlan.Request base = DatasetQuery.planRequest(partitionsForm.build());
    return base.withTime(Time.onIndex(timeline(latestAt.getIndex().getTimeline().getName()), Rows.atValues(perSegment), LatestAt.atEachRow()));
  }

  private static String timeline(String name) {
    if (name.isEmpty()) {
      throw CatalogStatus.invalidArgument("This chunk query needs an index timeline");
    }
    return name;
  }

  private static LatestAt fill(FillMode mode) {
    return switch (mode) {
      case FILL_MODE_LATEST_AT -> LatestAt.atEachRow();
      case FILL_MODE_UNSPECIFIED, FILL_MODE_NONE -> LatestAt.none();
      case FILL_MODE_EARLIEST_AT, UNRECOGNIZED ->
          throw CatalogStatus.invalidArgument("FindChunks: fill mode " + mode + " is not supported; use latest-at or none");
    };
  }

  private static Segments segments(SegmentSelection selection) {
    return switch (selection.getSelectionCase()) {
      case EXPLICIT -> Segments.named(selection.getExplicit().getIdsList().stream().map(SegmentId::getId).toList());
      case ALL, SELECTION_NOT_SET -> Segments.all();
    };
  }

  /** The selected entities, matched exactly as Rerun's server does (the reader names every entity it needs). */
  private static Entities entities(ContentSelection contents) {
    return switch (contents.getSelectionCase()) {
      case EXPLICIT -> Entities.exactly(contents.getExplicit().getEntitiesList().stream()
          .map(e -> DatasetQuery.normalizedPath(e.getEntityPath().getPath())).toList());
      case ALL, SELECTION_NOT_SET -> Entities.all();
    };
  }

  /**
   * The components to keep: only when every selected entity names its components (the filter
   * applies to all entities alike, so one entity with all components keeps all).
   */
  private static Components components(ContentSelection contents) {
    if (contents.getSelectionCase() != ContentSelection.SelectionCase.EXPLICIT) {
      return Components.all();
    }
    List<String> names = new ArrayList<>();
    for (EntitySelection e : contents.getExplicit().getEntitiesList()) {
      if (e.getComponentsCase() != EntitySelection.ComponentsCase.EXPLICIT) {
        return Components.all();
      }
      names.addAll(e.getExplicit().getIdsList());
    }
    return Components.matching(names);
  }
}
