package io.rrdflight.sql.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rrdflight.rrd.IndexRange;
import org.junit.jupiter.api.Test;

/** Index values kept as ranges of a progression, and their union within a window: value for value what the values give. */
class TimeUnionTest {
  private static TimeSet set(long... values) {
    return TimeSet.of(values, values.length);
  }

  @Test
  void consecutiveValuesAreOneRangeAndAnExactPeriodOneRangeOfThatStep() {
    assertEquals(1, set(0, 1, 2, 3).ranges());
    TimeSet periodic = set(-7, 3, 13, 23);
    assertEquals(1, periodic.ranges());
    assertEquals(10, periodic.step());
    assertEquals(-7, periodic.firstValue(0));
    assertEquals(23, periodic.lastValue(0));
    TimeSet scattered = set(1, 2, 5, 9, 10, 11);
    assertEquals(1, scattered.step());
    assertEquals(3, scattered.ranges());
    assertEquals(0, set().ranges());
  }

  @Test
  void theUnionIsTheSortedDistinctValuesWithinTheWindow() {
    TimeUnion union = new TimeUnion(new IndexRange(4, 40));
    union.add(set(0, 1, 2, 3, 4, 5, 6)); // 4..6
    union.add(set(5, 6, 7, 8)); // overlaps
    union.add(set(-7, 3, 13, 23, 33, 43)); // step 10, phase 3: 13, 23, 33
    union.add(set(-5, 5, 15, 25)); // step 10, phase 5: 5, 15, 25
    union.add(set(9)); // touches 5..8
    union.add(new long[] {8, 20, 40});
    assertArrayEquals(new long[] {4, 5, 6, 7, 8, 9, 13, 15, 20, 23, 25, 33, 40}, union.values());
  }

  @Test
  void columnsWithTheSameValuesGiveThemOnceBesideTheOthers() {
    TimeUnion union = new TimeUnion(new IndexRange(0, 100));
    long[] everyFrame = {0, 1, 2, 3, 4, 5};
    union.add(everyFrame);
    union.add(new long[] {0, 2, 4});
    union.add(everyFrame.clone()); // another column of the same entity: equal, not the same array
    union.add(new long[] {0, 2, 4});
    union.add(new long[] {0, 1, 2, 3, 4, 6}); // as long, differing at the end
    union.add(new long[] {10});
    assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5, 6, 10}, union.values());
  }

  @Test
  void windowsCutProgressionsBetweenTheirValuesAndAtTheEdgesOfTheTimeline() {
    TimeUnion union = new TimeUnion(new IndexRange(14, 31));
    union.add(set(10, 13, 16, 19, 22, 25, 28, 31, 34)); // step 3
    assertArrayEquals(new long[] {16, 19, 22, 25, 28, 31}, union.values());
    TimeUnion everything = new TimeUnion(IndexRange.EVERYTHING);
    everything.add(set(Long.MIN_VALUE + 1, 0, Long.MAX_VALUE - 1)); // not a progression: the gaps overflow
    everything.add(set(Long.MAX_VALUE - 2, Long.MAX_VALUE - 1, Long.MAX_VALUE));
    assertArrayEquals(new long[] {Long.MIN_VALUE + 1, 0, Long.MAX_VALUE - 2, Long.MAX_VALUE - 1, Long.MAX_VALUE}, everything.values());
    assertArrayEquals(new long[0], new TimeUnion(new IndexRange(0, 5)).values());
  }
}
