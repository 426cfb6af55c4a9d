package io.rrdflight.examples;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Lists what an rrdflight server serves: each dataset (a JDBC catalog), its tables (schema
 * {@code rerun}: {@code partitions}, {@code static_data}, one table per timeline) and its
 * partitions (one per recording); then the table entries (no catalog), if any.
 *
 * <pre>ListDatasets [JDBC_URL]</pre>
 */
public final class ListDatasets {
  private ListDatasets() {}

  public static void main(String[] args) throws SQLException {
    String url = args.length > 0 ? args[0] : "jdbc:arrow-flight-sql://127.0.0.1:51234/?useEncryption=false";
    try (Connection connection = DriverManager.getConnection(url)) {
      DatabaseMetaData metadata = connection.getMetaData();
      List<String> datasets = new ArrayList<>();
      try (ResultSet catalogs = metadata.getCatalogs()) {
        while (catalogs.next()) {
          datasets.add(catalogs.getString("TABLE_CAT"));
        }
      }
      for (String dataset : datasets) {
        if (dataset.isEmpty()) {
          continue; // table entries: no catalog, listed below
        }
        List<String> tables = new ArrayList<>();
        try (ResultSet rs = metadata.getTables(dataset, "rerun", "%", null)) {
          while (rs.next()) {
            tables.add(rs.getString("TABLE_NAME"));
          }
        }
        System.out.println("dataset " + dataset + ": tables " + String.join(", ", tables));
        String sql = "SELECT rerun_partition_id, rerun_num_chunks, rerun_size_bytes FROM \"" + dataset.replace("\"", "\"\"")
            + "\".rerun.partitions ORDER BY rerun_partition_id";
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(sql)) {
          while (rs.next()) {
            System.out.printf("  partition %s: %d chunks, %d bytes%n", rs.getString(1), rs.getLong(2), rs.getLong(3));
          }
        }
      }
      if (datasets.contains("")) {
        List<String> entries = new ArrayList<>();
        try (ResultSet rs = metadata.getTables("", "", "%", null)) {
          while (rs.next()) {
            entries.add(rs.getString("TABLE_NAME"));
          }
        }
        System.out.println("tables: " + String.join(", ", entries));
      }
    }
  }
}
