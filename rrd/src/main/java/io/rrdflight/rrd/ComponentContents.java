package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import org.apache.arrow.vector.types.pojo.Field;

/**
 * What a chunk's component column holds, read without building vectors
 * ({@link RrdReader#readComponentContents}): the field as written (list items named "item", as
 * Rerun's clients expect) and whether any cell is neither null nor an empty list.
 */
public record ComponentContents(ComponentDescriptor descriptor, Field field, boolean hasNonEmptyCell) {
  public ComponentContents {
    requireNonNull(descriptor, "descriptor is null");
    requireNonNull(field, "field is null");
  }
}
