package io.rrdflight.server.redap;

import java.util.List;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Restores the nested field names Rerun's files use (arrow-rs defaults: {@code item} inside lists,
 * {@code entries} inside maps) where Arrow Java's decoded vectors report their own
 * ({@code $data$}). Rerun's clients compare types including these names and do not cast query
 * results, so a dataset schema must carry the names the chunks have.
 *
 * <p>Needed because the catalog's dataset schema takes component types from decoded vectors; the
 * fix at the source is to take them from the chunk's IPC schema (reported to the catalog owner).
 */
final class WrittenFieldNames {
  private WrittenFieldNames() {}

  static Schema of(Schema schema) {
    return new Schema(schema.getFields().stream().map(f -> withChildren(f, f.getName())).toList(), schema.getCustomMetadata());
  }

  private static Field withChildren(Field field, String name) {
    ArrowType type = field.getType();
    List<Field> children = field.getChildren();
    String childName = switch (type.getTypeID()) {
      case List, LargeList, FixedSizeList, ListView, LargeListView -> "item";
      case Map -> "entries";
      default -> null;
    };
    List<Field> renamed = children.stream()
        .map(c -> withChildren(c, childName != null && c.getName().equals("$data$") ? childName : c.getName()))
        .toList();
    return new Field(name, field.getFieldType(), renamed);
  }
}
