package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;
import org.sqlite.JDBC;

/**
 * Opens SQLite databases through sqlite-jdbc's driver itself, not {@link java.sql.DriverManager}: the
 * manager's first connection loads and initialises every driver the jar lists (Calcite's, Avatica's
 * remote one, PostgreSQL's), which a server start with an embedded catalog does not need before it is
 * ready (scripts/bench/README.md, "Start-up"). sqlite-jdbc is the driver the manager would have chosen
 * for a {@code jdbc:sqlite:} URL anyway, with the same URL and no properties.
 */
public final class SqliteConnections {
  private SqliteConnections() {}

  /** A connection to {@code database}: a file name, or {@code :memory:}. */
  public static Connection open(String database) throws SQLException {
    requireNonNull(database, "database is null");
    SqliteNativeLibrary.preferCachedCopy();
    return JDBC.createConnection(JDBC.PREFIX + database, new Properties());
  }
}
