package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The embedded store, the default: one SQLite database ({@code catalog.db} in the data dir) in WAL
 * mode with {@code synchronous=FULL}, so a committed registration survives a crash or power loss.
 * See the module README for why SQLite.
 */
final class SqliteCatalogStore extends JdbcCatalogStore {
  /** SQLite's primary result code for "database or disk is full". */
  private static final int SQLITE_FULL = 13;

  private final Path file;

  private SqliteCatalogStore(Connection db, Path file) {
    super(db);
    this.file = file;
  }

  static SqliteCatalogStore open(Path file) {
    requireNonNull(file, "file is null");
    OwnerOnlyFiles.createOrRestrict(file);
    // SQLite gives the -wal and -shm files the database file's mode; older ones are fixed here too.
    OwnerOnlyFiles.restrictIfPresent(file.resolveSibling(file.getFileName() + "-wal"));
    OwnerOnlyFiles.restrictIfPresent(file.resolveSibling(file.getFileName() + "-shm"));
    return connect(file.toString(), file);
  }

  /**
   * The one-time work of a process's first open (sqlite-jdbc's driver and native library, the schema's
   * statements, reading a whole catalog: classes initialised, call sites linked), done on an empty in-memory
   * database, so that it touches no file. A failure is left for the real open to meet and report.
   */
  static void warmUp() {
    try (SqliteCatalogStore store = connect(":memory:", Path.of(":memory:"))) {
      store.generation();
      store.datasets();
      store.tables();
      store.partitions();
      store.compactedCopies();
      store.tasks();
    } catch (RuntimeException e) {
      // Only a head start.
    }
  }

  /** Opens {@code database} (a file name, or {@code :memory:}), with the schema made when missing. */
  private static SqliteCatalogStore connect(String database, Path file) {
    Connection db = null;
    try {
      db = SqliteConnections.open(database);
      try (Statement s = db.createStatement()) {
        s.execute("PRAGMA journal_mode=WAL");
        s.execute("PRAGMA synchronous=FULL");
        s.execute("PRAGMA foreign_keys=ON");
        s.execute("PRAGMA busy_timeout=10000");
      }
      createSchema(db, "BLOB", database);
      return new SqliteCatalogStore(db, file);
    } catch (SQLException | RuntimeException e) {
      closeQuietly(db);
      if (e instanceof CatalogException c) {
        throw c;
      }
      throw CatalogException.failed("Cannot open catalog " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String describe() {
    return file.toString();
  }

  /**
   * On some errors (SQLITE_FULL, SQLITE_IOERR) SQLite has already rolled back by itself;
   * sqlite-jdbc's rollback then fails before it opens the next transaction, and without the BEGIN
   * here every later write would fail with "cannot commit - no transaction is active" until a restart.
   */
  @Override
  protected void afterFailedRollback() {
    try (Statement s = db.createStatement()) {
      s.execute("BEGIN");
    } catch (SQLException ignored) {
      // A transaction is still open after all; the next commit or rollback ends it.
    }
  }

  @Override
  protected CatalogException translate(SQLException e) {
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
}
