package io.rrdflight.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Catalog#warmUpEmbedded}: a first open's one-time work, done on a database in memory. */
class CatalogWarmUpTest {

  @Test
  void theWarmUpWritesNoFileAndACatalogThenOpensAsUsual(@TempDir Path tmp) throws IOException {
    Path workingDir = Path.of("").toAbsolutePath();
    List<Path> before = list(workingDir);

    Catalog.warmUpEmbedded();
    Catalog.warmUpEmbedded(); // again: the first left nothing open or locked

    assertEquals(before, list(workingDir), "no database file (e.g. one named ':memory:') in " + workingDir);
    try (Catalog catalog = Catalog.open(tmp.resolve("data"), new CatalogTest.FileListIndexer(), 1)) {
      assertTrue(catalog.datasets().isEmpty());
    }
  }

  private static List<Path> list(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.sorted().toList();
    }
  }
}
