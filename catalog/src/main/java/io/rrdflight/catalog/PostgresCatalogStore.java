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
 * (every change one transaction, committed durably by the server). One server writes a catalog at a
 * time, as with the data dir: the connection holds a session-level advisory lock, which PostgreSQL
 * drops when the session ends, also when the process is killed (the server notices the closed
 * connection). Credentials come from the URL or from {@code PGUSER}/{@code PGPASSWORD}; no message
 * this class makes contains the password.
 */
final class PostgresCatalogStore extends JdbcCatalogStore {
  /** The advisory lock key of an rrdflight catalog ("rrdfligh" in ASCII). */
  static final long WRITER_LOCK_KEY = 0x7272_6466_6c69_6768L;
  private static final String UNIQUE_VIOLATION = "23505";

  private final CatalogLocation.Postgres location;

  private PostgresCatalogStore(Connection db, CatalogLocation.Postgres location) {
    super(db);
    this.location = location;
  }

  static PostgresCatalogStore open(CatalogLocation.Postgres location) {
    return open(location, System::getenv);
  }

  static PostgresCatalogStore open(CatalogLocation.Postgres location, UnaryOperator<String> environment) {
    requireNonNull(location, "location is null");
    Connection db = null;
    try {
      db = DriverManager.getConnection(location.jdbcUrl(), connectionProperties(location.jdbcUrl(), environment));
      takeWriterLock(db, location);
      createSchema(db, "BYTEA", location.toString());
      return new PostgresCatalogStore(db, location);
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

  private static void takeWriterLock(Connection db, CatalogLocation.Postgres location) throws SQLException {
    try (PreparedStatement ps = db.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
      ps.setLong(1, WRITER_LOCK_KEY);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (rs.getBoolean(1)) {
          return;
        }
      }
    }
    throw CatalogException.failed("Catalog " + location + " is in use by another rrdflight server (" + holder(db)
        + "); one server writes a catalog at a time", null);
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
