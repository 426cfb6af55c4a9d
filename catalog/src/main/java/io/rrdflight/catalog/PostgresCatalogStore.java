package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.UnaryOperator;

/**
 * The catalog in a PostgreSQL database: the same tables and transactions as the embedded store
 * (every change one transaction, committed durably by the server). Several servers may share it (a
 * fleet), but one writes at a time: the writer holds a session-level advisory lock, which
 * PostgreSQL drops when the session ends, also when the process is killed. The others open it as
 * readers: every change they are asked for fails naming the writer, and {@link #tryBecomeWriter}
 * lets one of them take over once the writer is gone. Servers say they are alive in the
 * {@code fleet_nodes} table (a heartbeat, PostgreSQL's clock), which places query endpoints. Credentials come from the URL or from {@code PGUSER}/{@code PGPASSWORD}; no message
 * this class makes contains the password.
 */
final class PostgresCatalogStore extends JdbcCatalogStore {
  /** The advisory lock key of an rrdflight catalog ("rrdfligh" in ASCII). */
  static final long WRITER_LOCK_KEY = 0x7272_6466_6c69_6768L;
  private static final String UNIQUE_VIOLATION = "23505";

  private final CatalogLocation.Postgres location;
  private volatile boolean writer;

  private PostgresCatalogStore(Connection db, CatalogLocation.Postgres location, boolean writer) {
    super(db);
    this.location = location;
    this.writer = writer;
  }

  static PostgresCatalogStore open(CatalogLocation.Postgres location) {
    return open(location, System::getenv);
  }

  static PostgresCatalogStore open(CatalogLocation.Postgres location, UnaryOperator<String> environment) {
    requireNonNull(location, "location is null");
    Connection db = null;
    try {
      db = DriverManager.getConnection(location.jdbcUrl(), connectionProperties(location.jdbcUrl(), environment));
      boolean writer = tryWriterLock(db);
      createSchema(db, "BYTEA", location.toString());
      try (java.sql.Statement s = db.createStatement()) {
        s.execute("CREATE TABLE IF NOT EXISTS fleet_nodes (node_id TEXT PRIMARY KEY, location TEXT NOT NULL,"
            + " heartbeat_at TIMESTAMPTZ NOT NULL)");
        db.commit();
      }
      return new PostgresCatalogStore(db, location, writer);
    } catch (SQLException | RuntimeException e) {
      closeQuietly(db);
      if (e instanceof CatalogException c) {
        throw c;
      }
      throw CatalogException.failed("Cannot open catalog " + location + ": " + e.getMessage(), e);
    }
  }

  /** User and password from the environment when the URL has none; a name the server's sessions list shows. */
  static Properties connectionProperties(String url, UnaryOperator<String> environment) {
    Properties p = new Properties();
    String query = url.contains("?") ? url.substring(url.indexOf('?') + 1).toLowerCase(java.util.Locale.ROOT) : "";
    for (Map.Entry<String, String> e : Map.of("user", "PGUSER", "password", "PGPASSWORD").entrySet()) {
      boolean inUrl = ("&" + query).contains("&" + e.getKey() + "=");
      Optional.ofNullable(environment.apply(e.getValue())).filter(v -> !inUrl).ifPresent(v -> p.setProperty(e.getKey(), v));
    }
    p.setProperty("ApplicationName", "rrdflight pid " + ProcessHandle.current().pid());
    p.setProperty("tcpKeepAlive", "true");
    return p;
  }

  private static boolean tryWriterLock(Connection db) throws SQLException {
    boolean autoCommit = db.getAutoCommit();
    try (PreparedStatement ps = db.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
      ps.setLong(1, WRITER_LOCK_KEY);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    } finally {
      if (!autoCommit) {
        db.commit();
      }
    }
  }

  /**
   * Gives the writer lock back before closing: closing the connection alone frees it only when the
   * server's backend has exited, a moment later, and a server restarting at once would find it held.
   */
  @Override
  public synchronized void close() {
    if (writer) {
      try (PreparedStatement ps = db.prepareStatement("SELECT pg_advisory_unlock(?)")) {
        ps.setLong(1, WRITER_LOCK_KEY);
        ps.executeQuery().close();
        if (!db.getAutoCommit()) {
          db.commit();
        }
      } catch (SQLException ignored) {
        // the session ends next, which frees the lock anyway
      }
    }
    super.close();
  }

  @Override
  public boolean writable() {
    return writer;
  }

  /** Takes the writer lock when it is free (the writer stopped or died); true when this store is the writer now. */
  public synchronized boolean tryBecomeWriter() {
    if (!writer) {
      try {
        writer = tryWriterLock(db);
      } catch (SQLException e) {
        throw translate(e);
      }
    }
    return writer;
  }

  @Override
  protected void requireWritable() {
    if (!writer) {
      String holder;
      try {
        holder = holder(db);
        db.commit();
      } catch (SQLException e) {
        holder = "holder unknown";
      }
      throw CatalogException.failed("This server reads catalog " + location + " shared by a fleet; another rrdflight server (" + holder
          + ") writes it: make changes there (one server writes a catalog at a time)", null);
    }
  }

  @Override
  public synchronized void heartbeat(String nodeId, String nodeLocation) {
    try (PreparedStatement ps = db.prepareStatement("INSERT INTO fleet_nodes(node_id, location, heartbeat_at) VALUES (?, ?, now())"
        + " ON CONFLICT (node_id) DO UPDATE SET location = EXCLUDED.location, heartbeat_at = now()")) {
      ps.setString(1, nodeId);
      ps.setString(2, nodeLocation);
      ps.executeUpdate();
      db.commit();
    } catch (SQLException e) {
      throw translate(e);
    }
  }

  @Override
  public synchronized java.util.List<String> liveLocations(java.time.Duration within) {
    java.util.List<String> out = new java.util.ArrayList<>();
    try (PreparedStatement ps = db.prepareStatement(
        "SELECT location FROM fleet_nodes WHERE heartbeat_at > now() - make_interval(secs => ?) ORDER BY node_id")) {
      ps.setDouble(1, within.toMillis() / 1000.0);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      db.commit();
    } catch (SQLException e) {
      throw translate(e);
    }
    return out;
  }

  /** Who holds the writer lock, as PostgreSQL's session list names it. */
  private static String holder(Connection db) throws SQLException {
    try (PreparedStatement ps = db.prepareStatement("""
        SELECT a.application_name, host(a.client_addr) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.pid <> pg_backend_pid()""")) {
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          return rs.getString(1) + (rs.getString(2) == null ? "" : " from " + rs.getString(2));
        }
      }
    }
    return "holder unknown";
  }

  @Override
  public String describe() {
    return location.toString();
  }

  @Override
  protected void afterFailedRollback() {
    // PostgreSQL's driver leaves no transaction half-open; a broken connection fails the next call.
  }

  @Override
  protected CatalogException translate(SQLException e) {
    String msg = String.valueOf(e.getMessage());
    if (UNIQUE_VIOLATION.equals(e.getSQLState()) && msg.contains("datasets_name_key")) {
      return CatalogException.alreadyExists("A dataset with that name already exists");
    }
    if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
      return CatalogException.internal("The catalog database " + location + " cannot be reached (" + msg
          + "); the change was not stored", e);
    }
    return CatalogException.internal("Catalog store error: " + msg, e);
  }
}
