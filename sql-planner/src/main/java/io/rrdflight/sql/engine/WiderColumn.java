package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.ColumnTypes;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.types.Types.MinorType;
import org.apache.arrow.vector.types.pojo.ArrowType.ArrowTypeID;
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
    requireNonNull(allocator, "allocator is null");
    FieldVector target = requireNonNull(wider, "wider is null").createVector(allocator);
    try {
      fill(source, target, source.getValueCount());
      return target;
    } catch (RuntimeException | Error e) {
      target.close();
      throw e;
    }
  }

  /** Makes the empty {@code target} hold {@code rows} values of {@code source} (null when {@code source} is absent or Null). */
  private static void fill(FieldVector source, FieldVector target, int rows) {
    if (source == null || source.getMinorType() == MinorType.NULL) {
      target.setInitialCapacity(rows);
      target.allocateNew(); // zeroed validity: every value null (and every list empty)
      target.setValueCount(rows);
      return;
    }
    if (ColumnTypes.sameValueTypes(source.getField(), target.getField())) {
      // Shares the source's buffers (the first row's slice), leaving the source intact.
      source.makeTransferPair(target).splitAndTransfer(0, rows);
      return;
    }
    if (rows == 0) {
      target.allocateNew();
      target.setValueCount(0);
      return;
    }
    ArrowFieldNode node = new ArrowFieldNode(rows, source.getNullCount());
    ArrowTypeID type = target.getField().getType().getTypeID();
    if (type == ArrowTypeID.List && source instanceof ListVector from && target instanceof ListVector to) {
      to.loadFieldBuffers(node, List.of(from.getValidityBuffer(), from.getOffsetBuffer()));
      int values = from.getOffsetBuffer().getInt((long) rows * ListVector.OFFSET_WIDTH);
      fill(from.getDataVector(), to.getDataVector(), values);
    } else if (type == ArrowTypeID.FixedSizeList && source instanceof FixedSizeListVector from
        && target instanceof FixedSizeListVector to && from.getListSize() == to.getListSize()) {
      to.loadFieldBuffers(node, List.of(from.getValidityBuffer()));
      fill(from.getDataVector(), to.getDataVector(), rows * to.getListSize());
    } else if (type == ArrowTypeID.Struct && source instanceof StructVector from && target instanceof StructVector to) {
      ArrowBuf validity = from.getValidityBuffer();
      to.loadFieldBuffers(node, List.of(validity));
      for (FieldVector child : to.getChildrenFromFields()) {
        fill((FieldVector) from.getChild(child.getName()), child, rows);
      }
    } else {
      throw new IllegalStateException("A " + ColumnTypes.text(source.getField()) + " column cannot be read as "
          + ColumnTypes.text(target.getField()));
    }
  }
}
