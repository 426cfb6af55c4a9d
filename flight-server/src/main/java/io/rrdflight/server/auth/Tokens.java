package io.rrdflight.server.auth;

import static java.util.Objects.requireNonNull;

import io.rrdflight.server.auth.AuthStore.TokenRecord;
import io.rrdflight.server.auth.AuthStore.UserRecord;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Issues, verifies and revokes the bearer tokens of one data dir. A token is a JWT signed with the
 * {@link ServerKey}; its record in the {@link AuthStore} is what counts: the role comes from the record,
 * and a token whose record is revoked or missing is refused although its signature is good.
 *
 * <p>The claims follow Rerun's own server tokens ({@code iss}, {@code sub}, {@code aud} "redap",
 * {@code iat}, {@code exp}, {@code permissions} "read" or "read-write") so that Rerun's clients read
 * them as they read Rerun's, plus {@code jti} (the record), {@code role}, and {@code allowed_hosts}:
 * rerun-sdk 0.30 and later send a token only to a host that claim names.
 */
public final class Tokens {
  static final String ISSUER = "rrdflight";
  static final String KIND_TOKEN = "token";
  static final String KIND_SESSION = "session";
  /**
   * The claim that ties a session to the one user record it was issued for ({@link PasswordHash#saltFingerprint}):
   * a user removed and added again under the same name (a reset password) is a new record, which the
   * sessions of the old one must not open.
   */
  static final String USER_RECORD = "user_record";

  private final JwtCodec jwt;
  private final AuthStore store;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();

  Tokens(ServerKey key, AuthStore store, Clock clock) {
    this.jwt = new JwtCodec(requireNonNull(key, "key is null"));
    this.store = requireNonNull(store, "store is null");
    this.clock = requireNonNull(clock, "clock is null");
  }

  /** A new token and its record. The token string is shown once, to whoever asked for it, and never stored. */
  public record IssuedToken(TokenRecord record, String token) {
    @Override
    public String toString() {
      return "IssuedToken[" + record + "]"; // never the token
    }
  }

  /**
   * Issues a token named {@code name} (a generated name when empty).
   *
   * @param lifetime empty for a token that never expires
   * @param allowedHosts the hosts rerun-sdk may send it to (exact names, or {@code .example.com} for subdomains)
   */
  public IssuedToken issue(Optional<String> name, Role role, Optional<Duration> lifetime, List<String> allowedHosts) {
    requireNonNull(role, "role is null");
    Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS); // JWT times are whole seconds
    String id = randomHex(16);
    String tokenName = name.filter(n -> !n.isBlank()).orElseGet(() -> role.label() + "-" + randomHex(4));
    TokenRecord record = new TokenRecord(id, tokenName, role, now, lifetime.map(now::plus), Optional.empty());
    store.addToken(record);
    Map<String, Object> claims = claims(tokenName, role, now, record.expiresAt(), id, KIND_TOKEN);
    if (!allowedHosts.isEmpty()) {
      claims.put("allowed_hosts", List.copyOf(allowedHosts));
    }
    return new IssuedToken(record, jwt.sign(claims));
  }

  /** Revokes the token named {@code name}; false when no unrevoked token has that name. */
  public boolean revoke(String name) {
    return store.revokeToken(name, clock.instant());
  }

  public List<TokenRecord> list() {
    return store.tokens();
  }

  /**
   * A short-lived token for a user who proved their password in Flight's handshake, so that the
   * password is checked once per connection rather than on every call. Not stored: it names the user
   * and their record, and works while that record does (its role is the record's current one).
   */
  String issueSession(UserRecord user, Duration lifetime) {
    requireNonNull(user, "user is null");
    Instant now = clock.instant();
    Map<String, Object> claims = claims(user.name(), user.role(), now, Optional.of(now.plus(lifetime)), randomHex(16), KIND_SESSION);
    claims.put(USER_RECORD, user.password().saltFingerprint());
    return jwt.sign(claims);
  }

  /** What a verified token says: the record's id (tokens) or the user's name (sessions). */
  record Verified(String kind, String subject, String id) {}

  /** Checks signature and expiry, then the record: revoked and unknown tokens are refused. */
  Caller verify(String token, Users users) throws AuthenticationException {
    Map<String, Object> claims = jwt.verify(token.trim());
    Object exp = claims.get("exp");
    if (exp != null) {
      if (!(exp instanceof Number expiry)) {
        throw new AuthenticationException("token expiry is not a number");
      }
      if (clock.instant().getEpochSecond() >= expiry.longValue()) {
        throw new AuthenticationException("token expired at " + Instant.ofEpochSecond(expiry.longValue()));
      }
    }
    String kind = String.valueOf(claims.get("kind"));
    String subject = String.valueOf(claims.get("sub"));
    if (kind.equals(KIND_SESSION)) {
      UserRecord user = users.sessionUser(subject)
          .filter(u -> u.password().saltFingerprint().equals(claims.get(USER_RECORD)))
          .orElseThrow(() -> new AuthenticationException("user of this session no longer exists (removed, or added again since); sign in again"));
      return new Caller(subject, user.role(), "user");
    }
    if (!kind.equals(KIND_TOKEN)) {
      throw new AuthenticationException("token is not one of this server's");
    }
    TokenRecord record = store.tokenById(String.valueOf(claims.get("jti")))
        .orElseThrow(() -> new AuthenticationException("token is not known to this server (was its data dir reset?)"));
    if (record.revokedAt().isPresent()) {
      throw new AuthenticationException("token '" + record.name() + "' was revoked");
    }
    if (record.expiresAt().isPresent() && !clock.instant().isBefore(record.expiresAt().get())) {
      throw new AuthenticationException("token '" + record.name() + "' expired at " + record.expiresAt().get());
    }
    return new Caller(record.name(), record.role(), "token");
  }

  private static Map<String, Object> claims(String subject, Role role, Instant now, Optional<Instant> expires, String id, String kind) {
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("iss", ISSUER);
    claims.put("sub", subject);
    claims.put("aud", "redap");
    claims.put("iat", now.getEpochSecond());
    expires.ifPresent(e -> claims.put("exp", e.getEpochSecond()));
    claims.put("jti", id);
    claims.put("kind", kind);
    claims.put("role", role.label());
    claims.put("permissions", List.of(role.includes(Role.WRITER) ? "read-write" : "read"));
    return claims;
  }

  private String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    random.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
