package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * What a component column of a chunk holds.
 *
 * @param component the component identifier, such as {@code Points3D:positions}; unique within a
 *     chunk and the column's name from Rerun 0.24 on
 * @param archetype the full archetype name, such as {@code rerun.archetypes.Points3D}; absent for
 *     data logged without an archetype
 * @param componentType the full component type, such as {@code rerun.components.Position3D}
 */
public record ComponentDescriptor(String component, Optional<String> archetype, Optional<String> componentType) {
  public ComponentDescriptor {
    requireNonNull(component, "component is null");
    requireNonNull(archetype, "archetype is null");
    requireNonNull(componentType, "componentType is null");
  }
}
