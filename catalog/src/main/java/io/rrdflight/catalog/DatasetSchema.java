package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import io.rrdflight.rrd.Timeline;
import io.rrdflight.rrd.TimelineKind;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The columns of a recording or of a whole dataset, in Rerun's dataframe form ("sorbet" schema):
 * one RowId column, one column per timeline, one {@code List<T>} column per entity and component,
 * with Rerun's field metadata ({@code rerun:kind}, {@code rerun:entity_path}, {@code rerun:is_static},
 * ...). A dataset's schema is the union of its partitions' schemas. Order is deterministic and
 * Rerun's: RowId, timelines by name, components by (entity path in {@link EntityPathOrder},
 * archetype, component, component type).
 */
public final class DatasetSchema {
  public static final String KIND = "rerun:kind";
  public static final String ENTITY_PATH = "rerun:entity_path";
  public static final String COMPONENT = "rerun:component";
  public static final String ARCHETYPE = "rerun:archetype";
  public static final String COMPONENT_TYPE = "rerun:component_type";
  public static final String INDEX_NAME = "rerun:index_name";
  public static final String IS_STATIC = "rerun:is_static";
  public static final String IS_TOMBSTONE = "rerun:is_tombstone";
  public static final String IS_SEMANTICALLY_EMPTY = "rerun:is_semantically_empty";

  /** One component column: where its data lives and how it reads. */
  public record ComponentColumn(String entityPath, String component, Optional<String> archetype, Optional<String> componentType,
      Field field, boolean isStatic, boolean isTombstone, boolean isSemanticallyEmpty) {
    public ComponentColumn {
      requireNonNull(entityPath, "entityPath is null");
      requireNonNull(component, "component is null");
      requireNonNull(archetype, "archetype is null");
      requireNonNull(componentType, "componentType is null");
      requireNonNull(field, "field is null");
    }

    /** The column name, e.g. {@code /obj1:Points3D:positions}. */
    public String name() {
      return field.getName();
    }

    ComponentColumn mergedWith(ComponentColumn other) {
      // As Rerun merges them: an all-null part (Arrow's Null type) takes the other's type, structs gain
      // fields. Columns that do not merge (registered before registration checked) keep the first's type.
      Field merged = ColumnTypes.mergeable(field, other.field) ? ColumnTypes.merged(field, other.field) : field;
      return new ComponentColumn(entityPath, component, archetype, componentType, merged, isStatic || other.isStatic,
          isTombstone || other.isTombstone, isSemanticallyEmpty && other.isSemanticallyEmpty).withFlagsInField();
    }

    ComponentColumn withFlagsInField() {
      Map<String, String> md = new LinkedHashMap<>();
      md.put(KIND, "data");
      md.put(COMPONENT, component);
      md.put(ENTITY_PATH, entityPath);
      archetype.ifPresent(a -> md.put(ARCHETYPE, a));
      componentType.ifPresent(t -> md.put(COMPONENT_TYPE, t));
      if (isStatic) {
        md.put(IS_STATIC, "true");
      }
      if (isTombstone) {
        md.put(IS_TOMBSTONE, "true");
      }
      if (isSemanticallyEmpty) {
        md.put(IS_SEMANTICALLY_EMPTY, "true");
      }
      Field named = new Field(ColumnNames.component(entityPath, component),
          new FieldType(true, field.getType(), field.getDictionary(), md), field.getChildren());
      return new ComponentColumn(entityPath, component, archetype, componentType, named, isStatic, isTombstone, isSemanticallyEmpty);
    }
  }

  /** Rerun's column order (re_chunk_store {@code ChunkStore::schema}): entity path, archetype (absent first), component, type. */
  private static final Comparator<ComponentColumn> ORDER = Comparator.comparing(ComponentColumn::entityPath, EntityPathOrder.INSTANCE)
      .thenComparing(c -> c.archetype().orElse(""))
      .thenComparing(ComponentColumn::component)
      .thenComparing(c -> c.componentType().orElse(""));

  private final List<Timeline> timelines;
  private final List<ComponentColumn> components;
  /**
   * {@link #toArrow()}, made on first use and kept: equality and hashing go through it, and a
   * registration compares each file's schema with the others' (see {@code JdbcCatalogStore}), so
   * building its fields again for every comparison was most of the cost. Arrow's schema is
   * immutable; two threads that race here build equal ones.
   */
  private volatile Schema arrow;

  public DatasetSchema(List<Timeline> timelines, List<ComponentColumn> components) {
    this.timelines = timelines.stream().distinct().sorted().toList();
    this.components = components.stream().map(ComponentColumn::withFlagsInField).sorted(ORDER).toList();
  }

  public static DatasetSchema empty() {
    return new DatasetSchema(List.of(), List.of());
  }

  /** Timelines sorted by name. */
  public List<Timeline> timelines() {
    return timelines;
  }

  public Optional<Timeline> timeline(String name) {
    return timelines.stream().filter(t -> t.name().equals(name)).findFirst();
  }

  /** Component columns in Rerun's order. */
  public List<ComponentColumn> components() {
    return components;
  }

  /** The union: a column is static or a tombstone if it is in any part, semantically empty only if empty in all. */
  public DatasetSchema union(DatasetSchema other) {
    Map<String, Timeline> byName = new TreeMap<>();
    for (Timeline t : timelines) {
      byName.put(t.name(), t);
    }
    for (Timeline t : other.timelines) {
      byName.putIfAbsent(t.name(), t);
    }
    Map<String, ComponentColumn> columns = new HashMap<>();
    for (ComponentColumn c : components) {
      columns.put(c.name(), c);
    }
    for (ComponentColumn c : other.components) {
      columns.merge(c.name(), c, ComponentColumn::mergedWith);
    }
    return new DatasetSchema(new ArrayList<>(byName.values()), new ArrayList<>(columns.values()));
  }

  /**
   * The first index or column that this schema and {@code added} (a recording's) both have with types
   * that do not merge ({@link ColumnTypes#mergeable}), described; empty when {@code added} may join.
   */
  public Optional<String> conflictWith(DatasetSchema added) {
    for (Timeline t : added.timelines) {
      Optional<Timeline> known = timeline(t.name());
      if (known.isPresent() && known.get().kind() != t.kind()) {
        return Optional.of("index " + t.name() + " is " + known.get().kind() + " in the dataset but " + t.kind() + " here");
      }
    }
    Map<String, ComponentColumn> byName = new HashMap<>();
    components.forEach(c -> byName.put(c.name(), c));
    for (ComponentColumn c : added.components) {
      ComponentColumn known = byName.get(c.name());
      if (known != null && !ColumnTypes.mergeable(known.field(), c.field())) {
        return Optional.of("column " + c.name() + " is " + ColumnTypes.text(known.field()) + " in the dataset but "
            + ColumnTypes.text(c.field()) + " here");
      }
    }
    return Optional.empty();
  }

  /** The Arrow schema Rerun's SDK expects from {@code GetDatasetSchema}. */
  public Schema toArrow() {
    Schema made = arrow;
    if (made == null) {
      made = buildArrow();
      arrow = made;
    }
    return made;
  }

  private Schema buildArrow() {
    List<Field> fields = new ArrayList<>();
    fields.add(rowIdField());
    for (Timeline t : timelines) {
      fields.add(indexField(t));
    }
    for (ComponentColumn c : components) {
      fields.add(c.field());
    }
    return new Schema(fields);
  }

  public static Field rowIdField() {
    Map<String, String> md = new LinkedHashMap<>();
    md.put(KIND, "control");
    md.put("ARROW:extension:name", "rerun.datatypes.TUID");
    md.put("ARROW:extension:metadata", "{\"namespace\":\"row\"}");
    return new Field(ColumnNames.ROW_ID, new FieldType(false, new ArrowType.FixedSizeBinary(16), null, md), null);
  }

  public static Field indexField(Timeline timeline) {
    Map<String, String> md = new LinkedHashMap<>();
    md.put(KIND, "index");
    md.put(INDEX_NAME, timeline.name());
    return new Field(timeline.name(), new FieldType(true, arrowType(timeline.kind()), null, md), null);
  }

  public static ArrowType arrowType(TimelineKind kind) {
    return switch (kind) {
      case SEQUENCE -> new ArrowType.Int(64, true);
      case TIMESTAMP -> new ArrowType.Timestamp(TimeUnit.NANOSECOND, null);
      case DURATION -> new ArrowType.Duration(TimeUnit.NANOSECOND);
    };
  }

  // --- persistence: the Arrow schema as an IPC message; the metadata carries everything -----------

  byte[] toBytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      MessageSerializer.serialize(new WriteChannel(Channels.newChannel(out)), toArrow());
    } catch (IOException e) {
      throw new IllegalStateException("Serialising a schema to memory cannot fail", e);
    }
    return out.toByteArray();
  }

  static DatasetSchema fromBytes(byte[] bytes) {
    Schema schema;
    try {
      schema = MessageSerializer.deserializeSchema(new ReadChannel(Channels.newChannel(new ByteArrayInputStream(bytes))));
    } catch (IOException e) {
      throw CatalogException.failed("Stored schema is unreadable: " + e.getMessage(), e);
    }
    return fromArrow(schema);
  }

  /** Reads a schema in this class's Arrow form back (the inverse of {@link #toArrow()}). */
  public static DatasetSchema fromArrow(Schema schema) {
    List<Timeline> timelines = new ArrayList<>();
    List<ComponentColumn> components = new ArrayList<>();
    for (Field f : schema.getFields()) {
      Map<String, String> md = f.getMetadata();
      String kind = md.getOrDefault(KIND, "data");
      if (kind.equals("index")) {
        TimelineKind tk = TimelineKind.fromArrowType(f.getType())
            .orElseThrow(() -> CatalogException.failed("Index column " + f.getName() + " has type " + f.getType(), null));
        timelines.add(new Timeline(md.getOrDefault(INDEX_NAME, f.getName()), tk));
      } else if (kind.equals("data")) {
        components.add(new ComponentColumn(md.get(ENTITY_PATH), md.get(COMPONENT), Optional.ofNullable(md.get(ARCHETYPE)),
            Optional.ofNullable(md.get(COMPONENT_TYPE)), f, "true".equals(md.get(IS_STATIC)), "true".equals(md.get(IS_TOMBSTONE)),
            "true".equals(md.get(IS_SEMANTICALLY_EMPTY))));
      }
    }
    return new DatasetSchema(timelines, components);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DatasetSchema other && toArrow().equals(other.toArrow());
  }

  @Override
  public int hashCode() {
    return toArrow().hashCode();
  }

  @Override
  public String toString() {
    return toArrow().toString();
  }
}
