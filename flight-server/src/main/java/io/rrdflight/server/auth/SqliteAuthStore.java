package io.rrdflight.server.auth;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import io.rrdflight.catalog.SqliteConnections;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The auth state of one data dir (a server with its own SQLite catalog): the key in {@code server.key}
 * ({@link ServerKey}), token records and users in their own SQLite file {@code auth.db} (mode 0600)
 * next to the catalog. SQLite because the CLI adds and revokes tokens while a server runs, in another
 * process: its locking makes those writes safe and visible to the server's next check without a
 * reload. A file of its own, not a table in the catalog, so that {@code rrdflight token} works while a
 * server holds the catalog, and so that auth does not depend on the catalog's schema.
 *
 * <p>The cache is dropped whenever the file changes: SQLite (in its rollback-journal mode, which this
 * store keeps) bumps the change counter in the file's header on every commit, by any process. Reading
 * those four bytes costs a {@code pread}; a query costs ~100 us of locking and parsing. A revocation by
 * {@code rrdflight token revoke} is therefore seen by the very next call.
 */
public final class SqliteAuthStore extends JdbcAuthStore {
  public static final String FILE_NAME = "auth.db";
  /** Where SQLite keeps its file change counter (a big-endian int) in the database header. */
  private static final int CHANGE_COUNTER_OFFSET = 24;

  private final Path dataDir;
  private final Connection db;
  private final FileChannel header;
  private final ByteBuffer counter = ByteBuffer.allocate(4);

  private SqliteAuthStore(Path dataDir, Connection db, FileChannel header) {
    super("");
    this.dataDir = dataDir;
    this.db = db;
    this.header = header;
  }

  public static SqliteAuthStore open(Path dataDir) throws IOException {
    requireNonNull(dataDir, "dataDir is null");
    Files.createDirectories(dataDir);
    Path file = dataDir.resolve(FILE_NAME);
    if (!Files.exists(file)) {
      try {
        // SQLite gives its journal the database file's mode, so 0600 here covers both.
        Files.createFile(file, PosixFilePermissions.asFileAttribute(ServerKey.OWNER_ONLY));
      } catch (java.nio.file.FileAlreadyExistsException raced) {
        // another process made it first
      }
    }
    // Checked every time, not only when made: anyone who can write it can add themselves as an admin,
    // anyone who can read it has every user's password hash.
    ServerKey.refuseIfOthersMayAccess(file, "auth store");
    try {
      Connection db = SqliteConnections.open(file.toString());
      try (Statement s = db.createStatement()) {
        s.execute("PRAGMA busy_timeout=10000");
        s.execute("PRAGMA journal_mode=DELETE"); // the change counter the cache relies on is not bumped in WAL mode
        s.execute("PRAGMA synchronous=FULL");
        createTables(s, "");
      } catch (SQLException e) {
        db.close();
        throw e;
      }
      return new SqliteAuthStore(dataDir, db, FileChannel.open(file, StandardOpenOption.READ));
    } catch (SQLException e) {
      throw new IOException("cannot open " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public ServerKey serverKey() throws IOException {
    return ServerKey.loadOrCreate(dataDir);
  }

  @Override
  protected Connection db() {
    return db;
  }

  @Override
  protected long changes() {
    try {
      counter.clear();
      while (counter.hasRemaining() && header.read(counter, CHANGE_COUNTER_OFFSET + counter.position()) > 0) {
        // a short read of a 4-byte header field only happens on a file still being created
      }
      return counter.hasRemaining() ? UNKNOWN : counter.getInt(0);
    } catch (IOException e) {
      return UNKNOWN; // cannot tell: treat as changed
    }
  }

  @Override
  public String describe() {
    return dataDir.resolve(FILE_NAME).toString();
  }

  @Override
  public synchronized void close() {
    try {
      db.close();
      header.close();
    } catch (SQLException | IOException e) {
      // Read-mostly; nothing is lost.
    }
  }
}
