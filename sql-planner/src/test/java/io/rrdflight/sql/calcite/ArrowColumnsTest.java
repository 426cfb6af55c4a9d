package io.rrdflight.sql.calcite;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.rrd.NoLeaks;
import io.rrdflight.rrd.TestVectors;
import io.rrdflight.sql.calcite.ArrowExpressions.Column;
import io.rrdflight.sql.calcite.ArrowExpressions.Kind;
import io.rrdflight.sql.calcite.ArrowExpressions.Values;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampNanoVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.impl.UnionListWriter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Numbers read out of and written into Arrow vectors a batch at a time read as the per-row accessors do. */
@ExtendWith(NoLeaks.class)
class ArrowColumnsTest {
  private BufferAllocator allocator;
  private TestVectors vectors;

  @BeforeEach
  void setUp(BufferAllocator allocator, TestVectors vectors) {
    this.allocator = allocator;
    this.vectors = vectors;
  }

  private <T extends FieldVector> T keep(T v) {
    return vectors.keep(v);
  }

  @Test
  void batchColumnsReadAsTheRowReadersNullsIncluded() {
    Float8Vector doubles = keep(new Float8Vector("d", allocator));
    BigIntVector longs = keep(new BigIntVector("l", allocator));
    IntVector ints = keep(new IntVector("i", allocator));
    Float4Vector floats = keep(new Float4Vector("f", allocator));
    TimeStampNanoVector nanos = keep(new TimeStampNanoVector("t", allocator));
    int rows = 1000;
    for (int r = 0; r < rows; r++) {
      if (r % 7 == 3) {
        doubles.setNull(r);
        longs.setNull(r);
        ints.setNull(r);
        floats.setNull(r);
        nanos.setNull(r);
      } else {
        doubles.setSafe(r, r * 0.5 - 100);
        longs.setSafe(r, (long) r * 1_000_000_007L - 5);
        ints.setSafe(r, -r);
        floats.setSafe(r, r / 3f);
        nanos.setSafe(r, -1_500_000L * r + 1); // floor, not truncation, of negative milliseconds
      }
    }
    for (FieldVector v : List.<FieldVector>of(doubles, longs, ints, floats, nanos)) {
      v.setValueCount(rows);
      Column perRow = ArrowExpressions.vectorColumn(v);
      Column bulk = ArrowExpressions.batchColumn(v);
      assertEquals(v instanceof IntVector || v instanceof Float4Vector, ArrowColumns.read(v) == null, v.getName());
      boolean isDouble = v instanceof Float8Vector || v instanceof Float4Vector;
      for (int r = 0; r < rows; r++) {
        assertEquals(perRow.isNull(r), bulk.isNull(r), v.getName() + " row " + r);
        if (!perRow.isNull(r)) {
          if (isDouble) {
            assertEquals(perRow.getDouble(r), bulk.getDouble(r), v.getName() + " row " + r);
          } else {
            assertEquals(perRow.getLong(r), bulk.getLong(r), v.getName() + " row " + r);
          }
        }
      }
    }
  }

  @Test
  void stringsAndEmptyVectorsAreLeftToTheRowReaders() {
    VarCharVector strings = keep(new VarCharVector("s", allocator));
    strings.allocateNew();
    strings.setSafe(0, "a".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    strings.setValueCount(1);
    assertNull(ArrowColumns.read(strings));
    assertEquals("a", ArrowExpressions.batchColumn(strings).getString(0));
    Float8Vector empty = keep(new Float8Vector("e", allocator));
    assertEquals(0, ArrowColumns.read(empty).doubles().length);
  }

  @Test
  void setAllWritesValuesAndNullsAndReplacesWhatWasThere() {
    Float8Vector doubles = keep(new Float8Vector("d", allocator));
    BigIntVector longs = keep(new BigIntVector("l", allocator));
    for (int round = 0; round < 2; round++) {
      int rows = round == 0 ? 70 : 9; // the second write is shorter: nothing of the first may show
      Values values = new Values(Kind.DOUBLE, rows);
      Values counts = new Values(Kind.LONG, rows);
      for (int r = 0; r < rows; r++) {
        if ((r + round) % 4 == 0) {
          values.setNull(r);
          counts.setNull(r);
        } else {
          values.setDouble(r, r + 0.25 * round);
          counts.setLong(r, -r - round);
        }
      }
      ArrowColumns.setAll(doubles, values, rows);
      ArrowColumns.setAll(longs, counts, rows);
      assertEquals(rows, doubles.getValueCount());
      for (int r = 0; r < rows; r++) {
        boolean isNull = (r + round) % 4 == 0;
        assertEquals(isNull, doubles.isNull(r));
        assertEquals(isNull, longs.isNull(r));
        if (!isNull) {
          assertEquals(r + 0.25 * round, doubles.get(r));
          assertEquals(-r - round, longs.get(r));
        }
      }
    }
    ArrowColumns.setAll(doubles, new Values(Kind.DOUBLE, 0), 0);
    assertEquals(0, doubles.getValueCount());
  }

  @Test
  void listOffsetsAreReadAtOnce() {
    ListVector lists = keep(ListVector.empty("l", allocator));
    UnionListWriter w = lists.getWriter();
    int[][] cells = {{1, 2}, {}, {3}, {4, 5, 6}};
    for (int r = 0; r < cells.length; r++) {
      w.setPosition(r);
      w.startList();
      for (int x : cells[r]) {
        w.writeInt(x);
      }
      w.endList();
    }
    lists.setValueCount(cells.length);
    assertArrayEquals(new int[] {0, 2, 2, 3, 6}, ArrowColumns.offsets(lists, cells.length));
    assertArrayEquals(new int[] {0}, ArrowColumns.offsets(lists, 0));
    assertTrue(lists.getNullCount() == 0);
    assertFalse(lists.isNull(1));
  }
}
