package io.rrdflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.CancelFlightInfoRequest;
import org.apache.arrow.flight.CancelStatus;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.flight.sql.FlightSqlClient;
import org.apache.arrow.flight.sql.impl.FlightSql;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Flight SQL commands against the real server with Arrow's own FlightSqlClient: XDBC type info,
 * errors as status codes with messages a user can act on, and cancellation mid-stream (by
 * CancelFlightInfo and by JDBC's Statement.cancel): the server stops producing and stays healthy.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class FlightSqlProtocolIT {
  /** 10^8 rows from Calcite's row engine: far more than a test reads, so only cancelling ends it early. */
  static final String ENDLESS = "WITH d(n) AS (VALUES 0,1,2,3,4,5,6,7,8,9) "
      + "SELECT a.n + 10 * b.n + 100 * c.n + 1000 * e.n + 10000 * f.n + 100000 * g.n + 1000000 * h.n + 10000000 * i.n AS x "
      + "FROM d a, d b, d c, d e, d f, d g, d h, d i";
  static final long ENDLESS_ROWS = 100_000_000L;

  @TempDir static Path dataDir;
  static ServerProcess server;
  BufferAllocator allocator;
  FlightClient flight;
  FlightSqlClient client;

  @BeforeAll
  static void start() throws Exception {
    server = ServerProcess.start(dataDir, "-d", "dataset=" + Fixtures.path("dataset"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
      // The server's side of the leak check: batches go to gRPC without a copy, and each query's
      // allocator must find them sent (or dropped with a cancelled call) before it closes.
      assertFalse(server.output().contains("still allocated") || server.output().contains("Memory was leaked"),
          server.output());
    }
  }

  @BeforeEach
  void connect() {
    allocator = new RootAllocator();
    flight = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", server.port())).build();
    client = new FlightSqlClient(flight);
  }

  @AfterEach
  void disconnect() throws Exception {
    client.close();
    allocator.close(); // fails the test if a stream leaked buffers on the client side
  }

  private List<String> strings(FlightInfo info, String column) throws Exception {
    List<String> out = new ArrayList<>();
    try (FlightStream stream = client.getStream(info.getEndpoints().get(0).getTicket())) {
      while (stream.next()) {
        VectorSchemaRoot root = stream.getRoot();
        VarCharVector v = (VarCharVector) root.getVector(column);
        for (int i = 0; i < root.getRowCount(); i++) {
          out.add(v.getObject(i).toString());
        }
      }
    }
    return out;
  }

  private static FlightRuntimeException failure(org.junit.jupiter.api.function.Executable call) {
    return assertThrows(FlightRuntimeException.class, call);
  }

  @Test
  void xdbcTypeInfoListsTheSqlTypesAndFiltersByType() throws Exception {
    List<String> names = strings(client.getXdbcTypeInfo(), "type_name");
    assertTrue(names.containsAll(List.of("BOOLEAN", "BIGINT", "DOUBLE", "VARCHAR", "TIMESTAMP", "ARRAY")), names.toString());
    // Ordered by data_type (java.sql.Types), as JDBC's getTypeInfo is.
    assertEquals(List.of("TINYINT", "BIGINT", "VARBINARY", "DECIMAL", "INTEGER", "SMALLINT", "REAL", "DOUBLE", "VARCHAR",
        "BOOLEAN", "DATE", "TIMESTAMP", "ARRAY"), names);
    FlightInfo bigint = client.getXdbcTypeInfo(Types.BIGINT);
    try (FlightStream stream = client.getStream(bigint.getEndpoints().get(0).getTicket())) {
      assertTrue(stream.next());
      VectorSchemaRoot root = stream.getRoot();
      assertEquals(1, root.getRowCount());
      assertEquals("BIGINT", root.getVector("type_name").getObject(0).toString());
      assertEquals(Types.BIGINT, ((IntVector) root.getVector("data_type")).get(0));
      assertFalse(stream.next());
    }
  }

  @Test
  void badSqlIsInvalidArgumentWithCalcitesMessage() {
    FlightRuntimeException e = failure(() -> client.execute("SELECT nope FROM dataset.rerun.frame"));
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, e.status().code());
    assertTrue(e.getMessage().contains("Column 'nope' not found"), e.getMessage());
    FlightRuntimeException prepared = failure(() -> client.prepare("SELECT * FROM dataset.rerun.frame WHERE"));
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, prepared.status().code());
    assertTrue(prepared.getMessage().contains("Encountered \"<EOF>\" at line 1, column 39"), prepared.getMessage());
  }

  @Test
  void anUnknownDatasetIsInvalidArgumentNamingIt() {
    FlightRuntimeException e = failure(() -> client.execute("SELECT * FROM no_such_dataset.rerun.frame"));
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, e.status().code());
    assertTrue(e.getMessage().contains("no_such_dataset"), e.getMessage());
  }

  @Test
  void anUnknownTimelineInQueryViewListsTheDatasetsTimelines() {
    FlightRuntimeException e = failure(() -> client.execute("SELECT * FROM TABLE(dataset.query_view(index => 'nope'))"));
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, e.status().code());
    assertTrue(e.getMessage().contains("Unknown index timeline 'nope'") && e.getMessage().contains("time_1"), e.getMessage());
  }

  @Test
  void anUnknownTicketIsNotFound() {
    Ticket ticket = new Ticket(Any.pack(FlightSql.TicketStatementQuery.newBuilder()
        .setStatementHandle(ByteString.copyFromUtf8("execution:nope")).build()).toByteArray());
    FlightRuntimeException e = failure(() -> {
      try (FlightStream stream = client.getStream(ticket)) {
        stream.next();
      }
    });
    assertEquals(FlightStatusCode.NOT_FOUND, e.status().code());
  }

  @Test
  void cancelFlightInfoStopsTheQueryMidStreamAndTheServerCarriesOn() throws Exception {
    FlightInfo info = client.execute(ENDLESS);
    Ticket ticket = info.getEndpoints().get(0).getTicket();
    long rows = 0;
    FlightRuntimeException ended;
    try (FlightStream stream = client.getStream(ticket)) {
      assertTrue(stream.next());
      rows += stream.getRoot().getRowCount();
      assertEquals(CancelStatus.CANCELLED, client.cancelFlightInfo(new CancelFlightInfoRequest(info)).getStatus());
      ended = assertThrows(FlightRuntimeException.class, () -> {
        while (stream.next()) {
          // batches already on their way still arrive
        }
      });
    }
    assertEquals(FlightStatusCode.CANCELLED, ended.status().code(), ended.getMessage());
    awaitOutput("query cancelled (CancelFlightInfo)");
    // The execution is gone (NOT_FOUND) or remembered as cancelled (CANCELLED: a split query's tickets can
    // be served again, so cancelled execution ids are remembered for a while); the server answers the next query.
    FlightStatusCode refetched = failure(() -> {
      try (FlightStream again = client.getStream(ticket)) {
        again.next();
      }
    }).status().code();
    assertTrue(refetched == FlightStatusCode.NOT_FOUND || refetched == FlightStatusCode.CANCELLED, refetched.toString());
    assertEquals(List.of("dataset"), strings(client.getCatalogs(), "catalog_name"));
    assertTrue(rows < ENDLESS_ROWS);
  }

  @Test
  void jdbcStatementCancelStopsTheQueryAndTheConnectionStaysUsable() throws Exception {
    try (Connection c = DriverManager.getConnection(server.jdbcUrl())) {
      long rows = 0;
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(ENDLESS)) {
        while (rows < 10_000 && rs.next()) {
          rows++;
        }
        s.cancel();
        try {
          while (rs.next()) {
            rows++; // rows already received may still be read
          }
        } catch (SQLException expected) {
          // the driver reports the cancelled stream
        }
      } catch (SQLException closingACancelledStream) {
        // some driver versions also complain on close
      }
      assertTrue(rows < ENDLESS_ROWS, "read " + rows + " rows");
      awaitOutput("query cancelled");
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 2")) {
        assertTrue(rs.next());
        assertEquals(2, rs.getInt(1));
      }
    }
    assertTrue(server.process().isAlive());
  }

  /** Every row as text, in order. */
  private static List<String> texts(ResultSet rs) throws SQLException {
    List<String> out = new ArrayList<>();
    int columns = rs.getMetaData().getColumnCount();
    while (rs.next()) {
      StringBuilder row = new StringBuilder();
      for (int i = 1; i <= columns; i++) {
        row.append(rs.getObject(i)).append(i < columns ? " | " : "");
      }
      out.add(row.toString());
    }
    return out;
  }

  private static List<String> texts(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      return texts(rs);
    }
  }

  @Test
  void jdbcParametersBindQueryViewArgumentsAndPushedFilters() throws SQLException {
    try (Connection c = DriverManager.getConnection(server.jdbcUrl())) {
      String view = "SELECT rerun_partition_id, time_3, \"/obj1:Points3D:positions\" FROM TABLE(dataset.query_view(index => 'time_3', "
          + "contents => '/obj1', partition_ids => ?, range_start => ?, range_end => ?, fill_latest_at => ?))";
      try (java.sql.PreparedStatement ps = c.prepareStatement(view)) {
        assertEquals(4, ps.getParameterMetaData().getParameterCount());
        ps.setString(1, "rec-dataset-04,rec-dataset-07");
        ps.setLong(2, 10);
        ps.setLong(3, 20);
        ps.setBoolean(4, true);
        List<String> rows;
        try (ResultSet rs = ps.executeQuery()) {
          rows = texts(rs);
        }
        assertFalse(rows.isEmpty());
        assertEquals(texts(c, view.replace("partition_ids => ?", "partition_ids => 'rec-dataset-04,rec-dataset-07'")
            .replace("range_start => ?", "range_start => 10").replace("range_end => ?", "range_end => 20")
            .replace("fill_latest_at => ?", "fill_latest_at => true")), rows);
      }
      String filtered = "SELECT time_3, \"/obj2:Points3D:positions\" FROM dataset.rerun.time_3 "
          + "WHERE rerun_partition_id = ? AND time_3 BETWEEN ? AND ?";
      try (java.sql.PreparedStatement ps = c.prepareStatement(filtered)) {
        ps.setString(1, "rec-dataset-03");
        ps.setLong(2, 5);
        ps.setLong(3, 9);
        try (ResultSet rs = ps.executeQuery()) {
          assertEquals(texts(c, "SELECT time_3, \"/obj2:Points3D:positions\" FROM dataset.rerun.time_3 "
              + "WHERE rerun_partition_id = 'rec-dataset-03' AND time_3 BETWEEN 5 AND 9"), texts(rs));
        }
      }
    }
  }

  /** Waits until the server has printed {@code text}: the stream thread saw the cancel and stopped. */
  private static void awaitOutput(String text) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!server.output().contains(text)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("server never printed '" + text + "':\n" + server.output());
      }
      Thread.sleep(50);
    }
  }
}
