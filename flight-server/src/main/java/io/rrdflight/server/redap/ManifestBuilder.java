package io.rrdflight.server.redap;

import io.rrdflight.rrd.ComponentDescriptor;
import io.rrdflight.rrd.IndexRange;
import io.rrdflight.rrd.Timeline;
import io.rrdflight.rrd.TimelineKind;
import io.rrdflight.server.redap.ManifestEntry.Span;
import io.rrdflight.server.redap.ManifestEntry.TimelineComponent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.UInt8Vector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The data of an RRD manifest (what Rerun's GetRrdManifest answers and 0.28+ writers put in a
 * file's footer), built from {@link ManifestEntry}s for files that carry none. One row per chunk;
 * the columns, their order, names, types and metadata are Rerun's (as its 0.41 server answers):
 *
 * <ol>
 *   <li>{@code chunk_entity_path, chunk_id, chunk_is_static, chunk_num_rows, chunk_byte_offset,
 *       chunk_byte_size, chunk_byte_size_uncompressed};
 *   <li>per component (ordered by archetype, component, component type; absent archetypes first):
 *       {@code <Archetype>:<field>:has_static_data}, true in the static chunks that hold it;
 *   <li>per timeline, by name: {@code <timeline>:start}, {@code <timeline>:end} of each temporal chunk;
 *   <li>per timeline and component: {@code <timeline>:<Archetype>:<field>:start|end|num_rows};
 *   <li>{@code chunk_key}, the key FetchChunks takes.
 * </ol>
 * Every column is nullable, as in Rerun's answer; where a chunk has nothing to say, start and end
 * are null, has_static_data false and num_rows 0. The client checks these columns against the
 * layer's schema (every timeline and component of it named the same way), so they must come from
 * the same chunks as that schema.
 */
final class ManifestBuilder {
  // chunk_entity_path, chunk_id, chunk_is_static and chunk_key are named as in ChunkInfo's chunk lists.
  static final String NUM_ROWS = "chunk_num_rows";
  static final String BYTE_OFFSET = "chunk_byte_offset";
  static final String BYTE_SIZE = "chunk_byte_size";
  static final String BYTE_SIZE_UNCOMPRESSED = "chunk_byte_size_uncompressed";

  private static final String INDEX = "rerun:index";
  private static final String STATIC_INDEX = "rerun:static";
  private static final ArrowType UINT64 = new ArrowType.Int(64, false);

  /** Rerun's order of component descriptors: archetype, component, component type; absent first. */
  static final Comparator<ComponentDescriptor> DESCRIPTOR_ORDER = Comparator
      .comparing((ComponentDescriptor d) -> d.archetype(), absentFirst())
      .thenComparing(ComponentDescriptor::component)
      .thenComparing(ComponentDescriptor::componentType, absentFirst());
  private static final Comparator<Timeline> TIMELINE_ORDER = Comparator.comparing(Timeline::name);
  private static final Comparator<TimelineComponent> PAIR_ORDER = Comparator
      .comparing(TimelineComponent::timeline, TIMELINE_ORDER)
      .thenComparing(TimelineComponent::component, DESCRIPTOR_ORDER);

  private ManifestBuilder() {}

  private static Comparator<Optional<String>> absentFirst() {
    return Comparator.comparing((Optional<String> o) -> o.isPresent()).thenComparing(o -> o.orElse(""));
  }

  /** The manifest of {@code entries}, in their order, as a root the caller closes. */
  static VectorSchemaRoot build(List<ManifestEntry> entries, BufferAllocator allocator) {
    Columns columns = Columns.of(entries);
    VectorSchemaRoot root = VectorSchemaRoot.create(columns.schema(), allocator);
    try {
      root.allocateNew();
      for (int row = 0; row < entries.size(); row++) {
        fill(root, columns, row, entries.get(row));
      }
      root.setRowCount(entries.size());
      return root;
    } catch (RuntimeException e) {
      root.close();
      throw e;
    }
  }

  /** The column groups a set of entries needs, each in Rerun's order. */
  private record Columns(SortedSet<ComponentDescriptor> statics, SortedSet<Timeline> timelines, SortedSet<TimelineComponent> pairs) {
    static Columns of(List<ManifestEntry> entries) {
      SortedSet<ComponentDescriptor> statics = new TreeSet<>(DESCRIPTOR_ORDER);
      SortedSet<Timeline> timelines = new TreeSet<>(TIMELINE_ORDER);
      SortedSet<TimelineComponent> pairs = new TreeSet<>(PAIR_ORDER);
      for (ManifestEntry e : entries) {
        statics.addAll(e.staticComponents());
        timelines.addAll(e.timelines().keySet());
        for (TimelineComponent pair : e.components().keySet()) {
          pairs.add(pair);
          // A component with temporal data has a has_static_data column too (false), as in Rerun.
          statics.add(pair.component());
        }
      }
      return new Columns(statics, timelines, pairs);
    }

    Schema schema() {
      List<Field> fields = new ArrayList<>(List.of(
          plain(ChunkInfo.ENTITY_PATH, ArrowType.Utf8.INSTANCE),
          plain(ChunkInfo.CHUNK_ID, new ArrowType.FixedSizeBinary(16)),
          plain(ChunkInfo.IS_STATIC, ArrowType.Bool.INSTANCE),
          plain(NUM_ROWS, UINT64),
          plain(BYTE_OFFSET, UINT64),
          plain(BYTE_SIZE, UINT64),
          plain(BYTE_SIZE_UNCOMPRESSED, UINT64)));
      for (ComponentDescriptor d : statics) {
        fields.add(field(hasStaticData(d), ArrowType.Bool.INSTANCE, componentMetadata(STATIC_INDEX, d)));
      }
      for (Timeline t : timelines) {
        Map<String, String> md = Map.of(INDEX, t.name());
        fields.add(field(start(t, null), indexType(t.kind()), md));
        fields.add(field(end(t, null), indexType(t.kind()), md));
      }
      for (TimelineComponent p : pairs) {
        Map<String, String> md = componentMetadata(p.timeline().name(), p.component());
        fields.add(field(start(p.timeline(), p.component()), indexType(p.timeline().kind()), md));
        fields.add(field(end(p.timeline(), p.component()), indexType(p.timeline().kind()), md));
        fields.add(field(numRows(p), UINT64, md));
      }
      fields.add(plain(ChunkInfo.CHUNK_KEY, ArrowType.Binary.INSTANCE));
      return new Schema(fields);
    }
  }

  private static void fill(VectorSchemaRoot root, Columns columns, int row, ManifestEntry e) {
    ((VarCharVector) root.getVector(ChunkInfo.ENTITY_PATH)).setSafe(row, e.entityPath().getBytes(StandardCharsets.UTF_8));
    ((FixedSizeBinaryVector) root.getVector(ChunkInfo.CHUNK_ID)).setSafe(row, e.id().toBytes());
    ((BitVector) root.getVector(ChunkInfo.IS_STATIC)).setSafe(row, e.isStatic() ? 1 : 0);
    ((UInt8Vector) root.getVector(NUM_ROWS)).setSafe(row, e.numRows());
    ((UInt8Vector) root.getVector(BYTE_OFFSET)).setSafe(row, e.byteOffset());
    ((UInt8Vector) root.getVector(BYTE_SIZE)).setSafe(row, e.byteSize());
    ((UInt8Vector) root.getVector(BYTE_SIZE_UNCOMPRESSED)).setSafe(row, e.byteSizeUncompressed());
    for (ComponentDescriptor d : columns.statics()) {
      ((BitVector) root.getVector(hasStaticData(d))).setSafe(row, e.staticComponents().contains(d) ? 1 : 0);
    }
    for (Timeline t : columns.timelines()) {
      setRange(root, start(t, null), end(t, null), row, e.timelines().getOrDefault(t, Optional.empty()));
    }
    for (TimelineComponent p : columns.pairs()) {
      Span span = e.components().getOrDefault(p, new Span(Optional.empty(), 0));
      setRange(root, start(p.timeline(), p.component()), end(p.timeline(), p.component()), row, span.range());
      ((UInt8Vector) root.getVector(numRows(p))).setSafe(row, span.numRows());
    }
    ((VarBinaryVector) root.getVector(ChunkInfo.CHUNK_KEY)).setSafe(row, e.chunkKey());
  }

  private static void setRange(VectorSchemaRoot root, String startName, String endName, int row, Optional<IndexRange> range) {
    BaseFixedWidthVector start = (BaseFixedWidthVector) root.getVector(startName);
    BaseFixedWidthVector end = (BaseFixedWidthVector) root.getVector(endName);
    if (range.isEmpty()) {
      start.setNull(row);
      end.setNull(row);
      return;
    }
    PartitionTable.setIndexValue(start, row, range.get().min());
    PartitionTable.setIndexValue(end, row, range.get().max());
  }

  // --- names and metadata, as Rerun makes them ------------------------------------------------------

  static String hasStaticData(ComponentDescriptor d) {
    return columnName(null, d, "has_static_data");
  }

  static String start(Timeline t, ComponentDescriptor d) {
    return columnName(t.name(), d, "start");
  }

  static String end(Timeline t, ComponentDescriptor d) {
    return columnName(t.name(), d, "end");
  }

  static String numRows(TimelineComponent p) {
    return columnName(p.timeline().name(), p.component(), "num_rows");
  }

  /**
   * Rerun's manifest column name: timeline, archetype short name and field name, and a suffix, joined
   * by ':'; characters some dataframe tools trip on ({@code , - . \} and space) become '_', and a
   * leading '_' is dropped.
   */
  static String columnName(String timeline, ComponentDescriptor d, String suffix) {
    List<String> parts = new ArrayList<>();
    if (timeline != null) {
      parts.add(timeline);
    }
    if (d != null) {
      d.archetype().map(ManifestBuilder::shortName).ifPresent(parts::add);
      parts.add(fieldName(d));
    }
    parts.add(suffix);
    parts.removeIf(String::isEmpty);
    String joined = String.join(":", parts).replaceAll("[, \\-.\\\\]", "_");
    int first = 0;
    while (first < joined.length() && joined.charAt(first) == '_') {
      first++;
    }
    return joined.substring(first);
  }

  /** {@code rerun.archetypes.Points3D} → {@code Points3D}, as Rerun shortens archetype names. */
  static String shortName(String archetype) {
    for (String prefix : List.of("rerun.archetypes.", "rerun.blueprint.archetypes.", "rerun.")) {
      if (archetype.startsWith(prefix)) {
        return archetype.substring(prefix.length());
      }
    }
    return archetype;
  }

  /** The component without its archetype's short name: {@code Points3D:positions} → {@code positions}. */
  static String fieldName(ComponentDescriptor d) {
    if (d.archetype().isPresent()) {
      String prefix = shortName(d.archetype().get()) + ":";
      if (d.component().startsWith(prefix)) {
        return d.component().substring(prefix.length());
      }
    }
    return d.component();
  }

  private static Map<String, String> componentMetadata(String index, ComponentDescriptor d) {
    Map<String, String> md = new HashMap<>();
    md.put(INDEX, index);
    md.put("rerun:component", d.component());
    d.archetype().ifPresent(a -> md.put("rerun:archetype", a));
    d.componentType().ifPresent(t -> md.put("rerun:component_type", t));
    return md;
  }

  static ArrowType indexType(TimelineKind kind) {
    return io.rrdflight.catalog.DatasetSchema.arrowType(kind);
  }

  private static Field plain(String name, ArrowType type) {
    return new Field(name, FieldType.nullable(type), null);
  }

  private static Field field(String name, ArrowType type, Map<String, String> metadata) {
    return new Field(name, new FieldType(true, type, null, metadata), null);
  }
}
