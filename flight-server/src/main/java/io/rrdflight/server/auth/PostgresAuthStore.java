package io.rrdflight.server.auth;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.CatalogLocation;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;

/**
 * The auth state of a fleet: in the PostgreSQL database of its shared catalog, so that a token made
 * once ({@code rrdflight token create --catalog jdbc:postgresql://…}) works on every node, and a
 * revocation by any node or the CLI is refused by all. Tables {@code auth_tokens} and {@code auth_users}
 * (as in a data dir's {@code auth.db}), {@code auth_key} (the signing key: one row, no privileges for
 * PUBLIC, so only the role the servers log in as, its owner, and superusers read it), and
 * {@code auth_changes}: a counter that a statement-level trigger bumps in the same transaction as every
 * change to tokens or users, whoever makes it (a node, the CLI, an operator's psql).
 *
 * <p>Each node caches token records; it reads the counter at most once per {@link #CHANGE_CHECK_INTERVAL}
 * (one indexed single-row read, a round trip to the database) and drops its cache when it moved. A
 * revocation is therefore refused on every node within that interval plus one round trip. Its own
 * connection, not the catalog's: a slow catalog transaction never delays a token check.
 */
public final class PostgresAuthStore extends JdbcAuthStore {
  /** How stale a node's token cache may be: the bound on seeing another process's revocation. */
  static final Duration CHANGE_CHECK_INTERVAL = Duration.ofMillis(200);
  /** Serialises schema creation between nodes starting together ("rrdfauth" in ASCII). */
  private static final long SCHEMA_LOCK_KEY = 0x7272_6466_6175_7468L;
  private static final String PREFIX = "auth_";

  private final CatalogLocation.Postgres location;
  private final long checkIntervalNanos;
  private Connection db; // null after a broken connection: the next call reconnects
  private long checkedAt;
  private long lastChanges = UNKNOWN;

  private PostgresAuthStore(CatalogLocation.Postgres location, Connection db, Duration checkInterval) {
    super(PREFIX);
    this.location = location;
    this.db = db;
    this.checkIntervalNanos = checkInterval.toNanos();
  }

  public static PostgresAuthStore open(CatalogLocation.Postgres location) throws IOException {
    return open(location, CHANGE_CHECK_INTERVAL);
  }

  static PostgresAuthStore open(CatalogLocation.Postgres location, Duration checkInterval) throws IOException {
    requireNonNull(location, "location is null");
    requireNonNull(checkInterval, "checkInterval is null");
    Connection db = null;
    try {
      db = location.connect();
      createSchema(db);
      return new PostgresAuthStore(location, db, checkInterval);
    } catch (SQLException e) {
      closeQuietly(db);
      throw new IOException("cannot open its auth tables: " + e.getMessage(), e);
    }
  }

  /** In one transaction under an advisory lock: concurrent CREATE ... IF NOT EXISTS can collide in PostgreSQL. */
  private static void createSchema(Connection db) throws SQLException {
    db.setAutoCommit(false);
    try (Statement s = db.createStatement()) {
      s.execute("SELECT pg_advisory_xact_lock(" + SCHEMA_LOCK_KEY + ")");
      createTables(s, PREFIX);
      s.execute("CREATE TABLE IF NOT EXISTS auth_key (id INT PRIMARY KEY CHECK (id = 1), secret BYTEA NOT NULL, created_at BIGINT NOT NULL)");
      // Tables grant PUBLIC nothing by default; said explicitly in case the database's default privileges do.
      s.execute("REVOKE ALL ON auth_key FROM PUBLIC");
      s.execute("CREATE TABLE IF NOT EXISTS auth_changes (id INT PRIMARY KEY CHECK (id = 1), n BIGINT NOT NULL)");
      s.execute("INSERT INTO auth_changes VALUES (1, 0) ON CONFLICT (id) DO NOTHING");
      s.execute("""
          CREATE OR REPLACE FUNCTION auth_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN UPDATE auth_changes SET n = n + 1 WHERE id = 1; RETURN NULL; END $$""");
      for (String table : new String[] {"auth_tokens", "auth_users"}) {
        s.execute("CREATE OR REPLACE TRIGGER " + table + "_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON " + table
            + " FOR EACH STATEMENT EXECUTE FUNCTION auth_count_change()");
      }
      db.commit();
    } catch (SQLException e) {
      db.rollback();
      throw e;
    } finally {
      db.setAutoCommit(true);
    }
  }

  /** The fleet's key; the first node (or CLI run) to ask makes it, and everyone else reads that one. */
  @Override
  public synchronized ServerKey serverKey() throws IOException {
    String where = "in catalog " + location;
    try {
      byte[] secret = readKey();
      if (secret == null) {
        try (PreparedStatement p = db().prepareStatement("INSERT INTO auth_key VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING")) {
          p.setBytes(1, ServerKey.newSecret());
          p.setLong(2, Instant.now().getEpochSecond());
          p.executeUpdate();
        }
        secret = readKey(); // ours, or the one a racing node inserted first
      }
      if (secret == null) {
        throw new IOException("server key " + where + " is missing after it was created");
      }
      return ServerKey.of(secret, where);
    } catch (SQLException e) {
      failed(e);
      // The statements carry the key only as a parameter, and server error details are off (see CatalogLocation.connect).
      throw new IOException("cannot read the server key " + where + ": " + e.getMessage(), e);
    }
  }

  private byte[] readKey() throws SQLException {
    try (Statement s = db().createStatement(); ResultSet rs = s.executeQuery("SELECT secret FROM auth_key WHERE id = 1")) {
      return rs.next() ? rs.getBytes(1) : null;
    }
  }

  @Override
  protected Connection db() throws SQLException {
    if (db == null) {
      db = location.connect(); // the schema exists: open made it
    }
    return db;
  }

  @Override
  protected long changes() {
    long now = System.nanoTime();
    if (lastChanges != UNKNOWN && now - checkedAt < checkIntervalNanos) {
      return lastChanges;
    }
    // Prepared: after a few uses the driver keeps it prepared on the server, which skips the parse.
    try (PreparedStatement p = db().prepareStatement("SELECT n FROM auth_changes WHERE id = 1"); ResultSet rs = p.executeQuery()) {
      lastChanges = rs.next() ? rs.getLong(1) : UNKNOWN;
      checkedAt = now;
    } catch (SQLException e) {
      failed(e);
      lastChanges = UNKNOWN; // the lookup that follows reports the failure
    }
    return lastChanges;
  }

  /** A connection-class failure (SQLSTATE 08…, or a closed connection) drops the connection; the next call reconnects. */
  @Override
  protected void failed(SQLException e) {
    // 08: connection exceptions; 57P: the server ended the session (shutdown, pg_terminate_backend).
    boolean broken = e.getSQLState() != null && (e.getSQLState().startsWith("08") || e.getSQLState().startsWith("57P"));
    try {
      broken |= db != null && db.isClosed();
    } catch (SQLException ignored) {
      broken = true;
    }
    if (broken) {
      closeQuietly(db);
      db = null;
    }
  }

  @Override
  public String describe() {
    return "in catalog " + location;
  }

  private static void closeQuietly(Connection db) {
    if (db != null) {
      try {
        db.close();
      } catch (SQLException ignored) {
        // going away anyway
      }
    }
  }

  @Override
  public synchronized void close() {
    closeQuietly(db);
    db = null;
  }
}
