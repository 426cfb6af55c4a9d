package io.rrdflight.server.auth;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Token records and users of one data dir, in their own SQLite file {@code auth.db} (mode 0600) next
 * to the catalog. SQLite because the CLI adds and revokes tokens while a server runs, in another
 * process: its locking makes those writes safe and visible to the server's next check without a
 * reload. A file of its own, not a table in the catalog, so that {@code rrdflight token} works while a
 * server holds the catalog, and so that auth does not depend on the catalog's schema.
 *
 * <p>Tokens themselves are never stored, only what they were issued as: a revoked or unknown token id
 * is refused even though its signature is good.
 *
 * <p>Every call checks its token's record, so lookups are cached, and the cache is dropped whenever
 * the file changes: SQLite (in its rollback-journal mode, which this store keeps) bumps the change
 * counter in the file's header on every commit, by any process. Reading those four bytes costs a
 * {@code pread}; a query costs ~100 us of locking and parsing. A revocation by {@code rrdflight token
 * revoke} is therefore seen by the very next call.
 */
public final class AuthStore implements AutoCloseable {
  public static final String FILE_NAME = "auth.db";
  /** Where SQLite keeps its file change counter (a big-endian int) in the database header. */
  private static final int CHANGE_COUNTER_OFFSET = 24;

  private final Connection db;
  private final FileChannel header;
  private final ByteBuffer counter = ByteBuffer.allocate(4);
  private int seenChanges = -1;
  private final Map<String, Optional<TokenRecord>> tokensById = new HashMap<>();
  private final Map<String, Optional<Role>> userRoles = new HashMap<>();

  private AuthStore(Connection db, FileChannel header) {
    this.db = db;
    this.header = header;
  }

  public static AuthStore open(Path dataDir) throws IOException {
    requireNonNull(dataDir, "dataDir is null");
    Files.createDirectories(dataDir);
    Path file = dataDir.resolve(FILE_NAME);
    if (!Files.exists(file)) {
      try {
        // SQLite gives its journal the database file's mode, so 0600 here covers both.
        Files.createFile(file, PosixFilePermissions.asFileAttribute(ServerKey.OWNER_ONLY));
      } catch (java.nio.file.FileAlreadyExistsException raced) {
        // another process made it first
      }
    }
    try {
      Connection db = DriverManager.getConnection("jdbc:sqlite:" + file);
      try (Statement s = db.createStatement()) {
        s.execute("PRAGMA busy_timeout=10000");
        s.execute("PRAGMA journal_mode=DELETE"); // the change counter the cache relies on is not bumped in WAL mode
        s.execute("PRAGMA synchronous=FULL");
        s.execute("CREATE TABLE IF NOT EXISTS tokens (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL,"
            + " created_at INTEGER NOT NULL, expires_at INTEGER, revoked_at INTEGER)");
        s.execute("CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, role TEXT NOT NULL, password TEXT NOT NULL,"
            + " created_at INTEGER NOT NULL)");
      } catch (SQLException e) {
        db.close();
        throw e;
      }
      return new AuthStore(db, FileChannel.open(file, StandardOpenOption.READ));
    } catch (SQLException e) {
      throw new IOException("cannot open " + file + ": " + e.getMessage(), e);
    }
  }

  /** What a token was issued as; {@code expiresAt} empty for a token that never expires. */
  public record TokenRecord(String id, String name, Role role, Instant createdAt, Optional<Instant> expiresAt, Optional<Instant> revokedAt) {
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
    UserRecord {
      requireNonNull(name, "name is null");
      requireNonNull(role, "role is null");
      requireNonNull(password, "password is null");
      requireNonNull(createdAt, "createdAt is null");
    }
  }

  /** Adds a token record; throws {@link IllegalArgumentException} when the name is taken (revoked names stay taken). */
  synchronized void addToken(TokenRecord token) {
    try (PreparedStatement p = db.prepareStatement("INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?)")) {
      p.setString(1, token.id());
      p.setString(2, token.name());
      p.setString(3, token.role().label());
      p.setLong(4, token.createdAt().getEpochSecond());
      setOptionalInstant(p, 5, token.expiresAt());
      setOptionalInstant(p, 6, token.revokedAt());
      p.executeUpdate();
    } catch (SQLException e) {
      if (e.getMessage() != null && e.getMessage().contains("UNIQUE")) {
        throw new IllegalArgumentException("a token named '" + token.name() + "' exists already (choose another --name)");
      }
      throw storeFailure(e);
    }
  }

  /** The record of a token id, from the cache unless the file changed since it was read. */
  synchronized Optional<TokenRecord> tokenById(String id) {
    dropCacheIfChanged();
    return tokensById.computeIfAbsent(id, k -> queryTokens("SELECT * FROM tokens WHERE id = ?", k).stream().findFirst());
  }

  public synchronized List<TokenRecord> tokens() {
    return queryTokens("SELECT * FROM tokens ORDER BY created_at, name", null);
  }

  /** Marks the named token revoked; false when there is no token of that name or it was revoked before. */
  synchronized boolean revokeToken(String name, Instant at) {
    try (PreparedStatement p = db.prepareStatement("UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL")) {
      p.setLong(1, at.getEpochSecond());
      p.setString(2, name);
      return p.executeUpdate() == 1;
    } catch (SQLException e) {
      throw storeFailure(e);
    }
  }

  /** Adds a user; throws {@link IllegalArgumentException} when the name is taken. */
  synchronized void addUser(UserRecord user) {
    try (PreparedStatement p = db.prepareStatement("INSERT INTO users VALUES (?, ?, ?, ?)")) {
      p.setString(1, user.name());
      p.setString(2, user.role().label());
      p.setString(3, user.password().encode());
      p.setLong(4, user.createdAt().getEpochSecond());
      p.executeUpdate();
    } catch (SQLException e) {
      if (e.getMessage() != null && e.getMessage().contains("UNIQUE")) {
        throw new IllegalArgumentException("a user named '" + user.name() + "' exists already");
      }
      throw storeFailure(e);
    }
  }

  synchronized Optional<UserRecord> user(String name) {
    return queryUsers("SELECT * FROM users WHERE name = ?", name).stream().findFirst();
  }

  /**
   * The current role of a user, cached as {@link #tokenById}. Only for names from tokens this server
   * signed: names a client makes up (a password handshake) go to {@link #user}, so the cache stays small.
   */
  synchronized Optional<Role> userRole(String name) {
    dropCacheIfChanged();
    return userRoles.computeIfAbsent(name, k -> user(k).map(UserRecord::role));
  }

  private void dropCacheIfChanged() {
    int changes;
    try {
      counter.clear();
      while (counter.hasRemaining() && header.read(counter, CHANGE_COUNTER_OFFSET + counter.position()) > 0) {
        // a short read of a 4-byte header field only happens on a file still being created
      }
      changes = counter.hasRemaining() ? -2 : counter.getInt(0);
    } catch (IOException e) {
      changes = -2; // cannot tell: treat as changed
    }
    if (changes != seenChanges || changes == -2) {
      tokensById.clear();
      userRoles.clear();
      seenChanges = changes;
    }
  }

  synchronized List<UserRecord> users() {
    return queryUsers("SELECT * FROM users ORDER BY name", null);
  }

  /** Removes a user; false when there is none of that name. Their session tokens stop working at once. */
  synchronized boolean removeUser(String name) {
    try (PreparedStatement p = db.prepareStatement("DELETE FROM users WHERE name = ?")) {
      p.setString(1, name);
      return p.executeUpdate() == 1;
    } catch (SQLException e) {
      throw storeFailure(e);
    }
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
    try (PreparedStatement p = db.prepareStatement(sql)) {
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
      p.setNull(index, java.sql.Types.INTEGER);
    }
  }

  private static Optional<Instant> optionalInstant(ResultSet rs, String column) throws SQLException {
    long seconds = rs.getLong(column);
    return rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochSecond(seconds));
  }

  private static IllegalStateException storeFailure(SQLException e) {
    return new IllegalStateException("auth store: " + e.getMessage(), e);
  }

  @Override
  public synchronized void close() {
    try {
      db.close();
      header.close();
    } catch (SQLException | IOException e) {
      // Read-mostly; nothing is lost.
    }
  }
}
