package io.rrdflight.rrd.s3;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * AWS Signature Version 4 for S3 requests (GET and HEAD without a body; PUT with an unsigned
 * body, {@code UNSIGNED-PAYLOAD}): the headers to add so that S3, or
 * an S3-compatible store, accepts the request as coming from the credentials' owner. Written from
 * AWS's published description of the algorithm (canonical request, string to sign, derived key).
 */
final class S3Signer {
  static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  static final String UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
  private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");

  private final S3Credentials credentials;
  private final String region;

  S3Signer(S3Credentials credentials, String region) {
    this.credentials = requireNonNull(credentials, "credentials is null");
    this.region = requireNonNull(region, "region is null");
  }

  /**
   * The headers that sign a request for {@code host} (with its port, as the HTTP client sends it),
   * {@code rawPath} (already encoded) and {@code query} (decoded names and values).
   */
  Map<String, String> sign(String method, String host, String rawPath, Map<String, String> query, ZonedDateTime now) {
    return sign(method, host, rawPath, query, now, EMPTY_SHA256);
  }

  /** As above, for a request whose body has the SHA-256 {@code payloadHash} (or {@link #UNSIGNED_PAYLOAD}). */
  Map<String, String> sign(String method, String host, String rawPath, Map<String, String> query, ZonedDateTime now, String payloadHash) {
    String amzDate = AMZ_DATE.format(now.withZoneSameInstant(ZoneOffset.UTC));
    String day = amzDate.substring(0, 8);
    TreeMap<String, String> headers = new TreeMap<>();
    headers.put("host", host);
    headers.put("x-amz-content-sha256", payloadHash);
    headers.put("x-amz-date", amzDate);
    if (credentials.sessionToken() != null) {
      headers.put("x-amz-security-token", credentials.sessionToken());
    }
    StringBuilder canonicalHeaders = new StringBuilder();
    headers.forEach((k, v) -> canonicalHeaders.append(k).append(':').append(v.strip()).append('\n'));
    String signedHeaders = String.join(";", headers.keySet());
    String canonicalRequest = method + "\n" + rawPath + "\n" + canonicalQuery(query) + "\n" + canonicalHeaders + "\n"
        + signedHeaders + "\n" + payloadHash;
    String scope = day + "/" + region + "/s3/aws4_request";
    String toSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex(sha256(canonicalRequest));
    byte[] key = hmac(("AWS4" + credentials.secretAccessKey()).getBytes(StandardCharsets.UTF_8), day);
    key = hmac(key, region);
    key = hmac(key, "s3");
    key = hmac(key, "aws4_request");
    String signature = hex(hmac(key, toSign));
    Map<String, String> out = new LinkedHashMap<>(headers);
    out.remove("host"); // the HTTP client sets it, to the same value
    out.put("Authorization", "AWS4-HMAC-SHA256 Credential=" + credentials.accessKeyId() + "/" + scope
        + ", SignedHeaders=" + signedHeaders + ", Signature=" + signature);
    return out;
  }

  static String canonicalQuery(Map<String, String> query) {
    TreeMap<String, String> sorted = new TreeMap<>();
    query.forEach((k, v) -> sorted.put(encode(k, true), encode(v, true)));
    StringBuilder sb = new StringBuilder();
    sorted.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : "&").append(k).append('=').append(v));
    return sb.toString();
  }

  /** A key as a URI path: every byte but unreserved characters and "/" percent-encoded. */
  static String encodePath(String key) {
    return encode(key, false);
  }

  /** RFC 3986 encoding as SigV4 wants it: unreserved characters stay, "/" too unless {@code slash}. */
  static String encode(String s, boolean slash) {
    StringBuilder sb = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xFF);
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~'
          || (c == '/' && !slash)) {
        sb.append(c);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xF, 16)))
            .append(Character.toUpperCase(Character.forDigit(b & 0xF, 16)));
      }
    }
    return sb.toString();
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
    }
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
