package io.rrdflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rrdflight server --auth --tls-cert --tls-key} with a certificate of a CA made at test time:
 * HTTPS {@code GET /version} and gRPC over TLS (the JDBC driver's {@code useEncryption=true}) on the
 * one port; plaintext refused. (rerun+https and grpc+tls from Python: test_auth.py.)
 */
class TlsIT {
  @TempDir static Path dataDir;
  @TempDir static Path caDir;
  static TestCa ca;
  static ServerProcess server;
  static String token;

  @BeforeAll
  static void startServer() throws Exception {
    ca = TestCa.create(caDir);
    server = ServerProcess.start(dataDir, "--auth", "--tls-cert", ca.serverCertPem().toString(), "--tls-key", ca.serverKeyPem().toString());
    ServerProcess.CliResult created = ServerProcess.cli("", "token", "create", "--role", "reader", "--data-dir", dataDir.toString());
    token = created.lastLine();
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  private String jdbcUrl(String host, String extra) {
    return "jdbc:arrow-flight-sql://" + host + ":" + server.port() + "/?useEncryption=true&token=" + token + extra;
  }

  private static int selectOne(String url) throws SQLException {
    try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
      assertTrue(rs.next());
      return rs.getInt(1);
    }
  }

  @Test
  void bannerShowsTlsAndTheHttpsUrls() {
    assertTrue(server.output().contains("tls:              on"), server.output());
    assertTrue(server.output().contains("rerun+https://"), server.output());
    assertTrue(server.output().contains("useEncryption=true"), server.output());
  }

  @Test
  void httpsVersionAnswersEvenToClientsThatOfferHttp2() throws Exception {
    for (HttpClient.Version version : HttpClient.Version.values()) {
      HttpClient https = HttpClient.newBuilder().sslContext(ca.clientContext()).version(version).build();
      HttpResponse<String> response = https.send(HttpRequest.newBuilder(URI.create("https://localhost:" + server.port() + "/version")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, response.statusCode(), version + ": " + response.body());
      assertTrue(response.body().startsWith("rrdflight "), response.body());
    }
  }

  @Test
  void plaintextHttpIsRefusedWithAHint() throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/version")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(400, response.statusCode());
    assertTrue(response.body().contains("TLS only"), response.body());
  }

  @Test
  void jdbcUseEncryptionWithTheTestCaQueries() throws SQLException {
    assertEquals(1, selectOne(jdbcUrl("localhost", "&tlsRootCerts=" + ca.caPem())));
    assertEquals(1, selectOne(jdbcUrl("127.0.0.1", "&tlsRootCerts=" + ca.caPem())));
  }

  @Test
  void jdbcThatDoesNotTrustTheCaFails() {
    assertThrows(SQLException.class, () -> selectOne(jdbcUrl("localhost", "&useSystemTrustStore=false")));
  }

  @Test
  void jdbcWithoutEncryptionCannotTalkToATlsPort() {
    String plaintext = "jdbc:arrow-flight-sql://localhost:" + server.port() + "/?useEncryption=false&token=" + token;
    assertThrows(SQLException.class, () -> selectOne(plaintext));
  }
}
