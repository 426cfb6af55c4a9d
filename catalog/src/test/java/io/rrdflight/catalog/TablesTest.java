package io.rrdflight.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.rrd.NoLeaks;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Table entries: Lance storage, names shared with datasets, persistence, bad writes, crashes, concurrency. */
@ExtendWith(NoLeaks.class)
class TablesTest {
  @TempDir Path dataDir;
  @TempDir Path files;
  private BufferAllocator allocator;

  @BeforeEach
  void setUp(BufferAllocator allocator) {
    this.allocator = allocator;
  }

  private Catalog open() {
    return Catalog.open(dataDir, new CatalogTest.FileListIndexer(), 1, RegistrationLimits.UNRESTRICTED);
  }

  @Test
  void createdTableIsWrittenReadAndKeptAcrossRestart() throws Exception {
    EntryId id;
    try (Catalog c = open()) {
      Table t = c.createTable("labels", Optional.empty(), TableRows.SCHEMA, allocator);
      id = t.id();
      assertTrue(t.path().startsWith(dataDir.toAbsolutePath()), "created below the data dir: " + t.path());
      try (ArrowReader rows = TableRows.rows(allocator, TableRows.SCHEMA, "a", 3)) {
        assertEquals(3, c.lanceTables().write(t, rows, LanceTables.WriteMode.APPEND, allocator));
      }
      assertEquals(List.of("a0=0", "a1=1", "a2=2"), TableRows.read(c.lanceTables(), t, allocator));
      assertEquals("true", c.lanceTables().schema(t).findField("segment_id").getMetadata().get(LanceTables.INDEX_MARKER));
    }
    try (Catalog c = open()) {
      Table t = c.tableNamed("labels");
      assertEquals(id, t.id());
      assertEquals(3, c.lanceTables().rowCount(t));
    }
  }

  @Test
  void overwriteReplacesAndUpsertMatchesOnTheIndexColumn() throws Exception {
    try (Catalog c = open()) {
      Table t = c.createTable("labels", Optional.empty(), TableRows.SCHEMA, allocator);
      try (ArrowReader rows = TableRows.rows(allocator, TableRows.SCHEMA, "a", 3)) {
        c.lanceTables().write(t, rows, LanceTables.WriteMode.APPEND, allocator);
      }
      try (ArrowReader rows = TableRows.rows(allocator, TableRows.SCHEMA, "a", 2)) {
        assertEquals(3, c.lanceTables().write(t, rows, LanceTables.WriteMode.UPSERT, allocator));
      }
      try (ArrowReader rows = TableRows.rows(allocator, TableRows.SCHEMA, "b", 2)) {
        assertEquals(2, c.lanceTables().write(t, rows, LanceTables.WriteMode.OVERWRITE, allocator));
      }
      assertEquals(List.of("b0=0", "b1=1"), TableRows.read(c.lanceTables(), t, allocator));
    }
  }

  @Test
  void rowsWithOtherColumnsAreRefusedNamingTheColumnAndNothingIsWritten() throws Exception {
    try (Catalog c = open()) {
      Table t = c.createTable("labels", Optional.empty(), TableRows.SCHEMA, allocator);
      Schema wrongType = new Schema(List.of(TableRows.SCHEMA.getFields().get(0),
          new Field("n", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));
      Schema extra = new Schema(List.of(new Field("segment_id", FieldType.nullable(ArrowType.Utf8.INSTANCE), null),
          new Field("n", FieldType.nullable(new ArrowType.Int(64, true)), null),
          new Field("colour", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));
      Schema missing = new Schema(List.of(TableRows.SCHEMA.getFields().get(0)));
      for (Map.Entry<Schema, String> bad : Map.of(wrongType, "Column 'n'", extra, "Column 'colour'", missing, "column 'n'").entrySet()) {
        try (ArrowReader rows = TableRows.rows(allocator, bad.getKey(), "x", 1)) {
          CatalogException e = assertThrows(CatalogException.class,
              () -> c.lanceTables().write(t, rows, LanceTables.WriteMode.APPEND, allocator));
          assertEquals(CatalogException.Kind.INVALID_ARGUMENT, e.kind());
          assertTrue(e.getMessage().contains(bad.getValue()), e.getMessage());
        }
      }
      assertEquals(0, c.lanceTables().rowCount(t));
    }
  }

  @Test
  void tablesAndDatasetsShareOneNamespace() {
    try (Catalog c = open()) {
      c.createDataset("runs");
      assertEquals(CatalogException.Kind.ALREADY_EXISTS, assertThrows(CatalogException.class,
          () -> c.createTable("runs", Optional.empty(), TableRows.SCHEMA, allocator)).kind());
      Table t = c.createTable("labels", Optional.empty(), TableRows.SCHEMA, allocator);
      assertEquals(CatalogException.Kind.ALREADY_EXISTS, assertThrows(CatalogException.class, () -> c.createDataset("labels")).kind());
      assertEquals(CatalogException.Kind.ALREADY_EXISTS, assertThrows(CatalogException.class, () -> c.renameTable(t.id(), "runs")).kind());
      assertEquals("notes", c.renameTable(t.id(), "notes").name());
      c.deleteTable(t.id());
      assertTrue(c.tables().isEmpty());
      assertTrue(Files.isDirectory(t.path()), "deleting the entry leaves the Lance directory");
    }
  }

  @Test
  void registeringADirectoryThatIsNoLanceTableIsRefused() throws Exception {
    Path notLance = Files.createDirectories(files.resolve("plain"));
    Files.writeString(notLance.resolve("rows.csv"), "a,b\n");
    try (Catalog c = open()) {
      CatalogException e = assertThrows(CatalogException.class, () -> c.registerTable("plain", notLance, true));
      assertEquals(CatalogException.Kind.INVALID_ARGUMENT, e.kind());
      assertTrue(e.getMessage().contains("Not a Lance table"), e.getMessage());
    }
  }

  @Test
  void clientsMayRegisterTablesOnlyBelowTheAllowedRoots() throws Exception {
    Path dir = files.resolve("t");
    Path allowed = Files.createDirectories(files.resolve("allowed"));
    try (Catalog c = Catalog.open(dataDir, new CatalogTest.FileListIndexer(), 1,
        new RegistrationLimits(AllowedRoots.of(List.of(allowed)), 1000))) {
      c.lanceTables().create(dir, TableRows.SCHEMA, allocator);
      assertEquals(CatalogException.Kind.PERMISSION_DENIED,
          assertThrows(CatalogException.class, () -> c.registerTable("t", dir, false)).kind());
    }
  }

  @Test
  void aTableIsCreatedWithItsMissingDirectoriesOnlyBelowTheAllowedRoots() throws Exception {
    Path allowed = Files.createDirectories(files.resolve("allowed"));
    try (Catalog c = Catalog.open(dataDir, new CatalogTest.FileListIndexer(), 1,
        new RegistrationLimits(AllowedRoots.of(List.of(allowed)), 1000))) {
      Table t = c.createTable("deep", Optional.of(allowed.resolve("runs/2026/labels")), TableRows.SCHEMA, allocator);
      assertEquals(allowed.toRealPath().resolve("runs/2026/labels"), t.path());
      assertTrue(Files.isDirectory(t.path()));
      Path outside = files.resolve("elsewhere/new/labels");
      assertEquals(CatalogException.Kind.PERMISSION_DENIED,
          assertThrows(CatalogException.class, () -> c.createTable("outside", Optional.of(outside), TableRows.SCHEMA, allocator)).kind());
      assertFalse(Files.exists(files.resolve("elsewhere")), "nothing made outside the allowed roots");
      Files.writeString(allowed.resolve("a-file"), "x");
      CatalogException throughFile = assertThrows(CatalogException.class,
          () -> c.createTable("through", Optional.of(allowed.resolve("a-file/labels")), TableRows.SCHEMA, allocator));
      assertEquals(CatalogException.Kind.INVALID_ARGUMENT, throughFile.kind());
      assertTrue(throughFile.getMessage().contains("a-file/labels"), throughFile.getMessage());
    }
  }

  @Test
  void whatLanceRefusesOfTheClientsInputIsAnInvalidArgumentWithoutLancesSourceLines() throws Exception {
    try (Catalog c = open()) {
      org.apache.arrow.vector.types.pojo.Schema interval = new org.apache.arrow.vector.types.pojo.Schema(List.of(new Field("i",
          FieldType.nullable(new ArrowType.Interval(org.apache.arrow.vector.types.IntervalUnit.MONTH_DAY_NANO)), null)));
      CatalogException unstorable = assertThrows(CatalogException.class, () -> c.createTable("intervals", Optional.empty(), interval, allocator));
      assertEquals(CatalogException.Kind.INVALID_ARGUMENT, unstorable.kind(), unstorable.getMessage());
      assertTrue(unstorable.getMessage().contains("Interval(MonthDayNano)") && !unstorable.getMessage().contains(".rs:"), unstorable.getMessage());

      org.apache.arrow.vector.types.pojo.Schema required = new org.apache.arrow.vector.types.pojo.Schema(List.of(
          new Field("segment_id", FieldType.nullable(ArrowType.Utf8.INSTANCE), null),
          new Field("n", FieldType.notNullable(new ArrowType.Int(64, true)), null)));
      Table t = c.createTable("required", Optional.empty(), required, allocator);
      org.apache.arrow.vector.types.pojo.Schema sent = new org.apache.arrow.vector.types.pojo.Schema(List.of(required.getFields().get(0),
          new Field("n", FieldType.nullable(new ArrowType.Int(64, true)), null)));
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      try (org.apache.arrow.vector.VectorSchemaRoot root = org.apache.arrow.vector.VectorSchemaRoot.create(sent, allocator);
          org.apache.arrow.vector.ipc.ArrowStreamWriter writer = new org.apache.arrow.vector.ipc.ArrowStreamWriter(root, null, out)) {
        root.allocateNew();
        ((org.apache.arrow.vector.VarCharVector) root.getVector(0)).setSafe(0, "a".getBytes());
        root.getVector(1).setNull(0);
        root.setRowCount(1);
        writer.start();
        writer.writeBatch();
        writer.end();
      }
      try (org.apache.arrow.vector.ipc.ArrowStreamReader nulls = new org.apache.arrow.vector.ipc.ArrowStreamReader(
          new java.io.ByteArrayInputStream(out.toByteArray()), allocator)) {
        CatalogException refused = assertThrows(CatalogException.class, () -> c.lanceTables().write(t, nulls, LanceTables.WriteMode.APPEND, allocator));
        assertEquals(CatalogException.Kind.INVALID_ARGUMENT, refused.kind(), refused.getMessage());
        assertTrue(refused.getMessage().contains("null values") && !refused.getMessage().contains(".rs:"), refused.getMessage());
      }
    }
  }

  @Test
  void aLinkInsideTheAllowedRootsLeadsNoTableOutOfThem() throws Exception {
    Path allowed = Files.createDirectories(files.resolve("allowed"));
    Path outside = Files.createDirectories(files.resolve("outside"));
    Files.createSymbolicLink(allowed.resolve("link"), outside);
    Files.createSymbolicLink(allowed.resolve("below"), outside);
    try (Catalog c = Catalog.open(dataDir, new CatalogTest.FileListIndexer(), 1,
        new RegistrationLimits(AllowedRoots.of(List.of(allowed)), 1000))) {
      for (Path wanted : List.of(allowed.resolve("link"), allowed.resolve("below/labels"))) {
        CatalogException e = assertThrows(CatalogException.class, () -> c.createTable("escape", Optional.of(wanted), TableRows.SCHEMA, allocator));
        assertEquals(CatalogException.Kind.PERMISSION_DENIED, e.kind(), e.getMessage());
      }
      try (java.util.stream.Stream<Path> made = Files.list(outside)) {
        assertEquals(List.of(), made.toList(), "no table written outside the allowed roots");
      }
      assertTrue(c.tables().isEmpty());
    }
  }

  @Test
  void concurrentWritersNeverLoseARow() throws Exception {
    int writers = 4;
    int appends = 5;
    try (Catalog c = open()) {
      Table t = c.createTable("labels", Optional.empty(), TableRows.SCHEMA, allocator);
      ExecutorService pool = Executors.newFixedThreadPool(writers);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
          String prefix = "w" + w + "-";
          done.add(pool.submit(() -> {
            for (int i = 0; i < appends; i++) {
              try (ArrowReader rows = TableRows.rows(allocator, TableRows.SCHEMA, prefix + i + "-", 10)) {
                c.lanceTables().write(t, rows, LanceTables.WriteMode.APPEND, allocator);
              }
            }
            return null;
          }));
        }
        for (Future<?> f : done) {
          f.get();
        }
      } finally {
        pool.shutdown();
      }
      List<String> rows = TableRows.read(c.lanceTables(), t, allocator);
      assertEquals(writers * appends * 10, rows.size());
      assertEquals(rows.size(), rows.stream().distinct().count());
    }
  }

  /**
   * Two processes append to one Lance table at once (another server, or pylance, next to this one):
   * Lance's optimistic commits must keep every row of both.
   */
  @Test
  void twoProcessesAppendingKeepEveryRow() throws Exception {
    Path dir = files.resolve("shared");
    new LanceTables().create(dir, TableRows.SCHEMA, allocator);
    List<Process> writers = new ArrayList<>();
    for (int w = 0; w < 2; w++) {
      writers.add(TableWriterProcess.start(dir, "p" + w + "-", 10, 5));
    }
    for (Process p : writers) {
      assertEquals(0, p.waitFor(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
    Table t = new Table(EntryId.random(), "shared", dir, java.time.Instant.now(), java.time.Instant.now());
    assertEquals(2 * 10 * 5, TableRows.read(new LanceTables(), t, allocator).size());
  }

  /** A writer killed with SIGKILL in the middle of its appends leaves the last committed version readable. */
  @Test
  void killNineDuringAWriteLeavesThePreviousVersionReadable() throws Exception {
    Path dir = files.resolve("crash");
    new LanceTables().create(dir, TableRows.SCHEMA, allocator);
    int batch = 400_000;
    Process writer = TableWriterProcess.start(dir, "k", batch, 1000);
    int committed = 0;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(writer.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        if (line.startsWith("committed")) {
          committed++;
          if (committed == 2) {
            Thread.sleep(150); // inside the third append's data files
            writer.destroyForcibly();
            break;
          }
        }
      }
    }
    writer.waitFor();
    assertEquals(137, writer.exitValue(), "killed by SIGKILL");
    Table t = new Table(EntryId.random(), "crash", dir, java.time.Instant.now(), java.time.Instant.now());
    long rows = new LanceTables().rowCount(t);
    assertTrue(rows >= (long) committed * batch && rows % batch == 0, "whole appends only: " + rows);
    try (LanceTables.Rows all = new LanceTables().scan(t, allocator, List.of("n"), Optional.of("n = " + (batch - 1)), 65536)) {
      long hits = 0;
      while (all.reader().loadNextBatch()) {
        hits += all.reader().getVectorSchemaRoot().getRowCount();
      }
      assertEquals(rows / batch, hits, "every committed append is readable");
    }
  }
}
