package io.rrdflight.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rrdflight.server.auth.Tokens.IssuedToken;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tokens and users over a data dir's store; {@link PostgresTokensTest} runs them all again over a fleet's. */
class TokensTest {
  @TempDir Path dataDir;
  MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  AuthStore store;
  Tokens tokens;
  Users users;

  @BeforeEach
  void open() throws Exception {
    store = openStore();
    tokens = new Tokens(store.serverKey(), store, clock);
    users = new Users(store, clock);
  }

  /** A store of the same state as {@link #store}: what another process (the CLI, another node) opens. */
  AuthStore openStore() throws Exception {
    return AuthStore.open(dataDir);
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void issuedTokenVerifiesAsItsNameAndRole() throws Exception {
    IssuedToken issued = tokens.issue(Optional.of("ci"), Role.WRITER, Optional.of(Duration.ofDays(1)), List.of("localhost"));
    Caller caller = tokens.verify(issued.token(), users);
    assertEquals(new Caller("ci", Role.WRITER, "token"), caller);
  }

  @Test
  void tokenIsAJwtWithRerunsClaimsAndAllowedHosts() throws Exception {
    IssuedToken issued = tokens.issue(Optional.of("viewer"), Role.READER, Optional.of(Duration.ofDays(1)), List.of("localhost", ".example.com"));
    String[] parts = issued.token().split("\\.");
    assertEquals(3, parts.length);
    ObjectMapper json = new ObjectMapper();
    JsonNode header = json.readTree(Base64.getUrlDecoder().decode(parts[0]));
    assertEquals("HS256", header.get("alg").asText());
    JsonNode claims = json.readTree(Base64.getUrlDecoder().decode(parts[1]));
    assertEquals("viewer", claims.get("sub").asText());
    assertEquals("redap", claims.get("aud").asText());
    assertEquals("read", claims.get("permissions").get(0).asText());
    assertEquals(".example.com", claims.get("allowed_hosts").get(1).asText());
    assertEquals(Instant.parse("2026-01-02T00:00:00Z").getEpochSecond(), claims.get("exp").asLong());
  }

  @Test
  void expiredTokenIsRefusedSayingWhen() {
    IssuedToken issued = tokens.issue(Optional.of("short"), Role.READER, Optional.of(Duration.ofHours(1)), List.of());
    clock.advance(Duration.ofHours(2));
    AuthenticationException e = assertThrows(AuthenticationException.class, () -> tokens.verify(issued.token(), users));
    assertTrue(e.getMessage().contains("expired"), e.getMessage());
  }

  @Test
  void tokenWithoutExpiryStaysGood() throws Exception {
    IssuedToken issued = tokens.issue(Optional.of("forever"), Role.ADMIN, Optional.empty(), List.of());
    clock.advance(Duration.ofDays(3650));
    assertEquals(Role.ADMIN, tokens.verify(issued.token(), users).role());
  }

  @Test
  void revokedTokenIsRefusedByName() throws Exception {
    IssuedToken issued = tokens.issue(Optional.of("leaked"), Role.ADMIN, Optional.empty(), List.of());
    assertTrue(tokens.revoke("leaked"));
    assertFalse(tokens.revoke("leaked"), "revoking twice reports nothing to revoke");
    AuthenticationException e = assertThrows(AuthenticationException.class, () -> tokens.verify(issued.token(), users));
    assertEquals("token 'leaked' was revoked", e.getMessage());
  }

  @Test
  void revocationByAnotherProcessIsSeenOnTheNextCheckDespiteTheCache() throws Exception {
    IssuedToken issued = tokens.issue(Optional.of("cached"), Role.READER, Optional.empty(), List.of());
    for (int i = 0; i < 3; i++) {
      tokens.verify(issued.token(), users); // now cached
    }
    try (AuthStore cli = openStore()) { // what 'rrdflight token revoke' opens, in its own process
      assertTrue(new Tokens(cli.serverKey(), cli, clock).revoke("cached"));
    }
    assertThrows(AuthenticationException.class, () -> tokens.verify(issued.token(), users));
  }

  @Test
  void tokenOfAnotherKeyIsRefused(@TempDir Path otherDir) throws Exception {
    try (AuthStore other = AuthStore.open(otherDir)) {
      String foreign = new Tokens(ServerKey.loadOrCreate(otherDir), other, clock)
          .issue(Optional.of("x"), Role.ADMIN, Optional.empty(), List.of()).token();
      AuthenticationException e = assertThrows(AuthenticationException.class, () -> tokens.verify(foreign, users));
      assertEquals("token is not signed by this server", e.getMessage());
    }
  }

  @Test
  void tokenWithAlgorithmNoneOrAlteredClaimsIsRefused() {
    String token = tokens.issue(Optional.of("r"), Role.READER, Optional.empty(), List.of()).token();
    String[] parts = token.split("\\.");
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String none = b64.encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8)) + "." + parts[1] + ".";
    assertThrows(AuthenticationException.class, () -> tokens.verify(none, users));
    String claims = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8).replace("reader", "admin");
    String altered = parts[0] + "." + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
    assertThrows(AuthenticationException.class, () -> tokens.verify(altered, users));
  }

  @Test
  void tokenWhoseHeaderIsJsonNullIsRefusedAsMalformed() throws Exception {
    String nullJson = Base64.getUrlEncoder().withoutPadding().encodeToString("null".getBytes(StandardCharsets.UTF_8));
    AuthenticationException header = assertThrows(AuthenticationException.class, () -> tokens.verify(nullJson + ".e30.c2ln", users));
    assertTrue(header.getMessage().contains("header is not a JSON object"), header.getMessage());
  }

  @Test
  void refusalMessagesNeverContainTheToken() {
    String token = tokens.issue(Optional.of("t"), Role.READER, Optional.empty(), List.of()).token();
    for (String bad : new String[] {token + "x", token.substring(0, token.length() - 2), "x" + token, token.replace('.', ',')}) {
      AuthenticationException e = assertThrows(AuthenticationException.class, () -> tokens.verify(bad, users));
      assertFalse(e.getMessage().contains(token.substring(0, 20)), e.getMessage());
    }
  }

  @Test
  void tokenNamesAreUnique() {
    tokens.issue(Optional.of("same"), Role.READER, Optional.empty(), List.of());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> tokens.issue(Optional.of("same"), Role.READER, Optional.empty(), List.of()));
    assertTrue(e.getMessage().contains("'same' exists"), e.getMessage());
  }

  @Test
  void sessionTokenFollowsTheUsersCurrentRecord() throws Exception {
    users.add("alice", Role.WRITER, "pw".toCharArray());
    String session = signIn("alice", "pw");
    assertEquals(new Caller("alice", Role.WRITER, "user"), tokens.verify(session, users));
    try (AuthStore cli = openStore()) {
      assertTrue(new Users(cli, clock).remove("alice"));
    }
    assertThrows(AuthenticationException.class, () -> tokens.verify(session, users));
  }

  @Test
  void sessionOfARemovedUserIsRefusedAfterTheNameIsAddedAgain() throws Exception {
    users.add("alice", Role.ADMIN, "leaked".toCharArray());
    String stolen = signIn("alice", "leaked");
    try (AuthStore cli = openStore()) { // the password reset: user remove, then user add
      Users admin = new Users(cli, clock);
      assertTrue(admin.remove("alice"));
      admin.add("alice", Role.ADMIN, "new secret".toCharArray());
    }
    AuthenticationException e = assertThrows(AuthenticationException.class, () -> tokens.verify(stolen, users));
    assertTrue(e.getMessage().contains("sign in again"), e.getMessage());
    assertEquals(new Caller("alice", Role.ADMIN, "user"), tokens.verify(signIn("alice", "new secret"), users), "a fresh sign-in works");
  }

  /** What the Flight handshake does: the password checked, then a session for the record it was checked against. */
  String signIn(String name, String password) throws Exception {
    users.verify(name, password.toCharArray());
    return tokens.issueSession(users.signedIn(name).orElseThrow(), Duration.ofHours(1));
  }

  @Test
  void wrongPasswordAndUnknownUserGiveTheSameAnswer() {
    users.add("bob", Role.READER, "right".toCharArray());
    AuthenticationException wrong = assertThrows(AuthenticationException.class, () -> users.verify("bob", "wrong".toCharArray()));
    AuthenticationException nobody = assertThrows(AuthenticationException.class, () -> users.verify("carol", "right".toCharArray()));
    assertEquals(wrong.getMessage(), nobody.getMessage());
  }

  @Test
  void manyDistinctTokensDoNotGrowTheCachePastItsBound() throws Exception {
    IssuedToken kept = tokens.issue(Optional.of("kept"), Role.READER, Optional.empty(), List.of());
    JwtCodec jwt = new JwtCodec(store.serverKey());
    int distinct = JdbcAuthStore.MAX_CACHED + 300;
    for (int i = 0; i < distinct; i++) {
      // Signed with the server's key (as a token of a reset data dir would be), so each id is looked up.
      String unknown = jwt.sign(java.util.Map.of("sub", "t" + i, "jti", "id-" + i, "kind", Tokens.KIND_TOKEN, "role", "reader"));
      assertThrows(AuthenticationException.class, () -> tokens.verify(unknown, users));
    }
    assertTrue(((JdbcAuthStore) store).cachedTokens() <= JdbcAuthStore.MAX_CACHED, "cached " + ((JdbcAuthStore) store).cachedTokens());
    // A forgotten entry is read again: the token that was cached first still verifies.
    assertEquals(new Caller("kept", Role.READER, "token"), tokens.verify(kept.token(), users));
  }
}
