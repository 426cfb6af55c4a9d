package io.rrdflight.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.catalog.PostgresCluster.Database;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every {@link CatalogTest} again, with the catalog in a real PostgreSQL database (a new one per
 * test, see {@link PostgresCluster}); plus what only the PostgreSQL store has: its writer lock and
 * its credentials.
 */
@ExtendWith(PostgresCluster.class)
class PostgresCatalogTest extends CatalogTest {
  private Database database;

  @BeforeEach
  void database(Database database) {
    this.database = database;
  }

  private CatalogLocation.Postgres location() {
    return new CatalogLocation.Postgres(database.url());
  }

  @Override
  Catalog open(RecordingIndexer indexer, int threads) {
    return Catalog.open(location(), indexer, threads, RegistrationLimits.UNRESTRICTED, io.rrdflight.rrd.RecordingSources.localOnly(),
        dataDir.resolve("tables"));
  }

  @Override
  CatalogStore openStore() {
    return PostgresCatalogStore.open(location());
  }

  @Test
  void recordingsOfSmallChunksAreNotCompactedAndSaySo() throws Exception {
    try (org.apache.arrow.memory.BufferAllocator allocator = new org.apache.arrow.memory.RootAllocator();
        Catalog catalog = open(new RrdRecordingIndexer(allocator), 1)) {
      Dataset d = catalog.createDataset("small");
      Task task = catalog.register(d.id(), DataSource.of(RrdRecordingIndexerTest.fixture("small-chunks/small-chunks.rrd").toUri().toString(), null),
          OnDuplicate.ERROR, java.time.Duration.ofSeconds(120));
      assertEquals(TaskStatus.SUCCESS, task.status(), String.valueOf(task.message()));
      catalog.awaitCompactions(java.time.Duration.ofSeconds(120));
      Partition p = catalog.partitions(d.id()).get(0);
      assertTrue(p.compacted().isEmpty(), "copies in one server's data dir would not serve a fleet");
      assertEquals(CompactionState.SKIPPED, catalog.compactionState(p));
      assertEquals(p.chunkCount(), p.servedChunkCount());
    }
  }

  @Test
  void aSecondServerReadsTheCatalogAndItsChangesFailNamingTheWriter() {
    try (Catalog writer = open(new FileListIndexer(), 1); Catalog reader = open(new FileListIndexer(), 1)) {
      assertTrue(writer.isWriter());
      assertFalse(reader.isWriter());
      CatalogException e = assertThrows(CatalogException.class, () -> reader.createDataset("refused"));
      assertEquals(CatalogException.Kind.FAILED, e.kind());
      assertTrue(e.getMessage().contains("another rrdflight server") && e.getMessage().contains("writes it")
          && e.getMessage().contains("rrdflight pid " + ProcessHandle.current().pid()), e.getMessage());
      assertFalse(e.getMessage().contains(database.parameter("password")), "no password in messages: " + e.getMessage());
      assertTrue(reader.datasets().isEmpty());
      // The writer's change reaches the reader at its next refresh (the server polls).
      writer.createDataset("still-works");
      assertTrue(reader.refresh());
      assertEquals("still-works", reader.datasets().get(0).name());
      assertFalse(reader.refresh(), "nothing changed since");
    }
    // The lock goes with the session: the next open is the writer and sees what the first one wrote.
    try (Catalog again = open(new FileListIndexer(), 1)) {
      assertTrue(again.isWriter());
      assertEquals("still-works", again.datasets().get(0).name());
    }
  }

  @Test
  void aReaderDropsATableTheWriterDeletedAndSyncsAnOlderDirectoryDatasetWithoutWriting() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createDirectory(files.resolve("runs"));
    java.nio.file.Files.write(dir.resolve("a.rrd"), java.util.List.of("rec-a"));
    try (Catalog writer = open(new FileListIndexer(), 1); Catalog reader = open(new FileListIndexer(), 1)) {
      Table labels = createTable(writer, "labels");
      // A directory dataset as an older rrdflight left it: no blueprint or asset dataset.
      Dataset older = writer.createDataset("runs");
      Task task = writer.register(older.id(), DataSource.of(dir.resolve("a.rrd").toUri().toString(), null), OnDuplicate.ERROR,
          java.time.Duration.ofSeconds(30));
      assertEquals(TaskStatus.SUCCESS, task.status(), String.valueOf(task.message()));
      assertTrue(reader.refresh());
      assertEquals(java.util.List.of("labels"), reader.tables().stream().map(Table::name).toList());

      writer.deleteTable(labels.id());
      assertTrue(reader.refresh());
      assertTrue(reader.tables().isEmpty(), "a table the writer deleted is gone from the reader too");
      // The reader's own -d sync of the unchanged directory reads only: it leaves the companions to the writer.
      assertTrue(reader.syncDirectory("runs", dir, java.time.Duration.ofSeconds(30)).isEmpty());
    }
  }

  @Test
  void aRefreshThatCannotReadTheCatalogKeepsWhatTheReaderHad() throws Exception {
    try (Catalog writer = open(new FileListIndexer(), 1); Catalog reader = open(new FileListIndexer(), 1)) {
      writer.createDataset("kept");
      assertTrue(reader.refresh());
      // A row this rrdflight cannot read, as a later version's new dataset kind would be to an older reader.
      try (java.sql.Connection c = java.sql.DriverManager.getConnection(database.url()); java.sql.Statement s = c.createStatement()) {
        s.executeUpdate("INSERT INTO datasets(id, name, kind, created_at_ns, updated_at_ns) VALUES ('"
            + EntryId.random().toHex() + "', 'later', 'hologram', 0, 0)");
        s.executeUpdate("UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE key = 'generation'");
      }
      assertThrows(RuntimeException.class, reader::refresh);
      assertEquals(java.util.List.of("kept"), reader.datasets().stream().map(Dataset::name).toList(), "the last catalog read stays served");
    }
  }

  @Test
  void aReaderTakesOverWhenTheWriterStops() throws InterruptedException {
    Catalog writer = open(new FileListIndexer(), 1);
    try (Catalog reader = open(new FileListIndexer(), 1)) {
      writer.createDataset("before");
      writer.close();
      assertTrue(reader.refresh(), "the writer's change is read");
      // PostgreSQL ends the closed session (and frees its lock) a moment later: poll, as the server does.
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
      while (!reader.isWriter() && System.nanoTime() < deadline) {
        Thread.sleep(50);
        reader.refresh();
      }
      assertTrue(reader.isWriter());
      reader.createDataset("after");
      assertEquals(java.util.List.of("after", "before"), reader.datasets().stream().map(Dataset::name).sorted().toList());
    } finally {
      writer.close();
    }
  }

  @Test
  void liveNodesAreThoseWithARecentHeartbeat() {
    try (Catalog a = open(new FileListIndexer(), 1); Catalog b = open(new FileListIndexer(), 1)) {
      a.heartbeat("node-a", "grpc://a:1");
      b.heartbeat("node-b", "grpc://b:2");
      assertEquals(java.util.List.of("grpc://a:1", "grpc://b:2"), b.liveLocations(java.time.Duration.ofSeconds(30)));
      assertEquals(java.util.List.of(), a.liveLocations(java.time.Duration.ZERO));
    }
  }

  @Test
  void credentialsComeFromTheEnvironmentWhenTheUrlHasNone() {
    String user = database.parameter("user");
    String password = database.parameter("password");
    CatalogLocation.Postgres bare = new CatalogLocation.Postgres(database.urlWithoutCredentials());
    Map<String, String> env = Map.of("PGUSER", user, "PGPASSWORD", password);
    try (PostgresCatalogStore store = PostgresCatalogStore.open(bare, env::get)) {
      assertEquals(0, store.datasets().size());
    }
    Map<String, String> wrong = Map.of("PGUSER", user, "PGPASSWORD", "not-" + password);
    CatalogException e = assertThrows(CatalogException.class, () -> PostgresCatalogStore.open(bare, wrong::get));
    assertTrue(e.getMessage().contains("Cannot open catalog") && e.getMessage().contains(database.name()), e.getMessage());
    assertFalse(e.getMessage().contains(password), e.getMessage());
  }

  @Test
  void theLocationNeverShowsAPassword() {
    CatalogLocation.Postgres location = location();
    assertFalse(location.toString().contains(database.parameter("password")), location.toString());
    assertTrue(location.toString().contains("password=***"), location.toString());
    CatalogException notPostgres = assertThrows(CatalogException.class, () -> CatalogLocation.parse("jdbc:mysql://db/x?password=secret"));
    assertEquals(CatalogException.Kind.INVALID_ARGUMENT, notPostgres.kind());
    assertFalse(notPostgres.getMessage().contains("secret"), notPostgres.getMessage());
  }
}
