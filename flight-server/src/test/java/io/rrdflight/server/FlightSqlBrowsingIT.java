package io.rrdflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JDBC metadata calls DBeaver makes to fill its navigator and open a table, against the real
 * server serving fixtures/dataset: a dataset is a catalog, its one schema is {@code rerun}, its
 * tables are {@code partitions}, {@code static_data} and one per timeline, with typed columns.
 */
class FlightSqlBrowsingIT {
  static final List<String> TIMELINES = List.of("frame", "log_tick", "log_time", "sim_time", "time_1", "time_2", "time_3", "wall_clock");

  @TempDir static Path dataDir;
  static ServerProcess server;
  static Connection connection;

  @BeforeAll
  static void start() throws Exception {
    server = ServerProcess.start(dataDir, "-d", "dataset=" + Fixtures.path("dataset"));
    connection = DriverManager.getConnection(server.jdbcUrl());
  }

  @AfterAll
  static void stop() throws Exception {
    if (connection != null) {
      connection.close(); // the driver fails the close if a result set leaked its buffers
    }
    if (server != null) {
      server.close();
    }
  }

  /** Column {@code column} of every row, closing the result set. */
  private static List<String> column(ResultSet rs, String column) throws SQLException {
    try (rs) {
      List<String> out = new ArrayList<>();
      while (rs.next()) {
        out.add(rs.getString(column));
      }
      return out;
    }
  }

  @Test
  void productNameTermsAndQuoteAreWhatToolsShow() throws SQLException {
    DatabaseMetaData md = connection.getMetaData();
    assertEquals("rrdflight", md.getDatabaseProductName());
    assertEquals("\"", md.getIdentifierQuoteString());
    assertEquals("dataset", md.getCatalogTerm());
    assertFalse(md.isReadOnly()); // datasets are read-only, table entries take INSERT and bulk ingestion
  }

  @Test
  void catalogsAreTheDatasets() throws SQLException {
    assertEquals(List.of("dataset"), column(connection.getMetaData().getCatalogs(), "TABLE_CAT"));
  }

  @Test
  void eachDatasetHasTheOneSchemaRerun() throws SQLException {
    DatabaseMetaData md = connection.getMetaData();
    try (ResultSet rs = md.getSchemas()) {
      assertTrue(rs.next());
      assertEquals("rerun", rs.getString("TABLE_SCHEM"));
      assertEquals("dataset", rs.getString("TABLE_CATALOG"));
      assertFalse(rs.next());
    }
    assertEquals(List.of("rerun"), column(md.getSchemas("dataset", "r%"), "TABLE_SCHEM"));
    assertEquals(List.of(), column(md.getSchemas("dataset", "x%"), "TABLE_SCHEM"));
  }

  @Test
  void tablesArePartitionsStaticDataAndOnePerTimeline() throws SQLException {
    DatabaseMetaData md = connection.getMetaData();
    List<String> expected = new ArrayList<>(List.of("partitions", "static_data"));
    expected.addAll(TIMELINES);
    assertEquals(expected, column(md.getTables("dataset", "rerun", "%", null), "TABLE_NAME"));
    assertEquals(List.of("TABLE"), column(md.getTables("dataset", "rerun", "partitions", null), "TABLE_TYPE"));
    assertEquals(List.of("time_1", "time_2", "time_3"), column(md.getTables("dataset", "rerun", "time\\_%", null), "TABLE_NAME"));
    assertEquals(List.of("time_1", "time_2", "time_3"), column(md.getTables("dataset", "RERUN", "TIME\\_%", null), "TABLE_NAME"),
        "patterns match without regard to case, as SQL resolves the names");
    assertEquals(List.of(), column(md.getTables("dataset", "rerun", "%", new String[] {"VIEW"}), "TABLE_NAME"));
    assertEquals(List.of("TABLE"), column(md.getTableTypes(), "TABLE_TYPE"));
  }

  @Test
  void columnsComeInRerunsOrderWithTheirSqlTypes() throws SQLException {
    Map<String, Integer> types = new LinkedHashMap<>();
    Map<String, Integer> nullable = new LinkedHashMap<>();
    try (ResultSet rs = connection.getMetaData().getColumns("dataset", "rerun", "time_1", "%")) {
      int ordinal = 0;
      while (rs.next()) {
        assertEquals(++ordinal, rs.getInt("ORDINAL_POSITION"));
        types.put(rs.getString("COLUMN_NAME"), rs.getInt("DATA_TYPE"));
        nullable.put(rs.getString("COLUMN_NAME"), rs.getInt("NULLABLE"));
      }
    }
    List<String> names = new ArrayList<>(types.keySet());
    assertEquals("rerun_partition_id", names.get(0));
    assertEquals(TIMELINES, names.subList(1, 1 + TIMELINES.size()), "index columns follow, sorted by name");
    assertEquals(List.of("/logs/app:TextLog:level", "/logs/app:TextLog:text", "/obj1:Points3D:positions", "/obj2:Points3D:positions",
        "/obj3:Points3D:positions", "/robot/joint_0:Scalars:scalars", "/robot/joint_1:Scalars:scalars", "/robot/joint_2:Scalars:scalars",
        "/text1:TextDocument:text", "/text2:TextDocument:text"), names.subList(1 + TIMELINES.size(), names.size()),
        "components in Rerun's order; properties are not in /**");
    assertEquals(Types.VARCHAR, types.get("rerun_partition_id"));
    assertEquals(DatabaseMetaData.columnNoNulls, nullable.get("rerun_partition_id"));
    assertEquals(Types.BIGINT, types.get("time_3")); // sequence
    assertEquals(Types.TIMESTAMP, types.get("time_1")); // timestamp (ns)
    assertEquals(Types.ARRAY, types.get("/obj1:Points3D:positions"));
    assertEquals(DatabaseMetaData.columnNullable, nullable.get("/obj1:Points3D:positions"));
    assertEquals(List.of("/obj1:Points3D:positions", "/obj2:Points3D:positions", "/obj3:Points3D:positions"),
        column(connection.getMetaData().getColumns("dataset", "rerun", "time_1", "/obj%"), "COLUMN_NAME"));
  }

  @Test
  void partitionTableColumnsAreTyped() throws SQLException {
    Map<String, Integer> types = new LinkedHashMap<>();
    try (ResultSet rs = connection.getMetaData().getColumns("dataset", "rerun", "partitions", "%")) {
      while (rs.next()) {
        types.put(rs.getString("COLUMN_NAME"), rs.getInt("DATA_TYPE"));
      }
    }
    assertEquals(Types.VARCHAR, types.get("rerun_partition_id"));
    assertEquals(Types.BIGINT, types.get("rerun_num_chunks"));
    assertEquals(Types.TIMESTAMP, types.get("rerun_last_updated_at"));
  }

  @Test
  void keysAndIndexesAreEmptyNotErrors() throws SQLException {
    DatabaseMetaData md = connection.getMetaData();
    assertEquals(List.of(), column(md.getPrimaryKeys("dataset", "rerun", "time_1"), "COLUMN_NAME"));
    assertEquals(List.of(), column(md.getImportedKeys("dataset", "rerun", "time_1"), "PKCOLUMN_NAME"));
    assertEquals(List.of(), column(md.getExportedKeys("dataset", "rerun", "time_1"), "PKCOLUMN_NAME"));
    assertEquals(List.of(), column(md.getIndexInfo("dataset", "rerun", "time_1", false, true), "INDEX_NAME"));
    // The 18.3 driver answers getTypeInfo itself (Avatica's empty default); GetXdbcTypeInfo is
    // pinned with FlightSqlClient in FlightSqlProtocolIT.
    assertEquals(List.of(), column(md.getTypeInfo(), "TYPE_NAME"));
  }

  @Test
  void aTableOpensAsDbeaverOpensIt() throws SQLException {
    List<String> columns = column(connection.getMetaData().getColumns("dataset", "rerun", "time_1", "%"), "COLUMN_NAME");
    try (Statement s = connection.createStatement()) {
      s.setMaxRows(200); // DBeaver's page size; the driver does not enforce it, DBeaver stops reading itself
      try (ResultSet rs = s.executeQuery("SELECT * FROM \"dataset\".\"rerun\".\"time_1\"")) {
        ResultSetMetaData md = rs.getMetaData();
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          names.add(md.getColumnName(i));
        }
        assertEquals(columns, names, "the result has the columns getColumns announced");
        int rows = 0;
        while (rows < 200 && rs.next()) {
          assertTrue(rs.getString("rerun_partition_id").startsWith("rec-dataset-"));
          rows++;
        }
        assertEquals(200, rows); // then the result set closes with rows unread, as DBeaver's does
      }
    }
  }
}
