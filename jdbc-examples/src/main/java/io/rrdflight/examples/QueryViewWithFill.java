package io.rrdflight.examples;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * A dataframe query in SQL: Rerun's {@code dataset.dataframe_query_view(index=..., contents=...)
 * .fill_latest_at()} is {@code query_view(index => ..., contents => ..., fill_latest_at => true)}.
 * Every empty cell is filled with the latest value logged at or before the row's index value.
 * Prints the columns, the first rows, and how many rows each partition has.
 *
 * <pre>QueryViewWithFill [JDBC_URL [DATASET [INDEX [CONTENTS]]]]</pre>
 */
public final class QueryViewWithFill {
  private QueryViewWithFill() {}

  public static void main(String[] args) throws SQLException {
    String url = args.length > 0 ? args[0] : "jdbc:arrow-flight-sql://127.0.0.1:51234/?useEncryption=false";
    String dataset = args.length > 1 ? args[1] : "sample";
    String index = args.length > 2 ? args[2] : "time_1";
    String contents = args.length > 3 ? args[3] : "/**";
    // query_view's arguments are SQL literals: single quotes are doubled.
    String sql = "SELECT * FROM TABLE(\"" + dataset.replace("\"", "\"\"") + "\".query_view("
        + "index => '" + index.replace("'", "''") + "', contents => '" + contents.replace("'", "''") + "', fill_latest_at => true))";
    try (Connection connection = DriverManager.getConnection(url);
        Statement statement = connection.createStatement();
        ResultSet rs = statement.executeQuery(sql)) {
      ResultSetMetaData columns = rs.getMetaData();
      List<String> names = new ArrayList<>();
      for (int i = 1; i <= columns.getColumnCount(); i++) {
        names.add(columns.getColumnName(i));
      }
      System.out.println("columns: " + String.join(", ", names));
      long rows = 0;
      TreeSet<String> partitions = new TreeSet<>();
      while (rs.next()) {
        if (rows < 5) {
          List<String> cells = new ArrayList<>();
          for (int i = 1; i <= names.size(); i++) {
            cells.add(String.valueOf(rs.getObject(i)));
          }
          System.out.println("  " + String.join(" | ", cells));
        }
        partitions.add(rs.getString("rerun_partition_id"));
        rows++;
      }
      System.out.println(rows + " rows from " + partitions.size() + " partitions");
    }
  }
}
