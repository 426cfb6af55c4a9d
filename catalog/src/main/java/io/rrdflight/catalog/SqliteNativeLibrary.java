package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteJDBCLoader;
import org.sqlite.util.OSInfo;

/**
 * Lets sqlite-jdbc load its native library from a copy kept in the user's cache instead of
 * extracting it again on every start.
 *
 * <p>Why: each time a process first opens a database, sqlite-jdbc copies its 1 MB native library
 * out of the jar into {@code java.io.tmpdir} under a fresh random name, compares the copy with the
 * jar byte by byte, works out the platform (listing {@code /proc/self/map_files} to tell musl from
 * glibc) and loads the copy: about a tenth of a second of a server start that is otherwise a few
 * tenths, and a stray file in {@code /tmp} whenever a server is killed. sqlite-jdbc loads the library
 * named by {@code org.sqlite.lib.path} and {@code org.sqlite.lib.name} first when that file exists,
 * so one copy per sqlite-jdbc version and platform is kept in
 * {@code CACHE/sqlite-jdbc-VERSION/OS-ARCH/} and those properties point there.
 *
 * <p>Nothing here can stop the catalog from opening: when the cache cannot be written, or a cached
 * library does not load (sqlite-jdbc logs that), sqlite-jdbc extracts its library as it always did.
 * A copy becomes visible only complete (written aside, then renamed), so concurrent first starts
 * never load a half-written file. Properties set by the user are left alone.
 */
public final class SqliteNativeLibrary {
  private static final Logger log = LoggerFactory.getLogger(SqliteNativeLibrary.class);
  static final String PATH_PROPERTY = "org.sqlite.lib.path";
  static final String NAME_PROPERTY = "org.sqlite.lib.name";

  private static boolean configured;

  private SqliteNativeLibrary() {}

  /**
   * Loads sqlite-jdbc's native library now, from the cached copy: the catalog does it when it first
   * opens its database; a server may do it earlier, on another thread. Failures are left for that
   * open to report.
   */
  public static void load() {
    preferCachedCopy();
    try {
      SQLiteJDBCLoader.initialize();
    } catch (Exception e) {
      log.debug("sqlite's native library did not load ahead of the catalog", e);
    }
  }

  /** Points sqlite-jdbc at the cached copy (made now if missing), once per process. */
  static synchronized void preferCachedCopy() {
    if (configured) {
      return;
    }
    configured = true;
    if (System.getProperty(PATH_PROPERTY) != null || System.getProperty(NAME_PROPERTY) != null) {
      return;
    }
    userCacheDir().flatMap(SqliteNativeLibrary::cachedCopy).ifPresent(library -> {
      System.setProperty(PATH_PROPERTY, library.getParent().toString());
      System.setProperty(NAME_PROPERTY, library.getFileName().toString());
    });
  }

  /**
   * The cached library under {@code cacheRoot}, copied from sqlite-jdbc's jar first when it is not
   * there yet; empty when the platform has no bundled library or the copy cannot be made.
   */
  static Optional<Path> cachedCopy(Path cacheRoot) {
    requireNonNull(cacheRoot, "cacheRoot is null");
    String version = SQLiteJDBCLoader.getVersion();
    if (version == null || version.isBlank() || version.equals("unknown")) {
      return Optional.empty(); // without a version a copy could outlive the jar it came from
    }
    String name = System.mapLibraryName("sqlitejdbc");
    Path dir = cacheRoot.resolve("sqlite-jdbc-" + safe(version)).resolve(safe(System.getProperty("os.name")) + "-" + safe(System.getProperty("os.arch")));
    Path library = dir.resolve(name);
    if (Files.isRegularFile(library)) {
      return Optional.of(library);
    }
    String resource = "/org/sqlite/native/" + OSInfo.getNativeLibFolderPathForCurrentOS() + "/" + name;
    try (InputStream in = SQLiteJDBCLoader.class.getResourceAsStream(resource)) {
      if (in == null) {
        return Optional.empty();
      }
      Files.createDirectories(dir);
      Path part = Files.createTempFile(dir, name, ".part");
      try {
        Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
        Files.move(part, library, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(part);
      }
      return Optional.of(library);
    } catch (IOException | RuntimeException e) {
      log.debug("cannot keep sqlite's native library in {}; sqlite-jdbc extracts its own", dir, e);
      // Another process may have put it there meanwhile (a loaded library cannot be replaced on Windows).
      return Files.isRegularFile(library) ? Optional.of(library) : Optional.empty();
    }
  }

  /** {@code $XDG_CACHE_HOME/rrdflight}, else {@code ~/.cache/rrdflight}. */
  static Optional<Path> userCacheDir() {
    try {
      String xdg = System.getenv("XDG_CACHE_HOME");
      if (xdg != null && !xdg.isBlank()) {
        return Optional.of(Path.of(xdg, "rrdflight"));
      }
      String home = System.getProperty("user.home");
      return home == null || home.isBlank() || home.equals("?") ? Optional.empty() : Optional.of(Path.of(home, ".cache", "rrdflight"));
    } catch (RuntimeException e) {
      return Optional.empty(); // an unusable path in the environment
    }
  }

  private static String safe(String part) {
    return part == null ? "unknown" : part.replaceAll("[^A-Za-z0-9._-]", "_").toLowerCase(Locale.ROOT);
  }
}
