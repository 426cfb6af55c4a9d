package io.rrdflight.server.transport;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;

/** The plain HTTP/1.1 requests the server answers on its gRPC port: {@code GET /version}, nothing else. */
public final class HttpEndpoints {
  private final String versionBody;

  public HttpEndpoints(String versionBody) {
    this.versionBody = requireNonNull(versionBody, "versionBody is null");
  }

  /** A complete HTTP/1.1 response for a request line such as {@code GET /version HTTP/1.1}. */
  byte[] respond(String requestLine) {
    String[] parts = requestLine.split(" ");
    if (parts.length != 3 || !parts[2].startsWith("HTTP/1.")) {
      return response(400, "Bad Request", "rrdflight: not an HTTP/1.1 request\n");
    }
    String path = parts[1];
    int query = path.indexOf('?');
    if (query >= 0) {
      path = path.substring(0, query);
    }
    if (!path.equals("/version")) {
      return response(404, "Not Found", "rrdflight: only GET /version is served over HTTP/1.1; use gRPC or Arrow Flight SQL on this port\n");
    }
    if (!parts[0].equals("GET") && !parts[0].equals("HEAD")) {
      return response(405, "Method Not Allowed", "rrdflight: use GET /version\n");
    }
    return response(200, "OK", versionBody + "\n", parts[0].equals("HEAD"));
  }

  static byte[] response(int status, String reason, String body) {
    return response(status, reason, body, false);
  }

  private static byte[] response(int status, String reason, String body, boolean headOnly) {
    byte[] bodyBytes = body.getBytes(StandardCharsets.UTF_8);
    String head = "HTTP/1.1 " + status + " " + reason + "\r\n"
        + "Content-Type: text/plain; charset=utf-8\r\n"
        + "Content-Length: " + bodyBytes.length + "\r\n"
        + "Connection: close\r\n\r\n";
    byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
    if (headOnly) {
      return headBytes;
    }
    byte[] all = new byte[headBytes.length + bodyBytes.length];
    System.arraycopy(headBytes, 0, all, 0, headBytes.length);
    System.arraycopy(bodyBytes, 0, all, headBytes.length, bodyBytes.length);
    return all;
  }
}
