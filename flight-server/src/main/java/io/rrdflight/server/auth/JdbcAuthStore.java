package io.rrdflight.server.auth;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The tables of an {@link AuthStore} and their queries, the same in SQLite and PostgreSQL; a subclass
 * connects, keeps the key, and says how it notices changes made by other processes ({@link #changes}).
 * Thread-safe: every method holds this store's monitor, as the one connection is shared.
 *
 * <p>Tokens themselves are never stored, only what they were issued as: a revoked or unknown token id
 * is refused even though its signature is good.
 */
abstract class JdbcAuthStore implements AuthStore {
  /** What {@link #changes} answers when it cannot tell: the cache is dropped every time. */
  static final long UNKNOWN = Long.MIN_VALUE;

  private final String tokens;
  private final String users;
  /**
   * How many token records and user roles are kept each: far more than a deployment's tokens and users
   * in use, so a working client's calls are served from memory, and yet a bound: without it every token
   * id presented since the last change (revoked and unknown ones too) stayed in memory.
   */
  static final int MAX_CACHED = 4096;

  private final Map<String, Optional<TokenRecord>> tokensById = new LeastRecentlyUsed<>(MAX_CACHED);
  private final Map<String, Optional<UserRecord>> sessionUsers = new LeastRecentlyUsed<>(MAX_CACHED);
  private long seenChanges = UNKNOWN;

  /** @param prefix of the table names: none in the data dir's own file, {@code auth_} next to a catalog's tables */
  JdbcAuthStore(String prefix) {
    requireNonNull(prefix, "prefix is null");
    this.tokens = prefix + "tokens";
    this.users = prefix + "users";
  }

  /** Creates the tables when missing. Timestamps are epoch seconds. */
  static void createTables(Statement s, String prefix) throws SQLException {
    s.execute("CREATE TABLE IF NOT EXISTS " + prefix + "tokens (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL,"
        + " created_at BIGINT NOT NULL, expires_at BIGINT, revoked_at BIGINT)");
    s.execute("CREATE TABLE IF NOT EXISTS " + prefix + "users (name TEXT PRIMARY KEY, role TEXT NOT NULL, password TEXT NOT NULL,"
        + " created_at BIGINT NOT NULL)");
  }

  /** The connection to use now (a subclass may reconnect after a failure). */
  protected abstract Connection db() throws SQLException;

  /** A number that differs after any committed change by any process, or {@link #UNKNOWN}. */
  protected abstract long changes();

  /** Called with every failure of a statement, before it is reported (a subclass may drop a broken connection). */
  protected void failed(SQLException e) {}

  @Override
  public synchronized void addToken(TokenRecord token) {
    update("INSERT INTO " + tokens + " VALUES (?, ?, ?, ?, ?, ?)", "a token named '" + token.name() + "' exists already (choose another --name)",
        p -> {
          p.setString(1, token.id());
          p.setString(2, token.name());
          p.setString(3, token.role().label());
          p.setLong(4, token.createdAt().getEpochSecond());
          setOptionalInstant(p, 5, token.expiresAt());
          setOptionalInstant(p, 6, token.revokedAt());
        });
  }

  @Override
  public synchronized Optional<TokenRecord> tokenById(String id) {
    dropCacheIfChanged();
    return cached(tokensById, id, () -> queryTokens("SELECT * FROM " + tokens + " WHERE id = ?", id).stream().findFirst());
  }

  @Override
  public synchronized List<TokenRecord> tokens() {
    return queryTokens("SELECT * FROM " + tokens + " ORDER BY created_at, name", null);
  }

  @Override
  public synchronized boolean revokeToken(String name, Instant at) {
    return update("UPDATE " + tokens + " SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", null, p -> {
      p.setLong(1, at.getEpochSecond());
      p.setString(2, name);
    }) == 1;
  }

  @Override
  public synchronized void addUser(UserRecord user) {
    update("INSERT INTO " + users + " VALUES (?, ?, ?, ?)", "a user named '" + user.name() + "' exists already", p -> {
      p.setString(1, user.name());
      p.setString(2, user.role().label());
      p.setString(3, user.password().encode());
      p.setLong(4, user.createdAt().getEpochSecond());
    });
  }

  @Override
  public synchronized Optional<UserRecord> user(String name) {
    return queryUsers("SELECT * FROM " + users + " WHERE name = ?", name).stream().findFirst();
  }

  @Override
  public synchronized Optional<UserRecord> sessionUser(String name) {
    dropCacheIfChanged();
    return cached(sessionUsers, name, () -> user(name));
  }

  @Override
  public synchronized List<UserRecord> users() {
    return queryUsers("SELECT * FROM " + users + " ORDER BY name", null);
  }

  @Override
  public synchronized boolean removeUser(String name) {
    return update("DELETE FROM " + users + " WHERE name = ?", null, p -> p.setString(1, name)) == 1;
  }

  /** The cached value, else the loaded one, cached (not computeIfAbsent: a failed load leaves no entry). */
  private static <V> V cached(Map<String, V> cache, String key, java.util.function.Supplier<V> load) {
    V value = cache.get(key);
    if (value == null) {
      value = load.get();
      cache.put(key, value);
    }
    return value;
  }

  /** How many token records are cached now. */
  synchronized int cachedTokens() {
    return tokensById.size();
  }

  private void dropCacheIfChanged() {
    long changes = changes();
    if (changes != seenChanges || changes == UNKNOWN) {
      tokensById.clear();
      sessionUsers.clear();
      seenChanges = changes;
    }
  }

  private interface Parameters {
    void set(PreparedStatement p) throws SQLException;
  }

  /** Runs one change; {@code taken} is the message of a unique-key violation (null: not expected). */
  private int update(String sql, String taken, Parameters parameters) {
    try (PreparedStatement p = db().prepareStatement(sql)) {
      parameters.set(p);
      return p.executeUpdate();
    } catch (SQLException e) {
      if (taken != null && isUniqueViolation(e)) {
        throw new IllegalArgumentException(taken);
      }
      throw storeFailure(e);
    }
  }

  /** PostgreSQL says so by its SQLSTATE; SQLite's driver in its message. */
  private static boolean isUniqueViolation(SQLException e) {
    return "23505".equals(e.getSQLState()) || (e.getMessage() != null && e.getMessage().contains("UNIQUE"));
  }

  private List<TokenRecord> queryTokens(String sql, String arg) {
    return query(sql, arg, rs -> new TokenRecord(rs.getString("id"), rs.getString("name"), Role.parse(rs.getString("role")),
        Instant.ofEpochSecond(rs.getLong("created_at")), optionalInstant(rs, "expires_at"), optionalInstant(rs, "revoked_at")));
  }

  private List<UserRecord> queryUsers(String sql, String arg) {
    return query(sql, arg, rs -> new UserRecord(rs.getString("name"), Role.parse(rs.getString("role")),
        PasswordHash.decode(rs.getString("password")), Instant.ofEpochSecond(rs.getLong("created_at"))));
  }

  private interface Row<T> {
    T read(ResultSet rs) throws SQLException;
  }

  /** Rows of {@code sql}, whose one parameter (if {@code arg} is not null) is {@code arg}. */
  private <T> List<T> query(String sql, String arg, Row<T> row) {
    try (PreparedStatement p = db().prepareStatement(sql)) {
      if (arg != null) {
        p.setString(1, arg);
      }
      List<T> rows = new ArrayList<>();
      try (ResultSet rs = p.executeQuery()) {
        while (rs.next()) {
          rows.add(row.read(rs));
        }
      }
      return rows;
    } catch (SQLException e) {
      throw storeFailure(e);
    }
  }

  private static void setOptionalInstant(PreparedStatement p, int index, Optional<Instant> value) throws SQLException {
    if (value.isPresent()) {
      p.setLong(index, value.get().getEpochSecond());
    } else {
      p.setNull(index, Types.BIGINT);
    }
  }

  private static Optional<Instant> optionalInstant(ResultSet rs, String column) throws SQLException {
    long seconds = rs.getLong(column);
    return rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochSecond(seconds));
  }

  /** A failed statement, named by where the state is (never by a secret: no statement here carries one). */
  protected AuthStoreUnavailableException storeFailure(SQLException e) {
    failed(e);
    return new AuthStoreUnavailableException("auth store " + describe() + ": " + e.getMessage(), e);
  }
}
