package io.rrdflight.sql;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Properties;
import org.apache.calcite.jdbc.CalciteConnection;
import org.apache.calcite.jdbc.Driver;

/**
 * Plans and runs SQL with Apache Calcite. Each prepared query owns its own Calcite connection, so
 * queries never share mutable planner state across client threads.
 */
public final class SqlEngine {

  static {
    // Registers Calcite's in-process driver; DriverManager does not scan a shaded jar reliably.
    new Driver();
  }

  private final Properties connectionProperties;

  public SqlEngine() {
    Properties props = new Properties();
    // Double-quoted identifiers, names kept as written, matched without regard to case: what JDBC
    // tools and the Flight SQL metadata path expect (lex=JAVA's back-ticks broke them).
    props.setProperty("quoting", "DOUBLE_QUOTE");
    props.setProperty("unquotedCasing", "UNCHANGED");
    props.setProperty("quotedCasing", "UNCHANGED");
    props.setProperty("caseSensitive", "false");
    this.connectionProperties = props;
  }

  /** Parses, validates and plans {@code sql}; the result can be executed many times. */
  public PreparedQuery prepare(String sql) {
    java.util.Objects.requireNonNull(sql, "sql is null");
    Connection connection = null;
    try {
      connection = DriverManager.getConnection("jdbc:calcite:", connectionProperties);
      CalciteConnection calcite = connection.unwrap(CalciteConnection.class);
      PreparedStatement statement = calcite.prepareStatement(sql);
      return new PreparedQuery(sql, connection, statement);
    } catch (SQLException e) {
      closeQuietly(connection);
      throw new SqlQueryException(rootMessage(e), e);
    } catch (RuntimeException e) {
      closeQuietly(connection);
      throw new SqlQueryException(rootMessage(e), e);
    }
  }

  /** Calcite wraps the useful message (e.g. "Column 'x' not found") several causes deep. */
  static String rootMessage(Throwable e) {
    String best = e.getMessage();
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        best = t.getMessage();
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return best == null ? e.getClass().getSimpleName() : best;
  }

  private static void closeQuietly(Connection connection) {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // Already failing; the original error is the one to report.
      }
    }
  }
}
