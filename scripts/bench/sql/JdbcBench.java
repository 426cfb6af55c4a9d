import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;

/**
 * One timed JDBC read of a query (Arrow Flight SQL JDBC driver 18.3.0), run as a single-file
 * program by scripts/bench/sql/bench.py. Mode "next" only moves the cursor (the driver still
 * receives and decodes every Arrow batch); "values" also reads every column of every row with
 * getObject, as a JDBC consumer does. Prints: rows seconds.
 */
public final class JdbcBench {
  public static void main(String[] args) throws Exception {
    String url = args[0];
    String sql = args[1];
    boolean values = args.length > 2 && args[2].equals("values");
    long start = System.nanoTime();
    long rows = 0;
    long nonNull = 0;
    try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      int columns = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        if (values) {
          for (int i = 1; i <= columns; i++) {
            if (rs.getObject(i) != null) {
              nonNull++;
            }
          }
        }
        rows++;
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.println(rows + " " + seconds + " " + nonNull);
  }
}
