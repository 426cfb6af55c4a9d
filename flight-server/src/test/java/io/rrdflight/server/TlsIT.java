package io.rrdflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
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
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rrdflight server --auth --tls-cert --tls-key} with a certificate of a CA made at test time:
 * HTTPS {@code GET /version} and gRPC over TLS (the JDBC driver's {@code useEncryption=true}) on the
 * one port; plaintext refused; connections that stay silent before, during or after the handshake are
 * closed after the first-bytes timeout. (rerun+https and grpc+tls from Python: test_auth.py.)
 */
class TlsIT {
  static final int FIRST_BYTES_TIMEOUT_SECONDS = 2;
  @TempDir static Path dataDir;
  @TempDir static Path caDir;
  static TestCa ca;
  static ServerProcess server;
  static String token;

  @BeforeAll
  static void startServer() throws Exception {
    ca = TestCa.create(caDir);
    server = ServerProcess.start(dataDir, "--auth", "--tls-cert", ca.serverCertPem().toString(), "--tls-key", ca.serverKeyPem().toString(),
        "--first-bytes-timeout", "" + FIRST_BYTES_TIMEOUT_SECONDS);
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
    // netty-tcnative's BoringSSL, bundled in the jar: the engine is logged once at start.
    assertTrue(server.output().contains("TLS: OpenSSL engine (BoringSSL"), server.output());
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

  /** The server closes {@code socket} by itself (end of stream, a reset or a TLS alert), long before 30 s. */
  private static void assertClosedByServer(Socket socket, String who) throws IOException {
    socket.setSoTimeout(30_000); // far beyond the first-bytes timeout
    try {
      assertEquals(-1, socket.getInputStream().read(), who + ": the server sent bytes");
    } catch (SocketTimeoutException stillOpen) {
      throw new AssertionError(who + ": still open 30 s after connecting", stillOpen);
    } catch (SSLException | SocketException closed) {
      // closed with an alert or a reset: closed all the same
    }
  }

  @Test
  void aClientThatSendsNoClientHelloIsClosed() throws Exception {
    try (Socket silent = new Socket("127.0.0.1", server.port())) {
      assertClosedByServer(silent, "no ClientHello");
    }
  }

  @Test
  void aClientThatStopsMidHandshakeIsClosed() throws Exception {
    try (Socket stalled = new Socket("127.0.0.1", server.port())) {
      // The head of a handshake record announcing 512 bytes that never come: the detector hands the
      // connection to TLS, whose handshake then waits.
      stalled.getOutputStream().write(new byte[] {22, 3, 1, 2, 0});
      stalled.getOutputStream().flush();
      assertClosedByServer(stalled, "half a ClientHello");
    }
  }

  @Test
  void aClientThatCompletesTheHandshakeAndThenSendsNothingIsClosed() throws Exception {
    try (SSLSocket tls = (SSLSocket) ca.clientContext().getSocketFactory().createSocket("localhost", server.port())) {
      tls.setEnabledProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
      SSLParameters h2 = tls.getSSLParameters();
      h2.setApplicationProtocols(new String[] {"h2"}); // as a gRPC client: the sniffer then waits for the HTTP/2 preface
      tls.setSSLParameters(h2);
      tls.startHandshake();
      assertEquals("h2", tls.getApplicationProtocol());
      assertClosedByServer(tls, "a finished handshake, then silence");
    }
    selectOneStillWorks();
  }

  private void selectOneStillWorks() throws SQLException {
    assertEquals(1, selectOne(jdbcUrl("localhost", "&tlsRootCerts=" + ca.caPem())));
  }
}
