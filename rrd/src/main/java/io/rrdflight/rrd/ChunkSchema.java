package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * What the columns of a chunk's record batch mean, read from the Arrow schema and its metadata (the
 * "sorbet" chunk schema). This is the one place that knows the metadata keys, including the legacy
 * {@code rerun.}-prefixed keys of Rerun 0.23 and how Rerun migrates them.
 *
 * @param entityPath the chunk's entity path, always with a leading slash
 * @param id the chunk id from {@code rerun:id}, when the schema has one
 * @param rowIdField position of the RowId column
 * @param indexFields the index (timeline) columns, in schema order
 * @param componentFields the component columns, in schema order, without indicator columns
 * @param droppedFields positions of indicator columns: Rerun drops them since 0.24 and so do we
 * @param declaredHeapBytes the chunk's heap size as its writer declared it ({@code rerun:heap_size_bytes})
 */
record ChunkSchema(
    String entityPath,
    Optional<ChunkId> id,
    int rowIdField,
    List<IndexField> indexFields,
    List<ComponentField> componentFields,
    List<Integer> droppedFields,
    OptionalLong declaredHeapBytes) {

  static final String ROW_ID_NAME = "rerun.controls.RowId";

  /** An index column: the field's position and the timeline it carries. */
  record IndexField(int position, Timeline timeline) {}

  /** A component column: the field's position and what it holds. */
  record ComponentField(int position, ComponentDescriptor descriptor) {}

  ChunkSchema {
    requireNonNull(entityPath, "entityPath is null");
    requireNonNull(id, "id is null");
    indexFields = List.copyOf(indexFields);
    componentFields = List.copyOf(componentFields);
    droppedFields = List.copyOf(droppedFields);
  }

  boolean isStatic() {
    return indexFields.isEmpty();
  }

  /**
   * Classifies the fields of {@code schema}. {@code file} and {@code offset} locate the chunk for
   * error messages.
   */
  static ChunkSchema of(Schema schema, String file, long offset) throws RrdFormatException {
    Map<String, String> metadata = schema.getCustomMetadata();
    String entityPath = value(metadata, "entity_path")
        .orElseThrow(() -> new RrdFormatException(file, offset, "chunk schema has no rerun:entity_path metadata"));
    Optional<ChunkId> id = value(metadata, "id").flatMap(ChunkId::parse);

    int rowIdField = -1;
    List<IndexField> indexFields = new ArrayList<>();
    List<ComponentField> componentFields = new ArrayList<>();
    List<Integer> droppedFields = new ArrayList<>();
    List<Field> fields = schema.getFields();
    for (int i = 0; i < fields.size(); i++) {
      Field field = fields.get(i);
      if (field.getName() == null || field.getType() == null) {
        throw new RrdFormatException(file, offset, "column " + i + " of the chunk schema has no name or no type");
      }
      Map<String, String> fm = field.getMetadata();
      String kind = value(fm, "kind").orElse(field.getName().equals(ROW_ID_NAME) ? "control" : "data");
      switch (kind) {
        case "control", "row_id" -> {
          if (!(field.getType() instanceof ArrowType.FixedSizeBinary b && b.getByteWidth() == 16)) {
            throw new RrdFormatException(file, offset, "RowId column '" + field.getName() + "' has type " + field.getType() + "; expected FixedSizeBinary(16)");
          }
          rowIdField = i;
        }
        case "index", "time" -> {
          String name = value(fm, "index_name").orElse(field.getName());
          TimelineKind timelineKind = TimelineKind.fromArrowType(field.getType())
              .orElseThrow(() -> new RrdFormatException(file, offset,
                  "index column '" + field.getName() + "' has type " + field.getType() + "; expected Int64, Timestamp(ns) or Duration(ns)"));
          indexFields.add(new IndexField(i, new Timeline(name, timelineKind)));
        }
        case "data", "component" -> {
          if (isIndicator(field)) {
            droppedFields.add(i);
          } else {
            componentFields.add(new ComponentField(i, descriptor(field)));
          }
        }
        default -> throw new RrdFormatException(file, offset, "column '" + field.getName() + "' has unknown rerun:kind '" + kind + "'; expected control, index or data");
      }
    }
    if (rowIdField < 0) {
      throw new RrdFormatException(file, offset, "chunk has no RowId column (" + ROW_ID_NAME + ")");
    }
    return new ChunkSchema(normalizeEntityPath(entityPath), id, rowIdField, indexFields, componentFields, droppedFields,
        declaredHeapBytes(metadata));
  }

  /** {@code rerun:heap_size_bytes}; a value that is not a non-negative number counts as absent, as in Rerun. */
  private static OptionalLong declaredHeapBytes(Map<String, String> metadata) {
    Optional<String> text = value(metadata, "heap_size_bytes");
    if (text.isEmpty()) {
      return OptionalLong.empty();
    }
    try {
      long bytes = Long.parseLong(text.get().trim());
      return bytes >= 0 ? OptionalLong.of(bytes) : OptionalLong.empty();
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  /** Reads {@code rerun:<key>}, falling back to the legacy {@code rerun.<key>} of Rerun 0.23. */
  private static Optional<String> value(Map<String, String> metadata, String key) {
    if (metadata == null) {
      return Optional.empty();
    }
    String v = metadata.get("rerun:" + key);
    if (v == null) {
      v = metadata.get("rerun." + key);
    }
    return Optional.ofNullable(v);
  }

  private static boolean isIndicator(Field field) {
    return field.getName().endsWith("Indicator") || value(field.getMetadata(), "is_indicator").map("true"::equals).orElse(false);
  }

  /**
   * The component descriptor of a data column. Since Rerun 0.24 the metadata holds it directly; Rerun
   * 0.23 wrote {@code rerun.archetype}, {@code rerun.archetype_field} and {@code rerun.component}
   * (then the component type), which Rerun maps as done here.
   */
  private static ComponentDescriptor descriptor(Field field) {
    Map<String, String> fm = field.getMetadata();
    String component = fm.get("rerun:component");
    if (component != null) {
      return new ComponentDescriptor(migrateName(component), Optional.ofNullable(fm.get("rerun:archetype")).map(ChunkSchema::migrateName),
          Optional.ofNullable(fm.get("rerun:component_type")));
    }
    String legacyType = fm.get("rerun.component");
    Optional<String> archetype = Optional.ofNullable(fm.get("rerun.archetype")).map(ChunkSchema::migrateName);
    Optional<String> archetypeField = Optional.ofNullable(fm.get("rerun.archetype_field"));
    if (legacyType == null) {
      // No descriptor at all (third-party writers): the column name is all we have.
      return new ComponentDescriptor(field.getName(), Optional.empty(), Optional.empty());
    }
    if (archetypeField.isEmpty()) {
      return archetype.isPresent()
          ? new ComponentDescriptor(legacyType, archetype, Optional.of(legacyType))
          : new ComponentDescriptor(legacyType, Optional.empty(), Optional.empty());
    }
    String prefix = archetype.map(a -> shortArchetype(a) + ":").orElse("");
    return new ComponentDescriptor(prefix + archetypeField.get(), archetype, Optional.of(legacyType));
  }

  private static String shortArchetype(String archetype) {
    String a = archetype.trim();
    for (String prefix : List.of("rerun.archetypes.", "rerun.blueprint.archetypes.")) {
      if (a.startsWith(prefix)) {
        return a.substring(prefix.length());
      }
    }
    return a;
  }

  /** Rerun 0.24 renamed RecordingProperties to RecordingInfo and moved it to /__properties. */
  private static String migrateName(String name) {
    return name.replace("RecordingProperties", "RecordingInfo");
  }

  /** With a leading slash (third-party writers omit it), and Rerun 0.23's recording properties moved. */
  static String normalizeEntityPath(String path) {
    String p = path.startsWith("/") ? path : "/" + path;
    return p.equals("/__properties/recording") ? "/__properties" : p;
  }
}
