package io.rrdflight.catalog;

import static io.rrdflight.catalog.CatalogTest.source;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.catalog.CatalogTest.FileListIndexer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The catalog as a shared resource: one process per data dir, files only its owner can read, and a
 * full disk that fails a registration without leaving anything half-done. (The shared connection
 * under concurrent readers and writers is tested in {@link CatalogTest}, for both stores.)
 */
class CatalogSafetyTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dataDir;
  @TempDir Path files;

  private Path file(String name, String... recordingIds) throws IOException {
    return Files.write(files.resolve(name), List.of(recordingIds));
  }

  @Test
  void theLockFileHoldsOnlyTheCurrentHoldersPidAfterALongerOne() throws IOException {
    // A lock file left by a process with a longer pid: the next holder's pid replaces it whole, or the
    // second server's message would read a mix of both.
    Files.writeString(dataDir.resolve(DataDirLock.FILE_NAME), "123456789012345\n");
    try (Catalog catalog = Catalog.open(dataDir, new FileListIndexer(), 1)) {
      assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(dataDir.resolve(DataDirLock.FILE_NAME)));
    }
  }

  @Test
  void aSecondOpenOfTheSameDataDirFailsNamingTheHolder() {
    try (Catalog first = Catalog.open(dataDir, new FileListIndexer(), 1)) {
      CatalogException e = assertThrows(CatalogException.class, () -> Catalog.open(dataDir, new FileListIndexer(), 1));
      assertTrue(e.getMessage().contains(dataDir.toString()) && e.getMessage().contains("pid " + ProcessHandle.current().pid()),
          e.getMessage());
      first.createDataset("still-works");
    }
    // Released on close: the next open succeeds and sees what the first one wrote.
    try (Catalog again = Catalog.open(dataDir, new FileListIndexer(), 1)) {
      assertEquals("still-works", again.datasets().get(0).name());
    }
  }

  @Test
  void catalogFilesAreReadableByTheOwnerOnly() throws Exception {
    Path fresh = dataDir.resolve("fresh");
    try (Catalog c = Catalog.open(fresh, new FileListIndexer(), 1)) {
      c.register(c.createDataset("ds").id(), source(file("a.rrd", "rec-a")), OnDuplicate.ERROR, WAIT);
      assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(fresh)));
      for (String name : List.of("catalog.db", "catalog.db-wal", "catalog.db-shm", DataDirLock.FILE_NAME)) {
        Path f = fresh.resolve(name);
        assertTrue(Files.exists(f), name);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), name);
      }
    }
  }

  @Test
  void existingCatalogFilesAreRestrictedOnOpen() throws Exception {
    try (Catalog c = Catalog.open(dataDir, new FileListIndexer(), 1)) {
      c.createDataset("ds");
    }
    Files.setPosixFilePermissions(dataDir.resolve("catalog.db"), PosixFilePermissions.fromString("rw-r--r--"));
    try (Catalog c = Catalog.open(dataDir, new FileListIndexer(), 1)) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir.resolve("catalog.db"))));
    }
  }

  @Test
  void aFullDiskFailsTheRegistrationAndKeepsTheCatalogConsistent() throws Exception {
    Dataset d;
    try (Catalog c = Catalog.open(dataDir, new FileListIndexer(), 1)) {
      d = c.createDataset("ds");
      assertEquals(TaskStatus.SUCCESS, c.register(d.id(), source(file("a.rrd", "rec-a")), OnDuplicate.ERROR, WAIT).status());
      // Fault injection: the database may not grow by a single page, as on a full disk. The
      // partition carries a large chunk index, so committing it needs new pages.
      sqlite(c).capPagesForTesting(sqlite(c).pageCount() + 2);
      Path big = files.resolve("big.rrd");
      Files.writeString(big, "rec-big-" + "x".repeat(200_000));
      Task failed = c.register(d.id(), source(big), OnDuplicate.ERROR, WAIT);
      assertEquals(TaskStatus.FAILED, failed.status());
      assertTrue(failed.message().contains("disk") && failed.message().contains(big.toString()), failed.message());
      assertEquals(List.of("rec-a"), c.partitions(d.id()).stream().map(Partition::partitionId).toList());
      // The server carries on: once there is room again, the same file registers.
      sqlite(c).capPagesForTesting(-1);
      assertEquals(TaskStatus.SUCCESS, c.register(d.id(), source(big), OnDuplicate.ERROR, WAIT).status());
    }
    assertEquals("ok", integrityCheck(dataDir.resolve("catalog.db")));
    try (Catalog c = Catalog.open(dataDir, new FileListIndexer(), 1)) {
      assertEquals(2, c.partitions(d.id()).size());
      for (Partition p : c.partitions(d.id())) {
        assertTrue(c.chunkIndex(p).length > 0);
      }
    }
  }

  @Test
  void aFileTheDiskCannotTakeFailsAloneAndTheOthersOfItsGroupAreCommitted() throws Exception {
    try (Catalog c = Catalog.open(dataDir, new FileListIndexer(), 2)) {
      Dataset d = c.createDataset("ds");
      c.register(d.id(), source(file("seed.rrd", "rec-seed")), OnDuplicate.ERROR, WAIT);
      // Room for the small files, not for the big one: a group holding it fails as a whole, then
      // each of its files is committed on its own.
      sqlite(c).capPagesForTesting(sqlite(c).pageCount() + 30);
      Path big = files.resolve("big.rrd");
      Files.writeString(big, "rec-big-" + "x".repeat(400_000));
      List<DataSource> sources = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        sources.add(source(file("small" + i + ".rrd", "rec-" + i)));
        if (i == 10) {
          sources.add(source(big));
        }
      }
      List<Task> done = c.awaitFinished(c.submit(d.id(), sources, OnDuplicate.ERROR).stream().map(Task::id).toList(), WAIT);
      for (Task t : done) {
        if (t.source().equals(big.toUri())) {
          assertEquals(TaskStatus.FAILED, t.status());
          assertTrue(t.message().contains("disk") && t.message().contains(big.toString()), t.message());
        } else {
          assertEquals(TaskStatus.SUCCESS, t.status(), t.message());
        }
      }
      assertEquals(21, c.partitions(d.id()).size());
      sqlite(c).capPagesForTesting(-1);
    }
    assertEquals("ok", integrityCheck(dataDir.resolve("catalog.db")));
  }

  @Test
  void aVersion3CatalogIsUpgradedInPlaceAndANewerOneIsRefusedByItsVersion() throws Exception {
    try (Catalog c = Catalog.open(dataDir, new FileListIndexer(), 1)) {
      c.createDatasetWithCompanions("runs");
    }
    Path db = dataDir.resolve("catalog.db");
    assertEquals(String.valueOf(JdbcCatalogStore.SCHEMA_VERSION), schemaVersion(db, null));
    schemaVersion(db, "3");  // as the rrdflight before asset datasets left it
    try (Catalog c = Catalog.open(dataDir, new FileListIndexer(), 1)) {
      assertEquals(List.of("runs"), c.datasets().stream().map(Dataset::name).toList());
    }
    assertEquals(String.valueOf(JdbcCatalogStore.SCHEMA_VERSION), schemaVersion(db, null), "upgraded, so an older rrdflight refuses it at open");

    schemaVersion(db, String.valueOf(JdbcCatalogStore.SCHEMA_VERSION + 1));  // as a later rrdflight might leave it
    CatalogException refused = assertThrows(CatalogException.class, () -> Catalog.open(dataDir, new FileListIndexer(), 1));
    assertTrue(refused.getMessage().contains("has schema version " + (JdbcCatalogStore.SCHEMA_VERSION + 1)), refused.getMessage());
  }

  /** The catalog's schema version; first set to {@code set} unless that is null. */
  private static String schemaVersion(Path db, String set) throws Exception {
    try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = connection.createStatement()) {
      if (set != null) {
        s.executeUpdate("UPDATE meta SET value = '" + set + "' WHERE key = 'schema_version'");
      }
      try (ResultSet rs = s.executeQuery("SELECT value FROM meta WHERE key = 'schema_version'")) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  private static SqliteCatalogStore sqlite(Catalog c) {
    return (SqliteCatalogStore) c.store();
  }

  static String integrityCheck(Path db) throws Exception {
    try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
      return rs.next() ? rs.getString(1) : "no answer";
    }
  }
}
