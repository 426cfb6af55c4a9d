package io.rrdflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JDBC driver reads every endpoint of a split query (one per partition, see
 * test_split_endpoints.py for the FlightInfo itself) and gets the unsplit answer: each partition
 * queried alone, which keeps one endpoint, in partition order.
 */
class FlightSqlSplitIT {
  private static final String SCAN = "SELECT * FROM dataset.rerun.time_2";
  @TempDir static Path dataDir;
  static ServerProcess server;

  @BeforeAll
  static void startServer() throws Exception {
    server = ServerProcess.start(dataDir, "-d", "dataset=" + Fixtures.path("dataset"));
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  private static List<String> rows(Connection c, String sql, Object... parameters) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) {
        ps.setObject(i + 1, parameters[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        ResultSetMetaData md = rs.getMetaData();
        while (rs.next()) {
          StringBuilder row = new StringBuilder();
          for (int i = 1; i <= md.getColumnCount(); i++) {
            row.append(rs.getString(i)).append('|');
          }
          out.add(row.toString());
        }
      }
    }
    return out;
  }

  private static List<String> onePartitionAtATime(Connection c, List<String> partitions) throws SQLException {
    List<String> out = new ArrayList<>();
    for (String id : partitions) {
      out.addAll(rows(c, SCAN + " WHERE rerun_partition_id = '" + id + "'"));
    }
    return out;
  }

  @Test
  void theJdbcDriverReadsEveryEndpointOfASplitScan() throws SQLException {
    try (Connection c = DriverManager.getConnection(server.jdbcUrl())) {
      List<String> partitions = new ArrayList<>();
      try (ResultSet rs = c.createStatement().executeQuery("SELECT rerun_partition_id FROM dataset.rerun.partitions")) {
        while (rs.next()) {
          partitions.add(rs.getString(1));
        }
      }
      assertEquals(12, partitions.size());
      List<String> expected = onePartitionAtATime(c, partitions);
      // The driver may read endpoints in any order; the rows are the same multiset either way.
      assertEquals(sorted(expected), sorted(rows(c, SCAN)));
      List<String> chosen = List.of(partitions.get(1), partitions.get(7));
      assertEquals(sorted(onePartitionAtATime(c, chosen)),
          sorted(rows(c, SCAN + " WHERE rerun_partition_id IN (?, ?)", chosen.get(1), chosen.get(0))));
    }
  }

  private static List<String> sorted(List<String> rows) {
    List<String> copy = new ArrayList<>(rows);
    copy.sort(null);
    return copy;
  }
}
