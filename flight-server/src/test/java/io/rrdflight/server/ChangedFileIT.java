package io.rrdflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A registered file that changes or vanishes on disk is noticed when it is read: the query fails
 * with a message naming the partition and the file, never returns wrong data, and the server and
 * the other partitions carry on.
 */
class ChangedFileIT {

  private static long count(Connection c, String partition) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM \"runs\".time_3 WHERE rerun_partition_id = '" + partition + "'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void changedAndVanishedFilesAreClearErrorsAndTheRestStillWorks(@TempDir Path tmp) throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("runs"));
    Path a = Files.copy(Fixtures.path("dataset/rec-dataset-01.rrd"), dir.resolve("rec-dataset-01.rrd"));
    Path b = Files.copy(Fixtures.path("dataset/rec-dataset-02.rrd"), dir.resolve("rec-dataset-02.rrd"));
    try (ServerProcess server = ServerProcess.start(tmp.resolve("data"), "-d", "runs=" + dir);
        Connection c = DriverManager.getConnection(server.jdbcUrl())) {
      long before = count(c, "rec-dataset-01");
      assertTrue(before > 0);

      Files.write(a, new byte[] {1, 2, 3}, StandardOpenOption.APPEND);
      SQLException changed = assertThrows(SQLException.class, () -> count(c, "rec-dataset-01"));
      assertTrue(changed.getMessage().contains("rec-dataset-01") && changed.getMessage().contains(a.toString())
          && changed.getMessage().contains("changed since it was registered"), changed.getMessage());

      Files.delete(b);
      SQLException gone = assertThrows(SQLException.class, () -> count(c, "rec-dataset-02"));
      assertTrue(gone.getMessage().contains("rec-dataset-02") && gone.getMessage().contains("no longer exists"), gone.getMessage());

      assertTrue(server.process().isAlive());
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
        rs.next();
        assertEquals(1, rs.getInt(1));
      }
    }
  }
}
