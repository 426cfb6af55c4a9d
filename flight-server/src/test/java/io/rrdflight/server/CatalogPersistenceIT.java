package io.rrdflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.Partition;
import io.rrdflight.catalog.RrdRecordingIndexer;
import io.rrdflight.catalog.Task;
import io.rrdflight.catalog.TaskStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The catalog survives the real server process: a clean restart, and kill -9 in the middle of
 * registering a directory. After the server is gone, the test opens the same data dir with the
 * catalog code the server uses, and looks.
 */
class CatalogPersistenceIT {

  private static final BufferAllocator allocator = new RootAllocator();

  @AfterAll
  static void closeAllocator() {
    allocator.close();
  }

  private static Catalog openCatalog(Path dataDir) {
    return Catalog.open(dataDir, new RrdRecordingIndexer(allocator), 1);
  }

  private static List<String> partitionIds(Catalog c, String dataset) {
    return c.partitions(c.datasetNamed(dataset).id()).stream().map(Partition::partitionId).toList();
  }

  static String integrityCheck(Path db) throws Exception {
    try (java.sql.Connection connection = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
        java.sql.Statement s = connection.createStatement();
        java.sql.ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
      return rs.next() ? rs.getString(1) : "no answer";
    }
  }

  private static List<String> expectedDatasetIds() throws Exception {
    try (Stream<Path> files = Files.list(Fixtures.path("dataset"))) {
      return files.map(p -> p.getFileName().toString().replace(".rrd", "")).sorted().toList();
    }
  }

  @Test
  void datasetsAndPartitionsAreBackAfterARestartWithoutDuplicates(@TempDir Path dataDir) throws Exception {
    Path dir = Fixtures.path("dataset");
    try (ServerProcess server = ServerProcess.start(dataDir, "-d", "robots=" + dir)) {
      assertTrue(server.output().contains("dataset:          robots <- " + dir + " (12 partitions)"), server.output());
    }
    Dataset first;
    try (Catalog c = openCatalog(dataDir)) {
      first = c.datasetNamed("robots");
      assertEquals(expectedDatasetIds(), partitionIds(c, "robots"));
    }
    try (ServerProcess server = ServerProcess.start(dataDir, "-d", "robots=" + dir)) {
      assertTrue(server.output().contains("(12 partitions)"), server.output());
      assertTrue(server.output().contains("0 new or changed, 12 unchanged"), server.output());
    }
    try (Catalog c = openCatalog(dataDir)) {
      assertEquals(first.id(), c.datasetNamed("robots").id(), "entry ids are stable across restarts");
      assertEquals(expectedDatasetIds(), partitionIds(c, "robots"));
    }
  }

  @Test
  void killDashNineDuringRegistrationLeavesNoHalfRegisteredPartition(@TempDir Path dataDir) throws Exception {
    Path many = Fixtures.path("many");
    long files;
    try (Stream<Path> s = Files.list(many)) {
      files = s.filter(p -> p.toString().endsWith(".rrd")).count();
    }
    // Start registering 1,000 files, then kill -9 as soon as some have been committed.
    List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", ServerProcess.jar().toString(), "server", "--port", "0", "--data-dir", dataDir.toString(), "-d", "many=" + many);
    Process server = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dataDir.resolve("server.log").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline && !Files.readString(dataDir.resolve("server.log")).contains("registration: ")) {
      Thread.sleep(20);
    }
    server.destroyForcibly(); // SIGKILL: no shutdown hook, no flush
    server.waitFor();
    assertEquals(137, server.exitValue(), "killed by SIGKILL");
    // SQLite's own check of the file the killed process was writing: pages, indexes, free lists.
    assertEquals("ok", integrityCheck(dataDir.resolve("catalog.db")));

    int committedBefore;
    try (Catalog c = openCatalog(dataDir)) {
      Dataset d = c.datasetNamed("many");
      List<Partition> partitions = c.partitions(d.id());
      committedBefore = partitions.size();
      for (Partition p : partitions) {
        assertTrue(c.chunks(p).chunks().size() > 0, "every visible partition has its whole chunk index");
      }
      // Every task of the killed run is still there: finished ones with their partition, the
      // interrupted ones failed with a message, none silently gone.
      List<Task> tasks = c.tasks(d.id());
      assertEquals(files, tasks.size());
      assertTrue(committedBefore > 0 && committedBefore < files,
          "the kill must land mid-registration: " + committedBefore + " of " + files + " files were committed");
      long succeeded = tasks.stream().filter(t -> t.status() == TaskStatus.SUCCESS).count();
      assertEquals(committedBefore, succeeded);
      tasks.stream().filter(t -> t.status() != TaskStatus.SUCCESS).forEach(t -> {
        assertEquals(TaskStatus.FAILED, t.status());
        assertTrue(t.message().startsWith("interrupted"), t.message());
      });
    }
    // Restart with the same flag: the registrations that finished stay, the rest are done now.
    try (ServerProcess restarted = ServerProcess.start(dataDir, "-d", "many=" + many)) {
      assertTrue(restarted.output().contains("(" + files + " partitions)"), restarted.output());
      assertTrue(restarted.output().contains((files - committedBefore) + " new or changed"), restarted.output());
    }
    try (Catalog c = openCatalog(dataDir)) {
      assertEquals(files, partitionIds(c, "many").size());
    }
  }
}
