package io.rrdflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.CatalogLocation;
import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.Partition;
import io.rrdflight.catalog.PostgresCluster;
import io.rrdflight.catalog.PostgresCluster.Database;
import io.rrdflight.catalog.RegistrationLimits;
import io.rrdflight.catalog.RrdRecordingIndexer;
import io.rrdflight.catalog.Task;
import io.rrdflight.catalog.TaskStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real server with {@code --catalog jdbc:postgresql://…} on a real PostgreSQL: what it registers
 * is in the database (a restart on an empty data dir serves the same rows), the password given in
 * PGPASSWORD never appears in its output, and kill -9 in the middle of registering leaves no half
 * file and releases the writer lock.
 */
@ExtendWith(PostgresCluster.class)
class CatalogPostgresIT {
  private static final BufferAllocator allocator = new RootAllocator();

  @AfterAll
  static void closeAllocator() {
    allocator.close();
  }

  private static Map<String, String> credentials(Database db) {
    return Map.of("PGUSER", db.parameter("user"), "PGPASSWORD", db.parameter("password"));
  }

  private static List<String> rows(ServerProcess server, String sql) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(server.jdbcUrl()); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      ResultSetMetaData meta = rs.getMetaData();
      while (rs.next()) {
        StringBuilder row = new StringBuilder();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
          row.append(meta.getColumnName(i)).append('=').append(rs.getString(i)).append(';');
        }
        out.add(row.toString());
      }
    }
    out.sort(null);
    return out;
  }

  @Test
  void whatOneServerRegisteredAnotherServesAfterARestartOnAnEmptyDataDir(@TempDir Path firstDir, @TempDir Path secondDir,
      Database db) throws Exception {
    String sql = "SELECT * FROM \"robots\".\"rerun\".\"time_1\"";
    String password = db.parameter("password");
    List<String> before;
    try (ServerProcess server = ServerProcess.start(ServerProcess.DEFAULT_JVM_FLAGS, credentials(db), firstDir,
        "--catalog", db.urlWithoutCredentials(), "-d", "robots=" + Fixtures.path("dataset"))) {
      assertTrue(server.output().contains("catalog:          " + db.urlWithoutCredentials()), server.output());
      assertTrue(server.output().contains("dataset:          robots <- " + Fixtures.path("dataset") + " (12 partitions)"), server.output());
      before = rows(server, sql);
      assertFalse(server.output().contains(password), "the password must never be printed");
    }
    assertFalse(Files.exists(firstDir.resolve("catalog.db")), "nothing of the catalog in the data dir");
    assertFalse(before.isEmpty());
    // Another data dir, no -d: everything comes from PostgreSQL.
    try (ServerProcess server = ServerProcess.start(ServerProcess.DEFAULT_JVM_FLAGS, credentials(db), secondDir,
        "--catalog", db.urlWithoutCredentials())) {
      assertEquals(before, rows(server, sql));
      assertFalse(server.output().contains(password), "the password must never be printed");
    }
  }

  @Test
  void aPasswordInTheUrlIsNeverPrintedEvenWhenTheServerCannotStart(@TempDir Path dataDir, Database db) throws Exception {
    String wrong = db.url().replace("password=" + db.parameter("password"), "password=wrong-secret-123");
    ServerProcess.CliResult result = ServerProcess.cli("", "server", "--port", "0", "--data-dir", dataDir.toString(), "--catalog", wrong);
    assertEquals(1, result.exitCode(), result.out() + result.err());
    assertTrue((result.out() + result.err()).contains("Cannot open catalog"), result.out() + result.err());
    assertFalse((result.out() + result.err()).contains("wrong-secret-123"), result.out() + result.err());
  }

  @Test
  void killDashNineDuringRegistrationLeavesNoHalfFileAndReleasesTheCatalog(@TempDir Path dataDir, Database db) throws Exception {
    Path many = Fixtures.path("many");
    long files;
    try (Stream<Path> s = Files.list(many)) {
      files = s.filter(p -> p.toString().endsWith(".rrd")).count();
    }
    List<String> command = List.of(ServerProcess.javaBinary(), "-jar", ServerProcess.jar().toString(), "server", "--port", "0",
        "--data-dir", dataDir.toString(), "--catalog", db.url(), "-d", "many=" + many);
    Path log = dataDir.resolve("server.log");
    Process server = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline && !Files.readString(log).contains("registration: ")) {
      Thread.sleep(20);
    }
    server.destroyForcibly(); // SIGKILL: no shutdown hook, the connection just drops
    server.waitFor();
    assertEquals(137, server.exitValue(), "killed by SIGKILL");

    // PostgreSQL ends the dead session and with it the writer lock; the catalog opens at once.
    CatalogLocation location = new CatalogLocation.Postgres(db.url());
    try (Catalog c = openWhenReleased(location)) {
      Dataset d = c.datasetNamed("many");
      List<Partition> partitions = c.partitions(d.id());
      for (Partition p : partitions) {
        assertTrue(c.chunks(p).chunks().size() > 0, "every visible partition has its whole chunk index");
      }
      List<Task> tasks = c.tasks(d.id());
      assertEquals(files, tasks.size());
      assertTrue(partitions.size() > 0 && partitions.size() < files,
          "the kill must land mid-registration: " + partitions.size() + " of " + files + " files were committed");
      assertEquals(partitions.size(), tasks.stream().filter(t -> t.status() == TaskStatus.SUCCESS).count());
      tasks.stream().filter(t -> t.status() != TaskStatus.SUCCESS).forEach(t -> {
        assertEquals(TaskStatus.FAILED, t.status());
        assertTrue(t.message().startsWith("interrupted"), t.message());
      });
    }
  }

  /** The backend of a killed client ends when PostgreSQL notices the closed socket: at once on Linux, allow a little. */
  private static Catalog openWhenReleased(CatalogLocation location) throws InterruptedException, java.io.IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    java.nio.file.Path tables = java.nio.file.Files.createTempDirectory("rrdflight-tables");
    while (true) {
      // While the dead session's lock lingers the catalog opens as a fleet reader; the writer marks interrupted tasks.
      Catalog c = Catalog.open(location, new RrdRecordingIndexer(allocator), 1, RegistrationLimits.UNRESTRICTED,
          io.rrdflight.rrd.RecordingSources.localOnly(), tables);
      if (c.isWriter()) {
        return c;
      }
      c.close();
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the killed server's writer lock was not released in 20 s");
      }
      Thread.sleep(100);
    }
  }
}
