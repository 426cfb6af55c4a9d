package io.rrdflight.sql.view;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;

/**
 * One {@code entity:component} column of a dataset, as the union of its partitions' schemas has it.
 *
 * @param listField the column's field in a chunk: {@code List<item: T>} (the name is ignored)
 * @param isStatic the component was logged statically (in some partition)
 * @param isTombstone a Clear column ({@code Clear:is_recursive}), hidden from views by default
 * @param isSemanticallyEmpty every value is null or an empty list, hidden from views by default
 */
public record ComponentColumn(String entityPath, String component, Optional<String> archetype, Optional<String> componentType,
    Field listField, boolean isStatic, boolean isTombstone, boolean isSemanticallyEmpty) {

  public static final String CLEAR_IS_RECURSIVE = "Clear:is_recursive";
  private static final String PROPERTIES = "/__properties";

  public ComponentColumn {
    requireNonNull(entityPath, "entityPath is null");
    requireNonNull(component, "component is null");
    requireNonNull(archetype, "archetype is null");
    requireNonNull(componentType, "componentType is null");
    requireNonNull(listField, "listField is null");
    if (!(listField.getType() instanceof ArrowType.List)) {
      throw new IllegalArgumentException("component column " + entityPath + ":" + component + " must be a List, is " + listField.getType());
    }
  }

  /** Rerun's dataframe column name: {@code /obj1:Points3D:positions}, {@code property:RecordingInfo:name}. */
  public String name() {
    if (entityPath.equals(PROPERTIES)) {
      return "property:" + component;
    }
    if (entityPath.startsWith(PROPERTIES + "/")) {
      return "property:" + entityPath.substring(PROPERTIES.length() + 1) + ":" + component;
    }
    return entityPath + ":" + component;
  }

  /** The dataframe field Rerun returns: the chunk's list type, nullable, with Rerun's column metadata. */
  public Field field() {
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("rerun:kind", "data");
    metadata.put("rerun:entity_path", entityPath);
    metadata.put("rerun:component", component);
    archetype.ifPresent(a -> metadata.put("rerun:archetype", a));
    componentType.ifPresent(t -> metadata.put("rerun:component_type", t));
    if (isStatic) {
      metadata.put("rerun:is_static", "true");
    }
    if (isTombstone) {
      metadata.put("rerun:is_tombstone", "true");
    }
    if (isSemanticallyEmpty) {
      metadata.put("rerun:is_semantically_empty", "true");
    }
    return new Field(name(), new FieldType(true, listField.getType(), null, metadata), itemNamed(listField.getChildren()));
  }

  /** Rerun (arrow-rs) names list items {@code item}; Arrow Java readers may say {@code $data$}. */
  private static List<Field> itemNamed(List<Field> children) {
    return children.stream().map(c -> new Field("item", c.getFieldType(),
        c.getType() instanceof ArrowType.List || c.getType() instanceof ArrowType.FixedSizeList ? itemNamed(c.getChildren()) : c.getChildren())).toList();
  }
}
