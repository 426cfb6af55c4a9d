package io.rrdflight.sql.view;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.Set;

/**
 * What the chunk index knows of one chunk without decoding it: enough to decide whether a query
 * needs it. A static chunk has no timelines.
 *
 * @param timelines the [min, max] of each timeline the chunk has
 * @param components the component identifiers of its columns, e.g. {@code Points3D:positions}
 * @param offset where the chunk's message starts in its file ({@link RerunData#read} takes it back)
 * @param length the message's length in bytes
 */
public record ChunkInfo(String id, String entityPath, Map<String, IndexRange> timelines, Set<String> components,
    long rowCount, long offset, long length) {

  public ChunkInfo {
    requireNonNull(id, "id is null");
    requireNonNull(entityPath, "entityPath is null");
    timelines = Map.copyOf(requireNonNull(timelines, "timelines is null"));
    components = Set.copyOf(requireNonNull(components, "components is null"));
  }

  public boolean isStatic() {
    return timelines.isEmpty();
  }
}
