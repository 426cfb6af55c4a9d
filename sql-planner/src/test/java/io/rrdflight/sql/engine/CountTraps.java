package io.rrdflight.sql.engine;

import static io.rrdflight.rrd.TimelineKind.SEQUENCE;

import io.rrdflight.sql.testing.InMemoryRerunData;
import java.util.List;

/**
 * Partitions whose whole views' row counts are easy to get wrong, in dataset {@code ds}: null cells
 * (no row at their index value), a repeated value, a second timeline ({@code tick}), a static-only
 * partition (p3), a clear (a row of its own). /dense has 6 rows in p1 (0, 1, 3, 4, 5 and the clear
 * at 30) and 2 in p2.
 */
final class CountTraps {
  private CountTraps() {}

  static void addTo(InMemoryRerunData data) {
    data.chunk("ds", "p1", "/dense").timeline("frame", SEQUENCE, 0, 1, 2, 3, 4, 5).timeline("tick", SEQUENCE, 7, 6, 5, 4, 3, 2)
        .scalars("S:v", 0.0, 1.0, null, 3.0, 4.0, 5.0).add();
    data.chunk("ds", "p1", "/every2").timeline("frame", SEQUENCE, 10, 12, 14, 16, 18, 20).scalars("S:v", 1.0, 1.0, 1.0, null, 1.0, 1.0).add();
    data.chunk("ds", "p1", "/dense").timeline("frame", SEQUENCE, 30).component("Clear:is_recursive", InMemoryRerunData.BOOL_LIST,
        List.of(List.of(false))).add();
    data.chunk("ds", "p2", "/dense").timeline("frame", SEQUENCE, 3, 5, 5, 40).scalars("S:v", 1.0, 2.0, 2.5, null).add();
    data.chunk("ds", "p2", "/text").component("T:text", InMemoryRerunData.UTF8_LIST, List.of(List.of("hi"))).add();
    data.chunk("ds", "p3", "/text").component("T:text", InMemoryRerunData.UTF8_LIST, List.of(List.of("static only"))).add();
  }
}
