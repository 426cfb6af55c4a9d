package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Where the catalog is kept: the embedded SQLite database in the data dir (the default), or a
 * PostgreSQL database ({@code --catalog jdbc:postgresql://HOST[:PORT]/DB}) that a fleet of servers
 * can share. {@link #toString()} never shows a password: it is what logs and messages print.
 */
public sealed interface CatalogLocation {

  /** {@code DATA_DIR/catalog.db}, held by this process alone ({@code DATA_DIR/rrdflight.lock}). */
  record Embedded(Path dataDir) implements CatalogLocation {
    public Embedded {
      requireNonNull(dataDir, "dataDir is null");
    }

    @Override
    public String toString() {
      return dataDir.resolve("catalog.db").toString();
    }
  }

  /**
   * A PostgreSQL database by its JDBC URL. User and password may be URL parameters; when missing,
   * they come from the environment ({@code PGUSER}, {@code PGPASSWORD}) as with PostgreSQL's own tools.
   */
  record Postgres(String jdbcUrl) implements CatalogLocation {
    private static final Pattern SECRET_PARAMETER = Pattern.compile("(?i)([?&](?:password|sslpassword|sslkey)=)[^&]*");
    private static final Pattern USER_INFO = Pattern.compile("(//[^/@:]*):[^/@]*@");

    public Postgres {
      requireNonNull(jdbcUrl, "jdbcUrl is null");
      if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
        throw CatalogException.invalidArgument("A PostgreSQL catalog is given as jdbc:postgresql://HOST[:PORT]/DATABASE, not "
            + redact(jdbcUrl));
      }
    }

    /**
     * A new connection to this database, with the credentials and session name the catalog uses: for
     * state that lives next to the catalog (a fleet's tokens and users). Failures never show the
     * password, nor the server's error details (which may quote a row's values).
     */
    public java.sql.Connection connect() throws java.sql.SQLException {
      java.util.Properties properties = PostgresCatalogStore.connectionProperties(jdbcUrl, System::getenv);
      properties.setProperty("logServerErrorDetail", "false");
      return java.sql.DriverManager.getConnection(jdbcUrl, properties);
    }

    @Override
    public String toString() {
      return redact(jdbcUrl);
    }

    private static String redact(String url) {
      String out = SECRET_PARAMETER.matcher(url).replaceAll("$1***");
      return USER_INFO.matcher(out).replaceAll("$1:***@");
    }
  }

  static CatalogLocation embedded(Path dataDir) {
    return new Embedded(dataDir);
  }

  /**
   * The location a {@code --catalog} value names: {@code jdbc:postgresql://…}; anything else is
   * INVALID_ARGUMENT (with any password in it masked).
   */
  static CatalogLocation parse(String value) {
    requireNonNull(value, "value is null");
    return new Postgres(value.strip());
  }
}
