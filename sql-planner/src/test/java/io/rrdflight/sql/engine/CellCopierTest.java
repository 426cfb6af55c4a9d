package io.rrdflight.sql.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.catalog.CatalogException;
import io.rrdflight.catalog.ColumnTypes;
import io.rrdflight.rrd.NoLeaks;
import io.rrdflight.rrd.TestVectors;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.UInt4Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The bulk copy against the plain meaning of each append (the source's row, as Arrow reads it),
 * for the column types Rerun's components and the fixtures have: positions
 * ({@code List<FixedSizeList<3, Float32>>}), colors ({@code List<UInt32>}), text
 * ({@code List<Utf8>}), a {@code List<Struct<Float64, Utf8, Bool>>}, scalars, with null rows and
 * values inside the sources, nulls and empty lists appended, and cells repeated as fill repeats them
 * (one cell on many rows; consecutive rows each on k rows).
 */
@ExtendWith(NoLeaks.class)
class CellCopierTest {
  private static final Field POSITIONS = list("positions", new Field("item", FieldType.nullable(new ArrowType.FixedSizeList(3)),
      List.of(new Field("item", FieldType.notNullable(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)), null))));
  private static final Field COLORS = list("colors", new Field("item", FieldType.nullable(new ArrowType.Int(32, false)), null));
  private static final Field TEXT = list("text", new Field("item", FieldType.nullable(ArrowType.Utf8.INSTANCE), null));
  private static final Field STRUCTS = list("structs", new Field("item", FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(
      new Field("f", FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null),
      new Field("s", FieldType.nullable(ArrowType.Utf8.INSTANCE), null),
      new Field("b", FieldType.nullable(ArrowType.Bool.INSTANCE), null))));

  private BufferAllocator allocator;
  private TestVectors vectors;

  private static Field list(String name, Field item) {
    return new Field(name, FieldType.nullable(new ArrowType.List()), List.of(item));
  }

  @BeforeEach
  void setUp(BufferAllocator allocator, TestVectors vectors) {
    this.allocator = allocator;
    this.vectors = vectors;
  }

  private ListVector vector(Field field) {
    return vectors.allocated(field);
  }

  /**
   * A source of {@code rows} rows of {@code field}'s type: row r has (r + seed) % 4 values (row
   * 3 is null, so every source has null rows); value k of row r is made from (seed, r, k), with a
   * null value now and then where the type allows.
   */
  private ListVector source(Field field, int seed, int rows) {
    ListVector list = vector(field);
    FieldVector items = list.getDataVector();
    int value = 0;
    for (int r = 0; r < rows; r++) {
      if (r == 3) {
        list.setNull(r);
        continue;
      }
      list.startNewValue(r);
      int n = (r + seed) % 4;
      for (int k = 0; k < n; k++, value++) {
        boolean nullValue = (r + k + seed) % 5 == 4;
        set(items, value, seed * 1000 + r * 10 + k, nullValue);
      }
      list.endValue(r, n);
    }
    items.setValueCount(value);
    list.setValueCount(rows);
    return list;
  }

  private static void set(FieldVector items, int at, int x, boolean nullValue) {
    if (items instanceof FixedSizeListVector points) {
      Float4Vector xyz = (Float4Vector) points.getDataVector();
      points.startNewValue(at); // positions have no null values: x, -x, x / 2
      xyz.setSafe(at * 3, x);
      xyz.setSafe(at * 3 + 1, -x);
      xyz.setSafe(at * 3 + 2, x / 2f);
    } else if (items instanceof UInt4Vector colors) {
      if (nullValue) {
        colors.setNull(at);
      } else {
        colors.setSafe(at, x * 7919);
      }
    } else if (items instanceof VarCharVector text) {
      if (nullValue) {
        text.setNull(at);
      } else {
        text.setSafe(at, ("v" + x + "x".repeat(x % 9)).getBytes(StandardCharsets.UTF_8));
      }
    } else if (items instanceof StructVector struct) {
      if (nullValue) {
        struct.setNull(at);
        return;
      }
      struct.setIndexDefined(at);
      ((Float8Vector) struct.getChild("f")).setSafe(at, x + 0.5);
      if (x % 3 == 0) {
        ((VarCharVector) struct.getChild("s")).setNull(at);
      } else {
        ((VarCharVector) struct.getChild("s")).setSafe(at, ("s" + x).getBytes(StandardCharsets.UTF_8));
      }
      if (struct.getChild("b") instanceof BitVector b) { // a narrower struct lacks it
        b.setSafe(at, x % 2);
      }
    } else {
      throw new IllegalArgumentException(items.getField().toString());
    }
  }

  private static String row(FieldVector v, int r) {
    return String.valueOf(v.getObject(r));
  }

  private static List<String> rows(FieldVector v) {
    List<String> out = new ArrayList<>();
    for (int r = 0; r < v.getValueCount(); r++) {
      out.add(row(v, r));
    }
    return out;
  }

  /** 20 doubles, r * 1.5 at row r, null at every third row from row 1. */
  private Float8Vector scalars() {
    Float8Vector scalars = vectors.keep(new Float8Vector("s", allocator));
    for (int r = 0; r < 20; r++) {
      if (r % 3 == 1) {
        scalars.setNull(r);
      } else {
        scalars.setSafe(r, r * 1.5);
      }
    }
    scalars.setValueCount(20);
    return scalars;
  }

  /**
   * Appends random runs, repeats, nulls and empty lists from two sources, in random batches into
   * one target (reused, as a column of consecutive batches is), and checks every row each time.
   */
  private void copiesAsAppended(Field field) {
    copiesAsAppended(field, false);
  }

  /** With {@code dirty}, each batch's buffers come from memory the allocator's pool just had back full of ones. */
  private void copiesAsAppended(Field field, boolean dirty) {
    assertTrue(CellCopier.supports(field));
    ListVector a = source(field, 1, 40);
    ListVector b = source(field, 2, 25);
    ListVector out = vector(field);
    Random random = new Random(field.getName().hashCode());
    for (int batch = 0; batch < 30; batch++) {
      CellCopier copier = new CellCopier(out, 8);
      List<String> expected = new ArrayList<>();
      int appends = random.nextInt(12);
      for (int i = 0; i < appends; i++) {
        ListVector src = random.nextBoolean() ? a : b;
        int n = 1 + random.nextInt(5);
        switch (random.nextInt(6)) {
          case 5 -> {
            int first = random.nextInt(src.getValueCount() - n + 1);
            int each = 2 + random.nextInt(3);
            copier.repeatEach(src, first, n, each);
            for (int k = 0; k < n; k++) {
              for (int e = 0; e < each; e++) {
                expected.add(row(src, first + k));
              }
            }
          }
          case 0, 1 -> {
            int first = random.nextInt(src.getValueCount() - n + 1);
            copier.rows(src, first, n);
            for (int k = 0; k < n; k++) {
              expected.add(row(src, first + k));
            }
          }
          case 2 -> {
            int r = random.nextInt(src.getValueCount());
            copier.repeat(src, r, n);
            for (int k = 0; k < n; k++) {
              expected.add(row(src, r));
            }
          }
          case 3 -> {
            copier.nulls(n);
            for (int k = 0; k < n; k++) {
              expected.add("null");
            }
          }
          default -> {
            copier.emptyLists(n);
            for (int k = 0; k < n; k++) {
              expected.add("[]");
            }
          }
        }
      }
      if (dirty) {
        out.clear(); // its buffers back to the pool too, then every size class refilled with ones
        for (long size = 8; size <= 1 << 16; size *= 2) {
          try (ArrowBuf junk = allocator.buffer(size)) {
            junk.setOne(0, junk.capacity());
          }
        }
      }
      copier.write();
      assertEquals(expected.size(), out.getValueCount());
      List<String> got = new ArrayList<>();
      for (int r = 0; r < out.getValueCount(); r++) {
        got.add(row(out, r));
      }
      assertEquals(expected, got, "batch " + batch);
    }
  }

  @Test
  void positionsRepeatedAndInRunsEqualTheirSourceRows() {
    copiesAsAppended(POSITIONS);
  }

  @Test
  void colorsWithNullValuesEqualTheirSourceRows() {
    copiesAsAppended(COLORS);
  }

  @Test
  void stringsRepeatedAndInRunsEqualTheirSourceRows() {
    copiesAsAppended(TEXT);
  }

  @Test
  void structsOfDoublesStringsAndBooleansEqualTheirSourceRows() {
    copiesAsAppended(STRUCTS);
  }

  @Test
  void listsAndStringsWrittenIntoDirtyMemoryEqualTheirSourceRows() {
    // Offsets, values and string bytes are allocated without zeroing: every one must be written.
    copiesAsAppended(TEXT, true);
    copiesAsAppended(COLORS, true);
    copiesAsAppended(STRUCTS, true);
  }

  @Test
  void cellsOfAnotherValueTypeAreRefusedNamingBothTypesNotCopiedAsTheTargetsBytes() {
    Field wide = list("colors", new Field("item", FieldType.nullable(new ArrowType.Int(64, true)), null));
    Field renamed = list("structs", new Field("item", FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(
        new Field("g", FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null),
        new Field("s", FieldType.nullable(ArrowType.Utf8.INSTANCE), null),
        new Field("b", FieldType.nullable(ArrowType.Bool.INSTANCE), null))));
    CellCopier copier = new CellCopier(vector(COLORS), 4);
    CatalogException refused = assertThrows(CatalogException.class, () -> copier.rows(vector(wide), 0, 0));
    assertEquals(CatalogException.Kind.FAILED, refused.kind());
    assertTrue(refused.getMessage().startsWith("Column colors is List<Int(32, false)> in the dataset but List<Int(64, true)>"),
        refused.getMessage());
    assertFalse(ColumnTypes.sameValueTypes(renamed, STRUCTS), "a struct's field names are part of its type");
    assertTrue(ColumnTypes.sameValueTypes(list("colors", new Field("item", FieldType.notNullable(new ArrowType.Int(32, false)), null)), COLORS),
        "nullability is not");
  }

  @Test
  void cellsOfANarrowerTypeAreReadAsTheDatasetsTypeWhatTheyLackNull() {
    // A recording that never logged the struct's "b", and one whose colors were all null (List<Null>):
    // registration merges both into the dataset's types, so a query reads them as those.
    Field noB = list("structs", new Field("item", FieldType.nullable(ArrowType.Struct.INSTANCE),
        STRUCTS.getChildren().get(0).getChildren().subList(0, 2)));
    ListVector full = source(STRUCTS, 1, 12);
    ListVector narrow = source(noB, 2, 12);
    ListVector structs = vector(STRUCTS);
    CellCopier copier = new CellCopier(structs, 8);
    copier.rows(narrow, 0, 5);
    copier.rows(full, 2, 3);
    copier.repeat(narrow, 6, 3);
    copier.repeatEach(narrow, 7, 2, 2);
    copier.nulls(1);
    copier.write();
    List<String> expected = new ArrayList<>(rows(narrow).subList(0, 5)); // a struct's null fields are left out of its text
    expected.addAll(rows(full).subList(2, 5));
    expected.addAll(List.of(row(narrow, 6), row(narrow, 6), row(narrow, 6), row(narrow, 7), row(narrow, 7), row(narrow, 8),
        row(narrow, 8), "null"));
    assertEquals(expected, rows(structs));

    Field nulls = list("colors", new Field("item", FieldType.nullable(ArrowType.Null.INSTANCE), null));
    ListVector allNull = vector(nulls);
    for (int r = 0; r < 4; r++) {
      allNull.startNewValue(r);
      allNull.endValue(r, r);
    }
    allNull.getDataVector().setValueCount(6);
    allNull.setNull(4);
    allNull.setValueCount(5);
    ListVector colors = vector(COLORS);
    CellCopier colorCopier = new CellCopier(colors, 4);
    colorCopier.rows(allNull, 0, 5);
    ListVector someColors = source(COLORS, 1, 6);
    colorCopier.rows(someColors, 0, 2);
    colorCopier.write();
    List<String> expectedColors = new ArrayList<>(List.of("[]", "[null]", "[null,null]", "[null,null,null]", "null"));
    expectedColors.addAll(rows(someColors).subList(0, 2));
    assertEquals(expectedColors, rows(colors).stream().map(r -> r.replace(" ", "")).toList());
    assertTrue(ColumnTypes.widensTo(nulls, COLORS) && ColumnTypes.widensTo(noB, STRUCTS));
    assertFalse(ColumnTypes.widensTo(STRUCTS, noB), "a wider type is not read as a narrower one");
  }

  @Test
  void aCellRepeatedOnManyRowsIsDoubledUpIntact() {
    ListVector a = source(TEXT, 1, 10);
    ListVector out = vector(TEXT);
    CellCopier copier = new CellCopier(out, 4);
    copier.repeat(a, 2, 1000); // a static text on every row of a batch
    copier.rows(a, 0, 3);
    copier.repeat(a, 1, 2);
    copier.write();
    assertEquals(1005, out.getValueCount());
    for (int r = 0; r < 1000; r++) {
      assertEquals(row(a, 2), row(out, r));
    }
    assertEquals(List.of(row(a, 0), row(a, 1), row(a, 2), row(a, 1), row(a, 1)),
        List.of(row(out, 1000), row(out, 1001), row(out, 1002), row(out, 1003), row(out, 1004)));
  }

  @Test
  void plainColumnsKeepTheirNullRows() {
    Float8Vector scalars = scalars();
    Float8Vector out = vectors.keep(new Float8Vector("s", allocator));
    CellCopier copier = new CellCopier(out, 4);
    copier.rows(scalars, 9, 5);
    copier.repeat(scalars, 6, 3);
    copier.repeat(scalars, 1, 2);
    copier.repeatEach(scalars, 0, 5, 2);
    copier.write();
    List<String> expected = new ArrayList<>();
    for (int r = 9; r < 14; r++) {
      expected.add(row(scalars, r));
    }
    expected.addAll(List.of("9.0", "9.0", "9.0", "null", "null"));
    expected.addAll(List.of("0.0", "0.0", "null", "null", "3.0", "3.0", "4.5", "4.5", "null", "null"));
    List<String> got = rows(out);
    assertEquals(expected, got);
  }

  @Test
  void rowsEachRepeatedKeepEveryLevelInStep() {
    // positions as fill repeats points logged every other frame: rows 0..39 twice each, then a
    // run, then rows three times each starting at the null row and an empty one
    ListVector a = source(POSITIONS, 1, 40);
    ListVector out = vector(POSITIONS);
    CellCopier copier = new CellCopier(out, 4);
    copier.repeatEach(a, 0, 40, 2);
    copier.rows(a, 5, 3);
    copier.repeatEach(a, 2, 4, 3);
    copier.write();
    List<String> expected = new ArrayList<>();
    for (int r = 0; r < 40; r++) {
      expected.add(row(a, r));
      expected.add(row(a, r));
    }
    for (int r = 5; r < 8; r++) {
      expected.add(row(a, r));
    }
    for (int r = 2; r < 6; r++) {
      expected.addAll(List.of(row(a, r), row(a, r), row(a, r)));
    }
    List<String> got = rows(out);
    assertEquals(expected, got);
  }

  /** Positions without a null anywhere: row r has r % 5 points (x = 10 r + k, -x, x / 2). */
  private ListVector nullFreePositions(int rows) {
    ListVector list = vector(POSITIONS);
    int value = 0;
    for (int r = 0; r < rows; r++) {
      list.startNewValue(r);
      for (int k = 0; k < r % 5; k++, value++) {
        set(list.getDataVector(), value, r * 10 + k, false);
      }
      list.endValue(r, r % 5);
    }
    list.getDataVector().setValueCount(value);
    list.setValueCount(rows);
    return list;
  }

  @Test
  void sourcesWithoutNullsHaveEveryValidityBitSetAndNoneBeyond() {
    // Validity set for whole pieces, from odd bit offsets: short runs within a byte, runs of a few
    // words and runs longer than that, at every level
    ListVector a = nullFreePositions(700);
    ListVector out = vector(POSITIONS);
    CellCopier copier = new CellCopier(out, 4);
    List<String> expected = new ArrayList<>();
    copier.nulls(3);
    expected.addAll(List.of("null", "null", "null"));
    copier.rows(a, 5, 600);
    copier.repeatEach(a, 1, 50, 3);
    copier.repeat(a, 7, 77);
    copier.repeatEach(a, 11, 3, 2);
    copier.rows(a, 0, 1);
    copier.write();
    for (int r = 5; r < 605; r++) {
      expected.add(row(a, r));
    }
    for (int r = 1; r < 51; r++) {
      expected.addAll(List.of(row(a, r), row(a, r), row(a, r)));
    }
    for (int k = 0; k < 77; k++) {
      expected.add(row(a, 7));
    }
    for (int r = 11; r < 14; r++) {
      expected.addAll(List.of(row(a, r), row(a, r)));
    }
    expected.add(row(a, 0));
    assertEquals(expected, rows(out));
    FixedSizeListVector points = (FixedSizeListVector) out.getDataVector();
    Float4Vector xyz = (Float4Vector) points.getDataVector();
    assertEquals(3, out.getNullCount());
    assertEquals(0, points.getNullCount());
    assertEquals(0, xyz.getNullCount());
    for (FieldVector level : List.<FieldVector>of(out, points, xyz)) {
      int n = level.getValueCount();
      for (int bit = n; bit < Math.min((n + 7) / 8 * 8, level.getValidityBuffer().capacity() * 8); bit++) {
        assertEquals(0, BitVectorHelper.get(level.getValidityBuffer(), bit), level.getField() + ": bit " + bit + " beyond the values");
      }
    }
  }

  @Test
  void offsetsGoingBackInsideRowsRepeatedEachAreAClearError() {
    ListVector a = source(TEXT, 1, 10);
    VarCharVector items = (VarCharVector) a.getDataVector();
    int inside = a.getOffsetBuffer().getInt(6L * 4); // a list offset between the run's ends
    items.getOffsetBuffer().setInt((long) inside * 4, 0); // corrupt: a string of that row starts at byte 0 again
    ListVector out = vector(TEXT);
    CellCopier copier = new CellCopier(out, 4);
    copier.repeatEach(a, 4, 4, 2);
    IllegalStateException e = assertThrows(IllegalStateException.class, copier::write);
    assertTrue(e.getMessage().startsWith("corrupt column"), e.getMessage());
  }

  @Test
  void offsetsBeyondTheValuesAreAClearErrorNotARead() {
    ListVector a = source(COLORS, 1, 10);
    a.getOffsetBuffer().setInt(5L * 4, 1 << 20); // corrupt: row 4 ends a million values on
    ListVector out = vector(COLORS);
    CellCopier copier = new CellCopier(out, 4);
    copier.rows(a, 4, 1);
    IllegalStateException e = assertThrows(IllegalStateException.class, copier::write);
    assertTrue(e.getMessage().startsWith("corrupt column"), e.getMessage());
    assertTrue(e.getMessage().contains("1048576"), e.getMessage());
  }
}
