package io.rrdflight.server.redap;

import io.rrdflight.rrd.proto.SegmentId;
import io.rrdflight.server.redap.wire.segments.ContentSelection;
import io.rrdflight.server.redap.wire.segments.EntitySelection;
import io.rrdflight.server.redap.wire.segments.FillMode;
import io.rrdflight.server.redap.wire.segments.FindChunksRequest;
import io.rrdflight.server.redap.wire.segments.RangeSelection;
import io.rrdflight.server.redap.wire.segments.SegmentSamples;
import io.rrdflight.server.redap.wire.segments.SegmentSamplesSelection;
import io.rrdflight.server.redap.wire.segments.SegmentSelection;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A FindChunks request (0.37+) as the typed {@link ChunkRequest} the model plans with. The request
 * selects contents (all, or entities each with all or some components) and one mode: static data
 * only; an index range on a timeline, optionally with what fills it from before its start
 * (latest-at); or per-segment samples (index values) with the same fill. Observed on the wire: the
 * 0.41 reader asks for static data and for the range in separate calls, so a range answers temporal
 * chunks only.
 */
final class FindChunksQuery {
  private FindChunksQuery() {}

  static ChunkRequest of(FindChunksRequest request) {
    Optional<Set<String>> entities = entities(request.getContents());
    List<String> components = components(request.getContents());
    return switch (request.getModeCase()) {
      case STATIC -> new ChunkRequest(segments(request.getStatic().getSegments()), entities, Set.of(), components, false, true,
          Optional.empty(), Optional.empty());
      case RANGE -> range(request.getRange(), entities, components);
      case SAMPLES -> samples(request.getSamples(), entities, components);
      case MODE_NOT_SET -> new ChunkRequest(Set.of(), entities, Set.of(), components, false, false, Optional.empty(), Optional.empty());
    };
  }

  private static ChunkRequest range(RangeSelection range, Optional<Set<String>> entities, List<String> components) {
    if (range.getTimeline().isEmpty()) {
      throw CatalogStatus.invalidArgument("FindChunks: a range needs a timeline");
    }
    long start = range.hasStartInclusive() ? range.getStartInclusive() : Long.MIN_VALUE;
    long end = range.hasEndInclusive() ? range.getEndInclusive() : Long.MAX_VALUE;
    if (start > end) {
      throw CatalogStatus.invalidArgument("FindChunks: range start " + start + " is after its end " + end);
    }
    return new ChunkRequest(segments(range.getSegments()), entities, Set.of(), components, true, false,
        fill(range.getTimeline(), range.getFillMode(), start), Optional.of(new ChunkRequest.Range(range.getTimeline(), start, end)));
  }

  /**
   * Samples: rows at given index values per segment. Planned as the span from the smallest to the
   * largest value of all segments (and what fills it), which holds every chunk any sample needs.
   */
  private static ChunkRequest samples(SegmentSamplesSelection samples, Optional<Set<String>> entities, List<String> components) {
    if (samples.getTimeline().isEmpty()) {
      throw CatalogStatus.invalidArgument("FindChunks: samples need a timeline");
    }
    Set<String> segments = new LinkedHashSet<>();
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (SegmentSamples s : samples.getSegmentsList()) {
      segments.add(s.getSegmentId().getId());
      for (long v : s.getValuesList()) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
    if (min > max) {
      // No values at all: nothing can make a row.
      return new ChunkRequest(segments, Optional.of(Set.of()), Set.of(), components, true, false, Optional.empty(), Optional.empty());
    }
    return new ChunkRequest(segments, entities, Set.of(), components, true, false, fill(samples.getTimeline(), samples.getFillMode(), min),
        Optional.of(new ChunkRequest.Range(samples.getTimeline(), min, max)));
  }

  private static Optional<ChunkRequest.LatestAt> fill(String timeline, FillMode mode, long at) {
    return switch (mode) {
      case FILL_MODE_LATEST_AT -> Optional.of(new ChunkRequest.LatestAt(Optional.of(timeline), at));
      case FILL_MODE_UNSPECIFIED, FILL_MODE_NONE -> Optional.empty();
      case FILL_MODE_EARLIEST_AT, UNRECOGNIZED ->
          throw CatalogStatus.invalidArgument("FindChunks: fill mode " + mode + " is not supported; use latest-at or none");
    };
  }

  private static Set<String> segments(SegmentSelection selection) {
    return switch (selection.getSelectionCase()) {
      case EXPLICIT -> {
        Set<String> ids = new LinkedHashSet<>();
        selection.getExplicit().getIdsList().stream().map(SegmentId::getId).forEach(ids::add);
        yield ids;
      }
      case ALL, SELECTION_NOT_SET -> Set.of();
    };
  }

  private static Optional<Set<String>> entities(ContentSelection contents) {
    return switch (contents.getSelectionCase()) {
      case EXPLICIT -> {
        Set<String> paths = new LinkedHashSet<>();
        contents.getExplicit().getEntitiesList().forEach(e -> paths.add(ChunkRequest.normalizedPath(e.getEntityPath().getPath())));
        yield Optional.of(paths);
      }
      case ALL, SELECTION_NOT_SET -> Optional.empty();
    };
  }

  /**
   * The component names to keep: only when every selected entity names its components (the filter
   * applies to all entities alike, so one entity with all components keeps all).
   */
  private static List<String> components(ContentSelection contents) {
    if (contents.getSelectionCase() != ContentSelection.SelectionCase.EXPLICIT) {
      return List.of();
    }
    List<String> names = new ArrayList<>();
    for (EntitySelection e : contents.getExplicit().getEntitiesList()) {
      if (e.getComponentsCase() != EntitySelection.ComponentsCase.EXPLICIT) {
        return List.of();
      }
      names.addAll(e.getExplicit().getIdsList());
    }
    return names;
  }
}
