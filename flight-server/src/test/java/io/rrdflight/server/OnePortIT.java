package io.rrdflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTP/1.1 GET /version (what Rerun's clients send first) and gRPC share the server's one port. */
class OnePortIT {
  @TempDir static Path dataDir;
  static ServerProcess server;
  static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void startServer() throws Exception {
    server = ServerProcess.start(dataDir);
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  private static HttpResponse<String> get(String path) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).GET().build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void versionAnswersHttp11WithOk() throws Exception {
    HttpResponse<String> response = get("/version");
    assertEquals(200, response.statusCode());
    assertTrue(response.body().startsWith("rrdflight "), response.body());
  }

  @Test
  void otherHttp11PathsAreNotFoundWithAHint() throws Exception {
    HttpResponse<String> response = get("/catalog");
    assertEquals(404, response.statusCode());
    assertTrue(response.body().contains("GET /version"), response.body());
  }

  @Test
  void grpcAndHttp11InterleaveOnThePort() throws Exception {
    try (Connection c = DriverManager.getConnection(server.jdbcUrl()); Statement s = c.createStatement()) {
      for (int i = 0; i < 3; i++) {
        assertEquals(200, get("/version").statusCode());
        try (ResultSet rs = s.executeQuery("SELECT " + i + " AS n")) {
          assertTrue(rs.next());
          assertEquals(i, rs.getInt(1));
        }
      }
    }
  }
}
