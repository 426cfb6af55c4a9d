package io.rrdflight.server.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.catalog.CatalogLocation;
import io.rrdflight.catalog.PostgresCluster;
import io.rrdflight.catalog.PostgresCluster.Database;
import io.rrdflight.server.auth.Tokens.IssuedToken;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every {@link TokensTest} again with a fleet's auth state in a real PostgreSQL database (a new one per
 * test, see {@link PostgresCluster}); every store of a test is another node or CLI run. The stores check
 * for changes on every call here (interval zero), so "the next check" is the next call; servers use
 * {@link PostgresAuthStore#CHANGE_CHECK_INTERVAL}. Plus what only this store has: one key for all, kept
 * from other database roles, and changes made outside rrdflight.
 */
@ExtendWith(PostgresCluster.class)
class PostgresTokensTest extends TokensTest {
  private final Database database;

  PostgresTokensTest(Database database) {
    this.database = database;
  }

  @Override
  AuthStore openStore() throws Exception {
    return PostgresAuthStore.open(new CatalogLocation.Postgres(database.url()), Duration.ZERO);
  }

  @Test
  void nodesStartingTogetherShareOneKeyAndEachOthersTokens() throws Exception {
    var pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<AuthStore>> opening = List.of(pool.submit(this::openStore), pool.submit(this::openStore), pool.submit(this::openStore));
      List<byte[]> keys = new java.util.ArrayList<>();
      for (Future<AuthStore> f : opening) {
        try (AuthStore node = f.get()) {
          keys.add(node.serverKey().secret());
          IssuedToken issued = tokens.issue(Optional.empty(), Role.READER, Optional.empty(), List.of());
          assertEquals(Role.READER, new Tokens(node.serverKey(), node, clock).verify(issued.token(), new Users(node, clock)).role());
        }
      }
      byte[] first = store.serverKey().secret();
      for (byte[] k : keys) {
        assertArrayEquals(first, k);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void anotherDatabaseRoleCannotReadTheKey() throws Exception {
    String role = "other_" + database.name();
    try (Connection admin = DriverManager.getConnection(database.url()); Statement s = admin.createStatement()) {
      s.execute("CREATE ROLE " + role + " LOGIN PASSWORD 'other-pw'");
    }
    String url = database.urlWithoutCredentials() + (database.urlWithoutCredentials().contains("?") ? "&" : "?") + "user=" + role
        + "&password=other-pw";
    try (Connection other = DriverManager.getConnection(url); Statement s = other.createStatement()) {
      SQLException e = assertThrows(SQLException.class, () -> s.executeQuery("SELECT secret FROM auth_key").close());
      assertEquals("42501", e.getSQLState(), e.getMessage()); // insufficient_privilege
    }
  }

  @Test
  void aRevocationMadeInPsqlIsSeenAsOneByTheCli() throws Exception {
    IssuedToken issued = tokens.issue(Optional.of("by-hand"), Role.WRITER, Optional.empty(), List.of());
    tokens.verify(issued.token(), users); // now cached
    try (Connection psql = DriverManager.getConnection(database.url()); Statement s = psql.createStatement()) {
      s.executeUpdate("UPDATE auth_tokens SET revoked_at = 1 WHERE name = 'by-hand'");
    }
    AuthenticationException e = assertThrows(AuthenticationException.class, () -> tokens.verify(issued.token(), users));
    assertEquals("token 'by-hand' was revoked", e.getMessage());
  }

  @Test
  void aLostDatabaseFailsChecksAsUnavailableAndTheStoreReconnectsWhenItIsBack() throws Exception {
    IssuedToken issued = tokens.issue(Optional.of("survivor"), Role.READER, Optional.empty(), List.of());
    // From another database: PostgreSQL will not close the database a session is in.
    String maintenance = database.url().replace("/" + database.name(), "/postgres");
    try (Connection admin = DriverManager.getConnection(maintenance); Statement s = admin.createStatement()) {
      s.execute("ALTER DATABASE " + database.name() + " ALLOW_CONNECTIONS false");
      s.executeQuery("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database.name() + "'").close();
      AuthStoreUnavailableException down = assertThrows(AuthStoreUnavailableException.class, () -> tokens.verify(issued.token(), users));
      assertFalse(down.getMessage().contains(database.parameter("password")), down.getMessage());
      assertTrue(down.getMessage().contains("in catalog jdbc:postgresql://"), down.getMessage());
      s.execute("ALTER DATABASE " + database.name() + " ALLOW_CONNECTIONS true");
    }
    assertEquals(new Caller("survivor", Role.READER, "token"), tokens.verify(issued.token(), users));
  }
}
