package io.rrdflight.sql.view;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;

/**
 * The columns of a dataset: the union of its partitions' timelines and components, indexes sorted
 * by name and components in Rerun's order (entity path, archetype, component), as Rerun's dataset
 * schema has them. Empty for a dataset whose recordings are not indexed yet.
 */
public record DatasetColumns(List<IndexColumn> indexes, List<ComponentColumn> components) {
  public static final DatasetColumns EMPTY = new DatasetColumns(List.of(), List.of());

  public DatasetColumns {
    indexes = List.copyOf(requireNonNull(indexes, "indexes is null"));
    components = List.copyOf(requireNonNull(components, "components is null"));
  }

  public Optional<IndexColumn> index(String name) {
    return indexes.stream().filter(i -> i.name().equals(name)).findFirst();
  }

  /** Case-insensitive lookup, as SQL identifiers match. */
  public Optional<IndexColumn> indexIgnoreCase(String name) {
    return index(name).or(() -> indexes.stream().filter(i -> i.name().equalsIgnoreCase(name)).findFirst());
  }
}
