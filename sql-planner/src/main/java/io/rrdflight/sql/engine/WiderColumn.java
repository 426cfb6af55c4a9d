package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.ColumnTypes;
import io.rrdflight.rrd.NestedVectors;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.types.Types.MinorType;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * A recording's column as the dataset's wider type: registration lets a recording join whose column
 * is narrower than the dataset's ({@link ColumnTypes#widensTo}: Null where the others have values, a
 * struct with fewer fields), and a query then reads its cells as the dataset's type, the parts it
 * lacks null. The new vector shares the source's buffers wherever the types agree (validity, offsets,
 * values are retained, not copied); only the missing parts are allocated, all null. The caller closes
 * it; the source is left as it was (a decoded chunk may be cached and read by other queries).
 */
final class WiderColumn {
  private WiderColumn() {}

  /** {@code source}'s values as a new vector of {@code wider}'s type; {@code ColumnTypes.widensTo(source's field, wider)} must hold. */
  static FieldVector of(FieldVector source, Field wider, BufferAllocator allocator) {
    requireNonNull(source, "source is null");
    return made(source, requireNonNull(wider, "wider is null"), source.getValueCount(), requireNonNull(allocator, "allocator is null"));
  }

  /** {@code rows} values of {@code source} as type {@code as} (all null when {@code source} is absent or Null). */
  private static FieldVector made(FieldVector source, Field as, int rows, BufferAllocator allocator) {
    if (source != null && !ColumnTypes.sameValueTypes(source.getField(), as) && source.getMinorType() != MinorType.NULL) {
      if (!NestedVectors.sameShape(source, as)) {
        throw new IllegalStateException("A " + ColumnTypes.text(source.getField()) + " column cannot be read as " + ColumnTypes.text(as));
      }
      return NestedVectors.rebuilt(source, as, rows, allocator, (child, childAs, n) -> made(child, childAs, n, allocator));
    }
    FieldVector made = as.createVector(allocator);
    try {
      if (source == null || source.getMinorType() == MinorType.NULL) {
        made.setInitialCapacity(rows);
        made.allocateNew(); // zeroed validity: every value null (and every list empty)
        made.setValueCount(rows);
      } else {
        source.makeTransferPair(made).splitAndTransfer(0, rows); // shares the source's buffers, leaving it intact
      }
      return made;
    } catch (RuntimeException | Error e) {
      made.close();
      throw e;
    }
  }
}
