package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import org.apache.arrow.vector.FieldVector;

/**
 * One component's column in a chunk. Rerun writes a list per row ({@code List<T>}): a null list
 * means "not logged in this row", an empty list "logged with no instances".
 */
public record ComponentColumn(ComponentDescriptor descriptor, FieldVector vector) {
  public ComponentColumn {
    requireNonNull(descriptor, "descriptor is null");
    requireNonNull(vector, "vector is null");
  }
}
