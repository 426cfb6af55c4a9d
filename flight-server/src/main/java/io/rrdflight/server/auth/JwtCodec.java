package io.rrdflight.server.auth;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * JSON Web Tokens signed with HMAC-SHA256 (RFC 7519, {@code alg} HS256): the shape rerun-sdk insists
 * on (it decodes the header before it sends a token) and the one Rerun's own server issues. Only
 * HS256 is accepted when verifying; a token naming another algorithm, {@code none} included, is refused.
 */
final class JwtCodec {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String HEADER = base64Url("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
  private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {};
  /** Longer tokens are not ours; refuse them before decoding anything. */
  static final int MAX_TOKEN_CHARS = 8 * 1024;

  private final SecretKeySpec key;
  private final ThreadLocal<Mac> macs;

  JwtCodec(ServerKey key) {
    this.key = new SecretKeySpec(key.secret(), "HmacSHA256");
    this.macs = ThreadLocal.withInitial(this::newMac);
  }

  String sign(Map<String, Object> claims) {
    String payload;
    try {
      payload = base64Url(JSON.writeValueAsBytes(claims));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("claims are not JSON: " + e.getMessage(), e);
    }
    String signingInput = HEADER + "." + payload;
    return signingInput + "." + base64Url(mac(signingInput));
  }

  /** The claims of a token this key signed; throws when the token is malformed or its signature wrong. */
  Map<String, Object> verify(String token) throws AuthenticationException {
    if (token.length() > MAX_TOKEN_CHARS) {
      throw new AuthenticationException("token too long to be one of this server's");
    }
    int first = token.indexOf('.');
    int second = first < 0 ? -1 : token.indexOf('.', first + 1);
    if (first < 0 || second < 0 || token.indexOf('.', second + 1) >= 0) {
      throw new AuthenticationException("token is not a JWT (header.payload.signature)");
    }
    Map<String, Object> header = decodeJson(token.substring(0, first), "header");
    if (!"HS256".equals(header.get("alg"))) {
      throw new AuthenticationException("token is not signed by this server (algorithm " + header.get("alg") + ")");
    }
    byte[] signature;
    try {
      signature = Base64.getUrlDecoder().decode(token.substring(second + 1));
    } catch (IllegalArgumentException e) {
      throw new AuthenticationException("token signature is not base64url");
    }
    if (!MessageDigest.isEqual(signature, mac(token.substring(0, second)))) {
      throw new AuthenticationException("token is not signed by this server");
    }
    return decodeJson(token.substring(first + 1, second), "payload");
  }

  private static Map<String, Object> decodeJson(String part, String what) throws AuthenticationException {
    Map<String, Object> object;
    try {
      object = JSON.readValue(Base64.getUrlDecoder().decode(part), OBJECT);
    } catch (IllegalArgumentException | java.io.IOException e) {
      throw new AuthenticationException("token " + what + " is not base64url JSON");
    }
    if (object == null) { // the JSON literal null: Jackson answers it with null, not an error
      throw new AuthenticationException("token " + what + " is not a JSON object");
    }
    return object;
  }

  private byte[] mac(String signingInput) {
    return macs.get().doFinal(signingInput.getBytes(StandardCharsets.US_ASCII));
  }

  private Mac newMac() {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
    }
  }

  private static String base64Url(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
