package io.rrdflight.rrd.s3;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The three S3 requests rrdflight needs, signed with SigV4 over the JDK's HTTP client: HEAD (size
 * and ETag), ranged GET (bytes of an object, only if its ETag is still the one expected) and
 * ListObjectsV2 (the keys under a prefix). With an endpoint ({@code --s3-endpoint}) requests go
 * path-style to it (S3-compatible stores: MinIO, Ceph, s3proxy, …); without one to AWS, in the
 * configured region. Thread-safe: one client serves every recording.
 */
public final class S3Client {
  private static final int ATTEMPTS = 3;

  /** What a HEAD or a listing says about one object. */
  public record ObjectInfo(S3Location location, long size, String etag) {}

  private final Optional<URI> endpoint;
  private final String region;
  private final Optional<S3Signer> signer;
  /**
   * Built on the first request, not with the client: building it sets up TLS (crypto providers, the JDK's
   * trust store: ~0.1 s of CPU and a third of a server's start) and a selector thread, which a server
   * without s3:// recordings never needs. Guarded by {@code this}.
   */
  private HttpClient http;
  private final Duration requestTimeout;

  public S3Client(Optional<URI> endpoint, String region, Optional<S3Credentials> credentials) {
    this.endpoint = requireNonNull(endpoint, "endpoint is null").map(S3Client::withoutTrailingSlash);
    this.region = requireNonNull(region, "region is null");
    this.signer = requireNonNull(credentials, "credentials is null").map(c -> new S3Signer(c, region));
    this.requestTimeout = Duration.ofSeconds(120);
  }

  private synchronized HttpClient http() {
    if (http == null) {
      http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
          .followRedirects(HttpClient.Redirect.NEVER).build();
    }
    return http;
  }

  /** A client configured the standard AWS way (environment, profile), with an optional endpoint. */
  public static S3Client standard(Optional<URI> endpoint) {
    Map<String, String> env = System.getenv();
    Path home = Optional.ofNullable(System.getProperty("user.home")).map(Path::of).orElse(null);
    return new S3Client(endpoint, S3Credentials.region(env, home), S3Credentials.standardChain(env, home));
  }

  public Optional<URI> endpoint() {
    return endpoint;
  }

  /** Size and ETag of an object. */
  public ObjectInfo head(S3Location at) throws IOException {
    HttpResponse<InputStream> response = send("HEAD", at, Map.of(), Map.of());
    try (InputStream ignored = response.body()) {
      check(response, at, "HEAD");
      long size = response.headers().firstValueAsLong("Content-Length")
          .orElseThrow(() -> new S3Exception(S3Exception.Reason.FAILED, "HEAD " + at + ": the answer has no Content-Length", null));
      String etag = response.headers().firstValue("ETag")
          .orElseThrow(() -> new S3Exception(S3Exception.Reason.FAILED, "HEAD " + at + ": the answer has no ETag", null));
      return new ObjectInfo(at, size, etag);
    }
  }

  /**
   * Fills {@code target} with the object's bytes from {@code position}, if its ETag is still
   * {@code etag} (else {@link S3Exception.Reason#CHANGED}).
   */
  public void get(S3Location at, long position, ByteBuffer target, String etag) throws IOException {
    int length = target.remaining();
    if (length == 0) {
      return;
    }
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Range", "bytes=" + position + "-" + (position + length - 1));
    headers.put("If-Match", etag);
    HttpResponse<InputStream> response = send("GET", at, Map.of(), headers);
    try (InputStream in = response.body()) {
      if (response.statusCode() == 412) {
        throw new S3Exception(S3Exception.Reason.CHANGED, at + " changed since it was registered (its ETag is no longer " + etag + ")", null);
      }
      check(response, at, "GET");
      if (response.statusCode() != 206 && position != 0) {
        throw new S3Exception(S3Exception.Reason.FAILED, "GET " + at + ": the store ignored the byte range (HTTP " + response.statusCode() + ")", null);
      }
      int start = target.position();
      byte[] buffer = new byte[64 * 1024];
      while (target.hasRemaining()) {
        int n = in.read(buffer, 0, Math.min(buffer.length, target.remaining()));
        if (n < 0) {
          throw new S3Exception(S3Exception.Reason.CHANGED, "GET " + at + ": the object ended after " + (position + target.position() - start)
              + " bytes, before byte " + (position + length) + "; it may have changed", null);
        }
        target.put(buffer, 0, n);
      }
    }
  }

  /** The objects whose keys start with the prefix, sorted by key; fails beyond {@code maxEntries}. */
  public List<ObjectInfo> list(S3Location prefix, int maxEntries) throws IOException {
    List<ObjectInfo> found = new ArrayList<>();
    String token = null;
    do {
      Map<String, String> query = new LinkedHashMap<>();
      query.put("list-type", "2");
      query.put("prefix", prefix.key());
      if (token != null) {
        query.put("continuation-token", token);
      }
      HttpResponse<InputStream> response = send("GET", new S3Location(prefix.bucket(), ""), query, Map.of());
      Document doc;
      try (InputStream in = response.body()) {
        check(response, prefix, "LIST");
        doc = parse(in, prefix);
      }
      NodeList contents = doc.getElementsByTagName("Contents");
      for (int i = 0; i < contents.getLength(); i++) {
        Element c = (Element) contents.item(i);
        found.add(new ObjectInfo(prefix.child(text(c, "Key")), Long.parseLong(text(c, "Size")), text(c, "ETag")));
        if (found.size() > maxEntries) {
          throw new S3Exception(S3Exception.Reason.FAILED, prefix + " holds more than " + maxEntries + " objects", null);
        }
      }
      token = "true".equals(text(doc.getDocumentElement(), "IsTruncated")) ? text(doc.getDocumentElement(), "NextContinuationToken") : null;
    } while (token != null && !token.isEmpty());
    found.sort((a, b) -> a.location().key().compareTo(b.location().key()));
    return found;
  }

  /**
   * Creates a bucket, or does nothing if this client's owner has it already. For staging recordings
   * (tests, benchmarks); the server itself never writes to object storage.
   */
  public void createBucket(String bucket) throws IOException {
    HttpResponse<InputStream> response = send("PUT", new S3Location(bucket, ""), Map.of(), Map.of(), HttpRequest.BodyPublishers.noBody());
    try (InputStream ignored = response.body()) {
      if (response.statusCode() != 409) {
        check(response, new S3Location(bucket, ""), "PUT");
      }
    }
  }

  /** Uploads {@code file} to {@code at} (one PUT; up to 5 GiB). For staging recordings, like {@link #createBucket}. */
  public void put(S3Location at, Path file) throws IOException {
    HttpResponse<InputStream> response = send("PUT", at, Map.of(), Map.of(), HttpRequest.BodyPublishers.ofFile(file));
    try (InputStream ignored = response.body()) {
      check(response, at, "PUT");
    }
  }

  /** Deletes an object. For staging recordings, like {@link #createBucket}. */
  public void delete(S3Location at) throws IOException {
    HttpResponse<InputStream> response = send("DELETE", at, Map.of(), Map.of());
    try (InputStream ignored = response.body()) {
      check(response, at, "DELETE");
    }
  }

  private HttpResponse<InputStream> send(String method, S3Location at, Map<String, String> query, Map<String, String> headers)
      throws IOException {
    return send(method, at, query, headers, HttpRequest.BodyPublishers.noBody());
  }

  private HttpResponse<InputStream> send(String method, S3Location at, Map<String, String> query, Map<String, String> headers,
      HttpRequest.BodyPublisher body) throws IOException {
    URI base;
    String rawPath;
    if (endpoint.isPresent()) {
      base = endpoint.get();
      rawPath = (base.getRawPath() == null ? "" : base.getRawPath()) + "/" + at.bucket()
          + (at.key().isEmpty() ? "" : "/" + S3Signer.encodePath(at.key()));
    } else if (!at.bucket().contains(".")) {
      base = URI.create("https://" + at.bucket() + ".s3." + region + ".amazonaws.com");
      rawPath = "/" + S3Signer.encodePath(at.key());
    } else {
      base = URI.create("https://s3." + region + ".amazonaws.com");
      rawPath = "/" + at.bucket() + "/" + S3Signer.encodePath(at.key());
    }
    String canonicalQuery = S3Signer.canonicalQuery(query);
    URI uri = URI.create(base.getScheme() + "://" + base.getRawAuthority() + rawPath + (canonicalQuery.isEmpty() ? "" : "?" + canonicalQuery));
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(requestTimeout)
        .method(method, body);
    String payloadHash = body.contentLength() > 0 ? S3Signer.UNSIGNED_PAYLOAD : S3Signer.EMPTY_SHA256;
    headers.forEach(request::header);
    String host = uri.getHost() + (uri.getPort() == -1 ? "" : ":" + uri.getPort());
    IOException last = null;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      HttpRequest.Builder signed = request.copy();
      signer.ifPresent(s -> s.sign(method, host, rawPath, query, ZonedDateTime.now(), payloadHash).forEach(signed::setHeader));
      try {
        HttpResponse<InputStream> response = http().send(signed.build(), HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() >= 500 && attempt < ATTEMPTS) {
          response.body().close();
          pause(attempt);
          continue;
        }
        return response;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException(method + " " + at + " was interrupted");
      } catch (IOException e) {
        last = e;
        pause(attempt);
      }
    }
    throw new S3Exception(S3Exception.Reason.FAILED, method + " " + at + " failed: " + (endpoint.isPresent() ? "the store at " + endpoint.get()
        : "S3") + " cannot be reached (" + last + ")", last);
  }

  private static void pause(int attempt) {
    try {
      Thread.sleep(100L * attempt);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Turns an unsuccessful answer into an {@link S3Exception}: the status, and S3's error code when it sent one. */
  private static void check(HttpResponse<InputStream> response, S3Location at, String what) throws IOException {
    int status = response.statusCode();
    if (status / 100 == 2) {
      return;
    }
    String code = errorCode(response);
    String detail = " (HTTP " + status + (code.isEmpty() ? "" : ", " + code) + ")";
    if (status == 404) {
      String missing = code.equals("NoSuchBucket") ? "no bucket " + at.bucket() : "no object " + at;
      throw new S3Exception(S3Exception.Reason.NOT_FOUND, what + " " + at + ": " + missing + detail, null);
    }
    if (status == 401 || status == 403) {
      throw new S3Exception(S3Exception.Reason.ACCESS_DENIED, what + " " + at + ": the store refused the credentials"
          + " (from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the AWS profile)" + detail, null);
    }
    throw new S3Exception(S3Exception.Reason.FAILED, what + " " + at + " failed" + detail, null);
  }

  /** The {@code <Code>} of an S3 error answer, read from at most 16 KiB of it; empty if none. */
  private static String errorCode(HttpResponse<InputStream> response) {
    try (InputStream in = response.body()) {
      String body = new String(in.readNBytes(16 * 1024), StandardCharsets.UTF_8);
      int start = body.indexOf("<Code>");
      int end = body.indexOf("</Code>");
      return start >= 0 && end > start ? body.substring(start + 6, end).replaceAll("[^A-Za-z0-9.]", "") : "";
    } catch (IOException e) {
      return "";
    }
  }

  private static Document parse(InputStream in, S3Location at) throws IOException {
    try {
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      factory.setXIncludeAware(false);
      factory.setExpandEntityReferences(false);
      return factory.newDocumentBuilder().parse(in);
    } catch (javax.xml.parsers.ParserConfigurationException | org.xml.sax.SAXException e) {
      throw new S3Exception(S3Exception.Reason.FAILED, "LIST " + at + ": the store's answer is not a listing (" + e.getMessage() + ")", e);
    }
  }

  private static String text(Element parent, String tag) {
    NodeList nodes = parent.getElementsByTagName(tag);
    return nodes.getLength() == 0 ? "" : nodes.item(0).getTextContent();
  }

  private static URI withoutTrailingSlash(URI uri) {
    String s = uri.toString();
    return s.endsWith("/") ? URI.create(s.substring(0, s.length() - 1)) : uri;
  }
}
