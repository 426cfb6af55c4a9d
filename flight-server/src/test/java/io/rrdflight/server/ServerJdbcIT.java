package io.rrdflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real server process, queried with the Arrow Flight SQL JDBC driver. */
class ServerJdbcIT {
  @TempDir static Path dataDir;
  static ServerProcess server;

  @BeforeAll
  static void startServer() throws Exception {
    server = ServerProcess.start(dataDir);
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void selectOneReturnsOneRow() throws SQLException {
    try (Connection c = DriverManager.getConnection(server.jdbcUrl());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT 1")) {
      assertTrue(rs.next());
      assertEquals(1, rs.getInt(1));
      assertFalse(rs.next());
    }
  }

  @Test
  void preparedStatementBindsParameters() throws SQLException {
    try (Connection c = DriverManager.getConnection(server.jdbcUrl());
        PreparedStatement ps = c.prepareStatement("SELECT CAST(? AS INTEGER) + 1 AS answer, CAST(? AS VARCHAR) AS word")) {
      ps.setInt(1, 41);
      ps.setString(2, "rerun");
      try (ResultSet rs = ps.executeQuery()) {
        assertTrue(rs.next());
        assertEquals(42, rs.getInt("answer"));
        assertEquals("rerun", rs.getString("word"));
      }
      ps.setInt(1, 1);
      ps.setString(2, "again");
      try (ResultSet rs = ps.executeQuery()) {
        assertTrue(rs.next());
        assertEquals(2, rs.getInt("answer"));
        assertEquals("again", rs.getString("word"));
      }
    }
  }

  @Test
  void aPreparedInsertTakesTheParametersOfEachUpdateAndOfABatch() throws SQLException {
    // The driver sends an update's parameters with the update itself; they were ignored for those bound
    // (if ever) by an earlier query.
    try (Connection c = DriverManager.getConnection(server.jdbcUrl());
        PreparedStatement insert = c.prepareStatement("INSERT INTO jdbc_labels SELECT CAST(? AS BIGINT) AS id, CAST(? AS VARCHAR) AS label")) {
      insert.setLong(1, 1);
      insert.setString(2, "one");
      assertEquals(1, insert.executeUpdate());
      insert.setLong(1, 2);
      insert.setString(2, "two");
      insert.addBatch();
      insert.setLong(1, 3);
      insert.setString(2, "three");
      insert.addBatch();
      insert.executeBatch();
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT id, label FROM jdbc_labels ORDER BY id")) {
        java.util.List<String> rows = new java.util.ArrayList<>();
        while (rs.next()) {
          rows.add(rs.getLong(1) + "=" + rs.getString(2));
        }
        assertEquals(java.util.List.of("1=one", "2=two", "3=three"), rows);
      }
    }
  }

  @Test
  void resultsLargerThanOneBatchStreamCompletely() throws SQLException {
    // 200,000 rows: several 65,536-row batches, each sent only when the client is ready for it.
    String sql = "WITH d(n) AS (VALUES 0,1,2,3,4,5,6,7,8,9) "
        + "SELECT a.n*100000 + b.n*10000 + c.n*1000 + e.n*100 + f.n*10 + g.n AS x "
        + "FROM d a, d b, d c, d e, d f, d g WHERE a.n < 2";
    try (Connection c = DriverManager.getConnection(server.jdbcUrl());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      long rows = 0;
      long sum = 0;
      while (rs.next()) {
        rows++;
        sum += rs.getLong(1);
      }
      assertEquals(200_000, rows);
      assertEquals(199_999L * 200_000 / 2, sum);
    }
  }

  @Test
  void badSqlIsAnErrorNamingTheProblemAndTheServerStaysUp() throws SQLException {
    try (Connection c = DriverManager.getConnection(server.jdbcUrl()); Statement s = c.createStatement()) {
      SQLException e = assertThrows(SQLException.class, () -> s.executeQuery("SELECT nope FROM no_such_table"));
      assertTrue(String.valueOf(e.getMessage()).contains("no_such_table"), e.getMessage());
      try (ResultSet rs = s.executeQuery("SELECT 2")) {
        assertTrue(rs.next());
        assertEquals(2, rs.getInt(1));
      }
    }
    assertTrue(server.process().isAlive());
  }
}
