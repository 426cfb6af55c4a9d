package io.rrdflight.examples;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Plain SQL over every partition of a dataset at once: a timeline table ({@code time_3} here) has
 * one row per index value per partition, so GROUP BY {@code rerun_partition_id} summarises each
 * recording. Components are arrays (1-based): {@code "/obj1:Points3D:positions"[1][1]} is the x of
 * the first point.
 *
 * <pre>AggregateOverPartitions [JDBC_URL [DATASET]]</pre>
 */
public final class AggregateOverPartitions {
  private AggregateOverPartitions() {}

  public static void main(String[] args) throws SQLException {
    String url = args.length > 0 ? args[0] : "jdbc:arrow-flight-sql://127.0.0.1:51234/?useEncryption=false";
    String dataset = args.length > 1 ? args[1] : "sample";
    String sql = "SELECT rerun_partition_id, COUNT(*) AS steps, MIN(time_3) AS first_step, MAX(time_3) AS last_step,"
        + " AVG(\"/obj1:Points3D:positions\"[1][1]) AS mean_x"
        + " FROM \"" + dataset.replace("\"", "\"\"") + "\".rerun.time_3"
        + " GROUP BY rerun_partition_id ORDER BY rerun_partition_id";
    try (Connection connection = DriverManager.getConnection(url);
        Statement statement = connection.createStatement();
        ResultSet rs = statement.executeQuery(sql)) {
      System.out.println("partition | steps | first_step | last_step | mean_x");
      while (rs.next()) {
        System.out.printf("%s | %d | %d | %d | %.3f%n", rs.getString("rerun_partition_id"), rs.getLong("steps"),
            rs.getLong("first_step"), rs.getLong("last_step"), rs.getDouble("mean_x"));
      }
    }
  }
}
