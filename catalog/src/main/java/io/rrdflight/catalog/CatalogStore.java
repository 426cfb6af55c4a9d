package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The catalog's persistent state in one SQLite database ({@code catalog.db} in the data dir). Every
 * change is one transaction, so a crash leaves either all of a registration or none of it. See the
 * module README for why SQLite. Thread-safe: every method holds this store's monitor, because the one
 * JDBC connection is shared and its transactions must never interleave (reads of chunk indexes and
 * schemas come from query threads without the catalog's lock).
 */
final class CatalogStore implements AutoCloseable {
  /** 3: dataset kinds and blueprint settings, partition sizes as Rerun counts them. */
  static final int SCHEMA_VERSION = 3;

  private final Connection db;

  private CatalogStore(Connection db) {
    this.db = db;
  }

  static CatalogStore open(Path file) {
    requireNonNull(file, "file is null");
    OwnerOnlyFiles.createOrRestrict(file);
    // SQLite gives the -wal and -shm files the database file's mode; older ones are fixed here too.
    OwnerOnlyFiles.restrictIfPresent(file.resolveSibling(file.getFileName() + "-wal"));
    OwnerOnlyFiles.restrictIfPresent(file.resolveSibling(file.getFileName() + "-shm"));
    SqliteNativeLibrary.preferCachedCopy();
    try {
      Connection db = DriverManager.getConnection("jdbc:sqlite:" + file);
      try (Statement s = db.createStatement()) {
        // WAL + FULL sync: a committed registration survives a crash or power loss.
        s.execute("PRAGMA journal_mode=WAL");
        s.execute("PRAGMA synchronous=FULL");
        s.execute("PRAGMA foreign_keys=ON");
        s.execute("PRAGMA busy_timeout=10000");
        s.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
        s.execute("""
            CREATE TABLE IF NOT EXISTS datasets (
              id TEXT PRIMARY KEY,
              name TEXT NOT NULL UNIQUE,
              kind TEXT NOT NULL,
              blueprint_dataset_id TEXT,
              default_blueprint TEXT,
              created_at_ns INTEGER NOT NULL,
              updated_at_ns INTEGER NOT NULL)""");
        s.execute("""
            CREATE TABLE IF NOT EXISTS partitions (
              dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
              partition_id TEXT NOT NULL,
              layer TEXT NOT NULL,
              storage_url TEXT NOT NULL,
              file_path TEXT NOT NULL,
              file_size INTEGER NOT NULL,
              file_modified_ns INTEGER NOT NULL,
              chunk_count INTEGER NOT NULL,
              row_count INTEGER NOT NULL,
              size_bytes INTEGER NOT NULL,
              registered_at_ns INTEGER NOT NULL,
              chunk_index BLOB NOT NULL,
              schema BLOB NOT NULL,
              application_id TEXT NOT NULL,
              PRIMARY KEY (dataset_id, partition_id, layer))""");
        s.execute("""
            CREATE TABLE IF NOT EXISTS tasks (
              id TEXT PRIMARY KEY,
              dataset_id TEXT NOT NULL,
              source TEXT NOT NULL,
              layer TEXT NOT NULL,
              status TEXT NOT NULL,
              message TEXT,
              partition_ids TEXT NOT NULL,
              created_at_ns INTEGER NOT NULL,
              updated_at_ns INTEGER NOT NULL)""");
        // Tables came after schema version 3 and need no migration: the table is new, nothing else changes.
        s.execute("""
            CREATE TABLE IF NOT EXISTS table_entries (
              id TEXT PRIMARY KEY,
              name TEXT NOT NULL UNIQUE,
              path TEXT NOT NULL,
              created_at_ns INTEGER NOT NULL,
              updated_at_ns INTEGER NOT NULL)""");
        s.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', '" + SCHEMA_VERSION + "')");
      }
      String version = queryString(db, "SELECT value FROM meta WHERE key = 'schema_version'");
      if (!String.valueOf(SCHEMA_VERSION).equals(version)) {
        db.close();
        throw CatalogException.failed("Catalog " + file + " has schema version " + version
            + " but this rrdflight reads version " + SCHEMA_VERSION + "; use a matching rrdflight or another --data-dir", null);
      }
      db.setAutoCommit(false);
      return new CatalogStore(db);
    } catch (SQLException e) {
      throw CatalogException.failed("Cannot open catalog " + file + ": " + e.getMessage(), e);
    }
  }

  // --- datasets ---------------------------------------------------------------------------------

  /** Inserts datasets together (a dataset and its blueprint dataset): all or none. */
  synchronized void insertDatasets(List<Dataset> datasets) {
    inTransaction(() -> {
      try (PreparedStatement ps = db.prepareStatement("""
          INSERT INTO datasets(id, name, kind, blueprint_dataset_id, default_blueprint, created_at_ns, updated_at_ns)
          VALUES (?,?,?,?,?,?,?)""")) {
        for (Dataset d : datasets) {
          ps.setString(1, d.id().toHex());
          ps.setString(2, d.name());
          ps.setString(3, d.kind().word());
          ps.setString(4, d.blueprintDataset().map(EntryId::toHex).orElse(null));
          ps.setString(5, d.defaultBlueprint().orElse(null));
          ps.setLong(6, nanos(d.createdAt()));
          ps.setLong(7, nanos(d.updatedAt()));
          ps.executeUpdate();
        }
      }
    });
  }

  synchronized List<Dataset> datasets() {
    List<Dataset> out = new ArrayList<>();
    read(() -> {
      try (Statement s = db.createStatement();
          ResultSet rs = s.executeQuery("""
              SELECT id, name, kind, blueprint_dataset_id, default_blueprint, created_at_ns, updated_at_ns
              FROM datasets ORDER BY name""")) {
        while (rs.next()) {
          out.add(new Dataset(EntryId.parse(rs.getString(1)), rs.getString(2), DatasetKind.ofWord(rs.getString(3)),
              Optional.ofNullable(rs.getString(4)).map(EntryId::parse), Optional.ofNullable(rs.getString(5)),
              instant(rs.getLong(6)), instant(rs.getLong(7))));
        }
      }
    });
    return out;
  }

  /**
   * Deletes datasets (with their partitions and tasks) and writes the blueprint settings of
   * {@code changed} (datasets that pointed at a deleted one), in one transaction.
   */
  synchronized void deleteDatasets(List<EntryId> ids, List<Dataset> changed) {
    inTransaction(() -> {
      for (EntryId id : ids) {
        try (PreparedStatement ps = db.prepareStatement("DELETE FROM datasets WHERE id = ?")) {
          ps.setString(1, id.toHex());
          ps.executeUpdate();
        }
        try (PreparedStatement ps = db.prepareStatement("DELETE FROM tasks WHERE dataset_id = ?")) {
          ps.setString(1, id.toHex());
          ps.executeUpdate();
        }
      }
      for (Dataset d : changed) {
        writeBlueprints(d);
      }
    });
  }

  /** Stores a dataset's blueprint dataset and default blueprint, and its update time. */
  synchronized void updateBlueprints(Dataset d) {
    inTransaction(() -> writeBlueprints(d));
  }

  private void writeBlueprints(Dataset d) throws SQLException {
    try (PreparedStatement ps = db.prepareStatement(
        "UPDATE datasets SET blueprint_dataset_id = ?, default_blueprint = ?, updated_at_ns = ? WHERE id = ?")) {
      ps.setString(1, d.blueprintDataset().map(EntryId::toHex).orElse(null));
      ps.setString(2, d.defaultBlueprint().orElse(null));
      ps.setLong(3, nanos(d.updatedAt()));
      ps.setString(4, d.id().toHex());
      ps.executeUpdate();
    }
  }

  synchronized void renameDataset(EntryId id, String name, Instant now) {
    inTransaction(() -> {
      try (PreparedStatement ps = db.prepareStatement("UPDATE datasets SET name = ?, updated_at_ns = ? WHERE id = ?")) {
        ps.setString(1, name);
        ps.setLong(2, nanos(now));
        ps.setString(3, id.toHex());
        ps.executeUpdate();
      }
    });
  }

  // --- tables -----------------------------------------------------------------------------------

  synchronized void insertTable(Table t) {
    inTransaction(() -> {
      try (PreparedStatement ps = db.prepareStatement(
          "INSERT INTO table_entries(id, name, path, created_at_ns, updated_at_ns) VALUES (?,?,?,?,?)")) {
        ps.setString(1, t.id().toHex());
        ps.setString(2, t.name());
        ps.setString(3, t.path().toString());
        ps.setLong(4, nanos(t.createdAt()));
        ps.setLong(5, nanos(t.updatedAt()));
        ps.executeUpdate();
      }
    });
  }

  synchronized List<Table> tables() {
    List<Table> out = new ArrayList<>();
    read(() -> {
      try (Statement s = db.createStatement();
          ResultSet rs = s.executeQuery("SELECT id, name, path, created_at_ns, updated_at_ns FROM table_entries ORDER BY name")) {
        while (rs.next()) {
          out.add(new Table(EntryId.parse(rs.getString(1)), rs.getString(2), Path.of(rs.getString(3)),
              instant(rs.getLong(4)), instant(rs.getLong(5))));
        }
      }
    });
    return out;
  }

  synchronized void deleteTable(EntryId id) {
    inTransaction(() -> {
      try (PreparedStatement ps = db.prepareStatement("DELETE FROM table_entries WHERE id = ?")) {
        ps.setString(1, id.toHex());
        ps.executeUpdate();
      }
    });
  }

  synchronized void renameTable(EntryId id, String name, Instant now) {
    inTransaction(() -> {
      try (PreparedStatement ps = db.prepareStatement("UPDATE table_entries SET name = ?, updated_at_ns = ? WHERE id = ?")) {
        ps.setString(1, name);
        ps.setLong(2, nanos(now));
        ps.setString(3, id.toHex());
        ps.executeUpdate();
      }
    });
  }

  // --- partitions -------------------------------------------------------------------------------

  /** A partition with its serialised chunk index, as registration produces it. */
  record IndexedPartition(Partition partition, byte[] chunkIndex, DatasetSchema schema) {}

  /**
   * Commits a finished registration in one transaction: its partitions (replacing those listed in
   * {@code replaced}) and the task's final state. Nothing of it is visible before the commit.
   */
  synchronized void commitRegistration(List<IndexedPartition> added, List<Partition> replaced, Task finished, Instant now) {
    inTransaction(() -> {
      for (Partition p : replaced) {
        try (PreparedStatement ps = db.prepareStatement("DELETE FROM partitions WHERE dataset_id = ? AND partition_id = ? AND layer = ?")) {
          ps.setString(1, p.datasetId().toHex());
          ps.setString(2, p.partitionId());
          ps.setString(3, p.layer());
          ps.executeUpdate();
        }
      }
      try (PreparedStatement ps = db.prepareStatement("""
          INSERT INTO partitions(dataset_id, partition_id, layer, storage_url, file_path, file_size, file_modified_ns,
                                 chunk_count, row_count, size_bytes, registered_at_ns, chunk_index, schema, application_id)
          VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)""")) {
        for (IndexedPartition ip : added) {
          Partition p = ip.partition();
          ps.setString(1, p.datasetId().toHex());
          ps.setString(2, p.partitionId());
          ps.setString(3, p.layer());
          ps.setString(4, p.storageUrl().toString());
          ps.setString(5, p.file().path().toString());
          ps.setLong(6, p.file().sizeBytes());
          ps.setLong(7, p.file().modifiedNanos());
          ps.setLong(8, p.chunkCount());
          ps.setLong(9, p.rowCount());
          ps.setLong(10, p.sizeBytes());
          ps.setLong(11, nanos(p.registeredAt()));
          ps.setBytes(12, ip.chunkIndex());
          ps.setBytes(13, ip.schema().toBytes());
          ps.setString(14, p.applicationId());
          ps.addBatch();
        }
        ps.executeBatch();
      }
      if (!added.isEmpty() || !replaced.isEmpty()) {
        touchDataset(finished.datasetId(), now);
      }
      upsertTask(finished);
    });
  }

  synchronized void deletePartitions(List<Partition> partitions, EntryId datasetId, Instant now) {
    inTransaction(() -> {
      for (Partition p : partitions) {
        try (PreparedStatement ps = db.prepareStatement("DELETE FROM partitions WHERE dataset_id = ? AND partition_id = ? AND layer = ?")) {
          ps.setString(1, p.datasetId().toHex());
          ps.setString(2, p.partitionId());
          ps.setString(3, p.layer());
          ps.executeUpdate();
        }
      }
      touchDataset(datasetId, now);
    });
  }

  synchronized List<Partition> partitions() {
    List<Partition> out = new ArrayList<>();
    read(() -> {
      try (Statement s = db.createStatement();
          ResultSet rs = s.executeQuery("""
              SELECT dataset_id, partition_id, layer, storage_url, file_path, file_size, file_modified_ns,
                     chunk_count, row_count, size_bytes, registered_at_ns, application_id
              FROM partitions ORDER BY dataset_id, partition_id, layer""")) {
        while (rs.next()) {
          out.add(new Partition(EntryId.parse(rs.getString(1)), rs.getString(2), rs.getString(3), URI.create(rs.getString(4)),
              new FileStamp(Path.of(rs.getString(5)), rs.getLong(6), rs.getLong(7)), rs.getLong(8), rs.getLong(9), rs.getLong(10),
              instant(rs.getLong(11)), rs.getString(12)));
        }
      }
    });
    return out;
  }

  Optional<byte[]> chunkIndex(EntryId datasetId, String partitionId, String layer) {
    return blob("chunk_index", datasetId, partitionId, layer);
  }

  Optional<byte[]> schema(EntryId datasetId, String partitionId, String layer) {
    return blob("schema", datasetId, partitionId, layer);
  }

  private synchronized Optional<byte[]> blob(String column, EntryId datasetId, String partitionId, String layer) {
    byte[][] found = new byte[1][];
    read(() -> {
      try (PreparedStatement ps = db.prepareStatement("SELECT " + column + " FROM partitions WHERE dataset_id = ? AND partition_id = ? AND layer = ?")) {
        ps.setString(1, datasetId.toHex());
        ps.setString(2, partitionId);
        ps.setString(3, layer);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            found[0] = rs.getBytes(1);
          }
        }
      }
    });
    return Optional.ofNullable(found[0]);
  }

  // --- tasks ------------------------------------------------------------------------------------

  synchronized void upsertTasks(List<Task> tasks) {
    inTransaction(() -> {
      for (Task t : tasks) {
        upsertTask(t);
      }
    });
  }

  synchronized List<Task> tasks() {
    List<Task> out = new ArrayList<>();
    read(() -> {
      try (Statement s = db.createStatement();
          ResultSet rs = s.executeQuery("""
              SELECT id, dataset_id, source, layer, status, message, partition_ids, created_at_ns, updated_at_ns
              FROM tasks ORDER BY created_at_ns""")) {
        while (rs.next()) {
          String ids = rs.getString(7);
          out.add(new Task(rs.getString(1), EntryId.parse(rs.getString(2)), URI.create(rs.getString(3)), rs.getString(4),
              TaskStatus.ofWord(rs.getString(5)), rs.getString(6), ids.isEmpty() ? List.of() : Arrays.asList(ids.split("\n")),
              instant(rs.getLong(8)), instant(rs.getLong(9))));
        }
      }
    });
    return out;
  }

  private void upsertTask(Task t) throws SQLException {
    try (PreparedStatement ps = db.prepareStatement("""
        INSERT INTO tasks(id, dataset_id, source, layer, status, message, partition_ids, created_at_ns, updated_at_ns)
        VALUES (?,?,?,?,?,?,?,?,?)
        ON CONFLICT(id) DO UPDATE SET status = excluded.status, message = excluded.message,
          partition_ids = excluded.partition_ids, updated_at_ns = excluded.updated_at_ns""")) {
      ps.setString(1, t.id());
      ps.setString(2, t.datasetId().toHex());
      ps.setString(3, t.source().toString());
      ps.setString(4, t.layer());
      ps.setString(5, t.status().word());
      ps.setString(6, t.message());
      ps.setString(7, String.join("\n", t.partitionIds()));
      ps.setLong(8, nanos(t.createdAt()));
      ps.setLong(9, nanos(t.updatedAt()));
      ps.executeUpdate();
    }
  }

  private void touchDataset(EntryId id, Instant now) throws SQLException {
    try (PreparedStatement ps = db.prepareStatement("UPDATE datasets SET updated_at_ns = ? WHERE id = ?")) {
      ps.setLong(1, nanos(now));
      ps.setString(2, id.toHex());
      ps.executeUpdate();
    }
  }

  @Override
  public synchronized void close() {
    try {
      db.close();
    } catch (SQLException e) {
      throw CatalogException.failed("Closing the catalog failed: " + e.getMessage(), e);
    }
  }

  // --- plumbing ---------------------------------------------------------------------------------

  @FunctionalInterface
  private interface SqlWork {
    void run() throws SQLException;
  }

  private void inTransaction(SqlWork work) {
    try {
      work.run();
      db.commit();
    } catch (SQLException e) {
      rollBack();
      throw translate(e);
    }
  }

  private void read(SqlWork work) {
    try {
      work.run();
      db.commit(); // ends the read transaction so WAL checkpoints can proceed
    } catch (SQLException e) {
      rollBack();
      throw translate(e);
    }
  }

  /**
   * Undoes a failed transaction and leaves the connection ready for the next one. On some errors
   * (SQLITE_FULL, SQLITE_IOERR) SQLite has already rolled back by itself; sqlite-jdbc's rollback
   * then fails before it opens the next transaction, and without the BEGIN here every later write
   * would fail with "cannot commit - no transaction is active" until a restart.
   */
  private void rollBack() {
    try {
      db.rollback();
    } catch (SQLException rollbackFailed) {
      try (Statement s = db.createStatement()) {
        s.execute("BEGIN");
      } catch (SQLException ignored) {
        // A transaction is still open after all; the next commit or rollback ends it.
      }
    }
  }

  private static CatalogException translate(SQLException e) {
    String msg = String.valueOf(e.getMessage());
    if (msg.contains("UNIQUE constraint failed: datasets.name")) {
      return CatalogException.alreadyExists("A dataset with that name already exists");
    }
    if (e.getErrorCode() == SQLITE_FULL) {
      return CatalogException.internal("The catalog cannot grow: the disk holding the data dir is full (" + msg
          + "); the change was rolled back", e);
    }
    return CatalogException.internal("Catalog store error: " + msg, e);
  }

  /** SQLite's primary result code for "database or disk is full". */
  private static final int SQLITE_FULL = 13;

  /**
   * Fault injection for tests: caps the database at {@code pages} pages, so the next write that
   * needs more fails exactly as a full disk does (SQLITE_FULL). A negative value lifts the cap.
   */
  synchronized void capPagesForTesting(long pages) {
    outsideTransaction(() -> {
      try (Statement s = db.createStatement()) {
        s.execute("PRAGMA max_page_count = " + (pages >= 0 ? pages : Integer.MAX_VALUE - 1L));
      }
    });
  }

  /** Pages the database uses now (for tests that cap it). */
  synchronized long pageCount() {
    long[] pages = new long[1];
    outsideTransaction(() -> pages[0] = Long.parseLong(queryString(db, "PRAGMA page_count")));
    return pages[0];
  }

  /** Runs a PRAGMA: sqlite-jdbc ends its implicit transaction on one, so run it in auto-commit mode. */
  private void outsideTransaction(SqlWork work) {
    try {
      db.setAutoCommit(true);
      try {
        work.run();
      } finally {
        db.setAutoCommit(false);
      }
    } catch (SQLException e) {
      throw translate(e);
    }
  }

  private static String queryString(Connection db, String sql) throws SQLException {
    try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  static long nanos(Instant t) {
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }

  static Instant instant(long nanos) {
    return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
  }
}
