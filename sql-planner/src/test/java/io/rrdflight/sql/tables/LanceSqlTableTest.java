package io.rrdflight.sql.tables;

import static io.rrdflight.rrd.TimelineKind.SEQUENCE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.catalog.EntryId;
import io.rrdflight.catalog.LanceTables;
import io.rrdflight.rrd.NoLeaks;
import io.rrdflight.catalog.Table;
import io.rrdflight.sql.SqlEngine;
import io.rrdflight.sql.testing.ForwardingRerunData;
import io.rrdflight.sql.testing.InMemoryRerunData;
import io.rrdflight.sql.testing.ResultRows;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A table entry (a real Lance table on disk) in SQL: queried by its plain name, filters and columns
 * pushed into Lance's scan, joined with a dataset's timeline table. Rows and plan asserted together.
 */
@ExtendWith(NoLeaks.class)
class LanceSqlTableTest {
  @TempDir Path dir;
  private BufferAllocator allocator;
  private SqlEngine engine;

  private static final Schema LABELS = new Schema(List.of(
      new Field("segment_id", FieldType.nullable(ArrowType.Utf8.INSTANCE), null),
      new Field("success", FieldType.nullable(ArrowType.Bool.INSTANCE), null),
      new Field("score", FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null)));

  @BeforeEach
  void setUp(BufferAllocator allocator) throws Exception {
    this.allocator = allocator;
    InMemoryRerunData recordings = new InMemoryRerunData();
    for (String p : List.of("run-a", "run-b")) {
      recordings.chunk("ds", p, "/arm/joint").timeline("frame", SEQUENCE, 0, 1, 2)
          .scalars("Scalars:scalars", p.equals("run-a") ? 1.0 : 10.0, 2.0, 3.0).add();
    }
    LanceTables lance = new LanceTables();
    Table labels = new Table(EntryId.random(), "labels", dir.resolve("labels"), Instant.now(), Instant.now());
    lance.create(labels.path(), LABELS, allocator);
    try (ArrowStreamReader rows = rows(new String[] {"run-a", "run-b", "run-c"}, new boolean[] {true, false, true}, new double[] {0.9, 0.1, 0.5})) {
      lance.write(labels, rows, LanceTables.WriteMode.APPEND, allocator);
    }
    engine = new SqlEngine(new WithTables(recordings, List.of(labels), lance), allocator);
  }

  @AfterEach
  void tearDown() {
    engine.close();
  }

  @Test
  void tableIsQueriedByItsPlainName() {
    assertEquals(List.of("run-a; true; 0.9", "run-b; false; 0.1", "run-c; true; 0.5"),
        rows("SELECT * FROM labels ORDER BY segment_id"));
    assertEquals(List.of("run-c"), rows("SELECT segment_id FROM \"LABELS\" WHERE score BETWEEN 0.2 AND 0.6"));
  }

  @Test
  void comparisonsAndColumnsArePushedIntoTheLanceScan() {
    String sql = "SELECT segment_id FROM labels WHERE success = true AND score > 0.6";
    assertEquals(List.of("run-a"), rows(sql));
    String plan = explain(sql);
    assertTrue(plan.contains("BindableTableScan(table=[[labels]], filters=[[AND($1, >($2, 0.6E0))]], projects=[[0]])"), plan);
    assertFalse(plan.contains("Filter"), plan);
  }

  @Test
  void tableJoinsADatasetTimelineTable() {
    String sql = """
        SELECT l.segment_id, l.success, COUNT(*) AS frames, SUM(f."/arm/joint:Scalars:scalars"[1]) AS total
        FROM labels l JOIN ds.frame f ON f.rerun_partition_id = l.segment_id
        WHERE l.success = false OR l.score > 0.8
        GROUP BY l.segment_id, l.success ORDER BY l.segment_id""";
    assertEquals(List.of("run-a; true; 3; 6.0", "run-b; false; 3; 15.0"), rows(sql));
    String plan = explain(sql);
    assertTrue(plan.contains("EnumerableHashJoin(condition=[=($0, $3)], joinType=[inner])"), plan);
    assertTrue(plan.contains("BindableTableScan(table=[[labels]], filters=[[OR(NOT($1), >($2, 0.8E0))]])"), plan);
    assertTrue(plan.contains("RerunTableScan(table=[[ds, frame]], index=[frame], columns=[[rerun_partition_id, /arm/joint:Scalars:scalars]])"), plan);
    assertFalse(plan.contains("Filter"), plan);
  }

  private List<String> rows(String sql) {
    return ResultRows.of(engine, sql, List.of(), allocator, 2);
  }

  private String explain(String sql) {
    return String.join("\n", rows("EXPLAIN PLAN FOR " + sql));
  }

  private ArrowStreamReader rows(String[] ids, boolean[] success, double[] scores) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (VectorSchemaRoot root = VectorSchemaRoot.create(LABELS, allocator); ArrowStreamWriter w = new ArrowStreamWriter(root, null, out)) {
      root.allocateNew();
      for (int i = 0; i < ids.length; i++) {
        ((VarCharVector) root.getVector(0)).setSafe(i, ids[i].getBytes(StandardCharsets.UTF_8));
        ((BitVector) root.getVector(1)).setSafe(i, success[i] ? 1 : 0);
        ((Float8Vector) root.getVector(2)).setSafe(i, scores[i]);
      }
      root.setRowCount(ids.length);
      w.start();
      w.writeBatch();
      w.end();
    }
    return new ArrowStreamReader(new ByteArrayInputStream(out.toByteArray()), allocator);
  }

  /** In-memory recordings plus table entries. */
  private static final class WithTables extends ForwardingRerunData {
    private final List<Table> tables;
    private final LanceTables lanceTables;

    WithTables(InMemoryRerunData recordings, List<Table> tables, LanceTables lanceTables) {
      super(recordings);
      this.tables = tables;
      this.lanceTables = lanceTables;
    }

    @Override
    public List<Table> tables() {
      return tables;
    }

    @Override
    public LanceTables lanceTables() {
      return lanceTables;
    }
  }
}
