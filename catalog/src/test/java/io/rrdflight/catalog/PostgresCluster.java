package io.rrdflight.catalog;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A real PostgreSQL server for tests, as a JUnit extension: a test method or constructor that takes
 * a {@link Database} gets a new, empty database of its own, dropped when its test class ends (also
 * while a server under test is still connected to it). The server is the one
 * {@code scripts/test} started (its admin JDBC URL in {@code RRDFLIGHT_TEST_POSTGRES_URL}, or the
 * system property {@code rrdflight.test.postgres.url}); when a test runs alone (mvn, an IDE), the
 * extension starts a temporary cluster with {@code scripts/test-postgres} once per test run and stops
 * it when the run ends. That script needs PostgreSQL installed, or root to install it.
 */
public final class PostgresCluster implements ParameterResolver {
  public static final String URL_PROPERTY = "rrdflight.test.postgres.url";
  public static final String URL_ENV = "RRDFLIGHT_TEST_POSTGRES_URL";
  private static final Pattern URL = Pattern.compile("(jdbc:postgresql://[^/]+/)([^?]*)(\\?.*)?");

  /** A database of its own for one test: its JDBC URL (with the test cluster's credentials). */
  public record Database(String url, String name) {
    /** The same URL without user and password, for tests that pass them another way. */
    public String urlWithoutCredentials() {
      return url.replaceAll("[?&](user|password)=[^&]*", "").replaceFirst("^([^?]*)&", "$1?");
    }

    public String parameter(String key) {
      Matcher m = Pattern.compile("[?&]" + key + "=([^&]*)").matcher(url);
      return m.find() ? m.group(1) : null;
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == Database.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Server server = context.getRoot().getStore(NAMESPACE).computeIfAbsent(Server.class, k -> Server.find(), Server.class);
    Database database = server.newDatabase();
    testClass(context).getStore(NAMESPACE).computeIfAbsent(Made.class, k -> new Made(server, new CopyOnWriteArrayList<>()), Made.class)
        .names().add(database.name());
    return database;
  }

  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(PostgresCluster.class);

  /** The context of the test class a method (or one of its invocations) belongs to: its end drops the databases made for it. */
  private static ExtensionContext testClass(ExtensionContext context) {
    ExtensionContext c = context;
    while (c.getTestMethod().isPresent() && c.getParent().isPresent()) {
      c = c.getParent().get();
    }
    return c;
  }

  /** The databases made for one test class; JUnit closes this when the class ends, before the server's own close. */
  private record Made(Server server, List<String> names) implements AutoCloseable {
    @Override
    public void close() {
      List<String> failed = new ArrayList<>();
      try (Connection c = DriverManager.getConnection(server.adminUrl()); Statement s = c.createStatement()) {
        for (String name : names) {
          try {
            // FORCE: a server process a test started may still hold connections.
            s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
          } catch (SQLException e) {
            failed.add(name + " (" + e.getMessage() + ")");
          }
        }
      } catch (SQLException e) {
        failed.add("all of " + names + " (" + e.getMessage() + ")");
      }
      if (!failed.isEmpty()) {
        throw new IllegalStateException("test databases not dropped: " + String.join(", ", failed));
      }
    }
  }

  /** The admin URL of the running server; a cluster this JVM started is stopped when JUnit closes the store. */
  private record Server(String adminUrl, Path ownCluster) implements AutoCloseable {
    static Server find() {
      String url = System.getProperty(URL_PROPERTY, System.getenv(URL_ENV));
      if (url != null && !url.isBlank()) {
        return new Server(url, null);
      }
      Path script = repositoryRoot().resolve("scripts/test-postgres");
      Path dir = Path.of("/tmp", "rrdflight-pg-" + UUID.randomUUID().toString().substring(0, 8));
      try {
        Process p = new ProcessBuilder(script.toString(), "start", dir.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(180, TimeUnit.SECONDS) || p.exitValue() != 0 || !out.startsWith("jdbc:postgresql:")) {
          throw new IllegalStateException(script + " could not start PostgreSQL (exit " + p.exitValue() + "); see its output above");
        }
        return new Server(out, dir);
      } catch (IOException e) {
        throw new IllegalStateException("cannot run " + script + ": " + e.getMessage(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while starting PostgreSQL", e);
      }
    }

    private static Path repositoryRoot() {
      for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
        if (Files.isExecutable(p.resolve("scripts/test-postgres"))) {
          return p;
        }
      }
      throw new IllegalStateException("scripts/test-postgres not found above " + Path.of("").toAbsolutePath());
    }

    Database newDatabase() {
      String name = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
      try (Connection c = DriverManager.getConnection(adminUrl); Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE " + name);
      } catch (SQLException e) {
        throw new IllegalStateException("cannot create a test database: " + e.getMessage(), e);
      }
      Matcher m = URL.matcher(adminUrl);
      if (!m.matches()) {
        throw new IllegalStateException("not a jdbc:postgresql://HOST/DB URL: the test cluster's admin URL");
      }
      return new Database(m.group(1) + name + (m.group(3) == null ? "" : m.group(3)), name);
    }

    @Override
    public void close() throws Exception {
      if (ownCluster != null) {
        Path script = repositoryRoot().resolve("scripts/test-postgres");
        new ProcessBuilder(script.toString(), "stop", ownCluster.toString()).inheritIO().start().waitFor(60, TimeUnit.SECONDS);
      }
    }
  }
}
