package io.rrdflight.sql.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** A column's cells sorted by (index value, RowId), RowIds looked up only where index values tie. */
class CellEntriesTest {
  /** RowIds by cell ref: the high half is the ref's value, negated (so ref order is not RowId order); records what was asked. */
  private static final class Recorded implements CellEntries.RowIds {
    final List<Long> asked = new ArrayList<>();

    @Override
    public long high(long cellRef) {
      asked.add(cellRef);
      return -cellRef; // unsigned: a larger ref is a smaller RowId
    }

    @Override
    public long low(long cellRef) {
      return 0;
    }
  }

  private static long[] refs(CellEntries entries) {
    long[] out = new long[entries.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = entries.ref(i);
    }
    return out;
  }

  private static long[] times(CellEntries entries) {
    long[] out = new long[entries.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = entries.time(i);
    }
    return out;
  }

  @Test
  void sortedCellsWithDistinctValuesNeverAskForRowIds() {
    CellEntries entries = new CellEntries(2);
    entries.addData(new long[] {1, 2, 3, 4}, 1, 3, 10L);
    entries.add(7, 20L, CellEntries.CLEAR);
    Recorded rowIds = new Recorded();
    entries.sort(rowIds);
    assertArrayEquals(new long[] {2, 3, 4, 7}, times(entries));
    assertArrayEquals(new long[] {10, 11, 12, 20}, refs(entries));
    assertEquals(CellEntries.DATA, entries.kind(2));
    assertEquals(CellEntries.CLEAR, entries.kind(3));
    assertEquals(List.of(), rowIds.asked);
  }

  @Test
  void cellsAtOneIndexValueAreOrderedByRowId() {
    CellEntries entries = new CellEntries();
    entries.addData(new long[] {5, 5, 9}, 0, 3, 1L); // refs 1, 2 tie at 5: ref 2 has the smaller RowId
    entries.add(3, 7L, CellEntries.DATA);
    entries.add(5, 6L, CellEntries.CLEAR); // a smaller RowId still than ref 2's
    Recorded rowIds = new Recorded();
    entries.sort(rowIds);
    assertArrayEquals(new long[] {3, 5, 5, 5, 9}, times(entries));
    assertArrayEquals(new long[] {7, 6, 2, 1, 3}, refs(entries));
    assertEquals(CellEntries.CLEAR, entries.kind(1));
    assertEquals(4, entries.latestAtOrBefore(9));
    assertEquals(1, entries.firstAtOrAfter(4));
    assertArrayEquals(new long[] {3, 5, 9}, entries.distinctTimes(0, 10));
  }

  @Test
  void joiningRowsAsRunsGivesEachRowItsLastCellOrWithFillTheLatestBefore() {
    Random random = new Random(11);
    for (int round = 0; round < 500; round++) {
      // Cells from chunks logged at every value, every other one, with ties, and before the rows.
      CellEntries cells = new CellEntries();
      long ref = 0;
      int chunks = 1 + random.nextInt(4);
      for (int k = 0; k < chunks; k++) {
        long start = random.nextInt(40) - 5;
        long step = 1 + random.nextInt(3);
        int n = random.nextInt(15);
        long[] times = new long[n];
        for (int i = 0; i < n; i++) {
          times[i] = start + step * i - (random.nextInt(8) == 0 && i > 0 ? step : 0); // now and then a tie with the cell before
        }
        cells.addData(times, 0, n, ref);
        ref += 100;
      }
      cells.sort(new Recorded());
      TreeSet<Long> rowSet = new TreeSet<>();
      for (int i = 0; i < cells.size(); i++) {
        if (cells.time(i) >= 0) {
          rowSet.add(cells.time(i)); // the rows: the cells' own values in range, and others between
        }
      }
      for (int i = random.nextInt(10); i > 0; i--) {
        rowSet.add((long) random.nextInt(60));
      }
      long[] rows = rowSet.stream().mapToLong(Long::longValue).toArray();
      for (boolean fill : new boolean[] {false, true}) {
        long[] expected = new long[rows.length];
        for (int r = 0; r < rows.length; r++) {
          int last = cells.latestAtOrBefore(rows[r]);
          expected[r] = last >= 0 && (fill || cells.time(last) == rows[r]) ? cells.ref(last) : -1;
        }
        long[] out = new long[rows.length];
        cells.joinInto(rows, out, fill, -1);
        assertArrayEquals(expected, out, "round " + round + ", fill " + fill);
      }
    }
  }

  @Test
  void sameTimesComparesTheIndexValuesNotTheRefs() {
    CellEntries a = new CellEntries();
    a.addData(new long[] {1, 2, 3}, 0, 3, 0);
    CellEntries b = new CellEntries(100); // more room, same cells' values
    b.addData(new long[] {1, 2, 3}, 0, 3, 1L << 32);
    CellEntries shorter = new CellEntries();
    shorter.addData(new long[] {1, 2}, 0, 2, 0);
    CellEntries other = new CellEntries();
    other.addData(new long[] {1, 2, 4}, 0, 3, 0);
    assertTrue(a.sameTimes(b));
    assertTrue(b.sameTimes(a));
    assertFalse(a.sameTimes(shorter));
    assertFalse(a.sameTimes(other));
  }

  @Test
  void sameCellsComparesIndexValuesRefsAndKinds() {
    CellEntries a = new CellEntries();
    a.addData(new long[] {1, 2, 3}, 0, 3, 5);
    CellEntries b = new CellEntries(100);
    b.addData(new long[] {1, 2, 3}, 0, 3, 5);
    CellEntries otherRows = new CellEntries();
    otherRows.addData(new long[] {1, 2, 3}, 0, 3, 1L << 32);
    CellEntries cleared = new CellEntries();
    cleared.addData(new long[] {1, 2}, 0, 2, 5);
    cleared.add(3, 7, CellEntries.CLEAR);
    CellEntries lastCleared = new CellEntries();
    lastCleared.addData(new long[] {1, 2}, 0, 2, 5);
    lastCleared.add(3, 7, CellEntries.DATA);
    assertTrue(a.sameCells(b));
    assertTrue(b.sameCells(a));
    assertFalse(a.sameCells(otherRows)); // same index values, other chunk rows
    assertFalse(lastCleared.sameCells(cleared)); // same values and refs, a clear
  }
}
