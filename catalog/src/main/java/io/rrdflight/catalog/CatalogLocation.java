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

    private static final String PREFIX = "jdbc:postgresql:";
    private static final Pattern HOST = Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[^\\[\\]:@/?,]+)(?::(\\d{1,5}))?");

    public Postgres {
      requireNonNull(jdbcUrl, "jdbcUrl is null");
      String problem = jdbcUrl.startsWith(PREFIX) ? problemOf(jdbcUrl) : "";
      if (problem != null) {
        throw CatalogException.invalidArgument("A PostgreSQL catalog is given as jdbc:postgresql://HOST[:PORT]/DATABASE, not "
            + redact(jdbcUrl) + problem);
      }
    }

    /**
     * Null when the driver can use {@code url}, else why not. Checked here because the driver's own
     * answer to a malformed URL quotes it whole, password included, and takes a user and password
     * before the host for part of the host name.
     */
    private static String problemOf(String url) {
      String rest = url.substring(PREFIX.length());
      if (!rest.startsWith("//")) {
        return driverProblem(url); // jdbc:postgresql:DATABASE, on localhost
      }
      int slash = rest.indexOf('/', 2);
      if (slash < 0) {
        return ": the database is missing (add /DATABASE after the host)";
      }
      String hosts = rest.substring(2, slash);
      if (hosts.contains("@")) {
        return ": user and password go in ?user=USER&password=PASSWORD or PGUSER and PGPASSWORD, not before the host";
      }
      for (String host : hosts.split(",", -1)) {
        java.util.regex.Matcher m = HOST.matcher(host);
        if (!m.matches()) {
          return ": '" + host + "' is not a HOST or HOST:PORT";
        }
        if (m.group(2) != null && (Integer.parseInt(m.group(2)) < 1 || Integer.parseInt(m.group(2)) > 65535)) {
          return ": port " + m.group(2) + " is not between 1 and 65535";
        }
      }
      return driverProblem(url);
    }

    private static String driverProblem(String url) {
      return org.postgresql.Driver.parseURL(url, null) == null ? ": the PostgreSQL driver cannot parse it" : null;
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
