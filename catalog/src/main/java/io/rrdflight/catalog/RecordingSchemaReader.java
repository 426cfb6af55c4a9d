package io.rrdflight.catalog;

import io.rrdflight.rrd.ChunkIndex;
import io.rrdflight.rrd.ComponentContents;
import io.rrdflight.rrd.ComponentDescriptor;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.RecordingSource;
import io.rrdflight.rrd.RrdReader;
import io.rrdflight.rrd.Store;
import io.rrdflight.rrd.StoreTotals;
import io.rrdflight.rrd.Timeline;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Works out a recording's {@link DatasetSchema} from its chunk index. Which columns there are, and
 * whether each is static, comes from the index. Column types and whether a column ever holds a
 * value are not in the index: files written by Rerun 0.28 and later say both in their footer's
 * schema ({@link ChunkIndex#footerSchema}), which Rerun sums up from every chunk by the same rules
 * as here (a column is semantically empty when no cell holds a value). For other files, and for any
 * column the footer does not describe, chunks' columns are read (their buffers, no vectors), one
 * chunk at a time, only until every column has been seen with a non-empty cell: usually one chunk
 * per column. A column that is empty everywhere costs a read of each of its chunks.
 */
final class RecordingSchemaReader {

  private RecordingSchemaReader() {}

  private record Key(String entityPath, String component) {}

  private static final class Column {
    final ComponentDescriptor descriptor;
    Field field;
    boolean isStatic;
    boolean nonEmpty;
    /** Type and emptiness known without decoding (from the footer). */
    boolean settled;

    Column(ComponentDescriptor descriptor) {
      this.descriptor = descriptor;
    }
  }

  /**
   * The columns of a store of a footer file from its totals and the writer's schema, without a chunk
   * index; empty when the schema does not settle every column (it is missing, or leaves one out):
   * then {@link #read} must decode chunks.
   */
  static Optional<DatasetSchema> fromFooter(StoreTotals totals, Optional<Schema> footer) {
    if (footer.isEmpty()) {
      return Optional.empty();
    }
    Map<Key, Column> columns = new LinkedHashMap<>();
    for (StoreTotals.Column column : totals.columns()) {
      add(columns, column.entityPath(), column.component(), column.isStatic());
    }
    settleFromFooter(footer.get(), columns);
    if (columns.values().stream().anyMatch(c -> !c.settled)) {
      return Optional.empty();
    }
    return Optional.of(schema(totals.timelines(), columns));
  }

  static DatasetSchema read(ChunkIndex index, RecordingSource recording) throws IOException {
    return read(index, recording, Map.of());
  }

  /**
   * As {@link #read(ChunkIndex, RecordingSource)}, taking a chunk's contents from {@code known} (by
   * the chunk's offset, as {@link ChunkIndex#buildWithContents} gives them) instead of reading it.
   */
  static DatasetSchema read(ChunkIndex index, RecordingSource recording, Map<Long, List<ComponentContents>> known) throws IOException {
    TreeSet<Timeline> timelines = new TreeSet<>();
    Map<Key, Column> columns = new LinkedHashMap<>();
    for (IndexedChunk chunk : index.chunks()) {
      timelines.addAll(chunk.timeRanges().keySet());
      for (ComponentDescriptor d : chunk.components()) {
        add(columns, chunk.entityPath(), d, chunk.isStatic());
      }
    }
    for (Store store : index.stores()) {
      index.footerSchema(store.id()).ifPresent(schema -> settleFromFooter(schema, columns));
    }
    for (IndexedChunk chunk : index.chunks()) {
      boolean needed = chunk.components().stream()
          .map(d -> columns.get(new Key(chunk.entityPath(), d.component())))
          .anyMatch(c -> !c.settled && (c.field == null || !c.nonEmpty));
      if (!needed) {
        continue;
      }
      List<ComponentContents> contents = known.get(chunk.offset());
      if (contents == null) {
        contents = RrdReader.readComponentContents(recording, chunk.offset(), chunk.length());
      }
      for (ComponentContents cc : contents) {
        Column c = columns.get(new Key(chunk.entityPath(), cc.descriptor().component()));
        if (c == null) {
          continue; // all-null in this chunk, so not in the index's list for it
        }
        if (c.field == null) {
          c.field = cc.field();
        }
        c.nonEmpty |= cc.hasNonEmptyCell();
      }
    }
    return schema(timelines, columns);
  }

  /** Notes that {@code component} of {@code entityPath} has cells, in a static chunk or not. */
  private static void add(Map<Key, Column> columns, String entityPath, ComponentDescriptor component, boolean isStatic) {
    Column c = columns.computeIfAbsent(new Key(entityPath, component.component()), k -> new Column(component));
    c.isStatic |= isStatic;
  }

  /** The schema of the columns whose type is known. */
  private static DatasetSchema schema(Collection<Timeline> timelines, Map<Key, Column> columns) {
    List<DatasetSchema.ComponentColumn> out = new ArrayList<>();
    for (Map.Entry<Key, Column> e : columns.entrySet()) {
      Column c = e.getValue();
      if (c.field == null) {
        continue;
      }
      out.add(new DatasetSchema.ComponentColumn(e.getKey().entityPath(), e.getKey().component(), c.descriptor.archetype(),
          c.descriptor.componentType(), c.field, c.isStatic, e.getKey().component().equals(ColumnNames.CLEAR_IS_RECURSIVE), !c.nonEmpty));
    }
    return new DatasetSchema(new ArrayList<>(timelines), out);
  }

  /**
   * Takes type and emptiness of the index's columns from the footer's schema. Only columns the
   * index knows are touched: the footer also lists columns that are null in every chunk, which the
   * index (and so a schema read from chunks) leaves out. The field is the one chunks carry (list
   * items named "item"); the metadata is rebuilt by {@link DatasetSchema}.
   */
  private static void settleFromFooter(Schema footer, Map<Key, Column> columns) {
    for (Field field : footer.getFields()) {
      Map<String, String> md = field.getMetadata();
      String entityPath = md.get(DatasetSchema.ENTITY_PATH);
      String component = md.get(DatasetSchema.COMPONENT);
      if (!"data".equals(md.get(DatasetSchema.KIND)) || entityPath == null || component == null) {
        continue; // RowId and index columns: the timelines come from the index
      }
      // The index's entity paths start with "/" (rrd normalises them); writers of footers do too.
      Column c = columns.get(new Key(entityPath.startsWith("/") ? entityPath : "/" + entityPath, component));
      if (c != null) {
        c.field = field;
        c.nonEmpty = !"true".equals(md.get(DatasetSchema.IS_SEMANTICALLY_EMPTY));
        c.settled = true;
      }
    }
  }
}
