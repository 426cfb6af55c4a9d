package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One chunk as the index knows it: enough to decide whether a query needs it, and where to read it
 * with {@link RrdReader#readChunk(java.nio.file.Path, long, long, org.apache.arrow.memory.BufferAllocator)}.
 *
 * @param store the store the chunk belongs to
 * @param entityPath always with a leading slash
 * @param isStatic a static chunk has no timeline; its data holds at every time
 * @param timeRanges per timeline, the smallest and largest value in the chunk; a timeline on which
 *     every value is null has no entry
 * @param components the components with at least one non-null cell, sorted by component name
 * @param offset where the chunk's ArrowMsg starts in the file (just after its message header)
 * @param length the ArrowMsg's length in bytes
 * @param sizes what the chunk takes once decoded, as far as the file says
 * @param componentRanges per component whose cells the index located exactly, per timeline, the
 *     smallest and largest time of its non-null cells (both are times of real cells). A component
 *     missing here is only known to have a cell somewhere within the chunk's own ranges. Footers
 *     give every component's; a scan knows those without null cells (their ranges are the chunk's)
 */
public record IndexedChunk(
    StoreId store,
    ChunkId id,
    String entityPath,
    boolean isStatic,
    long rowCount,
    SortedMap<Timeline, IndexRange> timeRanges,
    List<ComponentDescriptor> components,
    long offset,
    long length,
    ChunkSizes sizes,
    Map<ComponentDescriptor, SortedMap<Timeline, IndexRange>> componentRanges) {

  public IndexedChunk {
    requireNonNull(store, "store is null");
    requireNonNull(id, "id is null");
    requireNonNull(entityPath, "entityPath is null");
    timeRanges = Collections.unmodifiableSortedMap(new TreeMap<>(timeRanges));
    components = components.stream().sorted(java.util.Comparator.comparing(ComponentDescriptor::component)).toList();
    requireNonNull(sizes, "sizes is null");
    componentRanges = Map.copyOf(requireNonNull(componentRanges, "componentRanges is null"));
  }

  /** A chunk whose components' own ranges are not known (an index saved before they were kept). */
  public IndexedChunk(StoreId store, ChunkId id, String entityPath, boolean isStatic, long rowCount,
      SortedMap<Timeline, IndexRange> timeRanges, List<ComponentDescriptor> components, long offset, long length, ChunkSizes sizes) {
    this(store, id, entityPath, isStatic, rowCount, timeRanges, components, offset, length, sizes, Map.of());
  }

  /**
   * A chunk whose decoded size is unknown beyond its message length (chunks made up in tests and
   * by callers that do not read files).
   */
  public IndexedChunk(StoreId store, ChunkId id, String entityPath, boolean isStatic, long rowCount,
      SortedMap<Timeline, IndexRange> timeRanges, List<ComponentDescriptor> components, long offset, long length) {
    this(store, id, entityPath, isStatic, rowCount, timeRanges, components, offset, length, ChunkSizes.undeclared(length));
  }

  /**
   * The smallest and largest time on the timeline named {@code timeline} of the component's non-null
   * cells, when the index located them; empty when it did not, or the component has no cell with a
   * time there.
   */
  public Optional<IndexRange> componentRange(ComponentDescriptor component, String timeline) {
    SortedMap<Timeline, IndexRange> ranges = componentRanges.get(component);
    if (ranges != null) {
      for (Map.Entry<Timeline, IndexRange> e : ranges.entrySet()) {
        if (e.getKey().name().equals(timeline)) {
          return Optional.of(e.getValue());
        }
      }
    }
    return Optional.empty();
  }

  /** Whether the chunk may hold rows on {@code timeline} within {@code range}. Static chunks always may. */
  public boolean mayOverlap(Timeline timeline, IndexRange range) {
    if (isStatic) {
      return true;
    }
    IndexRange own = timeRanges.get(timeline);
    return own != null && own.intersects(range);
  }
}
