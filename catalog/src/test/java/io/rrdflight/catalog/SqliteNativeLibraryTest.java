package io.rrdflight.catalog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteJDBCLoader;
import org.sqlite.util.OSInfo;

/** The cached copy of sqlite-jdbc's native library: made once, complete, and reused untouched. */
class SqliteNativeLibraryTest {
  @TempDir Path cache;

  private static byte[] bundledLibrary() throws IOException {
    String resource = "/org/sqlite/native/" + OSInfo.getNativeLibFolderPathForCurrentOS() + "/" + System.mapLibraryName("sqlitejdbc");
    try (InputStream in = SQLiteJDBCLoader.class.getResourceAsStream(resource)) {
      return in.readAllBytes();
    }
  }

  @Test
  void copiesTheBundledLibraryOnceUnderItsVersionAndPlatform() throws IOException {
    Optional<Path> first = SqliteNativeLibrary.cachedCopy(cache);

    assertTrue(first.isPresent());
    Path library = first.get();
    assertTrue(library.startsWith(cache.resolve("sqlite-jdbc-" + SQLiteJDBCLoader.getVersion())), library.toString());
    assertEquals(System.mapLibraryName("sqlitejdbc"), library.getFileName().toString());
    assertArrayEquals(bundledLibrary(), Files.readAllBytes(library));
    try (Stream<Path> left = Files.list(library.getParent())) {
      assertEquals(1, left.count(), "no partial copies left beside the library");
    }
  }

  @Test
  void reusesAnExistingCopyWithoutWritingIt() throws IOException {
    Path library = SqliteNativeLibrary.cachedCopy(cache).orElseThrow();
    FileTime past = FileTime.fromMillis(1_000_000_000_000L);
    Files.setLastModifiedTime(library, past);

    assertEquals(Optional.of(library), SqliteNativeLibrary.cachedCopy(cache));
    assertEquals(past, Files.getLastModifiedTime(library));
  }

  @Test
  void anUnwritableCacheGivesNoCopy() throws IOException {
    Path notADirectory = Files.writeString(cache.resolve("file"), "x");

    assertEquals(Optional.empty(), SqliteNativeLibrary.cachedCopy(notADirectory));
  }

  @Test
  void theCatalogOpensWithTheCopyInPlace() {
    SqliteNativeLibrary.preferCachedCopy();
    String dir = System.getProperty(SqliteNativeLibrary.PATH_PROPERTY);
    if (dir != null) { // unset only when the user's cache cannot be written
      assertTrue(Files.isRegularFile(Path.of(dir, System.getProperty(SqliteNativeLibrary.NAME_PROPERTY))));
    }
    try (CatalogStore store = SqliteCatalogStore.open(cache.resolve("catalog.db"))) {
      assertEquals(0, store.datasets().size());
    }
  }
}
