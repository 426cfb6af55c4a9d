package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * Rebuilds a list, fixed-size list or struct column as another type of the same shape whose children
 * differ: the column's own validity (and offsets) are shared with the source, not copied, and each
 * child is made by the caller. What reading a dictionary-encoded column as its values and reading a
 * narrower column as its dataset's wider type have in common.
 */
public final class NestedVectors {
  private NestedVectors() {}

  /** Makes a child of the rebuilt column. */
  @FunctionalInterface
  public interface Children {
    /**
     * A new vector of type {@code as} with {@code rows} values, made from {@code source} (null when the
     * source column has no child of that name); the caller owns it and moves its buffers out.
     */
    FieldVector make(FieldVector source, Field as, int rows);
  }

  /**
   * Whether {@code a} and {@code b} have the same types all the way down, child by child in order:
   * vectors of either hold the same buffers. Names, nullability and metadata may differ.
   */
  public static boolean sameTypes(Field a, Field b) {
    if (!a.getType().equals(b.getType()) || a.getChildren().size() != b.getChildren().size()) {
      return false;
    }
    for (int i = 0; i < a.getChildren().size(); i++) {
      if (!sameTypes(a.getChildren().get(i), b.getChildren().get(i))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether {@link #rebuilt} can rebuild {@code source} as {@code as}: both lists, both fixed-size lists
   * of one size, or both structs.
   */
  public static boolean sameShape(FieldVector source, Field as) {
    return switch (as.getType().getTypeID()) {
      case List -> source instanceof ListVector;
      case FixedSizeList -> source instanceof FixedSizeListVector f
          && f.getListSize() == ((org.apache.arrow.vector.types.pojo.ArrowType.FixedSizeList) as.getType()).getListSize();
      case Struct -> source instanceof StructVector;
      default -> false;
    };
  }

  /**
   * A new vector of type {@code as} holding {@code source}'s first {@code rows} rows ({@link #sameShape}
   * must hold): their validity and offsets shared, their children made by {@code children}. The caller
   * closes it; the source is left as it was.
   */
  public static FieldVector rebuilt(FieldVector source, Field as, int rows, BufferAllocator allocator, Children children) {
    requireNonNull(source, "source is null");
    requireNonNull(children, "children is null");
    FieldVector target = requireNonNull(as, "as is null").createVector(requireNonNull(allocator, "allocator is null"));
    try {
      if (rows == 0) {
        target.allocateNew();
        target.setValueCount(0);
        return target;
      }
      ArrowFieldNode node = new ArrowFieldNode(rows, source.getNullCount());
      if (source instanceof ListVector from && target instanceof ListVector to) {
        to.loadFieldBuffers(node, List.of(from.getValidityBuffer(), from.getOffsetBuffer()));
        int values = from.getOffsetBuffer().getInt((long) rows * ListVector.OFFSET_WIDTH);
        fill(to.getDataVector(), children.make(from.getDataVector(), to.getDataVector().getField(), values));
      } else if (source instanceof FixedSizeListVector from && target instanceof FixedSizeListVector to) {
        to.loadFieldBuffers(node, List.of(from.getValidityBuffer()));
        fill(to.getDataVector(), children.make(from.getDataVector(), to.getDataVector().getField(), rows * to.getListSize()));
      } else if (source instanceof StructVector from && target instanceof StructVector to) {
        to.loadFieldBuffers(node, List.of(from.getValidityBuffer()));
        for (FieldVector child : to.getChildrenFromFields()) {
          fill(child, children.make((FieldVector) from.getChild(child.getName()), child.getField(), rows));
        }
      } else {
        throw new IllegalArgumentException("a " + source.getField() + " column cannot be rebuilt as " + as);
      }
      return target;
    } catch (RuntimeException | Error e) {
      target.close();
      throw e;
    }
  }

  /** Moves {@code made}'s buffers into {@code slot} (the same type) and closes it. */
  private static void fill(FieldVector slot, FieldVector made) {
    try (made) {
      made.makeTransferPair(slot).transfer();
    }
  }
}
