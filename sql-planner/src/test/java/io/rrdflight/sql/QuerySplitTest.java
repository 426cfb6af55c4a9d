package io.rrdflight.sql;

import static io.rrdflight.rrd.TimelineKind.SEQUENCE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.rrd.NoLeaks;
import io.rrdflight.sql.testing.InMemoryRerunData;
import io.rrdflight.sql.testing.ResultRows;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A query that runs as one scan splits into per-partition slices whose rows, in the split's order,
 * are the whole query's rows; queries whose rows depend on all partitions at once do not split.
 */
@ExtendWith(NoLeaks.class)
class QuerySplitTest {
  private BufferAllocator allocator;
  private SqlEngine engine;

  @BeforeEach
  void setUp(BufferAllocator allocator) {
    this.allocator = allocator;
    InMemoryRerunData data = new InMemoryRerunData();
    for (String run : List.of("run-a", "run-b", "run-c")) {
      long base = (run.charAt(4) - 'a' + 1) * 100L;
      data.chunk("ds", run, "/arm/joint").timeline("frame", SEQUENCE, base, base + 1, base + 2).scalars("Scalars:scalars", 1.0, 2.0, 3.0)
          .add();
    }
    engine = new SqlEngine(data, allocator);
  }

  @AfterEach
  void tearDown() {
    engine.close();
  }

  private List<String> rows(ResultBatches batches) {
    return ResultRows.of(batches, ",");
  }

  @Test
  void aScanSplitsByPartitionAndTheSlicesTogetherAreTheWholeAnswer() {
    String sql = "SELECT rerun_partition_id, frame FROM ds.frame";
    PreparedQuery query = engine.prepare(sql);
    PreparedQuery.Split split = query.split(List.of()).orElseThrow();
    assertEquals(List.of("run-a", "run-b", "run-c"), split.partitionIds());
    List<String> sliced = new ArrayList<>();
    for (String id : split.partitionIds()) {
      List<String> slice = rows(engine.prepare(split.sql()).executePartitions(new TreeSet<>(List.of(id)), allocator, 2));
      assertTrue(slice.stream().allMatch(r -> r.startsWith(id + ",")), slice.toString());
      sliced.addAll(slice);
    }
    assertEquals(rows(query.execute(List.of(), allocator, 2)), sliced);
    assertEquals(9, sliced.size());
  }

  @Test
  void boundValuesAreWrittenIntoTheSplitText() {
    PreparedQuery query = engine.prepare("SELECT frame FROM ds.frame WHERE rerun_partition_id IN (?, ?)");
    PreparedQuery.Split split = query.split(List.of("run-c", "run-a")).orElseThrow();
    assertEquals(List.of("run-a", "run-c"), split.partitionIds());
    assertTrue(engine.prepare(split.sql()).parameterSchema().getFields().isEmpty(), split.sql());
    assertEquals(List.of("300", "301", "302"),
        rows(engine.prepare(split.sql()).executePartitions(new TreeSet<>(List.of("run-c", "run-b")), allocator, 8)));
  }

  @Test
  void aSliceNamingNoPartitionOfTheDatasetIsNotFound() {
    PreparedQuery.Split split = engine.prepare("SELECT frame FROM ds.frame").split(List.of()).orElseThrow();
    io.rrdflight.catalog.CatalogException e = assertThrows(io.rrdflight.catalog.CatalogException.class,
        () -> engine.prepare(split.sql()).executePartitions(new TreeSet<>(List.of("run-a", "not-a-partition")), allocator, 8));
    assertEquals(io.rrdflight.catalog.CatalogException.Kind.NOT_FOUND, e.kind());
    assertTrue(e.getMessage().contains("Dataset ds has no partition not-a-partition"), e.getMessage());
  }

  @Test
  void sortsAggregatesLimitsAndSinglePartitionsDoNotSplit() {
    for (String sql : List.of("SELECT frame FROM ds.frame ORDER BY frame", "SELECT COUNT(*) FROM ds.frame", "SELECT frame FROM ds.frame LIMIT 2",
        "SELECT frame FROM ds.frame WHERE rerun_partition_id = 'run-b'")) {
      assertEquals(Optional.empty(), engine.prepare(sql).split(List.of()), sql);
    }
    PreparedQuery sorted = engine.prepare("SELECT frame FROM ds.frame ORDER BY frame");
    assertThrows(SqlQueryException.class, () -> sorted.executePartitions(new TreeSet<>(List.of("run-a")), allocator, 8));
  }
}
