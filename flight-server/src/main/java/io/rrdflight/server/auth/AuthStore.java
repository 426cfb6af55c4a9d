package io.rrdflight.server.auth;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.CatalogLocation;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where a server's auth state lives: the key that signs tokens, the token records and the users. One
 * per fleet: a server on a PostgreSQL catalog keeps it in that database ({@link PostgresAuthStore}), so
 * that every node sharing the catalog accepts the same tokens and sees the same revocations; a server
 * with its own SQLite catalog keeps it in its data dir ({@link SqliteAuthStore}). {@link #at} is the
 * one place that chooses; {@link Tokens}, {@link Users} and the CLI only see this interface.
 *
 * <p>Token records and user roles are read on every call, so stores cache them and drop the cache
 * when the state changed (by any process); each implementation says how soon a change is seen.
 */
public interface AuthStore extends AutoCloseable {

  /** The auth state for a server whose catalog is {@code catalog} and whose data dir is {@code dataDir}. */
  static AuthStore at(CatalogLocation catalog, Path dataDir) throws IOException {
    requireNonNull(catalog, "catalog is null");
    if (catalog instanceof CatalogLocation.Postgres postgres) {
      return PostgresAuthStore.open(postgres);
    }
    return open(dataDir);
  }

  /** The auth state of a data dir: {@code server.key} and {@code auth.db} in it. */
  static AuthStore open(Path dataDir) throws IOException {
    return SqliteAuthStore.open(dataDir);
  }

  /** What a token was issued as; {@code expiresAt} empty for a token that never expires. */
  record TokenRecord(String id, String name, Role role, Instant createdAt, Optional<Instant> expiresAt, Optional<Instant> revokedAt) {
    public TokenRecord {
      requireNonNull(id, "id is null");
      requireNonNull(name, "name is null");
      requireNonNull(role, "role is null");
      requireNonNull(createdAt, "createdAt is null");
      requireNonNull(expiresAt, "expiresAt is null");
      requireNonNull(revokedAt, "revokedAt is null");
    }
  }

  /** A user who signs in with a password (Flight's handshake); the password only as its hash. */
  record UserRecord(String name, Role role, PasswordHash password, Instant createdAt) {
    public UserRecord {
      requireNonNull(name, "name is null");
      requireNonNull(role, "role is null");
      requireNonNull(password, "password is null");
      requireNonNull(createdAt, "createdAt is null");
    }
  }

  /** The key that signs and verifies this state's tokens, created on first use. */
  ServerKey serverKey() throws IOException;

  /** Adds a token record; throws {@link IllegalArgumentException} when the name is taken (revoked names stay taken). */
  void addToken(TokenRecord token);

  /** The record of a token id (cached until the state changes). */
  Optional<TokenRecord> tokenById(String id);

  List<TokenRecord> tokens();

  /** Marks the named token revoked; false when there is no token of that name or it was revoked before. */
  boolean revokeToken(String name, Instant at);

  /** Adds a user; throws {@link IllegalArgumentException} when the name is taken. */
  void addUser(UserRecord user);

  /** A user by name, read now (a password sign-in: never cached). */
  Optional<UserRecord> user(String name);

  /**
   * A user's current record, cached as {@link #tokenById}: what a session token is checked against on
   * every call. Only for names from tokens this state signed: names a client makes up (a password
   * handshake) go to {@link #user}, so the cache stays small.
   */
  Optional<UserRecord> sessionUser(String name);

  List<UserRecord> users();

  /** Removes a user; false when there is none of that name. Their session tokens stop working too. */
  boolean removeUser(String name);

  /** Where this state is, for messages: a path or a redacted database URL, never a secret. */
  String describe();

  @Override
  void close();
}
