package io.rrdflight.examples;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Writes a table over JDBC and joins it with a dataset: {@code INSERT INTO reviewed SELECT …} makes the
 * table entry {@code reviewed} (a Lance table the Rerun SDK sees too) from a query, one row per
 * recording, then a join keeps the recordings marked as successful.
 *
 * <pre>WriteLabels [JDBC_URL] [DATASET]</pre>
 */
public final class WriteLabels {
  private WriteLabels() {}

  public static void main(String[] args) throws SQLException {
    String url = args.length > 0 ? args[0] : "jdbc:arrow-flight-sql://127.0.0.1:51234/?useEncryption=false";
    String dataset = "\"" + (args.length > 1 ? args[1] : "sample").replace("\"", "\"\"") + "\"";
    try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
      // INSERT INTO a new name creates the table with the query's columns; into an existing one it appends.
      int rows = statement.executeUpdate("INSERT INTO reviewed SELECT rerun_partition_id AS segment_id, "
          + "MOD(rerun_num_chunks, 2) = 0 AS success FROM " + dataset + ".rerun.partitions");
      System.out.println("inserted " + rows + " rows into reviewed");
      String join = "SELECT r.segment_id, p.rerun_num_chunks FROM reviewed r JOIN " + dataset + ".rerun.partitions p "
          + "ON p.rerun_partition_id = r.segment_id WHERE r.success ORDER BY r.segment_id";
      try (ResultSet rs = statement.executeQuery(join)) {
        while (rs.next()) {
          System.out.printf("  %s: %d chunks%n", rs.getString(1), rs.getLong(2));
        }
      }
    }
  }
}
