package io.rrdflight.sql.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.rrd.NoLeaks;
import io.rrdflight.rrd.TestVectors;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.complex.DenseUnionVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.UnionMode;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Rows copied out of order from several sources, as a sort emits them, for Rerun's column types. */
@ExtendWith(NoLeaks.class)
class RowCopierTest {
  /** Points3D:positions: {@code List<FixedSizeList<3, Float32>>}. */
  private static final Field POSITIONS = new Field("positions", FieldType.nullable(new ArrowType.List()),
      List.of(new Field("item", FieldType.nullable(new ArrowType.FixedSizeList(3)),
          List.of(new Field("item", FieldType.notNullable(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)), null)))));
  /** A list of a dense union of doubles and strings, as Rerun's tensor buffers are unions. */
  private static final Field UNIONS = new Field("buffer", FieldType.nullable(new ArrowType.List()),
      List.of(new Field("item", FieldType.nullable(new ArrowType.Union(UnionMode.Dense, new int[] {0, 1})), List.of(
          new Field("f", FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null),
          new Field("s", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)))));

  private BufferAllocator allocator;
  private TestVectors vectors;

  @BeforeEach
  void setUp(BufferAllocator allocator, TestVectors vectors) {
    this.allocator = allocator;
    this.vectors = vectors;
  }

  private <T extends FieldVector> T vector(Field field) {
    return vectors.allocated(field);
  }

  /** Positions: row r holds r + 1 points, point k of row r is (base + r, k, -k); row 1 is null. */
  private ListVector positions(float base, int rows) {
    ListVector list = vector(POSITIONS);
    FixedSizeListVector points = (FixedSizeListVector) list.getDataVector();
    Float4Vector xyz = (Float4Vector) points.getDataVector();
    int point = 0;
    for (int r = 0; r < rows; r++) {
      if (r == 1) {
        list.setNull(r);
        continue;
      }
      list.startNewValue(r);
      for (int k = 0; k <= r; k++) {
        int at = points.startNewValue(point);
        xyz.setSafe(at, base + r);
        xyz.setSafe(at + 1, k);
        xyz.setSafe(at + 2, -k);
        point++;
      }
      list.endValue(r, r + 1);
    }
    points.setValueCount(point);
    list.setValueCount(rows);
    return list;
  }

  /** Unions: row r holds the double {@code base + r} and the string "s{r}"; row 1 is an empty list. */
  private ListVector unions(double base, int rows) {
    ListVector list = vector(UNIONS);
    DenseUnionVector union = (DenseUnionVector) list.getDataVector();
    Float8Vector doubles = (Float8Vector) union.getVectorByType((byte) 0);
    VarCharVector strings = (VarCharVector) union.getVectorByType((byte) 1);
    int value = 0;
    int kept = 0;
    for (int r = 0; r < rows; r++) {
      list.startNewValue(r);
      if (r == 1) {
        list.endValue(r, 0);
        continue;
      }
      union.setTypeId(value, (byte) 0);
      union.getOffsetBuffer().setInt(value * 4L, kept);
      doubles.setSafe(kept, base + r);
      value++;
      union.setTypeId(value, (byte) 1);
      union.getOffsetBuffer().setInt(value * 4L, kept);
      strings.setSafe(kept, ("s" + r).getBytes(StandardCharsets.UTF_8));
      value++;
      kept++;
      list.endValue(r, 2);
    }
    doubles.setValueCount(kept);
    strings.setValueCount(kept);
    union.setValueCount(value);
    list.setValueCount(rows);
    return list;
  }

  private static List<String> objects(FieldVector v) {
    List<String> out = new ArrayList<>();
    for (int r = 0; r < v.getValueCount(); r++) {
      out.add(String.valueOf(v.getObject(r)));
    }
    return out;
  }

  /** Appends rows of the two sources as a sort's refs name them (source << 32 | row), then writes. */
  private static void copy(RowCopier copier, FieldVector a, FieldVector b, long... refs) {
    for (long ref : refs) {
      copier.rows((ref >>> 32) == 0 ? a : b, (int) ref, 1);
    }
    copier.write();
  }

  private static long b(int row) {
    return (1L << 32) | row;
  }

  @Test
  void fixedSizeListPositionsAreCopiedInBulkOutOfOrderAcrossSources() {
    assertTrue(CellCopier.supports(POSITIONS));
    ListVector a = positions(0, 4);
    ListVector b = positions(10, 3);
    ListVector out = vector(POSITIONS);
    copy(new RowCopier(out, 5), a, b, b(2), 3, 1, 2, b(0));
    List<String> expected = List.of(objects(b).get(2), objects(a).get(3), objects(a).get(1), objects(a).get(2), objects(b).get(0));
    assertEquals(expected, objects(out));
    assertEquals("[[12.0,0.0,0.0],[12.0,1.0,-1.0],[12.0,2.0,-2.0]]", objects(out).get(0));
    assertEquals("null", objects(out).get(2));
  }

  @Test
  void unionsAreCopiedAsSlicesWithNullsAndEmptyListsKept() {
    assertFalse(CellCopier.supports(UNIONS));
    ListVector a = unions(0, 4);
    ListVector b = unions(10, 3);
    ListVector out = vector(UNIONS);
    RowCopier copier = new RowCopier(out, 8);
    copier.rows(a, 2, 2); // a run of two rows
    copier.rows(b, 1, 1);
    copier.repeat(b, 2, 2);
    copier.nulls(1);
    copier.emptyLists(1);
    copier.write();
    assertEquals(List.of("[2.0,\"s2\"]", "[3.0,\"s3\"]", "[]", "[12.0,\"s2\"]", "[12.0,\"s2\"]", "null", "[]"), objects(out));
    // The target is reused for the next batch, as operators do.
    copy(copier, a, b, b(0), 3);
    assertEquals(List.of("[10.0,\"s0\"]", "[3.0,\"s3\"]"), objects(out));
  }

  @Test
  void plainColumnsAreCopiedByTheSameCopier() {
    VarCharVector names = vector(new Field("name", FieldType.nullable(ArrowType.Utf8.INSTANCE), null));
    names.setSafe(0, "zero".getBytes(StandardCharsets.UTF_8));
    names.setNull(1);
    names.setSafe(2, "two".getBytes(StandardCharsets.UTF_8));
    names.setValueCount(3);
    VarCharVector out = vector(names.getField());
    RowCopier.copyRows(names, new int[] {2, 1, 0, 2}, 4, out);
    assertEquals(List.of("two", "null", "zero", "two"), objects(out));
  }
}
