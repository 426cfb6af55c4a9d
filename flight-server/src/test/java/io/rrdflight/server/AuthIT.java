package io.rrdflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rrdflight server --auth} as a real process, reached through the Flight SQL JDBC driver: its
 * {@code token=} property and its user/password handshake. Tokens and users are made with the jar's
 * own CLI while the server runs. (rerun-sdk and ADBC: src/test/python/test_auth.py.)
 */
class AuthIT {
  @TempDir static Path dataDir;
  static ServerProcess server;
  static String readerToken;
  static final List<String> secrets = new ArrayList<>();

  @BeforeAll
  static void startServer() throws Exception {
    server = ServerProcess.start(dataDir, "--auth");
    readerToken = token("reader", "jdbc-reader");
    ServerProcess.CliResult added = ServerProcess.cli("dbeaver pass\n", "user", "add", "dora", "--role", "reader",
        "--data-dir", dataDir.toString());
    assertEquals(0, added.exitCode(), added.err());
    secrets.add("dbeaver pass");
    ServerProcess.CliResult target = ServerProcess.cli("right horse\n", "user", "add", "mallet", "--role", "reader",
        "--data-dir", dataDir.toString());
    assertEquals(0, target.exitCode(), target.err());
    secrets.add("right horse");
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      server.close();
      String log = server.output();
      for (String secret : secrets) {
        assertFalse(log.contains(secret), "a token or password is in the server log");
      }
    }
  }

  static String token(String role, String name) throws Exception {
    ServerProcess.CliResult created = ServerProcess.cli("", "token", "create", "--role", role, "--name", name, "--data-dir", dataDir.toString());
    assertEquals(0, created.exitCode(), created.err());
    secrets.add(created.lastLine());
    return created.lastLine();
  }

  private static int selectOne(String url, Properties props) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, props); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
      assertTrue(rs.next());
      return rs.getInt(1);
    }
  }

  private static Properties props(String... keyValues) {
    Properties p = new Properties();
    for (int i = 0; i < keyValues.length; i += 2) {
      p.setProperty(keyValues[i], keyValues[i + 1]);
    }
    return p;
  }

  @Test
  void bannerSaysTokensAreRequired() {
    assertTrue(server.output().contains("auth:             tokens required"), server.output());
  }

  @Test
  void versionStaysOpenWithoutAToken() throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/version")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode());
  }

  @Test
  void jdbcWithoutCredentialsIsUnauthenticated() {
    SQLException e = assertThrows(SQLException.class, () -> selectOne(server.jdbcUrl(), props()));
    assertTrue(causes(e).contains("requires a token"), causes(e));
  }

  @Test
  void jdbcTokenPropertyQueries() throws SQLException {
    assertEquals(1, selectOne(server.jdbcUrl(), props("token", readerToken)));
  }

  @Test
  void jdbcUserAndPasswordGoThroughTheHandshake() throws SQLException {
    assertEquals(1, selectOne(server.jdbcUrl(), props("user", "dora", "password", "dbeaver pass")));
  }

  @Test
  void jdbcWrongPasswordIsRefused() {
    SQLException e = assertThrows(SQLException.class, () -> selectOne(server.jdbcUrl(), props("user", "dora", "password", "guess")));
    assertTrue(causes(e).contains("wrong user name or password"), causes(e));
  }

  @Test
  void repeatedWrongPasswordsLockTheUserNameForAWhile() throws SQLException {
    for (int i = 0; i < 5; i++) {
      SQLException e = assertThrows(SQLException.class, () -> selectOne(server.jdbcUrl(), props("user", "mallet", "password", "guess")));
      assertTrue(causes(e).contains("wrong user name or password"), causes(e));
    }
    // now even the right password is refused, without being checked, until the lock (1 s, doubling) ends
    SQLException locked = assertThrows(SQLException.class,
        () -> selectOne(server.jdbcUrl(), props("user", "mallet", "password", "right horse")));
    assertTrue(causes(locked).contains("too many failed sign-ins for user 'mallet'"), causes(locked));
    // other users and tokens are not affected
    assertEquals(1, selectOne(server.jdbcUrl(), props("token", readerToken)));
  }

  @Test
  void revokedTokenIsRefusedOnItsNextCall() throws Exception {
    String token = token("reader", "short-lived");
    assertEquals(1, selectOne(server.jdbcUrl(), props("token", token)));
    assertEquals(0, ServerProcess.cli("", "token", "revoke", "short-lived", "--data-dir", dataDir.toString()).exitCode());
    SQLException e = assertThrows(SQLException.class, () -> selectOne(server.jdbcUrl(), props("token", token)));
    assertTrue(causes(e).contains("token 'short-lived' was revoked"), causes(e));
    assertTrue(server.output().contains("unauthenticated"), "refused credential audited");
  }

  @Test
  void tokenFromAnotherDataDirIsRefused(@TempDir Path otherDir) throws Exception {
    ServerProcess.CliResult foreign = ServerProcess.cli("", "token", "create", "--role", "admin", "--data-dir", otherDir.toString());
    secrets.add(foreign.lastLine());
    SQLException e = assertThrows(SQLException.class, () -> selectOne(server.jdbcUrl(), props("token", foreign.lastLine())));
    assertTrue(causes(e).contains("not signed by this server"), causes(e));
  }

  @Test
  void aWritersInsertIntoThroughJdbcIsAuditedWithItsTable() throws Exception {
    String writer = token("writer", "jdbc-writer");
    try (Connection c = DriverManager.getConnection(server.jdbcUrl(), props("token", writer)); Statement s = c.createStatement()) {
      assertEquals(1, s.executeUpdate("INSERT INTO audited_labels SELECT 1 AS label"));
    }
    String line = "jdbc-writer (writer, token) DoPut {table=\"audited_labels\" write=\"INSERT INTO\"} -> OK";
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
    while (!server.output().contains(line) && System.nanoTime() < deadline) {
      Thread.sleep(50); // the server's log reaches us through a pipe
    }
    assertTrue(server.output().contains(line), server.output());
  }

  static String causes(Throwable e) {
    StringBuilder all = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      all.append(t.getMessage()).append(" | ");
    }
    return all.toString();
  }
}
