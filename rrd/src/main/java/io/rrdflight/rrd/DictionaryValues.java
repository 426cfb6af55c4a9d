package io.rrdflight.rrd;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryEncoder;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A chunk's dictionary-encoded columns read as their values: a recording may log a column so (a
 * pandas categorical, say, as {@code List<Dictionary<Int32, Utf8>>}), and everything downstream of
 * decoding (the dataset's schema, the engine, SQL) knows only values, as Rerun's dataframes show them.
 * The indices were checked against their dictionaries before loading ({@link RecordBatchLayout}).
 */
public final class DictionaryValues {
  private DictionaryValues() {}

  /**
   * A column's values took more memory than the allocator decoding it may give: a few indices can
   * stand for many long values, so a valid chunk can decode to far more than it stores.
   */
  static final class TooLarge extends RuntimeException {
    private final String column;

    TooLarge(String column, OutOfMemoryException cause) {
      super("column '" + column + "' decodes to more memory than its allocator may give", cause);
      this.column = column;
    }

    String column() {
      return column;
    }
  }

  /** Whether {@code field} or anything inside it is dictionary-encoded. */
  static boolean encoded(Field field) {
    return field.getDictionary() != null || field.getChildren().stream().anyMatch(DictionaryValues::encoded);
  }

  /**
   * {@code field} (as a stream's schema describes it: a dictionary-encoded field has its values' type)
   * with its values' types and no encodings, metadata kept; {@code field} itself when it has none.
   * What a column shows once decoded, and what a view's schema says of it.
   */
  public static Field valueField(Field field) {
    List<Field> children = field.getChildren().stream().map(DictionaryValues::valueField).toList();
    if (field.getDictionary() == null && children.equals(field.getChildren())) {
      return field;
    }
    return new Field(field.getName(), new FieldType(field.isNullable(), field.getType(), null, field.getMetadata()), children);
  }

  /**
   * The columns of {@code root} (loaded in memory format: indices where the schema encodes) with their
   * values, in a new root over {@code schema} with the encodings taken out. The encoded vectors are
   * closed, the others move to the new root; the dictionaries stay the caller's. Throws {@link TooLarge}
   * when a column's values exceed what {@code allocator} may give.
   */
  static VectorSchemaRoot decoded(VectorSchemaRoot root, Schema schema, Map<Long, Dictionary> dictionaries, BufferAllocator allocator) {
    List<FieldVector> vectors = new ArrayList<>();
    List<Field> fields = new ArrayList<>();
    try {
      for (int i = 0; i < root.getFieldVectors().size(); i++) {
        FieldVector vector = root.getVector(i);
        Field original = schema.getFields().get(i);
        if (encoded(original)) {
          try {
            vectors.add(values(vector, valueField(original), dictionaries, allocator));
          } catch (OutOfMemoryException e) {
            throw new TooLarge(original.getName(), e);
          }
          vector.close();
        } else {
          vectors.add(vector);
        }
        fields.add(valueField(original)); // not the vector's: a list vector names its items "$data$"
      }
    } catch (RuntimeException | Error e) {
      for (int i = 0; i < vectors.size(); i++) {
        if (vectors.get(i) != root.getVector(i)) {
          vectors.get(i).close();
        }
      }
      throw e;
    }
    return new VectorSchemaRoot(new Schema(fields, schema.getCustomMetadata()), vectors, root.getRowCount());
  }

  /** {@code vector}'s values as a new vector of type {@code as}. */
  private static FieldVector values(FieldVector vector, Field as, Map<Long, Dictionary> dictionaries, BufferAllocator allocator) {
    if (vector.getField().getDictionary() != null) {
      long id = vector.getField().getDictionary().getId();
      return (FieldVector) DictionaryEncoder.decode(vector, dictionaries.get(id), allocator);
    }
    if (!encoded(vector.getField())) {
      FieldVector moved = as.createVector(allocator);
      vector.makeTransferPair(moved).transfer();
      return moved;
    }
    return NestedVectors.rebuilt(vector, as, vector.getValueCount(), allocator,
        (child, childAs, n) -> values(child, childAs, dictionaries, allocator));
  }
}
